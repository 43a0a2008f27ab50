"""The moving average of the generator's weights: its recursion against numpy, the swap, checkpoints, replicas."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.models import (GeneratorAverage, SpeckleGAN, build_discriminator, build_generator,
                                  make_gan_optimizers)


def numpy_average(history, momentum):
    """The average after each snapshot of ``history`` (lists of arrays): a = m_t a + (1 - m_t) w, from the weights
    before the first snapshot, m_t = min(momentum, t / (t + 9)); written independently of the class."""
    average = [np.array(w, dtype=np.float64) for w in history[0]]
    for t, weights in enumerate(history[1:], start=1):
        m = min(momentum, t / (t + 9.0))
        average = [m * a + (1 - m) * np.asarray(w, np.float64) for a, w in zip(average, weights)]
    return average


def tiny_model():
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(2, name="dense")(inputs))


def test_the_recursion_matches_numpy_with_its_warm_up():
    model = tiny_model()
    average = GeneratorAverage(model, momentum=0.9)
    rng = np.random.default_rng(0)
    history = [[v.numpy().copy() for v in model.trainable_variables]]
    for _ in range(25):  # past the warm-up: t / (t + 9) passes 0.9 at t = 81, so m_t is the warm-up throughout
        for v in model.trainable_variables:
            v.assign(rng.standard_normal(v.shape).astype("float32"))
        history.append([v.numpy().copy() for v in model.trainable_variables])
        average.update()
    for got, want in zip(average.averages, numpy_average(history, 0.9)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-6)
    assert int(average.updates.numpy()) == 25
    # The first update weighs the new weights 0.9 (m_1 = 0.1), not 1 - momentum: a short run is not its init.
    fresh = tiny_model()
    first = GeneratorAverage(fresh, momentum=0.999)
    start = [v.numpy().copy() for v in fresh.trainable_variables]
    for v in fresh.trainable_variables:
        v.assign(v + 1.0)
    first.update()
    np.testing.assert_allclose(first.averages[0].numpy(), start[0] + 0.9, rtol=1e-6)


def test_swapped_in_holds_the_average_and_restores_the_training_weights_also_on_errors():
    model = tiny_model()
    average = GeneratorAverage(model, momentum=0.5)
    training = [v.numpy().copy() for v in model.trainable_variables]
    for v in model.trainable_variables:
        v.assign(v + 2.0)
    average.update()  # m_1 = 0.1: average = start + 1.8
    moved = [v.numpy().copy() for v in model.trainable_variables]
    x = np.ones((1, 3), "float32")
    with average.swapped_in() as swapped:
        assert swapped is model
        np.testing.assert_allclose(model.trainable_variables[0].numpy(), training[0] + 1.8, rtol=1e-6)
        inside = model(x).numpy()
    np.testing.assert_array_equal(model.trainable_variables[0].numpy(), moved[0])
    assert not np.allclose(model(x).numpy(), inside)
    with pytest.raises(RuntimeError, match="inside"):
        with average.swapped_in():
            raise RuntimeError("inside")
    for v, w in zip(model.trainable_variables, moved):
        np.testing.assert_array_equal(v.numpy(), w)
    for bad in (0.0, 1.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="momentum"):
            GeneratorAverage(model, momentum=bad)


def small_gan(generator_ema, seed=0):
    keras.utils.set_random_seed(seed)
    generator = build_generator(32, width=0.125, latent_dim=8, seed=seed, speckle=False)
    gan = SpeckleGAN(generator, build_discriminator(32, width=0.125), seed=seed, generator_ema=generator_ema)
    gan.compile(*make_gan_optimizers(1e-3, 1e-3))
    return gan


def batch(n=4, seed=0):
    rng = np.random.default_rng(seed)
    masks = tf.one_hot(rng.integers(0, 3, (n, 32, 32)), 3)
    images = tf.constant(rng.uniform(-1, 1, (n, 32, 32, 1)).astype("float32"))
    return images, masks


def test_gan_averages_the_weights_after_every_generator_step_and_checkpoints_them(tmp_path):
    gan = small_gan(generator_ema=0.5)
    assert "generator_average" in gan.checkpoint_items()
    assert small_gan(generator_ema=None).generator_average is None
    step = tf.function(gan.train_step)
    history = [[v.numpy().copy() for v in gan.generator.trainable_variables]]
    for k in range(4):
        step(batch(seed=k))
        history.append([v.numpy().copy() for v in gan.generator.trainable_variables])
    want = numpy_average(history, 0.5)
    with gan.averaged_generator() as generator:
        for v, w in zip(generator.trainable_variables, want):
            np.testing.assert_allclose(v.numpy(), w, rtol=1e-4, atol=1e-6)
    for v, w in zip(gan.generator.trainable_variables, history[-1]):  # the training weights are back
        np.testing.assert_array_equal(v.numpy(), w)

    path = tf.train.Checkpoint(**gan.checkpoint_items()).write(str(tmp_path / "ckpt"))
    other = small_gan(generator_ema=0.5, seed=1)
    tf.train.Checkpoint(**other.checkpoint_items()).read(path).assert_consumed()
    for a, b in zip(other.generator_average.averages, gan.generator_average.averages):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(other.generator_average.updates.numpy()) == 4


@pytest.mark.slow
def test_two_replicas_keep_the_same_average_as_the_numpy_recursion():
    # In a child process: a second MirroredStrategy with synchronized batch norm in the test process reuses the
    # collective instance keys of the strategies that tests/training/test_runner.py creates later, and both abort.
    import subprocess
    import sys
    from pathlib import Path

    child = Path(__file__).with_name("generator_average_replicas_child.py")
    result = subprocess.run([sys.executable, str(child)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and "replicas agree" in result.stdout, result.stdout + result.stderr[-3000:]
