"""A Fig. 6-style comparison grid: one row per model, one column per mask."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import numpy as np

from specklegan_tf.evaluation.figure_files import save_figure


def sample_grid(
    path: str | os.PathLike,
    masks: np.ndarray,
    rows: Mapping[str, np.ndarray],
    real_images: np.ndarray | None = None,
    cell_inches: float = 1.6,
) -> Path:
    """Writes a PNG grid: the masks on top, optionally the real images, then one row of images per model.

    Args:
        path: PNG file to write.
        masks: uint8 label masks ``(K, H, W)``, one per column.
        rows: ``{row title: uint8 images (K, H, W)}``, e.g. ``{"SpeckleGAN": ..., "Baseline": ...}``.
        real_images: the real images of the masks ``(K, H, W)``, shown as a row "real" when given.
        cell_inches: size of one image in the figure.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    masks = np.asarray(masks)
    if masks.ndim != 3 or len(masks) == 0:
        raise ValueError(f"`masks` must be (K, H, W) with K >= 1, got {masks.shape}")
    table = {"mask": None}
    if real_images is not None:
        table["real"] = np.asarray(real_images)
    table.update({str(k): np.asarray(v) for k, v in rows.items()})
    for title, images in table.items():
        if images is not None and images.shape != masks.shape:
            raise ValueError(f"row {title!r} has shape {images.shape}, expected {masks.shape} like `masks`")
    k = len(masks)
    fig, axes = plt.subplots(len(table), k, figsize=(cell_inches * k, cell_inches * len(table)), squeeze=False)
    for r, (title, images) in enumerate(table.items()):
        for c in range(k):
            ax = axes[r, c]
            if images is None:  # lumen dark, intima/media bright, background mid-grey
                ax.imshow(masks[c], cmap="viridis", vmin=0, vmax=2, interpolation="nearest")
            else:
                ax.imshow(images[c], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(title, fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)
