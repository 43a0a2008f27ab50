"""How much of an image's tissue is drawn at white, or past it before a display clip.

A generated set whose tissue sits at white is easy for a discriminator to tell from B-mode frames, where white
pixels are rare. In SpeckleGAN's ``display`` route the image is ``clip(tanh(baseline path) + speckle term, -1, 1)``:
a pixel past white before the clip gets no gradient through ``hard_tanh``, so the generator cannot darken it
again (``--display-clip straight_through`` lets it). :func:`white_fraction` measures any images (real ones
included); :func:`display_saturation` the terms of a display-route generator before the clip.
"""
from __future__ import annotations

import numpy as np

from specklegan_tf import CLASS_NAMES
from specklegan_tf.evaluation.term_grain import TISSUE_CLASSES, raw_terms
from specklegan_tf.metrics._checks import as_masks
from specklegan_tf.metrics.speckle import field_of_view
# Gray level 254 of 255 in the model's [-1, 1] scale: "white" on an 8-bit display, whatever the rounding.
WHITE = 254 / 127.5 - 1.0
# |tanh| above this is saturated: its slope is below 2 % of its slope at 0.
SATURATED = 0.99


def tissue_pixels(masks) -> np.ndarray:
    """Bool ``(N, H, W)``: the intima/media and background pixels inside the field of view of uint8 label maps."""
    masks = as_masks(masks, "masks")
    labels = [CLASS_NAMES.index(name) for name in TISSUE_CLASSES]
    return np.isin(masks, labels) & field_of_view(*masks.shape[1:])


def white_fraction(images, masks) -> float:
    """Fraction of the tissue pixels (:func:`tissue_pixels`) of ``images`` at white (gray level 254 or more).

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, 1)``, uint8 (0-255) or float in [-1, 1].
        masks: uint8 label maps ``(N, H, W)`` of the same images.
    """
    images = np.asarray(images)
    images = images[..., 0] if images.ndim == 4 else images
    scaled = images / 127.5 - 1.0 if images.dtype == np.uint8 else images.astype(np.float64)
    tissue = tissue_pixels(masks)
    if scaled.shape != tissue.shape:
        raise ValueError(f"images {scaled.shape} and masks {tissue.shape} must have the same shape")
    return float((scaled[tissue] >= WHITE - 1e-6).mean())


def display_saturation(generator, masks, seed: int = 0) -> dict[str, float]:
    """Where a display-route generator's tissue sits against the clip, for uint8 label maps ``masks`` and the
    latent vectors a served generator draws for ``seed``.

    Returns:
        ``past_white`` / ``past_black``: fractions of the tissue pixels whose ``tanh(baseline path) + speckle
        term`` is above 1 / below -1 (clipped in the image, no gradient through ``hard_tanh``);
        ``baseline_saturated``: fraction whose baseline path's ``tanh`` is saturated (``|tanh| > 0.99``);
        ``white``: :func:`white_fraction` of the clipped image.

    Raises:
        ValueError: the generator has no display speckle route.
    """
    from specklegan_tf.evaluation.speckle_share import DISPLAY_ADD

    if DISPLAY_ADD not in {layer.name for layer in generator.layers}:
        raise ValueError(f"generator {generator.name!r} has no display speckle route; display_saturation needs "
                         "build_generator(speckle_route='display')")
    speckle, baseline = raw_terms(generator, masks, seed, caller="display_saturation")
    before_clip = np.tanh(baseline) + speckle
    tissue = tissue_pixels(masks)
    return {"past_white": float((before_clip[tissue] > 1.0).mean()),
            "past_black": float((before_clip[tissue] < -1.0).mean()),
            "baseline_saturated": float((np.abs(np.tanh(baseline[tissue])) > SATURATED).mean()),
            "white": white_fraction(np.clip(before_clip, -1.0, 1.0), masks)}
