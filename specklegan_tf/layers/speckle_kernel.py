"""The computation of Eq. 2 behind :class:`~specklegan_tf.layers.SpeckleLayer`, in two interchangeable forms.

``speckle_magnitudes`` is the reference: plain TensorFlow ops, differentiated by TensorFlow. It maps
``(amplitude, phases, windows)`` to ``|IFFT2(FFT2(amplitude * exp(j * phases)) * window_k)|`` for every window,
optionally on a polar grid (resample to polar, speckle, resample back).

``compiled_speckle_magnitudes`` computes the same numbers with XLA-compiled kernels (the FFT part, and each polar
resampling on its own) and a hand-written gradient made of compiled kernels too. Why: in graph mode TensorFlow
runs each of the layer's ~30 ops as a separate pass over tensors of ``N * C * K`` full-size maps, and
differentiates the polar resampling with a scatter-add; XLA fuses the element-wise work around the FFTs, the
backward kernel reuses the complex fields of the forward pass (no recomputation), and the polar-to-Cartesian
resampling is transposed as a short gather. Measured by ``benchmarks/speckle_layer.py`` (see the README). Random phases are drawn outside the kernels, so the compiled
form draws exactly the phases of the reference and the two agree to float32 rounding.

Exports use the reference form: TF Serving compiles XLA on CPU only behind its experimental
``--xla_cpu_compilation_enabled`` flag (off by default), so a SavedModel for it must not contain XLA-compiled
functions. :func:`plain_tensorflow_kernel` switches every speckle layer traced inside it to
the reference form.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from specklegan_tf.layers.polar import adjoint_table, resample, resample_adjoint

__all__ = [
    "PolarTables",
    "speckle_magnitudes",
    "compiled_speckle_magnitudes",
    "plain_tensorflow_kernel",
    "compiled_kernel_allowed",
]

_switch = threading.local()


@contextlib.contextmanager
def plain_tensorflow_kernel():
    """Within this context, speckle layers that are called (or traced) use the reference TensorFlow ops.

    Used when exporting a SavedModel, so that its graph runs on a TensorFlow (Serving) without XLA.

    Example:
        >>> with plain_tensorflow_kernel():
        ...     concrete = serving_function.get_concrete_function(...)
    """
    previous = getattr(_switch, "plain", False)
    _switch.plain = True
    try:
        yield
    finally:
        _switch.plain = previous


def compiled_kernel_allowed() -> bool:
    """False inside :func:`plain_tensorflow_kernel`."""
    return not getattr(_switch, "plain", False)


@dataclass(frozen=True, eq=False)
class PolarTables:
    """The constant gather tables of the polar mode (see :mod:`specklegan_tf.layers.polar`).

    ``to_polar`` / ``to_cartesian``: ``(indices, weights)`` of the two resamplings; ``*_adjoint``: their padded
    transposes from :func:`~specklegan_tf.layers.polar.adjoint_table`, or ``None`` where a scatter-add is used.
    ``grid``: the polar grid ``(rows, cols)``; ``image``: the Cartesian ``(H, W)``.
    """

    to_polar: tuple[np.ndarray, np.ndarray]
    to_cartesian: tuple[np.ndarray, np.ndarray]
    to_polar_adjoint: tuple[np.ndarray, np.ndarray] | None
    to_cartesian_adjoint: tuple[np.ndarray, np.ndarray] | None
    grid: tuple[int, int]
    image: tuple[int, int]

    @classmethod
    def from_resamplers(cls, to_polar, to_cartesian) -> "PolarTables":
        """The tables of built :class:`~specklegan_tf.layers.CartesianToPolar` and ``PolarToCartesian`` layers."""
        image = (to_cartesian.height, to_cartesian.width)
        grid = tuple(to_polar._grid)
        forward = (to_polar._indices, to_polar._weights)
        backward = (to_cartesian._indices, to_cartesian._weights)
        return cls(to_polar=forward, to_cartesian=backward,
                   to_polar_adjoint=adjoint_table(*forward, image[0] * image[1]),
                   to_cartesian_adjoint=adjoint_table(*backward, grid[0] * grid[1]), grid=grid, image=image)


def _channels_first(x):
    return tf.transpose(x, (0, 3, 1, 2))


def _fields(amplitude_grid, phases, windows):
    """Spectra ``(N, C, rows, cols)`` of ``a * exp(j phi)`` and the windowed fields ``(N, C, K, rows, cols)``."""
    amplitude = _channels_first(amplitude_grid)
    phi = _channels_first(phases)
    # FFTs act on the last two axes, hence channels-first. tf.complex rather than a cast of the window: a cast
    # warns in the backward pass.
    spectrum = tf.signal.fft2d(tf.complex(amplitude * tf.cos(phi), amplitude * tf.sin(phi)))
    field = tf.signal.ifft2d(spectrum[:, :, None] * tf.complex(windows, 0.0)[None, None])
    return spectrum, field


def _to_channels_last(magnitude):
    """``(N, C, K, rows, cols)`` -> ``(N, rows, cols, C * K)`` with channel ``c * K + k``."""
    _, channels, sizes, rows, cols = magnitude.shape
    return tf.reshape(tf.transpose(magnitude, (0, 3, 4, 1, 2)), (-1, rows, cols, channels * sizes))


def speckle_magnitudes(amplitude, phases, windows, polar: PolarTables | None = None):
    """Eq. 2 for every map and window, in plain TensorFlow ops (the reference form).

    Args:
        amplitude: float32 ``(N, H, W, C)``, the maps ``I``.
        phases: float32 ``(N, rows, cols, C)``, the phases ``phi`` on the speckle grid (the polar grid if
            ``polar``, else the image grid).
        windows: float32 ``(K, rows, cols)``, the (scaled) windows in FFT order.
        polar: tables of the polar mode, or ``None`` for Cartesian speckle.

    Returns:
        float32 ``(N, H, W, C * K)``, channel ``c * K + k`` = map ``c`` with window ``k``.
    """
    grid = amplitude
    if polar is not None:
        grid = resample(amplitude, *polar.to_polar, *polar.grid)
    _, field = _fields(grid, phases, windows)
    # tf.abs has a finite gradient at 0 (TensorFlow divides with div_no_nan), which matters for all-zero maps.
    speckled = _to_channels_last(tf.abs(field))
    if polar is not None:
        speckled = resample(speckled, *polar.to_cartesian, *polar.image)
    return speckled


# Each stage is its own XLA function. Compiled as one function, the polar resamplings were fused into their
# neighbours' transposes and lost their memory-friendly access pattern: the backward kernel took longer than its
# Cartesian part and the adjoint resampling compiled apart (docs/measurements/floors.md).
_compiled_resample = tf.function(resample, jit_compile=True, autograph=False)
_compiled_resample_adjoint = tf.function(resample_adjoint, jit_compile=True, autograph=False)


@tf.function(jit_compile=True, autograph=False)
def _forward(amplitude_grid, phases, windows):
    spectrum, field = _fields(amplitude_grid, phases, windows)
    return _to_channels_last(tf.abs(field)), spectrum, field


@tf.function(jit_compile=True, autograph=False)
def _backward(upstream, phases, windows, spectrum, field):
    """Vector-Jacobian product of ``_forward`` for the amplitude and the windows, from its saved fields.

    The rules are TensorFlow's own for each op: ``|v|`` passes ``g * v / |v|`` (0 where ``v == 0``); the gradient
    of ``ifft2d`` is ``fft2d(g) / (rows * cols)`` and that of ``fft2d`` is ``ifft2d(g) * rows * cols``; a product
    ``U * w`` passes ``g * conj(w)`` to ``U`` and ``g * conj(U)`` to ``w``; ``a * exp(j phi)`` passes
    ``Re(g) cos(phi) + Im(g) sin(phi)`` to the real ``a``.
    """
    _, channels, sizes, rows, cols = field.shape
    grad_magnitude = tf.transpose(tf.reshape(upstream, (-1, rows, cols, channels, sizes)), (0, 3, 4, 1, 2))
    grad_field = tf.math.divide_no_nan(
        tf.complex(grad_magnitude, 0.0) * field, tf.complex(tf.abs(field), 0.0)
    )
    grad_windowed = tf.signal.fft2d(grad_field) / float(rows * cols)
    grad_windows = tf.reduce_sum(tf.math.real(grad_windowed * tf.math.conj(spectrum)[:, :, None]), axis=(0, 1))
    grad_spectrum = tf.reduce_sum(grad_windowed * tf.complex(windows, 0.0)[None, None], axis=2)
    grad_rough = tf.signal.ifft2d(grad_spectrum) * float(rows * cols)
    phi = _channels_first(phases)
    grad_grid = tf.math.real(grad_rough) * tf.cos(phi) + tf.math.imag(grad_rough) * tf.sin(phi)
    return tf.transpose(grad_grid, (0, 2, 3, 1)), grad_windows


def _as_kernel_arguments(polar: PolarTables | None):
    if polar is None:
        return None
    return {
        "to_polar": tuple(tf.constant(t) for t in polar.to_polar),
        "to_cartesian": tuple(tf.constant(t) for t in polar.to_cartesian),
        "to_polar_adjoint": None if polar.to_polar_adjoint is None else
        tuple(tf.constant(t) for t in polar.to_polar_adjoint),
        "to_cartesian_adjoint": None if polar.to_cartesian_adjoint is None else
        tuple(tf.constant(t) for t in polar.to_cartesian_adjoint),
        "grid": polar.grid,
        "image": polar.image,
    }


def compiled_speckle_magnitudes(amplitude, phases, windows, polar: PolarTables | None = None):
    """:func:`speckle_magnitudes` as XLA-compiled forward and backward kernels (same arguments, same result).

    Gradients flow to ``amplitude`` and ``windows``; the phases get none (they are random draws). The backward
    kernel is not itself differentiable (no second derivatives through the speckle layer).
    """
    tables = _as_kernel_arguments(polar)

    @tf.custom_gradient
    def kernel(amplitude, phases, windows):
        grid = amplitude
        if tables is not None:
            grid = _compiled_resample(amplitude, *tables["to_polar"], *tables["grid"])
        speckled, spectrum, field = _forward(grid, phases, windows)
        if tables is not None:
            speckled = _compiled_resample(speckled, *tables["to_cartesian"], *tables["image"])

        def gradient(upstream):
            upstream = tf.cast(upstream, tf.float32)
            if tables is not None:
                upstream = _compiled_resample_adjoint(
                    upstream, *tables["to_cartesian"], *tables["grid"], tables["to_cartesian_adjoint"])
            grad_grid, grad_windows = _backward(upstream, phases, windows, spectrum, field)
            if tables is None:
                return grad_grid, None, grad_windows
            grad_amplitude = _compiled_resample_adjoint(
                grad_grid, *tables["to_polar"], *tables["image"], tables["to_polar_adjoint"])
            return grad_amplitude, None, grad_windows

        return speckled, gradient

    return kernel(amplitude, phases, windows)
