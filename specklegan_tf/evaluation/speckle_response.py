"""How the discriminator judges a direct-route generator's speckle term: the generator loss against its scale.

With ``build_generator(speckle_route="direct")`` the image is ``tanh(baseline_path + speckle_term)``. Training
ends with the speckle term at a few per cent of the baseline path whatever its start (docs/results, rounds 11
and 12); :func:`speckle_response` asks the trained discriminator why. It makes the images again with the speckle
term multiplied by each scale ``a`` (``a = 1`` is the generator's own image, ``a = 0`` the baseline path alone)
and reports the discriminator's mean probability of "real" and the generator loss (Eq. 7) at every scale. As a
control, the speckle term is replaced by white Gaussian noise with the same standard deviation in every image and
scaled the same way: if the loss rises as fast with the noise as with the speckle, the discriminator punishes any
extra texture on top of the baseline path; if it rises faster with the speckle, it recognises the speckle itself
as fake.
"""
from __future__ import annotations

import keras
import numpy as np

from specklegan_tf import CLASS_NAMES
from specklegan_tf.evaluation.speckle_share import compose_image, direct_route_terms

DEFAULT_SCALES = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)


def speckle_response(generator: keras.Model, discriminator: keras.Model, masks: np.ndarray,
                     real_images: np.ndarray | None = None, scales=DEFAULT_SCALES, seed: int = 0,
                     batch_size: int = 8) -> dict:
    """The discriminator's verdict on a direct-route generator's images with the speckle term rescaled.

    Args:
        generator: A functional generator built with ``speckle_route="direct"`` (or ``"display"``: there the
            image is ``clip(tanh(b) + s, -1, 1)`` and every image below is composed that way).
        discriminator: The discriminator trained with it (inputs ``[image, mask]``, logits out).
        masks: ``(N, H, W, 3)`` one-hot masks to generate from.
        real_images: Optional ``(N, H, W, 1)`` real images in ``[-1, 1]`` of the same masks; their mean
            probability of "real" is reported as the reference.
        scales: Factors applied to the speckle term (and to the noise control).
        seed: Seed of the latent vectors (those a served generator draws) and of the control noise.
        batch_size: Images per forward pass.

    Returns:
        ``{"scales", "speckle": {"d_real_prob", "g_loss"}, "noise": {...}, "real_d_prob", "speckle_std",
        "baseline_std", "image_change_std", "image_std", "saturated_fraction", "by_class"}``: per scale (lists in the order of ``scales``) the mean of ``sigmoid(logit)`` and of
        ``softplus(-logit)`` over images (and logit positions), for the speckle term and for the noise control;
        ``real_d_prob`` is None without ``real_images``. ``speckle_std`` and ``baseline_std`` are the two terms' spatial
        standard deviations before the ``tanh`` (means over images); ``image_change_std`` that of what the speckle
        term changes in the image (``tanh(b + s) - tanh(b)``), ``image_std`` that of the baseline path's image
        ``tanh(b)``, and ``saturated_fraction`` the share of pixels with ``|b| > 2`` (``tanh' < 0.07``), where the
        ``tanh`` all but removes an added term and its gradient.

    Raises:
        ValueError: ``generator`` has no direct speckle route, or the masks or images do not fit it.

    Example:
        >>> response = speckle_response(gan.generator, gan.discriminator, masks, images)
        >>> response["speckle"]["g_loss"]   # one value per scale: does the loss rise with more speckle?
    """
    terms, masks, latent = direct_route_terms(generator, masks, seed, "speckle_response")
    compose = compose_image(generator)
    if real_images is not None:
        real_images = np.asarray(real_images, dtype="float32")
        if real_images.shape != masks.shape[:3] + (1,):
            raise ValueError(f"real_images must have shape {masks.shape[:3] + (1,)}, got {real_images.shape}")
    scales = [float(scale) for scale in scales]
    noise_source = np.random.default_rng(seed)

    def verdict(images, batch_masks):
        logits = keras.ops.convert_to_numpy(discriminator([images, batch_masks], training=False)).astype("float64")
        logits = logits.reshape(len(images), -1)
        # Per image, averaged over the discriminator's logit positions; numerically stable forms.
        probability = 1.0 / (1.0 + np.exp(-logits))
        loss = np.logaddexp(0.0, -logits)
        return probability.mean(axis=1), loss.mean(axis=1)

    results = {kind: {"d_real_prob": [[] for _ in scales], "g_loss": [[] for _ in scales]}
               for kind in ("speckle", "noise")}
    real_prob, speckle_std, baseline_std, change_std, image_std, saturated = [], [], [], [], [], []
    by_class = {name: {"saturated_fraction": [], "speckle_std": [], "image_change_std": []} for name in CLASS_NAMES}
    for start in range(0, len(masks), batch_size):
        batch_masks = masks[start:start + batch_size]
        speckle, baseline = (keras.ops.convert_to_numpy(term).astype("float32") for term in
                             terms([batch_masks, latent[start:start + batch_size]], training=False))
        per_image_std = speckle.std(axis=(1, 2, 3), keepdims=True)
        noise = noise_source.standard_normal(speckle.shape).astype("float32") * per_image_std
        speckle_std += list(per_image_std.ravel())
        baseline_std += list(baseline.std(axis=(1, 2, 3)))
        image_std += list(np.tanh(baseline).std(axis=(1, 2, 3)))
        saturated += list((np.abs(baseline) > 2.0).mean(axis=(1, 2, 3)))
        change = compose(baseline, speckle) - compose(baseline, 0.0)
        change_std += list(change.std(axis=(1, 2, 3)))
        for image in range(len(batch_masks)):
            for index, name in enumerate(CLASS_NAMES):
                inside = batch_masks[image, ..., index] > 0.5
                if inside.sum() < 2:
                    continue  # a class this mask does not have (or a single pixel) has no spread
                by_class[name]["saturated_fraction"].append(float((np.abs(baseline[image, ..., 0][inside]) > 2.0).mean()))
                by_class[name]["speckle_std"].append(float(speckle[image, ..., 0][inside].std()))
                by_class[name]["image_change_std"].append(float(change[image, ..., 0][inside].std()))
        for kind, term in (("speckle", speckle), ("noise", noise)):
            for i, scale in enumerate(scales):
                probability, loss = verdict(compose(baseline, scale * term), batch_masks)
                results[kind]["d_real_prob"][i] += list(probability)
                results[kind]["g_loss"][i] += list(loss)
        if real_images is not None:
            real_prob += list(verdict(real_images[start:start + batch_size], batch_masks)[0])
    for kind in results.values():
        for key in kind:
            kind[key] = [float(np.mean(values)) for values in kind[key]]
    return {"scales": scales, **results, "real_d_prob": float(np.mean(real_prob)) if real_prob else None,
            "speckle_std": float(np.mean(speckle_std)), "baseline_std": float(np.mean(baseline_std)),
            "image_change_std": float(np.mean(change_std)), "image_std": float(np.mean(image_std)),
            "saturated_fraction": float(np.mean(saturated)),
            "by_class": {name: {key: (float(np.mean(values)) if values else None) for key, values in fields.items()}
                         for name, fields in by_class.items()}}
