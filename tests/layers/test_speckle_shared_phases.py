"""shared_phases: one phase field per image, so maps of the same shape get the same speckle pattern."""
import numpy as np
import pytest

from specklegan_tf.layers import SpeckleLayer


@pytest.mark.parametrize("polar", [False, True])
def test_identical_maps_get_identical_speckle_and_different_maps_share_the_pattern(polar):
    layer = SpeckleLayer(num_sizes=2, attention=False, shared_phases=True, polar=polar, seed=0)
    x = np.ones((2, 32, 32, 3), "float32")
    x[..., 2] = 2.0
    y = layer(x).numpy()
    assert layer.phase_shape(x.shape) == (2, 32, 32, 1)
    np.testing.assert_allclose(y[..., 0], y[..., 2], rtol=1e-5)  # map 0 and map 1, window 0
    np.testing.assert_allclose(y[..., 4], 2.0 * y[..., 0], rtol=1e-4, atol=1e-5)  # map 2 = 2 x map 0: same pattern
    assert np.abs(y[0, ..., 0] - y[1, ..., 0]).max() > 0.1  # but each image has its own


def test_explicit_phases_take_one_channel_and_per_map_phases_are_refused():
    layer = SpeckleLayer(num_sizes=1, attention=False, shared_phases=True, seed=0)
    x = np.ones((1, 16, 16, 2), "float32")
    phases = np.random.default_rng(0).uniform(0, 6, (1, 16, 16, 1)).astype("float32")
    y = layer(x, phases=phases).numpy()
    np.testing.assert_allclose(y[..., 0], y[..., 1], rtol=1e-6)
    with pytest.raises(ValueError, match="phases"):
        layer(x, phases=np.zeros((1, 16, 16, 2), "float32"))
    assert SpeckleLayer.from_config(layer.get_config()).shared_phases
