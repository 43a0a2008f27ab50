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

import math
import os
import time
from pathlib import Path
from typing import IO, Any, Callable, Mapping

import tensorflow as tf

from specklegan_tf.training.checkpoints import TrainingCheckpoint, weights_digest
from specklegan_tf.training.folder_lock import FolderLock
from specklegan_tf.training.progress import format_duration
from specklegan_tf.training.run_folder import refuse_fresh_start_over_outputs
from specklegan_tf.training.run_lifecycle import chief_logger
from specklegan_tf.training.run_types import NonFiniteLossError, RunResult, Trainable, TrainingContext
from specklegan_tf.training.strategy import describe, is_chief, worker_identity
from specklegan_tf.training.training_loop import EpochLoop, LoopOptions, epoch_seed, make_step_function

# Moved to run_types / training_loop; importable from here as before.
__all__ = ["NonFiniteLossError", "RunResult", "Trainable", "TrainingContext", "epoch_seed", "make_step_function",
           "run_training"]


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
    options = LoopOptions(
        epochs=epochs, steps_per_epoch=steps_per_epoch, checkpoint_every_steps=checkpoint_every_steps,
        keep_checkpoints=keep_checkpoints, validate=validate, val_every=val_every, monitor=monitor, mode=mode,
        on_improvement=on_improvement, on_epoch_end=on_epoch_end, jit_compile=jit_compile,
        log_every_steps=log_every_steps, progress_keys=progress_keys, run_outputs=tuple(run_outputs))
    options.check()
    strategy = strategy or tf.distribute.get_strategy()
    run_dir = Path(run_dir)
    chief = is_chief(strategy)
    lock = FolderLock(run_dir, "run folder").acquire() if chief else None
    try:
        if lock is not None and lock.stale_message():
            chief_logger(chief, stream)(lock.stale_message())
        return _run_locked(options, make_trainable, make_dataset, run_dir, strategy, stream)
    finally:
        if lock is not None:
            lock.release()


def _run_locked(options: LoopOptions, make_trainable: Callable[[], Trainable], make_dataset: Callable,
                run_dir: Path, strategy: tf.distribute.Strategy, stream: IO[str] | None) -> RunResult:
    """The body of :func:`run_training`, run while the chief holds the run folder's lock: restore, then train."""
    chief = is_chief(strategy)
    _, worker_id = worker_identity(strategy)
    log = chief_logger(chief, stream)
    with strategy.scope():
        trainable = make_trainable()
        items = dict(trainable.checkpoint_items())
    keeper = TrainingCheckpoint(run_dir / "checkpoints", items, chief=chief, worker_id=worker_id,
                                max_to_keep=options.keep_checkpoints)
    resumed_from = keeper.restore()
    for message in keeper.messages:
        log(message)
    if resumed_from is None:
        refuse_fresh_start_over_outputs(run_dir, options.run_outputs)
    start_epoch, start_step_in_epoch = int(keeper.epoch.numpy()), int(keeper.step_in_epoch.numpy())

    def result(history: list[dict[str, Any]], seconds: float, steps: int, finished: bool) -> RunResult:
        best, best_epoch = float(keeper.best_metric.numpy()), int(keeper.best_epoch.numpy())
        return RunResult(trainable=trainable, run_dir=run_dir, epochs_done=int(keeper.epoch.numpy()),
                         steps_done=int(keeper.step.numpy()), resumed_from=resumed_from, already_finished=finished,
                         best_metric=None if math.isnan(best) else best,
                         best_epoch=None if best_epoch < 0 else best_epoch, history=history, seconds=seconds,
                         steps_this_call=steps, weights_digest=weights_digest(items))

    epochs, steps_per_epoch = options.epochs, options.steps_per_epoch
    if start_epoch >= epochs:
        log(f"This run has already finished: {start_epoch} of {epochs} epochs are done (checkpoint {resumed_from}). "
            f"Nothing to do; raise --epochs to train further.")
        return result([], 0.0, 0, True)
    if resumed_from:
        log(f"Resuming from {resumed_from}: epoch {start_epoch + 1}, step {start_step_in_epoch} of "
            f"{steps_per_epoch} in that epoch, {int(keeper.step.numpy())} steps done.")
    log(f"Training {epochs} epochs x {steps_per_epoch} steps with {describe(strategy)}; run folder {run_dir}")
    loop = EpochLoop(options, trainable, items, keeper, make_dataset, run_dir, strategy, chief, log, stream)
    started = time.perf_counter()
    loop.run(start_epoch, start_step_in_epoch)
    seconds = time.perf_counter() - started
    log(f"Finished {epochs} epochs ({int(keeper.step.numpy())} steps) in {run_dir}; this call trained "
        f"{loop.steps_this_call} steps in {format_duration(seconds)}.")
    return result(loop.history, seconds, loop.steps_this_call, False)
