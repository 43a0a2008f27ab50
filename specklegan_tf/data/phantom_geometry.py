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
        n_angles = params.n_angles or max(3 * image_size // 2, 256)
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

    # Vessel (EEM) border: a slightly elliptic, irregular closed curve, off-centre from the catheter.
    vessel = rng.uniform(*params.vessel_radius_range_mm)
    offset = rng.uniform(0.0, 0.3) * vessel
    eem = vessel * (1 + _harmonics(rng, theta, range(2, 6), 0.12)) + offset * np.cos(theta - rng.uniform(0, 2 * np.pi))
    eem = np.clip(eem, rc + 0.9, params.max_depth_mm - 0.35)

    # Plaque: eccentric, thickest around one angle; the lumen border is what is left inside, made irregular.
    media_thickness = rng.uniform(0.12, 0.28) * (1 + 0.2 * np.cos(theta - rng.uniform(0, 2 * np.pi)))
    lumen_target = rng.uniform(*params.lumen_radius_range_mm)
    free = eem - media_thickness
    mean_plaque = max(float(np.mean(free)) - lumen_target, 0.05)
    plaque_angle = rng.uniform(0, 2 * np.pi)
    sharpness = rng.uniform(1.0, 4.0)
    shape_fn = ((1 + np.cos(theta - plaque_angle)) / 2) ** sharpness
    plaque = 0.05 + (mean_plaque - 0.05) * shape_fn / max(shape_fn.mean(), 1e-6)
    lumen = free - plaque
    lumen = lumen * (1 + _harmonics(rng, theta, range(3, 7), 0.05))
    # The catheter sits inside the lumen; where the lumen would cut it the catheter is wedged against the wall.
    lumen = np.maximum(lumen, rc + 0.08)
    lumen = np.minimum(lumen, eem - 0.06)

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
        thickness = rng.uniform(0.08, 0.2)
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
