"""Trainer configurations: one dataclass per trainer, read from presets, YAML/JSON files and command-line flags.

The precedence is: the dataclass defaults (the paper's configuration) < a named preset (``--preset demo``) < a
configuration file (``--config FILE``, YAML or JSON, the same keys as the flags with ``_`` or ``-``) < flags given
on the command line. The effective configuration is written into the run folder (``config.yaml``), so a run can be
repeated or resumed from it.

Every trainer shares :class:`TrainerConfig` (run folder, epochs, checkpoints, strategy, determinism, export);
:class:`GANConfig` adds what ``train/fit_gan.py`` needs. A new trainer subclasses :class:`TrainerConfig`, lists
its presets, and calls :func:`load_config`.

Example:
    >>> config = load_config(GANConfig, ["--preset", "demo", "--epochs", "1"], presets=GAN_PRESETS)
    >>> config.image_size, config.epochs
    (64, 1)
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence, TypeVar

import yaml

ConfigT = TypeVar("ConfigT", bound="TrainerConfig")

STRATEGIES = ("auto", "default", "mirrored", "multiworker")


def _option(key: str) -> str:
    """The command-line spelling of a configuration key (``image_size`` -> ``--image-size``)."""
    return "--" + key.replace("_", "-")


def _help(text: str, **extra: Any) -> dict[str, Any]:
    return {"help": text, **extra}


@dataclass
class TrainerConfig:
    """Options shared by every trainer: run folder, schedule, checkpoints, strategy, determinism and export.

    Args:
        name: Run name; the default run folder is ``runs/<name>`` and the export is ``<export_dir>/<name>``.
        out: Run folder (checkpoints, logs, samples, effective config). Default ``runs/<name>``.
        epochs: Number of epochs to train in total (a resumed run continues up to this number).
        batch_size: Global batch size, split over all replicas.
        seed: Seed of every random choice (weights, data order, augmentation, noise).
        val_every: Validate every this many epochs (and after the last epoch).
        checkpoint_every_steps: Also checkpoint every this many steps within an epoch (0: at epoch ends only).
        keep_checkpoints: How many recent checkpoints to keep.
        strategy: ``auto`` (multi-worker when ``TF_CONFIG`` is set, mirrored with several devices, else
            default), ``default``, ``mirrored`` or ``multiworker``.
        devices: Split the CPU into this many logical devices before TensorFlow starts (0: leave as is); for
            trying ``MirroredStrategy`` on a CPU-only machine.
        jit: Compile the per-replica training step with XLA (``jit_compile=True``).
        mixed_precision: Compute in bfloat16 with float32 variables (``mixed_bfloat16``; needs no loss scaling).
        deterministic: Enable TensorFlow op determinism: the same command gives bit-identical weights, also
            across a kill and resume. Slower.
        export_dir: Base folder for the exported SavedModel (TF Serving layout ``<export_dir>/<name>/<version>``).
        log_every_steps: Write step scalars to TensorBoard every this many steps.
        restart: Start again from step 0 in a run folder that holds a previous run (its files are moved to
            ``previous-<k>/``); without it such a folder is resumed, or refused when it cannot be. Not written to
            ``config.yaml``: it is an action of one command, not a property of the run.
    """

    name: str = field(default="run", metadata=_help("run name: default run folder runs/<name>, export name"))
    out: str | None = field(default=None, metadata=_help("run folder (default runs/<name>)"))
    epochs: int = field(default=100, metadata=_help("total number of epochs"))
    batch_size: int = field(default=8, metadata=_help("global batch size (split over replicas)"))
    seed: int = field(default=0, metadata=_help("seed of every random choice"))
    val_every: int = field(default=1, metadata=_help("validate every N epochs (and after the last)"))
    checkpoint_every_steps: int = field(
        default=0, metadata=_help("also checkpoint every N steps within an epoch (0: epoch ends only)")
    )
    keep_checkpoints: int = field(default=3, metadata=_help("number of recent checkpoints to keep"))
    strategy: str = field(default="auto", metadata=_help("distribution strategy", choices=STRATEGIES))
    devices: int = field(default=0, metadata=_help("split the CPU into N logical devices (0: as is)"))
    jit: bool = field(default=False, metadata=_help("XLA-compile the training step"))
    mixed_precision: bool = field(default=False, metadata=_help("mixed_bfloat16 compute, float32 variables"))
    deterministic: bool = field(default=False, metadata=_help("TensorFlow op determinism (bit-exact reruns)"))
    export_dir: str = field(default="savedmodels", metadata=_help("base folder of the SavedModel export"))
    log_every_steps: int = field(default=1, metadata=_help("TensorBoard step scalars every N steps"))
    restart: bool = field(default=False, metadata=_help(
        "start again from step 0 in a folder holding a previous run (its files are moved to previous-<k>/)"))

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check the values; raises ValueError naming the command-line option."""
        for key in ("epochs", "batch_size", "val_every", "keep_checkpoints", "log_every_steps"):
            _require(getattr(self, key) >= 1, key, "must be at least 1", getattr(self, key))
        for key in ("checkpoint_every_steps", "devices", "seed"):
            _require(getattr(self, key) >= 0, key, "must not be negative", getattr(self, key))
        _require(self.strategy in STRATEGIES, "strategy", f"must be one of {', '.join(STRATEGIES)}", self.strategy)
        # The name becomes a folder (runs/<name>) and the export's model folder, which must not be hidden (TF Serving
        # and the export's own temporary folders rely on that), so a bad one is refused here, not after training.
        _require(bool(self.name) and not self.name.startswith(".") and "/" not in self.name and os.sep not in self.name
                 and "\0" not in self.name and self.name.strip() == self.name, "name",
                 "must be a plain folder name (not empty, not starting with '.', no '/', no surrounding spaces)",
                 self.name)
        for key in ("out", "export_dir"):  # refused now, not after the training (issue 14, item 5)
            value = getattr(self, key)
            _require(value is None or not Path(value).exists() or Path(value).is_dir(), key,
                     "is an existing file, not a folder", value)

    @property
    def run_dir(self) -> Path:
        """The run folder: ``out`` if given, else ``runs/<name>``."""
        return Path(self.out) if self.out else Path("runs") / self.name

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a plain dict (tuples as lists), as written to ``config.yaml``."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


PAPER_LR = 3e-4  # The paper's range is 1e-3..3e-4, dropped in two steps to 1e-4 or 3e-5.


@dataclass
class GANConfig(TrainerConfig):
    """Configuration of ``train/fit_gan.py``; the defaults are the paper's setting (256x256 SpeckleGAN, phantom).

    Args (besides :class:`TrainerConfig`'s):
        data: ``phantom`` (the embedded IVUS phantom), an IVUS challenge folder, or generic image/mask folders.
        n_train: Use only the first N training images (default: all).
        data_seed: Seed of the phantom data set; kept apart from ``seed`` so that training with another seed
            uses the same (cached) phantom images.
        model: ``speckle`` (SpeckleGAN) or ``baseline`` (the speckle layer replaced by an identity mapping).
        image_size: Image side length, a power of two from 32 to 512.
        width: Multiplier of every channel count (1.0 is the paper's network).
        latent_dim: Length of the noise vector z.
        polar: Apply the speckle layer in polar coordinates (IVUS); ``--no-polar`` for linear probes.
        lr: Initial learning rate of both networks (``lr_g``/``lr_d`` override it per network).
        lr_g, lr_d: Initial learning rate of the generator / discriminator.
        decay_epochs: The two epochs at which the learning rates drop.
        decay_factors: The learning rate after each drop, relative to the initial one.
        features: Validation feature extractor: ``texture`` (no weights needed) or ``inception`` (FID).
        inception_weights: InceptionV3 weights file (``.h5``/``.weights.h5``) for ``--features inception``.
        val_images: Number of data-set masks generated from at each validation (default: all).
        grid_size: Number of fixed masks (columns) in the sample grids.
        export: Export the best generator at the end (``--no-export`` skips it, e.g. in parameter sweeps).
    """

    name: str = field(default="specklegan", metadata=_help("run name: default run folder runs/<name>, export name"))
    epochs: int = field(default=600, metadata=_help("total number of epochs"))
    batch_size: int = field(default=8, metadata=_help("global batch size (split over replicas)"))
    data: str = field(default="phantom", metadata=_help("'phantom', an IVUS challenge folder or image/mask folders"))
    n_train: int | None = field(default=None, metadata=_help("use only the first N training images"))
    data_seed: int = field(default=0, metadata=_help("seed of the phantom data set (ignored for folders)"))
    model: str = field(default="speckle", metadata=_help("SpeckleGAN or the baseline", choices=("speckle", "baseline")))
    image_size: int = field(default=256, metadata=_help("image side, a power of two from 32 to 512"))
    width: float = field(default=1.0, metadata=_help("channel-count multiplier (1.0 = the paper)"))
    latent_dim: int = field(default=128, metadata=_help("length of the noise vector z"))
    polar: bool = field(default=True, metadata=_help("speckle layer in polar coordinates (IVUS)"))
    window_shape: str = field(default="square", metadata=_help(
        "speckle windows: one edge length (the paper) or independent radial/angular ones",
        choices=("square", "rectangular")))
    speckle_init: str = field(default="paper", metadata=_help(
        "initial speckle windows: the paper's 28-48 bins at 256 px, or matched to the training images' grain",
        choices=("paper", "data")))
    speckle_compression: str = field(default="none", metadata=_help(
        "speckle layer output: the envelope (the paper) or its log compression (B-mode)", choices=("none", "log")))
    shared_phases: bool = field(default=False, metadata=_help(
        "one speckle phase field per image for all the speckle layer's maps (default: one per map)"))
    window_profile: str = field(default="rect", metadata=_help(
        "profile of the speckle windows: the paper's rect or a Gaussian aperture of the same width",
        choices=("rect", "gaussian")))
    speckle_skip: bool = field(default=False, metadata=_help(
        "give the last block the penultimate maps beside the speckled ones (SpeckleGAN only)"))
    last_channels: int | None = field(default=None, metadata=_help(
        "channels of the generator's last block, for both models (default 16 x width)"))
    diff_augment: str = field(default="none", metadata=_help(
        "DiffAugment policies for the discriminator's inputs, comma-separated from color,translation,cutout, "
        "or 'none'"))
    lr: float = field(default=PAPER_LR, metadata=_help("initial learning rate of both networks"))
    lr_g: float | None = field(default=None, metadata=_help("initial generator learning rate (default --lr)"))
    lr_d: float | None = field(default=None, metadata=_help("initial discriminator learning rate (default --lr)"))
    decay_epochs: tuple[int, int] = field(default=(200, 400), metadata=_help("the two learning-rate drop epochs"))
    decay_factors: tuple[float, float] = field(
        default=(1 / 3, 0.1), metadata=_help("learning rate after each drop, relative to the initial one")
    )
    features: str = field(default="texture", metadata=_help("validation features", choices=("texture", "inception")))
    inception_weights: str | None = field(default=None, metadata=_help("InceptionV3 weights file for FID"))
    val_images: int | None = field(default=None, metadata=_help("masks generated from per validation (default all)"))
    grid_size: int = field(default=8, metadata=_help("number of fixed masks in the sample grids"))
    export: bool = field(default=True, metadata=_help("export the best generator at the end"))

    def validate(self) -> None:
        super().validate()
        size = self.image_size
        _require(32 <= size <= 512 and size & (size - 1) == 0, "image_size",
                 "must be a power of two between 32 and 512", size)
        _require(self.width > 0 and math.isfinite(self.width), "width", "must be a positive number", self.width)
        _require(self.latent_dim >= 1, "latent_dim", "must be at least 1", self.latent_dim)
        _require(self.last_channels is None or self.last_channels >= 1, "last_channels", "must be at least 1",
                 self.last_channels)
        policies = self.diff_augment_policies
        _require(all(p in ("color", "translation", "cutout") for p in policies) and len(set(policies)) == len(policies),
                 "diff_augment", "must be 'none' or distinct names from color,translation,cutout", self.diff_augment)
        for key in ("lr", "lr_g", "lr_d"):
            value = getattr(self, key)
            _require(value is None or (0 < value < 1), key, "must be in (0, 1)", value)
        _require(len(self.decay_epochs) == 2 and 0 < self.decay_epochs[0] < self.decay_epochs[1], "decay_epochs",
                 "must be two increasing positive epochs", self.decay_epochs)
        _require(len(self.decay_factors) == 2 and all(0 < f <= 1 for f in self.decay_factors), "decay_factors",
                 "must be two factors in (0, 1]", self.decay_factors)
        _require(self.n_train is None or self.n_train >= 1, "n_train", "must be at least 1", self.n_train)
        _require(self.data_seed >= 0, "data_seed", "must not be negative", self.data_seed)
        _require(self.val_images is None or self.val_images >= 2, "val_images", "must be at least 2",
                 self.val_images)
        _require(1 <= self.grid_size <= 64, "grid_size", "must be between 1 and 64", self.grid_size)
        if self.features == "inception" and not self.inception_weights:
            raise ValueError("--features inception needs --inception-weights FILE (no weights can be downloaded "
                             "here); use --features texture otherwise.")
        if self.inception_weights and not Path(self.inception_weights).is_file():
            raise FileNotFoundError(f"--inception-weights: no such file: {self.inception_weights}")
        if self.data != "phantom" and not Path(self.data).is_dir():
            raise FileNotFoundError(f"--data: no such folder: {self.data} (give a data folder or 'phantom')")

    @property
    def diff_augment_policies(self) -> tuple[str, ...]:
        """The DiffAugment policies named by ``diff_augment`` (empty for 'none')."""
        text = self.diff_augment.strip().lower()
        return () if text in ("", "none") else tuple(p.strip() for p in text.split(","))

    @property
    def learning_rates(self) -> tuple[float, float]:
        """The initial (generator, discriminator) learning rates."""
        return (self.lr_g or self.lr, self.lr_d or self.lr)


GAN_PRESETS: dict[str, dict[str, Any]] = {
    # The paper's configuration: the dataclass defaults.
    "paper": {},
    # A small configuration for a 2-core CPU (about 10 minutes here, see the README's Training section).
    "demo": {
        "name": "specklegan-demo",
        "image_size": 64,
        "width": 0.25,
        "latent_dim": 32,
        "n_train": 128,
        "batch_size": 8,
        "epochs": 12,
        "lr": 1e-3,
        "decay_epochs": (8, 10),
        "decay_factors": (0.3, 0.1),
        "val_every": 4,
        "val_images": 64,
    },
}


def _require(condition: bool, key: str, problem: str, value: Any) -> None:
    if not condition:
        raise ValueError(f"{_option(key)} {problem}, got {value!r}")


# --- reading and merging -------------------------------------------------------------------------------------


def _field_types(config_cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(config_cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(config_cls)}


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """``int | None`` -> (int, True); ``int`` -> (int, False)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _convert(key: str, annotation: Any, value: Any) -> Any:
    """Convert a value read from a file or flag to the field's type; ValueError naming the option."""
    base, optional = _unwrap_optional(annotation)
    if value is None or (optional and isinstance(value, str) and value.lower() in ("none", "null", "")):
        if optional:
            return None
        raise ValueError(f"{_option(key)} must not be empty")
    try:
        if typing.get_origin(base) is tuple:
            item_types = typing.get_args(base)
            if isinstance(value, str):
                value = value.replace(",", " ").split()
            if not isinstance(value, (list, tuple)) or len(value) != len(item_types):
                raise ValueError
            return tuple(_convert(key, t, v) for t, v in zip(item_types, value))
        if base is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "yes", "1", "on", "false", "no", "0", "off"):
                return value.lower() in ("true", "yes", "1", "on")
            raise ValueError
        if base is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if base is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if base is str:
            return str(value)
    except (TypeError, ValueError):
        pass
    raise ValueError(f"{_option(key)} expects {_describe(annotation)}, got {value!r}")


def _describe(annotation: Any) -> str:
    base, optional = _unwrap_optional(annotation)
    if typing.get_origin(base) is tuple:
        text = f"{len(typing.get_args(base))} values"
    else:
        text = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(base, str(base))
    return text + (" (or none)" if optional else "")


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``) or JSON (``.json``) configuration file into a dict.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file cannot be parsed or is not a mapping of option names to values.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--config: no such file: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"--config: {path} is not a text file (give a YAML or JSON file)") from None
    try:
        content = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ValueError(f"--config: cannot parse {path}: {error}") from None
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise ValueError(f"--config: {path} must contain a mapping of option names to values")
    return content


def merge_settings(config_cls: type[ConfigT], settings: Mapping[str, Any], source: str,
                   base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``settings`` (keys with ``_`` or ``-``) over ``base``, checking names and converting types.

    Raises:
        ValueError: a key is not an option of ``config_cls`` (the message names it, the source and close matches)
            or a value has the wrong type.
    """
    field_types = _field_types(config_cls)
    merged = dict(base or {})
    for raw_key, value in settings.items():
        key = str(raw_key).replace("-", "_")
        if key not in field_types:
            close = difflib.get_close_matches(key, field_types, n=3)
            hint = f"; did you mean {', '.join(_option(c) for c in close)}?" if close else ""
            raise ValueError(f"{source}: unknown option {raw_key!r}{hint}")
        merged[key] = _convert(key, field_types[key], value)
    return merged


def build_parser(config_cls: type[ConfigT], presets: Mapping[str, Mapping[str, Any]] | None = None,
                 description: str | None = None, prog: str | None = None,
                 epilog: str | None = None) -> argparse.ArgumentParser:
    """An argparse parser with one flag per dataclass field plus ``--config`` and ``--preset``.

    Flags default to "not given" (``argparse.SUPPRESS``) so that only what the user typed overrides the
    preset and the configuration file; their help shows the dataclass default. ``epilog`` (e.g. examples) is
    shown as written.
    """
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     argument_default=argparse.SUPPRESS)
    parser.add_argument("--config", metavar="FILE", help="YAML or JSON file with the same keys as the flags")
    if presets:
        parser.add_argument("--preset", choices=sorted(presets), help="a named configuration (flags override it)")
    defaults = {f.name: f.default for f in dataclasses.fields(config_cls)}
    for f in dataclasses.fields(config_cls):
        annotation = _field_types(config_cls)[f.name]
        base, _ = _unwrap_optional(annotation)
        help_text = f"{f.metadata.get('help', '')} (default: {defaults[f.name]})"
        kwargs: dict[str, Any] = {"dest": f.name, "help": help_text}
        if base is bool:
            parser.add_argument(_option(f.name), action=argparse.BooleanOptionalAction, **kwargs)
            continue
        if typing.get_origin(base) is tuple:
            kwargs["nargs"] = len(typing.get_args(base))
        if "choices" in f.metadata:
            kwargs["choices"] = f.metadata["choices"]
        else:
            kwargs["metavar"] = {int: "N", float: "X"}.get(typing.get_args(base)[0] if kwargs.get("nargs")
                                                           else base, "VALUE")
        parser.add_argument(_option(f.name), **kwargs)
    return parser


def load_config(config_cls: type[ConfigT], argv: Sequence[str] | None = None,
                presets: Mapping[str, Mapping[str, Any]] | None = None,
                description: str | None = None, prog: str | None = None,
                epilog: str | None = None) -> ConfigT:
    """Parse command-line arguments into a validated configuration.

    Args:
        config_cls: The trainer's configuration dataclass (a :class:`TrainerConfig` subclass).
        argv: The arguments (default ``sys.argv[1:]``).
        presets: Named partial configurations selectable with ``--preset`` (or a ``preset`` key in the file).
        description: Help text of the command.
        prog: Program name shown in the help.
        epilog: Text after the options in the help (examples).

    Returns:
        The configuration: defaults < preset < ``--config`` file < flags.

    Raises:
        ValueError / FileNotFoundError: an unknown option, a bad value or a missing file; the message names the
            option. (argparse itself exits with a usage message for malformed flags.)
    """
    parser = build_parser(config_cls, presets, description, prog, epilog)
    given = vars(parser.parse_args(argv))
    config_path = given.pop("config", None)
    preset = given.pop("preset", None)
    file_settings = read_config_file(config_path) if config_path else {}
    if preset is None and "preset" in file_settings:
        preset = file_settings.get("preset")
    file_settings.pop("preset", None)
    settings: dict[str, Any] = {}
    if preset is not None:
        if not presets or preset not in presets:
            raise ValueError(f"--preset: unknown preset {preset!r}; choose from {sorted(presets or {})}")
        settings = merge_settings(config_cls, presets[preset], f"preset {preset!r}")
    settings = merge_settings(config_cls, file_settings, f"--config {config_path}", settings)
    settings = merge_settings(config_cls, given, "command line", settings)
    return config_cls(**settings)


def save_config(config: TrainerConfig, path: str | os.PathLike) -> None:
    """Write the effective configuration as YAML (atomically: a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    settings = config.to_dict()
    settings.pop("restart", None)  # an action of one command: a resume from this file must not restart again
    temporary.write_text(yaml.safe_dump(settings, sort_keys=False))
    os.replace(temporary, path)


def read_saved_config(config_cls: type[ConfigT], path: str | os.PathLike) -> ConfigT:
    """Read a configuration written by :func:`save_config`, without validating file paths again."""
    settings = merge_settings(config_cls, read_config_file(path), str(path))
    config = config_cls.__new__(config_cls)
    for f in dataclasses.fields(config_cls):
        setattr(config, f.name, settings.get(f.name, f.default))
    return config
