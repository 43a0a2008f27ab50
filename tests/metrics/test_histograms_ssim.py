"""Acceptance 7 (per-class JSD of gray values) and paired SSIM (paper, Table 1)."""
import math

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from specklegan_tf import CLASS_NAMES
from specklegan_tf.metrics import class_histogram_jsd, paired_ssim


def _reference_jsd(p_values, q_values):
    """JSD in bits from np.histogram counts and the textbook formula."""
    p = np.histogram(p_values, bins=256, range=(0, 256))[0].astype(np.float64)
    q = np.histogram(q_values, bins=256, range=(0, 256))[0].astype(np.float64)
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2
    kl = lambda x, y: np.sum(x[x > 0] * np.log2(x[x > 0] / y[x > 0]))  # noqa: E731
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def test_identical_sets_give_zero_and_brightened_sets_a_clearly_larger_value(phantom_sets):
    (images, masks), _ = phantom_sets
    same = class_histogram_jsd(images, masks, images, masks)
    brighter = np.clip(images.astype(np.int32) + 30, 0, 255).astype(np.uint8)
    shifted = class_histogram_jsd(images, masks, brighter, masks)
    assert set(same) == set(CLASS_NAMES)
    for name in CLASS_NAMES:
        assert same[name] == pytest.approx(0.0, abs=1e-12)
        assert shifted[name] > 0.05  # 50 x 10^-3: above the paper's SpeckleGAN values in every class


def test_matches_textbook_jsd_per_class(phantom_sets):
    (images, masks), (other, other_masks) = phantom_sets
    result = class_histogram_jsd(images, masks, other, other_masks)
    for label, name in enumerate(CLASS_NAMES):
        expected = _reference_jsd(images[masks == label], other[other_masks == label])
        assert result[name] == pytest.approx(expected, rel=1e-9)
        assert 0.0 < result[name] < 1.0


def test_absent_class_gives_nan_and_mismatched_masks_raise():
    images = np.full((2, 16, 16), 100, np.uint8)
    masks = np.full((2, 16, 16), 2, np.uint8)
    result = class_histogram_jsd(images, masks, images, masks)
    assert math.isnan(result["lumen"]) and result["background"] == 0.0
    with pytest.raises(ValueError, match="fake_masks"):
        class_histogram_jsd(images, masks, images, masks[:, :8])


def test_paired_ssim_against_skimage_and_bounds(phantom_sets):
    (images, _), (other, _) = phantom_sets
    noisy = np.clip(images + np.random.default_rng(0).normal(0, 20, images.shape), 0, 255)
    mean, std = paired_ssim(images[:6], noisy[:6])
    expected = [structural_similarity(a.astype(float), b, data_range=255) for a, b in zip(images[:6], noisy[:6])]
    assert mean == pytest.approx(np.mean(expected)) and std == pytest.approx(np.std(expected))
    assert paired_ssim(images[:6], images[:6]) == (pytest.approx(1.0), pytest.approx(0.0))
    unrelated, _ = paired_ssim(images[:6], other[:6])
    assert unrelated < mean < 1.0
    with pytest.raises(ValueError, match="same shape"):
        paired_ssim(images[:6], images[:5])
