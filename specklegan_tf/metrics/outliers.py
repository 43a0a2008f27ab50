"""Generated images outside the real set's range of brightness: the failure a few latent vectors can cause.

A generator that turns some z into nearly black images moves the Fréchet distances far with a handful of images
(docs/results/ablation128-round20), and a set-level distance does not say why. Counting the generated images that
are darker (or brighter) on average than every real image names that failure directly; a real set has none by
definition, so any count above zero is the generator's.
"""
from __future__ import annotations

import numpy as np

from specklegan_tf.metrics._checks import as_images

__all__ = ["brightness_outlier_fractions"]


def brightness_outlier_fractions(real_images, fake_images) -> tuple[float, float]:
    """Fractions of the generated images whose mean gray level is below the darkest or above the brightest real
    image's mean gray level.

    Args:
        real_images, fake_images: uint8 (N, H, W) or float gray values in [0, 255].

    Returns:
        ``(darker, brighter)``: fractions of ``fake_images`` in [0, 1].

    Example:
        >>> darker, brighter = brightness_outlier_fractions(real, generated)  # 0.0, 0.0 for real itself
    """
    real = as_images(real_images, "real_images")
    fake = as_images(fake_images, "fake_images")
    real_means = real.reshape(len(real), -1).mean(axis=1, dtype=np.float64)
    fake_means = fake.reshape(len(fake), -1).mean(axis=1, dtype=np.float64)
    return float(np.mean(fake_means < real_means.min())), float(np.mean(fake_means > real_means.max()))
