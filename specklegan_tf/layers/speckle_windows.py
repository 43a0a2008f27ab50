"""The windows of the speckle layer: their profile, their scaling, and how their edge lengths are parametrised.

A window is the lens aperture of Eq. 2: it keeps the spatial frequencies within ``d / 2`` bins of zero, so its edge
length ``d`` sets the speckle grain (about ``S / d`` pixels on an ``S``-pixel grid). The paper's window is a rect;
here its edges are sigmoids about one bin wide so that ``d`` receives a gradient (:func:`soft_window_1d`), and a
Gaussian aperture of the same equivalent width is offered too (:func:`gaussian_window_1d`).

The trainable weight is ``log_window = log(d)`` rather than ``d`` itself: Adam moves a weight by about one learning
rate per step whatever the gradient's scale, so a weight in bins (14 to 24 at 128 px) moves about one bin per
1,000 steps at lr 1e-3 and the windows keep their initial size; in log space every step changes the grain by the
same *relative* amount (about 0.1 % at lr 1e-3), at any image size. :class:`WindowSizeRange` keeps ``log d`` within ``[log 1, log S]``;
:func:`log_window_from_linear` reads the weight ``d`` of files written before version 0.2.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import keras
from keras import ops

__all__ = ["EDGE_SOFTNESS", "WINDOW_PROFILES", "WINDOW_SHAPES", "WindowSizeRange", "check_initial_window_sizes",
           "check_window_arguments", "gaussian_window_1d", "initial_edge_lengths", "log_window_from_linear",
           "scaled_windows", "soft_window_1d"]

WINDOW_SHAPES = ("square", "rectangular")
WINDOW_PROFILES = ("rect", "gaussian")

# Slope of the sigmoid window edge, in bins: sigmoid(x / 0.25) rises from 10% to 90% over 4.4 * 0.25 = 1.1 bins,
# i.e. an edge about one bin wide. Sharp enough to act like the paper's rect, soft enough to give d a gradient.
EDGE_SOFTNESS = 0.25


def _bin_distance(size: int) -> np.ndarray:
    """``|f|`` for the signed bin indices ``f = 0, 1, ..., -2, -1`` of an axis of ``size`` bins, in FFT order."""
    return np.abs(np.fft.fftfreq(size) * size).astype(np.float32)


def soft_window_1d(edge_length, size: int):
    """One axis of the soft rect window in FFT order (zero frequency at index 0).

    ``w(f) = sigmoid((edge_length / 2 - |f|) / EDGE_SOFTNESS)`` for the signed bin index
    ``f = 0, 1, ..., -2, -1`` (NumPy's ``fftfreq(size) * size``). ``sum(w)`` is close to ``edge_length``.

    Args:
        edge_length: tensor ``(K,)``, edge lengths in bins of this axis.
        size: number of bins of the axis.

    Returns:
        float32 tensor ``(K, size)``.
    """
    freq = _bin_distance(size)
    half = ops.expand_dims(ops.cast(edge_length, "float32") / 2.0, -1)
    return ops.sigmoid((half - ops.convert_to_tensor(freq)[None, :]) / EDGE_SOFTNESS)


def gaussian_window_1d(edge_length, size: int):
    """One axis of a Gaussian window of equivalent width ``edge_length`` bins, in FFT order.

    ``w(f) = exp(-f^2 / (2 sigma^2))`` with ``sigma = edge_length / sqrt(2 pi)``, so that ``sum(w)`` is about
    ``edge_length``, as for the rect of the same edge length. Why a Gaussian: a transducer's pulse and beam are
    close to Gaussian, so a real scanner's speckle spectrum falls off smoothly; the rect's hard cut-off leaves a
    plateau and no energy beyond the window, a texture a discriminator tells apart.

    Args:
        edge_length: tensor ``(K,)``, equivalent widths in bins of this axis.
        size: number of bins of the axis.

    Returns:
        float32 tensor ``(K, size)``.
    """
    freq = _bin_distance(size)
    sigma = ops.expand_dims(ops.cast(edge_length, "float32") / math.sqrt(2.0 * math.pi), -1)
    return ops.exp(-0.5 * ops.square(ops.convert_to_tensor(freq)[None, :] / sigma))


def window_function(profile: str):
    """The 1-D window of a profile name: :func:`soft_window_1d` for ``"rect"``, :func:`gaussian_window_1d` for
    ``"gaussian"``; ``ValueError`` for any other name."""
    if profile not in WINDOW_PROFILES:
        raise ValueError(f"`profile` must be one of {WINDOW_PROFILES}; received {profile!r}.")
    return soft_window_1d if profile == "rect" else gaussian_window_1d


def scaled_windows(d_rows, d_cols, grid: tuple[int, int], profile: str = "rect"):
    """The soft windows of edge lengths ``(d_rows, d_cols)`` on a ``grid``, scaled to keep the mean power.

    Args:
        d_rows, d_cols: float32 ``(K,)``, edge lengths in bins of the grid's shorter axis ``S`` along its rows and
            its columns axis; each is stretched by ``axis length / S`` on its own axis.
        grid: ``(rows, cols)`` of the speckle grid.
        profile: ``"rect"`` (:func:`soft_window_1d`, the paper) or ``"gaussian"`` (:func:`gaussian_window_1d`).

    Returns:
        float32 ``(K, rows, cols)`` in FFT order: ``s_k * w_{d_k}`` with ``s_k = sqrt(rows * cols / sum(w^2))``.
    """
    window_1d = window_function(profile)
    rows, cols = grid
    short_side = float(min(grid))
    w_rows = window_1d(d_rows * (rows / short_side), rows)  # (K, rows)
    w_cols = window_1d(d_cols * (cols / short_side), cols)  # (K, cols)
    # sum over the 2-D window of w^2 factorises into the product of the 1-D sums.
    energy = ops.sum(w_rows**2, axis=1) * ops.sum(w_cols**2, axis=1)
    scale = ops.sqrt(float(rows * cols) / energy)
    return w_rows[:, :, None] * w_cols[:, None, :] * scale[:, None, None]


@keras.saving.register_keras_serializable(package="specklegan_tf")
class WindowSizeRange(keras.constraints.Constraint):
    """Clips a weight to ``[min_value, max_value]`` after every optimizer step.

    The speckle layer applies it to ``log_window`` with the bounds ``[log 1, log S]``, i.e. window edge lengths
    within ``[1, S]`` bins.
    """

    def __init__(self, min_value: float, max_value: float) -> None:
        self.min_value = float(min_value)
        self.max_value = float(max_value)

    def __call__(self, w):
        return ops.clip(w, self.min_value, self.max_value)

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value}


def check_window_arguments(window_init, reference_size, window_shape: str, window_profile: str) -> tuple:
    """``(low, high)`` of ``window_init`` as floats, after checking the layer's window arguments.

    Raises ``ValueError`` naming the argument: ``window_profile`` and ``window_shape`` must be known names,
    ``reference_size`` a positive integer and ``window_init`` a pair with ``0 < low <= high <= reference_size``.
    """
    if window_profile not in WINDOW_PROFILES:
        raise ValueError(
            f"`window_profile` must be one of {WINDOW_PROFILES}; received window_profile={window_profile!r}.")
    if window_shape not in WINDOW_SHAPES:
        raise ValueError(f"`window_shape` must be one of {WINDOW_SHAPES}; received window_shape={window_shape!r}.")
    if isinstance(reference_size, bool) or int(reference_size) != reference_size or reference_size < 1:
        raise ValueError(f"`reference_size` must be a positive integer; received reference_size={reference_size!r}.")
    try:
        low, high = (float(v) for v in window_init)
    except (TypeError, ValueError):
        raise ValueError(
            f"`window_init` must be a pair (low, high) of numbers; received window_init={window_init!r}."
        ) from None
    if not (0.0 < low <= high <= reference_size):
        raise ValueError(
            "`window_init` must satisfy 0 < low <= high <= image size (reference_size="
            f"{reference_size}); received window_init={tuple(window_init)!r}."
        )
    return low, high


def check_initial_window_sizes(sizes, num_sizes: int, reference_size: int):
    """``None``, or a tuple of ``num_sizes`` numbers or pairs, each in ``[1, reference_size]`` bins."""
    if sizes is None:
        return None
    try:
        array = np.asarray(sizes, np.float64)
    except (TypeError, ValueError):
        array = np.zeros((0,))
    if array.shape not in ((num_sizes,), (num_sizes, 2)) or not np.all(np.isfinite(array)):
        raise ValueError(
            f"`initial_window_sizes` must be {num_sizes} numbers or {num_sizes} pairs (rows axis, columns axis), "
            f"one per window; received initial_window_sizes={sizes!r}."
        )
    if np.any(array <= 0) or np.any(array > reference_size):
        raise ValueError(
            f"`initial_window_sizes` must lie in (0, reference_size={reference_size}] bins; "
            f"received initial_window_sizes={sizes!r}."
        )
    return tuple(float(v) for v in array) if array.ndim == 1 else tuple((float(a), float(b)) for a, b in array)



def initial_edge_lengths(window_init: Sequence[float], initial_window_sizes, num_sizes: int,
                         window_shape: str) -> np.ndarray:
    """Initial edge lengths in bins of a ``reference_size`` image: ``(K,)`` square, ``(K, 2)`` rectangular.

    Evenly spaced over ``window_init`` unless ``initial_window_sizes`` are given; a square layer given pairs takes
    their geometric mean, a rectangular layer given numbers uses each for both axes.
    """
    if initial_window_sizes is None:
        square = np.linspace(window_init[0], window_init[1], num_sizes)
    else:
        given = np.asarray(initial_window_sizes, np.float64)
        if given.ndim == 1:
            square = given
        elif window_shape == "rectangular":
            return given
        else:
            square = np.sqrt(given[:, 0] * given[:, 1])
    return square if window_shape == "square" else np.stack([square, square], axis=1)


def log_window_from_linear(store, num_sizes: int, max_window: float, layer_name: str) -> np.ndarray:
    """``log_window`` (float32) from the own weights of a layer file written before version 0.2.

    Those files hold one own weight, the edge lengths ``d`` in bins (square windows); it is clipped to
    ``[1, max_window]`` as the forward pass would, then its log taken.
    """
    if len(store.keys()) != 1:
        raise ValueError(
            f"SpeckleLayer '{layer_name}': a file written before version 0.2 must hold exactly one own weight "
            f"(the window edge lengths 'd' in bins); this one holds {len(store.keys())}. Re-save it with the "
            "version that wrote it, or rebuild the layer and set `log_window` yourself."
        )
    d = np.asarray(store["0"], np.float64)
    if d.shape != (num_sizes,):
        raise ValueError(
            f"SpeckleLayer '{layer_name}': the file's window weight 'd' has shape {d.shape}, expected ({num_sizes},)."
        )
    return np.log(np.clip(d, 1.0, max_window)).astype(np.float32)
