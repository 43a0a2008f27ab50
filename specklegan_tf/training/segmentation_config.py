"""The configuration of ``train/fit_segmentation.py`` and the names of its run folder's files.

Importable without TensorFlow, so that reading a configuration or printing ``--help`` does not start it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specklegan_tf.core.validators import power_of_two
from specklegan_tf.training.config import TrainerConfig, _help, _require

# Options that fix the network, the data or the data order: a resumed run must use the same values.
RESUME_KEYS = ("data", "data_seed", "n_train", "image_size", "base_filters", "batch_size", "seed", "pretrain")
EXPORT_RECORD = "export.json"
PRETRAINED_WEIGHTS = "pretrained.weights.h5"
# Files only a trained run writes: with one of them and no checkpoint, a start from step 0 is refused.
RUN_OUTPUTS = ("segmenter_final.keras", EXPORT_RECORD)


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
