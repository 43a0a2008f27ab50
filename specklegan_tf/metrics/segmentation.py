"""Segmentation metrics per class: Dice, modified Hausdorff distance and paired t-tests (paper, Table 2)."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.spatial import cKDTree
from scipy.stats import ttest_rel
from skimage.segmentation import find_boundaries


def _label_region(array, name: str, label: int) -> np.ndarray:
    mask = np.asarray(array)
    if mask.ndim != 2:
        raise ValueError(f"`{name}` must be one 2-D label mask (H, W); received shape {mask.shape}.")
    if not (np.issubdtype(mask.dtype, np.integer) or mask.dtype == bool):
        raise ValueError(f"`{name}` must hold integer labels; received dtype {mask.dtype}.")
    return mask == label


def _check_pair(pred, target, label) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)):
        raise ValueError(f"`label` must be an integer class label; received {label!r}.")
    p = _label_region(pred, "pred", label)
    t = _label_region(target, "target", label)
    if p.shape != t.shape:
        raise ValueError(f"`pred` {p.shape} and `target` {t.shape} must have the same shape.")
    return p, t


def dice(pred, target, label: int) -> float:
    """Dice coefficient ``2 |P ∩ T| / (|P| + |T|)`` of one class in one pair of label masks.

    Args:
        pred, target: 2-D integer label masks (H, W) (e.g. 0 lumen, 1 intima/media, 2 background).
        label: the class compared.

    Returns:
        Value in [0, 1]; 1.0 when the class is absent from both masks (nothing to find, nothing found).

    Example:
        >>> dice(predicted_mask, true_mask, label=specklegan_tf.LUMEN)
    """
    p, t = _check_pair(pred, target, label)
    total = int(p.sum()) + int(t.sum())
    if total == 0:
        return 1.0
    return 2.0 * float(np.logical_and(p, t).sum()) / total


def boundary_points(region: np.ndarray) -> np.ndarray:
    """(K, 2) row/column coordinates of the region's inner boundary: its pixels with a 4-neighbour outside
    the region. The image border itself is not a boundary (``find_boundaries(mode="inner")``)."""
    return np.argwhere(find_boundaries(region, connectivity=1, mode="inner") & region)


def modified_hausdorff(pred, target, label: int, spacing: float | Sequence[float] | None = None,
                       empty_penalty: float = math.inf) -> float:
    """Modified Hausdorff distance (Dubuisson & Jain, 1994) between the boundaries of one class.

    ``max(mean_a min_b |a - b|, mean_b min_a |a - b|)`` over the boundary pixels A of ``pred`` and B of
    ``target`` (see :func:`boundary_points`), with nearest neighbours from ``scipy.spatial.cKDTree``.

    Empty masks: both boundaries empty (class absent from both) gives 0.0; exactly one empty gives
    ``empty_penalty``, by default ``inf`` so that a missed structure can never pass unnoticed into a mean
    (``nanmean`` would silently drop NaN); pass e.g. the image diagonal for a finite worst case.

    Args:
        pred, target: 2-D integer label masks (H, W).
        label: the class compared.
        spacing: pixel size, one number or (row, column) spacing (e.g. mm per pixel); None for pixels.
        empty_penalty: value returned when exactly one of the two boundaries is empty.

    Returns:
        Distance in pixels, or in the unit of ``spacing``.

    Example:
        >>> modified_hausdorff(pred, target, label=1, spacing=0.026)  # mm, at 26 µm per pixel
    """
    p, t = _check_pair(pred, target, label)
    scale = np.ones(2) if spacing is None else np.broadcast_to(np.asarray(spacing, np.float64), (2,))
    if not np.all(np.isfinite(scale)) or np.any(scale <= 0):
        raise ValueError(f"`spacing` must be positive; received {spacing!r}.")
    a = boundary_points(p) * scale
    b = boundary_points(t) * scale
    if len(a) == 0 and len(b) == 0:
        return 0.0
    if len(a) == 0 or len(b) == 0:
        return float(empty_penalty)
    a_to_b = cKDTree(b).query(a)[0].mean()
    b_to_a = cKDTree(a).query(b)[0].mean()
    return float(max(a_to_b, b_to_a))


def paired_t_test(a, b) -> tuple[float, float]:
    """Two-sided paired t-test (``scipy.stats.ttest_rel``) of two matched score lists, e.g. per-fold Dice of
    two models (the paper's Table 2; the paper applies no multiple-test correction).

    Args:
        a, b: 1-D sequences of equal length >= 2 of finite scores.

    Returns:
        ``(t, p)``; t > 0 means a is larger on average. ``(nan, nan)`` when all differences are equal
        (the test is undefined), as scipy returns.

    Example:
        >>> t, p = paired_t_test(dice_speckle_gan, dice_baseline)
    """
    x = np.asarray(a, np.float64)
    y = np.asarray(b, np.float64)
    for name, value in (("a", x), ("b", y)):
        if value.ndim != 1 or value.size < 2:
            raise ValueError(f"`{name}` must be a 1-D sequence of at least 2 scores; received shape {value.shape}.")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"`{name}` contains NaN or infinite scores (e.g. an empty-mask Hausdorff distance).")
    if x.shape != y.shape:
        raise ValueError(f"`a` ({x.size} scores) and `b` ({y.size} scores) must be paired, i.e. equally long.")
    result = ttest_rel(x, y)
    return float(result.statistic), float(result.pvalue)
