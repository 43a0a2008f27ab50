"""Vessel geometry of one IVUS phantom frame, laid out on the polar A-line grid around the catheter.

The lumen and media-adventitia (EEM) borders are radius functions of the A-line angle, seen from the catheter at
the image centre: an irregular lumen, an EEM contour, and eccentric plaque in between. Around them the tissue map
marks the media band, the fibrous adventitia and the periadventitial tissue, and now and then a calcified arc, the
guidewire and a side branch. The segmentation masks are derived from the two borders only, as an annotator would
trace them.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .phantom_params import PhantomParams

# Tissue codes of the polar tissue map.
CATHETER, BLOOD, PLAQUE, MEDIA, ADVENTITIA, PERIADVENTITIA, CALCIUM, GUIDEWIRE = range(8)
TISSUE_NAMES = ("catheter", "blood", "plaque", "media", "adventitia", "periadventitia", "calcium", "guidewire")


@dataclass(frozen=True)
class PolarGrid:
    """A-line grid: ``n_angles`` lines at angles ``j * 2π / n_angles``, ``n_depth`` samples at ``(i + 0.5) * dr``."""

    n_angles: int
    n_depth: int
    max_depth_mm: float

    @property
    def dr(self) -> float:
        return self.max_depth_mm / self.n_depth

    @property
    def dtheta(self) -> float:
        return 2 * np.pi / self.n_angles

    @property
    def angles(self) -> np.ndarray:
        return np.arange(self.n_angles) * self.dtheta

    @property
    def radii(self) -> np.ndarray:
        return (np.arange(self.n_depth) + 0.5) * self.dr

    @classmethod
    def for_image(cls, image_size: int, params: PhantomParams) -> "PolarGrid":
        """A grid fine enough for the pulse (about 2 samples per axial sigma) and for the image's outer ring."""
        n_depth = params.n_depth or max(image_size, int(np.ceil(params.max_depth_mm / (params.axial_sigma_mm / 2))))
        n_angles = params.n_angles or max(image_size, 256)
        return cls(int(n_angles), int(n_depth), params.max_depth_mm)


@dataclass(frozen=True)
class VesselGeometry:
    """Borders and tissue map of one frame.

    Attributes:
        lumen_radius: (n_angles,) lumen border radius in mm, seen from the catheter.
        eem_radius: (n_angles,) media-adventitia border radius in mm.
        tissue: (n_angles, n_depth) int8 tissue codes (``CATHETER`` ... ``GUIDEWIRE``).
        plaque_field, adventitia_field, fat_field: (n_angles, n_depth) smooth random fields in [-1, 1] (plaque
            heterogeneity, fibrous streaks) and {0, 1} (fat lobules) that the acoustics turn into echogenicity.
    """

    lumen_radius: np.ndarray
    eem_radius: np.ndarray
    tissue: np.ndarray
    plaque_field: np.ndarray
    adventitia_field: np.ndarray
    fat_field: np.ndarray


def _harmonics(rng: np.random.Generator, theta: np.ndarray, orders: range, amplitude: float) -> np.ndarray:
    """A smooth random periodic function: a sum of cosines whose amplitude falls as 1/order."""
    out = np.zeros_like(theta)
    for k in orders:
        out += amplitude / k * rng.uniform(0.3, 1.0) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    return out


@functools.lru_cache(maxsize=32)
def _interpolation_weights(n_out: int, n_in: int, periodic: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear interpolation from a coarse to a fine regular grid: lower index, upper index, upper weight."""
    pos = np.arange(n_out) * n_in / n_out if periodic else np.linspace(0, n_in - 1, n_out)
    lo = np.minimum(np.floor(pos).astype(int), n_in - 1)
    hi = (lo + 1) % n_in if periodic else np.minimum(lo + 1, n_in - 1)
    return lo, hi, (pos - lo).astype(np.float32)


def _smooth_field(rng: np.random.Generator, coarse: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """Unit-variance Gaussian noise on a coarse grid, linearly interpolated up to ``shape`` (periodic in angle)."""
    noise = rng.standard_normal(coarse, dtype=np.float32)
    # Separable: interpolate the small array along the angle first, then along depth. (No BLAS: a matrix product
    # here spins threads on a loaded machine for no gain.)
    lo, hi, w = _interpolation_weights(shape[0], coarse[0], True)
    noise = noise[lo] * (1 - w)[:, None] + noise[hi] * w[:, None]
    lo, hi, w = _interpolation_weights(shape[1], coarse[1], False)
    field = noise[:, lo] * (1 - w) + noise[:, hi] * w
    return field / max(float(field.std()), 1e-6)


def sample_geometry(rng: np.random.Generator, grid: PolarGrid, params: PhantomParams) -> VesselGeometry:
    """Draw one frame's vessel geometry and tissue map.

    Args:
        rng: the frame's generator (the phantom seeds it from (seed, index)).
        grid: the polar A-line grid.
        params: phantom parameters.

    Returns:
        A ``VesselGeometry``.
    """
    theta = grid.angles
    r = grid.radii[None, :]
    rc = params.catheter_radius_mm
    shape = (grid.n_angles, grid.n_depth)

    # The vessel is built around the lumen centre (where an annotator would see it), then seen from the catheter,
    # which sits somewhere inside the lumen: an irregular, slightly elliptic lumen; eccentric plaque, thickest
    # around one angle; a media band; the media-adventitia (EEM) border outside it.
    lumen_mean = rng.uniform(*params.lumen_radius_range_mm)
    vessel_mean = max(rng.uniform(*params.vessel_radius_range_mm), lumen_mean + 0.3)
    lumen_own = lumen_mean * (1 + _harmonics(rng, theta, range(2, 3), 0.15) + _harmonics(rng, theta, range(3, 7), 0.1))
    media_own = rng.uniform(0.12, 0.28) * (1 + 0.2 * np.cos(theta - rng.uniform(0, 2 * np.pi)))
    sharpness = rng.uniform(0.5, 3.0)
    plaque_shape = ((1 + np.cos(theta - rng.uniform(0, 2 * np.pi))) / 2) ** sharpness
    mean_plaque = max(vessel_mean - lumen_mean - float(media_own.mean()), 0.05)
    concentric = rng.uniform(0.1, 0.6)  # share of the plaque spread evenly around the lumen
    plaque_own = mean_plaque * (concentric + (1 - concentric) * plaque_shape / max(float(plaque_shape.mean()), 1e-6))
    # Keep the vessel inside the field of view (with room for the catheter offset) by thinning the plaque.
    room = params.max_depth_mm - 0.35 - 0.3 * lumen_mean - float(np.max(lumen_own + media_own))
    plaque_own = plaque_own * min(1.0, max(room, 0.05) / float(plaque_own.max()))
    iel_own = lumen_own + plaque_own  # internal elastic lamina: inner border of the media
    eem_own = iel_own + media_own
    # Catheter offset from the lumen centre, keeping its surface >= 0.15 mm from the lumen border.
    room = max(float(lumen_own.min()) - rc - 0.15, 0.0)
    direction = rng.uniform(0, 2 * np.pi)
    lumen_centre = -rng.uniform(0, 1) * room * np.array([np.cos(direction), np.sin(direction)])
    lumen = _seen_from_catheter(lumen_centre, lumen_own, theta)
    iel = _seen_from_catheter(lumen_centre, iel_own, theta)
    eem = _seen_from_catheter(lumen_centre, eem_own, theta)
    media_thickness = eem - iel

    tissue = np.full(shape, PERIADVENTITIA, dtype=np.int8)
    adventitia_thickness = rng.uniform(0.25, 0.6) * (1 + 0.3 * _harmonics(rng, theta, range(1, 4), 1.0))
    tissue[r < (eem + adventitia_thickness)[:, None]] = ADVENTITIA
    tissue[r < eem[:, None]] = MEDIA
    tissue[r < (eem - media_thickness)[:, None]] = PLAQUE
    tissue[r < lumen[:, None]] = BLOOD
    if params.uniform:
        tissue[:] = ADVENTITIA
    else:
        _add_artefacts(rng, grid, params, tissue, lumen, eem, media_thickness)
    tissue[:, grid.radii < rc] = CATHETER

    plaque_field = np.tanh(_smooth_field(rng, (48, 24), shape) / 1.5)
    # Fibrous streaks run around the vessel: coarse in angle, fine in depth.
    adventitia_field = np.tanh(_smooth_field(rng, (24, 96), shape) / 1.5)
    fat_field = (_smooth_field(rng, (64, 32), shape) > _normal_quantile(1 - params.fat_fraction)).astype(np.float32)
    return VesselGeometry(lumen, eem, tissue, plaque_field, adventitia_field, fat_field)


def _seen_from_catheter(centre: np.ndarray, radius: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Radius function of a closed curve (``radius(theta)`` around ``centre``) seen from the origin (the catheter).

    Valid for curves that are star-shaped around the catheter, as these near-convex borders containing it are.
    """
    x, y = centre[0] + radius * np.cos(theta), centre[1] + radius * np.sin(theta)
    phi = np.mod(np.arctan2(y, x), 2 * np.pi)
    order = np.argsort(phi)
    return np.interp(theta, phi[order], np.hypot(x, y)[order], period=2 * np.pi)


def _normal_quantile(p: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(min(max(p, 1e-6), 1 - 1e-6)))


def _add_artefacts(rng, grid, params, tissue, lumen, eem, media_thickness) -> None:
    """Calcified arc, guidewire and side branch, each present with its probability."""
    theta = grid.angles[:, None]
    r = grid.radii[None, :]
    if rng.uniform() < params.p_calcium:
        centre = rng.uniform(0, 2 * np.pi)
        half_width = np.deg2rad(rng.uniform(15, 60))
        depth_fraction = rng.uniform(0.1, 0.8)  # superficial to deep inside the plaque
        thickness = rng.uniform(0.1, 0.25)
        inner = lumen + depth_fraction * np.maximum(eem - media_thickness - lumen, 0.0)
        dist = np.angle(np.exp(1j * (grid.angles - centre)))
        in_arc = (np.abs(dist) < half_width)[:, None]
        band = (r >= inner[:, None]) & (r < inner[:, None] + thickness)
        tissue[in_arc & band] = CALCIUM
    if rng.uniform() < params.p_guidewire:
        angle = rng.uniform(0, 2 * np.pi)
        j = int(angle / grid.dtheta) % grid.n_angles
        radius = 0.18  # a 0.014-inch guidewire
        lo, hi = params.catheter_radius_mm + radius + 0.05, lumen[j] - radius - 0.02
        if hi > lo:
            rg = rng.uniform(lo, hi)
            gx, gy = rg * np.cos(angle), rg * np.sin(angle)
            d2 = (r * np.cos(theta) - gx) ** 2 + (r * np.sin(theta) - gy) ** 2
            tissue[d2 < radius**2] = GUIDEWIRE
    if rng.uniform() < params.p_side_branch:
        angle = rng.uniform(0, 2 * np.pi)
        j = int(angle / grid.dtheta) % grid.n_angles
        radius = rng.uniform(0.5, 1.1)
        rb = eem[j] + 0.7 * radius
        bx, by = rb * np.cos(angle), rb * np.sin(angle)
        d2 = (r * np.cos(theta) - bx) ** 2 + (r * np.sin(theta) - by) ** 2
        # The branch opens outside the traced vessel border only, so the annotation stays the main vessel's.
        tissue[(d2 < radius**2) & (r >= eem[:, None])] = BLOOD
