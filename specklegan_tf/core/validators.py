"""Rules on option values, each written once; every error names the option (``--image-size``) and the value.

The trainers' configurations, the budgets, the commands and the model builders all call these, so a rule such as
"a power of two from 32 to 512" has one wording and one implementation.

Example:
    >>> power_of_two(64, "image_size")
    64
    >>> power_of_two(48, "image_size")
    Traceback (most recent call last):
    ...
    ValueError: --image-size must be a power of two from 32 to 512, got 48
"""
from __future__ import annotations

import os
from typing import Any


def option_name(key: str) -> str:
    """The command-line spelling of a configuration key: ``image_size`` -> ``--image-size``.

    A key that already looks like an option (``--n``) or names an argument (`` `image_size` ``) is kept.
    """
    if key.startswith("-") or key.startswith("`"):
        return key
    return "--" + key.replace("_", "-")


def require(condition: bool, key: str, problem: str, value: Any) -> None:
    """Raises ``ValueError("<option> <problem>, got <value>")`` unless ``condition`` holds."""
    if not condition:
        raise ValueError(f"{option_name(key)} {problem}, got {value!r}")


def power_of_two(value: Any, key: str, low: int = 32, high: int | None = 512) -> int:
    """``value`` if it is an int power of two in ``[low, high]`` (no upper bound when ``high`` is None)."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low and value & (value - 1) == 0
    ok = ok and (high is None or value <= high)
    span = f"from {low} to {high}" if high is not None else f"from {low}"
    require(ok, key, f"must be a power of two {span}", value)
    return value


def at_least(value: Any, key: str, low: int | float) -> Any:
    """``value`` if it is a number not below ``low``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= low
    require(ok, key, "must not be negative" if low == 0 else f"must be at least {low}", value)
    return value


def one_of(value: Any, key: str, choices) -> Any:
    """``value`` if it is one of ``choices``."""
    require(value in tuple(choices), key, f"must be one of {', '.join(map(str, choices))}", value)
    return value


def plain_folder_name(value: Any, key: str) -> str:
    """``value`` if it can name a folder: not empty, not hidden, no path separator, no surrounding spaces.

    Run and export names become folders (``runs/<name>``, ``<export_dir>/<name>``); hidden names are reserved for
    temporary folders, which TF Serving and the package's own scans skip.
    """
    ok = (isinstance(value, str) and bool(value) and not value.startswith(".") and "/" not in value
          and os.sep not in value and "\0" not in value and value.strip() == value)
    require(ok, key, "must be a plain folder name (not empty, not starting with '.', no '/', no surrounding "
                     "spaces)", value)
    return value


def not_a_file(value: Any, key: str) -> Any:
    """``value`` (a path or None) unless it names an existing file where a folder is expected."""
    from pathlib import Path

    require(value is None or not Path(value).exists() or Path(value).is_dir(), key,
            "is an existing file, not a folder", value)
    return value
