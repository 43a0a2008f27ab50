"""Fréchet distance between Gaussians fitted to feature sets (the paper's Eq. 5, FID)."""
from __future__ import annotations

import numpy as np
import scipy.linalg

from specklegan_tf.metrics._checks import as_features

# Relative size of the imaginary part of sqrt(C1 C2) that is still rounding noise. The product of two
# covariance matrices has a real non-negative spectrum, so a larger imaginary part means bad input.
_IMAGINARY_TOLERANCE = 1e-3
# Relative residual of the matrix square root above which it is recomputed with eps * I added.
_ROOT_TOLERANCE = 1e-6


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean vector and covariance matrix of a feature matrix.

    Args:
        features: array of shape (N, D), N >= 2 samples of D features.

    Returns:
        ``(mu, sigma)``: float64 arrays of shapes (D,) and (D, D); the covariance uses N - 1 (``np.cov``).

    Example:
        >>> mu, sigma = feature_statistics(np.random.default_rng(0).normal(size=(100, 8)))
        >>> mu.shape, sigma.shape
        ((8,), (8, 8))
    """
    array = as_features(features, "features")
    return array.mean(axis=0), np.atleast_2d(np.cov(array, rowvar=False))


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (Eq. 5 of the paper).

    ``||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``, with the matrix square root
    from ``scipy.linalg.sqrtm``. Covariances estimated from fewer samples than dimensions are singular;
    when the root is then not finite or inaccurate (relative residual ``||X X - A|| / ||A||`` above 1e-6),
    ``eps * I`` is added to both covariances and the root recomputed (the remedy of the original FID
    code), so the result stays finite. A negligible imaginary part of the square root (rounding) is
    dropped; a large one means the inputs are not covariance matrices and raises.

    Args:
        mu1, mu2: mean vectors of shape (D,).
        sigma1, sigma2: covariance matrices of shape (D, D), symmetric positive semi-definite.
        eps: ridge added to the diagonals when the square root of the product is inaccurate.

    Returns:
        The distance as a float >= 0 (tiny negative rounding is clipped to 0).

    Raises:
        ValueError: shapes disagree, values are not finite, or the square root has a large imaginary part.

    Example:
        >>> frechet_distance(np.zeros(2), np.eye(2), np.ones(2), 4 * np.eye(2))
        4.0
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    dim = mu1.shape[0]
    for name, value, shape in (("mu1", mu1, (dim,)), ("mu2", mu2, (dim,)),
                               ("sigma1", sigma1, (dim, dim)), ("sigma2", sigma2, (dim, dim))):
        if value.shape != shape:
            raise ValueError(f"`{name}` must have shape {shape} to match `mu1`; received shape {value.shape}.")
        if not np.all(np.isfinite(value)):
            raise ValueError(f"`{name}` contains NaN or infinite values.")
    if eps < 0:
        raise ValueError(f"`eps` must be >= 0; received {eps}.")

    diff = mu1 - mu2
    product = sigma1 @ sigma2
    covmean = scipy.linalg.sqrtm(product)
    if not _is_accurate_root(covmean, product):
        offset = eps * np.eye(dim)
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        scale = max(float(np.max(np.abs(covmean.real))), 1e-12)
        largest_imaginary = float(np.max(np.abs(covmean.imag)))
        if largest_imaginary > _IMAGINARY_TOLERANCE * scale:
            raise ValueError(
                "The matrix square root of sigma1 @ sigma2 has a non-negligible imaginary part "
                f"({largest_imaginary:.3g} against entries of size {scale:.3g}); are `sigma1` and `sigma2` "
                "symmetric positive semi-definite covariance matrices?"
            )
        covmean = covmean.real
    distance = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    return float(max(distance, 0.0))


def _is_accurate_root(root: np.ndarray, matrix: np.ndarray) -> bool:
    # On a (numerically) singular product sqrtm's Schur method can return a finite but wrong root; the
    # relative residual ||X X - A||_F / ||A||_F (scipy's former error estimate) exposes it.
    if not np.all(np.isfinite(root)):
        return False
    scale = np.linalg.norm(matrix)
    return bool(scale == 0 or np.linalg.norm(root @ root - matrix) <= _ROOT_TOLERANCE * scale)


def fid(real=None, fake=None, features=None, *, real_features=None, fake_features=None) -> float:
    """Fréchet distance between two image sets in a feature space (FID with ``InceptionFeatures``).

    Args:
        real, fake: uint8 (N, H, W) images or float gray values in [0, 255]; the sets may differ in size.
        features: a :class:`FeatureExtractor`; default :class:`TextureFeatures` (the texture Fréchet
            distance, no download). Pass ``InceptionFeatures()`` for the paper's FID.
        real_features, fake_features: precomputed (N, D) feature matrices used instead of running the
            extractor, e.g. the real set's features cached once by a trainer that validates every few epochs.

    Returns:
        The distance (float >= 0). Small sets bias it upwards (use :func:`kid` beside it).

    Example:
        >>> score = fid(real_images, generated_images)                 # texture Fréchet distance
        >>> cache = TextureFeatures()(real_images)
        >>> score = fid(fake=generated_images, real_features=cache)   # same value, real set not recomputed
    """
    from specklegan_tf.metrics._sets import check_same_dim, resolve_features

    real_matrix = resolve_features(real, real_features, features, "real")
    fake_matrix = resolve_features(fake, fake_features, features, "fake")
    check_same_dim(real_matrix, fake_matrix)
    return frechet_distance(*feature_statistics(real_matrix), *feature_statistics(fake_matrix))


def texture_frechet_distance(real, fake) -> float:
    """Texture Fréchet distance: :func:`fid` with default :class:`TextureFeatures` (works offline)."""
    return fid(real, fake)
