"""Physics of the speckle layer (issue 2, acceptance items 1-4 and 6): statistics, grain size, morphology, Eq. 2."""

import numpy as np
import keras
from scipy import ndimage

from specklegan_tf.layers import SpeckleLayer
from layers_numpy_reference import (
    autocorrelation_fwhm,
    cartesian_to_polar,
    polar_to_cartesian,
    speckle_layer_reference,
)


def _run(layer, x, **kwargs):
    return keras.ops.convert_to_numpy(layer(np.asarray(x, "float32"), **kwargs)).astype(np.float64)


def test_constant_input_gives_rayleigh_amplitude_with_unit_power():
    # Fully developed speckle: the field is circular complex Gaussian, so |u| is Rayleigh: mean/std = sqrt(pi/(4-pi)).
    layer = SpeckleLayer(num_sizes=1, window_init=(32.0, 32.0), attention=False, seed=11)
    out = _run(layer, np.ones((8, 256, 256, 1)))
    assert out.shape == (8, 256, 256, 1)
    assert abs(out.mean() / out.std() - 1.91) <= 0.08
    assert abs(np.mean(out**2) - 1.0) <= 0.05
    # Rayleigh amplitude with E[u^2] = 1 has median sqrt(ln 2) = 0.833.
    assert abs(np.median(out) - np.sqrt(np.log(2.0))) < 0.02


def test_output_power_equals_squared_constant_input():
    layer = SpeckleLayer(num_sizes=3, window_init=(5.0, 40.0), reference_size=64, attention=False, seed=2)
    out = _run(layer, np.full((8, 64, 64, 1), 3.0))
    # mean of squares = a^2 = 9 for every window size (within the sampling error of 8 x 64 x 64 px).
    np.testing.assert_allclose(np.mean(out**2, axis=(0, 1, 2)), 9.0, rtol=0.06)


def _amplitude_fwhm(maps: np.ndarray) -> float:
    """Mean FWHM (pixels) of the amplitude autocovariance along x and y, averaged over the batch."""
    centred = maps - maps.mean(axis=(1, 2), keepdims=True)
    power = np.abs(np.fft.fft2(centred, axes=(1, 2))) ** 2
    acf = np.fft.ifft2(power, axes=(1, 2)).real.mean(axis=0)
    acf /= acf[0, 0]
    return 0.5 * (autocorrelation_fwhm(acf[0, :]) + autocorrelation_fwhm(acf[:, 0]))


def test_grain_size_doubles_when_window_halves():
    layer = SpeckleLayer(num_sizes=2, window_init=(8.0, 16.0), reference_size=64, attention=False, seed=5)
    out = _run(layer, np.ones((8, 64, 64, 1)))
    np.testing.assert_allclose(layer.window_sizes, [8.0, 16.0])
    fwhm_d8, fwhm_d16 = _amplitude_fwhm(out[..., 0]), _amplitude_fwhm(out[..., 1])
    assert fwhm_d16 > 2.0  # a grain of several pixels, not pixel noise
    assert abs(fwhm_d8 / fwhm_d16 - 2.0) <= 0.3


def test_morphology_is_kept():
    x = np.ones((16, 64, 64, 4))
    x[:, :, 32:, :] = 0.5
    layer = SpeckleLayer(num_sizes=1, window_init=(16.0, 16.0), reference_size=64, attention=False, seed=3)
    out = _run(layer, x)
    # 8 px (two grains) away from the step at x=32 and from the circular wrap at x=0/63.
    ratio = out[:, :, 8:24].mean() / out[:, :, 40:56].mean()
    assert abs(ratio - 2.0) <= 0.1


def test_matches_numpy_eq2_given_the_same_phases():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 2.0, size=(2, 32, 48, 3))  # non-square: checks the per-axis window scaling too
    phases = rng.uniform(0.0, 2 * np.pi, size=x.shape)
    layer = SpeckleLayer(num_sizes=3, window_init=(6.0, 20.0), reference_size=32, attention=False)
    out = _run(layer, x, phases=phases.astype("float32"))
    reference = speckle_layer_reference(x, phases, layer.window_sizes.astype(np.float64))
    assert np.max(np.abs(out - reference)) / np.max(np.abs(reference)) < 1e-4
    assert np.linalg.norm(out - reference) / np.linalg.norm(reference) < 1e-4


def test_channel_attention_weights_match_numpy():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.0, 1.0, size=(2, 32, 32, 2))
    phases = rng.uniform(0.0, 2 * np.pi, size=x.shape)
    layer = SpeckleLayer(num_sizes=2, window_init=(8.0, 12.0), reference_size=32, attention=True)
    out = _run(layer, x, phases=phases.astype("float32"))
    w1, b1 = (np.asarray(v, np.float64) for v in layer.channel_attention.hidden.get_weights())
    w2, b2 = (np.asarray(v, np.float64) for v in layer.channel_attention.coefficients.get_weights())
    pooled = x.mean(axis=(1, 2))
    coefficients = 1.0 / (1.0 + np.exp(-(np.maximum(pooled @ w1 + b1, 0.0) @ w2 + b2)))
    reference = speckle_layer_reference(x, phases, layer.window_sizes) * coefficients[:, None, None, :]
    assert np.max(np.abs(out - reference)) / np.max(np.abs(reference)) < 1e-4


def test_polar_mode_matches_numpy_resampling_and_eq2():
    rng = np.random.default_rng(2)
    x = rng.uniform(0.1, 1.0, size=(2, 32, 32, 2))
    layer = SpeckleLayer(num_sizes=2, window_init=(6.0, 12.0), reference_size=32, polar=True, attention=False)
    phase_shape = layer.phase_shape(x.shape)
    assert phase_shape == (2, 32, 32, 2)
    phases = rng.uniform(0.0, 2 * np.pi, size=phase_shape)
    out = _run(layer, x, phases=phases.astype("float32"))
    polar = cartesian_to_polar(x, 32, 32)
    reference = polar_to_cartesian(speckle_layer_reference(polar, phases, layer.window_sizes), 32, 32)
    assert np.max(np.abs(out - reference)) / np.max(np.abs(reference)) < 1e-4


def _lateral_fwhm(images: np.ndarray, radius: float) -> float:
    """FWHM (pixels of arc) of the amplitude autocovariance along circles about the centre at ``radius``."""
    size = images.shape[1]
    c = (size - 1) / 2
    num = int(round(2 * np.pi * radius / 0.25))  # samples every 0.25 px of arc
    t = 2 * np.pi * np.arange(num) / num
    profiles = []
    for r in (radius - 1.0, radius, radius + 1.0):
        coords = [c + r * np.sin(t), c + r * np.cos(t)]
        for img in images:
            ring = ndimage.map_coordinates(img, coords, order=1)
            ring = ring - ring.mean()
            profiles.append(np.fft.ifft(np.abs(np.fft.fft(ring)) ** 2).real)
    acf = np.mean(profiles, axis=0)
    return autocorrelation_fwhm(acf / acf[0]) * 0.25


def test_polar_grains_widen_laterally_with_radius():
    layer = SpeckleLayer(num_sizes=1, reference_size=256, polar=True, attention=False, seed=4)
    out = _run(layer, np.ones((16, 64, 64, 1)))[..., 0]
    half = 32.0
    inner, outer = _lateral_fwhm(out, 0.3 * half), _lateral_fwhm(out, 0.8 * half)
    assert outer >= 1.5 * inner
