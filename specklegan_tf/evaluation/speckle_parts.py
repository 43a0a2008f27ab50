"""The two parts of a direct- or display-route generator's speckle term: the speckle proper and echo texture.

The speckle term is a 1x1 convolution of the speckle layer's maps, ``log |IFFT(FFT(I e^{j phi}) W)|`` for each
penultimate map ``I`` and window ``W``: roughly the log of a smoothed ``I`` (echo texture, the same for every phase
field) plus a log speckle factor (which the phases draw). A generator can therefore use the speckle path to draw
texture of its own, e.g. with 1x1 weights of both signs, and the speckle term's measured grain and contrast then say
little about its speckle. :func:`speckle_term_parts` separates the two by drawing the phases several times for the
same masks and latent vectors: the mean over the draws is the echo part, the deviation of one draw from that mean
the speckle part.
"""
from __future__ import annotations

import math

import keras
import numpy as np

from specklegan_tf.data.conversions import to_one_hot
from specklegan_tf.evaluation.speckle_share import SPECKLE_TERM, direct_route_terms
from specklegan_tf.metrics._checks import as_masks

PENULTIMATE = "penultimate_block"
SPECKLE_LAYER = "speckle"


def speckle_term_parts(generator: keras.Model, masks, seed: int = 0, draws: int = 8,
                       batch_size: int = 16) -> dict[str, np.ndarray]:
    """The speckle term split into the part the phases draw and the part they do not, float ``(N, H, W)`` each.

    Args:
        generator: A generator built with ``speckle_route="direct"`` or ``"display"`` (built or loaded).
        masks: uint8 ``(N, H, W)`` label maps (0 lumen, 1 intima/media, 2 background).
        seed: Seed of the latent vectors (those a served generator draws for it) and of the phase fields.
        draws: Phase fields drawn per mask (at least 2). The echo part still holds ``1 / draws`` of the speckle's
            variance.
        batch_size: Masks per forward pass.

    Returns:
        ``{"speckle_part", "echo_part"}`` in the speckle term's units (image units, as it is added): the first
        draw's deviation from the mean over the draws, scaled by ``sqrt(draws / (draws - 1))`` so that its variance
        is the speckle's, and that mean.

    Raises:
        ValueError: ``generator`` has no direct speckle route, ``masks`` do not fit it or ``draws`` < 2.

    Example:
        >>> parts = speckle_term_parts(generator, real_masks[:200])
        >>> parts["speckle_part"].std(), parts["echo_part"].std()
    """
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
        raise ValueError(f"`draws` must be an integer of at least 2 (phase fields per mask), got {draws!r}")
    masks = as_masks(masks, "masks")
    num_classes = int(generator.inputs[0].shape[-1])
    _, one_hot, latent = direct_route_terms(generator, to_one_hot(masks, num_classes), seed, "speckle_term_parts")
    penultimate = keras.Model(generator.inputs, generator.get_layer(PENULTIMATE).output)
    speckle_layer, to_image = generator.get_layer(SPECKLE_LAYER), generator.get_layer(SPECKLE_TERM)
    phase_seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=(draws, len(masks), 2)).astype("int32")
    terms = np.empty((draws,) + masks.shape, np.float32)
    for start in range(0, len(masks), batch_size):
        batch = slice(start, start + batch_size)
        maps = penultimate([one_hot[batch], latent[batch]], training=False)
        for draw in range(draws):
            speckled = speckle_layer(maps, training=False, phase_seeds=phase_seeds[draw, batch])
            terms[draw, batch] = keras.ops.convert_to_numpy(to_image(speckled))[..., 0]
    echo = terms.mean(axis=0)
    return {"speckle_part": (terms[0] - echo) * math.sqrt(draws / (draws - 1)), "echo_part": echo}
