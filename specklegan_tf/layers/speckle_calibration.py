"""Window sizes of the speckle layer whose speckle has a given grain size (initialisation from the data).

The grain of the layer's speckle is not a closed-form function of its window edge lengths once the polar warping,
the soft window edges and the grain estimator (autocorrelation FWHM about the image centre,
:func:`specklegan_tf.metrics.speckle_statistics`) are involved. So it is *measured*: the layer is applied to a
constant image with a ladder of candidate windows, the grain of each output is measured with the same estimator
used on real images, and the target grain is looked up on that curve (log-log interpolation). The curves are
monotone: a larger window gives a finer grain.

Which grain? An image's grain is that of its speckle *and* of its echo's own texture (tissue layers, fibres,
shadow edges), which the autocorrelation pools. The speckle layer makes only the speckle, so its windows are matched
to the grain measured after removing the local mean in a short box (:func:`speckle_detrend_px`, about 7 % of the
image side), on the images and on the calibration curve alike: on the phantom at 128 px this measures 1.76 / 5.34 px
(axial / lateral) where the evaluation's 49 px box measures 4.56 / 10.17 px and the phantom's speckle alone
1.44 / 4.15 px, and it puts the windows in the range the speckle oracle scores best (docs/results/speckle-oracle).

Example:
    >>> axial, lateral, detrend = images_speckle_grain(images, masks)   # real training images, 128 px: 9 px box
    >>> sizes = window_sizes_for_grain(axial, lateral, image_size=128, polar=True, window_shape="rectangular",
    ...                                detrend_px=detrend)
    >>> SpeckleLayer(polar=True, window_shape="rectangular", initial_window_sizes=sizes, reference_size=128)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from specklegan_tf import CLASS_NAMES
from specklegan_tf.layers.speckle_aperture import DEFAULT_APERTURE_EXPONENT
from specklegan_tf.metrics.speckle import DETREND_PX, speckle_statistics

__all__ = ["GrainCurve", "measure_grain_curve", "window_sizes_for_grain", "tissue_grain", "speckle_detrend_px",
           "images_speckle_grain",
           "PAPER_WINDOW_SPREAD", "SPECKLE_DETREND_FRACTION"]

PAPER_WINDOW_SPREAD = (28.0 / math.sqrt(28.0 * 48.0), 48.0 / math.sqrt(28.0 * 48.0))
"""The paper's windows (28 to 48 bins at 256 px) relative to their geometric mean: 0.76 to 1.31."""

SPECKLE_DETREND_FRACTION = 9.0 / 128.0
"""Side of the local-mean box that separates the speckle's grain from the echo's texture, relative to the image
side (9 px at 128 px). Chosen by measurement on the phantom at 128 px: boxes of 5-9 px bring the frames' grain within
7-29 % of their speckle's alone (the default 49 px box: 2.1-2.5 times it); 9 px is the smallest that keeps the axial
grain within what the layer can make (a 5 px box measures 1.15 px, below the layer's finest, 1.18 px)."""

_TISSUE_CLASSES = ("intima_media", "background")
_AMPLITUDE_SCALE = 60.0  # Rayleigh amplitudes of mean 0.89 -> gray values of mean 53, within [0, 255]


def speckle_detrend_px(image_size: int) -> int:
    """The odd local-mean box side (px, at least 3) that measures the speckle's grain at ``image_size``
    (:data:`SPECKLE_DETREND_FRACTION` of it, rounded up to odd): 5 px at 64, 9 px at 128, 19 px at 256."""
    side = max(3, int(round(image_size * SPECKLE_DETREND_FRACTION)))
    return side if side % 2 else side + 1


@dataclass(frozen=True)
class GrainCurve:
    """Measured grain of the layer's speckle against its window edge length (square windows).

    ``windows``: candidate edge lengths in bins of the layer's shorter grid axis; ``axial_px`` and ``lateral_px``:
    grain FWHM along the radius and across it (arc length), in pixels, one per candidate; ``detrend_px``: the
    local-mean box removed before measuring (``speckle_statistics``' ``detrend_px``).
    """

    image_size: int
    polar: bool
    windows: np.ndarray
    axial_px: np.ndarray
    lateral_px: np.ndarray
    window_profile: str = "rect"
    detrend_px: int = DETREND_PX

    def grain_for(self, window: float, axis: str) -> float:
        """The grain (px) along ``axis`` ("axial" or "lateral") of an edge length ``window`` (bins), log-log
        interpolated on the measured curve (clipped to its ends)."""
        grains = self.axial_px if axis == "axial" else self.lateral_px
        valid = np.isfinite(grains) & (grains > 0)
        return float(np.exp(np.interp(math.log(window), np.log(self.windows[valid]), np.log(grains[valid]))))

    def window_for(self, grain_px: float, axis: str) -> float:
        """The edge length whose grain along ``axis`` ("axial" or "lateral") is ``grain_px`` (log-log
        interpolation; clipped to the measured ladder, whose ends are 1 bin and the grid size)."""
        grains = self.axial_px if axis == "axial" else self.lateral_px
        valid = np.isfinite(grains) & (grains > 0)
        if valid.sum() < 2:
            raise ValueError(f"too few measurable grains on the {axis} calibration curve at {self.image_size} px")
        log_w, log_g = np.log(self.windows[valid]), np.log(grains[valid])
        order = np.argsort(log_g)  # interp needs increasing x; grain falls as the window grows
        return float(np.exp(np.interp(math.log(grain_px), log_g[order], log_w[order])))


def measure_grain_curve(image_size: int, polar: bool = True, num_windows: int = 14, batch: int = 8,
                        seed: int = 0, window_profile: str = "rect", lateral_aperture: str = "fixed_angle",
                        aperture_exponent: float = DEFAULT_APERTURE_EXPONENT,
                        detrend_px: int = DETREND_PX) -> GrainCurve:
    """Applies the speckle layer to a constant image with ``num_windows`` square windows from 1.5 bins to half
    the grid and measures the grain of each output (``speckle_statistics`` over the whole field of view).

    Args:
        image_size: the layer's input size (square images).
        polar: polar warping as in the generator.
        num_windows: rungs of the ladder, log-spaced.
        batch: images per rung (more: a less noisy curve).
        seed: seed of the phases.
        window_profile: the layer's ``window_profile`` (``"rect"`` or ``"gaussian"``).
        lateral_aperture, aperture_exponent: the layer's ``lateral_aperture`` and initial exponent (polar only),
            so that the grain is measured over the whole field of view as the layer will make it.
        detrend_px: local-mean box removed before the autocorrelation, as on the images the curve is matched to.
    """
    import keras

    from specklegan_tf.layers.speckle import SpeckleLayer

    if batch < 1 or num_windows < 2:
        raise ValueError(f"`batch` must be >= 1 and `num_windows` >= 2; received {batch}, {num_windows}")
    windows = np.geomspace(1.5, image_size / 2.0, num_windows)
    layer = SpeckleLayer(num_sizes=num_windows, polar=polar, attention=False, seed=seed, compiled=False,
                         reference_size=image_size, window_init=(1.0, float(image_size)),
                         initial_window_sizes=list(windows), window_profile=window_profile,
                         lateral_aperture=lateral_aperture, initial_aperture_exponent=aperture_exponent)
    speckle = keras.ops.convert_to_numpy(layer(np.ones((batch, image_size, image_size, 1), "float32")))
    masks = np.full((batch, image_size, image_size), CLASS_NAMES.index("background"), np.uint8)
    axial, lateral = [], []
    for k in range(num_windows):
        images = np.clip(speckle[..., k] * _AMPLITUDE_SCALE, 0.0, 255.0)
        stats = speckle_statistics(images, masks, detrend_px=detrend_px)["background"]
        axial.append(stats["axial_grain_px"])
        lateral.append(stats["lateral_grain_px"])
    measured = np.asarray(layer.window_sizes, np.float64)
    return GrainCurve(image_size, polar, measured, np.asarray(axial), np.asarray(lateral), window_profile, detrend_px)


def tissue_grain(stats: dict) -> tuple[float, float]:
    """Pixel-weighted axial and lateral grain (px) of the tissue classes of a ``speckle_statistics`` result.

    The lumen is left out: in IVUS it is blood, whose weak echo is not the tissue speckle the layer models.
    """
    pixels = np.array([stats[c]["pixels"] for c in _TISSUE_CLASSES], np.float64)
    axial = np.array([stats[c]["axial_grain_px"] for c in _TISSUE_CLASSES])
    lateral = np.array([stats[c]["lateral_grain_px"] for c in _TISSUE_CLASSES])
    ok = (pixels > 0) & np.isfinite(axial) & np.isfinite(lateral)
    if not ok.any():
        raise ValueError("no tissue class with measurable grain sizes in these statistics")
    weights = pixels[ok] / pixels[ok].sum()
    return float(weights @ axial[ok]), float(weights @ lateral[ok])


def images_speckle_grain(images: np.ndarray, masks: np.ndarray) -> tuple[float, float, int]:
    """``(axial_px, lateral_px, detrend_px)``: the tissue grain of the images' speckle, measured with the short
    local-mean box of :func:`speckle_detrend_px` (pass ``detrend_px`` on to :func:`window_sizes_for_grain`)."""
    images = np.asarray(images)
    detrend = speckle_detrend_px(images.shape[1])
    axial, lateral = tissue_grain(speckle_statistics(images, np.asarray(masks), detrend_px=detrend))
    return axial, lateral, detrend


def window_sizes_for_grain(axial_px: float, lateral_px: float, image_size: int, polar: bool = True,
                           window_shape: str = "square", num_sizes: int = 4,
                           spread: tuple[float, float] = PAPER_WINDOW_SPREAD, curve: GrainCurve | None = None,
                           seed: int = 0, window_profile: str = "rect", detrend_px: int = DETREND_PX) -> list:
    """Initial window edge lengths (bins of an ``image_size`` image) whose speckle has the given grain.

    The centre window matches the grain; the ``num_sizes`` windows are spread around it by the factors ``spread``
    (by default as in the paper, 0.76 to 1.31 of the centre). A square window cannot match an axial and a
    lateral grain that differ: it gets the geometric mean of the two axes' windows.

    Args:
        axial_px, lateral_px: target grain FWHM in pixels, e.g. from :func:`tissue_grain`.
        image_size: the generator's image size.
        polar: polar warping, as in the layer.
        window_shape: ``"square"`` (returns ``num_sizes`` numbers) or ``"rectangular"`` (``num_sizes`` pairs
            ``(radial, angular)`` in polar mode, ``(rows, columns)`` otherwise).
        num_sizes: windows of the layer.
        spread: lowest and highest window relative to the centre one.
        curve: a measured :class:`GrainCurve` to reuse (else measured here: one call of the layer and the grain estimator per window).
        seed: seed of the calibration's phases.
        window_profile: the layer's ``window_profile``; the curve is measured with it.
        detrend_px: the local-mean box with which ``axial_px`` and ``lateral_px`` were measured; the curve must
            have been measured with the same one (a given ``curve`` that was not is refused).
    """
    for name, value in (("axial_px", axial_px), ("lateral_px", lateral_px)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"`{name}` must be a positive grain size in pixels; received {value!r}")
    if window_shape not in ("square", "rectangular"):
        raise ValueError(f"`window_shape` must be 'square' or 'rectangular'; received {window_shape!r}")
    if curve is not None and curve.detrend_px != detrend_px:
        raise ValueError(f"the calibration curve was measured with a {curve.detrend_px} px local-mean box, the "
                         f"grain with `detrend_px`={detrend_px}: they must match")
    curve = curve or measure_grain_curve(image_size, polar, seed=seed, window_profile=window_profile,
                                         detrend_px=detrend_px)
    # In polar mode the grid's rows are radii (axial) and its columns angles (lateral); in Cartesian mode the
    # autocorrelation about the centre mixes both axes, so rows take axial and columns lateral as the best proxy.
    rows_axis, cols_axis = curve.window_for(axial_px, "axial"), curve.window_for(lateral_px, "lateral")
    factors = np.geomspace(spread[0], spread[1], num_sizes) if num_sizes > 1 else np.ones(1)
    clip = lambda v: float(np.clip(v, 1.0, image_size))  # noqa: E731
    if window_shape == "square":
        centre = math.sqrt(rows_axis * cols_axis)
        return [clip(centre * f) for f in factors]
    return [(clip(rows_axis * f), clip(cols_axis * f)) for f in factors]
