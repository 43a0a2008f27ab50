"""The embedded IVUS phantom: ``simulate_ivus`` (the writer CLI is ``python -m specklegan_tf.data.phantom``).

Each frame is built from the physics on a polar A-line grid (``phantom_geometry`` for the vessel, ``phantom_acoustics``
for the echo) and scan-converted to a square Cartesian image; the masks come from the same lumen and
media-adventitia borders.

"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from .. import BACKGROUND, INTIMA_MEDIA, LUMEN
from .phantom_acoustics import log_compress, simulate_envelope
from .phantom_geometry import PolarGrid, sample_geometry
from .phantom_params import PhantomParams

DEFAULT_PHANTOM_SIZE = 435  # frames in the Balocco et al. (2014) data set the phantom stands in for


@dataclass(frozen=True)
class _ScanMap:
    """Precomputed scan conversion of one (grid, image size): bilinear gather indices and weights per pixel."""

    line0: np.ndarray  # A-line index below each pixel's angle
    line1: np.ndarray  # the next A-line (wrapping at 2π)
    depth0: np.ndarray
    depth1: np.ndarray
    w_line: np.ndarray  # weight of line1
    w_depth: np.ndarray  # weight of depth1
    inside: np.ndarray  # pixel within the scanned disc


@functools.lru_cache(maxsize=8)
def _scan_map(image_size: int, grid: PolarGrid, fov_mm: float) -> _ScanMap:
    pixel = fov_mm / image_size
    c = (np.arange(image_size) + 0.5 - image_size / 2) * pixel
    x, y = np.meshgrid(c, c)  # x along columns, y along rows (downwards)
    radius = np.hypot(x, y).ravel()
    line = np.mod(np.arctan2(y, x).ravel(), 2 * np.pi) / grid.dtheta
    depth = np.clip(radius / grid.dr - 0.5, 0, grid.n_depth - 1)
    line0 = np.floor(line).astype(np.intp) % grid.n_angles
    depth0 = np.minimum(np.floor(depth).astype(np.intp), grid.n_depth - 2)
    return _ScanMap(line0, (line0 + 1) % grid.n_angles, depth0, depth0 + 1,
                    (line - np.floor(line)).astype(np.float32), (depth - depth0).astype(np.float32),
                    radius <= grid.max_depth_mm)


def scan_convert(polar: np.ndarray, grid: PolarGrid, image_size: int, fov_mm: float) -> np.ndarray:
    """Bilinear scan conversion of a (n_angles, n_depth) polar image to (image_size, image_size); 0 outside the scan."""
    m = _scan_map(image_size, grid, fov_mm)
    near = polar[m.line0, m.depth0] * (1 - m.w_depth) + polar[m.line0, m.depth1] * m.w_depth
    far = polar[m.line1, m.depth0] * (1 - m.w_depth) + polar[m.line1, m.depth1] * m.w_depth
    out = near * (1 - m.w_line) + far * m.w_line
    return np.where(m.inside, out, 0).reshape(image_size, image_size)


def geometry_mask(lumen_radius: np.ndarray, eem_radius: np.ndarray, grid: PolarGrid, image_size: int,
                  fov_mm: float) -> np.ndarray:
    """Label map (0 lumen, 1 intima/media, 2 background) of the two borders, evaluated at each pixel centre."""
    m = _scan_map(image_size, grid, fov_mm)
    radius = (m.depth0 + m.w_depth + 0.5) * grid.dr  # exact inside the scan; the borders lie well inside it
    lumen = lumen_radius[m.line0] * (1 - m.w_line) + lumen_radius[m.line1] * m.w_line
    eem = eem_radius[m.line0] * (1 - m.w_line) + eem_radius[m.line1] * m.w_line
    mask = np.full(image_size * image_size, BACKGROUND, dtype=np.uint8)
    mask[radius < eem] = INTIMA_MEDIA
    mask[radius < lumen] = LUMEN
    return mask.reshape(image_size, image_size)


def simulate_frame(index: int, image_size: int, seed: int, params: PhantomParams) -> dict[str, np.ndarray]:
    """One frame: image, mask and the intermediate polar maps. Depends only on (seed, index) and the parameters."""
    rng = np.random.default_rng([int(seed), int(index)])
    grid = PolarGrid.for_image(image_size, params)
    geometry = sample_geometry(rng, grid, params)
    envelope, echogenicity = simulate_envelope(rng, geometry, grid, params)
    level_db, gray = log_compress(envelope, params)
    image = np.clip(np.rint(scan_convert(gray, grid, image_size, params.fov_mm)), 0, 255).astype(np.uint8)
    mask = geometry_mask(geometry.lumen_radius, geometry.eem_radius, grid, image_size, params.fov_mm)
    return {"image": image, "mask": mask, "envelope": envelope, "echogenicity": echogenicity,
            "log_envelope_db": level_db, "tissue": geometry.tissue}


def simulate_ivus(n: int, image_size: int = 256, seed: int = 0, start: int = 0, return_envelope: bool = False,
                  **params: Any):
    """Simulate ``n`` 20 MHz IVUS frames with their segmentation masks.

    Frame ``i`` (``start <= i < start + n``) depends only on ``(seed, i)``, so any slice of a data set can be
    regenerated: ``simulate_ivus(5, start=10)`` equals frames 10..14 of ``simulate_ivus(20)``.

    Args:
        n: number of frames.
        image_size: edge length of the square images in pixels.
        seed: data set seed.
        start: index of the first frame.
        return_envelope: also return the polar intermediate maps (see Returns).
        **params: any field of ``PhantomParams`` (frequency, bandwidth, dynamic range, scatterer density,
            echogenicities, attenuations, artefact probabilities, ``uniform=True`` test mode, ...).

    Returns:
        ``(images, masks)``: uint8 arrays (n, image_size, image_size); masks hold 0 lumen, 1 intima/media,
        2 adventitia/background. With ``return_envelope=True`` a third item, a dict of float32 polar arrays
        (n, n_angles, n_depth): ``envelope`` (after TGC, before log compression), ``echogenicity`` (linear
        backscatter intensity of the tissue), ``log_envelope_db`` (the envelope in dB before 8-bit mapping),
        ``tissue`` (int8 tissue codes), plus ``radii_mm`` and ``angles_rad`` of the grid.

    Example:
        >>> images, masks = simulate_ivus(4, image_size=128, seed=1)
        >>> images.shape, masks.dtype
        ((4, 128, 128), dtype('uint8'))
    """
    if int(n) != n or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if int(image_size) != image_size or image_size < 8:
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}")
    if int(start) != start or start < 0:
        raise ValueError(f"start must be a non-negative integer, got {start!r}")
    n, image_size, start = int(n), int(image_size), int(start)
    p = PhantomParams.from_kwargs(**params)
    images = np.empty((n, image_size, image_size), dtype=np.uint8)
    masks = np.empty_like(images)
    extras: dict[str, list] = {"envelope": [], "echogenicity": [], "log_envelope_db": [], "tissue": []}
    for k in range(n):
        frame = simulate_frame(start + k, image_size, seed, p)
        images[k], masks[k] = frame["image"], frame["mask"]
        if return_envelope:
            for key in extras:
                extras[key].append(frame[key])
    if not return_envelope:
        return images, masks
    grid = PolarGrid.for_image(image_size, p)
    out = {key: np.stack(v) if v else np.empty((0, grid.n_angles, grid.n_depth), np.float32)
           for key, v in extras.items()}
    out["radii_mm"], out["angles_rad"] = grid.radii, grid.angles
    return images, masks, out
