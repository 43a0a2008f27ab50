"""Speckle grain against depth: how the tissue's grain changes with the distance from the catheter.

An IVUS beam is narrowest near the transducer and widens with depth, more slowly than the radius, so the speckle's
lateral grain in pixels grows little with depth while its width in *angle* shrinks. A polar speckle model with a
fixed angular window gives the opposite: a grain of fixed angle, whose width in pixels grows in proportion to the
radius. :func:`speckle_statistics` averages the grain over all radii and cannot tell the two apart;
:func:`grain_by_depth` measures it in depth bands.

The estimator is :func:`~specklegan_tf.metrics.speckle.speckle_statistics`'s (the autocorrelation's FWHM in polar
coordinates about the image centre, after removing each class's local mean), restricted to the polar samples whose
radius lies in each band and pooled over the tissue classes (intima/media and background; the lumen's blood speckle
is left out).
"""
from __future__ import annotations

import math

import numpy as np

from specklegan_tf import CLASS_NAMES
from specklegan_tf.metrics._checks import as_images, as_masks, check_positive_int
from specklegan_tf.metrics.speckle import (
    DETREND_PX,
    autocorrelation_fwhm,
    field_of_view,
    lateral_grain,
    polar_autocorrelation_sums,
    polar_shape,
    remove_local_mean,
    to_polar,
)

__all__ = ["DEPTH_BAND_EDGES", "TISSUE_CLASSES", "grain_by_depth"]

DEPTH_BAND_EDGES = (0.0, 0.6, 1.0)
"""Default band edges as fractions of the inscribed circle's radius: near the catheter (most of the intima/media of
a phantom or IVUS frame) and far from it (the adventitia and beyond)."""

TISSUE_CLASSES = ("intima_media", "background")


def _check_edges(edges) -> tuple[float, ...]:
    edges = tuple(float(e) for e in edges)
    if len(edges) < 2 or edges[0] < 0 or edges[-1] > 1 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError("`edges` must be at least two increasing fractions of the radius in [0, 1]; "
                         f"received edges={edges!r}")
    return edges


def grain_by_depth(images, masks, edges=DEPTH_BAND_EDGES, batch_size: int = 32,
                   detrend_px: int = DETREND_PX) -> list[dict[str, float]]:
    """Axial and lateral speckle grain of the tissue classes in depth bands.

    Args:
        images: uint8 ``(N, H, W)`` or float amplitudes in ``[0, 255]``.
        masks: uint8 ``(N, H, W)`` labels 0 lumen, 1 intima/media, 2 background.
        edges: band edges as increasing fractions of the inscribed circle's radius (default 0, 0.6, 1).
        batch_size: images resampled to polar coordinates at once.
        detrend_px: side of each class's local-mean box removed first (as in ``speckle_statistics``).

    Returns:
        One dict per band, nearest the catheter first: ``{"inner_px", "outer_px", "axial_grain_px",
        "lateral_grain_px", "lateral_grain_deg", "pixels"}`` (band radii in pixels, grain FWHMs, the band's
        tissue samples on the polar grid); NaN grains where a band has no tissue.

    Example:
        >>> near, far = grain_by_depth(images, masks)
        >>> far["lateral_grain_px"] / near["lateral_grain_px"]  # about 1 for a real IVUS beam
    """
    images = as_images(images, "images")
    masks = as_masks(masks, "masks", like=images)
    edges = _check_edges(edges)
    batch_size = check_positive_int(batch_size, "batch_size")
    detrend_px = check_positive_int(detrend_px, "detrend_px")
    height, width = images.shape[1:]
    angles, radii = polar_shape(height, width)
    radius_of_column = np.arange(radii, dtype=np.float64) * (min(height, width) / 2.0) / radii
    fraction = radius_of_column / (min(height, width) / 2.0)
    bands = [(fraction >= low) & (fraction < high if high < 1 else fraction <= high)
             for low, high in zip(edges, edges[1:])]
    sums = [[np.zeros(radii), np.zeros(radii), np.zeros((radii, angles // 2 + 1)),
             np.zeros((radii, angles // 2 + 1))] for _ in bands]
    inside = field_of_view(height, width)
    tissue_labels = [CLASS_NAMES.index(name) for name in TISSUE_CLASSES]
    for start in range(0, images.shape[0], batch_size):
        batch = images[start:start + batch_size].astype(np.float32)
        batch_masks = masks[start:start + batch_size]
        polar_masks = np.rint(to_polar(batch_masks.astype(np.float32), order=0)).astype(np.uint8)
        for label in tissue_labels:
            in_class = polar_masks == label
            if not in_class.any():
                continue
            # Each class about its own local mean, so the step between the classes is no grain.
            centred = to_polar(remove_local_mean(batch, (batch_masks == label) & inside, detrend_px))
            for band, total in zip(bands, sums):
                weights = in_class & band[None, None, :]
                if weights.any():
                    for accumulated, part in zip(total, polar_autocorrelation_sums(centred, weights)):
                        accumulated += part.sum(axis=0)
    rows = []
    for (low, high), total in zip(zip(edges, edges[1:]), sums):
        lateral_deg, lateral_px = lateral_grain(total[2], total[3], angles, radius_of_column)
        pixels = int(round(total[3][:, 0].sum()))
        rows.append({"inner_px": low * min(height, width) / 2.0, "outer_px": high * min(height, width) / 2.0,
                     "axial_grain_px": float(autocorrelation_fwhm(total[0], total[1])) if pixels else math.nan,
                     "lateral_grain_px": lateral_px, "lateral_grain_deg": lateral_deg, "pixels": pixels})
    return rows
