"""Configuration of the segmentation study (Table 2) and its pre-training conditions.

Read with the package's one configuration mechanism (:func:`specklegan_tf.core.config.load_config`): value rules
in ``validate()`` (run on construction), file-system checks in the explicit ``check_paths()`` step.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specklegan_tf.core.config import option_help, to_plain_dict
from specklegan_tf.core.validators import at_least, require

NO_PRETRAINING = "no pre-training"


@dataclass
class StudyConfig:
    """Configuration of ``specklegan study`` / ``train/segmentation_study.py`` (defaults: the paper's setting where
    it has one).

    Args:
        data: ``phantom``, an IVUS challenge folder or image/mask folders (with
            :func:`~specklegan_tf.experiments.study_runs.run_study_on_arrays` only a label of the arrays).
        data_seed: Seed of the phantom data set (the data, not the study's random choices).
        n_data: Use only the first N images of the data set (default: all; the phantom has 435).
        n_train: The scenarios: numbers of real training images (the paper: 50 and 100).
        gan: Exported generators (SavedModel folder or ``.keras``), each ``[NAME=]PATH``: one pre-training
            condition each, on ``n_generated`` images generated from synthetic masks.
        pretrain: Folders of generated images in the challenge layout, each ``[NAME=]DIR``: one condition each.
        n_generated: Images generated per ``gan`` (the paper: 1000).
        folds: k of the k-fold cross-validation (the paper: 5).
        image_size: Image side (the paper: 256).
        base_filters: U-Net filters at full resolution (the paper: 32).
        batch_size: Batch size (the paper: 10).
        epochs: Fine-tuning epochs per fold (not stated in the paper).
        pretrain_epochs: Pre-training epochs (not stated in the paper).
        lr, pretrain_lr: Adam learning rates of fine-tuning and pre-training.
        dice_weight: Weight of the soft Dice term of the loss.
        augment: Random rotations and flips (the paper's augmentation).
        seed: The seed every random choice is derived from.
        deterministic: TensorFlow op determinism (identical reruns).
        out: Output folder.
    """

    data: str = field(default="phantom", metadata=option_help(
        "'phantom', an IVUS challenge folder or image/mask folders"))
    data_seed: int = field(default=0, metadata=option_help("seed of the phantom data set (ignored for folders)"))
    n_data: int | None = field(default=None, metadata=option_help("use only the first N images of the data set",
                                                                   metavar="N"))
    n_train: tuple[int, ...] = field(default=(50, 100), metadata=option_help(
        "scenarios: numbers of real training images"))
    gan: tuple[str, ...] = field(default=(), metadata=option_help(
        "exported generator [NAME=]PATH (repeat the option for several)", repeat=True, metavar="[NAME=]PATH"))
    pretrain: tuple[str, ...] = field(default=(), metadata=option_help(
        "folder of generated images [NAME=]DIR in the challenge layout (repeatable)", repeat=True,
        metavar="[NAME=]PATH"))
    n_generated: int = field(default=1000, metadata=option_help("images generated per --gan"))
    folds: int = field(default=5, metadata=option_help("k of the k-fold cross-validation"))
    image_size: int = field(default=256, metadata=option_help("image side, a power of two from 32"))
    base_filters: int = field(default=32, metadata=option_help("U-Net filters at full resolution"))
    batch_size: int = field(default=10, metadata=option_help("batch size"))
    epochs: int = field(default=50, metadata=option_help("fine-tuning epochs per fold"))
    pretrain_epochs: int = field(default=5, metadata=option_help("pre-training epochs"))
    lr: float = field(default=1e-3, metadata=option_help("fine-tuning learning rate (Adam)"))
    pretrain_lr: float = field(default=1e-3, metadata=option_help("pre-training learning rate (Adam)"))
    dice_weight: float = field(default=1.0, metadata=option_help("weight of the soft Dice term of the loss"))
    augment: bool = field(default=True, metadata=option_help("random rotations and flips"))
    seed: int = field(default=0, metadata=option_help("seed every random choice is derived from"))
    deterministic: bool = field(default=True, metadata=option_help("TensorFlow op determinism (identical reruns)"))
    out: str = field(default="runs/segmentation_study", metadata=option_help("output folder"))

    def __post_init__(self) -> None:
        self.n_train = tuple(int(n) for n in self.n_train)
        self.gan, self.pretrain = tuple(self.gan), tuple(self.pretrain)
        self.validate()

    def validate(self) -> None:
        """Rules on the values alone; ValueError naming the option."""
        require(len(self.n_train) >= 1 and all(n >= 1 for n in self.n_train), "n_train",
                "must be positive numbers", self.n_train)
        require(len(set(self.n_train)) == len(self.n_train), "n_train", "must not repeat a number", self.n_train)
        at_least(self.folds, "folds", 2)
        at_least(self.n_generated, "n_generated", 1)
        if self.n_data is not None:
            at_least(self.n_data, "n_data", 2)
        for key in ("epochs", "pretrain_epochs", "batch_size"):
            at_least(getattr(self, key), key, 1)
        at_least(self.seed, "seed", 0)
        for n in self.n_train:
            if n < self.folds * self.batch_size:
                raise ValueError(
                    f"--n-train {n}: {self.folds}-fold cross-validation with batch size {self.batch_size} needs at "
                    f"least --folds x --batch-size = {self.folds * self.batch_size} training images (each fold "
                    f"trains on {self.folds - 1}/{self.folds} of them); lower --folds or --batch-size, or use "
                    f"more images.")
        self.training_config()  # the U-Net trainer's own rules: image size, learning rates, filters

    def check_paths(self) -> None:
        """The generators and pre-training folders exist (FileNotFoundError naming the option)."""
        for option, values in (("--gan", self.gan), ("--pretrain", self.pretrain)):
            for value in values:
                _, location = split_name(value)
                if not Path(location).exists():
                    raise FileNotFoundError(f"{option}: no such file or folder: {location}")

    def check_data_path(self) -> None:
        """The ``--data`` folder exists (needed only when the study loads its data itself)."""
        if self.data != "phantom" and not Path(self.data).is_dir():
            raise FileNotFoundError(f"--data: no such folder: {self.data} (give a data folder or 'phantom')")

    def training_config(self, seed: int | None = None):
        """The per-run :class:`~specklegan_tf.training.SegmentationConfig` (validation only at the end of a run)."""
        from specklegan_tf.training.segmentation_trainer import SegmentationConfig

        return SegmentationConfig(
            data=self.data, data_seed=self.data_seed, image_size=self.image_size, base_filters=self.base_filters,
            batch_size=self.batch_size, epochs=self.epochs, val_every=self.epochs, lr=self.lr,
            pretrain_epochs=self.pretrain_epochs, pretrain_lr=self.pretrain_lr, dice_weight=self.dice_weight,
            augment=self.augment, seed=self.seed if seed is None else seed, deterministic=self.deterministic)

    def to_dict(self) -> dict[str, Any]:
        return to_plain_dict(self)


@dataclass
class Condition:
    """One pre-training condition: ``kind`` is ``none``, ``gan`` (an exported generator) or ``folder``."""

    name: str
    kind: str
    path: str | None = None


def split_name(value: str) -> tuple[str | None, str]:
    """``NAME=PATH`` -> (NAME, PATH); a bare path (also one containing ``=`` that exists) -> (None, PATH)."""
    if "=" in value and not Path(value).exists():
        name, path = value.split("=", 1)
        return name.strip(), path
    return None, value


def _default_name(path: str) -> str:
    p = Path(path.rstrip("/"))
    if p.name.isdigit():  # savedmodels/<name>/<version>
        p = p.parent
    return p.stem if p.suffix == ".keras" else p.name


def parse_conditions(gan: tuple[str, ...], pretrain: tuple[str, ...]) -> list[Condition]:
    """``no pre-training`` followed by one condition per ``[NAME=]PATH`` of ``gan`` and ``pretrain``.

    Raises:
        ValueError: two conditions with the same name.
    """
    conditions = [Condition(NO_PRETRAINING, "none")]
    for kind, values in (("gan", gan), ("folder", pretrain)):
        for value in values:
            name, path = split_name(value)
            conditions.append(Condition(name or _default_name(path), kind, path))
    names = [c.name for c in conditions]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"condition names must differ, got {duplicates} more than once; name them with "
                         f"--gan NAME=PATH / --pretrain NAME=DIR")
    return conditions


def slug(name: str) -> str:
    """A folder name for a condition name."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "condition"
