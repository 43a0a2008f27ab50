"""Training the U-Net: one training run in one run folder (:func:`train_phase`) and the pre-training phase.

Both train through the loop the GAN trainer uses, :func:`~specklegan_tf.training.runner.run_training`: the same
strategies, atomic checkpoints with resume, NaN stop, progress bar with ETA and TensorBoard logs. A
:class:`ReusableSegmenter` owned by the caller carries the network, its optimizer and its traced training step from
one run to the next.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import numpy as np

from specklegan_tf.core.atomic_files import atomic_file
from specklegan_tf.training.checkpoints import read_counters
from specklegan_tf.training.run_lifecycle import check_batches
from specklegan_tf.training.runner import RunResult, epoch_seed, run_training
from specklegan_tf.training.segmentation_config import PRETRAINED_WEIGHTS, RUN_OUTPUTS, SegmentationConfig
from specklegan_tf.training.segmentation_data import check_same_size
from specklegan_tf.training.segmentation_scoring import Predictor, SegmentationValidation
from specklegan_tf.training.strategy import is_chief

PROGRESS_KEYS = ("loss", "dice_loss", "accuracy")


class ReusableSegmenter:
    """A U-Net with its optimizer whose training step is traced once and reused by consecutive training runs.

    Why: tracing the U-Net's training step takes longer than a small run's training, and the shared runner builds a
    new step function for every run. Wrapping ``Segmenter.train_step`` in one ``tf.function`` lets the runner's
    per-run function call the already traced graph, which matters for the study's dozens of runs. The caller owns
    the instance and passes it to each run (``docs/segmentation.md`` has the measured times). Before each run :meth:`reset`
    sets the starting weights (from scratch or pre-trained) and clears the optimizer state, so a run trains exactly
    as with a new model.

    Implements the runner's trainable protocol (``train_step``, ``checkpoint_items``) and exposes ``network`` and its
    ``predictor``.

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
        self._predictor: Predictor | None = None

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

    @property
    def predictor(self) -> Predictor:
        """The network's :class:`~specklegan_tf.training.segmentation_scoring.Predictor` (traced once, on first
        use), which the validation of every run trained with this object uses."""
        if self._predictor is None:
            self._predictor = Predictor(self.network)
        return self._predictor

    @classmethod
    def shared(cls, config: SegmentationConfig, strategy=None) -> "ReusableSegmenter":
        """A new instance, owned by the caller: the old name of the constructor, kept for its callers.

        There is no process-wide cache any more (it was keyed on ``id(strategy)``, which a new strategy can reuse):
        whoever trains several runs creates one instance and passes it to each :func:`train_phase`.
        """
        return cls(config, strategy)


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
        trainable: A :class:`ReusableSegmenter` of the same network options to train (reset first); a new one
            when None (pass one to consecutive runs: its training step is traced only once).
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
    steps_per_epoch = check_batches(config.batch_size, len(images), strategy.num_replicas_in_sync,
                                    too_few=f"{len(images)} training images are fewer than one batch (--batch-size "
                                            f"{config.batch_size}); lower --batch-size or give more images.")
    check_same_size(images, config.image_size, "training data")
    if trainable is None:
        trainable = ReusableSegmenter(config, strategy)
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
        # (Keras wants the ".weights.h5" ending for the temporary name too.)
        with atomic_file(path, suffix=".weights.h5") as temporary:
            result.trainable.network.save_weights(os.fspath(temporary))
    return path
