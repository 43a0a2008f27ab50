"""window_profile: the paper's rect or a Gaussian aperture of the same width; checked on the speckle's spectrum.

Independent reference: for a unit input, the speckle intensity ``|u|^2`` of a field ``u`` band-limited by a window
``w`` has the power spectrum of ``w``'s autocorrelation (plus the DC term). For a rect of edge ``d`` that support
ends at ``d`` bins; for a Gaussian of equivalent width ``d`` it has a Gaussian tail beyond it.
"""
import keras
import numpy as np
import pytest

from specklegan_tf.layers import SpeckleLayer
from specklegan_tf.layers.speckle import gaussian_window_1d, scaled_windows, soft_window_1d

SIZE, EDGE = 64, 12.0


def intensity_power_beyond(profile: str, cutoff: float) -> float:
    layer = SpeckleLayer(num_sizes=1, attention=False, seed=0, window_profile=profile, compiled=False,
                         initial_window_sizes=[EDGE], reference_size=SIZE, window_init=(1.0, float(SIZE)))
    intensity = np.asarray(layer(np.ones((32, SIZE, SIZE, 1), "float32")))[..., 0] ** 2
    power = np.abs(np.fft.fft2(intensity - intensity.mean(axis=(1, 2), keepdims=True))) ** 2
    power = power.mean(axis=0)
    freq = np.abs(np.fft.fftfreq(SIZE) * SIZE)
    beyond = np.maximum(freq[:, None], freq[None, :]) > cutoff
    return float(power[beyond].sum() / power.sum())


def test_gaussian_and_rect_windows_have_the_same_equivalent_width():
    widths = np.array([3.0, 8.0, 20.0], np.float32)
    np.testing.assert_allclose(np.asarray(gaussian_window_1d(widths, 256)).sum(axis=1), widths, rtol=1e-3)
    np.testing.assert_allclose(np.asarray(soft_window_1d(widths, 256)).sum(axis=1), widths, rtol=1e-3)
    # Both keep the mean power: the scaled windows' squares sum to the grid size.
    for profile in ("rect", "gaussian"):
        w = np.asarray(scaled_windows(widths, widths, (64, 64), profile))
        np.testing.assert_allclose((w ** 2).sum(axis=(1, 2)), 64 * 64, rtol=1e-4)


def test_rect_speckle_has_no_power_beyond_the_window_and_gaussian_speckle_has():
    # The rect's soft edge (about one bin) leaks a little beyond d; the Gaussian tail carries far more.
    rect, gaussian = intensity_power_beyond("rect", EDGE + 1), intensity_power_beyond("gaussian", EDGE + 1)
    assert rect < 0.002, rect
    assert gaussian > 5 * rect and gaussian > 0.005, (gaussian, rect)


@pytest.mark.parametrize("profile", ["rect", "gaussian"])
def test_both_profiles_give_fully_developed_speckle(profile):
    layer = SpeckleLayer(num_sizes=1, attention=False, seed=1, window_profile=profile, polar=False,
                         initial_window_sizes=[EDGE], reference_size=SIZE, window_init=(1.0, float(SIZE)))
    amplitude = np.asarray(layer(np.ones((16, SIZE, SIZE, 1), "float32")))[..., 0]
    # Rayleigh SNR (on the Cartesian grid: polar mode's bilinear resampling back averages neighbouring samples)
    assert abs(amplitude.mean() / amplitude.std() - 1.913) < 0.1


def test_profile_round_trips_and_is_validated():
    layer = SpeckleLayer(window_profile="gaussian")
    assert SpeckleLayer.from_config(layer.get_config()).window_profile == "gaussian"
    assert SpeckleLayer.from_config({k: v for k, v in layer.get_config().items()
                                     if k != "window_profile"}).window_profile == "rect"  # older files
    with pytest.raises(ValueError, match="window_profile"):
        SpeckleLayer(window_profile="hann")
    with pytest.raises(ValueError, match="profile"):
        scaled_windows(np.ones(1, "float32"), np.ones(1, "float32"), (8, 8), "hann")
