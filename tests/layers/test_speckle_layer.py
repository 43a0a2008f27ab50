"""SpeckleLayer as a Keras layer (issue 2, acceptance items 5 and 7, errors, seeds, shapes)."""

import numpy as np
import pytest
import keras
import tensorflow as tf

from specklegan_tf.layers import SpeckleLayer


def _np(x):
    return keras.ops.convert_to_numpy(x)


@pytest.fixture
def mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


# ------------------------------------------------------------------------------------------------ shapes, init
@pytest.mark.parametrize("polar", [False, True])
def test_output_shape_and_channel_order(polar):
    layer = SpeckleLayer(num_sizes=4, polar=polar, attention=False, seed=0)
    x = np.zeros((3, 32, 32, 2), "float32")
    x[..., 1] = 1.0  # map 0 is zero, map 1 is one: outputs 0-3 must be zero, 4-7 not.
    out = _np(layer(x))
    assert out.shape == (3, 32, 32, 8) == layer.compute_output_shape((3, 32, 32, 2))
    assert np.abs(out[..., :4]).max() < 1e-5
    assert np.all(out[..., 4:].mean(axis=(0, 1, 2)) > 0.5)


def test_any_batch_size_after_build():
    layer = SpeckleLayer(seed=0)
    for batch in (1, 3, 2):
        assert layer(np.ones((batch, 32, 32, 2), "float32")).shape == (batch, 32, 32, 8)


def test_window_sizes_are_scaled_with_image_size_and_clipped():
    layer = SpeckleLayer(num_sizes=3, window_init=(28.0, 48.0), reference_size=256, seed=0)
    layer.build((None, 64, 64, 1))
    np.testing.assert_allclose(layer.window_sizes, [7.0, 9.5, 12.0])
    layer.log_window.assign(np.log([0.2, 9.5, 500.0]))  # outside [1, 64]: the forward pass clips
    np.testing.assert_allclose(layer.window_sizes, [1.0, 9.5, 64.0])
    small = SpeckleLayer(num_sizes=2, window_init=(28.0, 48.0), seed=0)
    small.build((None, 8, 8, 1))  # 28 * 8 / 256 = 0.875 bins: initialised at the 1-bin floor
    np.testing.assert_allclose(small.window_sizes, [1.0, 1.5])


# ----------------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"num_sizes": 0}, "num_sizes"),
        ({"num_sizes": 2.5}, "num_sizes"),
        ({"window_init": (0.0, 10.0)}, "window_init"),
        ({"window_init": (20.0, 300.0)}, "window_init"),
        ({"window_init": (48.0, 28.0)}, "window_init"),
        ({"window_init": 5.0}, "window_init"),
        ({"reference_size": 0}, "reference_size"),
        ({"attention_pooling": "max"}, "attention_pooling"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, word):
    with pytest.raises(ValueError, match=word):
        SpeckleLayer(**kwargs)


def test_bad_inputs_raise_value_error():
    layer = SpeckleLayer(seed=0)
    with pytest.raises(ValueError, match="rank 4"):
        layer(np.ones((32, 32, 2), "float32"))
    with pytest.raises(ValueError, match="known height"):
        SpeckleLayer()(keras.Input((None, None, 3)))
    layer = SpeckleLayer(num_sizes=2, seed=0)
    x = np.ones((2, 16, 16, 3), "float32")
    with pytest.raises(ValueError, match="phases"):
        layer(x, phases=np.zeros((2, 16, 16, 2), "float32"))
    with pytest.raises(ValueError, match="phase_seeds"):
        layer(x, phase_seeds=np.zeros((2, 3), "int32"))
    with pytest.raises(ValueError, match="at most one"):
        layer(x, phases=np.zeros((2, 16, 16, 3), "float32"), phase_seeds=np.zeros((2, 2), "int32"))


# ------------------------------------------------------------------------------------------------------ seeds
def test_seed_generator_reproduces_the_sequence_and_calls_differ():
    x = np.ones((2, 16, 16, 1), "float32")
    a, b = SpeckleLayer(seed=42), SpeckleLayer(seed=42)
    first_a, second_a = _np(a(x)), _np(a(x))
    b.build(x.shape)
    b.set_weights(a.get_weights())  # same d and attention weights; the seed state is not a weight
    np.testing.assert_array_equal(_np(b(x)), first_a)
    assert np.abs(first_a - second_a).max() > 0.1  # a new phase draw on every call


def test_phase_seeds_make_each_sample_independent_of_the_batch():
    layer = SpeckleLayer(num_sizes=2, seed=0)
    x = np.random.default_rng(0).uniform(size=(3, 16, 16, 2)).astype("float32")
    seeds = np.array([[1, 2], [3, 4], [5, 6]], "int32")
    full = _np(layer(x, phase_seeds=seeds))
    alone = _np(layer(x[1:2], phase_seeds=seeds[1:2]))
    np.testing.assert_allclose(alone[0], full[1], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np(layer(x, phase_seeds=seeds)), full, rtol=1e-6, atol=1e-6)
    other = _np(layer(x, phase_seeds=seeds + 100))
    assert np.abs(other - full).max() > 0.1


def test_phase_seeds_as_keras_tensor_in_a_functional_model():
    images = keras.Input((16, 16, 2))
    seeds = keras.Input((2,), dtype="int32")
    speckle = SpeckleLayer(num_sizes=2, polar=True, seed=0)
    model = keras.Model([images, seeds], speckle(images, phase_seeds=seeds))
    x = np.random.default_rng(1).uniform(size=(2, 16, 16, 2)).astype("float32")
    s = np.array([[7, 8], [9, 10]], "int32")
    out = _np(model([x, s]))
    np.testing.assert_allclose(_np(model([x, s])), out, rtol=1e-6)
    np.testing.assert_allclose(_np(speckle(x, phase_seeds=s)), out, rtol=1e-6)
    np.testing.assert_allclose(model.predict([x, s], verbose=0), out, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------------ gradients, training
def test_gradients_to_input_and_every_window_are_finite_and_nonzero():
    layer = SpeckleLayer(num_sizes=4, window_init=(6.0, 20.0), reference_size=32, polar=True, seed=1)
    values = np.random.default_rng(2).uniform(0.2, 1.0, (2, 32, 32, 2)).astype("float32")
    values[1, :, :, 0] = 0.0  # an all-zero map (as after a ReLU): |0| must not give NaN gradients
    x = tf.Variable(values)
    layer.build(x.shape)
    phases = np.random.default_rng(3).uniform(0, 2 * np.pi, (2, 32, 32, 2)).astype("float32")
    target = np.random.default_rng(4).uniform(size=(2, 32, 32, 8)).astype("float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((layer(x, phases=phases) - target) ** 2)
    grad_x, grad_d = tape.gradient(loss, [x, layer.log_window])
    for grad in (grad_x, grad_d):
        assert np.all(np.isfinite(_np(grad)))
    assert np.abs(_np(grad_x)).max() > 0
    assert np.all(np.abs(_np(grad_d)) > 0)


def test_one_step_on_a_loss_preferring_larger_grains_shrinks_every_window():
    layer = SpeckleLayer(num_sizes=3, window_init=(8.0, 16.0), reference_size=32, attention=False, seed=1)
    x = np.ones((4, 32, 32, 1), "float32")
    layer.build(x.shape)
    phases = np.random.default_rng(5).uniform(0, 2 * np.pi, (4, 32, 32, 1)).astype("float32")
    before = layer.window_sizes.copy()
    optimizer = keras.optimizers.SGD(learning_rate=1.0)
    with tf.GradientTape() as tape:
        out = layer(x, phases=phases)
        # Larger grains = smoother maps: penalise the squared difference of neighbours relative to the power.
        roughness = tf.reduce_mean((out[:, 1:] - out[:, :-1]) ** 2)
        roughness += tf.reduce_mean((out[:, :, 1:] - out[:, :, :-1]) ** 2)
        loss = roughness / tf.reduce_mean(out**2)
    optimizer.apply_gradients(zip(tape.gradient(loss, [layer.log_window]), [layer.log_window]))
    after = layer.window_sizes
    assert np.all(after < before - 1e-3), (before, after)
    assert np.all(after >= 1.0)


def test_constraint_keeps_windows_in_range_after_an_update():
    layer = SpeckleLayer(num_sizes=2, window_init=(8.0, 16.0), reference_size=32, attention=False, seed=0)
    layer.build((None, 32, 32, 1))
    optimizer = keras.optimizers.SGD(learning_rate=1.0)
    optimizer.apply_gradients([(tf.constant([100.0, -100.0]), layer.log_window)])
    np.testing.assert_allclose(layer.window_sizes, [1.0, 32.0], rtol=1e-6)


# ------------------------------------------------------------------------------------- serialisation, precision
def test_get_config_from_config_round_trip():
    layer = SpeckleLayer(num_sizes=3, window_init=(10.0, 20.0), reference_size=128, polar=True, attention=True,
                         seed=9, attention_pooling="sum", name="speckle")
    config = layer.get_config()
    clone = SpeckleLayer.from_config(config)
    assert clone.get_config() == config
    x = np.random.default_rng(0).uniform(size=(2, 16, 16, 2)).astype("float32")
    phases = np.random.default_rng(1).uniform(0, 6, size=(2, 16, 16, 2)).astype("float32")
    layer.build(x.shape)
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(_np(clone(x, phases=phases)), _np(layer(x, phases=phases)), rtol=1e-6)


def test_keras_file_round_trip_gives_identical_outputs(tmp_path):
    inputs = keras.Input((32, 32, 2))
    outputs = SpeckleLayer(num_sizes=2, polar=True, seed=123)(inputs)
    model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(outputs))
    x = np.random.default_rng(0).uniform(size=(2, 32, 32, 2)).astype("float32")
    path = tmp_path / "speckle.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded.layers[1], SpeckleLayer)
    # Like Keras' own random layers, the seed generator restarts from its seed after loading (its state is not
    # saved), so the loaded model replays the original's sequence of phase draws.
    first = _np(model(x))
    np.testing.assert_array_equal(_np(loaded(x)), first)
    np.testing.assert_array_equal(_np(loaded(x)), _np(model(x)))
    seeds = np.array([[5, 6], [7, 8]], "int32")
    speckle, speckle_loaded = model.layers[1], loaded.layers[1]
    np.testing.assert_array_equal(_np(speckle_loaded(x, phase_seeds=seeds)), _np(speckle(x, phase_seeds=seeds)))


def test_mixed_float16_returns_policy_dtype_and_finite_values(mixed_precision):
    layer = SpeckleLayer(num_sizes=2, polar=True, seed=0)
    out = layer(np.ones((2, 64, 64, 2), "float32") * 200.0)  # 200 * 64^2 px would overflow a float16 sum
    assert out.dtype == "float16"
    assert layer.log_window.dtype == "float32"
    values = _np(out).astype(np.float64)
    assert np.all(np.isfinite(values)) and values.max() > 0


def test_jit_compile_runs_finite_and_matches_eager_for_given_phases():
    layer = SpeckleLayer(num_sizes=2, polar=True, seed=0)
    x = np.random.default_rng(0).uniform(size=(2, 32, 32, 2)).astype("float32")
    phases = np.random.default_rng(1).uniform(0, 2 * np.pi, size=(2, 32, 32, 2)).astype("float32")
    seeds = np.array([[1, 2], [3, 4]], "int32")
    layer.build(x.shape)

    @tf.function(jit_compile=True)
    def forward_backward(images, phi, phase_seeds):
        with tf.GradientTape() as tape:
            out = layer(images, phases=phi)
            loss = tf.reduce_mean(out)
        return out, tape.gradient(loss, layer.log_window), layer(images), layer(images, phase_seeds=phase_seeds)

    out, grad, unseeded, seeded = forward_backward(tf.constant(x), tf.constant(phases), tf.constant(seeds))
    np.testing.assert_allclose(_np(out), _np(layer(x, phases=phases)), rtol=1e-4, atol=1e-5)
    for value in (grad, unseeded, seeded):
        assert np.all(np.isfinite(_np(value)))
    # Per-sample seeds are deterministic under XLA too (XLA's Philox stream differs from the TF kernel's).
    again = forward_backward(tf.constant(x), tf.constant(phases), tf.constant(seeds))[3]
    np.testing.assert_allclose(_np(again), _np(seeded), rtol=1e-6)


def test_mirrored_strategy_replicas_draw_different_phases():
    devices = [d.name for d in tf.config.list_logical_devices("CPU")][:2]
    assert len(devices) == 2, "tests/conftest.py configures two logical CPUs"
    strategy = tf.distribute.MirroredStrategy(devices)
    with strategy.scope():
        layer = SpeckleLayer(num_sizes=2, seed=0)
        layer.build((None, 16, 16, 1))
    dataset = tf.data.Dataset.from_tensor_slices(np.ones((4, 16, 16, 1), "float32")).batch(4)
    batch = next(iter(strategy.experimental_distribute_dataset(dataset)))

    @tf.function
    def step(images):
        def replica_step(x):
            with tf.GradientTape() as tape:
                out = layer(x)
                loss = tf.reduce_mean(out)
            return out, tape.gradient(loss, layer.log_window)
        return strategy.run(replica_step, args=(images,))

    outputs, grads = step(batch)
    first, second = (_np(t) for t in strategy.experimental_local_results(outputs))
    # Same input on both replicas: the speckle must still differ (the replica id is folded into the seed).
    assert np.abs(first - second).max() > 0.1
    assert all(np.all(np.isfinite(_np(g))) for g in strategy.experimental_local_results(grads))
