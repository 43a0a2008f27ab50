"""Evaluation report of a generated image set against a real one, as Markdown and CSV (paper, Table 1).

``train/evaluate_gan.py`` and the paper-reproduction script call :func:`evaluation_report` for one model
and :func:`compare_models` for several models side by side.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from specklegan_tf import CLASS_NAMES
from specklegan_tf.core.atomic_files import write_csv
from specklegan_tf.metrics._checks import as_images, as_masks
from specklegan_tf.metrics.features import FeatureExtractor
from specklegan_tf.metrics.frechet import fid as frechet_on_features
from specklegan_tf.metrics.histograms import LOG_BASE, class_histogram_jsd
from specklegan_tf.metrics.kid import kid as kernel_distance
from specklegan_tf.metrics.outliers import brightness_outlier_fractions
from specklegan_tf.metrics.similarity import paired_ssim
from specklegan_tf.metrics.speckle import speckle_statistics
from specklegan_tf.metrics.texture import TextureFeatures

JSD_SCALE = 1e3
"""JSD values are reported multiplied by 10^3, as in the paper's Table 1."""

_SPECKLE_KEYS = ("snr", "nakagami_m", "axial_grain_px", "lateral_grain_px")


@dataclass
class EvaluationReport:
    """Metrics of one generated set against the real set; see :func:`evaluation_report`.

    Attributes:
        n_real, n_fake: set sizes.
        texture_fd: texture Fréchet distance (TextureFeatures).
        fid: Fréchet distance on the features passed to :func:`evaluation_report` (``fid_features`` names
            them), None when only texture features were used.
        kid_mean, kid_std: KID on ``kid_features`` (the passed features, else texture features).
        jsd: per-class Jensen–Shannon divergence, log base 2, raw (not x10^3).
        ssim_mean, ssim_std: paired SSIM; None when the fake set was not generated from the real masks.
        same_mask_ssim: mean SSIM between two images generated from the same mask with different z (a second
            draw given to :func:`compare_models`): 1 when the generator ignores z; None without a second draw.
        darker_than_real, brighter_than_real: fractions of the generated images whose mean gray level lies below
            the darkest (above the brightest) real image's, e.g. nearly black images for some z.
        speckle_real, speckle_fake: :func:`speckle_statistics` of both sets.
    """

    n_real: int
    n_fake: int
    texture_fd: float
    kid_mean: float
    kid_std: float
    kid_features: str
    jsd: dict[str, float]
    speckle_real: dict[str, dict[str, float]]
    speckle_fake: dict[str, dict[str, float]]
    fid: float | None = None
    fid_features: str | None = None
    ssim_mean: float | None = None
    ssim_std: float | None = None
    darker_than_real: float | None = None
    brighter_than_real: float | None = None
    same_mask_ssim: float | None = None
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, float | None]]:
        """(metric, value) rows in report order; JSD already multiplied by 10^3."""
        rows: list[tuple[str, float | None]] = [("n_real", self.n_real), ("n_fake", self.n_fake),
                                                 ("texture_fd", self.texture_fd)]
        if self.fid is not None:
            rows.append((f"fid_{self.fid_features}", self.fid))
        rows += [(f"kid_{self.kid_features}_mean", self.kid_mean), (f"kid_{self.kid_features}_std", self.kid_std)]
        rows += [(f"jsd_e-3_{name}", JSD_SCALE * value) for name, value in self.jsd.items()]
        rows += [("ssim_mean", self.ssim_mean), ("ssim_std", self.ssim_std)]
        rows += [("darker_than_real_fraction", self.darker_than_real),
                 ("brighter_than_real_fraction", self.brighter_than_real)]
        if self.same_mask_ssim is not None:
            rows.append(("same_mask_ssim", self.same_mask_ssim))
        for which, stats in (("real", self.speckle_real), ("fake", self.speckle_fake)):
            for name in CLASS_NAMES:
                rows += [(f"speckle_{which}_{name}_{key}", stats[name][key]) for key in _SPECKLE_KEYS]
        return rows

    def as_dict(self) -> dict[str, float | None]:
        """Flat {metric: value} dictionary (the rows of the CSV)."""
        return dict(self.rows())

    def to_csv(self, path: str | os.PathLike) -> None:
        """Writes ``metric,value`` rows (empty value for metrics not computed)."""
        write_csv(path, [[metric, "" if value is None else float(value)] for metric, value in self.rows()],
                  header=["metric", "value"])

    def to_markdown(self) -> str:
        """Two Markdown tables: the set-level metrics and the speckle statistics per class."""
        lines = ["| Metric | Value |", "|---|---|",
                 f"| Images (real / generated) | {self.n_real} / {self.n_fake} |",
                 f"| Texture Fréchet distance | {_fmt(self.texture_fd)} |"]
        if self.fid is not None:
            lines.append(f"| FID ({self.fid_features}) | {_fmt(self.fid)} |")
        lines.append(f"| KID ({self.kid_features}) | {_fmt(self.kid_mean)} ± {_fmt(self.kid_std)} |")
        for name, value in self.jsd.items():
            lines.append(f"| JSD {name} [10⁻³, log{LOG_BASE}] | {_fmt(JSD_SCALE * value)} |")
        ssim = "n/a (not generated from the real masks)" if self.ssim_mean is None else \
            f"{self.ssim_mean:.3f} ± {self.ssim_std:.3f}"
        lines.append(f"| SSIM | {ssim} |")
        if self.darker_than_real is not None:
            lines.append(f"| Generated images darker / brighter than every real image | "
                         f"{_percent(self.darker_than_real)} / {_percent(self.brighter_than_real)} |")
        if self.same_mask_ssim is not None:
            lines.append(f"| SSIM between two z of one mask (1: z ignored) | {self.same_mask_ssim:.3f} |")
        lines += ["", "| Class | Set | SNR | Nakagami m | Axial grain [px] | Lateral grain [px] |",
                  "|---|---|---|---|---|---|"]
        for name in CLASS_NAMES:
            for which, stats in (("real", self.speckle_real), ("generated", self.speckle_fake)):
                values = " | ".join(_fmt(stats[name][key]) for key in _SPECKLE_KEYS)
                lines.append(f"| {name} | {which} | {values} |")
        lines += [f"\n{note}" for note in self.notes]
        return "\n".join(lines) + "\n"


@dataclass
class ModelComparison:
    """Several generated sets against one real set, one column per model (see :func:`compare_models`)."""

    reports: dict[str, EvaluationReport]

    def as_dict(self) -> dict[str, dict[str, float | None]]:
        """{model: {metric: value}}."""
        return {model: report.as_dict() for model, report in self.reports.items()}

    def _table(self) -> tuple[list[str], list[list[float | None]]]:
        metrics: list[str] = []
        for report in self.reports.values():
            metrics += [metric for metric, _ in report.rows() if metric not in metrics]
        values = [[report.as_dict().get(metric) for report in self.reports.values()] for metric in metrics]
        return metrics, values

    def to_markdown(self) -> str:
        """One Markdown table: metrics as rows, models as columns (JSD in 10⁻³, log base 2)."""
        metrics, values = self._table()
        names = list(self.reports)
        lines = ["| Metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        lines += [f"| {metric} | " + " | ".join(_fmt(v) for v in row) + " |" for metric, row in zip(metrics, values)]
        return "\n".join(lines) + "\n"

    def to_csv(self, path: str | os.PathLike) -> None:
        """Writes ``metric,<model 1>,<model 2>,...`` rows."""
        metrics, values = self._table()
        write_csv(path, [[metric, *("" if v is None else float(v) for v in row)] for metric, row in zip(metrics, values)],
                  header=["metric", *self.reports])


def _percent(fraction: float) -> str:
    return f"{100.0 * fraction:.1f} %"


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    value = float(value)
    if math.isnan(value):
        return "nan"
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    return f"{value:.4g}"


class _RealSet:
    """The real set with its features computed once, so several models are compared without recomputing."""

    def __init__(self, images, masks, features: FeatureExtractor | None, texture: FeatureExtractor) -> None:
        self.images = as_images(images, "real_images")
        self.masks = as_masks(masks, "real_masks", like=self.images, like_name="real_images")
        self.features = features
        self.texture = texture
        self.texture_matrix = texture(self.images)
        self.feature_matrix = features(self.images) if features is not None else None
        self.speckle = speckle_statistics(self.images, self.masks)


def _evaluate(real: _RealSet, fake_images, fake_masks, kid_subsets: int, kid_subset_size: int,
              seed: int, second_draw=None) -> EvaluationReport:
    fake = as_images(fake_images, "fake_images")
    masks = as_masks(fake_masks, "fake_masks", like=fake, like_name="fake_images")
    same_mask_ssim = None
    if second_draw is not None:
        second = as_images(second_draw, "second draw")
        if second.shape != fake.shape:
            raise ValueError(f"the second draw {second.shape} must have the shape of the generated images "
                             f"{fake.shape}: one image per mask, from other z")
        same_mask_ssim = paired_ssim(fake, second)[0]
    fake_texture = real.texture(fake)
    texture_fd = frechet_on_features(real_features=real.texture_matrix, fake_features=fake_texture)
    fid_value, fid_name = None, None
    if real.features is not None:
        fake_matrix = real.features(fake)
        fid_value = frechet_on_features(real_features=real.feature_matrix, fake_features=fake_matrix)
        fid_name = real.features.name
        kid_real, kid_fake, kid_name = real.feature_matrix, fake_matrix, real.features.name
    else:
        kid_real, kid_fake, kid_name = real.texture_matrix, fake_texture, real.texture.name
    kid_mean, kid_std = kernel_distance(real_features=kid_real, fake_features=kid_fake, subsets=kid_subsets,
                                        subset_size=kid_subset_size, seed=seed)
    notes = []
    ssim_mean = ssim_std = None
    if masks.shape == real.masks.shape and np.array_equal(masks, real.masks):
        ssim_mean, ssim_std = paired_ssim(real.images, fake)
    else:
        notes.append("SSIM not computed: the generated images were not made from the real masks (pairs needed).")
    if min(real.images.shape[0], fake.shape[0]) <= real.texture_matrix.shape[1]:
        notes.append(f"Fewer images than texture features ({real.texture_matrix.shape[1]}): the Fréchet "
                     "distances are biased upwards; compare KID.")
    darker, brighter = brightness_outlier_fractions(real.images, fake)
    return EvaluationReport(
        n_real=int(real.images.shape[0]), n_fake=int(fake.shape[0]), texture_fd=texture_fd,
        kid_mean=kid_mean, kid_std=kid_std, kid_features=kid_name,
        jsd=class_histogram_jsd(real.images, real.masks, fake, masks),
        speckle_real=real.speckle, speckle_fake=speckle_statistics(fake, masks),
        fid=fid_value, fid_features=fid_name, ssim_mean=ssim_mean, ssim_std=ssim_std,
        darker_than_real=darker, brighter_than_real=brighter, same_mask_ssim=same_mask_ssim, notes=notes,
    )


def evaluation_report(real_images, real_masks, fake_images, fake_masks, features: FeatureExtractor | None = None,
                      kid_subsets: int = 100, kid_subset_size: int = 1000, seed: int = 0,
                      texture: FeatureExtractor | None = None) -> EvaluationReport:
    """All image metrics of one generated set against the real set.

    Rows: texture Fréchet distance; FID when ``features`` is given (e.g. ``InceptionFeatures()``); KID
    mean ± std on ``features`` (texture features when None); per-class JSD x10^-3 (log base 2); paired SSIM
    when ``fake_masks`` equal ``real_masks`` (the fake images were generated from the real masks), else
    n/a; the fractions of generated images darker / brighter than every real image; speckle statistics per class
    of both sets.

    Args:
        real_images, fake_images: uint8 (N, H, W) or float gray values in [0, 255].
        real_masks, fake_masks: uint8 label masks of the two sets.
        features: extractor for FID and KID; None uses only texture features.
        kid_subsets, kid_subset_size: see :func:`kid` (the subset size is capped by the set sizes).
        seed: seed of the KID subsets.
        texture: the texture extractor (default ``TextureFeatures()``).

    Returns:
        :class:`EvaluationReport` (``.to_markdown()``, ``.to_csv(path)``, ``.as_dict()``).

    Example:
        >>> report = evaluation_report(real, real_masks, fake, real_masks)
        >>> print(report.to_markdown()); report.to_csv("evaluation.csv")
    """
    real = _RealSet(real_images, real_masks, features, texture or TextureFeatures())
    return _evaluate(real, fake_images, fake_masks, kid_subsets, kid_subset_size, seed)


def compare_models(real_images, real_masks, generated: Mapping[str, tuple], features: FeatureExtractor | None = None,
                   kid_subsets: int = 100, kid_subset_size: int = 1000, seed: int = 0,
                   texture: FeatureExtractor | None = None) -> ModelComparison:
    """:func:`evaluation_report` for several named generated sets against one real set (features of the
    real set computed once), e.g. SpeckleGAN and the baseline side by side.

    Args:
        generated: ``{model name: (images, masks)}``, in the column order wanted; ``(images, masks,
            second_draw)`` adds ``same_mask_ssim``, the SSIM between ``images`` and ``second_draw`` (the same masks,
            other z): how much z changes an image.
        Other arguments: as for :func:`evaluation_report`.

    Returns:
        :class:`ModelComparison` (``.to_markdown()``, ``.to_csv(path)``, ``.as_dict()``, ``.reports``).

    Example:
        >>> table = compare_models(real, masks, {"SpeckleGAN": (g1, masks), "Baseline": (g2, masks)})
        >>> print(table.to_markdown())
    """
    if not isinstance(generated, Mapping) or not generated:
        raise ValueError("`generated` must be a non-empty mapping {model name: (images, masks)}.")
    real = _RealSet(real_images, real_masks, features, texture or TextureFeatures())
    reports = {}
    for name, pair in generated.items():
        if not isinstance(pair, (tuple, list)) or len(pair) not in (2, 3):
            raise ValueError(f"`generated[{name!r}]` must be (images, masks) or (images, masks, second_draw).")
        reports[str(name)] = _evaluate(real, *pair[:2], kid_subsets, kid_subset_size, seed,
                                       second_draw=pair[2] if len(pair) == 3 else None)
    return ModelComparison(reports)
