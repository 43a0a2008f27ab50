"""Shared fixtures of the metrics tests: small IVUS phantom sets and Rayleigh speckle."""
import numpy as np
import pytest
from scipy import ndimage

from specklegan_tf.data import simulate_ivus


@pytest.fixture(scope="session")
def phantom_sets():
    """Two 64 px phantom sets of 32 frames with different seeds: ((images, masks), (images, masks))."""
    return simulate_ivus(32, image_size=64, seed=0), simulate_ivus(32, image_size=64, seed=1)


def rayleigh_speckle(n: int, size: int, correlation: float, seed: int) -> np.ndarray:
    """Fully developed speckle envelopes: |complex white Gaussian noise * Gaussian PSF|, scaled to [0, 255].

    ``correlation`` is the PSF's standard deviation in pixels; the amplitude is Rayleigh distributed
    and its autocorrelation width is proportional to ``correlation``.
    """
    rng = np.random.default_rng(seed)
    field = rng.normal(size=(n, size, size)) + 1j * rng.normal(size=(n, size, size))
    smooth = lambda part: ndimage.gaussian_filter(part, (0, correlation, correlation), mode="wrap")  # noqa: E731
    amplitude = np.abs(smooth(field.real) + 1j * smooth(field.imag))
    return (amplitude * (255.0 / amplitude.max())).astype(np.float32)
