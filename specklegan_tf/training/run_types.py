"""The types of the training loop: the trainable protocol, the callbacks' context and a run's result.

Importable without TensorFlow (the annotations are strings), so that code which only inspects results or writes
callbacks does not start it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Protocol

if TYPE_CHECKING:
    import tensorflow as tf

    from specklegan_tf.training.summaries import SummaryWriter


class Trainable(Protocol):
    """What :func:`~specklegan_tf.training.runner.run_training` trains (see the ``runner`` module docstring)."""

    def train_step(self, batch: Any) -> Mapping[str, tf.Tensor]: ...

    def checkpoint_items(self) -> Mapping[str, Any]: ...


class NonFiniteLossError(RuntimeError):
    """A training step returned NaN or infinity; the last good checkpoint was kept."""


@dataclass
class TrainingContext:
    """What callbacks see: the run, the position in it, and where to write.

    Attributes:
        trainable: The object being trained.
        run_dir: The run folder.
        epoch: Number of completed epochs (1-based number of the epoch that just ended).
        step: Completed global steps.
        chief: Whether this process writes files.
        strategy: The distribution strategy.
        writer: TensorBoard writer (a no-op on non-chief workers).
    """

    trainable: Any
    run_dir: Path
    epoch: int
    step: int
    chief: bool
    strategy: tf.distribute.Strategy
    writer: SummaryWriter


@dataclass
class RunResult:
    """What a call of :func:`~specklegan_tf.training.runner.run_training` did.

    Attributes:
        trainable: The trained object (restored from the last checkpoint if the run had already finished).
        run_dir: The run folder.
        epochs_done: Completed epochs in total.
        steps_done: Completed global steps in total.
        resumed_from: The checkpoint training continued from (None: a fresh start).
        already_finished: True when the checkpoint had already reached ``epochs``: nothing was trained.
        best_metric: Best monitored validation value so far (None if none).
        best_epoch: Its epoch (None if none).
        history: Per-epoch records of this call (epoch, step, seconds, train means, validation values).
        seconds: Wall time of this call's training loop.
        steps_this_call: Steps trained by this call.
        weights_digest: SHA-256 of the models' weights at the end (see ``checkpoints.weights_digest``); equal on
            all workers of a multi-worker run.
    """

    trainable: Any
    run_dir: Path
    epochs_done: int
    steps_done: int
    resumed_from: str | None
    already_finished: bool
    best_metric: float | None
    best_epoch: int | None
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    steps_this_call: int = 0
    weights_digest: str = ""
