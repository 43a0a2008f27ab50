"""Compute budgets of the paper reproduction: the paper's configuration and smaller ones for CPUs and tests.

A budget fixes everything that costs time: image size, network width, seeds, the numbers of training images, the
number of generator updates per GAN run, how many images are generated for the evaluation and how big the
segmentation study (Table 2) is. ``python train/reproduce_paper.py --budget NAME`` picks one of :data:`BUDGETS`.

SpeckleGAN and the baseline are always trained with the *same* budget: the same seeds, learning-rate schedule and
number of generator updates for every number of training images (the epochs are derived from the updates, so a
50-image run gets as many updates as a 435-image run).

Example:
    >>> budget = get_budget("toy")
    >>> budget.image_size, budget.n_train
    (32, (16,))
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

PAPER_N_TRAIN = (50, 100, 200, 435)
"""The paper's numbers of GAN training images (Fig. 5, Fig. 6, Table 1)."""


@dataclass(frozen=True)
class SegmentationBudget:
    """Size of the segmentation study (the paper's Table 2).

    Args:
        n_train: Scenarios: numbers of real training images (the rest of the data set is the test set).
        folds: k of the k-fold cross-validation over each scenario's training images.
        epochs: Fine-tuning epochs on the real images.
        pretrain_epochs: Pre-training epochs on the generated images.
        n_pretrain: Number of generated images (from synthetic masks) to pre-train on.
        base_filters: Filters of the U-Net's first level (the paper: 32, doubling to 256).
        batch_size: Batch size (the paper: 10).
    """

    n_train: tuple[int, ...] = (50, 100)
    folds: int = 5
    epochs: int = 100
    pretrain_epochs: int = 50
    n_pretrain: int = 1000
    base_filters: int = 32
    batch_size: int = 10

    def __post_init__(self) -> None:
        _positive(self, ("folds", "epochs", "pretrain_epochs", "n_pretrain", "base_filters", "batch_size"))
        if self.folds < 2:
            raise ValueError(f"SegmentationBudget.folds must be at least 2, got {self.folds}")
        if not self.n_train or any(n < 1 for n in self.n_train):
            raise ValueError(f"SegmentationBudget.n_train must be positive numbers, got {self.n_train!r}")


@dataclass(frozen=True)
class Budget:
    """One compute budget of the paper reproduction.

    Args:
        name: Budget name (``toy``, ``small``, ``medium``, ``cpu128``, ``cpu128-v2``, ``cpu128-v3``,
            ``paper``).
        image_size: Image side in pixels (the paper: 256).
        width: Channel multiplier of generator and discriminator (the paper: 1.0).
        latent_dim: Length of the noise vector z (the paper: 128).
        seeds: Training seeds; every (model, number of training images) is trained once per seed, and the figures
            show mean ± standard deviation over them.
        n_train: Numbers of GAN training images (capped by the data set; the paper: 50, 100, 200, 435).
        data_images: Number of phantom frames simulated as the whole data set (the paper's real set has 435).
            Ignored for ``--data FOLDER``, where all images are used.
        generator_updates: Generator (= discriminator) updates of every GAN run.
        batch_size: GAN batch size.
        lr: Initial learning rate of both networks.
        decay_at: Fractions of the training at which the learning rate drops (the paper's two steps).
        decay_factors: Learning rate after each drop relative to the initial one.
        validations: Validations per GAN run; the best generator by the validation metric is kept and evaluated.
        val_images: Images generated per validation.
        n_generated: Images generated from synthetic masks for the final evaluation (the paper: 1000).
        kid_subsets, kid_subset_size: KID estimate (subset size capped by the set sizes).
        segmentation: Size of the segmentation study.
        reductions: What this budget reduces relative to the paper, in words (copied into the report).
        speckle_options: ``fit_gan.py`` options of the speckle layer (``window_shape``, ``speckle_init``,
            ``speckle_compression``, ``shared_phases``, ``window_profile``, ``speckle_skip``, ``speckle_route``,
            ``direct_gain``) for the SpeckleGAN runs only: the baseline has no speckle layer (and already passes the
            penultimate maps on).
        diff_augment: DiffAugment policies for *both* models (``"none"`` or e.g. ``"color,translation,cutout"``).
        generator_ema: momentum of the moving average of the generator's weights that *both* models validate and
            export (``fit_gan.py --generator-ema``); 0: none.
        diversity_weight: weight of the diversity term in *both* generators' loss (``fit_gan.py
            --diversity-weight``, its target at the default); 0: none.
        spade_normalization: normalisation inside *both* generators' SPADE blocks (``fit_gan.py
            --spade-normalization``): ``"batch"`` (the paper) or ``"instance"``.
    """

    name: str
    image_size: int
    width: float
    latent_dim: int
    seeds: tuple[int, ...]
    n_train: tuple[int, ...]
    data_images: int
    generator_updates: int
    batch_size: int
    lr: float
    decay_at: tuple[float, float]
    decay_factors: tuple[float, float]
    validations: int
    val_images: int
    n_generated: int
    kid_subsets: int
    kid_subset_size: int
    segmentation: SegmentationBudget = field(default_factory=SegmentationBudget)
    reductions: tuple[str, ...] = ()
    speckle_options: tuple[tuple[str, Any], ...] = ()
    diff_augment: str = "none"
    generator_ema: float = 0.0
    diversity_weight: float = 0.0
    spade_normalization: str = "batch"

    def __post_init__(self) -> None:
        size = self.image_size
        if not (32 <= size <= 512 and size & (size - 1) == 0):
            raise ValueError(f"Budget.image_size must be a power of two from 32 to 512, got {size}")
        _positive(self, ("latent_dim", "data_images", "generator_updates", "batch_size", "validations",
                         "n_generated", "kid_subsets", "kid_subset_size"))
        if not self.width > 0:
            raise ValueError(f"Budget.width must be positive, got {self.width}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds) or min(self.seeds) < 0:
            raise ValueError(f"Budget.seeds must be distinct non-negative integers, got {self.seeds!r}")
        if not self.n_train or min(self.n_train) < self.batch_size:
            raise ValueError(f"Budget.n_train must be at least the batch size {self.batch_size}, got {self.n_train!r}")
        if not 0 < self.decay_at[0] < self.decay_at[1]:
            raise ValueError(f"Budget.decay_at must be two increasing positive fractions, got {self.decay_at!r}")
        if self.val_images < 2:
            raise ValueError(f"Budget.val_images must be at least 2, got {self.val_images}")
        if not 0 <= self.generator_ema < 1:
            raise ValueError(f"Budget.generator_ema must be in [0, 1), got {self.generator_ema}")
        if not 0 <= self.diversity_weight < float("inf"):
            raise ValueError(f"Budget.diversity_weight must be a finite number >= 0, got {self.diversity_weight}")
        if self.spade_normalization not in ("batch", "instance"):
            raise ValueError(f"Budget.spade_normalization must be 'batch' or 'instance', got {self.spade_normalization!r}")
        allowed = {"window_shape", "speckle_init", "speckle_compression", "shared_phases", "window_profile",
                   "speckle_skip", "speckle_route", "direct_gain", "speckle_weights"}
        unknown = sorted({key for key, _ in self.speckle_options} - allowed)
        if unknown:
            raise ValueError(f"Budget.speckle_options may only set {sorted(allowed)}, got {unknown}")

    def capped_n_train(self, n_available: int) -> tuple[int, ...]:
        """The numbers of training images that fit a data set of ``n_available`` images (larger ones capped).

        Raises:
            ValueError: the data set is smaller than one batch.
        """
        if n_available < self.batch_size:
            raise ValueError(f"the data set has {n_available} images, fewer than one batch ({self.batch_size})")
        return tuple(sorted({min(n, n_available) for n in self.n_train}))

    def gan_schedule(self, n_train: int) -> dict[str, Any]:
        """Epochs, learning-rate drop epochs and validation interval of one GAN run on ``n_train`` images.

        The epochs are chosen so that every run makes at least ``generator_updates`` updates; SpeckleGAN and the
        baseline on the same ``n_train`` get exactly the same number.
        """
        steps_per_epoch = n_train // self.batch_size
        epochs = max(2, math.ceil(self.generator_updates / steps_per_epoch))
        first = min(max(1, round(self.decay_at[0] * epochs)), epochs - 1)
        second = max(first + 1, round(self.decay_at[1] * epochs))
        return {"epochs": epochs, "steps_per_epoch": steps_per_epoch, "generator_updates": epochs * steps_per_epoch,
                "decay_epochs": (first, second), "val_every": max(1, epochs // self.validations)}

    def to_dict(self) -> dict[str, Any]:
        """The budget as plain data (for the report and the run manifest).

        ``generator_ema``, ``diversity_weight`` and ``spade_normalization`` appear only when they differ from their
        defaults: experiment folders started before they existed have manifests without them and stay resumable."""
        record = dataclasses.asdict(self)
        for field_ in dataclasses.fields(self):
            if field_.name in _ADDED_LATER and getattr(self, field_.name) == field_.default:
                del record[field_.name]
        return record


_ADDED_LATER = ("generator_ema", "diversity_weight", "spade_normalization")
"""Budget fields younger than the first published experiments (left out of their records at their defaults)."""


def _positive(obj: Any, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(obj, name)
        if value < 1:
            raise ValueError(f"{type(obj).__name__}.{name} must be at least 1, got {value}")


# The decisive CPU budget of issue 12: 128 px (speckle resolved), n = 50 and 435, two seeds, equal updates.
# Sized from measurement: a SpeckleGAN step at 128 px, width 0.25, batch 8 took 0.77 s with oneDNN on
# (docs/platform.md), so a 1,200-update run is about 16 min of steps plus validation; 8 runs about 2.5-3 h.
# The speckle options are the best of the 64 px ablations (docs/results/ablation64/report.md and
# docs/results/ablation64-round3/README.md: the direct speckle route, level with the baseline); DiffAugment
# is off because it made both models worse at this number of updates there.
_CPU128 = Budget(
    name="cpu128", image_size=128, width=0.25, latent_dim=64, seeds=(0, 1), n_train=(50, 435),
    data_images=435, generator_updates=1200, batch_size=8, lr=1e-3, decay_at=(0.6, 0.85),
    decay_factors=(0.3, 0.1), validations=5, val_images=100, n_generated=435, kid_subsets=50,
    kid_subset_size=200,
    segmentation=SegmentationBudget(n_train=(50,), folds=3, epochs=10, pretrain_epochs=3, n_pretrain=435,
                                    base_filters=8, batch_size=10),
    reductions=("128x128 images, width 0.25, latent length 64, 1200 generator updates per run, two seeds, "
                "texture FD instead of FID, small segmentation study",),
    speckle_options=(("speckle_init", "data"), ("window_shape", "rectangular"),
                     ("speckle_compression", "log"), ("shared_phases", True), ("speckle_route", "direct")),
)

# cpu128's sizes and schedule with what 38 rounds of 128 px ablations kept (docs/results.md): for *both*
# models lr 3e-4, instance normalisation in SPADE, DiffAugment without translation (rounds 34-35) and the
# diversity term (rounds 37-38); for SpeckleGAN the display route with a Gaussian aperture (rounds 25-33). Its
# runs are exactly the ablation arms 'baseline-dacc-div' and 'display-polar-data-dacc-div' of rounds 37 (n = 435)
# and 38 (n = 50) (tests/experiments/test_budget_matches_ablations.py); seed 2 is new.
_CPU128_V2 = dataclasses.replace(
    _CPU128, name="cpu128-v2", seeds=(0, 1, 2), lr=3e-4,
    reductions=("128x128 images, width 0.25, latent length 64, 1200 generator updates per run, three seeds, "
                "texture FD instead of FID, small segmentation study",),
    diff_augment="color,cutout", diversity_weight=1.0, spade_normalization="instance",
    speckle_options=(("speckle_init", "data"), ("window_profile", "gaussian"), ("window_shape", "rectangular"),
                     ("speckle_compression", "log"), ("shared_phases", True), ("speckle_route", "display"),
                     ("direct_gain", 0.32)),
)

BUDGETS: dict[str, Budget] = {
    # The acceptance test: the whole pipeline with the fewest GAN runs (one n-train, one seed).
    "toy": Budget(
        name="toy", image_size=32, width=0.125, latent_dim=16, seeds=(0,), n_train=(16,), data_images=32,
        generator_updates=4, batch_size=8, lr=1e-3, decay_at=(0.5, 0.75), decay_factors=(0.3, 0.1),
        validations=1, val_images=8, n_generated=24, kid_subsets=5, kid_subset_size=8,
        segmentation=SegmentationBudget(n_train=(16,), folds=2, epochs=1, pretrain_epochs=1, n_pretrain=16,
                                        base_filters=4, batch_size=4),
        reductions=("32x32 images, width 0.125, 32 phantom frames, n-train 16 only, 4 generator updates: a "
                    "test of the pipeline, not of the method",),
    ),
    # 50 min measured on the shared 2-core CPU of this project (docs/results/report.md lists the stage times).
    "small": Budget(
        name="small", image_size=32, width=0.25, latent_dim=32, seeds=(0,), n_train=PAPER_N_TRAIN,
        data_images=435, generator_updates=300, batch_size=8, lr=1e-3, decay_at=(0.6, 0.85),
        decay_factors=(0.3, 0.1), validations=3, val_images=64, n_generated=500, kid_subsets=50,
        kid_subset_size=200,
        segmentation=SegmentationBudget(n_train=(50, 100), folds=3, epochs=10, pretrain_epochs=3, n_pretrain=500,
                                        base_filters=8, batch_size=10),
        reductions=(
            "images 32x32 instead of 256x256 (speckle windows scale with the image)",
            "network width 0.25 (a quarter of the paper's channels), latent length 32 instead of 128",
            "300 generator updates per GAN run instead of several hundred epochs (tens of thousands of updates)",
            "one seed (no error bars) and no learning-rate grid search",
            "texture Fréchet distance instead of FID (no Inception weights can be downloaded here)",
            "500 generated evaluation images instead of 1000",
            "segmentation: 3 folds instead of 5, 500 pre-training images, U-Net with 8 base filters, few epochs",
        ),
    ),
    # 64x64 and two seeds: several times the small budget's compute (not measured here).
    "medium": Budget(
        name="medium", image_size=64, width=0.5, latent_dim=64, seeds=(0, 1), n_train=PAPER_N_TRAIN,
        data_images=435, generator_updates=3000, batch_size=8, lr=1e-3, decay_at=(0.5, 0.8),
        decay_factors=(0.3, 0.1), validations=6, val_images=200, n_generated=1000, kid_subsets=100,
        kid_subset_size=435,
        segmentation=SegmentationBudget(n_train=(50, 100), folds=5, epochs=40, pretrain_epochs=10,
                                        n_pretrain=1000, base_filters=16, batch_size=10),
        reductions=("64x64 images, width 0.5, latent length 64, 3000 generator updates per run, two seeds, "
                    "U-Net with 16 base filters",),
    ),
    "cpu128": _CPU128,
    "cpu128-v2": _CPU128_V2,
    # cpu128-v2 with the speckle layer's 1x1 weights to the image kept non-negative (`--speckle-weights
    # nonnegative`, rounds 44-45): with signed weights a third of them were negative and the image's grain came
    # from the convolutions beside the speckle; at n = 435 the constraint halved SpeckleGAN's tissue grain error
    # against v2 (round 44). Adopted by the rule written before round 45 ran (docs/results/ablation128-round45).
    # The baseline has no speckle layer, so its runs are exactly v2's; the SpeckleGAN runs are the arm
    # 'display-nonneg-dacc-div' of rounds 45 (n = 50) and 44 (n = 435) (tests/experiments/test_budget_matches_ablations.py).
    "cpu128-v3": dataclasses.replace(
        _CPU128_V2, name="cpu128-v3",
        speckle_options=_CPU128_V2.speckle_options + (("speckle_weights", "nonnegative"),)),
    # The paper's configuration, for a GPU machine: 256x256, full width, 600 epochs of the 435-image set.
    "paper": Budget(
        name="paper", image_size=256, width=1.0, latent_dim=128, seeds=(0, 1, 2), n_train=PAPER_N_TRAIN,
        data_images=435, generator_updates=600 * (435 // 8), batch_size=8, lr=3e-4, decay_at=(1 / 3, 2 / 3),
        decay_factors=(1 / 3, 0.1), validations=30, val_images=435, n_generated=1000, kid_subsets=100,
        kid_subset_size=435,
        segmentation=SegmentationBudget(n_train=(50, 100), folds=5, epochs=100, pretrain_epochs=50,
                                        n_pretrain=1000, base_filters=32, batch_size=10),
        reductions=("none in the configuration; the paper grid-searched the learning rate per model and n-train, "
                    "which this command does not (one schedule for all)",),
    ),
}


def get_budget(name: str) -> Budget:
    """The budget called ``name``; ValueError listing the choices otherwise."""
    if name not in BUDGETS:
        raise ValueError(f"--budget must be one of {', '.join(BUDGETS)}, got {name!r}")
    return BUDGETS[name]
