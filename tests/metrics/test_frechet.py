"""Acceptance 1: the Fréchet distance (Eq. 5) against its closed form, symmetry, zero, rank deficiency."""
import numpy as np
import pytest
from scipy.stats import ortho_group

from specklegan_tf.metrics import feature_statistics, fid, frechet_distance


def _commuting_pair(dim: int, seed: int):
    rng = np.random.default_rng(seed)
    basis = ortho_group.rvs(dim, random_state=seed)
    a, b = rng.uniform(0.1, 5.0, dim), rng.uniform(0.1, 5.0, dim)
    return (rng.normal(size=dim), basis @ np.diag(a) @ basis.T, a,
            rng.normal(size=dim), basis @ np.diag(b) @ basis.T, b)


@pytest.mark.parametrize("dim", [1, 8, 64])
def test_matches_closed_form_for_commuting_covariances(dim):
    mu1, sigma1, a, mu2, sigma2, b = _commuting_pair(dim, seed=dim)
    # Same eigenvectors: Tr(sqrt(S1 S2)) = sum sqrt(a_i b_i), so the distance is |dmu|^2 + sum (sqrt a - sqrt b)^2.
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-6)


def test_symmetric_and_zero_for_identical_inputs():
    mu1, sigma1, _, mu2, sigma2, _ = _commuting_pair(16, seed=3)
    rng = np.random.default_rng(1)
    general = np.cov(rng.normal(size=(200, 16)) @ rng.normal(size=(16, 16)), rowvar=False)  # not commuting
    assert frechet_distance(mu1, sigma1, mu2, general) == pytest.approx(
        frechet_distance(mu2, general, mu1, sigma1), rel=1e-8)
    assert frechet_distance(mu1, sigma1, mu1, sigma1) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(mu1, general, mu1, general) == pytest.approx(0.0, abs=1e-8)


def test_finite_for_rank_deficient_covariances():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 64)), rng.normal(1.0, 2.0, size=(12, 64))  # fewer samples than dimensions
    (mu1, sigma1), (mu2, sigma2) = feature_statistics(x), feature_statistics(y)
    assert np.linalg.matrix_rank(sigma1) < 64
    value = frechet_distance(mu1, sigma1, mu2, sigma2)
    assert np.isfinite(value) and value > 0
    # Independent reference: Tr sqrt(S1 S2) is the sum of square roots of the (real, >= 0) eigenvalues.
    eigen = np.clip(np.linalg.eigvals(sigma1 @ sigma2).real, 0.0, None)
    reference = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.sum(np.sqrt(eigen))
    assert value == pytest.approx(reference, rel=1e-3)


def test_feature_statistics_is_mean_and_unbiased_covariance():
    x = np.random.default_rng(2).normal(size=(50, 3))
    mu, sigma = feature_statistics(x)
    centred = x - x.mean(axis=0)
    np.testing.assert_allclose(mu, x.mean(axis=0))
    np.testing.assert_allclose(sigma, centred.T @ centred / 49)


def test_fid_with_precomputed_features_equals_fid_on_images(phantom_sets):
    from specklegan_tf.metrics import TextureFeatures

    (real, _), (fake, _) = phantom_sets
    extractor = TextureFeatures()
    direct = fid(real[:12], fake[:12], features=extractor)
    cached = fid(fake=fake[:12], features=extractor, real_features=extractor(real[:12]))
    assert direct == pytest.approx(cached, rel=1e-12)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="sigma2"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(2))
    with pytest.raises(ValueError, match="imaginary"):  # not a covariance: sqrt of a negative eigenvalue
        frechet_distance(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="sigma1"):
        frechet_distance(np.zeros(2), np.full((2, 2), np.nan), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="real_features"):
        fid(real_features=np.zeros((5, 3, 1)), fake_features=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="dimension"):
        fid(real_features=np.ones((5, 3)), fake_features=np.ones((5, 4)))
    with pytest.raises(ValueError, match="not both"):
        fid(np.zeros((4, 32, 32), np.uint8), real_features=np.ones((5, 3)), fake_features=np.ones((5, 3)))
