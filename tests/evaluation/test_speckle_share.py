"""speckle_share: the two terms of a direct-route generator's pre-tanh image, against the image itself."""
import keras
import numpy as np
import pytest

from specklegan_tf.evaluation.speckle_share import speckle_share
from specklegan_tf.export.generator import latent_from_seeds
from specklegan_tf.export.synthesis import draw_seeds
from specklegan_tf.models import build_generator

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
