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
    """Precomputed scan conversion of one (grid, image size): flat indices of the four polar neighbours of each
    pixel and their bilinear weights."""

    corners: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # (line0, depth0), (line0, depth1), (1, 0), (1, 1)
    weights: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    line0: np.ndarray
    line1: np.ndarray
    w_line: np.ndarray  # weight of line1
    radius: np.ndarray  # pixel radius in mm
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
    line1 = (line0 + 1) % grid.n_angles
    depth0 = np.minimum(np.floor(depth).astype(np.intp), grid.n_depth - 2)
    w_line = (line - np.floor(line)).astype(np.float32)
    w_depth = (depth - depth0).astype(np.float32)
    corners = tuple(a * grid.n_depth + d for a in (line0, line1) for d in (depth0, depth0 + 1))
    weights = ((1 - w_line) * (1 - w_depth), (1 - w_line) * w_depth, w_line * (1 - w_depth), w_line * w_depth)
    return _ScanMap(corners, weights, line0, line1, w_line, radius, radius <= grid.max_depth_mm)


def scan_convert(polar: np.ndarray, grid: PolarGrid, image_size: int, fov_mm: float) -> np.ndarray:
    """Bilinear scan conversion of a (n_angles, n_depth) polar image to (image_size, image_size); 0 outside the scan."""
    m = _scan_map(image_size, grid, fov_mm)
    flat = np.ascontiguousarray(polar).ravel()
    out = np.take(flat, m.corners[0]) * m.weights[0]
    for corner, weight in zip(m.corners[1:], m.weights[1:]):
        out += np.take(flat, corner) * weight
    out[~m.inside] = 0
    return out.reshape(image_size, image_size)


def geometry_mask(lumen_radius: np.ndarray, eem_radius: np.ndarray, grid: PolarGrid, image_size: int,
                  fov_mm: float) -> np.ndarray:
    """Label map (0 lumen, 1 intima/media, 2 background) of the two borders, evaluated at each pixel centre."""
    m = _scan_map(image_size, grid, fov_mm)
    lumen = np.take(lumen_radius, m.line0) * (1 - m.w_line) + np.take(lumen_radius, m.line1) * m.w_line
    eem = np.take(eem_radius, m.line0) * (1 - m.w_line) + np.take(eem_radius, m.line1) * m.w_line
    mask = np.full(image_size * image_size, BACKGROUND, dtype=np.uint8)
    mask[m.radius < eem] = INTIMA_MEDIA
    mask[m.radius < lumen] = LUMEN
    return mask.reshape(image_size, image_size)


def simulate_frame(index: int, image_size: int, seed: int, params: PhantomParams,
                   with_maps: bool = False) -> dict[str, np.ndarray]:
    """One frame: image and mask (and with ``with_maps`` the polar intermediate maps). Depends only on
    (seed, index) and the parameters."""
    rng = np.random.default_rng([int(seed), int(index)])
    grid = PolarGrid.for_image(image_size, params)
    geometry = sample_geometry(rng, grid, params)
    envelope, backscatter_db = simulate_envelope(rng, geometry, grid, params)
    level_db, gray = log_compress(envelope, params)
    image = scan_convert(gray, grid, image_size, params.fov_mm)
    frame = {"image": np.rint(image).astype(np.uint8),
             "mask": geometry_mask(geometry.lumen_radius, geometry.eem_radius, grid, image_size, params.fov_mm)}
    if with_maps:
        frame.update(envelope=envelope, echogenicity=np.power(np.float32(10), backscatter_db / np.float32(10)),
                     log_envelope_db=level_db, tissue=geometry.tissue)
    return frame


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
        frame = simulate_frame(start + k, image_size, seed, p, with_maps=return_envelope)
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
