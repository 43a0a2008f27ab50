"""Cartesian <-> polar resampling: against scipy.ndimage.map_coordinates, exact adjoint gradients, errors."""

import numpy as np
import pytest
import keras
import tensorflow as tf

from specklegan_tf.layers import CartesianToPolar, PolarToCartesian
from layers_numpy_reference import cartesian_to_polar, polar_to_cartesian


def _np(x):
    return keras.ops.convert_to_numpy(x).astype(np.float64)


@pytest.mark.parametrize("shape, grid", [((24, 24), (None, None)), ((20, 28), (16, 40))])
def test_cartesian_to_polar_matches_scipy(shape, grid):
    x = np.random.default_rng(0).uniform(size=(2, *shape, 3)).astype("float32")
    layer = CartesianToPolar(*grid)
    out = _np(layer(x))
    radii, angles = grid[0] or shape[0], grid[1] or shape[1]
    assert out.shape == (2, radii, angles, 3) == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(out, cartesian_to_polar(x.astype(np.float64), radii, angles), atol=1e-5)


def test_polar_to_cartesian_matches_scipy_with_angle_wrap():
    polar = np.random.default_rng(1).uniform(size=(2, 16, 40, 2)).astype("float32")
    out = _np(PolarToCartesian(20, 28)(polar))
    assert out.shape == (2, 20, 28, 2)
    np.testing.assert_allclose(out, polar_to_cartesian(polar.astype(np.float64), 20, 28), atol=1e-5)


def test_round_trip_of_a_smooth_image_is_close():
    y, x = np.mgrid[0:48, 0:48] / 47.0
    image = (np.sin(3 * x) * np.cos(2 * y) + 1.0)[None, :, :, None].astype("float32")
    back = _np(PolarToCartesian(48, 48)(CartesianToPolar()(image)))
    assert np.abs(back - image).max() < 0.05


def test_gradient_is_the_exact_adjoint():
    # For a linear map A: <A x, y> = <x, A^T y>, and A^T y is the gradient of <A x, y> with respect to x.
    rng = np.random.default_rng(2)
    for layer, in_shape, out_shape in (
        (CartesianToPolar(), (1, 16, 16, 2), (1, 16, 16, 2)),
        (PolarToCartesian(16, 16), (1, 16, 16, 2), (1, 16, 16, 2)),
    ):
        x = tf.Variable(rng.normal(size=in_shape).astype("float32"))
        y = rng.normal(size=out_shape).astype("float32")
        with tf.GradientTape() as tape:
            inner = tf.reduce_sum(layer(x) * y)
        grad = _np(tape.gradient(inner, x))
        assert np.all(np.isfinite(grad)) and np.abs(grad).max() > 0
        np.testing.assert_allclose(np.sum(grad * _np(x)), _np(inner), rtol=1e-4)


def test_config_round_trip_and_errors():
    layer = CartesianToPolar(num_radii=12, num_angles=30)
    assert CartesianToPolar.from_config(layer.get_config()).get_config() == layer.get_config()
    back = PolarToCartesian(10, 20)
    assert PolarToCartesian.from_config(back.get_config()).get_config() == back.get_config()
    with pytest.raises(ValueError, match="known spatial size"):
        CartesianToPolar()(keras.Input((None, None, 1)))
    with pytest.raises(ValueError, match="rank 4"):
        CartesianToPolar()(np.ones((8, 8, 1), "float32"))
    with pytest.raises(ValueError, match="num_angles"):
        CartesianToPolar(num_angles=1)
    with pytest.raises(ValueError, match="height"):
        PolarToCartesian(0, 8)
