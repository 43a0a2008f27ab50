"""--speckle-contrast data: the display route's speckle term starts at the training images' tissue contrast, and
the generator is then the one --direct-gain with the matched gain builds (same weights, same speckle phases)."""
import json

import keras
import numpy as np
import pytest

from specklegan_tf.data import load_dataset, to_model_inputs, to_one_hot
from specklegan_tf.evaluation.term_grain import tissue_contrast
from specklegan_tf.export.generator import latent_from_seeds
from specklegan_tf.export.synthesis import draw_seeds
from specklegan_tf.models import build_generator
from specklegan_tf.training.config import GANConfig
from specklegan_tf.training.gan_models import CONTRAST_MASKS, ContrastReference, match_speckle_contrast

SIZE, LATENT, SEED = 64, 8, 4


def _generator(gain):
    keras.utils.set_random_seed(SEED)
    return build_generator(SIZE, latent_dim=LATENT, width=0.125, speckle=True, speckle_route="display",
                           speckle_compression="log", shared_phases=True, direct_gain=gain, seed=SEED)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_dataset("phantom", image_size=SIZE, n=12, cache_dir=tmp_path_factory.mktemp("cache"))


def test_the_speckle_term_starts_at_the_images_contrast(data, tmp_path):
    generator = _generator(0.32)
    (tmp_path / "speckle_init.json").write_text(json.dumps({"initial_window_sizes": [[9.0, 8.0]] * 4}))
    messages = []
    record = match_speckle_contrast(generator, ContrastReference(data.images, data.masks, tmp_path, messages.append),
                                    seed=SEED)
    target = tissue_contrast(to_model_inputs(data.images), data.masks)
    assert record["data_tissue_contrast"] == pytest.approx(target)
    assert 0.05 < target < 1 and len(data.masks) < CONTRAST_MASKS
    # Independent of the matching code: the output of the generator's own speckle-to-image layer.
    latent = keras.ops.convert_to_numpy(latent_from_seeds(draw_seeds(len(data.masks), SEED), LATENT))
    speckle_term = keras.Model(generator.inputs, generator.get_layer("speckle_to_image").output)
    speckle = keras.ops.convert_to_numpy(speckle_term([to_one_hot(data.masks), latent], training=False))[..., 0]
    assert tissue_contrast(speckle, data.masks) == pytest.approx(target, rel=1e-3)
    matched = generator.get_layer("speckle_to_image").kernel.numpy()
    assert record["matched_direct_gain"] == pytest.approx(float(matched.sum()))
    saved = json.loads((tmp_path / "speckle_init.json").read_text())
    assert saved["speckle_contrast"] == pytest.approx(record) and saved["initial_window_sizes"] == [[9.0, 8.0]] * 4
    assert len(messages) == 1 and "Speckle contrast from the data" in messages[0]


def test_the_matched_generator_is_the_one_the_matched_gain_builds(data, tmp_path):
    matched = _generator(0.32)
    record = match_speckle_contrast(matched, ContrastReference(data.images, data.masks, tmp_path, None), seed=SEED)
    assert not (tmp_path / "speckle_init.json").exists()  # a worker that is not the chief writes nothing
    given = _generator(record["matched_direct_gain"])
    for mine, theirs in zip(matched.weights, given.weights):  # the seed generators' states included
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-5, err_msg=mine.path)
    latent = keras.ops.convert_to_numpy(latent_from_seeds(draw_seeds(4, 1), LATENT))
    inputs = [to_one_hot(data.masks[:4]), latent]
    np.testing.assert_allclose(matched(inputs, training=True), given(inputs, training=True), atol=1e-5)


def test_the_option_needs_a_direct_or_display_route():
    with pytest.raises(ValueError, match="--speckle-contrast .data. sets the .direct. or .display. route"):
        GANConfig(speckle_contrast="data", speckle_route="last_block")
    assert GANConfig(speckle_contrast="data", speckle_route="display").speckle_contrast == "data"
    with pytest.raises(ValueError, match="leave out --direct-gain 0.3"):
        GANConfig(speckle_contrast="data", speckle_route="display", direct_gain=0.3)


def test_a_zero_kernel_is_matched_too(data, tmp_path):
    """The default --direct-gain 0 starts the speckle term at zero; the matching weighs every map alike first."""
    from_zero, from_gain = _generator(0.0), _generator(0.32)
    reference = ContrastReference(data.images, data.masks, tmp_path, None)
    record = match_speckle_contrast(from_zero, reference, seed=SEED)
    assert record == pytest.approx(match_speckle_contrast(from_gain, reference, seed=SEED))
    assert record["speckle_term_contrast_at_gain_1"] > 0 and record["matched_direct_gain"] > 0
