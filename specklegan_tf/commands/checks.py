"""File-system checks of command-line paths that run before TensorFlow starts (in the options' ``check_paths()``),
each naming the option or file it refuses; rules on values alone are in :mod:`specklegan_tf.core.validators`.

Example:
    >>> check_output_folder("--out", "synthetic_data", replace=False)   # ValueError if it holds files
"""
from __future__ import annotations

import os
from pathlib import Path


def check_not_a_file(option: str, path: str | os.PathLike) -> None:
    """An output folder must not name an existing file (refused up front instead of after the work)."""
    if Path(path).exists() and not Path(path).is_dir():
        raise ValueError(f"{option} {os.fspath(path)!r} is an existing file, not a folder; give a folder name")


def check_output_folder(option: str, path: str | os.PathLike, replace: bool) -> None:
    """An output folder that gets written as a whole: new, empty, or (with ``replace``) replaced.

    Raises:
        ValueError: ``path`` is a file, or a folder with files in it and ``replace`` is False.
    """
    check_not_a_file(option, path)
    folder = Path(path)
    if folder.is_dir() and any(folder.iterdir()) and not replace:
        raise ValueError(f"{option} {os.fspath(path)!r} is not empty; give a new or empty folder, or add "
                         f"--replace to replace its contents")


def check_exists(option: str, path: str | os.PathLike) -> None:
    if not os.path.exists(path):
        raise FileNotFoundError(f"{option} {os.fspath(path)!r} does not exist")
