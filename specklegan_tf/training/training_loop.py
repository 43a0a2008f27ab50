"""The pieces of the distributed training loop: the step function, one epoch's data, the epochs themselves.

:func:`~specklegan_tf.training.runner.run_training` restores the checkpoint and decides where to start;
:class:`EpochLoop` then trains the remaining epochs: the steps with their NaN check, TensorBoard scalars and
progress bar, the mid-epoch checkpoints, and at each epoch's end the validation, the best value, the checkpoint
and the ``history.jsonl`` record. The protocols it relies on are described in the ``runner`` module docstring.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Mapping

import numpy as np
import tensorflow as tf

from specklegan_tf.core.atomic_files import write_text
from specklegan_tf.training.checkpoints import TrainingCheckpoint
from specklegan_tf.training.faults import fault_point
from specklegan_tf.training.progress import ProgressBar
from specklegan_tf.training.run_types import NonFiniteLossError, Trainable, TrainingContext
from specklegan_tf.training.summaries import SummaryWriter, learning_rates


def epoch_seed(seed: int, epoch: int) -> int:
    """The data seed of one epoch: a fixed function of (run seed, epoch), so a resumed epoch repeats its order.

    Use it in ``make_dataset`` for shuffling and augmentation.
    """
    return int(np.random.SeedSequence([int(seed), int(epoch)]).generate_state(1)[0] & 0x7FFFFFFF)


@dataclass
class LoopOptions:
    """The options of :func:`~specklegan_tf.training.runner.run_training` that shape the loop (see there)."""

    epochs: int
    steps_per_epoch: int
    checkpoint_every_steps: int = 0
    keep_checkpoints: int = 3
    validate: Callable[[TrainingContext], Mapping[str, float]] | None = None
    val_every: int = 1
    monitor: str | None = None
    mode: str = "min"
    on_improvement: Callable[[TrainingContext, Mapping[str, float]], None] | None = None
    on_epoch_end: Callable[[TrainingContext], None] | None = None
    jit_compile: bool = False
    log_every_steps: int = 1
    progress_keys: tuple[str, ...] | None = None
    run_outputs: tuple[str, ...] = ()

    def check(self) -> None:
        """Raises ValueError naming the first bad option."""
        for name in ("epochs", "steps_per_epoch", "val_every", "keep_checkpoints", "log_every_steps"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.checkpoint_every_steps < 0:
            raise ValueError(f"checkpoint_every_steps must not be negative, got {self.checkpoint_every_steps}")
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {self.mode!r}")

    def validates_after(self, epoch: int) -> bool:
        """Whether validation runs after 1-based ``epoch``: every ``val_every`` epochs and after the last."""
        return self.validate is not None and (epoch % self.val_every == 0 or epoch == self.epochs)


def make_step_function(strategy: tf.distribute.Strategy, trainable: Trainable,
                       jit_compile: bool = False) -> Callable[[Any], dict[str, tf.Tensor]]:
    """A ``tf.function`` that takes the next batch from a distributed iterator, runs ``train_step`` on every
    replica and returns the replica-averaged outputs.

    Args:
        strategy: The strategy the trainable was created under.
        trainable: Object with ``train_step(batch) -> dict``.
        jit_compile: XLA-compile the per-replica step.
    """
    replica_step = trainable.train_step
    if jit_compile:
        replica_step = tf.function(replica_step, jit_compile=True)

    @tf.function
    def step(iterator):
        outputs = strategy.run(replica_step, args=(next(iterator),))
        return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
                for name, value in outputs.items()}

    return step


def distributed_epoch(strategy: tf.distribute.Strategy, make_dataset: Callable, epoch: int, skip_steps: int):
    """The distributed data set of one epoch, without its first ``skip_steps`` global steps."""

    def dataset_fn(input_context: tf.distribute.InputContext) -> tf.data.Dataset:
        dataset = make_dataset(epoch, input_context)
        if not isinstance(dataset, tf.data.Dataset):
            raise TypeError(f"make_dataset must return a tf.data.Dataset, got {type(dataset).__name__}")
        # One global step takes one batch per local replica from this pipeline.
        local_replicas = input_context.num_replicas_in_sync // input_context.num_input_pipelines
        return dataset.skip(skip_steps * local_replicas) if skip_steps else dataset

    return strategy.distribute_datasets_from_function(dataset_fn)


def improved(value: float, best: float, mode: str) -> bool:
    """Whether a finite ``value`` beats ``best`` (NaN: nothing yet) in ``mode`` ``min`` or ``max``."""
    if not math.isfinite(value):
        return False
    if math.isnan(best):
        return True
    return value < best if mode == "min" else value > best


def write_history(path: Path, record: dict[str, Any]) -> None:
    """Append an epoch record to ``history.jsonl``, replacing records of the same or later epochs (a resumed run
    repeats the interrupted epoch); written atomically."""
    records = []
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                try:
                    previous = json.loads(line)
                except json.JSONDecodeError:  # A line cut by a kill before the atomic writes: drop it.
                    continue
                if previous.get("epoch", 0) < record["epoch"]:
                    records.append(previous)
    records.append(record)
    write_text(path, "".join(json.dumps(r) + "\n" for r in records))


class EpochLoop:
    """Trains the epochs left of a run whose checkpoint ``keeper`` has been restored (see the module docstring).

    Attributes after :meth:`run`: ``history`` (this call's epoch records) and ``steps_this_call``.
    """

    def __init__(self, options: LoopOptions, trainable: Trainable, items: dict[str, Any],
                 keeper: TrainingCheckpoint, make_dataset: Callable, run_dir: Path,
                 strategy: tf.distribute.Strategy, chief: bool, log: Callable[[str], None],
                 stream: IO[str] | None) -> None:
        self.options, self.trainable, self.items, self.keeper = options, trainable, items, keeper
        self.make_dataset, self.run_dir, self.strategy = make_dataset, run_dir, strategy
        self.chief, self.log, self.stream = chief, log, stream
        self.writer = SummaryWriter(run_dir / "logs", enabled=chief)
        self.step_function = make_step_function(strategy, trainable, options.jit_compile)
        self.history: list[dict[str, Any]] = []
        self.steps_this_call = 0

    def context(self) -> TrainingContext:
        return TrainingContext(trainable=self.trainable, run_dir=self.run_dir, epoch=int(self.keeper.epoch.numpy()),
                               step=int(self.keeper.step.numpy()), chief=self.chief, strategy=self.strategy,
                               writer=self.writer)

    def run(self, start_epoch: int, start_step_in_epoch: int) -> None:
        """Epochs ``start_epoch`` (0-based; its first ``start_step_in_epoch`` steps are done) to the last."""
        steps_left = (self.options.epochs - start_epoch) * self.options.steps_per_epoch - start_step_in_epoch
        try:
            for epoch in range(start_epoch, self.options.epochs):
                skip = start_step_in_epoch if epoch == start_epoch else 0
                self.run_epoch(epoch, skip, steps_left - self.steps_this_call)
        finally:
            self.writer.flush()

    def run_epoch(self, epoch: int, skip: int, run_steps: int) -> None:
        """One epoch (0-based ``epoch``) from step ``skip``; ``run_steps``: steps left in this call (for the ETA)."""
        epoch_started = time.perf_counter()
        iterator = iter(distributed_epoch(self.strategy, self.make_dataset, epoch, skip))
        bar = ProgressBar(self.options.steps_per_epoch, epoch + 1, self.options.epochs, steps_before=skip,
                          run_steps=run_steps, stream=self.stream, enabled=self.chief)
        sums: dict[str, float] = {}
        for step_in_epoch in range(skip, self.options.steps_per_epoch):
            self._step(iterator, epoch, step_in_epoch, sums, bar)
        self._end_epoch(epoch, skip, sums, epoch_started, bar)

    def _step(self, iterator, epoch: int, step_in_epoch: int, sums: dict[str, float], bar: ProgressBar) -> None:
        options, keeper = self.options, self.keeper
        outputs = self.step_function(iterator)
        fault_point("step")
        values = {name: float(value) for name, value in outputs.items()}
        self._check_finite(values, epoch, step_in_epoch)
        keeper.step.assign_add(1)
        keeper.step_in_epoch.assign(step_in_epoch + 1)
        self.steps_this_call += 1
        global_step = int(keeper.step.numpy())
        for name, value in values.items():
            sums[name] = sums.get(name, 0.0) + value
        if global_step % options.log_every_steps == 0:
            self.writer.scalars(values, global_step, prefix="train/")
            self.writer.scalars(learning_rates(self.items), global_step, prefix="learning_rate/")
        shown = {k: v for k, v in values.items() if options.progress_keys is None or k in options.progress_keys}
        bar.update(step_in_epoch + 1, shown)
        if (options.checkpoint_every_steps and global_step % options.checkpoint_every_steps == 0
                and step_in_epoch + 1 < options.steps_per_epoch):
            path = keeper.save()
            self.log(f"checkpoint {path} (epoch {epoch + 1}, step {step_in_epoch + 1}, global step {global_step})")

    def _check_finite(self, values: dict[str, float], epoch: int, step_in_epoch: int) -> None:
        bad = {name: value for name, value in values.items() if not math.isfinite(value)}
        if bad:
            raise NonFiniteLossError(
                f"Training stopped: non-finite {', '.join(f'{k} = {v}' for k, v in bad.items())} at epoch "
                f"{epoch + 1}, step {step_in_epoch + 1} (global step {int(self.keeper.step.numpy()) + 1}). "
                f"Nothing was saved after it; the last good checkpoint is kept: "
                f"{self.keeper.latest or 'none yet (the run starts from scratch)'}. Lower the learning rate "
                f"or check the data, then rerun to resume from that checkpoint.")

    def _end_epoch(self, epoch: int, skip: int, sums: dict[str, float], epoch_started: float,
                   bar: ProgressBar) -> None:
        keeper = self.keeper
        keeper.epoch.assign(epoch + 1)
        keeper.step_in_epoch.assign(0)
        done_here = self.options.steps_per_epoch - skip
        means = {name: total / done_here for name, total in sums.items()}
        record: dict[str, Any] = {"epoch": epoch + 1, "step": int(keeper.step.numpy()),
                                  "seconds": round(time.perf_counter() - epoch_started, 3), "train": means}
        self.writer.scalars(means, epoch + 1, prefix="epoch/")
        summary = self._validate(epoch + 1, record) if self.options.validates_after(epoch + 1) else ""
        if self.options.on_epoch_end is not None:
            self.options.on_epoch_end(self.context())
        path = keeper.save()
        self.writer.flush()
        self.history.append(record)
        if self.chief:
            write_history(self.run_dir / "history.jsonl", record)
        bar.close((summary + "; " if summary else "") + f"checkpoint {path}")

    def _validate(self, epoch: int, record: dict[str, Any]) -> str:
        """Validation after 1-based ``epoch`` (chief only): logs it, tracks the best value; returns the summary."""
        options, keeper = self.options, self.keeper
        metrics = dict(options.validate(self.context())) if self.chief else {}
        if not metrics:
            return ""
        record["validation"] = metrics
        self.writer.scalars(metrics, int(keeper.step.numpy()), prefix="validation/")
        key = options.monitor or next(iter(metrics))
        if key not in metrics:
            raise KeyError(f"monitor {key!r} is not among the validation results {sorted(metrics)}")
        if improved(float(metrics[key]), float(keeper.best_metric.numpy()), options.mode):
            keeper.best_metric.assign(float(metrics[key]))
            keeper.best_epoch.assign(epoch)
            if options.on_improvement is not None:
                options.on_improvement(self.context(), metrics)
        fault_point("validation")
        return (", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
                + f" (best {key} {float(keeper.best_metric.numpy()):.4g} at epoch {int(keeper.best_epoch.numpy())})")
