"""term_grain: grain and local contrast of a display-route generator's image and of its two terms, against forward
passes of the generator itself (with its 1x1 speckle kernel as trained, and at zero) and against speckle_statistics
on those images."""
import keras
import numpy as np
import pytest

from specklegan_tf.data import random_ivus_masks
from specklegan_tf.data.conversions import to_one_hot, to_uint8
from specklegan_tf.evaluation.term_grain import local_contrast, term_grain, term_images
from specklegan_tf.export.generator import latent_from_seeds
from specklegan_tf.export.synthesis import draw_seeds
from specklegan_tf.metrics.speckle import speckle_statistics
from specklegan_tf.models import build_generator

SIZE, LATENT = 64, 8


@pytest.fixture(scope="module")
def display_generator():
    keras.utils.set_random_seed(0)
    generator = build_generator(SIZE, latent_dim=LATENT, width=0.125, speckle=True, speckle_route="display",
                                speckle_compression="log", direct_gain=1.0)
    masks = random_ivus_masks(6, SIZE, seed=3)
    return generator, masks


def _generated(generator, masks, seed):
    latent = keras.ops.convert_to_numpy(latent_from_seeds(draw_seeds(len(masks), seed), LATENT))
    return keras.ops.convert_to_numpy(generator([to_one_hot(masks), latent], training=False))[..., 0]


def test_the_image_and_the_baseline_path_are_the_generators_own_images(display_generator):
    generator, masks = display_generator
    images = term_images(generator, masks, seed=7, batch_size=4)
    np.testing.assert_allclose(images["image"], _generated(generator, masks, 7), atol=2e-5)
    kernel = generator.get_layer("speckle_to_image").kernel
    original = kernel.numpy()
    try:
        kernel.assign(np.zeros(kernel.shape, "float32"))
        without_speckle = _generated(generator, masks, 7)
    finally:
        kernel.assign(original)
    np.testing.assert_allclose(images["baseline_path"], without_speckle, atol=2e-5)
    # The speckle term on mid-gray: the clipped difference of the two when neither clips.
    inside = np.abs(images["image"]) < 0.99
    np.testing.assert_allclose(images["speckle_term"][inside], (images["image"] - without_speckle)[inside],
                               atol=2e-5)


def test_grain_and_contrast_are_those_of_the_term_images(display_generator):
    generator, masks = display_generator
    result = term_grain(generator, masks, seed=7)
    images = term_images(generator, masks, seed=7)
    for term in ("image", "baseline_path", "speckle_term"):
        reference = speckle_statistics(to_uint8(images[term]), masks)
        for label, name in ((1, "intima_media"), (2, "background")):
            got = result[term][name]
            assert got["axial_grain_px"] == pytest.approx(reference[name]["axial_grain_px"])
            assert got["lateral_grain_px"] == pytest.approx(reference[name]["lateral_grain_px"])
            assert got["local_std"] == pytest.approx(local_contrast(images[term], masks, label))
            assert got["local_std"] > 0.0
    # With the 1x1 kernel at gain 1 the speckle adds contrast: the image has more than its baseline path.
    assert result["image"]["intima_media"]["local_std"] > result["baseline_path"]["intima_media"]["local_std"]


def test_local_contrast_of_known_fields():
    """White noise of std 0.2 keeps nearly all of it about a 9 px local mean; a class of constant gray keeps none,
    whatever the gray of the class beside it (only the class's own pixels make its local mean)."""
    masks = np.ones((4, 64, 64), np.uint8)
    noise = np.random.default_rng(0).normal(0.0, 0.2, (4, 64, 64)).astype("float32")
    assert local_contrast(noise, masks, 1, detrend_px=9) == pytest.approx(0.2 * np.sqrt(1 - 1 / 81), rel=0.05)
    masks[:, :, 32:] = 2
    steps = np.where(masks == 1, -0.6, 0.4).astype("float32")
    assert local_contrast(steps, masks, 1) == pytest.approx(0.0, abs=1e-6)
    assert local_contrast(steps, masks, 2) == pytest.approx(0.0, abs=1e-6)
    assert np.isnan(local_contrast(noise, masks, 0))


def test_refuses_a_generator_without_the_direct_route():
    keras.utils.set_random_seed(0)
    paper_route = build_generator(32, latent_dim=LATENT, width=0.125, speckle=True)
    with pytest.raises(ValueError, match="no direct speckle route"):
        term_grain(paper_route, random_ivus_masks(2, 32, seed=0))
