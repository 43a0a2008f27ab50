"""The phantom's frames without their speckle: what a generator that draws no texture should aim for.

``speckle_free_ivus`` gives, for frame ``i`` of ``simulate_ivus(..., seed=s)``, the displayed level of its mean echo
(:func:`~specklegan_tf.data.phantom_acoustics.mean_echo_intensity`, log compressed and scan converted like the
frame) on the same geometry. Adding speckle to it in the log domain remakes a frame of the same vessel, which is
how ``specklegan_tf.experiments.speckle_oracle`` judges a speckle model apart from any GAN training.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .phantom_acoustics import mean_echo_intensity
from .phantom_geometry import PolarGrid, sample_geometry
from .phantom_params import PhantomParams
from .phantom_simulator import scan_convert

# Mean envelope of a 0 dB tissue, the reference of the phantom's dB scale (phantom_acoustics.log_compress).
_ENVELOPE_REFERENCE_DB = 20 * np.log10(np.sqrt(np.pi) / 2)


def speckle_free_ivus(n: int, image_size: int = 256, seed: int = 0, start: int = 0,
                      **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """Speckle-free gray levels of frames ``start .. start + n - 1`` of ``simulate_ivus(seed=seed, **params)``.

    Args:
        n, image_size, seed, start, **params: as for :func:`~specklegan_tf.data.simulate_ivus`; the same values
            give the same vessels.

    Returns:
        ``(levels, scanned)``: float32 ``(n, image_size, image_size)`` gray levels on the frames' 0-255 scale but
        neither clipped nor rounded (the log-compressed root-mean-square echo; a speckled frame's mean log level
        lies a fixed offset below it), and bool ``(n, image_size, image_size)``, the pixels inside the scanned disc.

    Example:
        >>> levels, scanned = speckle_free_ivus(2, image_size=64, seed=0)
        >>> images, masks = simulate_ivus(2, image_size=64, seed=0)   # the same two vessels, with speckle
    """
    p = PhantomParams.from_kwargs(**params)
    grid = PolarGrid.for_image(int(image_size), p)
    levels = np.empty((int(n), int(image_size), int(image_size)), np.float32)
    for k in range(int(n)):
        # simulate_frame draws the geometry first from the same generator, so the vessel is the same.
        geometry = sample_geometry(np.random.default_rng([int(seed), int(start) + k]), grid, p)
        level_db = 10 * np.log10(np.maximum(mean_echo_intensity(geometry, grid, p), 1e-24)) - _ENVELOPE_REFERENCE_DB
        gray = (level_db - (p.white_level_db - p.dynamic_range_db)) * (255.0 / p.dynamic_range_db)
        levels[k] = scan_convert(gray.astype(np.float32), grid, int(image_size), p.fov_mm)
    scanned = scan_convert(np.ones((grid.n_angles, grid.n_depth), np.float32), grid, int(image_size), p.fov_mm) > 0.5
    return levels, np.broadcast_to(scanned, levels.shape).copy()
