"""DiffAugment: each policy checked against what it must do to image and mask, gradients, seeds, config."""
import numpy as np
import pytest
import keras
import tensorflow as tf

from specklegan_tf.layers import DiffAugment

rng = np.random.default_rng(0)
LABELS = rng.integers(0, 3, (4, 32, 32))
MASKS = np.eye(3, dtype="float32")[LABELS]
IMAGES = rng.uniform(-0.9, 0.9, (4, 32, 32, 1)).astype("float32")


def test_translation_moves_image_and_mask_together_and_fills_black_background():
    # an image that is a function of the mask: after a joint shift it must still be that function
    code = np.array([0.2, 0.5, 0.8], "float32")
    images = code[LABELS][..., None]
    out, masks = DiffAugment(["translation"], seed=1)([images, MASKS], training=True)
    out, masks = out.numpy()[..., 0], masks.numpy()
    assert np.allclose(masks.sum(-1), 1.0) and set(np.unique(masks)) <= {0.0, 1.0}
    labels = masks.argmax(-1)
    shifted_in = out == -1.0
    assert np.all(labels[shifted_in] == 2)  # uncovered border: black image, background mask
    np.testing.assert_allclose(out[~shifted_in], code[labels[~shifted_in]])
    assert shifted_in.any(axis=(1, 2)).sum() >= 2  # most of the 4 samples moved (shifts up to 4 px per axis)
    # at most 4 rows and 4 columns of a 32 px image are uncovered
    assert shifted_in.mean(axis=(1, 2)).max() <= 1.0 - (28.0 / 32.0) ** 2


def test_color_is_a_per_image_affine_map_with_the_papers_ranges():
    out, masks = DiffAugment(["color"], seed=2)([IMAGES, MASKS], training=True)
    np.testing.assert_array_equal(masks.numpy(), MASKS)
    for x, y in zip(IMAGES.reshape(4, -1), out.numpy().reshape(4, -1)):
        slope, intercept = np.polyfit(x, y, 1)
        np.testing.assert_allclose(y, slope * x + intercept, atol=1e-5)
        assert 0.5 <= slope <= 1.5  # contrast factor
        # brightness b in [-0.5, 0.5], contrast about the mean: y = c (x + b - m) + m, m = mean(x) + b
        brightness = y.mean() - x.mean()
        assert -0.5 <= brightness <= 0.5


def test_cutout_zeroes_one_square_of_half_the_size_and_keeps_the_mask():
    images = np.full((4, 32, 32, 1), 0.7, "float32")
    out, masks = DiffAugment(["cutout"], seed=3)([images, MASKS], training=True)
    np.testing.assert_array_equal(masks.numpy(), MASKS)
    for sample in out.numpy()[..., 0]:
        assert set(np.unique(sample)) <= {0.0, np.float32(0.7)}
        rows, cols = np.nonzero(sample == 0.0)
        assert rows.size > 0
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert rows.size == height * width  # one axis-aligned rectangle
        assert height <= 16 and width <= 16


def test_gradients_flow_to_the_images_and_inference_is_the_identity():
    x = tf.Variable(IMAGES)
    layer = DiffAugment(seed=4)
    with tf.GradientTape() as tape:
        out, _ = layer([x, MASKS], training=True)
        loss = tf.reduce_sum(out * tf.constant(rng.normal(size=IMAGES.shape), tf.float32))
    grad = tape.gradient(loss, x).numpy()
    assert np.all(np.isfinite(grad)) and np.abs(grad).max() > 0
    same, masks = layer([IMAGES, MASKS], training=False)
    np.testing.assert_array_equal(same.numpy(), IMAGES)
    np.testing.assert_array_equal(masks.numpy(), MASKS)


def test_the_same_seed_gives_the_same_augmentations_and_draws_change_between_calls():
    first, second = DiffAugment(seed=5), DiffAugment(seed=5)
    a = first([IMAGES, MASKS], training=True)[0].numpy()
    np.testing.assert_array_equal(second([IMAGES, MASKS], training=True)[0].numpy(), a)
    assert np.abs(first([IMAGES, MASKS], training=True)[0].numpy() - a).max() > 0.1


def test_config_round_trip_and_bad_arguments_are_named():
    layer = DiffAugment(["cutout", "color"], translation_ratio=0.25, seed=3, name="aug")
    clone = DiffAugment.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config() and clone.policies == ("color", "cutout")
    with pytest.raises(ValueError, match="policies"):
        DiffAugment(["blur"])
    with pytest.raises(ValueError, match="translation_ratio"):
        DiffAugment(translation_ratio=0.6)
    with pytest.raises(ValueError, match="cutout_ratio"):
        DiffAugment(cutout_ratio=0.0)
    with pytest.raises(ValueError, match="background_class"):
        DiffAugment(background_class=5)([IMAGES, MASKS])


def test_runs_inside_the_gan_training_step_and_its_seed_state_is_checkpointed():
    from specklegan_tf.models import SpeckleGAN, build_discriminator, build_generator, make_gan_optimizers

    gan = SpeckleGAN(build_generator(32, width=0.25, latent_dim=8, seed=0), build_discriminator(32, width=0.25),
                     seed=0, augment=DiffAugment(seed=1))
    gan.compile(*make_gan_optimizers())
    state_before = gan.augment.seed_generator.state.numpy().copy()
    logs = gan.train_step((tf.constant(IMAGES), tf.constant(MASKS)))
    assert np.isfinite(float(logs["g_loss"])) and np.isfinite(float(logs["d_loss"]))
    assert "augment_seed_state" in gan.checkpoint_items()
    assert np.any(gan.augment.seed_generator.state.numpy() != state_before)


def test_under_jit_compile_the_augmentations_keep_their_properties_and_pass_gradients():
    # XLA draws other numbers from the same stateless seeds, so the check is on what each policy must do.
    code = np.array([0.2, 0.5, 0.8], "float32")
    images = tf.Variable(code[LABELS][..., None])
    layer = DiffAugment(["translation"], seed=6)

    @tf.function(jit_compile=True)
    def augment():
        with tf.GradientTape() as tape:
            out, masks = layer([images, MASKS], training=True)
            loss = tf.reduce_sum(out)
        return out, masks, tape.gradient(loss, images)

    out, masks, grad = (t.numpy() for t in augment())
    labels, out = masks.argmax(-1), out[..., 0]
    shifted_in = out == -1.0
    assert shifted_in.any(axis=(1, 2)).sum() >= 2  # the images did move
    assert np.all(labels[shifted_in] == 2)
    np.testing.assert_allclose(out[~shifted_in], code[labels[~shifted_in]])
    # every output pixel is one input pixel or the border: the gradient counts how often each input pixel is used
    assert set(np.unique(grad)) <= {0.0, 1.0} and grad.sum() == (~shifted_in).sum()
