"""Training a SpeckleGAN (or the baseline GAN) end to end: data, models, validation, checkpoints, export.

:func:`train_gan` is what ``python train/fit_gan.py`` runs. It wires the package together:

1. strategy and runtime (seeds, op determinism, precision) from the configuration;
2. the data set (``specklegan_tf.data.load_dataset``) and a per-epoch ``tf.data`` pipeline whose shuffling and
   augmentation are a function of (seed, epoch), so a resumed run sees the same batches;
3. generator, discriminator, :class:`~specklegan_tf.models.SpeckleGAN` and the two Adam optimizers with the
   paper's two-step decay, created inside the strategy scope;
4. :func:`~specklegan_tf.training.runner.run_training` (resume, checkpoints, NaN stop, progress, TensorBoard);
5. validation every ``val_every`` epochs: images generated from the data set's masks against the real images
   (texture Fréchet distance, or FID with Inception weights, and KID), a sample grid PNG of fixed masks and z,
   and the best generator kept as ``generator_best.keras``;
6. at the end: the best generator exported as a SavedModel (TF Serving layout) and a ``.keras`` file, and the
   final sample grid.

Run folder layout (``runs/<name>/`` or ``--out``)::

    config.yaml              effective configuration (defaults < preset < --config file < flags)
    checkpoints/             ckpt-<step>.index/.data-*, checkpoint (the state file, rewritten atomically)
    logs/                    TensorBoard event files: train/*, epoch/*, learning_rate/*, validation/*, samples, config
    samples/epoch_0004.png   sample grid at each validation; samples/final.png from the exported generator
    history.jsonl            one JSON record per epoch (train means, validation values, seconds)
    generator_best.keras     generator with the best validation value so far
    generator_final.keras    generator after the last epoch
    finished.json            what was exported and where; written last, marks the run as finished

Example:
    >>> from specklegan_tf.training import GANConfig
    >>> summary = train_gan(GANConfig(image_size=32, width=0.125, epochs=1, n_train=16, out="runs/tiny"))
    >>> summary.export_path
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from specklegan_tf.training.checkpoints import read_counters
from specklegan_tf.training.config import GANConfig
from specklegan_tf.training.gan_export import BEST_GENERATOR, FINISHED_RECORD, finish_gan_run, run_identity
from specklegan_tf.training.gan_models import ContrastReference, data_matched_windows, gan_factory, given_windows
from specklegan_tf.training.gan_validation import GANValidation
from specklegan_tf.training.run_folder import refuse_fresh_start_over_outputs
from specklegan_tf.training.run_lifecycle import (RunSession, check_batches, has_checkpoints, open_run,
                                                 read_finished_record, refuse_other_options, start_runtime)
from specklegan_tf.training.runner import TrainingContext, epoch_seed, run_training
from specklegan_tf.training.strategy import worker_identity
from specklegan_tf.training.summaries import write_config_text

# Moved to gan_models / gan_validation / gan_export; importable from here as before.
__all__ = ["BEST_GENERATOR", "FINISHED_RECORD", "GANRunSummary", "GANValidation", "RESUME_KEYS", "check_resumable",
           "data_matched_windows", "given_windows", "train_gan"]

# Options that fix the models, the data or the data order: a resumed run must use the same values.
RESUME_KEYS = ("data", "n_train", "data_seed", "model", "image_size", "width", "latent_dim", "polar", "batch_size", "seed",
               "window_shape", "speckle_init", "speckle_compression", "shared_phases", "diff_augment",
               "speckle_skip", "last_channels", "window_profile", "speckle_route", "echo_gain",
               "lateral_aperture", "direct_gain", "generator_ema", "speckle_windows",
               "learn_speckle_windows", "spade_normalization", "upsampling", "r1_gamma",
               "diversity_weight", "diversity_target", "speckle_contrast", "speckle_weights",
               "display_clip", "discriminator_downsampling")
PROGRESS_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")
# Files only a trained run writes: with one of them and no checkpoint, a start from step 0 is refused.
RUN_OUTPUTS = (BEST_GENERATOR, "generator_final.keras", FINISHED_RECORD)


@dataclass
class GANRunSummary:
    """What :func:`train_gan` produced.

    Attributes:
        run_dir: The run folder.
        already_finished: The run had finished before this call; nothing was trained or exported again.
        epochs_done: Completed epochs.
        steps_done: Completed global steps.
        best_metric: Best validation value (name in ``metric_name``), None if never validated.
        best_epoch: Its epoch.
        metric_name: ``texture_fd`` or ``fid``.
        export_path: The SavedModel version folder (None on non-chief workers and with ``--no-export``).
        keras_path: The exported ``.keras`` generator (None likewise).
        weights_digest: SHA-256 of the final weights (equal on all workers of a multi-worker run).
        seconds: Wall time of this call.
    """

    run_dir: Path
    already_finished: bool
    epochs_done: int
    steps_done: int
    best_metric: float | None
    best_epoch: int | None
    metric_name: str
    export_path: Path | None
    keras_path: Path | None
    seconds: float
    weights_digest: str = ""


def check_resumable(config: GANConfig, run_dir: Path) -> None:
    """Refuse to resume a run folder with options that change the models or the data order.

    Raises:
        ValueError: naming each option whose value differs from the run folder's ``config.yaml``.
    """
    if not has_checkpoints(run_dir):
        return
    import yaml

    written = yaml.safe_load((run_dir / "config.yaml").read_text()) or {}
    if written.get("model", "speckle") == "speckle" and "window_shape" not in written:
        # Version 0.1 stored the speckle windows in bins (weight "d"); 0.2 stores log sizes (weight "log_window")
        # and Keras checkpoints match a layer's weights by position: resuming would read bins as logarithms.
        raise ValueError(f"{run_dir} holds a SpeckleGAN run written by specklegan_tf 0.1, whose checkpoints store the "
                         "speckle windows in bins; this version stores their logarithms, so it cannot resume it. "
                         "Its generator_best.keras still loads (converted); start the training again with another "
                         "--out, or finish it with version 0.1.")
    refuse_other_options(config, run_dir, RESUME_KEYS, "checkpoint")


def _already_finished_summary(config: GANConfig, run_dir: Path, log) -> GANRunSummary | None:
    """Report and return a summary if the run folder holds a finished run (checked without building anything)."""
    problems: list[str] = []
    counters = read_counters(run_dir / "checkpoints", problems)
    if counters is None or not (run_dir / FINISHED_RECORD).exists():
        return None
    try:
        record = read_finished_record(run_dir, FINISHED_RECORD)
    except (OSError, ValueError):
        log(f"Warning: {run_dir / FINISHED_RECORD} cannot be read; the run is checked against its checkpoints "
            f"instead.")
        return None
    # A finished run whose newest checkpoint was damaged afterwards is still finished: its record and export are
    # complete, and training it again from an older checkpoint would only export a second copy.
    epochs_done = max(int(counters["epoch"]), int(record.get("epochs_done") or 0))
    if epochs_done < config.epochs:
        return None
    for line in problems:
        log(line)
    if int(counters["epoch"]) < epochs_done:
        log(f"Note: the newest intact checkpoint {counters['path']} is at epoch {counters['epoch']}; raising "
            f"--epochs would continue from there. Nothing was changed.")
    counters = {**counters, "epoch": epochs_done}
    exported = f" and the generator was exported to {record['savedmodel']}" if record.get("savedmodel") else ""
    log(f"This run has already finished: {counters['epoch']} of {config.epochs} epochs are done{exported}. "
        f"Nothing to do (raise --epochs to train further, or choose another --out for a new run).")
    if not (run_dir / BEST_GENERATOR).exists() and counters["best_epoch"] >= 1:
        kept = f"; the export {record['savedmodel']} holds that generator" if record.get("savedmodel") else ""
        log(f"Warning: {run_dir / BEST_GENERATOR} (the best generator, epoch {counters['best_epoch']}) is missing"
            f"{kept}. Nothing was changed.")
    best = counters["best_metric"]
    return GANRunSummary(run_dir=run_dir, already_finished=True, epochs_done=int(counters["epoch"]),
                         steps_done=int(counters["step"]), best_metric=None if math.isnan(best) else best,
                         best_epoch=None if counters["best_epoch"] < 0 else int(counters["best_epoch"]),
                         metric_name=record.get("metric_name", ""),
                         export_path=Path(record["savedmodel"]) if record.get("savedmodel") else None,
                         keras_path=Path(record["keras"]) if record.get("keras") else None, seconds=0.0)


def train_gan(config: GANConfig, stream: IO[str] | None = None) -> GANRunSummary:
    """Train (or resume, or finish) the GAN described by ``config``; see the module docstring.

    Args:
        config: A validated :class:`GANConfig`.
        stream: Where messages go (default stdout; the progress bar uses stderr unless given).

    Returns:
        A :class:`GANRunSummary`.

    Raises:
        NonFiniteLossError: a loss became NaN or infinite (the last good checkpoint is kept).
        ValueError: options that do not fit the data (e.g. a batch larger than the data set) or the run folder.
    """
    started = time.perf_counter()
    with open_run(config, stream, export=config.export) as session:
        return _train_locked(config, session, stream, started)


def _train_locked(config: GANConfig, session: RunSession, stream, started: float) -> GANRunSummary:
    """:func:`train_gan` once the run folder is locked."""
    from specklegan_tf.data import load_dataset, make_dataset

    run_dir, strategy, log = session.run_dir, session.strategy, session.log
    check_resumable(config, run_dir)
    refuse_fresh_start_over_outputs(run_dir, RUN_OUTPUTS)
    finished = _already_finished_summary(config, run_dir, log)
    if finished is not None:
        return finished
    policy = start_runtime(config, session)
    if session.chief:
        run_identity(run_dir)
        write_config_text(run_dir / "logs", run_dir / "config.yaml")  # TensorBoard's text tab shows the run

    data = load_dataset(config.data, image_size=config.image_size, n=config.n_train, seed=config.data_seed)
    images, masks = np.asarray(data.images), np.asarray(data.masks)
    steps_per_epoch = check_batches(config.batch_size, len(images), strategy.num_replicas_in_sync)
    log(f"Data: {config.data}, {len(images)} images {config.image_size}x{config.image_size}; model "
        f"{config.model}, width {config.width}; {steps_per_epoch} steps of {config.batch_size} per epoch; "
        f"precision {policy}")
    initial_windows = None
    if config.model == "speckle" and config.speckle_windows is not None:
        initial_windows = given_windows(config, run_dir, log)
    elif config.model == "speckle" and config.speckle_init == "data":
        initial_windows = data_matched_windows(images, masks, config, run_dir, log)

    def dataset_for_epoch(epoch: int, input_context):
        # repeat(): every pipeline has at least steps_per_epoch batches, also with uneven shards.
        return make_dataset(images, masks, config.batch_size, augment=True, seed=epoch_seed(config.seed, epoch),
                            shuffle=True, repeat=True, drop_remainder=True, input_context=input_context)

    validation = GANValidation(images, masks, config, run_dir)

    def keep_best(context: TrainingContext, metrics: dict[str, float]) -> None:
        from specklegan_tf.export import save_generator_keras

        with context.trainable.averaged_generator() as generator:
            save_generator_keras(generator, run_dir / BEST_GENERATOR)

    contrast_reference = None
    if config.model == "speckle" and config.speckle_contrast == "data":
        contrast_reference = ContrastReference(images, masks, run_dir, log if session.chief else None)
    result = run_training(
        gan_factory(config, policy, steps_per_epoch, initial_windows, contrast_reference), dataset_for_epoch, epochs=config.epochs,
        steps_per_epoch=steps_per_epoch, run_dir=run_dir, strategy=strategy,
        checkpoint_every_steps=config.checkpoint_every_steps, keep_checkpoints=config.keep_checkpoints,
        validate=validation, val_every=config.val_every, monitor=validation.metric_name, mode="min",
        on_improvement=keep_best, jit_compile=config.jit, log_every_steps=config.log_every_steps,
        progress_keys=PROGRESS_KEYS, stream=stream, run_outputs=RUN_OUTPUTS)
    return _summarise(config, session, validation, result, stream, started)


def _summarise(config: GANConfig, session: RunSession, validation: GANValidation, result, stream,
               started: float) -> GANRunSummary:
    """Every worker reports its weights digest; the chief finishes the run (export, grid, record)."""
    task_type, task_id = worker_identity(session.strategy)
    # Every worker reports its digest: equal digests show that the workers ended with identical weights.
    print(f"[{task_type} {task_id}] weights digest {result.weights_digest}", file=stream or sys.stdout, flush=True)
    export_path = keras_path = None
    if session.chief:
        export_path, keras_path = finish_gan_run(result.trainable, config, session.run_dir, validation, result,
                                                 session.log)
    return GANRunSummary(run_dir=session.run_dir, already_finished=False, epochs_done=result.epochs_done,
                         steps_done=result.steps_done, best_metric=result.best_metric, best_epoch=result.best_epoch,
                         metric_name=validation.metric_name, export_path=export_path, keras_path=keras_path,
                         seconds=time.perf_counter() - started, weights_digest=result.weights_digest)
