"""Which term of a direct- or display-route SpeckleGAN image sets its speckle grain.

The image of such a generator is composed of two terms (:mod:`specklegan_tf.evaluation.speckle_share`): the
baseline path (the baseline's last block and output convolution) and the speckle term (a 1x1 convolution of the
speckle layer's maps). The speckle layer's windows set the speckle term's grain, but the image's grain is that of
the sum: if the baseline path carries a local contrast of its own, its grain counts as much as the speckle's.
:func:`term_grain` measures, per tissue class, the grain (autocorrelation widths, as the evaluation measures them)
and the local contrast (standard deviation after removing the local mean) of the image, of the image the baseline
path alone gives, and of the speckle term alone on a mid-gray image.
"""
from __future__ import annotations

import keras
import numpy as np

from specklegan_tf import CLASS_NAMES
from specklegan_tf.data.conversions import to_one_hot, to_uint8
from specklegan_tf.evaluation.speckle_share import compose_image, direct_route_terms
from specklegan_tf.metrics._checks import as_masks
from specklegan_tf.metrics.speckle import DETREND_PX, field_of_view, remove_local_mean, speckle_statistics

TERMS = ("image", "baseline_path", "speckle_term")
TISSUE_CLASSES = ("intima_media", "background")


def raw_terms(generator: keras.Model, masks, seed: int = 0, batch_size: int = 16,
              caller: str = "term_grain") -> tuple[np.ndarray, np.ndarray]:
    """``(speckle_term, baseline_path)``, float ``(N, H, W)`` each: the two terms of a direct- or display-route
    generator for uint8 label maps ``masks`` and the latent vectors a served generator draws for ``seed``, before
    they are composed (the speckle term in the units it is added in). ``caller`` names the function or option in
    the error for a generator without the route."""
    masks = as_masks(masks, "masks")
    num_classes = int(generator.inputs[0].shape[-1])
    terms, one_hot, latent = direct_route_terms(generator, to_one_hot(masks, num_classes), seed, caller)
    speckle, baseline = [], []
    for start in range(0, len(one_hot), batch_size):
        s, b = terms([one_hot[start:start + batch_size], latent[start:start + batch_size]], training=False)
        speckle.append(keras.ops.convert_to_numpy(s)[..., 0])
        baseline.append(keras.ops.convert_to_numpy(b)[..., 0])
    return np.concatenate(speckle), np.concatenate(baseline)


def term_images(generator: keras.Model, masks, seed: int = 0, batch_size: int = 16) -> dict[str, np.ndarray]:
    """The generated images of ``masks`` and the two terms' own images, float ``(N, H, W)`` in ``[-1, 1]``.

    ``"image"`` is what the generator draws; ``"baseline_path"`` the image with the speckle term set to zero;
    ``"speckle_term"`` the image with the baseline path set to zero (the speckle on mid-gray). Both use the
    generator's own composition (``tanh(b + s)`` for the direct route, ``clip(tanh(b) + s, -1, 1)`` for the display
    route) and the latent vectors a served generator draws for ``seed``.

    Args:
        generator: A generator built with ``speckle_route="direct"`` or ``"display"``.
        masks: uint8 ``(N, H, W)`` label maps (0 lumen, 1 intima/media, 2 background).
        seed: Seed of the latent vectors.
        batch_size: Masks per forward pass.

    Raises:
        ValueError: ``generator`` has no direct speckle route, or ``masks`` do not fit it.
    """
    speckle, baseline = raw_terms(generator, masks, seed, batch_size)
    compose = compose_image(generator)
    return {"image": compose(baseline, speckle), "baseline_path": compose(baseline, np.zeros_like(speckle)),
            "speckle_term": compose(np.zeros_like(baseline), speckle)}


def local_contrast(images: np.ndarray, masks: np.ndarray, label: int, detrend_px: int = DETREND_PX) -> float:
    """Root mean square of ``images`` (float, image units) about their local mean (a ``detrend_px`` box within
    the class, 49 px by default as in ``speckle_statistics``), over the pixels of class ``label`` inside the field
    of view; NaN if the class is absent."""
    region = (masks == label) & field_of_view(*images.shape[1:])
    if not region.any():
        return float("nan")
    centred = remove_local_mean(images.astype(np.float32), region, detrend_px)
    return float(np.sqrt(np.mean(np.square(centred[region]))))


def tissue_contrast(images: np.ndarray, masks, detrend_px: int = DETREND_PX) -> float:
    """:func:`local_contrast` pooled over both tissue classes (intima/media and background, each about its own
    local mean): the root mean square over all their pixels inside the field of view; NaN if neither is present."""
    masks = as_masks(masks, "masks")
    squares, pixels = 0.0, 0
    for label, name in enumerate(CLASS_NAMES):
        if name not in TISSUE_CLASSES:
            continue
        count = int(((masks == label) & field_of_view(*images.shape[1:])).sum())
        if count:
            squares += local_contrast(images, masks, label, detrend_px) ** 2 * count
            pixels += count
    return float(np.sqrt(squares / pixels)) if pixels else float("nan")


def term_grain(generator: keras.Model, masks, seed: int = 0, batch_size: int = 16,
               detrend_px: int = DETREND_PX) -> dict[str, dict[str, dict[str, float]]]:
    """Grain and local contrast of a direct- or display-route generator's image and of each of its two terms.

    Args:
        generator: A generator built with ``speckle_route="direct"`` or ``"display"`` (built or loaded).
        masks: uint8 ``(N, H, W)`` label maps to generate from (e.g. the real masks, to compare with the real
            images' :func:`~specklegan_tf.metrics.speckle_statistics`).
        seed: Seed of the latent vectors.
        batch_size: Masks per forward pass.
        detrend_px: Side of the local-mean box, as in ``speckle_statistics``.

    Returns:
        ``{term: {class: {"axial_grain_px", "lateral_grain_px", "local_std"}}}`` for the terms ``"image"``,
        ``"baseline_path"`` and ``"speckle_term"`` (:func:`term_images`) and the classes ``"intima_media"`` and
        ``"background"``; ``local_std`` in image units (the gray scale is [-1, 1]).

    Raises:
        ValueError: ``generator`` has no direct speckle route, or ``masks`` do not fit it.

    Example:
        >>> grains = term_grain(generator, real_masks)
        >>> grains["baseline_path"]["intima_media"]["axial_grain_px"]
    """
    masks = as_masks(masks, "masks")
    images = term_images(generator, masks, seed, batch_size)
    return {term: grain_and_contrast(images[term], masks, detrend_px) for term in TERMS}


def grain_and_contrast(images: np.ndarray, masks, detrend_px: int = DETREND_PX) -> dict[str, dict[str, float]]:
    """``{class: {"axial_grain_px", "lateral_grain_px", "local_std"}}`` of float images ``(N, H, W)`` in
    ``[-1, 1]`` for the tissue classes: the grain as ``speckle_statistics`` measures it on their uint8 gray values,
    the local contrast by :func:`local_contrast`."""
    masks = as_masks(masks, "masks")
    stats = speckle_statistics(to_uint8(images), masks, detrend_px=detrend_px)
    return {name: {"axial_grain_px": stats[name]["axial_grain_px"],
                   "lateral_grain_px": stats[name]["lateral_grain_px"],
                   "local_std": local_contrast(images, masks, label, detrend_px)}
            for label, name in enumerate(CLASS_NAMES) if name in TISSUE_CLASSES}
