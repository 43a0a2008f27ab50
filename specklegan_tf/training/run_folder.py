"""Opening a trainer's run folder: its lock, the checks before any long work, and ``--restart``.

Shared by ``fit_gan.py`` and ``fit_segmentation.py`` (the loop itself, ``runner.run_training``, takes the same lock
again, which nests). The order matters: the lock first (a second process must not even read a folder another one
is writing), then ``--restart`` moves the previous run aside, then the trainers' resume checks.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from specklegan_tf.training.folder_lock import LOCK_FILE, FolderLock
from specklegan_tf.training.recovery import UnusableCheckpointsError, checkpoint_numbers

PREVIOUS_PREFIX = "previous-"


def same_setting(key: str, value, saved) -> bool:
    """Whether a resumed run's option equals the run folder's: paths compare as canonical paths (``DIR/`` is
    ``DIR``, a relative path is the absolute one), everything else by value."""
    if key in ("data", "pretrain") and isinstance(value, str) and isinstance(saved, str) and "phantom" not in (
            value, saved):
        return os.path.realpath(value) == os.path.realpath(saved)
    return value == saved


def refuse_fresh_start_over_outputs(run_dir: Path, run_outputs: tuple[str, ...] = ()) -> None:
    """Refuse when ``run_dir`` holds a trained run's outputs but no checkpoint files at all.

    ``history.jsonl`` (written by the loop after every epoch) and ``run_outputs`` (e.g. ``generator_best.keras``)
    are such outputs: a run started from step 0 there would overwrite them without a word.

    Raises:
        UnusableCheckpointsError: naming the files found.
    """
    run_dir = Path(run_dir)
    if checkpoint_numbers(run_dir / "checkpoints"):
        return  # checkpoint files exist: the checkpoint recovery decides (it refuses when none can be read)
    found = [name for name in ("history.jsonl", *run_outputs) if (run_dir / name).exists()]
    if found:
        raise UnusableCheckpointsError(
            f"{run_dir} holds the outputs of a trained run ({', '.join(found)}) but no checkpoint in "
            f"{run_dir / 'checkpoints'}. Starting from step 0 would overwrite them, so nothing was changed. "
            f"Restore the checkpoints, choose another --out, or rerun with --restart to start the training again "
            f"(the old files are moved aside).")


def move_previous_run_aside(run_dir: Path) -> Path | None:
    """Move everything in ``run_dir`` but its lock and earlier ``previous-*`` folders into ``previous-<k>/``.

    Returns:
        The folder the files went to, or None when there was nothing to move.
    """
    entries = [p for p in sorted(run_dir.iterdir()) if p.name != LOCK_FILE and not p.name.startswith(PREVIOUS_PREFIX)]
    if not entries:
        return None
    number = 1
    while (run_dir / f"{PREVIOUS_PREFIX}{number}").exists():
        number += 1
    target = run_dir / f"{PREVIOUS_PREFIX}{number}"
    target.mkdir()
    for path in entries:
        os.replace(path, target / path.name)
    return target


def restart_export_note(export_dir: str | os.PathLike, name: str) -> str:
    """What ``--restart`` does to a trainer's exports, for :func:`open_run_folder`'s message: the SavedModel
    versions in ``<export_dir>/<name>`` stay, the new run adds one and replaces ``<export_dir>/<name>.keras``."""
    return (f"Exports are never overwritten: the previous ones in {Path(export_dir) / name} stay and this run adds "
            f"a new version (TF Serving serves the newest) and replaces {Path(export_dir) / (name + '.keras')}.")


def open_run_folder(run_dir: str | os.PathLike, *, chief: bool, restart: bool, log: Callable[[str], None],
                    export_note: str = "") -> FolderLock | None:
    """Lock ``run_dir`` (chief only) and carry out ``--restart``; returns the lock (None on other workers).

    Args:
        run_dir: The run folder.
        chief: Whether this process writes files (the other workers of a multi-worker run only read).
        restart: Start the training again from step 0: the previous run's files are moved to
            ``previous-<k>/`` (nothing is deleted) and ``log`` says so, with ``export_note``.
        log: Where messages go.
        export_note: What will happen to the previous run's exports (the trainer knows its export paths).

    Raises:
        FolderLockedError: another live process holds the folder.
    """
    run_dir = Path(run_dir)
    if not chief:
        return None
    lock = FolderLock(run_dir, "run folder").acquire()
    try:
        if lock.stale_message():
            log(lock.stale_message())
        if restart:
            moved = move_previous_run_aside(run_dir)
            if moved is None:
                log(f"--restart: {run_dir} holds no previous run; starting from step 0.")
            else:
                log(f"--restart: starting again from step 0. The previous run's files (checkpoints, history, "
                    f"best and final models, records) were moved to {moved}; nothing was deleted. {export_note}")
    except BaseException:
        lock.release()
        raise
    return lock
