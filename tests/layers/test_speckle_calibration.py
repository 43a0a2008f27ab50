"""Initialisation of the speckle windows from a measured grain size: the layer's speckle then has that grain."""
import numpy as np
import pytest

from specklegan_tf import CLASS_NAMES
from specklegan_tf.layers import SpeckleLayer, tissue_grain, window_sizes_for_grain
from specklegan_tf.layers.speckle_calibration import measure_grain_curve
from specklegan_tf.metrics import speckle_statistics

SIZE = 64


@pytest.fixture(scope="module")
def curve():
    return measure_grain_curve(SIZE, polar=True, seed=0)


def _layer_grain(windows, window_shape, seed=7):
    """Grain of an independently built layer with these initial windows, on a constant image (another seed)."""
    layer = SpeckleLayer(num_sizes=len(windows), polar=True, attention=False, window_shape=window_shape,
                         reference_size=SIZE, window_init=(1.0, SIZE), initial_window_sizes=windows, seed=seed)
    out = layer(np.ones((16, SIZE, SIZE, 1), "float32")).numpy()
    k = len(windows) // 2  # a middle window
    masks = np.full(out.shape[:3], CLASS_NAMES.index("background"), np.uint8)
    stats = speckle_statistics(np.clip(out[..., k] * 60.0, 0, 255), masks)["background"]
    return stats["axial_grain_px"], stats["lateral_grain_px"], k


def test_the_calibration_curve_falls_as_the_window_grows(curve):
    for grains in (curve.axial_px, curve.lateral_px):
        assert np.all(np.isfinite(grains))
        assert grains[0] > 2.5 * grains[-1]
        assert np.mean(np.diff(grains) < 0) >= 0.8  # monotone up to estimator noise


def test_rectangular_windows_reproduce_an_axial_and_a_lateral_grain_that_differ(curve):
    target_axial, target_lateral = 3.0, 7.0
    windows = window_sizes_for_grain(target_axial, target_lateral, SIZE, polar=True, window_shape="rectangular",
                                     num_sizes=3, spread=(1.0, 1.0), curve=curve)
    axial, lateral, _ = _layer_grain(windows, "rectangular")
    assert abs(axial / target_axial - 1) < 0.15, (axial, windows)
    assert abs(lateral / target_lateral - 1) < 0.15, (lateral, windows)


def test_square_windows_take_the_geometric_mean_and_spread_like_the_paper(curve):
    windows = window_sizes_for_grain(3.0, 7.0, SIZE, polar=True, num_sizes=4, curve=curve)
    rect = window_sizes_for_grain(3.0, 7.0, SIZE, polar=True, window_shape="rectangular", num_sizes=4, curve=curve)
    np.testing.assert_allclose(windows, [np.sqrt(a * b) for a, b in rect], rtol=1e-9)
    np.testing.assert_allclose(windows[-1] / windows[0], 48.0 / 28.0, rtol=1e-9)


def test_tissue_grain_weights_the_tissue_classes_by_pixels_and_leaves_out_the_lumen():
    stats = {"lumen": {"pixels": 1000, "axial_grain_px": 50.0, "lateral_grain_px": 50.0},
             "intima_media": {"pixels": 100, "axial_grain_px": 2.0, "lateral_grain_px": 4.0},
             "background": {"pixels": 300, "axial_grain_px": 4.0, "lateral_grain_px": 8.0}}
    np.testing.assert_allclose(tissue_grain(stats), (3.5, 7.0))


def test_bad_targets_are_refused_by_name(curve):
    with pytest.raises(ValueError, match="axial_px"):
        window_sizes_for_grain(float("nan"), 3.0, SIZE, curve=curve)
    with pytest.raises(ValueError, match="window_shape"):
        window_sizes_for_grain(3.0, 3.0, SIZE, window_shape="round", curve=curve)


def test_the_speckle_detrend_box_is_odd_and_scales_with_the_image():
    from specklegan_tf.layers import speckle_detrend_px

    assert [speckle_detrend_px(s) for s in (32, 64, 128, 256, 512)] == [3, 5, 9, 19, 37]


def test_the_short_box_measures_the_phantoms_speckle_not_its_echo_texture():
    """The phantom's frames are its speckle-free echo (with tissue texture) plus log speckle; the frame minus the
    echo is the speckle alone, an independent reference. The short box's grain of the frames is closer to that
    speckle's grain than the evaluation's 49 px box, along both axes (at 128 px, n = 120: 1.76 / 5.34 px against
    4.56 / 10.17, speckle alone 1.44 / 4.15)."""
    from specklegan_tf.data import simulate_ivus
    from specklegan_tf.data.phantom_speckle_free import speckle_free_ivus
    from specklegan_tf.layers import speckle_detrend_px
    from specklegan_tf.metrics.speckle import DETREND_PX

    images, masks = simulate_ivus(12, SIZE, seed=3)
    levels, _ = speckle_free_ivus(12, SIZE, seed=3)
    speckle_alone = np.clip(images.astype(np.float32) - levels + 128.0, 0, 255)
    from specklegan_tf.layers.speckle_calibration import images_speckle_grain

    short = speckle_detrend_px(SIZE)
    reference = np.array(tissue_grain(speckle_statistics(speckle_alone, masks, detrend_px=short)))
    *with_short_box, box = images_speckle_grain(images, masks)
    with_short_box = np.array(with_short_box)
    assert box == short
    with_long_box = np.array(tissue_grain(speckle_statistics(images, masks, detrend_px=DETREND_PX)))
    assert np.all(np.abs(with_short_box / reference - 1) < np.abs(with_long_box / reference - 1)), (
        reference, with_short_box, with_long_box)
    assert np.all(with_long_box > 1.5 * reference)  # the long box pools the echo's texture


def test_the_curve_remembers_its_box_and_a_grain_of_another_box_is_refused(curve):
    from specklegan_tf.metrics.speckle import DETREND_PX

    assert curve.detrend_px == DETREND_PX
    short = measure_grain_curve(SIZE, polar=True, seed=0, num_windows=6, batch=4, detrend_px=5)
    long = measure_grain_curve(SIZE, polar=True, seed=0, num_windows=6, batch=4)
    assert short.detrend_px == 5 and long.detrend_px == DETREND_PX
    # The same speckle with a shorter local mean removed: every grain is shorter, the coarse ones most.
    assert np.all(short.axial_px < long.axial_px) and np.all(short.lateral_px < long.lateral_px)
    assert short.axial_px[0] < 0.5 * long.axial_px[0]
    with pytest.raises(ValueError, match="detrend_px"):
        window_sizes_for_grain(3.0, 7.0, SIZE, curve=curve, detrend_px=5)
