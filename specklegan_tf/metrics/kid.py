"""Kernel inception distance (Bińkowski et al., 2018): unbiased MMD², usable on small sets."""
from __future__ import annotations

import numpy as np

from specklegan_tf.metrics._checks import check_positive_int
from specklegan_tf.metrics._sets import check_same_dim, resolve_features


def polynomial_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² between samples x (m, d) and y (n, d) with the kernel k(a, b) = (a·b / d + 1)^3."""
    dim = x.shape[1]
    k_xx = (x @ x.T / dim + 1.0) ** 3
    k_yy = (y @ y.T / dim + 1.0) ** 3
    k_xy = (x @ y.T / dim + 1.0) ** 3
    m, n = x.shape[0], y.shape[0]
    # The diagonals k(x_i, x_i) are left out: that is what makes the estimate unbiased.
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * k_xy.mean())


def kid(real=None, fake=None, features=None, subsets: int = 100, subset_size: int = 1000, seed: int = 0, *,
        real_features=None, fake_features=None) -> tuple[float, float]:
    """Kernel distance between two image sets: mean and std of the unbiased MMD² over random subsets.

    Unlike the Fréchet distance it has no bias from small sets, so two samples of one distribution give
    values scattered around 0 (negative values are possible and meaningful).

    Args:
        real, fake: uint8 (N, H, W) images or float gray values in [0, 255].
        features: a :class:`FeatureExtractor`; default :class:`TextureFeatures`. With
            ``InceptionFeatures()`` this is the KID of the literature.
        subsets: number of random subset pairs.
        subset_size: samples per subset, drawn without replacement; capped by the smaller set size.
        seed: seed of the subset draws.
        real_features, fake_features: precomputed (N, D) feature matrices instead of images.

    Returns:
        ``(mean, std)`` over the subsets (std with ddof=0); the std is exactly 0 when every subset would be
        both whole sets (equal set sizes not above ``subset_size``): then the one MMD² of the whole sets is returned.

    Example:
        >>> mean, std = kid(real_images, generated_images, subsets=50, subset_size=100)
    """
    subsets = check_positive_int(subsets, "subsets")
    subset_size = check_positive_int(subset_size, "subset_size")
    real_matrix = resolve_features(real, real_features, features, "real")
    fake_matrix = resolve_features(fake, fake_features, features, "fake")
    check_same_dim(real_matrix, fake_matrix)
    size = min(subset_size, real_matrix.shape[0], fake_matrix.shape[0])
    if size == real_matrix.shape[0] == fake_matrix.shape[0]:
        # Every subset would be both whole sets: one value, and no spread to report (the std of identical draws
        # would only be rounding noise, ~1e-16). The spread worth quoting is then the one over training seeds.
        return float(polynomial_mmd2(real_matrix, fake_matrix)), 0.0
    rng = np.random.default_rng(seed)
    values = np.empty(subsets)
    for index in range(subsets):
        x = real_matrix[rng.choice(real_matrix.shape[0], size, replace=False)]
        y = fake_matrix[rng.choice(fake_matrix.shape[0], size, replace=False)]
        values[index] = polynomial_mmd2(x, y)
    return float(values.mean()), float(values.std())
