"""Synthetic IVUS masks: superimposed, randomly rotated and disturbed ellipses (the paper's GAN evaluation masks).

A vessel (media-adventitia) ellipse and a lumen ellipse inside it, each rotated at random and disturbed by a few
low-order radial harmonics, are filled as intima/media and lumen. ``fit_mask_prior`` measures the ranges of sizes,
eccentricities, offsets and wall thickness on a data set's masks, so that synthetic masks match the data they
are meant to augment. All lengths in a prior are fractions of the image size, so a prior fitted at one size
serves any other.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.measure import label, regionprops

from .. import BACKGROUND, INTIMA_MEDIA, LUMEN

Range = tuple[float, float]
_MAX_TRIES = 200


@dataclass(frozen=True)
class MaskPrior:
    """Parameter ranges (low, high) of synthetic IVUS masks; lengths relative to the image size.

    Attributes:
        vessel_area: vessel (lumen + intima/media) area / image area.
        lumen_area: lumen area / image area.
        lumen_fraction: lumen area / vessel area.
        vessel_eccentricity, lumen_eccentricity: eccentricity of the ellipse with the region's second moments.
        vessel_offset: distance of the vessel centroid from the image centre / image size.
        lumen_offset: distance of the lumen centroid from the vessel centroid / vessel equivalent radius.
        min_wall: thinnest intima/media wall (lumen border to vessel border) / image size.
        disturbance: relative amplitude of the radial harmonics that make the ellipses irregular.

    The defaults were fitted with ``fit_mask_prior`` on the masks of ``simulate_ivus(435, image_size=256,
    seed=0)`` (rounded outwards), so that synthetic masks resemble the embedded phantom.
    """

    vessel_area: Range = (0.15, 0.42)
    lumen_area: Range = (0.045, 0.17)
    lumen_fraction: Range = (0.11, 0.79)
    vessel_eccentricity: Range = (0.13, 0.65)
    lumen_eccentricity: Range = (0.28, 0.52)
    vessel_offset: Range = (0.0, 0.19)
    lumen_offset: Range = (0.01, 0.55)
    min_wall: Range = (0.01, 0.15)
    disturbance: float = 0.05

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "disturbance":
                if not 0 <= value < 0.3:
                    raise ValueError(f"MaskPrior.disturbance must be in [0, 0.3), got {value!r}")
                continue
            lo, hi = value
            if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo <= hi):
                raise ValueError(f"MaskPrior.{f.name} must be (low, high) with 0 <= low <= high, got {value!r}")
        if self.vessel_area[1] > 0.95 or self.lumen_fraction[1] >= 1 or self.vessel_eccentricity[1] >= 1 \
                or self.lumen_eccentricity[1] >= 1:
            raise ValueError(f"MaskPrior has impossible ranges (vessel_area <= 0.95, fractions and "
                             f"eccentricities < 1): {self}")


def _disturbed_ellipse(rng: np.random.Generator, area: float, eccentricity: float, disturbance: float,
                       t: np.ndarray) -> np.ndarray:
    """Radius at polar angles ``t`` of a randomly rotated ellipse with radial harmonics, scaled to ``area``."""
    ratio = np.sqrt(1 - eccentricity**2)  # minor / major axis
    a, b = 1.0 / np.sqrt(ratio), np.sqrt(ratio)
    u = t - rng.uniform(0, np.pi)  # random rotation
    radius = a * b / np.sqrt((b * np.cos(u)) ** 2 + (a * np.sin(u)) ** 2)  # ellipse in polar form
    for k in range(2, 6):
        radius = radius * (1 + disturbance / (k - 1) * rng.uniform(-1, 1) * np.cos(k * t + rng.uniform(0, 2 * np.pi)))
    return radius * np.sqrt(area / (0.5 * np.mean(radius**2) * 2 * np.pi))


def _polygon(centre: np.ndarray, radius: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.stack([centre[0] + radius * np.cos(t), centre[1] + radius * np.sin(t)], axis=1)


@functools.lru_cache(maxsize=4)
def _pixel_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    return y, x


def _radial_region(centre: np.ndarray, radius: np.ndarray, t: np.ndarray, size: int) -> np.ndarray:
    """Pixels whose centres lie inside the star-shaped outline ``radius(t)`` around ``centre``.

    Evaluating the outline's own definition at every pixel is exact and, for these shapes, much faster than
    general polygon filling: one vectorised comparison per pixel instead of rasterising a polygon of many vertices.
    """
    y, x = _pixel_grid(size)
    dx, dy = x - centre[0], y - centre[1]
    phi = np.mod(np.arctan2(dy, dx), 2 * np.pi)
    return np.hypot(dx, dy) < np.interp(phi, t, radius, period=2 * np.pi)


def _draw(rng: np.random.Generator, bounds: Range) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def _one_mask(rng: np.random.Generator, size: int, prior: MaskPrior) -> np.ndarray | None:
    """One attempt; None if it violates the prior (lumen not inside the wall, areas out of range)."""
    t = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    image_area = size * size
    centre = np.array([(size - 1) / 2, (size - 1) / 2])
    vessel_area = _draw(rng, prior.vessel_area) * image_area
    lo = max(prior.lumen_fraction[0], prior.lumen_area[0] * image_area / vessel_area)
    hi = min(prior.lumen_fraction[1], prior.lumen_area[1] * image_area / vessel_area)
    if lo > hi:
        return None
    lumen_area = _draw(rng, (lo, hi)) * vessel_area
    angle = rng.uniform(0, 2 * np.pi)
    vessel_centre = centre + _draw(rng, prior.vessel_offset) * size * np.array([np.cos(angle), np.sin(angle)])
    vessel_radius = _disturbed_ellipse(rng, vessel_area, _draw(rng, prior.vessel_eccentricity), prior.disturbance, t)
    vessel_xy = _polygon(vessel_centre, vessel_radius, t)
    angle = rng.uniform(0, 2 * np.pi)
    offset = _draw(rng, prior.lumen_offset) * np.sqrt(vessel_area / np.pi)
    lumen_centre = vessel_centre + offset * np.array([np.cos(angle), np.sin(angle)])
    # Superimpose the lumen ellipse on the vessel: seen from the lumen centre, the lumen radius is capped by the
    # vessel border minus the wall, so the lumen lies inside by construction (it flattens where plaque is thin).
    rel = vessel_xy - lumen_centre
    phi = np.mod(np.arctan2(rel[:, 1], rel[:, 0]), 2 * np.pi)
    order = np.argsort(phi)
    vessel_seen = np.interp(t, phi[order], np.hypot(rel[:, 0], rel[:, 1])[order], period=2 * np.pi)
    min_wall = max(_draw(rng, prior.min_wall) * size, 1.5)
    lumen_radius = np.minimum(_disturbed_ellipse(rng, lumen_area, _draw(rng, prior.lumen_eccentricity),
                                                 prior.disturbance, t), vessel_seen - min_wall)
    if lumen_radius.min() <= 1.0:
        return None
    vessel = _radial_region(vessel_centre, vessel_radius, t, size)
    lumen = _radial_region(lumen_centre, lumen_radius, t, size)
    if not lumen.any() or np.any(lumen & ~ndimage.binary_erosion(vessel)):
        return None  # the vessel outline was not star-shaped around the lumen centre: try again
    fractions = (np.count_nonzero(vessel) / image_area, np.count_nonzero(lumen) / image_area)
    if not (prior.vessel_area[0] <= fractions[0] <= prior.vessel_area[1]
            and prior.lumen_area[0] <= fractions[1] <= prior.lumen_area[1]):
        return None
    mask = np.full((size, size), BACKGROUND, dtype=np.uint8)
    mask[vessel] = INTIMA_MEDIA
    mask[lumen] = LUMEN
    return mask


def random_ivus_masks(n: int, image_size: int = 256, seed: int = 0, prior: MaskPrior | None = None) -> np.ndarray:
    """Synthetic IVUS masks from superimposed, randomly rotated and disturbed ellipses.

    Mask i depends only on (seed, i). The lumen always lies inside the vessel with a wall of at least one pixel,
    neither region has holes, and the lumen and vessel areas lie within the prior's ranges.

    Args:
        n: number of masks.
        image_size: edge length in pixels.
        seed: seed.
        prior: parameter ranges, e.g. ``fit_mask_prior(data.masks)``; default ``MaskPrior()`` (the phantom's).

    Returns:
        uint8 (n, image_size, image_size) label maps: 0 lumen, 1 intima/media, 2 background.

    Raises:
        ValueError: the prior admits no mask at this size (after many tries for one sample).

    Example:
        >>> masks = random_ivus_masks(4, image_size=64, seed=1)
        >>> masks.shape, sorted(set(masks.ravel().tolist()))
        ((4, 64, 64), [0, 1, 2])
    """
    if int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if int(image_size) != image_size or image_size < 16:
        raise ValueError(f"image_size must be an integer >= 16, got {image_size!r}")
    prior = prior or MaskPrior()
    if not isinstance(prior, MaskPrior):
        raise TypeError(f"prior must be a MaskPrior (see fit_mask_prior), got {type(prior).__name__}")
    out = np.empty((int(n), int(image_size), int(image_size)), dtype=np.uint8)
    for i in range(int(n)):
        rng = np.random.default_rng([int(seed), i])
        for _ in range(_MAX_TRIES):
            mask = _one_mask(rng, int(image_size), prior)
            if mask is not None:
                out[i] = mask
                break
        else:
            raise ValueError(f"no mask satisfying the prior found in {_MAX_TRIES} tries at image_size="
                             f"{image_size}; the ranges may contradict each other: {prior}")
    return out


def _region(mask: np.ndarray, region: np.ndarray, what: str, index: int):
    components = label(region, connectivity=1)
    if components.max() == 0:
        raise ValueError(f"masks[{index}] has no {what} region")
    props = regionprops(components)
    return max(props, key=lambda p: p.area)


def fit_mask_prior(masks: np.ndarray, disturbance: float = 0.05) -> MaskPrior:
    """Measure the ranges of a data set's masks (min to max over the samples) as a ``MaskPrior``.

    Args:
        masks: uint8 (N, H, W) label maps (0 lumen, 1 intima/media, 2 background) with square images.
        disturbance: irregularity of the synthetic ellipses (not measured; kept as given).

    Returns:
        A ``MaskPrior`` whose ranges cover every sample.

    Example:
        >>> from specklegan_tf.data import simulate_ivus
        >>> prior = fit_mask_prior(simulate_ivus(8, image_size=64)[1])
        >>> synthetic = random_ivus_masks(8, image_size=64, prior=prior)
    """
    masks = np.asarray(masks)
    if masks.ndim != 3 or masks.shape[0] == 0:
        raise ValueError(f"masks must be (N, H, W) with N >= 1, got shape {masks.shape}")
    if masks.shape[1] != masks.shape[2]:
        raise ValueError(f"masks must be square, got {masks.shape[1]}x{masks.shape[2]}")
    size = masks.shape[1]
    centre = np.array([(size - 1) / 2, (size - 1) / 2])
    rows = []
    for i, mask in enumerate(masks):
        lumen_region = mask == LUMEN
        vessel_region = lumen_region | (mask == INTIMA_MEDIA)
        lumen = _region(mask, lumen_region, "lumen (label 0)", i)
        vessel = _region(mask, vessel_region, "vessel (labels 0 and 1)", i)
        wall = ndimage.distance_transform_edt(np.pad(vessel_region, 1))[1:-1, 1:-1]
        vessel_radius = np.sqrt(vessel.area / np.pi)
        rows.append((vessel.area / size**2, lumen.area / size**2, lumen.area / vessel.area, vessel.eccentricity,
                     lumen.eccentricity, np.hypot(*(np.array(vessel.centroid) - centre)) / size,
                     np.hypot(*(np.array(lumen.centroid) - np.array(vessel.centroid))) / vessel_radius,
                     max(float(wall[lumen_region].min()) - 1.0, 0.0) / size))
    values = np.asarray(rows)
    lo, hi = values.min(axis=0), values.max(axis=0)
    names = ("vessel_area", "lumen_area", "lumen_fraction", "vessel_eccentricity", "lumen_eccentricity",
             "vessel_offset", "lumen_offset", "min_wall")
    fitted = {name: (float(a), float(b)) for name, a, b in zip(names, lo, hi)}
    fitted["lumen_fraction"] = (fitted["lumen_fraction"][0], min(fitted["lumen_fraction"][1], 0.99))
    for name in ("vessel_eccentricity", "lumen_eccentricity"):
        fitted[name] = (fitted[name][0], min(fitted[name][1], 0.99))
    return MaskPrior(**fitted, disturbance=disturbance)
