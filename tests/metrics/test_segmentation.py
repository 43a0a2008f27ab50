"""Acceptance 5: Dice and modified Hausdorff distance against brute force, discs, pixel spacing; t-tests."""
import math

import numpy as np
import pytest
from scipy import ndimage, stats

from specklegan_tf.metrics import dice, modified_hausdorff, paired_t_test


def _random_label_masks(seed: int, size: int = 48) -> np.ndarray:
    """Blobby random shapes with labels 0..2 (thresholded smoothed noise)."""
    noise = ndimage.gaussian_filter(np.random.default_rng(seed).normal(size=(size, size)), 4)
    return np.digitize(noise, np.quantile(noise, [0.3, 0.6])).astype(np.uint8)


def _brute_dice(pred, target, label):
    both = sum(1 for p, t in zip(pred.ravel(), target.ravel()) if p == label and t == label)
    count = sum(1 for p in pred.ravel() if p == label) + sum(1 for t in target.ravel() if t == label)
    return 2.0 * both / count


def _brute_boundary(mask, label):
    """Pixels of the class with a 4-neighbour inside the image that is not of the class."""
    points = []
    rows, cols = mask.shape
    for r in range(rows):
        for c in range(cols):
            if mask[r, c] != label:
                continue
            neighbours = [(r + dr, c + dc) for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1))]
            if any(0 <= rr < rows and 0 <= cc < cols and mask[rr, cc] != label for rr, cc in neighbours):
                points.append((r, c))
    return np.array(points, dtype=np.float64)


def _brute_mhd(pred, target, label, spacing=(1.0, 1.0)):
    a, b = _brute_boundary(pred, label) * spacing, _brute_boundary(target, label) * spacing
    distances = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1))
    return max(distances.min(axis=1).mean(), distances.min(axis=0).mean())


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("label", [0, 1, 2])
def test_agree_with_brute_force_on_random_shapes(seed, label):
    pred, target = _random_label_masks(seed), _random_label_masks(seed + 100)
    assert dice(pred, target, label) == pytest.approx(_brute_dice(pred, target, label), abs=1e-6)
    assert modified_hausdorff(pred, target, label) == pytest.approx(_brute_mhd(pred, target, label), abs=1e-6)
    assert modified_hausdorff(pred, target, label, spacing=(0.5, 0.2)) == pytest.approx(
        _brute_mhd(pred, target, label, spacing=(0.5, 0.2)), abs=1e-6)


def _disc(radius: float, size: int = 64) -> np.ndarray:
    rows, cols = np.mgrid[:size, :size]
    return (np.hypot(rows - 31.5, cols - 31.5) <= radius).astype(np.uint8)


@pytest.mark.parametrize("radius, step", [(8, 1), (10, 3), (12, 6), (15, 10)])
def test_concentric_discs_are_k_apart_and_scale_with_spacing(radius, step):
    inner, outer = _disc(radius), _disc(radius + step)
    distance = modified_hausdorff(inner, outer, 1)
    assert abs(distance - step) <= 0.5
    assert modified_hausdorff(outer, inner, 1) == pytest.approx(distance)
    assert modified_hausdorff(inner, outer, 1, spacing=0.026) == pytest.approx(0.026 * distance, rel=1e-9)
    assert dice(inner, outer, 1) == pytest.approx(2 * inner.sum() / (inner.sum() + outer.sum()))


def test_empty_masks_follow_the_documented_rule():
    empty, disc = np.zeros((32, 32), np.uint8), _disc(5, 32)
    assert dice(empty, empty, 1) == 1.0 and modified_hausdorff(empty, empty, 1) == 0.0
    assert dice(empty, disc, 1) == 0.0
    assert modified_hausdorff(empty, disc, 1) == math.inf
    assert modified_hausdorff(disc, empty, 1, empty_penalty=45.0) == 45.0
    assert modified_hausdorff(disc, disc, 1) == 0.0 and dice(disc, disc, 1) == 1.0


def test_paired_t_test_matches_textbook_formula():
    rng = np.random.default_rng(0)
    a = rng.normal(0.85, 0.02, 5)
    b = a - rng.normal(0.01, 0.01, 5)
    difference = a - b
    t_expected = difference.mean() / (difference.std(ddof=1) / math.sqrt(5))
    t, p = paired_t_test(a, b)
    assert t == pytest.approx(t_expected, rel=1e-10)
    assert p == pytest.approx(2 * stats.t.sf(abs(t_expected), df=4), rel=1e-10)


def test_bad_inputs_raise():
    disc = _disc(5, 32)
    with pytest.raises(ValueError, match="same shape"):
        dice(disc, disc[:-1], 1)
    with pytest.raises(ValueError, match="pred"):
        modified_hausdorff(disc[None], disc, 1)
    with pytest.raises(ValueError, match="spacing"):
        modified_hausdorff(disc, disc, 1, spacing=0)
    with pytest.raises(ValueError, match="label"):
        dice(disc, disc, 1.5)
    with pytest.raises(ValueError, match="paired"):
        paired_t_test([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="infinite"):
        paired_t_test([1, 2, math.inf], [1, 2, 3])
