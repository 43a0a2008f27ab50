"""Checks of command-line values that run before TensorFlow starts, each naming the option or file it refuses.

Example:
    >>> parser.add_argument("--batch-size", type=at_least(1), default=16)
    >>> check_output_folder("--out", "synthetic_data", replace=False)   # ValueError if it holds files
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """``--help`` with every option's default and the description and examples kept as written."""


def at_least(minimum: int):
    """An argparse ``type`` for integers ``>= minimum``; argparse names the option in its error message
    (``argument --batch-size: must be at least 1, got 0``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if value < minimum:
            rule = "must not be negative" if minimum == 0 else f"must be at least {minimum}"
            raise argparse.ArgumentTypeError(f"{rule}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


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
