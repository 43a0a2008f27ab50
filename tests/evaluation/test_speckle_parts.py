"""speckle_term_parts: the speckle part is what the phases change, checked against two fresh phase draws through the
generator's own layers; bad arguments are refused by name."""
import keras
import numpy as np
import pytest

from specklegan_tf.data import to_one_hot
from specklegan_tf.evaluation.speckle_parts import speckle_term_parts
from specklegan_tf.export.generator import latent_from_seeds
from specklegan_tf.export.synthesis import draw_seeds
from specklegan_tf.models import build_generator

SIZE, LATENT, SIZES = 32, 8, 4


def _masks(n=6, seed=0):
    rows, cols = np.mgrid[:SIZE, :SIZE] - (SIZE / 2 - 0.5)
    radius = np.hypot(rows, cols)
    masks = np.full((n, SIZE, SIZE), 2, np.uint8)
    for i, inner in enumerate(np.random.default_rng(seed).uniform(4, 8, n)):
        masks[i][radius < inner + 5] = 1
        masks[i][radius < inner] = 0
    return masks


def _generator():
    keras.utils.set_random_seed(1)
    return build_generator(SIZE, latent_dim=LATENT, width=0.125, speckle_route="display", speckle_compression="log",
                           shared_phases=True, direct_gain=0.5, speckle_sizes=SIZES)


def test_the_speckle_part_is_what_changes_with_the_phases():
    generator, masks = _generator(), _masks()
    parts = speckle_term_parts(generator, masks, seed=2, draws=8)
    # Independently: the term for two other phase draws through the generator's layers; their difference / sqrt 2
    # has the speckle's standard deviation.
    latent = keras.ops.convert_to_numpy(latent_from_seeds(draw_seeds(len(masks), 2), LATENT))
    penultimate = keras.Model(generator.inputs, generator.get_layer("penultimate_block").output)
    maps = penultimate([to_one_hot(masks), latent], training=False)
    rng = np.random.default_rng(99)
    terms = [keras.ops.convert_to_numpy(generator.get_layer("speckle_to_image")(generator.get_layer("speckle")(
        maps, phase_seeds=rng.integers(0, 2**31 - 1, (len(masks), 2)).astype("int32"))))[..., 0] for _ in range(2)]
    expected = np.std(terms[0] - terms[1]) / np.sqrt(2)
    assert np.std(parts["speckle_part"]) == pytest.approx(expected, rel=0.15)
    assert abs(parts["speckle_part"].mean()) < 0.1 * expected
    assert parts["echo_part"].shape == parts["speckle_part"].shape == masks.shape


def test_bad_arguments_are_refused():
    keras.utils.set_random_seed(0)
    baseline = build_generator(SIZE, latent_dim=LATENT, width=0.125, speckle=False)
    with pytest.raises(ValueError, match="speckle_term_parts needs build_generator"):
        speckle_term_parts(baseline, _masks())
    with pytest.raises(ValueError, match="draws"):
        speckle_term_parts(_generator(), _masks(), draws=1)
