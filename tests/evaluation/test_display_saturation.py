"""white_fraction and display_saturation against counts made by hand and the generator's own layer outputs."""
import keras
import numpy as np
import pytest

from specklegan_tf.data import random_ivus_masks
from specklegan_tf.data.conversions import to_one_hot
from specklegan_tf.evaluation.display_saturation import display_saturation, white_fraction
from specklegan_tf.export.generator import latent_from_seeds
from specklegan_tf.export.synthesis import draw_seeds
from specklegan_tf.models import build_generator

SIZE, LATENT = 32, 8


def test_white_fraction_counts_white_tissue_inside_the_field_of_view_only():
    masks = np.full((1, SIZE, SIZE), 2, np.uint8)  # all background (tissue)
    masks[0, 12:20, 12:16] = 0  # a lumen patch: not tissue
    image = np.zeros((1, SIZE, SIZE), np.uint8)
    image[0, 12:20, 12:20] = 255  # white: half on the lumen patch, half (32 px) on tissue
    image[0, :3, :3] = 255  # white corner, outside the inscribed disc
    rows, cols = np.mgrid[:SIZE, :SIZE]
    disc = np.hypot(rows - (SIZE / 2 - 0.5), cols - (SIZE / 2 - 0.5)) < SIZE / 2
    tissue = disc & (masks[0] == 2)
    assert white_fraction(image, masks) == pytest.approx(32 / tissue.sum())
    # The same images on the model's [-1, 1] scale, with a channel axis; gray level 253 is not white.
    assert white_fraction(image[..., None] / 127.5 - 1.0, masks) == pytest.approx(32 / tissue.sum())
    assert white_fraction(np.full_like(image, 253), masks) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        white_fraction(image[:, :16], masks)


@pytest.fixture(scope="module")
def bright_display_generator():
    """A display-route generator whose speckle term is large enough to clip a good part of the tissue."""
    keras.utils.set_random_seed(2)
    return build_generator(SIZE, latent_dim=LATENT, width=0.125, speckle=True, speckle_route="display",
                           speckle_compression="log", direct_gain=6.0)


def test_display_saturation_is_read_off_the_generators_own_sum_before_the_clip(bright_display_generator):
    generator = bright_display_generator
    masks = random_ivus_masks(5, SIZE, seed=1)
    latent = keras.ops.convert_to_numpy(latent_from_seeds(draw_seeds(len(masks), 3), LATENT))
    probe = keras.Model(generator.inputs, [generator.get_layer("add_speckle_after_tanh").output,
                                           generator.get_layer("baseline_image").output, generator.output])
    before_clip, baseline, image = (keras.ops.convert_to_numpy(t)[..., 0]
                                    for t in probe([to_one_hot(masks), latent], training=False))
    rows, cols = np.mgrid[:SIZE, :SIZE]
    tissue = (masks > 0) & (np.hypot(rows - (SIZE / 2 - 0.5), cols - (SIZE / 2 - 0.5)) < SIZE / 2)
    got = display_saturation(generator, masks, seed=3)
    assert got["past_white"] == pytest.approx((before_clip[tissue] > 1).mean(), abs=2e-3)
    assert got["past_black"] == pytest.approx((before_clip[tissue] < -1).mean(), abs=2e-3)
    assert got["baseline_saturated"] == pytest.approx((np.abs(baseline[tissue]) > 0.99).mean(), abs=2e-3)
    assert got["white"] == pytest.approx(white_fraction(image, masks), abs=2e-3)
    assert got["past_white"] + got["past_black"] > 0.05  # the gain clips: the check is not vacuous


def test_refuses_a_generator_without_the_display_route():
    keras.utils.set_random_seed(0)
    generator = build_generator(SIZE, latent_dim=LATENT, width=0.125, speckle=False)
    with pytest.raises(ValueError, match="has no display speckle route"):
        display_saturation(generator, random_ivus_masks(2, SIZE, seed=0))
