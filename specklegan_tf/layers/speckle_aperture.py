"""A lateral aperture that widens with depth: the speckle layer's ``lateral_aperture="depth_scaled"`` (polar mode).

In the paper's polar speckle the window is the same at every radius, so a grain spans a fixed *angle* and widens in
millimetres in proportion to the distance from the catheter. A real IVUS beam does not: its lateral width in mm
grows more slowly than the radius (a focused transducer's beam widens roughly linearly from a finite width at the
catheter), so its width in *angle*, ``beam width / r``, shrinks with depth. A window that is one 2-D product
``w_radial(f_r) * w_angular(f_theta)`` cannot express that, because its angular part would have to change along the
radius it is filtering. So the filtering is done the way a scanner forms the image: along each A-line first (the
axial pulse, one window for all angles), then across the A-lines at each depth with a window that depends on the
depth (the beam):

    field = IFFT_theta( w_theta(r, f_theta) * FFT_theta( IFFT_r( w_r(f_r) * FFT_r(I * exp(j phi)) ) ) )

The angular edge length at radius ``r`` is ``d_theta(r) = d_theta * (r / r_ref) ** gamma`` (clipped to ``[1, S]``),
``r_ref`` the middle of the polar grid's radii. ``gamma`` is learnable: 0 is the paper's fixed angle, 1 a grain of
fixed width in mm, values between a beam that widens with depth but more slowly than the radius. ``d_theta`` (the
layer's ``window_sizes``) is the angular edge at ``r_ref``.

Each radius row of the windows is scaled so that it keeps the mean power, as the 2-D windows of
:func:`~specklegan_tf.layers.speckle_windows.scaled_windows` do for the whole grid.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf
from keras import ops

from specklegan_tf.layers.polar import resample
from specklegan_tf.layers.speckle_windows import window_function

__all__ = ["LATERAL_APERTURES", "DEFAULT_APERTURE_EXPONENT", "radius_ratios", "depth_scaled_windows", "depth_scaled_speckle_magnitudes",
           "compiled_depth_scaled_speckle_magnitudes"]

LATERAL_APERTURES = ("fixed_angle", "depth_scaled")

# The starting gamma: halfway between the paper's fixed angle (0) and a fixed width (1), i.e. no prior on how the
# beam of the data widens; the layer learns it from there.
DEFAULT_APERTURE_EXPONENT = 0.5


def radius_ratios(rows: int) -> np.ndarray:
    """``r_i / r_ref`` of the polar grid's rows (``r_i = i * r_max / (rows - 1)``, ``r_ref = r_max / 2``).

    Row 0 (the centre, radius 0) takes half a row's radius, so that ``ratio ** gamma`` stays finite for every
    ``gamma`` and the centre row gets the narrowest angular window.
    """
    if rows < 2:
        raise ValueError(f"a polar grid needs at least 2 radii; received rows={rows}")
    index = np.maximum(np.arange(rows, dtype=np.float64), 0.5)
    return (index / ((rows - 1) / 2.0)).astype(np.float32)


def depth_scaled_windows(d_rows, d_cols, exponent, grid: tuple[int, int], profile: str = "rect"):
    """The axial windows and the depth-dependent angular windows of edge lengths ``(d_rows, d_cols)`` at ``r_ref``.

    Args:
        d_rows, d_cols: float32 ``(K,)``, edge lengths in bins of the grid's shorter axis ``S`` along the radius and
            along the angle (at ``r_ref``); each is stretched by ``axis length / S`` on its own axis.
        exponent: float32 scalar ``gamma`` of ``d_theta(r) = d_cols * (r / r_ref) ** gamma``.
        grid: ``(rows, cols)`` of the polar grid (rows = radii, cols = angles).
        profile: ``"rect"`` or ``"gaussian"``, as for ``scaled_windows``.

    Returns:
        ``(axial, lateral)``: float32 ``(K, rows)`` over radial frequencies and ``(K, rows, cols)`` (radius row,
        angular frequency), both in FFT order; ``lateral`` carries the scale
        ``sqrt(rows * cols / (sum(axial^2) * sum(lateral_row^2)))`` of each row.
    """
    window_1d = window_function(profile)
    rows, cols = grid
    short_side = float(min(grid))
    axial = window_1d(d_rows * (rows / short_side), rows)  # (K, rows)
    growth = ops.power(ops.convert_to_tensor(radius_ratios(rows))[None, :], ops.cast(exponent, "float32"))
    d_theta = ops.clip(ops.expand_dims(d_cols, -1) * growth, 1.0, short_side) * (cols / short_side)  # (K, rows)
    sizes = ops.shape(d_theta)
    lateral = ops.reshape(window_1d(ops.reshape(d_theta, (-1,)), cols), (sizes[0], rows, cols))
    energy = ops.sum(axial**2, axis=1)[:, None] * ops.sum(lateral**2, axis=2)  # (K, rows)
    scale = ops.sqrt(float(rows * cols) / energy)
    return axial, lateral * scale[:, :, None]


def _depth_scaled_fields(grid_amplitude, phases, axial, lateral):
    """``(N, C, K, rows, cols)`` complex fields of the polar maps ``(N, rows, cols, C)``."""
    amplitude = tf.transpose(grid_amplitude, (0, 3, 2, 1))  # (N, C, cols, rows): the radius last, for the FFT
    phi = tf.transpose(phases, (0, 3, 2, 1))
    radial_spectrum = tf.signal.fft(tf.complex(amplitude * tf.cos(phi), amplitude * tf.sin(phi)))
    along_a_lines = tf.signal.ifft(radial_spectrum[:, :, None] * tf.complex(axial, 0.0)[None, None, :, None, :])
    angular_spectrum = tf.signal.fft(tf.transpose(along_a_lines, (0, 1, 2, 4, 3)))  # (N, C, K, rows, cols)
    return tf.signal.ifft(angular_spectrum * tf.complex(lateral, 0.0)[None, None])


def _depth_scaled_polar_magnitudes(grid_amplitude, phases, axial, lateral):
    """``(N, rows, cols, C * K)`` speckle magnitudes on the polar grid, channel ``c * K + k``."""
    magnitude = tf.abs(_depth_scaled_fields(grid_amplitude, phases, axial, lateral))
    _, channels, sizes, rows, cols = magnitude.shape
    return tf.reshape(tf.transpose(magnitude, (0, 3, 4, 1, 2)), (-1, rows, cols, channels * sizes))


def depth_scaled_speckle_magnitudes(amplitude, phases, windows, polar):
    """Speckle with the depth-scaled aperture, in plain TensorFlow ops (the reference form).

    Args:
        amplitude: float32 ``(N, H, W, C)``, the maps ``I``.
        phases: float32 ``(N, rows, cols, C)`` on the polar grid.
        windows: ``(axial, lateral)`` from :func:`depth_scaled_windows`.
        polar: the layer's :class:`~specklegan_tf.layers.speckle_kernel.PolarTables`.

    Returns:
        float32 ``(N, H, W, C * K)``, channel ``c * K + k`` = map ``c`` with window ``k``.
    """
    grid_amplitude = resample(amplitude, *polar.to_polar, *polar.grid)
    speckled = _depth_scaled_polar_magnitudes(grid_amplitude, phases, *windows)
    return resample(speckled, *polar.to_cartesian, *polar.image)


# The FFT part and each resampling are their own XLA functions, as in speckle_kernel; their gradients are TensorFlow's
# own (compiled too) rather than a hand-written backward.
_compiled_polar_magnitudes = tf.function(_depth_scaled_polar_magnitudes, jit_compile=True, autograph=False)
_compiled_resample = tf.function(resample, jit_compile=True, autograph=False)


def compiled_depth_scaled_speckle_magnitudes(amplitude, phases, windows, polar):
    """:func:`depth_scaled_speckle_magnitudes` with the FFT part and each resampling XLA-compiled (same result)."""
    grid_amplitude = _compiled_resample(amplitude, *(tf.constant(t) for t in polar.to_polar), *polar.grid)
    speckled = _compiled_polar_magnitudes(grid_amplitude, phases, *windows)
    return _compiled_resample(speckled, *(tf.constant(t) for t in polar.to_cartesian), *polar.image)
