"""The depth-scaled lateral aperture (``lateral_aperture="depth_scaled"``) against a NumPy reference and physics.

The reference follows the documented definition (module docstring of ``specklegan_tf.layers.speckle_aperture``):
filter each A-line (radius axis) with the axial window, then each radius row (angle axis) with the angular window
of edge ``d_theta * (r / r_ref) ** gamma``, every row scaled to keep its mean power; polar resampling both ways.
"""
import numpy as np
import pytest
import keras
import tensorflow as tf

from layers_numpy_reference import autocorrelation_fwhm, cartesian_to_polar, polar_to_cartesian, soft_window
from specklegan_tf.layers import SpeckleLayer

SIZE = 32


def _reference(images, phases, d_rows, d_cols, gamma):
    """(N, H, W, C) -> (N, H, W, C * K) in float64, from the documented definition."""
    n, h, w, c = images.shape
    rows, cols = h, w  # the default polar grid
    polar = cartesian_to_polar(images.astype(np.float64), rows, cols)
    index = np.maximum(np.arange(rows), 0.5)
    ratio = index / ((rows - 1) / 2)
    out = np.empty((n, rows, cols, c * len(d_rows)))
    for k, (dr, dc) in enumerate(zip(d_rows, d_cols)):
        axial = soft_window(dr, rows)  # square grid: no stretching
        lateral = np.stack([soft_window(np.clip(dc * q**gamma, 1, SIZE), cols) for q in ratio])  # (rows, cols)
        lateral *= np.sqrt(rows * cols / (np.sum(axial**2) * np.sum(lateral**2, axis=1)))[:, None]
        for ch in range(c):
            field = polar[..., ch] * np.exp(1j * phases[..., ch])  # (N, rows, cols)
            field = np.fft.ifft(np.fft.fft(field, axis=1) * axial[None, :, None], axis=1)
            field = np.fft.ifft(np.fft.fft(field, axis=2) * lateral[None], axis=2)
            out[..., ch * len(d_rows) + k] = np.abs(field)
    return polar_to_cartesian(out, h, w)


def _layer(gamma, compiled=True, **kwargs):
    options = dict(num_sizes=2, polar=True, window_shape="rectangular", attention=False, seed=0,
                   reference_size=SIZE, window_init=(4.0, 10.0), initial_window_sizes=[(5.0, 7.0), (9.0, 6.0)], compiled=compiled)
    options.update(kwargs)
    return SpeckleLayer(lateral_aperture="depth_scaled", initial_aperture_exponent=gamma, **options)


MAPS = np.random.default_rng(0).uniform(0.2, 1.0, (2, SIZE, SIZE, 2)).astype("float32")
PHASES = np.random.default_rng(1).uniform(0, 2 * np.pi, (2, SIZE, SIZE, 2)).astype("float32")


@pytest.mark.parametrize("compiled", [False, True], ids=["reference", "compiled"])
@pytest.mark.parametrize("gamma", [0.0, 0.8])
def test_matches_the_numpy_reference(gamma, compiled):
    layer = _layer(gamma, compiled)
    out = layer(MAPS, phases=PHASES).numpy()
    sizes = layer.window_sizes
    expected = _reference(MAPS, PHASES, sizes[:, 0], sizes[:, 1], gamma)
    np.testing.assert_allclose(out, expected, atol=2e-5 * np.abs(expected).max())


@pytest.mark.parametrize("compiled", [False, True], ids=["reference", "compiled"])
def test_at_gamma_0_it_is_the_fixed_angle_layer(compiled):
    fixed = SpeckleLayer(num_sizes=2, polar=True, window_shape="rectangular", attention=False, seed=0,
                         reference_size=SIZE, window_init=(4.0, 10.0), initial_window_sizes=[(5.0, 7.0), (9.0, 6.0)], compiled=compiled)
    np.testing.assert_allclose(_layer(0.0, compiled)(MAPS, phases=PHASES).numpy(),
                               fixed(MAPS, phases=PHASES).numpy(), atol=1e-5)


def _arc_grain(gamma, rows_band):
    """Mean lateral grain in pixels of arc (angular autocorrelation FWHM x radius) over radius rows ``rows_band``,
    on the polar grid, of speckle on a constant image (64 px, many phase draws)."""
    size = 64
    layer = SpeckleLayer(num_sizes=1, polar=True, window_shape="rectangular", attention=False, seed=3,
                         reference_size=size, window_init=(4.0, 30.0), initial_window_sizes=[(20.0, 10.0)], lateral_aperture="depth_scaled",
                         initial_aperture_exponent=gamma, compiled=False)
    ones = np.ones((16, size, size, 1), "float32")
    layer.build(ones.shape)
    phases = np.random.default_rng(4).uniform(0, 2 * np.pi, layer.phase_shape(ones.shape)).astype("float32")
    from specklegan_tf.layers.speckle_aperture import _depth_scaled_polar_magnitudes, depth_scaled_windows

    windows = depth_scaled_windows(*layer._edge_lengths(), layer.aperture_exponent_weight, layer._grid)
    polar = _depth_scaled_polar_magnitudes(tf.constant(ones), tf.constant(phases), *windows).numpy()[..., 0]
    r_max = np.hypot((size - 1) / 2, (size - 1) / 2)
    grains = []
    for i in rows_band:
        centred = polar[:, i] - polar[:, i].mean(axis=1, keepdims=True)  # (N, angles)
        power = np.abs(np.fft.fft(centred, axis=1)) ** 2
        profile = np.fft.ifft(power.sum(0)).real
        radius = i * r_max / (size - 1)
        grains.append(autocorrelation_fwhm(profile / profile[0]) * radius * 2 * np.pi / size)
    return float(np.mean(grains))


def test_gamma_sets_how_the_lateral_grain_grows_with_depth():
    """gamma = 0: a fixed angle, so the grain in pixels grows with the radius (rows 12-14 to 32-34: radius 2.54x,
    grain measured 4.75 -> 11.31 px, 2.38x); gamma = 1: the angular window widens in proportion to the radius and
    the grain in pixels stays (10.57 -> 10.82 px, 1.02x); gamma = 0.5 gave 1.57x (sqrt(2.54) = 1.59)."""
    inner, outer = range(12, 15), range(32, 35)
    radius_ratio = np.mean(outer) / np.mean(inner)
    fixed_angle = _arc_grain(0.0, outer) / _arc_grain(0.0, inner)
    fixed_width = _arc_grain(1.0, outer) / _arc_grain(1.0, inner)
    assert fixed_angle == pytest.approx(radius_ratio, rel=0.15), (fixed_angle, radius_ratio)
    assert fixed_width == pytest.approx(1.0, abs=0.15), fixed_width


def test_the_exponent_learns_at_an_ordinary_learning_rate():
    """A loss that wants the outer half's angular grain finer and the inner half's coarser can only be met by a
    larger gamma; 200 Adam steps at lr 1e-3 raise it by more than 0.1 (Adam's ceiling is 0.2)."""
    layer = _layer(0.3, compiled=True, num_sizes=1, initial_window_sizes=[(8.0, 8.0)])
    x = np.ones((4, SIZE, SIZE, 1), "float32")
    layer.build(x.shape)
    phases = tf.constant(np.random.default_rng(5).uniform(0, 2 * np.pi, layer.phase_shape(x.shape)), tf.float32)
    optimizer = keras.optimizers.Adam(1e-3)
    from specklegan_tf.layers.speckle_aperture import _depth_scaled_polar_magnitudes, depth_scaled_windows

    def roughness(polar):  # along the angle, relative to the power
        return tf.reduce_mean((polar[:, :, 1:] - polar[:, :, :-1]) ** 2) / tf.reduce_mean(polar**2)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            windows = depth_scaled_windows(*layer._edge_lengths(), layer.aperture_exponent_weight, layer._grid)
            polar = _depth_scaled_polar_magnitudes(x, phases, *windows)
            loss = roughness(polar[:, : SIZE // 2]) - roughness(polar[:, SIZE // 2:])
        variables = [layer.aperture_exponent_weight]
        optimizer.apply(tape.gradient(loss, variables), variables)

    for _ in range(200):
        step()
    assert layer.aperture_exponent - 0.3 > 0.1, layer.aperture_exponent


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="polar=True"):
        SpeckleLayer(lateral_aperture="depth_scaled", polar=False)
    with pytest.raises(ValueError, match="lateral_aperture"):
        SpeckleLayer(lateral_aperture="widening", polar=True)
    with pytest.raises(ValueError, match="initial_aperture_exponent"):
        SpeckleLayer(lateral_aperture="depth_scaled", polar=True, initial_aperture_exponent=2.0)
    assert SpeckleLayer(polar=True).aperture_exponent is None
