"""Log compression of the speckle envelope: the log of a Rayleigh amplitude has known moments."""
import math

import numpy as np
import pytest

from specklegan_tf.layers import SpeckleLayer

EULER_GAMMA = 0.5772156649


def test_log_compressed_constant_input_has_the_moments_of_log_rayleigh():
    """For E[A^2] = a^2 Rayleigh amplitudes, E[ln A] = ln a - gamma / 2 and std(ln A) = pi / sqrt(24)."""
    a = 3.0  # well above the 0.01 floor
    layer = SpeckleLayer(num_sizes=1, attention=False, compression="log", window_init=(16.0, 16.0),
                         reference_size=64, seed=0)
    values = layer(np.full((32, 64, 64, 1), a, "float32")).numpy().astype(np.float64)
    assert abs(values.mean() - (math.log(a) - EULER_GAMMA / 2)) < 0.02
    assert abs(values.std() - math.pi / math.sqrt(24)) < 0.03


def test_log_compression_is_the_log_of_the_plain_output_for_the_same_phases():
    x = np.random.default_rng(0).uniform(0.2, 2.0, (2, 32, 32, 2)).astype("float32")
    phases = np.random.default_rng(1).uniform(0, 2 * np.pi, (2, 32, 32, 2)).astype("float32")
    plain = SpeckleLayer(num_sizes=2, polar=True, attention=False, seed=0)
    compressed = SpeckleLayer(num_sizes=2, polar=True, attention=False, seed=0, compression="log")
    np.testing.assert_allclose(compressed(x, phases=phases).numpy(), np.log(plain(x, phases=phases).numpy() + 0.01),
                               rtol=1e-4, atol=1e-4)
    assert SpeckleLayer.from_config(compressed.get_config()).compression == "log"
    with pytest.raises(ValueError, match="compression"):
        SpeckleLayer(compression="sqrt")
