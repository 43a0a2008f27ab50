"""``axis_power_ratio`` against images whose spectra are known by construction."""
import numpy as np
import pytest
from scipy import ndimage

from specklegan_tf.metrics.grid_artefact import axis_power_ratio


def test_white_noise_has_no_preferred_axis():
    noise = np.random.default_rng(0).normal(size=(64, 64, 64))
    ratios = axis_power_ratio(noise)
    assert set(ratios) == {2, 4, 8, 16}
    assert all(0.8 < ratio < 1.25 for ratio in ratios.values()), ratios


def test_alternating_columns_show_at_period_two_and_their_blur_does_not():
    rng = np.random.default_rng(1)
    # Columns alternating in sign with an amplitude that drifts along the rows: lines of a 2 px period.
    amplitude = ndimage.gaussian_filter1d(rng.normal(size=(16, 64, 1)), 4, axis=1)
    columns = amplitude * np.tile([1.0, -1.0], 32)[None, None, :]
    texture = rng.normal(size=(16, 64, 64)) * 0.2  # a fine isotropic texture on top, as speckle would be
    lined = axis_power_ratio(columns + texture, periods=(2,))[2]
    # A [1, 2, 1] / 4 filter along the rows removes the 2 px period (its response there is 0).
    blurred = axis_power_ratio(ndimage.convolve1d(columns, [0.25, 0.5, 0.25], axis=2, mode="wrap") + texture,
                               periods=(2,))[2]
    assert lined > 5, lined
    assert 0.7 < blurred < 1.4, blurred


def test_vertical_lines_with_a_period_of_four_px_show_at_four_only():
    rng = np.random.default_rng(2)
    lines = np.tile(np.array([1.0, 1.0, -1.0, -1.0]), 16)[None, None, :] * np.ones((8, 64, 1))
    images = lines + rng.normal(size=(8, 64, 64))
    ratios = axis_power_ratio(images, periods=(4, 8))
    assert ratios[4] > 10 and 0.7 < ratios[8] < 1.4, ratios


@pytest.mark.parametrize("bad, message", [(np.zeros((2, 8, 16)), "square"), (np.zeros((8, 8)), "shape")])
def test_bad_input_is_named(bad, message):
    with pytest.raises(ValueError, match=message):
        axis_power_ratio(bad)
    with pytest.raises(ValueError, match="periods"):
        axis_power_ratio(np.zeros((2, 8, 8)), periods=(3.5,))
