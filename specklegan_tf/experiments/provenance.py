"""Where a result came from: package version, git commit (and whether the tree was dirty), machine, TensorFlow.

The paper reproduction writes this into its report so that a reader can tell which code produced which numbers.
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        completed = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout if completed.returncode == 0 else None


CODE_FOLDERS = ("specklegan_tf/", "train/")
"""Untracked files here count as changes: the run may have imported them."""


def git_state(path: str | os.PathLike | None = None) -> dict[str, Any]:
    """The git commit of the repository holding ``path`` (default: this package) and whether it was dirty.

    Returns:
        ``{"commit": str | None, "dirty": bool | None, "dirty_files": [...]}``; ``None`` values outside a
        repository or without git. ``dirty_files`` lists modified tracked files and untracked files in the code
        folders (``specklegan_tf/``, ``train/``), which a run may have imported; other untracked files are ignored.
    """
    root = Path(path) if path is not None else Path(__file__).resolve().parent
    commit = _git(["rev-parse", "HEAD"], root)
    if commit is None:
        return {"commit": None, "dirty": None, "dirty_files": []}
    top = (_git(["rev-parse", "--show-toplevel"], root) or "").strip()
    status = _git(["status", "--porcelain", "--untracked-files=all"], Path(top) if top else root) or ""
    files = []
    for line in status.splitlines():
        code, name = line[:2], line[3:]
        if code == "??" and not (name.startswith(CODE_FOLDERS) and name.endswith(".py")):
            continue
        files.append(name + (" (untracked)" if code == "??" else ""))
    return {"commit": commit.strip(), "dirty": bool(files), "dirty_files": files}


def machine_info() -> dict[str, Any]:
    """CPU count, platform, Python, TensorFlow and Keras versions, and the load average at the time of the call."""
    import keras
    import tensorflow as tf

    import specklegan_tf

    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": __import__("numpy").__version__,
        "gpus": len(tf.config.list_physical_devices("GPU")),
        "package_version": specklegan_tf.__version__,
        "load_average_1_5_15_min": None if load is None else [round(v, 2) for v in load],
    }
