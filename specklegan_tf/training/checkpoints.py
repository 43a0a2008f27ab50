"""Training checkpoints: the trainable's state plus the loop's counters, written so that a kill cannot damage them.

A checkpoint holds everything a resumed run needs to continue as if it had never stopped: the trainable's
``checkpoint_items()`` (models, optimizers with their slots and iteration counters, the models' random
``SeedGenerator`` states) and the loop's counters (completed epochs, global step, steps done in the current
epoch, best validation metric so far and its epoch). The data order is a function of (seed, epoch) and the step
within the epoch, so it needs no state of its own.

Why a kill cannot damage the previous checkpoint: ``tf.train.CheckpointManager`` writes the new checkpoint's data
and index files first and only then rewrites the small ``checkpoint`` state file, atomically (temporary file and
rename). A kill before the rename leaves the state file pointing at the previous, complete checkpoint (the
half-written files are overwritten by the next save of the same number); old checkpoints are deleted only after
the new one is complete.

Why a damaged folder still resumes: a disk that filled up, a copy cut short or a file system without ordered
writes can still leave a truncated ``.data`` file, an empty ``.index`` or a missing or garbage state file.
:meth:`TrainingCheckpoint.restore` therefore does not trust the state file: it checks the checkpoints newest first
and resumes from the newest one that reads back completely, saying which file was damaged
(``specklegan_tf.training.recovery`` has the rules).

Under ``MultiWorkerMirroredStrategy`` every worker must take part in a save (reading distributed variables may
need collective communication); non-chief workers write into a temporary folder that is removed right away.

Example:
    >>> keeper = TrainingCheckpoint("runs/demo/checkpoints", {"model": model, "optimizer": optimizer})
    >>> keeper.restore()      # None on a fresh run, else the restored checkpoint's path
    >>> keeper.epoch.assign(3); keeper.save()
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
from pathlib import Path
from typing import Any, Mapping

import tensorflow as tf

from specklegan_tf.training.faults import fault_point
from specklegan_tf.training.recovery import UnusableCheckpointsError, repair, scan_checkpoints

COUNTERS = ("epoch", "step", "step_in_epoch", "best_epoch")


class CheckpointMismatchError(ValueError):
    """The checkpoint in the run folder was written by a differently configured trainable."""


class TrainingCheckpoint:
    """Saves and restores a trainable's checkpoint items together with the loop counters.

    Args:
        directory: Folder of the checkpoints (``<run>/checkpoints``).
        items: Named trackables to save (models, optimizers, ...), e.g. ``trainable.checkpoint_items()``.
        chief: Whether this process keeps what it writes (see module docstring).
        worker_id: Index of this worker, names the temporary folder of a non-chief worker.
        max_to_keep: Number of recent checkpoints kept.

    Attributes:
        epoch: Completed epochs (int64 variable).
        step: Completed global training steps.
        step_in_epoch: Steps completed within the current (unfinished) epoch.
        best_metric: Best validation metric so far (NaN: none yet).
        best_epoch: Epoch (1-based) that reached ``best_metric`` (-1: none yet).
    """

    def __init__(self, directory: str | os.PathLike, items: Mapping[str, Any], *, chief: bool = True,
                 worker_id: int = 0, max_to_keep: int = 3) -> None:
        reserved = {"counters"} & set(items)
        if reserved:
            raise ValueError(f"items: the name 'counters' is reserved for the loop counters, got {sorted(items)}")
        self.directory = Path(directory)
        self.chief = chief
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.step_in_epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="step_in_epoch")
        self.best_metric = tf.Variable(math.nan, dtype=tf.float64, trainable=False, name="best_metric")
        self.best_epoch = tf.Variable(-1, dtype=tf.int64, trainable=False, name="best_epoch")
        counters = tf.train.Checkpoint(epoch=self.epoch, step=self.step, step_in_epoch=self.step_in_epoch,
                                       best_metric=self.best_metric, best_epoch=self.best_epoch)
        self.checkpoint = tf.train.Checkpoint(counters=counters, **items)
        self._write_directory = self.directory if chief else self.directory / f".worker-{worker_id}-tmp"
        self._max_to_keep = max_to_keep
        self._manager: tf.train.CheckpointManager | None = None
        # The manager reads the state file when it is created: created on the first save, after restore() has
        # repaired the folder, so that it deletes the right old checkpoints.
        self.messages: list[str] = []

    @property
    def manager(self) -> tf.train.CheckpointManager:
        if self._manager is None:
            self._manager = tf.train.CheckpointManager(self.checkpoint, str(self._write_directory),
                                                       max_to_keep=self._max_to_keep, checkpoint_name="ckpt")
        return self._manager

    @property
    def latest(self) -> str | None:
        """Path prefix of the newest complete checkpoint in ``directory`` (None if there is none)."""
        return tf.train.latest_checkpoint(str(self.directory))

    def restore(self) -> str | None:
        """Restore the newest intact checkpoint, if any; returns its path.

        Damaged newer checkpoints and a missing or garbage state file are reported in ``messages`` (each names
        the file) and, on the chief, repaired (see ``recovery.repair``). Variables not created yet (e.g. optimizer
        slots before the first step) are restored when they are created.

        Raises:
            UnusableCheckpointsError: checkpoint files exist but none of them can be read.
            CheckpointMismatchError: the checkpoint does not fit the trainable (other architecture or options).
        """
        scan = scan_checkpoints(self.directory)
        self.messages = scan.messages()
        if scan.chosen is None:
            if scan.has_files:
                raise UnusableCheckpointsError(scan.refusal())
            return None
        latest = os.fspath(scan.chosen)
        try:
            self.checkpoint.restore(latest).assert_existing_objects_matched()
        except (ValueError, AssertionError, tf.errors.InvalidArgumentError) as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise CheckpointMismatchError(
                f"The checkpoint {latest} does not match this configuration ({first_line[:300]}). Rerun with the "
                f"options of the original run (see config.yaml in the run folder) or choose another --out."
            ) from None
        if self.chief and scan.needs_repair:
            repair(scan)
        return latest

    def save(self) -> str | None:
        """Write a checkpoint numbered by the global step; returns its path on the chief, None elsewhere."""
        # The fault point runs after the files are written and before the manager records them in the state file
        # (write callbacks run in list order, the manager's own one last).
        options = tf.train.CheckpointOptions(experimental_write_callbacks=[lambda _: fault_point("checkpoint_write")])
        path = self.manager.save(checkpoint_number=int(self.step.numpy()), options=options)
        if not self.chief:
            shutil.rmtree(self._write_directory, ignore_errors=True)
            return None
        return path

    def counters(self) -> dict[str, float | int]:
        """The current counter values as Python numbers."""
        values: dict[str, float | int] = {name: int(getattr(self, name).numpy()) for name in COUNTERS}
        values["best_metric"] = float(self.best_metric.numpy())
        return values


def read_counters(directory: str | os.PathLike, messages: list[str] | None = None) -> dict[str, float | int] | None:
    """The loop counters of the newest checkpoint in ``directory``, read without building any model.

    Returns None when there is no checkpoint. Used to report a finished run without loading data or models. The
    newest checkpoint that reads back completely is used (a missing state file or a damaged newest checkpoint do
    not hide the others; see ``specklegan_tf.training.recovery``). What was wrong is appended to ``messages``
    (the files are not touched).

    Raises:
        UnusableCheckpointsError: checkpoint files exist but none of them can be read.
    """
    scan = scan_checkpoints(directory)
    if messages is not None:
        messages.extend(scan.messages(repairing=False))
    if scan.chosen is None:
        if scan.has_files:
            raise UnusableCheckpointsError(scan.refusal())
        return None
    latest = os.fspath(scan.chosen)
    reader = tf.train.load_checkpoint(latest)
    values: dict[str, float | int] = {}
    for name in (*COUNTERS, "best_metric"):
        value = reader.get_tensor(f"counters/{name}/.ATTRIBUTES/VARIABLE_VALUE")
        values[name] = float(value) if name == "best_metric" else int(value)
    values["path"] = latest  # type: ignore[assignment]
    return values


def weights_digest(items: Mapping[str, Any]) -> str:
    """SHA-256 over the weights of every Keras layer/model among ``items`` (in name order), as hex.

    Two processes have bit-identical weights exactly when their digests agree: the check that the workers of a
    multi-worker run stayed in sync, and that a resumed deterministic run equals an uninterrupted one.
    """
    import keras  # Local: only the layer type is needed.

    digest = hashlib.sha256()
    for name in sorted(items):
        item = items[name]
        if isinstance(item, keras.layers.Layer):
            for weight in item.weights:
                digest.update(weight.path.encode())
                digest.update(keras.ops.convert_to_numpy(weight.value).tobytes())
    return digest.hexdigest()
