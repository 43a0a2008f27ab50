"""Output folders written as a whole: built under a hidden temporary name next to the target, then renamed into
place, so a reader never sees a half-written folder or a mixture of an old and a new set.

Example:
    >>> with staged_folder("synthetic_data", replace=True) as temporary:
    ...     write_challenge_layout(temporary, images, masks)
    >>> # synthetic_data now holds exactly what was written; the old contents are gone
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def staged_folder(out: str | os.PathLike, replace: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; on success it becomes ``out``.

    Args:
        out: The final folder. It may be missing or empty; a non-empty folder is replaced only with ``replace``.
        replace: Replace a non-empty ``out``. The old folder is renamed away first and deleted after the new one
            is in place, so ``out`` is at every moment either the complete old or the complete new folder (or,
            for the instant between the two renames, absent).

    Raises:
        ValueError: ``out`` is a file, or a non-empty folder and ``replace`` is False (checked before anything
            is written and again before the rename).
    On an exception inside the block the temporary folder is removed and ``out`` is left untouched.
    """
    out = Path(out)

    def check() -> None:
        if out.exists() and not out.is_dir():
            raise ValueError(f"{os.fspath(out)!r} is an existing file, not a folder")
        if out.is_dir() and any(out.iterdir()) and not replace:
            raise ValueError(f"{os.fspath(out)!r} is not empty; give a new or empty folder or replace=True")

    check()
    out.parent.mkdir(parents=True, exist_ok=True)
    # Same parent: the final rename stays on one file system and is atomic.
    temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        yield temporary
        check()
        old = None
        if out.is_dir():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.replace(out, old / out.name)  # an empty `out` is moved too: os.replace cannot overwrite a folder
        os.replace(temporary, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
