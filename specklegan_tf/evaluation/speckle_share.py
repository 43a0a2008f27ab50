"""How much of a direct-route SpeckleGAN's image the speckle layer makes.

With ``build_generator(speckle_route="direct")`` the image is ``tanh(baseline_path + speckle_to_image(speckle))``:
the baseline's last block and output convolution plus a 1x1 convolution of the speckle layer's maps, whose kernel
starts at zero (``speckle_route="display"``: ``clip(tanh(baseline_path) + speckle_to_image(speckle), -1, 1)``). After training, the ratio of the two terms' spatial standard deviations says whether the texture
of the images comes from the speckle layer or from the baseline path; a ratio near zero means the generator has
learnt to ignore its speckle layer, and the comparison with the baseline then says nothing about the layer.
"""
from __future__ import annotations

import keras
import numpy as np

from specklegan_tf.export.generator import latent_from_seeds
from specklegan_tf.export.synthesis import draw_seeds

SPECKLE_TERM = "speckle_to_image"
BASELINE_TERM = "to_image"
DISPLAY_ADD = "add_speckle_after_tanh"


def compose_image(generator: keras.Model):
    """The numpy function ``(baseline_term, speckle_term) -> image`` of a direct-route generator: ``tanh(b + s)``
    for ``speckle_route="direct"``, ``clip(tanh(b) + s, -1, 1)`` for ``"display"``. The probes rescale the
    speckle term and recompose the image with it."""
    if DISPLAY_ADD in {layer.name for layer in generator.layers}:
        return lambda baseline, speckle: np.clip(np.tanh(baseline) + speckle, -1.0, 1.0)
    return lambda baseline, speckle: np.tanh(baseline + speckle)



def direct_route_terms(generator: keras.Model, masks, seed: int, caller: str):
    """``(terms, masks, latent)``: a model giving the two pre-``tanh`` terms ``[speckle, baseline]`` of a
    direct-route generator, the masks as float32 and the latent vectors a served generator draws for ``seed``.

    Raises:
        ValueError: ``generator`` has no direct speckle route, or ``masks`` do not fit it (``caller`` names the
            function the user called).
    """
    names = {layer.name for layer in generator.layers}
    if SPECKLE_TERM not in names or BASELINE_TERM not in names:
        raise ValueError(f"generator {generator.name!r} has no direct speckle route (no {SPECKLE_TERM!r} layer); "
                         f"{caller} needs build_generator(speckle_route='direct' or 'display')")
    masks = np.asarray(masks, dtype="float32")
    expected = tuple(generator.inputs[0].shape[1:])
    if masks.ndim != 4 or masks.shape[1:] != expected:
        raise ValueError(f"masks must have shape (N, {', '.join(map(str, expected))}), got {masks.shape}")
    terms = keras.Model(generator.inputs, [generator.get_layer(SPECKLE_TERM).output,
                                           generator.get_layer(BASELINE_TERM).output])
    # The latent vectors a served generator draws for these seeds (export.generator.latent_from_seeds).
    latent_dim = int(generator.inputs[1].shape[-1])
    latent = keras.ops.convert_to_numpy(latent_from_seeds(draw_seeds(len(masks), seed), latent_dim))
    return terms, masks, latent


def speckle_share(generator: keras.Model, masks: np.ndarray, seed: int = 0, batch_size: int = 16) -> dict:
    """The speckle term's and the baseline path's contributions to the pre-``tanh`` image of ``generator``.

    Args:
        generator: A functional generator built with ``speckle_route="direct"`` or ``"display"`` (built or loaded
            from ``.keras``).
        masks: ``(N, H, W, C)`` one-hot masks to generate from (e.g. the real masks).
        seed: Seed of the latent vectors (and so of the comparison).
        batch_size: Masks per forward pass.

    Returns:
        ``{"speckle_std", "baseline_std", "ratio", "kernel_l2"}``: the mean over images of each term's spatial
        standard deviation, their ratio (speckle / baseline) and the L2 norm of the 1x1 kernel.

    Raises:
        ValueError: ``generator`` has no direct speckle route, or ``masks`` do not fit it.
    """
    terms, masks, latent = direct_route_terms(generator, masks, seed, "speckle_share")
    speckle_std, baseline_std = [], []
    for start in range(0, len(masks), batch_size):
        speckle, baseline = terms([masks[start:start + batch_size], latent[start:start + batch_size]],
                                  training=False)
        speckle_std += list(np.std(keras.ops.convert_to_numpy(speckle), axis=(1, 2, 3)))
        baseline_std += list(np.std(keras.ops.convert_to_numpy(baseline), axis=(1, 2, 3)))
    speckle_mean, baseline_mean = float(np.mean(speckle_std)), float(np.mean(baseline_std))
    kernel = keras.ops.convert_to_numpy(generator.get_layer(SPECKLE_TERM).kernel)
    return {"speckle_std": speckle_mean, "baseline_std": baseline_mean,
            "ratio": speckle_mean / baseline_mean if baseline_mean > 0 else float("nan"),
            "kernel_l2": float(np.sqrt(np.sum(np.square(kernel))))}
