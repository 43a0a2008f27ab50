"""Jensen–Shannon divergence between gray-value distributions per tissue class (paper, Table 1)."""
from __future__ import annotations

import math

import numpy as np
from scipy.spatial.distance import jensenshannon

from specklegan_tf import CLASS_NAMES
from specklegan_tf.metrics._checks import as_images, as_masks

BINS = 256
LOG_BASE = 2
"""Logarithm base of the divergence: base 2, so values lie in [0, 1] (multiply by ln 2 for nats)."""


def class_histograms(images, masks) -> np.ndarray:
    """Pooled 256-bin gray-value counts per class: array (classes, 256) of pixel counts.

    Float images are binned into [k, k + 1) for k = 0..255 (255.0 falls into the last bin).
    """
    images = as_images(images, "images")
    masks = as_masks(masks, "masks", like=images)
    values = np.minimum(images.astype(np.int64, copy=False) if images.dtype == np.uint8
                        else np.floor(images).astype(np.int64), BINS - 1)
    index = masks.astype(np.int64) * BINS + values  # one bincount for all classes at once
    return np.bincount(index.ravel(), minlength=len(CLASS_NAMES) * BINS).reshape(len(CLASS_NAMES), BINS)


def class_histogram_jsd(real_images, real_masks, fake_images, fake_masks) -> dict[str, float]:
    """Jensen–Shannon divergence (log base 2) between the pooled gray-value histograms of each class.

    For each class, the gray values of all its pixels in all images of a set are pooled into a 256-bin
    histogram, normalised to a distribution, and the divergence ``JSD(P, Q) = (KL(P||M) + KL(Q||M)) / 2``,
    ``M = (P + Q) / 2`` is computed with ``scipy.spatial.distance.jensenshannon`` (which returns its square
    root). The paper reports these values multiplied by 10^3 (``evaluation_report`` does the same).

    Args:
        real_images, fake_images: uint8 (N, H, W) or float gray values in [0, 255]; the sets may differ in N.
        real_masks, fake_masks: uint8 label masks (0 lumen, 1 intima/media, 2 background) of the images.

    Returns:
        ``{class_name: divergence}`` in [0, 1] for each of ``CLASS_NAMES``; NaN for a class absent from
        either set's masks.

    Example:
        >>> jsd = class_histogram_jsd(real, real_masks, fake, fake_masks)
        >>> 1e3 * jsd["lumen"]  # the paper's unit
    """
    real = as_images(real_images, "real_images")
    fake = as_images(fake_images, "fake_images")
    real_counts = class_histograms(real, as_masks(real_masks, "real_masks", like=real, like_name="real_images"))
    fake_counts = class_histograms(fake, as_masks(fake_masks, "fake_masks", like=fake, like_name="fake_images"))
    result = {}
    for label, name in enumerate(CLASS_NAMES):
        p, q = real_counts[label], fake_counts[label]
        if p.sum() == 0 or q.sum() == 0:
            result[name] = math.nan
            continue
        result[name] = float(jensenshannon(p / p.sum(), q / q.sum(), base=LOG_BASE) ** 2)
    return result
