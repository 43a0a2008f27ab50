"""SPADE (issue 2, acceptance item 8): the formula by hand, resized masks, moving statistics, MirroredStrategy."""

import numpy as np
import pytest
import keras
import tensorflow as tf

from specklegan_tf.layers import SPADE
from layers_numpy_reference import same_conv2d


def _np(x):
    return keras.ops.convert_to_numpy(x).astype(np.float64)


def _one_hot(labels, num_classes=3):
    return np.eye(num_classes, dtype="float32")[labels]


def _data(seed=0, n=4, size=8, channels=5, mask_size=8):
    rng = np.random.default_rng(seed)
    x = rng.normal(1.5, 2.0, size=(n, size, size, channels)).astype("float32")
    mask = _one_hot(rng.integers(0, 3, size=(n, mask_size, mask_size)))
    return x, mask


def _modulation_by_hand(layer, mask):
    """gamma and beta from the layer's kernels with a NumPy convolution."""
    k_s, b_s = (np.asarray(v, np.float64) for v in layer.shared.get_weights())
    k_g, b_g = (np.asarray(v, np.float64) for v in layer.gamma.get_weights())
    k_b, b_b = (np.asarray(v, np.float64) for v in layer.beta.get_weights())
    hidden = np.maximum(same_conv2d(mask.astype(np.float64), k_s, b_s), 0.0)
    return same_conv2d(hidden, k_g, b_g), same_conv2d(hidden, k_b, b_b)


def _randomise_biases(layer, seed=1):
    rng = np.random.default_rng(seed)
    layer.set_weights(
        [w if w.ndim == 4 else rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()]
    )


def test_training_output_equals_formula_by_hand():
    x, mask = _data()
    layer = SPADE(hidden_channels=6, epsilon=1e-5)
    layer.build([x.shape, mask.shape])
    _randomise_biases(layer)
    out = _np(layer([x, mask], training=True))
    x64 = x.astype(np.float64)
    x_hat = (x64 - x64.mean(axis=(0, 1, 2))) / np.sqrt(x64.var(axis=(0, 1, 2)) + 1e-5)
    gamma, beta = _modulation_by_hand(layer, mask)
    assert np.abs(gamma).max() > 0.1  # the modulation is not trivially zero
    np.testing.assert_allclose(out, x_hat * (1.0 + gamma) + beta, rtol=1e-4, atol=1e-4)


def test_inference_uses_moving_statistics_and_training_updates_them():
    x, mask = _data(seed=2)
    layer = SPADE(hidden_channels=4, momentum=0.9)
    layer.build([x.shape, mask.shape])
    _randomise_biases(layer)
    mean = np.linspace(-1.0, 1.0, 5).astype("float32")
    var = np.linspace(0.5, 3.0, 5).astype("float32")
    layer.norm.moving_mean.assign(mean)
    layer.norm.moving_variance.assign(var)
    out = _np(layer([x, mask], training=False))
    gamma, beta = _modulation_by_hand(layer, mask)
    expected = (x - mean) / np.sqrt(var + 1e-5) * (1.0 + gamma) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(_np(layer.norm.moving_mean), mean)  # inference does not touch them
    layer([x, mask], training=True)
    np.testing.assert_allclose(_np(layer.norm.moving_mean), 0.9 * mean + 0.1 * x.mean(axis=(0, 1, 2)), rtol=1e-5)


def test_instance_normalisation_equals_formula_by_hand_in_training_and_inference():
    x, mask = _data(seed=8, n=3)
    x = x * np.linspace(0.5, 4.0, 3, dtype="float32")[:, None, None, None]  # images of very different spread
    layer = SPADE(hidden_channels=6, epsilon=1e-5, normalization="instance")
    layer.build([x.shape, mask.shape])
    _randomise_biases(layer)
    x64 = x.astype(np.float64)
    x_hat = (x64 - x64.mean(axis=(1, 2), keepdims=True)) / np.sqrt(x64.var(axis=(1, 2), keepdims=True) + 1e-5)
    gamma, beta = _modulation_by_hand(layer, mask)
    expected = x_hat * (1.0 + gamma) + beta
    for training in (True, False):
        np.testing.assert_allclose(_np(layer([x, mask], training=training)), expected, rtol=1e-4, atol=1e-4)
    assert layer.non_trainable_weights == []  # no moving statistics to drift between training and inference


def test_instance_normalised_image_does_not_depend_on_its_batch():
    x, mask = _data(seed=9, n=4)
    batch_norm, instance_norm = SPADE(4), SPADE(4, normalization="instance")
    for layer in (batch_norm, instance_norm):
        layer.build([x.shape, mask.shape])
    for name in ("shared", "gamma", "beta"):  # the same convolutions
        getattr(instance_norm, name).set_weights(getattr(batch_norm, name).get_weights())
    alone = _np(instance_norm([x[:1], mask[:1]], training=True))
    np.testing.assert_allclose(_np(instance_norm([x, mask], training=True))[:1], alone, rtol=1e-5, atol=1e-5)
    # With batch statistics the same image changes with its batch mates: the property is not trivial.
    in_batch = _np(batch_norm([x, mask], training=True))[:1]
    assert np.abs(in_batch - _np(batch_norm([x[:1], mask[:1]], training=True))).max() > 0.05


def test_masks_of_another_resolution_are_resized_nearest_neighbour():
    x, small_mask = _data(seed=3, size=8, mask_size=8)
    large_mask = np.repeat(np.repeat(small_mask, 4, axis=1), 4, axis=2)  # 32 x 32, constant in 4 x 4 blocks
    layer = SPADE(hidden_channels=4)
    expected = _np(layer([x, small_mask], training=True))
    np.testing.assert_allclose(_np(layer([x, large_mask], training=True)), expected, rtol=1e-5, atol=1e-5)
    coarse = small_mask[:, ::2, ::2]  # 4 x 4 mask upsampled to 8 x 8 by pixel repetition
    np.testing.assert_allclose(
        _np(layer([x, coarse], training=True)),
        _np(layer([x, np.repeat(np.repeat(coarse, 2, axis=1), 2, axis=2)], training=True)),
        rtol=1e-5, atol=1e-5,
    )


def test_mirrored_strategy_on_two_cpus_matches_single_device_full_batch():
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    assert len(devices) >= 2, "tests/conftest.py configures two logical CPUs"
    x, mask = _data(seed=4, n=4)
    strategy = tf.distribute.MirroredStrategy(devices[:2])
    with strategy.scope():
        layer = SPADE(hidden_channels=4)
        layer.build([x.shape, mask.shape])
    reference = SPADE(hidden_channels=4)
    reference.build([x.shape, mask.shape])
    reference.set_weights(layer.get_weights())

    dataset = tf.data.Dataset.from_tensor_slices((x, mask)).batch(4)
    batch = next(iter(strategy.experimental_distribute_dataset(dataset)))

    @tf.function
    def step(inputs):
        return strategy.run(lambda xi, mi: layer([xi, mi], training=True), args=inputs)

    per_replica = strategy.experimental_local_results(step(batch))
    assert len(per_replica) == 2
    distributed = np.concatenate([_np(t) for t in per_replica])
    # Synchronised batch norm: each replica normalises with the statistics of the global batch.
    np.testing.assert_allclose(distributed, _np(reference([x, mask], training=True)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(_np(layer.norm.moving_mean), _np(reference.norm.moving_mean), rtol=1e-5, atol=1e-6)


def test_spectral_norm_option_and_config_round_trip(tmp_path):
    x, mask = _data(seed=5)
    layer = SPADE(hidden_channels=4, kernel_size=3, epsilon=1e-3, spectral_norm=True, name="spade")
    layer([x, mask], training=True)
    assert all(isinstance(l, keras.layers.SpectralNormalization) for l in (layer.shared, layer.gamma, layer.beta))
    config = layer.get_config()
    assert SPADE.from_config(config).get_config() == config
    assert config["normalization"] == "batch"
    old_config = {key: value for key, value in config.items() if key != "normalization"}  # files before the option
    assert SPADE.from_config(old_config).normalization == "batch"

    xin, min_ = keras.Input((8, 8, 5)), keras.Input((16, 16, 3))
    model = keras.Model([xin, min_], SPADE(hidden_channels=4, spectral_norm=True)([xin, min_]))
    model([x, np.repeat(np.repeat(mask, 2, 1), 2, 2)], training=True)
    model.save(tmp_path / "spade.keras")
    loaded = keras.models.load_model(tmp_path / "spade.keras")
    big = np.repeat(np.repeat(mask, 2, 1), 2, 2)
    np.testing.assert_allclose(_np(loaded([x, big])), _np(model([x, big])), rtol=1e-6, atol=1e-6)


def test_mixed_precision_output_dtype():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        x, mask = _data(seed=6)
        out = SPADE(hidden_channels=4)([x, mask], training=True)
        assert out.dtype == "float16" and np.all(np.isfinite(_np(out)))
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_errors_name_the_problem():
    x, mask = _data()
    layer = SPADE(hidden_channels=4)
    layer([x, mask])
    with pytest.raises(ValueError, match="3 channels"):
        layer([x, _one_hot(np.zeros((4, 8, 8), int), 4)])
    with pytest.raises(ValueError, match=r"\[x, mask\]"):
        SPADE()(x)
    with pytest.raises(ValueError, match="rank 4"):
        SPADE()([x[0], mask])
    with pytest.raises(ValueError, match="rank 4"):
        SPADE()([x, mask[..., 0]])
    with pytest.raises(ValueError, match="hidden_channels"):
        SPADE(hidden_channels=0)
    with pytest.raises(ValueError, match="epsilon"):
        SPADE(epsilon=0.0)
    with pytest.raises(ValueError, match="normalization.*layer"):
        SPADE(normalization="layer")


def test_unknown_spatial_sizes_resize_dynamically():
    x_in, m_in = keras.Input((None, None, 5)), keras.Input((None, None, 3))
    model = keras.Model([x_in, m_in], SPADE(hidden_channels=4)([x_in, m_in]))
    x, mask = _data(seed=7, size=8, mask_size=8)
    large = np.repeat(np.repeat(mask, 2, axis=1), 2, axis=2)
    np.testing.assert_allclose(_np(model([x, large])), _np(model([x, mask])), rtol=1e-5, atol=1e-5)
    bigger_x = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)
    assert model([bigger_x, mask]).shape == (4, 16, 16, 5)
