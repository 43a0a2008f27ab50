"""SSIM between real images and images generated from the same masks (paper, Table 1)."""
from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity

from specklegan_tf.metrics._checks import as_images

DATA_RANGE = 255.0


def paired_ssim(real, fake) -> tuple[float, float]:
    """Mean and standard deviation of SSIM over image pairs (real[i], fake[i]).

    ``skimage.metrics.structural_similarity`` with ``data_range=255`` and its default 7 x 7 uniform window;
    the pairs must show the same anatomy (fake[i] generated from the mask of real[i]), otherwise the
    value means nothing. Speckle is random, so even a perfect generator stays far below 1 (the paper:
    about 0.44).

    Args:
        real, fake: uint8 (N, H, W) or float gray values in [0, 255] of equal shape, N >= 1, H, W >= 7.

    Returns:
        ``(mean, std)`` over the N pairs (std with ddof=0).

    Example:
        >>> mean, std = paired_ssim(real_images, generated_from_real_masks)
    """
    real = as_images(real, "real")
    fake = as_images(fake, "fake")
    if real.shape != fake.shape:
        raise ValueError(f"`real` {real.shape} and `fake` {fake.shape} must have the same shape: SSIM compares pairs.")
    if min(real.shape[1:]) < 7:
        raise ValueError(f"Images must be at least 7 x 7 pixels for SSIM's window; received {real.shape[1:]}.")
    values = np.array([
        structural_similarity(r.astype(np.float64), f.astype(np.float64), data_range=DATA_RANGE)
        for r, f in zip(real, fake)
    ])
    return float(values.mean()), float(values.std())
