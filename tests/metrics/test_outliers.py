"""Generated images darker or brighter than every real image (the collapse of a few latent vectors)."""
import numpy as np
import pytest

from specklegan_tf.metrics import brightness_outlier_fractions, evaluation_report


def _flat(levels, size=8):
    return np.stack([np.full((size, size), level, np.uint8) for level in levels])


def test_counts_images_outside_the_real_range_of_mean_gray_levels():
    real = _flat([60, 90, 120, 200])
    fake = _flat([0, 59, 60, 130, 200, 201, 255, 100])  # two below 60, two above 200; the bounds themselves count not
    assert brightness_outlier_fractions(real, fake) == (2 / 8, 2 / 8)
    assert brightness_outlier_fractions(real, real) == (0.0, 0.0)


def test_uses_each_image_mean_not_its_pixels():
    real = _flat([60, 90])
    half_black = np.concatenate([np.zeros((1, 4, 8)), np.full((1, 4, 8), 150.0)], axis=1)  # mean 75, has black
    assert brightness_outlier_fractions(real, half_black.astype(np.float32)) == (0.0, 0.0)
    assert brightness_outlier_fractions(real.astype(np.float32) / 2, _flat([29])) == (1.0, 0.0)  # floats too


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="fake_images"):
        brightness_outlier_fractions(_flat([60]), np.full((1, 8, 8), 300.0))
    with pytest.raises(ValueError, match="real_images"):
        brightness_outlier_fractions(np.zeros((0, 8, 8), np.uint8), _flat([60]))


def test_the_evaluation_report_carries_the_fractions(phantom_sets):
    (real, masks), _ = phantom_sets
    real, masks = real[:12], masks[:12]
    fake = real.copy()
    fake[:3] = (fake[:3] // 8)  # three collapsed, nearly black images
    report = evaluation_report(real, masks, fake, masks, kid_subsets=5, kid_subset_size=6)
    values = report.as_dict()
    darkest = real.reshape(12, -1).mean(axis=1).min()
    expected = np.mean(fake.reshape(12, -1).mean(axis=1) < darkest)
    assert values["darker_than_real_fraction"] == pytest.approx(expected) == pytest.approx(3 / 12)
    assert values["brighter_than_real_fraction"] == 0.0
    assert "| Generated images darker / brighter than every real image | 25.0 % / 0.0 % |" in report.to_markdown()
