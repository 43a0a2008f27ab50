"""Input checks shared by the metrics: clear errors that name the argument, never a deep traceback."""
from __future__ import annotations

import numpy as np

from specklegan_tf import CLASS_NAMES


def as_images(images, name: str = "images", *, allow_single: bool = False) -> np.ndarray:
    """Returns ``images`` as uint8 (kept as is) or float32 checked to lie in [0, 255].

    Args:
        images: array-like of shape (N, H, W), uint8 or float gray values in [0, 255]. With
            ``allow_single`` an (H, W) image is accepted and returned as (1, H, W).
        name: argument name used in error messages.

    Returns:
        np.ndarray of shape (N, H, W), dtype uint8 or float32.
    """
    array = np.asarray(images)
    if allow_single and array.ndim == 2:
        array = array[None]
    if array.ndim == 4 and array.shape[-1] == 1:  # tolerate a trailing channel axis of one
        array = array[..., 0]
    if array.ndim != 3:
        raise ValueError(f"`{name}` must have shape (N, H, W); received shape {array.shape}.")
    if array.shape[0] == 0:
        raise ValueError(f"`{name}` is empty (shape {array.shape}).")
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"`{name}` must be uint8 or float gray values in [0, 255]; received dtype {array.dtype}.")
    array = array.astype(np.float32, copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 255.0:
        raise ValueError(
            f"`{name}` must hold gray values in [0, 255]; received values in [{low:.4g}, {high:.4g}]. "
            "Images in [-1, 1] from the tf.data pipeline need `(x + 1) * 127.5` first."
        )
    return array


def as_masks(masks, name: str = "masks", *, like: np.ndarray | None = None, like_name: str = "images") -> np.ndarray:
    """Returns ``masks`` as uint8 (N, H, W) labels 0..2, checked against the images they belong to."""
    array = np.asarray(masks)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3:
        raise ValueError(f"`{name}` must have shape (N, H, W) with labels 0..2; received shape {array.shape}.")
    if like is not None and array.shape != like.shape:
        raise ValueError(f"`{name}` has shape {array.shape} but `{like_name}` has shape {like.shape}; they must match.")
    if not (np.issubdtype(array.dtype, np.integer) or array.dtype == bool):
        raise ValueError(f"`{name}` must hold integer labels 0..2; received dtype {array.dtype}.")
    if array.size and (array.min() < 0 or array.max() >= len(CLASS_NAMES)):
        raise ValueError(
            f"`{name}` must hold labels 0..{len(CLASS_NAMES) - 1} ({', '.join(CLASS_NAMES)}); "
            f"received values in [{array.min()}, {array.max()}]."
        )
    return array.astype(np.uint8, copy=False)


def as_features(features, name: str) -> np.ndarray:
    """Returns a (N, D) float64 feature matrix or raises a ValueError naming ``name``."""
    array = np.asarray(features, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"`{name}` must be a feature matrix of shape (N, D); received shape {array.shape}.")
    if array.shape[0] < 2:
        raise ValueError(f"`{name}` needs at least 2 samples to estimate statistics; received {array.shape[0]}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` contains NaN or infinite values.")
    return array


def check_positive_int(value, name: str) -> int:
    """Returns ``value`` as int or raises a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer; received {value!r}.")
    return int(value)
