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

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The mechanism itself lives on the ground floor; these names stay importable from here for older callers.
from specklegan_tf.core.config import (  # noqa: F401
    build_parser, load_config, merge_settings, option_help, read_config_file, read_saved_config, save_config,
    to_plain_dict,
)
from specklegan_tf.core.validators import not_a_file, option_name, plain_folder_name, power_of_two, require

STRATEGIES = ("auto", "default", "mirrored", "multiworker")


_help = option_help
_require = require
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
        plain_folder_name(self.name, "name")

    def check_paths(self) -> None:
        """Checks against the file system, run once before any work (``load_config`` calls it): the run folder
        and the export folder must not be existing files."""
        for key in ("out", "export_dir"):  # refused now, not after the training (issue 14, item 5)
            not_a_file(getattr(self, key), key)

    @property
    def run_dir(self) -> Path:
        """The run folder: ``out`` if given, else ``runs/<name>``."""
        return Path(self.out) if self.out else Path("runs") / self.name

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a plain dict (tuples as lists), as written to ``config.yaml``."""
        return to_plain_dict(self)


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
    speckle_windows: tuple[float, float] | None = field(default=None, metadata=_help(
        "initial centre speckle window R C (radial, angular; rows, columns without --polar) in bins of the image "
        "size, the windows spread around it as the paper's are; overrides --speckle-init (e.g. what "
        "specklegan_tf.experiments.speckle_oracle finds)"))
    speckle_compression: str = field(default="none", metadata=_help(
        "speckle layer output: the envelope (the paper) or its log compression (B-mode)", choices=("none", "log")))
    shared_phases: bool = field(default=False, metadata=_help(
        "one speckle phase field per image for all the speckle layer's maps (default: one per map)"))
    learn_speckle_windows: bool = field(default=True, metadata=_help(
        "train the speckle window sizes (the paper); --no-learn-speckle-windows keeps them where they start, e.g. "
        "at the data's grain with --speckle-init data"))
    spade_normalization: str = field(default="batch", metadata=_help(
        "normalisation inside every SPADE of the generator, for both models: batch statistics (the paper; moving "
        "statistics in inference) or each image's own (instance: inference computes what training did)",
        choices=("batch", "instance")))
    upsampling: str = field(default="nearest", metadata=_help(
        "interpolation of the generator trunk's x2 upsampling, for both models: nearest (the paper's SPADE "
        "generator) or bilinear", choices=("nearest", "bilinear")))
    discriminator_downsampling: str = field(default="stride", metadata=_help(
        "how the discriminator's blocks halve the resolution, for both models: stride-2 convolutions (the paper) or "
        "blur: a binomial low-pass filter before subsampling, whose gradient reaches every pixel alike (no 2-8 px "
        "grid for the generator to copy)", choices=("stride", "blur")))
    window_profile: str = field(default="rect", metadata=_help(
        "profile of the speckle windows: the paper's rect or a Gaussian aperture of the same width",
        choices=("rect", "gaussian")))
    lateral_aperture: str = field(default="fixed_angle", metadata=_help(
        "polar speckle's angular window: the same at every radius (the paper) or widening with the radius by a "
        "learned exponent, as an IVUS beam does (needs polar)", choices=("fixed_angle", "depth_scaled")))
    speckle_skip: bool = field(default=False, metadata=_help(
        "give the last block the penultimate maps beside the speckled ones (SpeckleGAN only)"))
    speckle_route: str = field(default="last_block", metadata=_help(
        "where the speckled maps go: the last block's input (the paper) or 'direct': a 1x1 convolution added "
        "before the output tanh, the last block keeping the baseline's input (SpeckleGAN only), 'display': the "
        "same 1x1 convolution added after the tanh and clipped to [-1, 1], so that the speckle keeps its "
        "strength at every gray level (SpeckleGAN only), or 'echo': "
        "speckle on the output convolution's map read as log echogenicity, then a 1x1 convolution (B-mode image "
        "formation; needs --speckle-compression log; the baseline gets the same 1x1 convolution)",
        choices=("last_block", "direct", "display", "echo")))
    echo_gain: float = field(default=1.0, metadata=_help(
        "initial gain of the 'echo' route's 1x1 convolution in image units per neper, for both models"))
    direct_gain: float = field(default=0.0, metadata=_help(
        "initial gain of the 'direct' or 'display' route's 1x1 convolution in image units per neper (0: "
        "SpeckleGAN starts as "
        "the baseline's function)"))
    speckle_weights: str = field(default="signed", metadata=_help(
        "the 'direct' or 'display' route's 1x1 convolution of the speckled maps: signed weights, or nonnegative "
        "(the image adds a non-negative mix of speckle patterns; signed weights can cancel the speckle of maps "
        "sharing phases and keep echo texture), or fixed_gain (non-negative, their sum held at --direct-gain: the "
        "speckle keeps its starting strength, training learns the mix of window sizes)",
        choices=("signed", "nonnegative", "fixed_gain")))
    display_clip: str = field(default="hard", metadata=_help(
        "the 'display' route's clip of the image to [-1, 1]: hard (hard_tanh: no gradient from pixels past "
        "white or black) or straight_through (the same image, the gradient passed through the clip, so that the "
        "generator can darken a region it has drawn past white)", choices=("hard", "straight_through")))
    speckle_contrast: str = field(default="gain", metadata=_help(
        "initial strength of the 'direct' or 'display' route's speckle term: --direct-gain (gain), or the gain at "
        "which its local contrast in the tissue equals the training images' at the start (data, in place of "
        "--direct-gain; written to speckle_init.json)", choices=("gain", "data")))
    generator_ema: float = field(default=0.0, metadata=_help(
        "momentum of a moving average of the generator's weights, used for validation, samples and export, for "
        "both models (e.g. 0.99; 0: none, the paper)"))
    last_channels: int | None = field(default=None, metadata=_help(
        "channels of the generator's last block, for both models (default 16 x width)"))
    diff_augment: str = field(default="none", metadata=_help(
        "DiffAugment policies for the discriminator's inputs, comma-separated from color,translation,cutout, "
        "or 'none'"))
    r1_gamma: float = field(default=0.0, metadata=_help(
        "weight of the R1 gradient penalty on real images in the discriminator's loss, for both models (e.g. "
        "0.5; 0: none, the paper)"))
    diversity_weight: float = field(default=0.0, metadata=_help(
        "weight of the diversity term in the generator's loss, for both models: two z per mask must give images "
        "whose 8x8 block means differ (mode seeking, bounded; 0: none, the paper)"))
    diversity_target: float = field(default=0.1, metadata=_help(
        "block-mean difference per unit of z difference at which the diversity term stops pushing"))
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
        power_of_two(self.image_size, "image_size")
        _require(self.width > 0 and math.isfinite(self.width), "width", "must be a positive number", self.width)
        _require(self.latent_dim >= 1, "latent_dim", "must be at least 1", self.latent_dim)
        _require(not (self.speckle_route != "last_block" and self.speckle_skip), "speckle_skip",
                 f"has no meaning with --speckle-route {self.speckle_route} (the last block already gets the "
                 "penultimate maps)", self.speckle_skip)
        _require(not (self.model == "speckle" and self.speckle_route == "echo" and self.speckle_compression != "log"),
                 "speckle_compression", "must be 'log' with --speckle-route echo (the speckle layer reads log "
                 "echogenicity and gives B-mode gray levels)", self.speckle_compression)
        _require(not (self.lateral_aperture == "depth_scaled" and not self.polar), "lateral_aperture",
                 "'depth_scaled' scales the angular window with the radius and needs the polar speckle layer (drop "
                 "--no-polar)", self.lateral_aperture)
        _require(self.echo_gain > 0 and math.isfinite(self.echo_gain), "echo_gain", "must be a positive number",
                 self.echo_gain)
        _require(self.direct_gain >= 0 and math.isfinite(self.direct_gain), "direct_gain",
                 "must be a number >= 0", self.direct_gain)
        _require(self.direct_gain == 0 or self.speckle_route in ("direct", "display"), "direct_gain",
                 "acts on the 'direct' or 'display' route's 1x1 convolution: give --speckle-route direct or "
                 "display", self.direct_gain)
        _require(self.speckle_weights == "signed" or self.speckle_route in ("direct", "display"), "speckle_weights",
                 f"{self.speckle_weights!r} constrains the 'direct' or 'display' route's 1x1 convolution: give "
                 "--speckle-route direct or display", self.speckle_weights)
        _require(self.display_clip == "hard" or self.speckle_route == "display", "display_clip",
                 f"{self.display_clip!r} acts on the 'display' route's clip: give --speckle-route display",
                 self.display_clip)
        _require(self.speckle_weights != "fixed_gain" or self.direct_gain > 0, "speckle_weights",
                 "'fixed_gain' holds the 1x1 weights' sum at --direct-gain: give a --direct-gain > 0 (not "
                 "--speckle-contrast data, whose gain a resumed run would not know)", self.speckle_weights)
        _require(self.speckle_contrast == "gain" or self.speckle_route in ("direct", "display"), "speckle_contrast",
                 "'data' sets the 'direct' or 'display' route's 1x1 convolution: give --speckle-route direct or "
                 "display", self.speckle_contrast)
        _require(self.speckle_contrast == "gain" or self.direct_gain == 0, "speckle_contrast",
                 f"'data' sets the speckle term's starting gain itself: leave out --direct-gain {self.direct_gain:g} or "
                 "give --speckle-contrast gain", self.speckle_contrast)
        _require(0 <= self.generator_ema < 1, "generator_ema", "must be in [0, 1) (0: no average)",
                 self.generator_ema)
        _require(self.last_channels is None or self.last_channels >= 1, "last_channels", "must be at least 1",
                 self.last_channels)
        _require(self.speckle_windows is None or (
            len(self.speckle_windows) == 2
            and all(math.isfinite(w) and 1 <= w <= self.image_size for w in self.speckle_windows)),
            "speckle_windows", f"must be two edge lengths from 1 to the image size ({self.image_size}) bins",
            self.speckle_windows)
        policies = self.diff_augment_policies
        _require(all(p in ("color", "translation", "cutout") for p in policies) and len(set(policies)) == len(policies),
                 "diff_augment", "must be 'none' or distinct names from color,translation,cutout", self.diff_augment)
        _require(self.r1_gamma >= 0 and math.isfinite(self.r1_gamma), "r1_gamma", "must be a number >= 0",
                 self.r1_gamma)
        _require(self.diversity_weight >= 0 and math.isfinite(self.diversity_weight), "diversity_weight",
                 "must be a number >= 0", self.diversity_weight)
        _require(self.diversity_target > 0 and math.isfinite(self.diversity_target), "diversity_target",
                 "must be a positive number", self.diversity_target)
        _require(not (self.diversity_weight and self.batch_size < 2), "batch_size",
                 "must be at least 2 with --diversity-weight (the term compares two images of one mask)",
                 self.batch_size)
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

    def check_paths(self) -> None:
        super().check_paths()
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


