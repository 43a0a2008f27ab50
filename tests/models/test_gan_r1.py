"""The R1 gradient penalty of ``SpeckleGAN(r1_gamma=...)`` against analytic references.

A discriminator whose logit is ``a . x + b . x^2`` (per pixel) has the input gradient ``a + 2 b x``, so the
penalty ``gamma / 2 * ||grad||^2`` of each example is known in closed form; with a linear discriminator the
penalty's gradient with respect to the weights is ``gamma * a``, which one SGD step must show.
"""
import keras
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.models import SpeckleGAN, build_discriminator, build_generator

SIZE = 32


def pixelwise_discriminator(quadratic: bool) -> keras.Model:
    """``[image, mask] -> a . x (+ b . x^2)``: the mask is ignored, no bias (so the gradients are known)."""
    image = keras.Input((SIZE, SIZE, 1))
    mask = keras.Input((SIZE, SIZE, 3))
    flat = keras.layers.Flatten()(image)
    features = keras.layers.Concatenate()([flat, keras.layers.Multiply()([flat, flat])]) if quadratic else flat
    logit = keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.RandomNormal(0, 0.05, seed=3),
                               name="logit")(features)
    return keras.Model([image, mask], logit)


def batch(n=4, seed=0):
    rng = np.random.default_rng(seed)
    images = tf.constant(rng.uniform(-1, 1, (n, SIZE, SIZE, 1)).astype("float32"))
    masks = tf.constant(np.eye(3, dtype="float32")[rng.integers(0, 3, (n, SIZE, SIZE))])
    return images, masks


def generator():
    return build_generator(SIZE, width=0.125, latent_dim=8, speckle=False, seed=0)


def test_penalty_of_each_example_is_gamma_half_squared_input_gradient():
    discriminator = pixelwise_discriminator(quadratic=True)
    gan = SpeckleGAN(generator(), discriminator, r1_gamma=0.7)
    images, masks = batch()
    logits, penalty = gan._logits_and_r1([images, masks])
    kernel = discriminator.get_layer("logit").kernel.numpy()[:, 0]
    a, b = kernel[: SIZE * SIZE], kernel[SIZE * SIZE:]
    x = images.numpy().reshape(len(images), -1)
    expected = 0.5 * 0.7 * np.sum((a + 2 * b * x) ** 2, axis=1)
    np.testing.assert_allclose(penalty.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(logits.numpy()[:, 0], x @ a + (x ** 2) @ b, rtol=1e-4, atol=1e-5)
    # Examples differ (the gradient depends on x), so the batch-sum trick must not mix them.
    assert np.ptp(expected) > 1e-3


def test_the_penalty_gradient_reaches_the_discriminator_weights():
    """For ``D(x) = a . x`` the penalty is ``gamma/2 ||a||^2`` and its gradient ``gamma a``: the SGD step with the
    penalty differs from the one without by exactly ``-lr * gamma * a`` (same data, same z, same fakes)."""
    lr, gamma = 0.1, 2.0
    steps = {}
    for g in (0.0, gamma):
        keras.utils.set_random_seed(0)  # the same generator weights, hence the same fakes, in both runs
        discriminator = pixelwise_discriminator(quadratic=False)
        start = discriminator.get_layer("logit").kernel.numpy().copy()
        gan = SpeckleGAN(generator(), discriminator, seed=5, r1_gamma=g)
        gan.compile(keras.optimizers.SGD(lr), keras.optimizers.SGD(lr))
        logs = gan.train_step(batch())
        steps[g] = discriminator.get_layer("logit").kernel.numpy() - start
        if g:
            np.testing.assert_allclose(float(logs["r1_penalty"]), 0.5 * gamma * np.sum(start ** 2), rtol=1e-5)
        else:
            assert "r1_penalty" not in logs
    np.testing.assert_allclose(steps[gamma] - steps[0.0], -lr * gamma * start, rtol=1e-4, atol=1e-7)


def test_r1_trains_the_real_discriminator_and_shrinks_its_input_gradient():
    """With the package's spectral-normalised discriminator, a strong penalty must lower the input-gradient norm
    on the real images after a few updates, compared with the same updates without it."""
    images, masks = batch(n=4, seed=1)
    norms = {}
    for gamma in (0.0, 10.0):
        keras.utils.set_random_seed(0)
        discriminator = build_discriminator(SIZE, width=0.125)
        gan = SpeckleGAN(generator(), discriminator, seed=0, r1_gamma=gamma)
        gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3))
        for _ in range(8):
            logs = gan.train_step((images, masks))
            assert all(np.isfinite(float(v)) for v in logs.values())
        probe = SpeckleGAN(gan.generator, discriminator, r1_gamma=1.0)
        norms[gamma] = float(np.mean(probe._logits_and_r1([images, masks])[1]))
    assert norms[10.0] < 0.7 * norms[0.0], norms


def test_negative_or_infinite_gamma_is_refused():
    for gamma in (-0.1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="r1_gamma"):
            SpeckleGAN(generator(), pixelwise_discriminator(False), r1_gamma=gamma)
