"""Axis-aligned periodic patterns ("grid" texture) in generated images, from their mean power spectrum.

Networks that work on every second pixel (x2 upsampling followed by convolutions in a generator, stride-2
convolutions in the discriminator whose gradients train it) can leave lines along the image axes with a period of
2, 4, 8 ... px. Real B-mode frames (and speckle) have no preferred Cartesian direction at those periods.
:func:`axis_power_ratio` compares, at the spatial frequency of each period, the power on the two frequency axes
with the mean power of the other frequencies of the same radius: about 1 for an isotropic texture, much larger for
lines along the image axes.
"""
from __future__ import annotations

import numpy as np

DEFAULT_PERIODS = (2, 4, 8, 16)


def mean_power_spectrum(images) -> np.ndarray:
    """Mean power spectrum ``(H, W)`` of gray images ``(N, H, W)``: each image minus its mean, times a 2-D Hann
    window (so that the jump between opposite borders does not put power on the axes), then ``|FFT|^2``."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or min(images.shape[1:]) < 4:
        raise ValueError(f"images must be (N, H, W) gray images of at least 4x4 px, got shape {images.shape}")
    centred = images - images.mean(axis=(1, 2), keepdims=True)
    window = np.outer(np.hanning(images.shape[1]), np.hanning(images.shape[2]))
    return (np.abs(np.fft.fft2(centred * window)) ** 2).mean(axis=0)


def axis_power_ratio(images, periods=DEFAULT_PERIODS) -> dict[int, float]:
    """``{period: ratio}``: the mean power at ``period`` px on the frequency axes over the mean power of the
    off-axis frequencies whose radius is within half a bin of the same frequency (``images``: ``(N, H, W)``,
    square).

    Raises:
        ValueError: non-square images, or a period that is not an integer from 2 to the image side.
    """
    spectrum = mean_power_spectrum(images)
    size = spectrum.shape[0]
    if spectrum.shape[1] != size:
        raise ValueError(f"axis_power_ratio needs square images, got {spectrum.shape[0]}x{spectrum.shape[1]}")
    ky, kx = np.meshgrid(np.fft.fftfreq(size) * size, np.fft.fftfreq(size) * size, indexing="ij")
    radius = np.hypot(ky, kx)
    on_an_axis = (ky == 0) | (kx == 0)
    ratios = {}
    for period in periods:
        if int(period) != period or not 2 <= period <= size:
            raise ValueError(f"periods must be integers from 2 to the image side {size}, got {period}")
        k = size / period
        ring = np.abs(radius - k) <= 0.5
        ratios[int(period)] = float(spectrum[ring & on_an_axis].mean() / spectrum[ring & ~on_an_axis].mean())
    return ratios
