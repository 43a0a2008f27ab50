"""Speckle statistics per tissue class: SNR, Nakagami m and grain size (the "is it really speckle" report).

FID and the gray-value JSD cannot tell speckle from noise or blur (paper, Discussion); these first- and
second-order statistics can:

- **SNR** = mean / standard deviation of the amplitude. Fully developed speckle has a Rayleigh-distributed
  *envelope* with SNR = sqrt(pi / (4 - pi)) = 1.91 (Burckhardt 1978).
- **Nakagami m** (moment estimate ``E[A^2]^2 / Var(A^2)``): 1 for Rayleigh, below 1 for pre-Rayleigh
  (few scatterers), above 1 towards Rician / resolved structure.
- **Grain size**: full width at half maximum (FWHM) of the autocorrelation of the amplitude, after
  removing the class's local mean (49 px window), in polar coordinates about the image centre (the
  catheter): *axial* along the radius (pixels), *lateral* along the angle, per radius, averaged over radii
  (in degrees, and as arc length in pixels).

Which images: the statistics are computed on whatever amplitude the images hold. The 1.91 and m = 1
references hold for linear envelopes (e.g. simulated Rayleigh speckle, the speckle layer's raw output).
IVUS frames as stored (8-bit, log-compressed B-mode) have a much higher SNR that depends on the
compression's dynamic range; there the numbers are for *comparing* real and generated sets processed the
same way, not for checking 1.91. Grain sizes are hardly affected by the compression.
"""
from __future__ import annotations

import functools
import math

import numpy as np
import scipy.fft
from scipy import ndimage

from specklegan_tf import CLASS_NAMES
from specklegan_tf.metrics._checks import as_images, as_masks, check_positive_int

DETREND_PX = 49
"""Side of the local-mean box removed before the autocorrelation: well above speckle grains of a few
pixels, well below the tissue layers of a 256 px IVUS frame."""

SNR_RAYLEIGH = math.sqrt(math.pi / (4.0 - math.pi))
"""SNR of fully developed speckle (Rayleigh envelope), about 1.913."""


def polar_shape(height: int, width: int) -> tuple[int, int]:
    """(angles, radii) of the polar resampling used here: 1 px radial steps to the inscribed circle and
    angular steps of about 1 px arc length at that circle."""
    radius = min(height, width) / 2.0
    return int(math.ceil(2.0 * math.pi * radius)), int(radius)


@functools.lru_cache(maxsize=8)
def _polar_coordinates(height: int, width: int) -> np.ndarray:
    """(2, angles, radii) Cartesian (row, column) sampling positions of the polar grid, as in
    ``skimage.transform.warp_polar`` (centre at the middle of the image, radius to the inscribed circle)."""
    angles, radii = polar_shape(height, width)
    radius = min(height, width) / 2.0
    theta = np.arange(angles) * (2.0 * np.pi / angles)
    r = np.arange(radii) * (radius / radii)
    rows = (height / 2.0 - 0.5) + r[None, :] * np.sin(theta)[:, None]
    cols = (width / 2.0 - 0.5) + r[None, :] * np.cos(theta)[:, None]
    return np.stack([rows, cols]).astype(np.float32)


@functools.lru_cache(maxsize=8)
def field_of_view(height: int, width: int) -> np.ndarray:
    """(H, W) bool: the disc inscribed in the image, i.e. the pixels the polar grid covers. IVUS frames
    are black outside it, so statistics there would describe the frame, not tissue."""
    rows, cols = np.mgrid[:height, :width]
    radius = min(height, width) / 2.0
    return np.hypot(rows - (height / 2.0 - 0.5), cols - (width / 2.0 - 0.5)) < radius


def to_polar(stack: np.ndarray, order: int = 1) -> np.ndarray:
    """Resamples (B, H, W) images to (B, angles, radii) about the image centre (bilinear by default).

    The same grid as ``skimage.transform.warp_polar`` (1 px radial steps to the inscribed circle), but the
    coordinates are computed once per image size and fed to ``scipy.ndimage.map_coordinates`` directly,
    which is several times faster than warp_polar's per-call mapping for thousands of images. Masks need
    ``order=0`` so that labels stay labels.
    """
    coordinates = _polar_coordinates(*stack.shape[1:])
    output = np.empty((stack.shape[0],) + coordinates.shape[1:], dtype=np.float32)
    for image, target in zip(stack.astype(np.float32, copy=False), output):
        ndimage.map_coordinates(image, coordinates, output=target, order=order, mode="nearest")
    return output


def remove_local_mean(images: np.ndarray, region: np.ndarray, box: int = DETREND_PX) -> np.ndarray:
    """Subtracts from each pixel the mean of the region's pixels in a ``box`` x ``box`` window around it.

    This keeps tissue layers, attenuation with depth and steps between classes out of the speckle's
    autocorrelation (they would read as huge grains). A normalised convolution: only region pixels count.

    Args:
        images: (B, H, W) amplitudes.
        region: (B, H, W) or (H, W) indicator of the region.
        box: window side in pixels.

    Returns:
        float32 (B, H, W): the centred amplitudes inside the region, 0 outside.
    """
    weights = np.broadcast_to(region, images.shape).astype(np.float32)
    values = images.astype(np.float32) * weights
    size = (1, box, box)
    share = ndimage.uniform_filter(weights, size=size, mode="constant")
    local_mean = ndimage.uniform_filter(values, size=size, mode="constant") / np.maximum(share, 1e-6)
    return (values - local_mean * weights).astype(np.float32)


def polar_autocorrelation_sums(polar: np.ndarray, weights: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Un-normalised autocorrelation sums of centred polar amplitudes inside a region, per image.

    Axial lags are non-circular, lateral lags wrap around the full circle and are kept per radius,
    because one angular lag is a different arc length at every radius.

    Args:
        polar: (B, A, R) amplitudes in polar coordinates, with the local mean already removed
            (:func:`remove_local_mean` before :func:`to_polar`).
        weights: (B, A, R) region indicator (1 inside, 0 outside); None for the whole polar image.

    Returns:
        ``(axial_num, axial_den, lateral_num, lateral_den)``: arrays (B, R) and (B, R, A // 2 + 1) (the
        denominators have batch size 1 when ``weights`` is None). The autocorrelation coefficient at lag k
        is ``(num[..., k] / den[..., k]) / (num[..., 0] / den[..., 0])``.
    """
    if weights is None:
        weights = np.ones((1,) + polar.shape[1:], dtype=np.float32)
        centred = polar.astype(np.float32, copy=False)
    else:
        weights = weights.astype(np.float32)
        centred = polar.astype(np.float32, copy=False) * weights

    def along(array: np.ndarray, axis: int, circular: bool) -> np.ndarray:
        n = array.shape[axis]
        size = n if circular else 2 * n  # zero padding turns the circular correlation into a linear one
        spectrum = scipy.fft.rfft(array, n=size, axis=axis)
        power = spectrum.real ** 2 + spectrum.imag ** 2
        correlation = scipy.fft.irfft(power, n=size, axis=axis)
        keep = n // 2 + 1 if circular else n
        return correlation[:, :keep] if axis == 1 else correlation[:, :, :keep]

    axial_num = along(centred, 2, circular=False).sum(axis=1, dtype=np.float64)
    axial_den = along(weights, 2, circular=False).sum(axis=1, dtype=np.float64)
    lateral_num = np.swapaxes(along(centred, 1, circular=True), 1, 2).astype(np.float64)
    lateral_den = np.swapaxes(along(weights, 1, circular=True), 1, 2).astype(np.float64)
    return axial_num, axial_den, lateral_num, lateral_den


def autocorrelation_fwhm(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """FWHM in lags of autocorrelations given as sums over their last axis.

    Args:
        numerator, denominator: arrays (..., L) as returned by :func:`polar_autocorrelation_sums`.

    Returns:
        Array (...) of full widths at half maximum (twice the linearly interpolated lag where the
        coefficient first drops below 0.5); NaN where it never does or there is no data.
    """
    numerator = np.asarray(numerator, np.float64)
    denominator = np.asarray(denominator, np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        covariance = np.where(denominator > 0.5, numerator / np.maximum(denominator, 1e-12), np.nan)
        coefficient = covariance / covariance[..., :1]
    below = ~(coefficient >= 0.5)  # NaN (no overlap left) counts as "no longer correlated"
    below[..., 0] = False
    k = np.argmax(below, axis=-1)
    found = np.take_along_axis(below, k[..., None], axis=-1)[..., 0]
    before = np.take_along_axis(coefficient, np.maximum(k - 1, 0)[..., None], axis=-1)[..., 0]
    after = np.take_along_axis(coefficient, k[..., None], axis=-1)[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = (before - 0.5) / (before - after)
    widths = 2.0 * (k - 1 + fraction)
    valid = found & np.isfinite(widths) & (coefficient[..., 0] > 0)
    return np.where(valid, widths, np.nan)


def lateral_grain(numerator: np.ndarray, denominator: np.ndarray, angles: int,
                  radius_of_column: np.ndarray) -> tuple[float, float]:
    """Mean lateral grain size over radii, in degrees and in pixels of arc length.

    Args:
        numerator, denominator: (R, L) lateral sums per radius (see :func:`polar_autocorrelation_sums`).
        angles: number of angular samples of the polar image.
        radius_of_column: (R,) radius in pixels of each polar column.

    Returns:
        ``(degrees, pixels)``, each the mean over radii weighted by the region's samples at that radius;
        radii where the ring is shorter than a grain (no half-maximum crossing) are left out.
    """
    widths = autocorrelation_fwhm(numerator, denominator) * 2.0 * math.pi / angles
    weight = np.where(np.isfinite(widths), denominator[:, 0], 0.0)
    if weight.sum() <= 0:
        return math.nan, math.nan
    widths = np.nan_to_num(widths)
    radians = float((weight * widths).sum() / weight.sum())
    arc = float((weight * widths * radius_of_column).sum() / weight.sum())
    return math.degrees(radians), arc


def amplitude_moments(values: np.ndarray) -> tuple[float, float]:
    """(SNR, Nakagami m) of a set of amplitudes; NaN when undefined (fewer than 2 values, no spread)."""
    values = values.astype(np.float64)
    if values.size < 2:
        return math.nan, math.nan
    std = values.std()
    intensity = values * values
    intensity_var = intensity.var()
    snr = values.mean() / std if std > 0 else math.nan
    m = intensity.mean() ** 2 / intensity_var if intensity_var > 0 else math.nan
    return float(snr), float(m)


def speckle_statistics(images, masks, batch_size: int = 32,
                       detrend_px: int = DETREND_PX) -> dict[str, dict[str, float]]:
    """Speckle SNR, Nakagami m and axial/lateral grain size per tissue class.

    Only pixels inside the disc inscribed in the image count (:func:`field_of_view`; IVUS frames are black
    outside). SNR and m are computed per image over the class's pixels there and averaged over images
    weighted by pixel count. The grain sizes come from the autocorrelation pooled over all images (polar
    coordinates about the image centre, see the module docstring).

    Args:
        images: uint8 (N, H, W) or float amplitudes in [0, 255] (envelopes give the textbook references,
            see the module docstring).
        masks: uint8 (N, H, W) labels 0 lumen, 1 intima/media, 2 background.
        batch_size: images resampled to polar coordinates at once.
        detrend_px: side of the window whose class mean is removed before the autocorrelation
            (:func:`remove_local_mean`); grains approaching it are underestimated.

    Returns:
        ``{class_name: {"snr", "nakagami_m", "axial_grain_px", "lateral_grain_deg", "lateral_grain_px",
        "pixels"}}`` for every class in ``specklegan_tf.CLASS_NAMES`` (``pixels``: count inside the field
        of view over all images); NaN values for a class absent from all masks (``pixels`` is then 0).

    Example:
        >>> stats = speckle_statistics(images, masks)
        >>> stats["intima_media"]["snr"]
    """
    images = as_images(images, "images")
    masks = as_masks(masks, "masks", like=images)
    batch_size = check_positive_int(batch_size, "batch_size")
    detrend_px = check_positive_int(detrend_px, "detrend_px")
    height, width = images.shape[1:]
    angles, radii = polar_shape(height, width)
    classes = range(len(CLASS_NAMES))
    sums = {c: [0.0, 0.0, 0.0, 0] for c in classes}  # snr * n, m * n, weight of m, pixels
    acf = {c: [np.zeros(radii), np.zeros(radii), np.zeros((radii, angles // 2 + 1)),
               np.zeros((radii, angles // 2 + 1))] for c in classes}
    radius_of_column = np.arange(radii, dtype=np.float64) * (min(height, width) / 2.0) / radii
    inside = field_of_view(height, width)

    for start in range(0, images.shape[0], batch_size):
        batch = images[start:start + batch_size].astype(np.float32)
        batch_masks = masks[start:start + batch_size]
        polar_masks = np.rint(to_polar(batch_masks.astype(np.float32), order=0)).astype(np.uint8)
        for c in classes:
            _add_moments(sums[c], batch, batch_masks == c, inside)
            weights = polar_masks == c  # the inscribed circle: every sample lies in the image
            if not weights.any():
                continue
            centred = to_polar(remove_local_mean(batch, (batch_masks == c) & inside, detrend_px))
            for total, part in zip(acf[c], polar_autocorrelation_sums(centred, weights)):
                total += part.sum(axis=0)

    return {CLASS_NAMES[c]: _class_summary(sums[c], acf[c], angles, radius_of_column) for c in classes}


def _add_moments(sums: list, batch: np.ndarray, class_masks: np.ndarray, inside: np.ndarray) -> None:
    """Adds one batch's per-image SNR and m, weighted by pixel count, to ``sums = [snr * n, m * n, n, pixels]``."""
    for image, in_class in zip(batch, class_masks):
        values = image[in_class & inside]
        if values.size >= 2:
            snr, m = amplitude_moments(values)
            if np.isfinite(snr) and np.isfinite(m):
                sums[0] += snr * values.size
                sums[1] += m * values.size
                sums[2] += values.size
        sums[3] += int(values.size)


def _class_summary(sums: list, acf: list, angles: int, radius_of_column: np.ndarray) -> dict[str, float]:
    """One class's entry of :func:`speckle_statistics` from its moment sums and pooled autocorrelation sums."""
    weight = sums[2]
    lateral_deg, lateral_px = lateral_grain(acf[2], acf[3], angles, radius_of_column)
    return {
        "snr": sums[0] / weight if weight else math.nan,
        "nakagami_m": sums[1] / weight if weight else math.nan,
        "axial_grain_px": float(autocorrelation_fwhm(acf[0], acf[1])),
        "lateral_grain_deg": lateral_deg,
        "lateral_grain_px": lateral_px,
        "pixels": int(sums[3]),
    }

