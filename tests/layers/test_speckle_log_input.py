"""``input_domain="log"``: the speckle layer reads log amplitudes (log echogenicity), as the generator's ``"echo"``
route feeds it."""
import math

import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.layers import SpeckleLayer

EULER_GAMMA = 0.5772156649


@pytest.mark.parametrize("polar", [False, True])
def test_log_input_is_the_amplitude_layer_on_exp_of_the_input(polar):
    rng = np.random.default_rng(0)
    log_amplitude = rng.uniform(-2.0, 2.0, (2, 32, 32, 2)).astype("float32")
    phases = rng.uniform(0, 2 * np.pi, (2, 32, 32, 2)).astype("float32")
    plain = SpeckleLayer(num_sizes=2, polar=polar, attention=False, seed=0)
    from_log = SpeckleLayer(num_sizes=2, polar=polar, attention=False, seed=0, input_domain="log")
    expected = plain(np.exp(log_amplitude), phases=phases).numpy()
    got = from_log(log_amplitude, phases=phases).numpy()
    # The soft clip moves |x| <= 2 by at most exp(2 - 10) nepers (0.03 % of each input amplitude); an output pixel
    # sums many inputs with cancellation, so the error is bounded relative to the output's scale, not to the pixel.
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-3 * np.abs(expected).max())


def test_log_in_log_out_adds_log_rayleigh_speckle_to_a_constant_map():
    """For a constant log echogenicity x0 (well above the floor), log(|.| + 0.01) has the moments of the log of a
    Rayleigh amplitude of mean square exp(2 x0): mean x0 - gamma / 2, std pi / sqrt(24)."""
    x0 = 1.5
    layer = SpeckleLayer(num_sizes=1, attention=False, compression="log", input_domain="log",
                         window_init=(16.0, 16.0), reference_size=64, seed=0)
    values = layer(np.full((32, 64, 64, 1), x0, "float32")).numpy().astype(np.float64)
    assert abs(values.mean() - (x0 - EULER_GAMMA / 2)) < 0.02
    assert abs(values.std() - math.pi / math.sqrt(24)) < 0.03


def test_extreme_log_inputs_give_finite_outputs_and_gradients():
    layer = SpeckleLayer(num_sizes=2, polar=True, compression="log", input_domain="log", seed=0)
    x = tf.constant(np.linspace(-80.0, 80.0, 2 * 32 * 32).reshape(2, 32, 32, 1), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        loss = tf.reduce_sum(y)
    gradients = tape.gradient(loss, [x] + layer.trainable_weights)
    assert np.isfinite(y.numpy()).all()
    assert all(np.isfinite(g.numpy()).all() for g in gradients)
    # The output saturates at the soft clip's +-10 nepers: exp(10) * Rayleigh, log-compressed, stays below ~12.
    assert y.numpy().max() < 13.0


def test_input_domain_is_in_the_config_and_checked():
    layer = SpeckleLayer(input_domain="log", compression="log")
    assert SpeckleLayer.from_config(layer.get_config()).input_domain == "log"
    assert SpeckleLayer().input_domain == "amplitude"
    with pytest.raises(ValueError, match="`input_domain` must be one of"):
        SpeckleLayer(input_domain="decibel")
