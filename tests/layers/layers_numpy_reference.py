"""Independent NumPy/SciPy implementations used as references by the layer tests.

Written from the documented definitions (docstrings of specklegan_tf.layers.speckle and .polar), in float64, with
NumPy FFTs and scipy.ndimage.map_coordinates for the bilinear resampling: nothing here calls the package.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

EDGE_SOFTNESS = 0.25  # documented edge slope of the soft window, in bins


def soft_window(edge: float, size: int) -> np.ndarray:
    """1-D soft rect in FFT order: sigmoid((edge/2 - |f|) / 0.25) for the signed bin index f."""
    f = np.abs(np.fft.fftfreq(size) * size)
    return 1.0 / (1.0 + np.exp(-(edge / 2.0 - f) / EDGE_SOFTNESS))


def speckle_eq2(image: np.ndarray, phases: np.ndarray, d: float) -> np.ndarray:
    """The paper's Eq. 2 on one (H, W) map with the layer's documented window and energy scaling."""
    h, w = image.shape
    short = min(h, w)
    window = np.outer(soft_window(d * h / short, h), soft_window(d * w / short, w))
    window *= np.sqrt(h * w / np.sum(window**2))
    field = image.astype(np.float64) * np.exp(1j * phases.astype(np.float64))
    return np.abs(np.fft.ifft2(np.fft.fft2(field) * window))


def speckle_layer_reference(images: np.ndarray, phases: np.ndarray, window_sizes) -> np.ndarray:
    """(N, H, W, C) -> (N, H, W, C*K), channel c*K + k = map c with window k (attention off)."""
    n, h, w, c = images.shape
    k = len(window_sizes)
    out = np.empty((n, h, w, c * k))
    for i in range(n):
        for ch in range(c):
            for j, d in enumerate(window_sizes):
                out[i, :, :, ch * k + j] = speckle_eq2(images[i, :, :, ch], phases[i, :, :, ch], d)
    return out


def cartesian_to_polar(images: np.ndarray, num_radii: int, num_angles: int) -> np.ndarray:
    """(N, H, W, C) -> (N, num_radii, num_angles, C): bilinear, edge-replicating, radius 0 to the corner distance."""
    n, h, w, c = images.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    r = np.linspace(0, np.hypot(cy, cx), num_radii)[:, None]
    t = 2 * np.pi * np.arange(num_angles)[None, :] / num_angles
    coords = [cy + r * np.sin(t), cx + r * np.cos(t)]
    return np.stack(
        [
            np.stack([ndimage.map_coordinates(images[i, :, :, ch], coords, order=1, mode="nearest")
                      for ch in range(c)], -1)
            for i in range(n)
        ]
    )


def polar_to_cartesian(polar: np.ndarray, height: int, width: int) -> np.ndarray:
    """(N, R, A, C) -> (N, height, width, C): bilinear in (radius, angle), the angle wrapping around."""
    n, num_radii, num_angles, c = polar.shape
    cy, cx = (height - 1) / 2, (width - 1) / 2
    y, x = np.mgrid[0:height, 0:width]
    r = np.hypot(y - cy, x - cx) / (np.hypot(cy, cx) / (num_radii - 1))
    a = np.mod(np.arctan2(y - cy, x - cx), 2 * np.pi) * num_angles / (2 * np.pi)
    # One wrapped column makes angle A-1 -> A interpolate towards angle 0.
    padded = np.concatenate([polar, polar[:, :, :1]], axis=2)
    return np.stack(
        [
            np.stack([ndimage.map_coordinates(padded[i, :, :, ch], [r, a], order=1, mode="nearest")
                      for ch in range(c)], -1)
            for i in range(n)
        ]
    )


def autocorrelation_fwhm(profile: np.ndarray) -> float:
    """Full width at half maximum of a normalised autocorrelation profile (lag 0 first), linear interpolation."""
    below = np.nonzero(profile < 0.5)[0]
    j = below[0]
    lag = (j - 1) + (profile[j - 1] - 0.5) / (profile[j - 1] - profile[j])
    return 2.0 * lag


def same_conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """'same'-padded stride-1 2-D convolution (cross-correlation, as in Keras) of NHWC x with HWIO kernel."""
    kh, kw = kernel.shape[:2]
    h, w = x.shape[1:3]
    padded = np.pad(x, ((0, 0), (kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2), (0, 0)))
    out = np.zeros(x.shape[:3] + (kernel.shape[-1],))
    for i in range(kh):
        for j in range(kw):
            out += padded[:, i:i + h, j:j + w, :] @ kernel[i, j]
    return out if bias is None else out + bias
