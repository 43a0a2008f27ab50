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
from pathlib import Path
from typing import Iterator

from specklegan_tf.core.atomic_files import atomic_folder


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

    The staging and the renames are :func:`specklegan_tf.core.atomic_files.atomic_folder`'s; this adds the
    checks above, with a ``ValueError`` that the commands report as an option error, and refuses to replace a
    file even with ``replace``.
    """
    out = Path(out)

    def check() -> None:
        if out.exists() and not out.is_dir():
            raise ValueError(f"{os.fspath(out)!r} is an existing file, not a folder")
        if out.is_dir() and any(out.iterdir()) and not replace:
            raise ValueError(f"{os.fspath(out)!r} is not empty; give a new or empty folder or replace=True")

    check()
    # replace=True: the rule on what may be replaced is check()'s, made again before the rename, because another
    # process may have filled or created ``out`` while the block ran.
    with atomic_folder(out, replace=True) as temporary:
        yield temporary
        check()
