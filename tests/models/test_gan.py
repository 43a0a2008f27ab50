"""SpeckleGAN training model: losses (Eqs. 6, 7), training steps, checkpoint items, learned conditioning."""
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.models import (
    SpeckleGAN,
    build_discriminator,
    build_generator,
    discriminator_loss,
    generator_loss,
    make_gan_optimizers,
)


def log_sigmoid(x):
    return -np.log1p(np.exp(-x))


def test_losses_match_the_paper_equations():
    real = np.array([[2.0], [-1.0], [0.5]])
    fake = np.array([[-3.0], [0.0], [4.0]])
    # Eq. 6: -log D(x, y) - log(1 - D(G(z, y), y)), with D = sigmoid(logit); Eq. 7: -log D(G(z, y), y).
    d_expected = -log_sigmoid(real[:, 0]) - np.log(1 - 1 / (1 + np.exp(-fake[:, 0])))
    g_expected = -log_sigmoid(fake[:, 0])
    np.testing.assert_allclose(discriminator_loss(real, fake).numpy(), d_expected, rtol=1e-5)
    np.testing.assert_allclose(generator_loss(fake).numpy(), g_expected, rtol=1e-5)
    # Confident logits stay finite (softplus form, no log(0)).
    assert np.isfinite(discriminator_loss(np.array([[-200.0]]), np.array([[200.0]])).numpy()).all()


def test_optimizers_follow_the_paper():
    g_opt, d_opt = make_gan_optimizers(lr_g=1e-3, lr_d=3e-4, decay_steps=(10, 20))
    assert g_opt is not d_opt
    assert (g_opt.beta_1, g_opt.beta_2, g_opt.epsilon) == (0.5, 0.999, 1e-8)
    schedule = g_opt.learning_rate if callable(g_opt.learning_rate) else g_opt._learning_rate
    np.testing.assert_allclose([float(schedule(s)) for s in (0, 10, 11, 20, 21)],
                               [1e-3, 1e-3, 1e-3 / 3, 1e-3 / 3, 1e-4], rtol=1e-6)
    with pytest.raises(ValueError, match="decay_steps"):
        make_gan_optimizers(decay_steps=(20, 10))
    with pytest.raises(ValueError, match="lr_g"):
        make_gan_optimizers(lr_g=0.0)


def small_batch(n=4, size=32, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, (n, size, size))
    images = np.where(labels == 1, 0.6, np.where(labels == 0, -0.7, 0.0)) + 0.1 * rng.standard_normal(labels.shape)
    return tf.constant(images[..., None], tf.float32), tf.constant(np.eye(3, dtype="float32")[labels])


CONDITIONING_STEPS = 200


@pytest.fixture(scope="module")
def phantom_run(tmp_path_factory):
    """One 32x32 training run on phantom images, shared by the step test and the conditioning test.

    The step function is traced once (tracing dominates the cost on a loaded CPU). The first three steps are
    recorded for the step test; the run then continues to CONDITIONING_STEPS with the paper's two-step decay,
    which lets the batch-normalisation moving statistics (used in inference mode) settle.
    """
    from specklegan_tf.data import load_dataset

    data = load_dataset("phantom", image_size=32, n=64, seed=0, cache_dir=tmp_path_factory.mktemp("cache"))
    tf.keras.utils.set_random_seed(0)
    generator = build_generator(image_size=32, width=0.125, latent_dim=16, seed=0)
    discriminator = build_discriminator(image_size=32, width=0.125)
    gan = SpeckleGAN(generator, discriminator, seed=0)
    gan.compile(*make_gan_optimizers(lr_g=1e-3, lr_d=1e-3, decay_steps=(100, 150)))
    images = tf.constant(data.images[..., None].astype("float32") / 127.5 - 1.0)
    masks = tf.constant(np.eye(3, dtype="float32")[data.masks])
    batches = iter(tf.data.Dataset.from_tensor_slices((images, masks)).shuffle(64, seed=0).repeat().batch(8))
    step = tf.function(gan.train_step)
    record = {"g": [v.numpy().copy() for v in generator.trainable_variables],
              "d": [v.numpy().copy() for v in discriminator.trainable_variables],
              "windows": np.array(gan.speckle_layer.window_sizes), "state": gan.seed_generator.state.numpy().copy()}
    for _ in range(3):
        logs = step(next(batches))
    record.update(logs={k: float(v) for k, v in logs.items()},
                  g_changed=[not np.array_equal(b, v.numpy())
                             for b, v in zip(record["g"], generator.trainable_variables)],
                  d_changed=[not np.array_equal(b, v.numpy())
                             for b, v in zip(record["d"], discriminator.trainable_variables)],
                  windows_after=np.array(gan.speckle_layer.window_sizes),
                  state_after=gan.seed_generator.state.numpy().copy(),
                  iterations=(int(gan.g_optimizer.iterations), int(gan.d_optimizer.iterations)),
                  tracker_count=float(gan.metrics[0].count), tracker_names=[m.name for m in gan.metrics])
    checkpoint = tf.train.Checkpoint(**gan.checkpoint_items())
    path = checkpoint.write(str(tmp_path_factory.mktemp("ckpt") / "ckpt"))
    saved = [v.numpy().copy() for v in generator.weights], gan.seed_generator.state.numpy().copy()
    step(next(batches))
    checkpoint.read(path).assert_consumed()
    record["restored"] = (all(np.array_equal(a, v.numpy()) for a, v in zip(saved[0], generator.weights))
                          and np.array_equal(gan.seed_generator.state.numpy(), saved[1])
                          and int(gan.g_optimizer.iterations) == 3)
    for _ in range(CONDITIONING_STEPS - 3):
        step(next(batches))
    return gan, data, record


@pytest.mark.slow
def test_training_steps_change_everything_and_stay_finite(phantom_run):
    _, _, record = phantom_run
    logs = record["logs"]
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake", "window_0", "window_1", "window_2", "window_3"}
    assert all(np.isfinite(v) for v in logs.values())
    assert 0 < logs["d_real"] < 1 and 0 < logs["d_fake"] < 1
    np.testing.assert_allclose([logs[f"window_{i}"] for i in range(4)], record["windows_after"], rtol=1e-6)
    # Every trainable weight of G and D moved (each takes part in the forward pass of its loss), and so did the
    # speckle window sizes.
    assert all(record["g_changed"]) and all(record["d_changed"])
    assert not np.allclose(record["windows_after"], record["windows"])
    assert record["iterations"] == (3, 3)
    assert not np.array_equal(record["state_after"], record["state"])
    # The trackers hold the means of the three steps; fit() shows them.
    assert record["tracker_names"][:4] == ["d_loss", "g_loss", "d_real", "d_fake"] and record["tracker_count"] == 3
    # checkpoint_items() restores networks, optimizers and the latent RNG exactly.
    assert record["restored"]


@pytest.mark.slow  # several seconds (a child process, a trained or exported model): full suite only
def test_conditioning_is_learned(phantom_run):
    """Acceptance 3: per-class mean gray values within 20 levels of the data's, same brightness order."""
    gan, data, _ = phantom_run
    fake = np.round((gan.generate(data.masks, seed=1)[..., 0] + 1) * 127.5)
    real_means = np.array([data.images[data.masks == c].mean() for c in range(3)])
    fake_means = np.array([fake[data.masks == c].mean() for c in range(3)])
    assert np.abs(fake_means - real_means).max() <= 20, (real_means, fake_means)
    assert list(np.argsort(fake_means)) == list(np.argsort(real_means)), (real_means, fake_means)


def test_baseline_trains_without_window_metrics():
    generator = build_generator(32, width=0.125, latent_dim=16, speckle=False)
    gan = SpeckleGAN(generator, build_discriminator(32, width=0.125))
    gan.compile(*make_gan_optimizers())
    logs = gan.train_step(small_batch(n=2))
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake"}
    with pytest.raises(ValueError, match="latent_dim"):
        SpeckleGAN(gan.generator, gan.discriminator, latent_dim=128)
    with pytest.raises(ValueError, match="g_optimizer"):
        gan.compile(gan.g_optimizer, gan.g_optimizer)


def test_generate_is_reproducible():
    gan = SpeckleGAN(build_generator(32, width=0.125, latent_dim=16), build_discriminator(32, width=0.125))
    labels = np.random.default_rng(0).integers(0, 3, (3, 32, 32))
    first = gan.generate(labels, seed=5)
    assert first.shape == (3, 32, 32, 1) and first.dtype == np.float32
    onehot = np.eye(3, dtype="float32")[labels]
    np.testing.assert_allclose(first, gan.generate(onehot, seed=5, batch_size=2), atol=1e-5)
    assert np.abs(gan.generate(labels, seed=6) - first).mean() > 1e-4
    with pytest.raises(ValueError, match="masks"):
        gan.generate(labels + 3)


@pytest.mark.slow
def test_rectangular_windows_are_logged_per_axis_and_move_with_training():
    import numpy as np
    import tensorflow as tf

    from specklegan_tf.models import SpeckleGAN, build_discriminator, build_generator, make_gan_optimizers

    generator = build_generator(32, width=0.25, latent_dim=8, seed=0, window_shape="rectangular",
                                initial_window_sizes=[(6.0, 3.0), (7.0, 3.5), (8.0, 4.0), (9.0, 4.5)])
    gan = SpeckleGAN(generator, build_discriminator(32, width=0.25), seed=0)
    gan.compile(*make_gan_optimizers(1e-2, 1e-2))
    assert gan.window_log_names[:2] == ("window_0_rows", "window_0_cols") and len(gan.window_log_names) == 8
    rng = np.random.default_rng(0)
    masks = tf.one_hot(rng.integers(0, 3, (4, 32, 32)), 3)
    images = tf.random.stateless_uniform((4, 32, 32, 1), [0, 1], -1.0, 1.0)
    logs = gan.train_step((images, masks))
    np.testing.assert_allclose([float(logs["window_0_rows"]), float(logs["window_3_cols"])], [6.0, 4.5], rtol=0.05)
    start = gan.speckle_layer.window_sizes.copy()
    for _ in range(3):
        gan.train_step((images, masks))
    assert np.abs(gan.speckle_layer.window_sizes / start - 1).max() > 0.01  # lr 1e-2 in log space: ~1 % per step
