"""``FixedGain``: the Euclidean projection onto non-negative weights with a fixed sum, checked against a
bisection for the threshold (an independent algorithm), inside a compiled optimizer step and through
serialisation."""
import numpy as np
import pytest
import keras
import tensorflow as tf

from specklegan_tf.models import FixedGain


def _projection_by_bisection(v: np.ndarray, gain: float) -> np.ndarray:
    """The projection is max(v - t, 0) with the t where the clipped sum equals ``gain``; that sum falls
    monotonically in t, so bisection finds t without sorting."""
    low, high = v.min() - gain, v.max()
    for _ in range(200):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if np.maximum(v - middle, 0).sum() > gain else (low, middle)
    return np.maximum(v - 0.5 * (low + high), 0)


@pytest.mark.parametrize("shape", [(5,), (1, 1, 32, 1), (3, 4)])
@pytest.mark.parametrize("gain", [0.05, 0.32, 1.5])
def test_projection_matches_bisection_and_lands_on_the_set(shape, gain):
    rng = np.random.default_rng(len(shape) * 10 + int(gain * 100))
    for scale in (0.01, 1.0, 10.0):
        v = (scale * rng.normal(size=shape)).astype("float32")
        got = keras.ops.convert_to_numpy(FixedGain(gain)(keras.ops.convert_to_tensor(v)))
        assert got.shape == v.shape
        np.testing.assert_allclose(got, _projection_by_bisection(v.astype("float64"), gain), atol=2e-6 * max(1, scale))
        assert got.min() >= 0 and got.sum() == pytest.approx(gain, rel=1e-5)


def test_a_kernel_on_the_set_is_unchanged_and_equal_weights_stay_equal():
    constraint = FixedGain(0.32)
    on_set = np.array([0.1, 0.0, 0.22], dtype="float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(constraint(on_set)), on_set, atol=1e-7)
    equal = np.full((1, 1, 8, 1), 0.7, dtype="float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(constraint(equal)), np.full_like(equal, 0.04), rtol=1e-5)


def test_compiled_adam_steps_keep_the_sum_and_move_weight_to_the_maps_the_loss_prefers():
    """A loss that wants the first two weights down and the last two up: the projected Adam steps (compiled with
    XLA) keep the sum and move the whole weight onto the last two maps, where unconstrained steps would only
    shift every weight by the same amount."""
    kernel = keras.Variable(np.full((1, 1, 4, 1), 0.08, dtype="float32"))
    kernel.constraint = FixedGain(0.32)  # as Layer.add_weight sets it; the optimizer applies it after each step
    optimizer = keras.optimizers.Adam(0.01)
    slopes = tf.constant([2.0, 1.0, -1.0, -2.0], shape=(1, 1, 4, 1))

    @tf.function(jit_compile=True)
    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(slopes * kernel)
        optimizer.apply([tape.gradient(loss, kernel)], [kernel])

    for _ in range(50):
        step()
    values = kernel.numpy().ravel()
    assert values.sum() == pytest.approx(0.32, rel=1e-5)
    np.testing.assert_allclose(values, [0.0, 0.0, 0.16, 0.16], atol=1e-6)


def test_configuration_round_trip_and_bad_gains():
    constraint = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(FixedGain(0.5)))
    assert isinstance(constraint, FixedGain) and constraint.gain == 0.5
    for bad in (0, -1.0, float("nan"), True, "0.3"):
        with pytest.raises(ValueError, match="FixedGain: `gain` must be a finite number > 0"):
            FixedGain(bad)
