"""Training the residual U-Net: optional pre-training on generated images, fine-tuning on real ones, export.

:func:`fit_segmentation` is what ``python train/fit_segmentation.py`` runs; :func:`train_phase` (one training run
in one run folder) is shared with the segmentation study. Both train through the loop the GAN trainer uses,
:func:`~specklegan_tf.training.runner.run_training`: the same strategies, atomic checkpoints with resume, NaN stop,
progress bar with ETA and TensorBoard logs.

Pre-training then fine-tuning (the paper's "Segmentation evaluation" section): the network is trained on the
generated images of ``--pretrain DIR`` for ``--pretrain-epochs``, its weights are saved as
``pretrain/pretrained.weights.h5``, and the fine-tuning run starts from exactly these weights (the optimizer is
new). A resumed fine-tuning run continues from its own checkpoint instead.

Run folder layout (``runs/<name>/`` or ``--out``)::

    config.yaml                     effective configuration
    pretrain/                       the pre-training run (checkpoints/, logs/, history.jsonl) and
    pretrain/pretrained.weights.h5  the weights fine-tuning starts from
    checkpoints/, logs/, history.jsonl   the fine-tuning run
    segmenter_final.keras           the network after the last epoch
    export.json                     where the SavedModel went; written last, marks the run as finished

Example:
    >>> from specklegan_tf.training.segmentation_trainer import SegmentationConfig, fit_segmentation
    >>> summary = fit_segmentation(SegmentationConfig(image_size=64, n_train=100, epochs=20, out="runs/seg64"))
    >>> summary.validation["dice_lumen"], summary.export_path
"""

from __future__ import annotations

import json
import os
import sys
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable

import numpy as np

from specklegan_tf import CLASS_NAMES, INTIMA_MEDIA, LUMEN
from specklegan_tf.training.checkpoints import read_counters
from specklegan_tf.core.validators import power_of_two
from specklegan_tf.training.config import TrainerConfig, _help, _require, read_saved_config, save_config
from specklegan_tf.training.progress import format_duration
from specklegan_tf.training.run_folder import (open_run_folder, refuse_fresh_start_over_outputs, restart_export_note,
                                              same_setting)
from specklegan_tf.training.runner import RunResult, TrainingContext, epoch_seed, run_training
from specklegan_tf.training.runtime import set_up_runtime
from specklegan_tf.training.strategy import is_chief, make_strategy

# Options that fix the network, the data or the data order: a resumed run must use the same values.
RESUME_KEYS = ("data", "data_seed", "n_train", "image_size", "base_filters", "batch_size", "seed", "pretrain")
PROGRESS_KEYS = ("loss", "dice_loss", "accuracy")
EXPORT_RECORD = "export.json"
PRETRAINED_WEIGHTS = "pretrained.weights.h5"
# Files only a trained run writes: with one of them and no checkpoint, a start from step 0 is refused.
RUN_OUTPUTS = ("segmenter_final.keras", EXPORT_RECORD)
EVALUATED_CLASSES = {"intima_media": INTIMA_MEDIA, "lumen": LUMEN}  # the paper's Table 2 columns


@dataclass
class SegmentationConfig(TrainerConfig):
    """Configuration of ``train/fit_segmentation.py``; the defaults are the paper's setting (256x256, batch 10).

    Args (besides :class:`~specklegan_tf.training.config.TrainerConfig`'s; ``epochs`` are fine-tuning epochs):
        data: ``phantom``, an IVUS challenge folder or image/mask folders (as ``fit_gan.py``'s ``--data``).
        data_seed: Seed of the phantom data set (the data, unlike ``seed``, which drives the training).
        n_train: Train on the first N images (default: all but the held-out validation images).
        val_images: Held-out images after the training images, for the validation Dice (at most a fifth of the
            data set when ``n_train`` is not given).
        image_size: Image side, a power of two from 32.
        base_filters: U-Net filters at full resolution (32: the paper's 32-64-128-256).
        dice_weight: Weight of the soft Dice term added to the cross-entropy.
        augment: Random rotations and flips (the paper's augmentation).
        lr: Learning rate of the (fine-tuning) Adam optimizer.
        pretrain: Folder of generated images and masks in the challenge layout (``train/generate.py``'s
            output) to pre-train on first.
        pretrain_epochs: Pre-training epochs.
        pretrain_lr: Learning rate of the pre-training Adam optimizer.
    """

    name: str = field(default="segmenter", metadata=_help("run name: default run folder runs/<name>, export name"))
    epochs: int = field(default=100, metadata=_help("fine-tuning epochs (in total)"))
    batch_size: int = field(default=10, metadata=_help("global batch size (split over replicas)"))
    val_every: int = field(default=5, metadata=_help("validate every N epochs (and after the last)"))
    data: str = field(default="phantom", metadata=_help("'phantom', an IVUS challenge folder or image/mask folders"))
    data_seed: int = field(default=0, metadata=_help("seed of the phantom data set (ignored for folders)"))
    n_train: int | None = field(default=None, metadata=_help("train on the first N images"))
    val_images: int = field(default=64, metadata=_help("held-out images after the training images"))
    image_size: int = field(default=256, metadata=_help("image side, a power of two from 32"))
    base_filters: int = field(default=32, metadata=_help("U-Net filters at full resolution"))
    dice_weight: float = field(default=1.0, metadata=_help("weight of the soft Dice term of the loss"))
    augment: bool = field(default=True, metadata=_help("random rotations and flips"))
    lr: float = field(default=1e-3, metadata=_help("fine-tuning learning rate (Adam)"))
    pretrain: str | None = field(default=None, metadata=_help("folder of generated images (challenge layout)"))
    pretrain_epochs: int = field(default=20, metadata=_help("pre-training epochs"))
    pretrain_lr: float = field(default=1e-3, metadata=_help("pre-training learning rate (Adam)"))

    def validate(self) -> None:
        super().validate()
        power_of_two(self.image_size, "image_size", high=None)
        _require(self.n_train is None or self.n_train >= 1, "n_train", "must be at least 1", self.n_train)
        _require(self.val_images >= 1, "val_images", "must be at least 1", self.val_images)
        _require(self.base_filters >= 1, "base_filters", "must be at least 1", self.base_filters)
        _require(self.dice_weight >= 0, "dice_weight", "must not be negative", self.dice_weight)
        _require(self.pretrain_epochs >= 1, "pretrain_epochs", "must be at least 1", self.pretrain_epochs)
        for key in ("lr", "pretrain_lr"):
            _require(0 < getattr(self, key) < 1, key, "must be in (0, 1)", getattr(self, key))

    def check_paths(self) -> None:
        super().check_paths()
        if self.data != "phantom" and not Path(self.data).is_dir():
            raise FileNotFoundError(f"--data: no such folder: {self.data} (give a data folder or 'phantom')")
        if self.pretrain is not None and not Path(self.pretrain).is_dir():
            raise FileNotFoundError(f"--pretrain: no such folder: {self.pretrain} (generated images and masks in "
                                    f"the IVUS challenge layout, as train/generate.py writes them)")


SEGMENTATION_PRESETS: dict[str, dict[str, Any]] = {
    "paper": {},
    # A small configuration for a 2-core CPU.
    "demo": {"name": "segmenter-demo", "image_size": 64, "n_train": 100, "epochs": 30, "base_filters": 16,
             "val_every": 5, "val_images": 64, "pretrain_epochs": 5},
}


# --- data checks ------------------------------------------------------------------------------------------------


def check_masks(masks: np.ndarray, names: list[str] | None, what: str, num_classes: int = 3) -> None:
    """Every mask must hold only labels ``0..num_classes-1`` and contain every class.

    A mask without lumen or intima/media cannot be learned from as an IVUS frame, and its modified Hausdorff
    distance would be undefined.

    Raises:
        ValueError: naming ``what`` (e.g. ``--data phantom``), the first offending images and the missing classes.
    """
    masks = np.asarray(masks)
    if masks.ndim != 3 or len(masks) == 0:
        raise ValueError(f"{what}: masks must be a non-empty (N, H, W) array, got shape {masks.shape}")
    if masks.min() < 0 or masks.max() >= num_classes:
        raise ValueError(f"{what}: masks must hold labels 0..{num_classes - 1}, got {masks.min()}..{masks.max()}")
    present = np.stack([(masks == c).any(axis=(1, 2)) for c in range(num_classes)], axis=1)
    bad = np.flatnonzero(~present.all(axis=1))
    if bad.size:
        listed = []
        for i in bad[:5]:
            label = names[i] if names is not None else f"#{i}"
            missing = [CLASS_NAMES[c] if c < len(CLASS_NAMES) else str(c) for c in np.flatnonzero(~present[i])]
            listed.append(f"{label} (no {', '.join(missing)})")
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise ValueError(f"{what}: {bad.size} mask(s) lack a class: {'; '.join(listed)}{more}. Every mask must "
                         f"contain lumen, intima/media and background; remove or fix these images.")


def check_same_size(images: np.ndarray, image_size: int, what: str) -> None:
    """Pre-training and fine-tuning images must have the same size (the network is built for one size).

    Raises:
        ValueError: naming ``what`` and both sizes.
    """
    shape = tuple(np.asarray(images).shape[1:3])
    if shape != (image_size, image_size):
        raise ValueError(f"{what}: images are {shape[0]}x{shape[1]} but the fine-tuning images (--image-size) are "
                         f"{image_size}x{image_size}; generate the pre-training images at that size.")


def load_pretraining_data(folder: str | os.PathLike, image_size: int, seed: int = 0):
    """Generated images and masks of ``folder`` (challenge layout) at their stored size, checked.

    Raises:
        FileNotFoundError: the folder does not exist.
        ValueError: the images are not ``image_size`` square (mismatched pre-training and fine-tuning sizes), or
            a mask lacks a class.
    """
    from specklegan_tf.data import load_dataset

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--pretrain: no such folder: {folder}")
    stored = stored_image_size(folder)
    if stored is not None and stored != (image_size, image_size):
        raise ValueError(f"--pretrain {folder}: images are {stored[0]}x{stored[1]} but the fine-tuning images "
                         f"(--image-size) are {image_size}x{image_size}; generate the pre-training images at "
                         f"that size.")
    data = load_dataset(os.fspath(folder), image_size=image_size, seed=seed)
    check_same_size(data.images, image_size, f"--pretrain {folder}")
    check_masks(data.masks, data.names, f"--pretrain {folder}")
    return data


def stored_image_size(folder: Path) -> tuple[int, int] | None:
    """(height, width) of the first image file of a challenge-layout (``DCM/``) or ``images/`` folder, or None."""
    from specklegan_tf.data.image_files import list_images, read_gray_image

    for sub in ("DCM", "images"):
        if (folder / sub).is_dir():
            files = list_images(folder / sub)
            if files:
                return tuple(read_gray_image(files[0]).shape[:2])
    return None


# --- prediction and scores ---------------------------------------------------------------------------------------


_INFERENCE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def predict_probabilities(network, images: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """Class probabilities ``(N, H, W, C)`` of uint8 images ``(N, H, W)`` (inference mode, in batches)."""
    import tensorflow as tf

    from specklegan_tf.data import to_model_inputs

    images = np.asarray(images)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"`images` must be uint8 (N, H, W), got {images.dtype} {images.shape}")
    infer = _INFERENCE.get(network)
    if infer is None:  # one traced inference graph per network, reused by every validation
        shape = [None, *network.inputs[0].shape[1:]]
        infer = tf.function(lambda x: network(x, training=False), input_signature=[tf.TensorSpec(shape, tf.float32)])
        _INFERENCE[network] = infer
    out = [np.asarray(infer(to_model_inputs(images[i:i + batch_size])[..., None]), dtype=np.float32)
           for i in range(0, len(images), batch_size)]
    return np.concatenate(out)


def predict_labels(network, images: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """Label maps uint8 ``(N, H, W)`` (argmax of the class probabilities) of uint8 images ``(N, H, W)``."""
    return predict_probabilities(network, images, batch_size).argmax(-1).astype(np.uint8)


def segmentation_scores(predicted: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """Per-image Dice and modified Hausdorff distance (pixels) of intima/media and lumen (the paper's Table 2).

    A class missing from a prediction gets the image diagonal as its distance (the largest possible, finite so
    that means and t-tests stay defined; ``specklegan_tf.metrics.modified_hausdorff``'s ``empty_penalty``).

    Returns:
        ``{"dice_intima_media", "dice_lumen", "mhd_intima_media", "mhd_lumen"}``, each float64 ``(N,)``.
    """
    from specklegan_tf.metrics import dice, modified_hausdorff

    predicted, target = np.asarray(predicted), np.asarray(target)
    if predicted.shape != target.shape or predicted.ndim != 3:
        raise ValueError(f"predicted {predicted.shape} and target {target.shape} must be equal (N, H, W) shapes")
    diagonal = float(np.hypot(*target.shape[1:]))
    scores: dict[str, list[float]] = {f"{m}_{c}": [] for m in ("dice", "mhd") for c in EVALUATED_CLASSES}
    for p, t in zip(predicted, target):
        for name, label in EVALUATED_CLASSES.items():
            scores[f"dice_{name}"].append(dice(p, t, label))
            scores[f"mhd_{name}"].append(modified_hausdorff(p, t, label, empty_penalty=diagonal))
    return {key: np.asarray(values, np.float64) for key, values in scores.items()}


class SegmentationValidation:
    """Mean held-out Dice per class (``dice_lumen``, ``dice_intima_media``) and their mean ``dice_mean``.

    Args:
        images: uint8 ``(N, H, W)`` held-out images.
        masks: Their label masks.
    """

    def __init__(self, images: np.ndarray, masks: np.ndarray) -> None:
        self.images, self.masks = np.asarray(images), np.asarray(masks)

    def evaluate(self, network) -> dict[str, float]:
        scores = segmentation_scores(predict_labels(network, self.images), self.masks)
        result = {f"dice_{name}": float(scores[f"dice_{name}"].mean()) for name in EVALUATED_CLASSES}
        result["dice_mean"] = float(np.mean(list(result.values())))
        return result

    def __call__(self, context: TrainingContext) -> dict[str, float]:
        return self.evaluate(context.trainable.network)


# --- one training run -------------------------------------------------------------------------------------------


class ReusableSegmenter:
    """A U-Net with its optimizer whose training step is traced once and reused by consecutive training runs.

    Why: tracing and instantiating the U-Net's training step takes 15-25 s on a 2-core CPU, and the shared runner
    builds a new step function for every run. Wrapping ``Segmenter.train_step`` in one ``tf.function`` lets the
    runner's per-run function call the already traced graph (about 8-10 s per run here instead of 20-25 s), which
    matters for the study's dozens of runs. Before each run :meth:`reset` sets the starting weights (from
    scratch or pre-trained) and clears the optimizer state, so a run trains exactly as with a new model.

    Implements the runner's trainable protocol (``train_step``, ``checkpoint_items``) and exposes ``network``.

    Args:
        config: Network options (``image_size``, ``base_filters``, ``dice_weight``).
        strategy: The strategy whose scope holds the variables (default: the current one).
    """

    def __init__(self, config: SegmentationConfig, strategy=None) -> None:
        import keras
        import tensorflow as tf

        from specklegan_tf.models.segmenter import Segmenter
        from specklegan_tf.models.unet import build_unet

        self.strategy = strategy or tf.distribute.get_strategy()
        self.key = (config.image_size, config.base_filters, config.dice_weight)
        with self.strategy.scope():
            self.segmenter = Segmenter(build_unet(config.image_size, base_filters=config.base_filters),
                                       dice_weight=config.dice_weight)
            self.segmenter.compile(keras.optimizers.Adam(config.lr))
        self.network = self.segmenter.network
        self.optimizer = self.segmenter.optimizer_
        self.train_step = tf.function(self.segmenter.train_step)

    def initial_weights(self, seed: int) -> list[np.ndarray]:
        """The weights of a new U-Net built after ``keras.utils.set_random_seed(seed)`` (a from-scratch start)."""
        import keras

        from specklegan_tf.models.unet import build_unet

        keras.utils.set_random_seed(int(seed))
        image_size, base_filters, _ = self.key
        return build_unet(image_size, base_filters=base_filters).get_weights()

    def reset(self, weights: list[np.ndarray] | str | os.PathLike, learning_rate: float) -> None:
        """Start a new run: network weights from a list or a ``.weights.h5`` file, a fresh optimizer state."""
        if isinstance(weights, (str, os.PathLike)):
            self.network.load_weights(os.fspath(weights))
        else:
            self.network.set_weights(weights)
        for variable in self.optimizer.variables:  # iteration counter, moments: as in a new optimizer
            variable.assign(np.zeros(variable.shape, variable.dtype))
        self.optimizer.learning_rate = float(learning_rate)
        for tracker in self.segmenter.metrics:
            tracker.reset_state()

    def checkpoint_items(self) -> dict:
        return self.segmenter.checkpoint_items()

    @classmethod
    def shared(cls, config: SegmentationConfig, strategy=None) -> "ReusableSegmenter":
        """The process's instance for these network options and this strategy (created on first use), so that
        consecutive trainings in one process (a study, a rerun of it, tests) trace the step only once."""
        import keras
        import tensorflow as tf

        strategy = strategy or tf.distribute.get_strategy()
        key = (config.image_size, config.base_filters, config.dice_weight, id(strategy),
               keras.mixed_precision.global_policy().name)
        instance = _SHARED.get(key)
        if instance is None or instance.strategy is not strategy:
            instance = _SHARED[key] = cls(config, strategy)
        return instance


_SHARED: dict[tuple, ReusableSegmenter] = {}


def train_phase(
    config: SegmentationConfig,
    images: np.ndarray,
    masks: np.ndarray,
    run_dir: str | os.PathLike,
    *,
    epochs: int,
    learning_rate: float,
    init_weights: str | os.PathLike | None = None,
    validation: SegmentationValidation | None = None,
    strategy=None,
    trainable: ReusableSegmenter | None = None,
    stream: IO[str] | None = None,
) -> RunResult:
    """One training run of a U-Net in ``run_dir`` through the shared loop (resumes from its checkpoints).

    Args:
        config: Network, batch, seed, augmentation and loop options (``epochs``/``lr`` are taken from the
            arguments, so the same configuration serves pre-training and fine-tuning). The initial weights of a
            run from scratch depend on ``config.seed`` only.
        images: uint8 ``(N, H, W)`` training images; ``masks``: their label masks.
        run_dir: The run folder of this phase.
        epochs: Epochs of this phase.
        learning_rate: Adam learning rate of this phase.
        init_weights: A ``.weights.h5`` file to start from (pre-trained weights); when ``run_dir`` holds a
            checkpoint, the checkpoint is restored instead.
        validation: Evaluated every ``config.val_every`` epochs (chief only), logged under ``validation/``.
        strategy: The distribution strategy (default: the current one).
        trainable: A :class:`ReusableSegmenter` of the same network options to train (reset first); the
            process's shared one (:meth:`ReusableSegmenter.shared`) when None.
        stream: Where progress and messages go.

    Returns:
        The loop's :class:`~specklegan_tf.training.runner.RunResult`; ``result.trainable.network`` is the network.

    Raises:
        ValueError: fewer images than one batch, a batch that does not split over the replicas, images of
            another size than ``config.image_size``, or a ``trainable`` built for other network options.
    """
    import tensorflow as tf

    from specklegan_tf.data import make_dataset

    strategy = strategy or tf.distribute.get_strategy()
    images, masks = np.asarray(images), np.asarray(masks)
    replicas = strategy.num_replicas_in_sync
    if len(images) < config.batch_size:
        raise ValueError(f"{len(images)} training images are fewer than one batch (--batch-size "
                         f"{config.batch_size}); lower --batch-size or give more images.")
    if config.batch_size % replicas:
        raise ValueError(f"--batch-size {config.batch_size} must be a multiple of the {replicas} replicas")
    check_same_size(images, config.image_size, "training data")
    steps_per_epoch = len(images) // config.batch_size
    if trainable is None:
        trainable = ReusableSegmenter.shared(config, strategy)
    elif trainable.key != (config.image_size, config.base_filters, config.dice_weight):
        raise ValueError(f"`trainable` was built for (image_size, base_filters, dice_weight) = {trainable.key}, "
                         f"not {(config.image_size, config.base_filters, config.dice_weight)}")

    def make_trainable():
        start = init_weights if init_weights is not None else trainable.initial_weights(config.seed)
        trainable.reset(start, learning_rate)
        return trainable

    def dataset_for_epoch(epoch: int, input_context):
        return make_dataset(images, masks, config.batch_size, augment=config.augment,
                            seed=epoch_seed(config.seed, epoch), shuffle=True, repeat=True, drop_remainder=True,
                            input_context=input_context)

    return run_training(
        make_trainable, dataset_for_epoch, epochs=epochs, steps_per_epoch=steps_per_epoch, run_dir=run_dir,
        strategy=strategy, checkpoint_every_steps=config.checkpoint_every_steps,
        keep_checkpoints=config.keep_checkpoints, validate=validation, val_every=config.val_every,
        monitor="dice_mean" if validation is not None else None, mode="max", jit_compile=config.jit,
        log_every_steps=config.log_every_steps, progress_keys=PROGRESS_KEYS, stream=stream, run_outputs=RUN_OUTPUTS)


def pretrain(config: SegmentationConfig, images: np.ndarray, masks: np.ndarray, run_dir: str | os.PathLike,
             strategy=None, trainable: ReusableSegmenter | None = None, stream: IO[str] | None = None) -> Path:
    """Pre-trains on generated images (``config.pretrain_epochs``, ``config.pretrain_lr``) in ``run_dir`` and
    saves the network weights as ``run_dir/pretrained.weights.h5`` (atomically; reused when already there).

    Returns:
        The weights file.
    """
    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()
    path = Path(run_dir) / PRETRAINED_WEIGHTS
    counters = read_counters(Path(run_dir) / "checkpoints")
    if path.exists() and counters is not None and counters["epoch"] >= config.pretrain_epochs:
        return path
    result = train_phase(config, images, masks, run_dir, epochs=config.pretrain_epochs,
                         learning_rate=config.pretrain_lr, strategy=strategy, trainable=trainable, stream=stream)
    if is_chief(strategy):
        # Written beside and renamed into place: a kill never leaves a half-written file under the final name.
        # (Keras wants the ".weights.h5" ending, so the temporary name only gets a prefix.)
        tmp = path.with_name(".partial-" + path.name)
        result.trainable.network.save_weights(os.fspath(tmp))
        os.replace(tmp, path)
    return path


# --- python train/fit_segmentation.py -----------------------------------------------------------------------------


@dataclass
class SegmentationRunSummary:
    """What :func:`fit_segmentation` produced.

    Attributes:
        run_dir: The run folder.
        already_finished: The run had finished before this call; nothing was trained or exported again.
        epochs_done: Completed fine-tuning epochs.
        pretrained_weights: The pre-trained weights fine-tuning started from (None: from scratch).
        validation: Held-out Dice per class after the last epoch (empty without held-out images).
        export_path: The SavedModel version folder (None on non-chief workers).
        keras_path: The exported ``.keras`` network.
        seconds: Wall time of this call.
    """

    run_dir: Path
    already_finished: bool
    epochs_done: int
    pretrained_weights: Path | None
    validation: dict[str, float]
    export_path: Path | None
    keras_path: Path | None
    seconds: float


def split_train_validation(n_images: int, n_train: int | None, val_images: int) -> tuple[int, int]:
    """(training images, held-out images) of a data set of ``n_images``: the first ``n_train`` images train and
    up to ``val_images`` of the following ones are held out (at most a fifth when ``n_train`` is None)."""
    if n_train is None:
        n_val = min(val_images, n_images // 5)
        return n_images - n_val, n_val
    if n_train > n_images:
        raise ValueError(f"--n-train {n_train} is larger than the data set ({n_images} images)")
    return n_train, min(val_images, n_images - n_train)


def check_resumable(config: SegmentationConfig, run_dir: Path) -> None:
    """Refuse to resume a run folder whose checkpoints were trained with other network or data options.

    Raises:
        ValueError: naming each option whose value differs from the run folder's ``config.yaml``.
    """
    saved_path = run_dir / "config.yaml"
    if not saved_path.exists():
        return
    if read_counters(run_dir / "checkpoints") is None and read_counters(run_dir / "pretrain" / "checkpoints") is None:
        return
    saved = read_saved_config(SegmentationConfig, saved_path)
    differences = [f"--{key.replace('_', '-')} {getattr(config, key)!r} (the run has {getattr(saved, key)!r})"
                   for key in RESUME_KEYS if not same_setting(key, getattr(config, key), getattr(saved, key))]
    if differences:
        raise ValueError(f"{run_dir} holds a run with other options; resuming would not fit its checkpoints: "
                         f"{'; '.join(differences)}. Use the run's options or another --out.")


def fit_segmentation(config: SegmentationConfig, stream: IO[str] | None = None) -> SegmentationRunSummary:
    """Train (or resume, or finish) the segmentation run described by ``config``; see the module docstring.

    Args:
        config: A validated :class:`SegmentationConfig`.
        stream: Where messages go (default stdout; the progress bar uses stderr unless given).

    Returns:
        A :class:`SegmentationRunSummary`.

    Raises:
        ValueError: too few images for a batch, masks without some class, pre-training images of another size,
            or a run folder with other options.
        NonFiniteLossError: a loss became NaN or infinite (the last good checkpoint is kept).
    """
    config.check_paths()  # before any data or model: a missing folder is named at once
    started = time.perf_counter()
    run_dir = config.run_dir
    strategy = make_strategy(config.strategy, config.devices)
    chief = is_chief(strategy)

    def log(message: str) -> None:
        if chief:
            print(message, file=stream or sys.stdout, flush=True)

    export_note = restart_export_note(config.export_dir, config.name)
    lock = open_run_folder(run_dir, chief=chief, restart=config.restart, log=log, export_note=export_note)
    try:
        return _fit_locked(config, run_dir, strategy, chief, log, stream, started)
    finally:
        if lock is not None:
            lock.release()


def _fit_locked(config: SegmentationConfig, run_dir: Path, strategy, chief: bool, log, stream,
                started: float) -> SegmentationRunSummary:
    """:func:`fit_segmentation` once the run folder is locked."""
    record_path = run_dir / EXPORT_RECORD
    if record_path.exists():
        problems: list[str] = []
        counters = read_counters(run_dir / "checkpoints", problems)
        for line in problems:
            log(line)
        if counters is not None and counters["epoch"] >= config.epochs:
            record = json.loads(record_path.read_text())
            log(f"This run has already finished: {counters['epoch']} of {config.epochs} epochs are done and the "
                f"segmenter was exported to {record['savedmodel']}. Nothing to do (raise --epochs to train "
                f"further, or choose another --out for a new run).")
            return SegmentationRunSummary(
                run_dir=run_dir, already_finished=True, epochs_done=int(counters["epoch"]),
                pretrained_weights=Path(record["pretrained_weights"]) if record.get("pretrained_weights") else None,
                validation=record.get("validation", {}), export_path=Path(record["savedmodel"]),
                keras_path=Path(record["keras"]), seconds=0.0)
    check_resumable(config, run_dir)
    refuse_fresh_start_over_outputs(run_dir, RUN_OUTPUTS)
    policy = set_up_runtime(config.seed, config.deterministic, config.mixed_precision)
    if chief:
        save_config(config, run_dir / "config.yaml")

    from specklegan_tf.data import load_dataset

    # Load only what is used: the training images and the held-out ones after them.
    wanted = None if config.n_train is None else config.n_train + config.val_images
    data = load_dataset(config.data, image_size=config.image_size, n=wanted if config.data == "phantom" else None,
                        seed=config.data_seed)
    n_train, n_val = split_train_validation(len(data), config.n_train, config.val_images)
    images, masks = np.asarray(data.images), np.asarray(data.masks)
    check_masks(masks[:n_train + n_val], data.names[:n_train + n_val], f"--data {config.data}")
    validation = SegmentationValidation(images[n_train:n_train + n_val], masks[n_train:n_train + n_val]) \
        if n_val else None
    log(f"Data: {config.data}, {n_train} training and {n_val} held-out images {config.image_size}x"
        f"{config.image_size}; U-Net base filters {config.base_filters}; batch {config.batch_size}; "
        f"precision {policy}")

    weights = None
    trainable = ReusableSegmenter.shared(config, strategy)
    if config.pretrain is not None:
        generated = load_pretraining_data(config.pretrain, config.image_size, seed=config.seed)
        log(f"Pre-training on {len(generated)} generated images from {config.pretrain} for "
            f"{config.pretrain_epochs} epochs")
        weights = pretrain(config, generated.images, generated.masks, run_dir / "pretrain", strategy, trainable,
                           stream)
        log(f"Pre-trained weights: {weights}; fine-tuning starts from them")

    result = train_phase(config, images[:n_train], masks[:n_train], run_dir, epochs=config.epochs,
                         learning_rate=config.lr, init_weights=weights, validation=validation, strategy=strategy,
                         trainable=trainable, stream=stream)
    network = result.trainable.network
    scores = validation.evaluate(network) if validation is not None else {}
    export_path = keras_path = None
    if chief:
        export_path, keras_path = _finish(network, config, run_dir, weights, scores, result, log)
    return SegmentationRunSummary(run_dir=run_dir, already_finished=False, epochs_done=result.epochs_done,
                                  pretrained_weights=weights, validation=scores, export_path=export_path,
                                  keras_path=keras_path, seconds=time.perf_counter() - started)


def _finish(network, config: SegmentationConfig, run_dir: Path, weights: Path | None, scores: dict[str, float],
            result: RunResult, log: Callable[[str], None]) -> tuple[Path, Path]:
    """Export the final network (SavedModel and ``.keras``) and write the record that marks the run finished."""
    from specklegan_tf.export.segmenter import export_segmenter, save_segmenter_keras

    save_segmenter_keras(network, run_dir / "segmenter_final.keras")
    metadata = {"training": {**config.to_dict(), "epochs_done": result.epochs_done, "steps_done": result.steps_done,
                             "pretrained_weights": os.fspath(weights) if weights else None},
                "validation": scores}
    export_path = export_segmenter(network, config.export_dir, config.name, metadata=metadata)
    keras_path = save_segmenter_keras(network, Path(config.export_dir) / f"{config.name}.keras")
    record = {"savedmodel": os.fspath(export_path), "keras": os.fspath(keras_path),
              "pretrained_weights": os.fspath(weights) if weights else None, "validation": scores}
    temporary = run_dir / (EXPORT_RECORD + ".tmp")
    temporary.write_text(json.dumps(record, indent=2))
    os.replace(temporary, run_dir / EXPORT_RECORD)
    shown = ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
    log(f"Held-out Dice: {shown or 'no held-out images'}. Exported the segmenter: SavedModel {export_path}, Keras "
        f"file {keras_path}. Training time in this call {format_duration(result.seconds)}.")
    return Path(export_path), Path(keras_path)
