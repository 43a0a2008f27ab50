"""Acceptance 2: KID is unbiased (0 within its std for one distribution) and positive for shifted ones."""
import numpy as np
import pytest

from specklegan_tf.metrics import kid
from specklegan_tf.metrics.kid import polynomial_mmd2


def test_same_distribution_within_std_of_zero_and_shift_clearly_positive():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(400, 32)), rng.normal(size=(400, 32))
    mean, std = kid(real_features=x, fake_features=y, subsets=50, subset_size=100, seed=0)
    assert std > 0
    assert abs(mean) <= std
    shifted_mean, shifted_std = kid(real_features=x, fake_features=y + 0.5, subsets=50, subset_size=100, seed=0)
    assert shifted_mean > 10 * shifted_std
    assert shifted_mean > 10 * abs(mean)


def test_unbiased_mmd_matches_brute_force_sums():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(6, 3))
    k = lambda a, b: (a @ b / 3 + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(5) for j in range(5) if i != j) / 20
    yy = sum(k(y[i], y[j]) for i in range(6) for j in range(6) if i != j) / 30
    xy = sum(k(x[i], y[j]) for i in range(5) for j in range(6)) / 30
    assert polynomial_mmd2(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-10)


def test_subset_size_is_capped_and_seeded():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 4)), rng.normal(size=(30, 4))
    mean, std = kid(real_features=x, fake_features=y, subsets=5, subset_size=1000)
    assert std == 0.0  # every subset would be the whole set: one value, no rounding-noise spread
    assert mean == pytest.approx(polynomial_mmd2(x, y))
    z = rng.normal(size=(60, 4))
    assert kid(real_features=z, fake_features=y, subsets=5, subset_size=20, seed=3) == \
        kid(real_features=z, fake_features=y, subsets=5, subset_size=20, seed=3)


def test_bad_arguments():
    x = np.zeros((10, 3))
    with pytest.raises(ValueError, match="subsets"):
        kid(real_features=x, fake_features=x, subsets=0)
    with pytest.raises(ValueError, match="subset_size"):
        kid(real_features=x, fake_features=x, subset_size=-1)
    with pytest.raises(ValueError, match="fake"):
        kid(real_features=x)
