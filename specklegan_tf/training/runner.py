"""The generic distributed training loop shared by the GAN and the segmentation trainers.

Why a custom loop: ``model.fit`` under ``MultiWorkerMirroredStrategy`` fails in Keras 3.15 (keras-team/keras#20585),
while a ``tf.function`` that calls ``strategy.run(trainable.train_step, ...)`` works for every strategy (one
device, ``MirroredStrategy``, ``MultiWorkerMirroredStrategy``), and it lets the loop own checkpoints and resume.

The trainable protocol (what :func:`run_training` needs from the object ``make_trainable()`` returns):

- ``train_step(batch) -> dict[str, scalar tensor]``: one optimisation step on a *per-replica* batch, as yielded
  by the data set. Losses used for gradients are divided by the *global* batch size
  (``tf.nn.compute_average_loss``) so that the gradients summed over replicas are those of the global mean. The
  returned values are per-replica *means* (e.g. the local mean loss); the loop averages them over replicas
  (``ReduceOp.MEAN``), logs them, and stops training when one is NaN or infinite.
- ``checkpoint_items() -> dict[str, trackable]``: everything a checkpoint must hold to resume exactly: the
  models, the optimizers (their variables should exist already, e.g. built in ``compile``) and the states of
  the trainable's own random ``SeedGenerator``s. Keras optimizers found among the items get their current
  learning rate logged.
- ``make_trainable()`` is called inside ``strategy.scope()``, so the models and optimizers it creates are
  distributed variables.

The data protocol: ``make_dataset(epoch, input_context) -> tf.data.Dataset`` gives the batches of epoch
``epoch`` (0-based) for one input pipeline, batched with the per-replica batch size
(``input_context.get_per_replica_batch_size(global_batch)``) and sharded by ``input_context``, with at least
``steps_per_epoch`` batches per local replica (e.g. ``repeat()``). Its order and augmentation must be a function of
(seed, epoch) only: on resume the loop rebuilds the epoch's data set and skips the batches already trained on,
so a resumed run sees exactly the batches an uninterrupted one would.

Callbacks (all optional) receive a :class:`TrainingContext`:

- ``validate(context) -> dict[str, float]``, every ``val_every`` epochs and after the last, on the chief only
  (it must not use collective operations); its values are logged under ``validation/``;
- ``on_improvement(context, metrics)`` when ``metrics[monitor]`` beats the best so far (``mode`` min or max),
  e.g. to save the best generator; the best value and epoch are part of the checkpoint;
- ``on_epoch_end(context)`` on every worker after each epoch, before the checkpoint is written.

Example:
    >>> result = run_training(make_trainable, make_dataset, epochs=10, steps_per_epoch=50,
    ...                       run_dir="runs/demo", strategy=tf.distribute.get_strategy())
    >>> result.epochs_done, result.resumed_from
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Mapping, Protocol

import numpy as np
import tensorflow as tf

from specklegan_tf.training.checkpoints import TrainingCheckpoint, weights_digest
from specklegan_tf.training.faults import fault_point
from specklegan_tf.training.folder_lock import FolderLock
from specklegan_tf.training.run_folder import refuse_fresh_start_over_outputs
from specklegan_tf.training.progress import ProgressBar, format_duration
from specklegan_tf.training.strategy import describe, is_chief, worker_identity
from specklegan_tf.training.summaries import SummaryWriter, learning_rates


def epoch_seed(seed: int, epoch: int) -> int:
    """The data seed of one epoch: a fixed function of (run seed, epoch), so a resumed epoch repeats its order.

    Use it in ``make_dataset`` for shuffling and augmentation.
    """
    return int(np.random.SeedSequence([int(seed), int(epoch)]).generate_state(1)[0] & 0x7FFFFFFF)


class Trainable(Protocol):
    """What :func:`run_training` trains (see the module docstring)."""

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
    """What a call of :func:`run_training` did.

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


def _console(stream: IO[str] | None, enabled: bool) -> Callable[[str], None]:
    def log(message: str) -> None:
        if enabled:
            print(message, file=stream or sys.stdout, flush=True)

    return log


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


def _distributed_epoch(strategy: tf.distribute.Strategy, make_dataset: Callable, epoch: int, skip_steps: int):
    """The distributed data set of one epoch, without its first ``skip_steps`` global steps."""

    def dataset_fn(input_context: tf.distribute.InputContext) -> tf.data.Dataset:
        dataset = make_dataset(epoch, input_context)
        if not isinstance(dataset, tf.data.Dataset):
            raise TypeError(f"make_dataset must return a tf.data.Dataset, got {type(dataset).__name__}")
        # One global step takes one batch per local replica from this pipeline.
        local_replicas = input_context.num_replicas_in_sync // input_context.num_input_pipelines
        return dataset.skip(skip_steps * local_replicas) if skip_steps else dataset

    return strategy.distribute_datasets_from_function(dataset_fn)


def _improved(value: float, best: float, mode: str) -> bool:
    if not math.isfinite(value):
        return False
    if math.isnan(best):
        return True
    return value < best if mode == "min" else value > best


def _write_history(path: Path, record: dict[str, Any]) -> None:
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
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("".join(json.dumps(r) + "\n" for r in records))
    os.replace(temporary, path)


def run_training(
    make_trainable: Callable[[], Trainable],
    make_dataset: Callable[[int, tf.distribute.InputContext], tf.data.Dataset],
    *,
    epochs: int,
    steps_per_epoch: int,
    run_dir: str | os.PathLike,
    strategy: tf.distribute.Strategy | None = None,
    checkpoint_every_steps: int = 0,
    keep_checkpoints: int = 3,
    validate: Callable[[TrainingContext], Mapping[str, float]] | None = None,
    val_every: int = 1,
    monitor: str | None = None,
    mode: str = "min",
    on_improvement: Callable[[TrainingContext, Mapping[str, float]], None] | None = None,
    on_epoch_end: Callable[[TrainingContext], None] | None = None,
    jit_compile: bool = False,
    log_every_steps: int = 1,
    progress_keys: tuple[str, ...] | None = None,
    stream: IO[str] | None = None,
    run_outputs: tuple[str, ...] = (),
) -> RunResult:
    """Train a trainable for ``epochs`` epochs under a strategy, resuming from the run folder's last checkpoint.

    Args:
        make_trainable: Creates the trainable (models and built optimizers); called inside ``strategy.scope()``.
        make_dataset: ``(epoch, input_context) -> tf.data.Dataset`` (see the module docstring).
        epochs: Total epochs of the run (a restored run continues up to this number).
        steps_per_epoch: Global steps per epoch.
        run_dir: The run folder: ``checkpoints/``, ``logs/`` and ``history.jsonl`` are written there.
        strategy: The distribution strategy (default: the current one).
        checkpoint_every_steps: Also checkpoint every this many global steps inside an epoch (0: epoch ends only).
        keep_checkpoints: Number of recent checkpoints kept.
        validate: Validation callback (chief only), see the module docstring.
        val_every: Validate every this many epochs (and after the last one).
        monitor: Key of the validation result whose best value is tracked (None: the first key).
        mode: ``min`` or ``max``: whether a smaller or a larger ``monitor`` value is better.
        on_improvement: Called (chief only) when the monitored value improves.
        on_epoch_end: Called on every worker after each epoch, before the checkpoint.
        jit_compile: XLA-compile the per-replica step.
        log_every_steps: TensorBoard step scalars every this many steps.
        progress_keys: Step outputs shown in the progress bar (default: all).
        stream: Where progress and messages go (default: stderr for the bar, stdout for messages).
        run_outputs: Files in ``run_dir`` that only a trained run writes (e.g. ``generator_best.keras``): like
            ``history.jsonl``, their presence without a checkpoint refuses a start from step 0.

    The chief locks ``run_dir`` (``folder_lock.FolderLock``) for the whole call.

    Returns:
        A :class:`RunResult`.

    Raises:
        NonFiniteLossError: a step returned NaN or infinity. Nothing is saved after that step, so the last good
            checkpoint stays the newest one.
        CheckpointMismatchError: the run folder holds a checkpoint of a different trainable.
        UnusableCheckpointsError: the run folder holds checkpoint files none of which can be read, or a trained
            run's outputs without any checkpoint (starting from step 0 would overwrite them).
        FolderLockedError: another process holds ``run_dir``.
        ValueError: bad arguments.
    """
    for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch), ("val_every", val_every),
                        ("keep_checkpoints", keep_checkpoints), ("log_every_steps", log_every_steps)):
        if int(value) < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    if checkpoint_every_steps < 0:
        raise ValueError(f"checkpoint_every_steps must not be negative, got {checkpoint_every_steps}")
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    strategy = strategy or tf.distribute.get_strategy()
    run_dir = Path(run_dir)
    chief = is_chief(strategy)
    _, worker_id = worker_identity(strategy)
    log = _console(stream, chief)
    lock = FolderLock(run_dir, "run folder").acquire() if chief else None
    try:
        return _run_locked(make_trainable, make_dataset, epochs, steps_per_epoch, run_dir, strategy,
                           checkpoint_every_steps, keep_checkpoints, validate, val_every, monitor, mode,
                           on_improvement, on_epoch_end, jit_compile, log_every_steps, progress_keys, stream,
                           run_outputs, chief, worker_id, log, lock)
    finally:
        if lock is not None:
            lock.release()


def _run_locked(make_trainable, make_dataset, epochs, steps_per_epoch, run_dir, strategy, checkpoint_every_steps,
                keep_checkpoints, validate, val_every, monitor, mode, on_improvement, on_epoch_end, jit_compile,
                log_every_steps, progress_keys, stream, run_outputs, chief, worker_id, log, lock) -> RunResult:
    """The body of :func:`run_training`, run while the chief holds the run folder's lock."""
    if lock is not None and lock.stale_message():
        log(lock.stale_message())
    with strategy.scope():
        trainable = make_trainable()
        items = dict(trainable.checkpoint_items())
    keeper = TrainingCheckpoint(run_dir / "checkpoints", items, chief=chief, worker_id=worker_id,
                                max_to_keep=keep_checkpoints)
    resumed_from = keeper.restore()
    for message in keeper.messages:
        log(message)
    if resumed_from is None:
        refuse_fresh_start_over_outputs(run_dir, tuple(run_outputs))
    start_epoch, start_step_in_epoch = int(keeper.epoch.numpy()), int(keeper.step_in_epoch.numpy())

    def result(history: list[dict[str, Any]], seconds: float, steps: int, finished: bool) -> RunResult:
        best = float(keeper.best_metric.numpy())
        return RunResult(trainable=trainable, run_dir=run_dir, epochs_done=int(keeper.epoch.numpy()),
                         steps_done=int(keeper.step.numpy()), resumed_from=resumed_from, already_finished=finished,
                         best_metric=None if math.isnan(best) else best,
                         best_epoch=None if int(keeper.best_epoch.numpy()) < 0 else int(keeper.best_epoch.numpy()),
                         history=history, seconds=seconds, steps_this_call=steps,
                         weights_digest=weights_digest(items))

    if start_epoch >= epochs:
        log(f"This run has already finished: {start_epoch} of {epochs} epochs are done (checkpoint {resumed_from}). "
            f"Nothing to do; raise --epochs to train further.")
        return result([], 0.0, 0, True)
    if resumed_from:
        log(f"Resuming from {resumed_from}: epoch {start_epoch + 1}, step {start_step_in_epoch} of "
            f"{steps_per_epoch} in that epoch, {int(keeper.step.numpy())} steps done.")
    log(f"Training {epochs} epochs x {steps_per_epoch} steps with {describe(strategy)}; run folder {run_dir}")

    writer = SummaryWriter(run_dir / "logs", enabled=chief)
    step_function = make_step_function(strategy, trainable, jit_compile)
    history: list[dict[str, Any]] = []
    started = time.perf_counter()
    steps_this_call = 0
    total_left = (epochs - start_epoch) * steps_per_epoch - start_step_in_epoch

    def context() -> TrainingContext:
        return TrainingContext(trainable=trainable, run_dir=run_dir, epoch=int(keeper.epoch.numpy()),
                               step=int(keeper.step.numpy()), chief=chief, strategy=strategy, writer=writer)

    try:
        for epoch in range(start_epoch, epochs):
            epoch_started = time.perf_counter()
            skip = start_step_in_epoch if epoch == start_epoch else 0
            iterator = iter(_distributed_epoch(strategy, make_dataset, epoch, skip))
            bar = ProgressBar(steps_per_epoch, epoch + 1, epochs, steps_before=skip,
                              run_steps=total_left - steps_this_call, stream=stream, enabled=chief)
            sums: dict[str, float] = {}
            for step_in_epoch in range(skip, steps_per_epoch):
                outputs = step_function(iterator)
                fault_point("step")
                values = {name: float(value) for name, value in outputs.items()}
                bad = {name: value for name, value in values.items() if not math.isfinite(value)}
                if bad:
                    raise NonFiniteLossError(
                        f"Training stopped: non-finite {', '.join(f'{k} = {v}' for k, v in bad.items())} at epoch "
                        f"{epoch + 1}, step {step_in_epoch + 1} (global step {int(keeper.step.numpy()) + 1}). "
                        f"Nothing was saved after it; the last good checkpoint is kept: "
                        f"{keeper.latest or 'none yet (the run starts from scratch)'}. Lower the learning rate "
                        f"or check the data, then rerun to resume from that checkpoint.")
                keeper.step.assign_add(1)
                keeper.step_in_epoch.assign(step_in_epoch + 1)
                steps_this_call += 1
                global_step = int(keeper.step.numpy())
                for name, value in values.items():
                    sums[name] = sums.get(name, 0.0) + value
                if global_step % log_every_steps == 0:
                    writer.scalars(values, global_step, prefix="train/")
                    writer.scalars(learning_rates(items), global_step, prefix="learning_rate/")
                shown = {k: v for k, v in values.items() if progress_keys is None or k in progress_keys}
                bar.update(step_in_epoch + 1, shown)
                if (checkpoint_every_steps and global_step % checkpoint_every_steps == 0
                        and step_in_epoch + 1 < steps_per_epoch):
                    path = keeper.save()
                    log(f"checkpoint {path} (epoch {epoch + 1}, step {step_in_epoch + 1}, global step {global_step})")

            keeper.epoch.assign(epoch + 1)
            keeper.step_in_epoch.assign(0)
            done_here = steps_per_epoch - skip
            means = {name: total / done_here for name, total in sums.items()}
            record: dict[str, Any] = {"epoch": epoch + 1, "step": int(keeper.step.numpy()),
                                      "seconds": round(time.perf_counter() - epoch_started, 3),
                                      "train": means}
            writer.scalars(means, epoch + 1, prefix="epoch/")
            summary = ""
            if validate is not None and ((epoch + 1) % val_every == 0 or epoch + 1 == epochs):
                metrics = dict(validate(context())) if chief else {}
                if metrics:
                    record["validation"] = metrics
                    writer.scalars(metrics, int(keeper.step.numpy()), prefix="validation/")
                    key = monitor or next(iter(metrics))
                    if key not in metrics:
                        raise KeyError(f"monitor {key!r} is not among the validation results {sorted(metrics)}")
                    value = float(metrics[key])
                    if _improved(value, float(keeper.best_metric.numpy()), mode):
                        keeper.best_metric.assign(value)
                        keeper.best_epoch.assign(epoch + 1)
                        if on_improvement is not None:
                            on_improvement(context(), metrics)
                    fault_point("validation")
                    summary = (", ".join(f"{k} {v:.4g}" for k, v in metrics.items())
                               + f" (best {key} {float(keeper.best_metric.numpy()):.4g} at epoch "
                               f"{int(keeper.best_epoch.numpy())})")
            if on_epoch_end is not None:
                on_epoch_end(context())
            path = keeper.save()
            writer.flush()
            history.append(record)
            if chief:
                _write_history(run_dir / "history.jsonl", record)
            bar.close((summary + "; " if summary else "") + f"checkpoint {path}")
    finally:
        writer.flush()
    seconds = time.perf_counter() - started
    log(f"Finished {epochs} epochs ({int(keeper.step.numpy())} steps) in {run_dir}; this call trained "
        f"{steps_this_call} steps in {format_duration(seconds)}.")
    return result(history, seconds, steps_this_call, False)
