"""grain_by_depth: against speckle_statistics on the whole radius, and on two speckle geometries whose depth
dependence is known by construction (a grain of fixed width in pixels; a grain of fixed angle)."""
import math

import numpy as np
import pytest
from scipy import ndimage

from specklegan_tf.metrics import speckle_statistics
from specklegan_tf.metrics.depth_grain import grain_by_depth

from .conftest import rayleigh_speckle

SIZE = 96


def fixed_angle_speckle(n: int, size: int, sigma_radius_px: float, sigma_angle_deg: float, seed: int):
    """Rayleigh speckle made on a polar grid (Gaussian PSF of fixed radial width and fixed *angle*), then resampled
    to Cartesian pixels: its lateral grain in pixels grows in proportion to the radius, as a fixed-angle window's."""
    rng = np.random.default_rng(seed)
    angles, radii = 720, size // 2
    field = rng.normal(size=(n, angles, radii)) + 1j * rng.normal(size=(n, angles, radii))
    sigma = (0, sigma_angle_deg * angles / 360.0, sigma_radius_px)
    smooth = lambda part: ndimage.gaussian_filter(part, sigma, mode=("wrap", "wrap", "nearest"))  # noqa: E731
    polar = np.abs(smooth(field.real) + 1j * smooth(field.imag))
    rows, cols = np.mgrid[:size, :size] - (size / 2.0 - 0.5)
    radius = np.minimum(np.hypot(rows, cols), radii - 1)
    angle = np.mod(np.arctan2(rows, cols), 2 * np.pi) * angles / (2 * np.pi)
    images = np.stack([ndimage.map_coordinates(p, [angle, radius], order=1, mode="grid-wrap") for p in polar])
    return (images * (255.0 / images.max())).astype(np.float32)


@pytest.fixture(scope="module")
def tissue_masks():
    return np.full((6, SIZE, SIZE), 1, np.uint8)  # intima/media everywhere: one tissue class


def test_one_band_over_the_whole_radius_is_speckle_statistics(tissue_masks):
    images = rayleigh_speckle(6, SIZE, 2.0, seed=3)
    (whole,) = grain_by_depth(images, tissue_masks, edges=(0.0, 1.0))
    reference = speckle_statistics(images, tissue_masks)["intima_media"]
    for key in ("axial_grain_px", "lateral_grain_px", "lateral_grain_deg"):
        assert whole[key] == pytest.approx(reference[key], rel=1e-6)
    assert whole["pixels"] > 0 and whole["inner_px"] == 0 and whole["outer_px"] == SIZE / 2


def test_cartesian_speckle_keeps_its_width_in_pixels_and_narrows_in_angle(tissue_masks):
    near, far = grain_by_depth(rayleigh_speckle(6, SIZE, 2.0, seed=4), tissue_masks, edges=(0.2, 0.5, 1.0))
    assert far["lateral_grain_px"] / near["lateral_grain_px"] == pytest.approx(1.0, abs=0.2)
    assert far["axial_grain_px"] / near["axial_grain_px"] == pytest.approx(1.0, abs=0.2)
    assert far["lateral_grain_deg"] < 0.75 * near["lateral_grain_deg"]


def test_fixed_angle_speckle_widens_in_pixels_with_the_radius(tissue_masks):
    images = fixed_angle_speckle(6, SIZE, sigma_radius_px=1.5, sigma_angle_deg=4.0, seed=5)
    near, far = grain_by_depth(images, tissue_masks, edges=(0.2, 0.5, 1.0))
    assert far["lateral_grain_deg"] / near["lateral_grain_deg"] == pytest.approx(1.0, abs=0.2)
    # Mean radii of the bands' samples (uniform in radius on the polar grid): 16.8 and 36 px.
    assert far["lateral_grain_px"] / near["lateral_grain_px"] > 1.6
    # Field correlation of a Gaussian PSF of sd s: intensity FWHM 2 s sqrt(2 ln 2), here in degrees.
    assert near["lateral_grain_deg"] == pytest.approx(2 * 4.0 * math.sqrt(2 * math.log(2)), rel=0.25)


def test_an_empty_band_gives_nan_and_bad_edges_are_refused(tissue_masks):
    masks = tissue_masks.copy()
    rows, cols = np.mgrid[:SIZE, :SIZE] - (SIZE / 2.0 - 0.5)
    masks[:, np.hypot(rows, cols) < 0.5 * SIZE / 2] = 0  # lumen near the catheter: no tissue in the first band
    near, far = grain_by_depth(rayleigh_speckle(6, SIZE, 2.0, seed=6), masks, edges=(0.0, 0.4, 1.0))
    assert near["pixels"] == 0 and math.isnan(near["axial_grain_px"]) and math.isnan(near["lateral_grain_px"])
    assert far["pixels"] > 0 and far["lateral_grain_px"] > 0
    for edges in ((0.5,), (0.6, 0.3), (0.0, 1.2), (-0.1, 1.0)):
        with pytest.raises(ValueError, match="edges"):
            grain_by_depth(masks.astype(np.float32), masks, edges=edges)
