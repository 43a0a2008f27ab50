"""Saving Matplotlib figures atomically: every plot of the package (grids, Fig. 5/6, box plots) goes through here."""
from __future__ import annotations

import os
from pathlib import Path


def save_figure(figure, path: str | os.PathLike, dpi: int = 100) -> Path:
    """Saves ``figure`` as ``path`` (format from the suffix) and closes it.

    The figure is written to a temporary file beside ``path`` and renamed into place, so a run killed while
    plotting never leaves a truncated PNG where a reader (or a resumed run) expects a finished one.

    Args:
        figure: A Matplotlib figure.
        path: Destination; missing parent folders are created.
        dpi: Resolution in dots per inch.

    Returns:
        The path written.
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{path.stem}{path.suffix}")
    try:
        figure.savefig(temporary, dpi=dpi)
        os.replace(temporary, path)
    finally:
        plt.close(figure)
        if temporary.exists():
            temporary.unlink()
    return path
