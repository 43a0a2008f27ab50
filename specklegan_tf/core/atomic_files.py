"""Atomic writes: every file or folder the package writes appears complete or not at all.

A run may be killed (``kill -9``, a full disk, a preempted machine) while it writes; a reader, or the resumed run,
must then find either the previous version or the new one, never a truncated file. Everything is first written to
a hidden temporary sibling on the same file system and moved into place with :func:`os.replace`, which is atomic
on POSIX. Temporary names start with ``.tmp-`` so that folder scans (TF Serving's version folders, checkpoint
scans, ``generate --out``) skip them.

Example:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_json(folder / "record.json", {"epochs": 3}).name
    'record.json'
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

TEMPORARY_PREFIX = ".tmp-"


def _fsync_file(path: Path) -> None:
    # The rename is atomic for processes; fsync makes the contents durable before it, so a machine crash right
    # after the rename does not leave an empty file under the final name.
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


@contextlib.contextmanager
def atomic_file(final_path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yields a temporary path beside ``final_path`` (same suffix); on success it replaces ``final_path``.

    ``suffix`` overrides the temporary name's ending for writers that check more than the last suffix (Keras'
    ``save_weights`` wants ``.weights.h5``).

    The caller (or a library such as Keras' ``save``) writes the temporary path itself; it does not exist yet
    when yielded, because some writers insist on creating their file. An existing file at ``final_path`` stays
    intact until the new one is complete; on an exception the temporary file is removed.
    """
    final_path = Path(final_path)
    final_path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f"{TEMPORARY_PREFIX}{final_path.stem}-",
                                    suffix=final_path.suffix if suffix is None else suffix,
                                    dir=final_path.parent)
    os.close(handle)
    temporary = Path(name)
    temporary.unlink()
    try:
        yield temporary
        if temporary.is_file():
            _fsync_file(temporary)
        os.replace(temporary, final_path)
    finally:
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        elif temporary.exists():
            temporary.unlink()


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Writes ``data`` to ``path`` atomically; returns the path."""
    path = Path(path)
    with atomic_file(path) as temporary:
        temporary.write_bytes(data)
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Writes ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, value: Any, indent: int | None = 2, sort_keys: bool = False) -> Path:
    """Writes ``value`` as JSON (with a final newline) to ``path`` atomically; returns the path."""
    return write_text(path, json.dumps(value, indent=indent, sort_keys=sort_keys) + "\n")


def write_csv(path: str | os.PathLike, rows: Iterable[Mapping[str, Any] | Sequence[Any]],
              header: Sequence[str] | None = None) -> Path:
    """Writes ``rows`` as CSV to ``path`` atomically; returns the path.

    Rows are either mappings (the header defaults to the first row's keys) or sequences (then give ``header``).
    Floats are written with ``repr`` so that reading the file back gives the same numbers.
    """
    rows = list(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if rows and isinstance(rows[0], Mapping):
        header = list(header or rows[0])
        rows = [[row.get(key, "") for key in header] for row in rows]
    if header is not None:
        writer.writerow(header)
    writer.writerows([repr(value) if isinstance(value, float) else value for value in row] for row in rows)
    return write_text(path, buffer.getvalue())


def save_figure(figure, path: str | os.PathLike, dpi: int = 100) -> Path:
    """Saves a Matplotlib ``figure`` to ``path`` atomically (format from the suffix), closes it, returns the path."""
    import matplotlib.pyplot as plt

    path = Path(path)
    try:
        with atomic_file(path) as temporary:
            figure.savefig(temporary, dpi=dpi, format=path.suffix.lstrip(".") or None)
    finally:
        plt.close(figure)
    return path


@contextlib.contextmanager
def atomic_folder(final_dir: str | os.PathLike, replace: bool = False) -> Iterator[Path]:
    """Yields an empty hidden sibling folder; on success it is renamed to ``final_dir``.

    Args:
        final_dir: Where the finished folder appears.
        replace: Replace an existing ``final_dir``. The old folder is first moved aside to a hidden sibling and
            deleted only after the new one is in place. Without it an existing non-empty ``final_dir`` raises
            ``FileExistsError`` naming it (before anything is written); an empty one is replaced.

    On an exception the temporary folder is removed and ``final_dir`` is left as it was.
    """
    final_dir = Path(final_dir)
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    if final_dir.exists() and not replace and (not final_dir.is_dir() or any(final_dir.iterdir())):
        raise FileExistsError(f"{final_dir} already exists and is not an empty folder")
    temporary = Path(tempfile.mkdtemp(prefix=f"{TEMPORARY_PREFIX}{final_dir.name}-", dir=final_dir.parent))
    try:
        yield temporary
        old = None
        if final_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f"{TEMPORARY_PREFIX}old-{final_dir.name}-", dir=final_dir.parent))
            os.replace(final_dir, old / final_dir.name)
        os.replace(temporary, final_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary, ignore_errors=True)
