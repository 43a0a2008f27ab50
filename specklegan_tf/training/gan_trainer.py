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

import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from specklegan_tf.training.checkpoints import read_counters
from specklegan_tf.training.config import GANConfig, read_saved_config, save_config
from specklegan_tf.training.faults import fault_point
from specklegan_tf.training.progress import format_duration
from specklegan_tf.training.run_folder import (open_run_folder, refuse_fresh_start_over_outputs, restart_export_note,
                                              same_setting)
from specklegan_tf.training.runner import TrainingContext, epoch_seed, run_training
from specklegan_tf.training.runtime import set_up_runtime
from specklegan_tf.training.strategy import is_chief, make_strategy, worker_identity
from specklegan_tf.training.summaries import image_grid, labels_to_gray, save_png, to_unit_range, write_config_text

# Options that fix the models, the data or the data order: a resumed run must use the same values.
RESUME_KEYS = ("data", "n_train", "data_seed", "model", "image_size", "width", "latent_dim", "polar", "batch_size", "seed",
               "window_shape", "speckle_init", "speckle_compression", "shared_phases", "diff_augment",
               "speckle_skip", "last_channels", "window_profile", "speckle_route")
PROGRESS_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")
FINISHED_RECORD = "finished.json"
BEST_GENERATOR = "generator_best.keras"
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


def data_matched_windows(images: np.ndarray, masks: np.ndarray, config: GANConfig, run_dir: Path, log) -> list:
    """Window sizes whose speckle has the training images' tissue grain (``--speckle-init data``).

    Measures the axial and lateral grain of the training images (``speckle_statistics``, without the lumen),
    calibrates the speckle layer's grain against its window size at this image size, and writes both to
    ``speckle_init.json`` in the run folder.
    """
    from specklegan_tf.export.layout import atomic_file
    from specklegan_tf.layers import tissue_grain, window_sizes_for_grain
    from specklegan_tf.layers.speckle_calibration import measure_grain_curve
    from specklegan_tf.metrics import speckle_statistics

    axial, lateral = tissue_grain(speckle_statistics(np.asarray(images), np.asarray(masks)))  # uint8 (N, H, W)
    curve = measure_grain_curve(config.image_size, config.polar, seed=config.seed,
                                window_profile=config.window_profile)
    windows = window_sizes_for_grain(axial, lateral, config.image_size, config.polar, config.window_shape,
                                     curve=curve, window_profile=config.window_profile)
    log(f"Speckle init from the data: tissue grain axial {axial:.2f} px, lateral {lateral:.2f} px -> windows "
        f"{np.round(np.asarray(windows), 2).tolist()} bins")
    record = {"data_grain_px": {"axial": axial, "lateral": lateral}, "initial_window_sizes": windows,
              "calibration": {"windows": curve.windows.tolist(), "axial_px": curve.axial_px.tolist(),
                              "lateral_px": curve.lateral_px.tolist()}}
    with atomic_file(run_dir / "speckle_init.json") as temporary:
        temporary.write_text(json.dumps(record, indent=2))
    return windows


def check_resumable(config: GANConfig, run_dir: Path) -> None:
    """Refuse to resume a run folder with options that change the models or the data order.

    Raises:
        ValueError: naming each option whose value differs from the run folder's ``config.yaml``.
    """
    saved_path = run_dir / "config.yaml"
    if not saved_path.exists() or read_counters(run_dir / "checkpoints") is None:
        return
    import yaml

    written = yaml.safe_load(saved_path.read_text()) or {}
    if written.get("model", "speckle") == "speckle" and "window_shape" not in written:
        # Version 0.1 stored the speckle windows in bins (weight "d"); 0.2 stores log sizes (weight "log_window")
        # and Keras checkpoints match a layer's weights by position: resuming would read bins as logarithms.
        raise ValueError(f"{run_dir} holds a SpeckleGAN run written by specklegan_tf 0.1, whose checkpoints store the "
                         "speckle windows in bins; this version stores their logarithms, so it cannot resume it. "
                         "Its generator_best.keras still loads (converted); start the training again with another "
                         "--out, or finish it with version 0.1.")
    saved = read_saved_config(GANConfig, saved_path)
    differences = [f"--{key.replace('_', '-')} {getattr(config, key)!r} (the run has {getattr(saved, key)!r})"
                   for key in RESUME_KEYS if not same_setting(key, getattr(config, key), getattr(saved, key))]
    if differences:
        raise ValueError(f"{run_dir} holds a run with other options; resuming would not fit its checkpoint: "
                         f"{'; '.join(differences)}. Use the run's options or another --out.")


def _to_uint8(images: np.ndarray) -> np.ndarray:
    """Generator output in [-1, 1] ``(N, H, W, 1)`` -> uint8 ``(N, H, W)``."""
    return np.round(to_unit_range(np.asarray(images)[..., 0]) * 255).astype(np.uint8)


class GANValidation:
    """Validation of a generator against the data set, plus the fixed sample grid.

    Images are generated from the first ``val_images`` masks of the data set (the paper conditions on the data
    set's own masks so that the comparison is about texture, not morphology) and compared with all real images:
    a Fréchet distance in the feature space of ``features`` (``texture_fd`` or ``fid``) and KID. The sample grid
    shows, for ``grid_size`` fixed masks, the mask, the real image and two images from fixed ``z``.

    Args:
        images: Real images, uint8 ``(N, H, W)``.
        masks: Their label masks, ``(N, H, W)`` in {0, 1, 2}.
        config: The run's configuration.
        run_dir: Where ``samples/`` goes.
    """

    def __init__(self, images: np.ndarray, masks: np.ndarray, config: GANConfig, run_dir: Path) -> None:
        count = min(config.val_images or len(images), len(images))
        self.masks = np.asarray(masks[:count])
        self.real = np.asarray(images)
        self.config = config
        self.run_dir = run_dir
        self.metric_name = "fid" if config.features == "inception" else "texture_fd"
        self._features = None
        self._real_features = None
        columns = min(config.grid_size, len(images))
        self.grid_masks = np.asarray(masks[:columns])
        self.grid_real = np.asarray(images[:columns])
        rng = np.random.default_rng([config.seed, 0x6A1D])  # fixed z, independent of training randomness
        self.grid_z = rng.standard_normal((2 * columns, config.latent_dim)).astype(np.float32)

    def _feature_extractor(self):
        if self._features is None:
            from specklegan_tf.metrics import InceptionFeatures, TextureFeatures

            if self.config.features == "inception":
                self._features = InceptionFeatures(weights=self.config.inception_weights)
            else:
                self._features = TextureFeatures()
            self._real_features = self._features(self.real)
        return self._features

    def sample_grid(self, generator) -> np.ndarray:
        """Grid image in [0, 1]: rows mask, real image, and two generated images per fixed mask."""
        from specklegan_tf.models import generate_images

        columns = len(self.grid_masks)
        fake = generate_images(generator, np.concatenate([self.grid_masks, self.grid_masks]), z=self.grid_z)
        rows = [labels_to_gray(self.grid_masks), self.grid_real.astype(np.float32) / 255.0,
                to_unit_range(fake[:columns, ..., 0]), to_unit_range(fake[columns:, ..., 0])]
        return image_grid(np.concatenate(rows), columns=columns)

    def write_grid(self, generator, name: str, writer=None, step: int = 0) -> Path:
        grid = self.sample_grid(generator)
        if writer is not None:
            writer.image("samples", grid, step)
        return save_png(grid, self.run_dir / "samples" / f"{name}.png")

    def __call__(self, context: TrainingContext) -> dict[str, float]:
        from specklegan_tf.metrics import fid, kid

        features = self._feature_extractor()
        generator = context.trainable.generator
        fake = _to_uint8(context.trainable.generate(self.masks, seed=self.config.seed))
        fake_features = features(fake)
        distance = fid(features=features, real_features=self._real_features, fake_features=fake_features)
        kid_mean, _ = kid(features=features, real_features=self._real_features, fake_features=fake_features,
                          subsets=50, subset_size=min(100, len(fake), len(self.real)), seed=self.config.seed)
        self.write_grid(generator, f"epoch_{context.epoch:04d}", context.writer, context.step)
        return {self.metric_name: distance, "kid": kid_mean}


def _already_finished_summary(config: GANConfig, run_dir: Path, log) -> GANRunSummary | None:
    """Report and return a summary if the run folder holds a finished run (checked without building anything)."""
    problems: list[str] = []
    counters = read_counters(run_dir / "checkpoints", problems)
    record_path = run_dir / FINISHED_RECORD
    if counters is None or not record_path.exists():
        return None
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError):
        log(f"Warning: {record_path} cannot be read; the run is checked against its checkpoints instead.")
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
    config.check_paths()  # before the strategy, the data and the models: a missing file is named at once
    run_dir = config.run_dir
    # The strategy first: MultiWorkerMirroredStrategy must exist before TensorFlow runs any op.
    strategy = make_strategy(config.strategy, config.devices)
    chief = is_chief(strategy)

    def log(message: str) -> None:
        if chief:
            print(message, file=stream or sys.stdout, flush=True)

    export_note = restart_export_note(config.export_dir, config.name) if config.export else ""
    lock = open_run_folder(run_dir, chief=chief, restart=config.restart, log=log, export_note=export_note)
    try:
        return _train_locked(config, run_dir, strategy, chief, log, stream, started)
    finally:
        if lock is not None:
            lock.release()


def _train_locked(config: GANConfig, run_dir: Path, strategy, chief: bool, log, stream, started: float
                  ) -> GANRunSummary:
    """:func:`train_gan` once the run folder is locked."""
    check_resumable(config, run_dir)
    refuse_fresh_start_over_outputs(run_dir, RUN_OUTPUTS)
    finished = _already_finished_summary(config, run_dir, log)
    if finished is not None:
        return finished
    policy = set_up_runtime(config.seed, config.deterministic, config.mixed_precision)
    if chief:
        save_config(config, run_dir / "config.yaml")
        _run_identity(run_dir)
        write_config_text(run_dir / "logs", run_dir / "config.yaml")  # TensorBoard's text tab shows the run

    from specklegan_tf.data import load_dataset, make_dataset
    from specklegan_tf.models import SpeckleGAN, build_discriminator, build_generator, make_gan_optimizers

    data = load_dataset(config.data, image_size=config.image_size, n=config.n_train, seed=config.data_seed)
    images, masks = np.asarray(data.images), np.asarray(data.masks)
    replicas = strategy.num_replicas_in_sync
    if config.batch_size > len(images):
        raise ValueError(f"--batch-size {config.batch_size} is larger than the data set ({len(images)} images)")
    if config.batch_size % replicas:
        raise ValueError(f"--batch-size {config.batch_size} must be a multiple of the {replicas} replicas")
    steps_per_epoch = len(images) // config.batch_size
    decay_steps = tuple(epoch * steps_per_epoch for epoch in config.decay_epochs)
    lr_g, lr_d = config.learning_rates
    log(f"Data: {config.data}, {len(images)} images {config.image_size}x{config.image_size}; model "
        f"{config.model}, width {config.width}; {steps_per_epoch} steps of {config.batch_size} per epoch; "
        f"precision {policy}")

    initial_windows = None
    if config.model == "speckle" and config.speckle_init == "data":
        initial_windows = data_matched_windows(images, masks, config, run_dir, log)

    def make_trainable():
        from specklegan_tf.layers import DiffAugment

        generator = build_generator(config.image_size, latent_dim=config.latent_dim,
                                    speckle=config.model == "speckle", width=config.width, polar=config.polar,
                                    seed=config.seed, window_shape=config.window_shape,
                                    initial_window_sizes=initial_windows,
                                    speckle_compression=config.speckle_compression,
                                    shared_phases=config.shared_phases, speckle_skip=config.speckle_skip,
                                    window_profile=config.window_profile,
                                    last_channels=config.last_channels, speckle_route=config.speckle_route)
        discriminator = build_discriminator(config.image_size, width=config.width)
        policies = config.diff_augment_policies
        augment = DiffAugment(policies, seed=config.seed + 1, name="diff_augment") if policies else None
        gan = SpeckleGAN(generator, discriminator, latent_dim=config.latent_dim, seed=config.seed, augment=augment)
        g_optimizer, d_optimizer = make_gan_optimizers(
            lr_g, lr_d, decay_steps=decay_steps, decay_factors=config.decay_factors,
            mixed_precision=policy == "mixed_float16")
        gan.compile(g_optimizer, d_optimizer)
        return gan

    def dataset_for_epoch(epoch: int, input_context):
        # repeat(): every pipeline has at least steps_per_epoch batches, also with uneven shards.
        return make_dataset(images, masks, config.batch_size, augment=True, seed=epoch_seed(config.seed, epoch),
                            shuffle=True, repeat=True, drop_remainder=True, input_context=input_context)

    validation = GANValidation(images, masks, config, run_dir)

    def keep_best(context: TrainingContext, metrics: dict[str, float]) -> None:
        from specklegan_tf.export import save_generator_keras

        save_generator_keras(context.trainable.generator, run_dir / BEST_GENERATOR)

    result = run_training(
        make_trainable, dataset_for_epoch, epochs=config.epochs, steps_per_epoch=steps_per_epoch, run_dir=run_dir,
        strategy=strategy, checkpoint_every_steps=config.checkpoint_every_steps,
        keep_checkpoints=config.keep_checkpoints, validate=validation, val_every=config.val_every,
        monitor=validation.metric_name, mode="min", on_improvement=keep_best, jit_compile=config.jit,
        log_every_steps=config.log_every_steps, progress_keys=PROGRESS_KEYS, stream=stream, run_outputs=RUN_OUTPUTS)

    task_type, task_id = worker_identity(strategy)
    # Every worker reports its digest: equal digests show that the workers ended with identical weights.
    print(f"[{task_type} {task_id}] weights digest {result.weights_digest}", file=stream or sys.stdout, flush=True)
    export_path = keras_path = None
    if chief:
        export_path, keras_path = _finish(result.trainable, config, run_dir, validation, result, log)
    return GANRunSummary(run_dir=run_dir, already_finished=False, epochs_done=result.epochs_done,
                         steps_done=result.steps_done, best_metric=result.best_metric, best_epoch=result.best_epoch,
                         metric_name=validation.metric_name, export_path=export_path, keras_path=keras_path,
                         seconds=time.perf_counter() - started, weights_digest=result.weights_digest)


def _finish(gan, config: GANConfig, run_dir: Path, validation: GANValidation, result, log
            ) -> tuple[Path | None, Path | None]:
    """Export the best generator (the final one if never validated), write the final grid and the record."""
    import keras

    from specklegan_tf.export import export_generator, save_generator_keras

    save_generator_keras(gan.generator, run_dir / "generator_final.keras")
    best_path = run_dir / BEST_GENERATOR
    use_best = result.best_metric is not None and (best_path.exists() or _recover_best(gan, run_dir, result, log))
    # The best generator is reloaded only when it is not the one in memory (best epoch before the last).
    reload = use_best and result.best_epoch != result.epochs_done
    generator = keras.saving.load_model(best_path, safe_mode=True) if reload else gan.generator
    which = (f"best ({validation.metric_name} {result.best_metric:.4g} at epoch {result.best_epoch})"
             if use_best else "final")
    export_path = keras_path = None
    if config.export:
        metadata = {"training": {**config.to_dict(), "epochs_done": result.epochs_done,
                                 "steps_done": result.steps_done, "exported_generator": which,
                                 "run_dir": os.path.realpath(run_dir), "run_id": _run_identity(run_dir)}}
        export_path = _earlier_export(config, run_dir, result, which)
        if export_path is not None:
            log(f"The export {export_path} of this run (written before the previous process was stopped) is "
                f"complete; it is kept, not written again.")
        else:
            export_path = Path(export_generator(generator, config.export_dir, config.name, metadata=metadata))
        fault_point("export")
        keras_path = save_generator_keras(generator, Path(config.export_dir) / f"{config.name}.keras")
    grid_path = validation.write_grid(generator, "final")
    record = {"savedmodel": export_path and os.fspath(export_path), "keras": keras_path and os.fspath(keras_path),
              "generator": which, "metric_name": validation.metric_name, "best_metric": result.best_metric,
              "best_epoch": result.best_epoch, "epochs_done": result.epochs_done, "final_grid": os.fspath(grid_path)}
    temporary = run_dir / (FINISHED_RECORD + ".tmp")
    temporary.write_text(json.dumps(record, indent=2))
    os.replace(temporary, run_dir / FINISHED_RECORD)
    if export_path:
        log(f"Exported the {which} generator: SavedModel {export_path}, Keras file {keras_path}.")
    log(f"Final samples: {grid_path}. Training time in this call: {format_duration(result.seconds)}.")
    return export_path, keras_path


def _recover_best(gan, run_dir: Path, result, log) -> bool:
    """``generator_best.keras`` is missing although the run validated: write it again if possible.

    The best generator is the one in memory when the best epoch is the last; otherwise it is read from that
    epoch's end-of-epoch checkpoint if it is still kept. Returns whether the file exists again; says what it did.
    """
    from specklegan_tf.export import save_generator_keras
    from specklegan_tf.training.recovery import checkpoint_problem

    best_path = run_dir / BEST_GENERATOR
    if result.best_epoch == result.epochs_done:
        save_generator_keras(gan.generator, best_path)
        log(f"Warning: {best_path} was missing; the best generator (epoch {result.best_epoch}) is the current one "
            f"and was written again.")
        return True
    import tensorflow as tf

    steps_per_epoch = result.steps_done // max(result.epochs_done, 1)
    prefix = run_dir / "checkpoints" / f"ckpt-{result.best_epoch * steps_per_epoch}"
    problem = checkpoint_problem(prefix)
    if problem is None:
        # Only the generator's variables are read (a partial restore by name); the final one is already saved.
        tf.train.Checkpoint(generator=gan.generator).restore(os.fspath(prefix)).expect_partial()
        save_generator_keras(gan.generator, best_path)
        log(f"Warning: {best_path} was missing; the best generator (epoch {result.best_epoch}) was read back from "
            f"{prefix} and written again.")
        return True
    log(f"Warning: {best_path} (the best generator, epoch {result.best_epoch}) is missing and its epoch's checkpoint "
        f"cannot be used ({problem}); the final generator is exported instead.")
    return False


def _earlier_export(config: GANConfig, run_dir: Path, result, which: str) -> Path | None:
    """The newest export version of exactly this run state, if a killed earlier attempt completed it.

    Version folders appear atomically (``export.layout``), so one that exists is complete; it belongs to this run
    when its metadata has this run's identity (``run_id``, new for every run started from step 0, so a restarted
    run never takes the previous run's export for its own), the same step count and the same generator choice.
    """
    model_dir = Path(config.export_dir) / config.name
    if not model_dir.is_dir():
        return None
    from specklegan_tf.export.generator import METADATA_FILE
    from specklegan_tf.export.layout import existing_versions

    for version in reversed(existing_versions(model_dir)):
        try:
            training = json.loads((model_dir / str(version) / "assets.extra" / METADATA_FILE).read_text())["training"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if (training.get("run_id") == _run_identity(run_dir) and training.get("steps_done") == result.steps_done
                and training.get("exported_generator") == which):
            return model_dir / str(version)
    return None


def _run_identity(run_dir: Path) -> str:
    """The run's identity (``run_id`` in the run folder), created when the run starts from step 0."""
    import uuid

    path = run_dir / "run_id"
    if path.exists():
        return path.read_text().strip()
    identity = uuid.uuid4().hex
    temporary = run_dir / "run_id.tmp"
    temporary.write_text(identity + "\n")
    os.replace(temporary, path)
    return identity
