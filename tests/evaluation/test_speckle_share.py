"""speckle_share and speckle_response: the two terms of a direct-route generator's pre-tanh image, and the
discriminator's verdict on them rescaled, against direct forward passes of the generator and discriminator."""
import keras
import numpy as np
import pytest

from specklegan_tf.evaluation.speckle_response import speckle_response
from specklegan_tf.evaluation.speckle_share import speckle_share
from specklegan_tf.export.generator import latent_from_seeds
from specklegan_tf.export.synthesis import draw_seeds
from specklegan_tf.models import build_discriminator, build_generator

SIZE, LATENT = 32, 8


@pytest.fixture(scope="module")
def setting():
    keras.utils.set_random_seed(0)
    generator = build_generator(SIZE, latent_dim=LATENT, width=0.125, speckle=True, speckle_route="direct",
                                speckle_compression="log")
    masks = np.eye(3, dtype="float32")[np.random.default_rng(1).integers(0, 3, (5, SIZE, SIZE))]
    return generator, masks


def test_an_untrained_direct_route_adds_no_speckle(setting):
    generator, masks = setting
    share = speckle_share(generator, masks, batch_size=2)
    assert share["speckle_std"] == 0.0 and share["ratio"] == 0.0 and share["kernel_l2"] == 0.0
    assert share["baseline_std"] > 0.0


def test_the_two_terms_add_up_to_the_image(setting):
    generator, masks = setting
    kernel = generator.get_layer("speckle_to_image").kernel
    original = kernel.numpy()
    try:
        kernel.assign(np.random.default_rng(2).normal(scale=0.5, size=kernel.shape).astype("float32"))
        share = speckle_share(generator, masks, seed=4, batch_size=2)
        # Independent reference: the image the generator makes for the same latent vectors, and the baseline
        # term alone (1x1 kernel at zero): atanh of the image minus atanh of the baseline is the speckle term.
        latent = keras.ops.convert_to_numpy(latent_from_seeds(draw_seeds(len(masks), 4), LATENT))
        with_speckle = keras.ops.convert_to_numpy(generator([masks, latent], training=False)).astype("float64")
        kernel.assign(np.zeros(kernel.shape, "float32"))
        baseline = keras.ops.convert_to_numpy(generator([masks, latent], training=False)).astype("float64")
    finally:
        kernel.assign(original)
    speckle_term = np.arctanh(np.clip(with_speckle, -1 + 1e-6, 1 - 1e-6)) - np.arctanh(baseline)
    expected_speckle = np.std(speckle_term, axis=(1, 2, 3)).mean()
    expected_baseline = np.std(np.arctanh(baseline), axis=(1, 2, 3)).mean()
    assert share["speckle_std"] == pytest.approx(expected_speckle, rel=2e-3)
    assert share["baseline_std"] == pytest.approx(expected_baseline, rel=2e-3)
    assert share["ratio"] == pytest.approx(expected_speckle / expected_baseline, rel=4e-3)


def test_refuses_a_generator_without_the_direct_route_and_wrong_masks(setting):
    generator, masks = setting
    keras.utils.set_random_seed(0)
    paper_route = build_generator(SIZE, latent_dim=LATENT, width=0.125, speckle=True)
    with pytest.raises(ValueError, match="no direct speckle route"):
        speckle_share(paper_route, masks)
    with pytest.raises(ValueError, match=r"masks must have shape \(N, 32, 32, 3\)"):
        speckle_share(generator, masks[:, :16])


@pytest.fixture(scope="module")
def judge():
    """A discriminator and random "real" images for the masks of ``setting``."""
    keras.utils.set_random_seed(1)
    real = np.random.default_rng(3).uniform(-1, 1, (5, SIZE, SIZE, 1)).astype("float32")
    return build_discriminator(SIZE, width=0.125), real


def _direct_verdict(discriminator, images, masks):
    logits = keras.ops.convert_to_numpy(discriminator([images, masks], training=False)).astype("float64")
    logits = logits.reshape(len(images), -1)
    return (1 / (1 + np.exp(-logits))).mean(), np.log1p(np.exp(-logits)).mean()


def test_response_at_scale_one_is_the_generators_own_image_and_at_zero_its_baseline_path(setting, judge):
    generator, masks = setting
    discriminator, real = judge
    kernel = generator.get_layer("speckle_to_image").kernel
    original = kernel.numpy()
    latent = keras.ops.convert_to_numpy(latent_from_seeds(draw_seeds(len(masks), 3), LATENT))
    try:
        baseline_only = keras.ops.convert_to_numpy(generator([masks, latent], training=False))
        kernel.assign(np.random.default_rng(2).normal(scale=0.5, size=kernel.shape).astype("float32"))
        response = speckle_response(generator, discriminator, masks, real, scales=(0.0, 1.0), seed=3,
                                    batch_size=2)
        own = keras.ops.convert_to_numpy(generator([masks, latent], training=False))
    finally:
        kernel.assign(original)
    for index, images in ((0, baseline_only), (1, own)):
        probability, loss = _direct_verdict(discriminator, images, masks)
        assert response["speckle"]["d_real_prob"][index] == pytest.approx(probability, rel=1e-4)
        assert response["speckle"]["g_loss"][index] == pytest.approx(loss, rel=1e-4)
    # The noise control at scale 0 is the same baseline path; at scale 1 it is another image.
    assert response["noise"]["g_loss"][0] == pytest.approx(response["speckle"]["g_loss"][0], rel=1e-6)
    assert response["noise"]["g_loss"][1] != pytest.approx(response["speckle"]["g_loss"][1], rel=1e-4)
    assert response["real_d_prob"] == pytest.approx(_direct_verdict(discriminator, real, masks)[0], rel=1e-4)
    assert response["speckle_std"] > 0 and response["baseline_std"] > 0
    # What the speckle changes after the tanh, against the two images themselves.
    assert response["image_change_std"] == pytest.approx(np.std(own - baseline_only, axis=(1, 2, 3)).mean(), rel=1e-3)
    assert response["image_std"] == pytest.approx(np.std(baseline_only, axis=(1, 2, 3)).mean(), rel=1e-4)
    before_tanh = np.arctanh(np.clip(baseline_only.astype("float64"), -1 + 1e-7, 1 - 1e-7))
    assert response["saturated_fraction"] == pytest.approx(np.mean(np.abs(before_tanh) > 2.0), abs=0.01)
    # Per class, from the two images and the masks (every random mask has all three classes).
    for index, name in enumerate(("lumen", "intima_media", "background")):
        inside = masks[..., index] > 0.5
        change = [np.std((own - baseline_only)[i, ..., 0][inside[i]]) for i in range(len(masks))]
        saturated = [np.mean(np.abs(before_tanh[i, ..., 0][inside[i]]) > 2.0) for i in range(len(masks))]
        assert response["by_class"][name]["image_change_std"] == pytest.approx(np.mean(change), rel=1e-3)
        assert response["by_class"][name]["saturated_fraction"] == pytest.approx(np.mean(saturated), abs=0.01)
        assert response["by_class"][name]["speckle_std"] > 0


def test_response_without_real_images_has_no_reference_and_names_bad_inputs(setting, judge):
    generator, masks = setting
    discriminator, real = judge
    assert speckle_response(generator, discriminator, masks, scales=(1.0,), batch_size=5)["real_d_prob"] is None
    with pytest.raises(ValueError, match=r"real_images must have shape \(5, 32, 32, 1\)"):
        speckle_response(generator, discriminator, masks, real[:, :16])
    with pytest.raises(ValueError, match="masks must have shape"):
        speckle_response(generator, discriminator, masks[..., :2])
    keras.utils.set_random_seed(0)
    paper_route = build_generator(SIZE, latent_dim=LATENT, width=0.125, speckle=True)
    with pytest.raises(ValueError, match="no direct speckle route"):
        speckle_response(paper_route, discriminator, masks)


def test_response_of_a_display_route_generator_composes_its_images_after_the_tanh(judge):
    """``speckle_route="display"``: the probe's images at scales 1 and 2 are the generator's own image and the one
    with the 1x1 kernel doubled (both forward passes of the generator itself)."""
    discriminator, real = judge
    keras.utils.set_random_seed(0)
    generator = build_generator(SIZE, latent_dim=LATENT, width=0.125, speckle=True, speckle_route="display",
                                speckle_compression="log", direct_gain=1.0)
    masks = np.eye(3, dtype="float32")[np.random.default_rng(1).integers(0, 3, (4, SIZE, SIZE))]
    latent = keras.ops.convert_to_numpy(latent_from_seeds(draw_seeds(len(masks), 5), LATENT))
    kernel = generator.get_layer("speckle_to_image").kernel
    original = kernel.numpy()
    own = keras.ops.convert_to_numpy(generator([masks, latent], training=False))
    try:
        kernel.assign(2 * original)
        doubled = keras.ops.convert_to_numpy(generator([masks, latent], training=False))
    finally:
        kernel.assign(original)
    response = speckle_response(generator, discriminator, masks, scales=(1.0, 2.0), seed=5, batch_size=2)
    for index, images in ((0, own), (1, doubled)):
        assert response["speckle"]["g_loss"][index] == pytest.approx(
            _direct_verdict(discriminator, images, masks)[1], rel=1e-4)
    assert 0 < speckle_share(generator, masks, seed=5)["ratio"]
