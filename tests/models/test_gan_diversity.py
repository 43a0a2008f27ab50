"""The diversity term of ``SpeckleGAN(diversity_weight=...)``: its ratio against hand-computed block means, its
bound, and that training with it makes two ``z`` give more different images than training without."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.models import SpeckleGAN, build_discriminator, build_generator
from specklegan_tf.models.diversity import coarse_diversity, diversity_loss

SIZE = 32


def test_ratio_is_the_block_mean_difference_per_latent_difference_and_ignores_grain():
    rng = np.random.default_rng(0)
    blocks_a, blocks_b = rng.uniform(-1, 1, (2, 3, 8, 8, 1))
    # Each 4x4 block constant ...
    a = np.kron(blocks_a, np.ones((1, 4, 4, 1)))
    b = np.kron(blocks_b, np.ones((1, 4, 4, 1)))
    # ... plus a pixel-scale checkerboard of zero mean in every block (grain, e.g. speckle) on one image only.
    checker = np.indices((SIZE, SIZE)).sum(axis=0) % 2 * 2 - 1
    b_grainy = b + 0.7 * checker[None, :, :, None]
    z_a, z_b = rng.standard_normal((2, 3, 16))
    expected = np.mean(np.abs(blocks_a - blocks_b)) / np.mean(np.abs(z_a - z_b))
    np.testing.assert_allclose(float(coarse_diversity(a, b, z_a, z_b)), expected, rtol=1e-5)
    np.testing.assert_allclose(float(coarse_diversity(a, b_grainy, z_a, z_b)), expected, rtol=1e-5)
    assert float(coarse_diversity(a, a + 0.7 * checker[None, :, :, None], z_a, z_b)) < 1e-6
    with pytest.raises(ValueError, match="divisible by 8"):
        coarse_diversity(np.zeros((1, 12, 16, 1)), np.zeros((1, 12, 16, 1)), z_a[:1], z_b[:1])


def test_loss_is_one_for_identical_images_and_zero_from_the_target_on():
    values = [float(diversity_loss(np.float32(r), 0.1)) for r in (0.0, 0.05, 0.1, 0.3)]
    np.testing.assert_allclose(values, [1.0, 0.5, 0.0, 0.0], atol=1e-6)


def _train(weight: float, steps: int = 20):
    keras.utils.set_random_seed(0)
    generator = build_generator(SIZE, width=0.125, latent_dim=8, speckle=False, seed=0)
    gan = SpeckleGAN(generator, build_discriminator(SIZE, width=0.125), seed=0, diversity_weight=weight,
                     diversity_target=1.0)
    gan.compile(keras.optimizers.Adam(2e-3, beta_1=0.5), keras.optimizers.Adam(2e-3, beta_1=0.5))
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, (4, SIZE, SIZE))
    images = np.where(labels == 1, 0.6, -0.5)[..., None].astype("float32") + 0.1 * rng.standard_normal(
        (4, SIZE, SIZE, 1)).astype("float32")
    images, masks = tf.constant(images), tf.constant(np.eye(3, dtype="float32")[labels])
    step = tf.function(gan.train_step)  # traced once: faster than 20 eager steps
    for _ in range(steps):
        logs = step((images, masks))
    z_a, z_b = tf.constant(np.random.default_rng(2).standard_normal((2, 4, 8)).astype("float32"))
    ratio = float(coarse_diversity(generator([masks, z_a]), generator([masks, z_b]), z_a, z_b))
    return logs, ratio


def test_training_with_the_term_makes_z_change_the_image_structure():
    logs_without, ratio_without = _train(0.0)
    logs_with, ratio_with = _train(5.0)
    assert "diversity" not in logs_without and 0 <= float(logs_with["diversity"]) < 10
    assert all(np.isfinite(float(v)) for v in logs_with.values())
    assert ratio_with > 2 * ratio_without, (ratio_with, ratio_without)


def test_bad_weights_and_targets_are_refused():
    generator = build_generator(SIZE, width=0.125, latent_dim=8, speckle=False, seed=0)
    discriminator = build_discriminator(SIZE, width=0.125)
    for kwargs in ({"diversity_weight": -1.0}, {"diversity_weight": float("nan")}, {"diversity_target": 0.0}):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            SpeckleGAN(generator, discriminator, **kwargs)
