"""The speckle layer's XLA-compiled kernels against its plain TensorFlow form, and the polar adjoint tables."""
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.layers import SpeckleLayer
from specklegan_tf.layers.polar import (
    adjoint_table,
    cartesian_to_polar_table,
    polar_to_cartesian_table,
    resample,
    resample_adjoint,
)
from specklegan_tf.layers.speckle_kernel import compiled_kernel_allowed, plain_tensorflow_kernel


def outputs_and_gradients(layer, x, phases):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, phases=phases)
        # A loss that is not linear in y, so the gradient depends on every output value.
        loss = tf.reduce_sum(tf.sin(3.0 * y))
    return [y, *tape.gradient(loss, [x, *layer.trainable_weights])]


@pytest.mark.parametrize("polar", [False, True])
@pytest.mark.parametrize("attention", [False, True])
def test_compiled_kernel_matches_plain_ops_in_values_and_gradients(polar, attention):
    x = tf.random.stateless_uniform((2, 32, 48, 3), (1, 2))
    compiled = SpeckleLayer(polar=polar, attention=attention, compiled=True, seed=0)
    plain = SpeckleLayer(polar=polar, attention=attention, compiled=False, seed=0)
    compiled.build(x.shape)
    plain.build(x.shape)
    plain.set_weights(compiled.get_weights())
    phases = tf.random.stateless_uniform(compiled.phase_shape(x.shape), (3, 4), 0.0, 2 * np.pi)
    got = outputs_and_gradients(compiled, x, phases)
    expected = outputs_and_gradients(plain, x, phases)
    assert len(got) == len(expected) == 2 + len(compiled.trainable_weights)
    for g, e in zip(got, expected):
        assert float(tf.reduce_max(tf.abs(e))) > 0.0
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=0, atol=2e-5 * float(tf.reduce_max(tf.abs(e))))


def test_compiled_kernel_runs_inside_an_outer_xla_function():
    layer = SpeckleLayer(polar=True, seed=0)
    x = tf.random.stateless_uniform((2, 32, 32, 2), (5, 6))
    layer.build(x.shape)
    phases = tf.random.stateless_uniform(layer.phase_shape(x.shape), (7, 8), 0.0, 2 * np.pi)

    @tf.function(jit_compile=True)
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, phases=phases) ** 2)
        return loss, tape.gradient(loss, [x, layer.log_window])

    loss, (grad_x, grad_d) = step(x)
    with plain_tensorflow_kernel():
        with tf.GradientTape() as tape:
            tape.watch(x)
            reference = tf.reduce_sum(layer(x, phases=phases) ** 2)
        ref_x, ref_d = tape.gradient(reference, [x, layer.log_window])
    np.testing.assert_allclose(float(loss), float(reference), rtol=1e-5)
    np.testing.assert_allclose(grad_x.numpy(), ref_x.numpy(), atol=1e-4 * float(tf.reduce_max(tf.abs(ref_x))))
    np.testing.assert_allclose(grad_d.numpy(), ref_d.numpy(), rtol=1e-3, atol=1e-6)


def test_plain_kernel_context_restores_the_previous_state_after_an_error():
    assert compiled_kernel_allowed()
    with pytest.raises(RuntimeError, match="inside"):
        with plain_tensorflow_kernel():
            assert not compiled_kernel_allowed()
            with plain_tensorflow_kernel():
                pass
            assert not compiled_kernel_allowed()
            raise RuntimeError("inside")
    assert compiled_kernel_allowed()


def dense_matrix(indices, weights, num_sources):
    matrix = np.zeros((indices.shape[0], num_sources))
    np.add.at(matrix, (np.repeat(np.arange(indices.shape[0]), 4), indices.reshape(-1)), weights.reshape(-1))
    return matrix


@pytest.mark.parametrize("direction", ["to_polar", "to_cartesian"])
def test_resample_adjoint_is_the_transpose_of_resample(direction):
    height, width = 16, 24
    table = cartesian_to_polar_table if direction == "to_polar" else polar_to_cartesian_table
    indices, weights = table(height, width, height, width)
    matrix = dense_matrix(indices, weights, height * width)
    y = np.random.default_rng(0).normal(size=(2, height, width, 3)).astype(np.float32)
    # The transpose taken from the dense matrix, channel by channel.
    expected = np.einsum("ps,npc->nsc", matrix, y.reshape(2, -1, 3)).reshape(2, height, width, 3)
    padded = adjoint_table(indices, weights, height * width)
    for adjoint in ([padded] if padded is not None else []) + [None]:
        got = resample_adjoint(tf.constant(y), indices, weights, height, width, adjoint)
        np.testing.assert_allclose(got.numpy(), expected, atol=1e-5)
    # And the forward resampling is the matrix itself.
    forward = resample(tf.constant(y), indices, weights, height, width)
    np.testing.assert_allclose(forward.numpy().reshape(2, -1, 3),
                               np.einsum("ps,nsc->npc", matrix, y.reshape(2, -1, 3)), atol=1e-5)


def test_adjoint_table_is_padded_with_zero_weights_or_refused_when_too_long():
    indices, weights = polar_to_cartesian_table(64, 64, 64, 64)
    targets, target_weights = adjoint_table(indices, weights, 64 * 64)
    assert targets.shape == target_weights.shape and targets.shape[0] == 64 * 64
    np.testing.assert_allclose(target_weights.sum(), weights.sum(), rtol=1e-5)  # every weight placed once
    # Near the centre every radius-0 polar sample reads the same Cartesian pixels: far too many for padding.
    indices, weights = cartesian_to_polar_table(64, 64, 64, 64)
    assert adjoint_table(indices, weights, 64 * 64) is None


def test_compiled_flag_is_part_of_the_configuration():
    layer = SpeckleLayer(compiled=False)
    assert layer.get_config()["compiled"] is False
    assert SpeckleLayer.from_config(layer.get_config()).compiled is False
    assert SpeckleLayer().compiled is True
