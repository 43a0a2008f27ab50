"""StraightThroughClip: the value of a clip, the gradient of the identity (the Keras contract: test_keras_contract)."""
import keras
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.layers import StraightThroughClip


def test_forward_is_numpy_clip():
    x = np.random.default_rng(0).normal(0.0, 2.0, (4, 8, 8, 1)).astype("float32")
    got = keras.ops.convert_to_numpy(StraightThroughClip(-1.0, 0.5)(x))
    np.testing.assert_array_equal(got, np.clip(x, -1.0, 0.5))


def test_gradient_is_the_identity_inside_and_outside_the_range():
    x = tf.constant(np.linspace(-3.0, 3.0, 13, dtype="float32"))
    upstream = tf.constant(np.random.default_rng(1).normal(size=13).astype("float32"))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        straight = tf.reduce_sum(StraightThroughClip()(x) * upstream)
        hard = tf.reduce_sum(keras.activations.hard_tanh(x) * upstream)
    np.testing.assert_allclose(tape.gradient(straight, x).numpy(), upstream.numpy())
    # hard_tanh, the clip it replaces, passes nothing back from outside [-1, 1]:
    outside = np.abs(x.numpy()) > 1
    np.testing.assert_array_equal(tape.gradient(hard, x).numpy()[outside], 0.0)


def test_a_pixel_past_white_comes_back_where_hard_tanh_leaves_it():
    """Gradient descent on (clip(v) - 0.5)^2 from v = 2: the straight-through clip brings v to 0.5, the hard clip
    never moves it (the trap of a generator that has drawn tissue brighter than white)."""
    def descend(clip):
        v = tf.Variable(2.0)
        optimizer = keras.optimizers.SGD(0.1)
        for _ in range(100):
            with tf.GradientTape() as tape:
                loss = (clip(v) - 0.5) ** 2
            optimizer.apply_gradients([(tape.gradient(loss, v), v)])
        return float(v.numpy())

    assert descend(StraightThroughClip()) == pytest.approx(0.5, abs=1e-3)
    assert descend(keras.activations.hard_tanh) == 2.0


def test_mixed_precision_output_is_float16_and_clipped():
    y = StraightThroughClip(dtype="mixed_float16")(np.array([[-4.0, 0.3, 9.0]], dtype="float32"))
    assert keras.backend.standardize_dtype(y.dtype) == "float16"
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y).astype("float32"), [[-1.0, 0.3, 1.0]], atol=1e-3)


@pytest.mark.parametrize("kwargs, message", [
    ({"low": 1.0, "high": 1.0}, "`low` must be below `high`"),
    ({"low": 2.0, "high": -2.0}, "`low` must be below `high`"),
    ({"high": float("nan")}, "`high` must be a finite number"),
    ({"low": True}, "`low` must be a finite number"),
])
def test_bad_ranges_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StraightThroughClip(**kwargs)
