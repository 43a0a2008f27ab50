"""The IVUS phantom: speckle statistics, grain size over depth, masks, artefacts, determinism (acceptance 1-3)."""
import math
import warnings

import numpy as np
import pytest
from scipy import ndimage

from specklegan_tf import BACKGROUND, INTIMA_MEDIA, LUMEN
from specklegan_tf.data import PhantomParams, simulate_ivus
from specklegan_tf.data.phantom_geometry import CALCIUM, CATHETER, GUIDEWIRE

# Independent references: a Rayleigh envelope has mean/std = sqrt(pi / (4 - pi)) and its log (20 log10) has a
# standard deviation of (20 / ln 10) * pi / sqrt(24) dB.
RAYLEIGH_SNR = math.sqrt(math.pi / (4 - math.pi))
RAYLEIGH_LOG_STD_DB = 20 / math.log(10) * math.pi / math.sqrt(24)


def _uniform_region(extras, margin_mm=0.4):
    """Cells whose echogenicity is constant (not catheter) and at least ``margin_mm`` deeper than the catheter."""
    radii = extras["radii_mm"]
    constant = extras["echogenicity"] == 1.0
    keep = (radii > PhantomParams().catheter_radius_mm + margin_mm)[None, None, :]
    return constant & keep


def test_references_are_the_rayleigh_values():
    assert RAYLEIGH_SNR == pytest.approx(1.91, abs=0.01)
    assert RAYLEIGH_LOG_STD_DB == pytest.approx(5.57, abs=0.01)


def test_uniform_tissue_gives_fully_developed_speckle():
    _, _, extras = simulate_ivus(2, image_size=64, seed=3, return_envelope=True, uniform=True)
    region = _uniform_region(extras)
    # A narrow depth band, so that the residual (1 - tgc_fraction) attenuation does not widen the distribution.
    radii = extras["radii_mm"]
    band = region & ((radii > 2.0) & (radii < 2.6))[None, None, :]
    envelope = extras["envelope"][band]
    assert envelope.size > 5000
    assert envelope.mean() / envelope.std() == pytest.approx(1.91, abs=0.12)
    assert extras["log_envelope_db"][band].std() == pytest.approx(5.6, abs=0.6)
    assert envelope.mean() / envelope.std() == pytest.approx(RAYLEIGH_SNR, abs=0.12)


def test_echogenicity_region_of_a_normal_frame_is_rayleigh():
    # Blood is the one tissue without texture: read its region from the echogenicity map, away from borders.
    _, _, extras = simulate_ivus(3, image_size=64, seed=1, return_envelope=True, p_guidewire=0.0, ring_down_db=-80.0)
    blood_level = 10 ** (PhantomParams().echo_blood_db / 10)
    ratios, log_stds = [], []
    for k in range(3):
        blood = np.isclose(extras["echogenicity"][k], blood_level)
        blood = ndimage.binary_erosion(blood, iterations=12)  # beyond the PSF of neighbouring tissue
        blood &= (extras["radii_mm"] > 0.9)[None, :]  # beyond the ring-down
        # Normalise depth trends (TGC, attenuation) per depth sample before pooling.
        rows = np.where(blood, extras["envelope"][k], np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # depths without blood have no mean
            values = (rows / np.nanmean(rows, axis=0, keepdims=True))[blood]
        ratios.append(values.mean() / values.std())
        log_stds.append((20 * np.log10(values)).std())
    assert np.mean(ratios) == pytest.approx(1.91, abs=0.12)
    assert np.mean(log_stds) == pytest.approx(5.6, abs=0.6)


def test_sparse_scatterers_give_partially_developed_speckle():
    # Few scatterers per resolution cell: the envelope is no longer Rayleigh and mean/std drops well below 1.91.
    _, _, extras = simulate_ivus(1, image_size=64, seed=0, return_envelope=True, uniform=True,
                                 scatterer_density_per_mm2=30.0)
    band = _uniform_region(extras) & ((extras["radii_mm"] > 2.0) & (extras["radii_mm"] < 2.6))[None, None, :]
    envelope = extras["envelope"][band]
    assert envelope.mean() / envelope.std() < 1.6


def _lateral_fwhm(image, radius_px):
    """FWHM (pixels) of the tangential autocorrelation at a radius, from strips at the top, bottom, left, right."""
    size = image.shape[0]
    c = size / 2 - 0.5
    half = max(int(0.25 * radius_px), 8)
    curves = []
    for img in (image, image.T):  # rows at top/bottom, then columns at left/right
        for row in (int(round(c - radius_px)), int(round(c + radius_px))):
            for dr in range(-2, 3):
                strip = img[row + dr, int(c) - half: int(c) + half + 1].astype(float)
                strip -= strip.mean()
                ac = np.correlate(strip, strip, mode="full")[strip.size - 1:]
                curves.append(ac / ac[0])
    ac = np.mean(curves, axis=0)
    below = np.nonzero(ac < 0.5)[0][0]
    lag = below - 1 + (ac[below - 1] - 0.5) / (ac[below - 1] - ac[below])  # linear interpolation
    return 2 * lag


def test_speckle_grains_widen_laterally_with_depth():
    images, _ = simulate_ivus(3, image_size=256, seed=0, uniform=True)
    radius = 128
    near = np.mean([_lateral_fwhm(im, 0.3 * radius) for im in images])
    far = np.mean([_lateral_fwhm(im, 0.8 * radius) for im in images])
    assert far >= 1.5 * near, (near, far)


@pytest.fixture(scope="module")
def phantom_masks():
    return simulate_ivus(40, image_size=64, seed=0)


def test_images_and_masks_dtypes_and_labels(phantom_masks):
    images, masks = phantom_masks
    assert images.shape == masks.shape == (40, 64, 64)
    assert images.dtype == masks.dtype == np.uint8
    assert set(np.unique(masks)) == {LUMEN, INTIMA_MEDIA, BACKGROUND}


def test_lumen_inside_media_for_every_sample(phantom_masks):
    _, masks = phantom_masks
    for mask in masks:
        lumen = mask == LUMEN
        # No lumen pixel touches the background: the intima/media surrounds it everywhere.
        grown = ndimage.binary_dilation(lumen)
        assert not np.any(grown & (mask == BACKGROUND))
        vessel = mask != BACKGROUND
        assert np.array_equal(ndimage.binary_fill_holes(vessel), vessel)


def test_areas_vary_and_every_class_is_present(phantom_masks):
    _, masks = phantom_masks
    lumen = (masks == LUMEN).mean(axis=(1, 2))
    vessel = (masks != BACKGROUND).mean(axis=(1, 2))
    assert lumen.std() / lumen.mean() >= 0.15
    assert vessel.std() / vessel.mean() >= 0.15
    for label in (LUMEN, INTIMA_MEDIA, BACKGROUND):
        assert (masks == label).mean(axis=(1, 2)).min() >= 0.02


def test_frame_depends_only_on_seed_and_index(phantom_masks):
    images, masks = phantom_masks
    part_images, part_masks = simulate_ivus(3, image_size=64, seed=0, start=5)
    assert np.array_equal(part_images, images[5:8]) and np.array_equal(part_masks, masks[5:8])
    other, _ = simulate_ivus(3, image_size=64, seed=1, start=5)
    assert not np.array_equal(other, part_images)


def test_calcium_and_guidewire_cast_shadows():
    _, _, extras = simulate_ivus(2, image_size=64, seed=2, return_envelope=True, p_calcium=1.0, p_guidewire=1.0,
                                 p_side_branch=0.0)
    for k in range(2):
        tissue, level = extras["tissue"][k], extras["log_envelope_db"][k]
        for code in (CALCIUM, GUIDEWIRE):
            lines = np.nonzero((tissue == code).any(axis=1))[0]
            assert lines.size > 0
            free = np.setdiff1d(np.arange(tissue.shape[0]), lines)
            # Deep samples (last fifth of the A-line) on the line through the middle of the reflector vs. the same
            # depths on lines that miss it. (Narrow shadows fill in at depth as the beam widens, so the centre.)
            n_lines = tissue.shape[0]
            mean_angle = np.angle(np.mean(np.exp(2j * np.pi * lines / n_lines)))  # the lines may wrap around 0
            centre = int(round(mean_angle / (2 * np.pi) * n_lines)) % n_lines
            assert centre in lines
            deep = slice(4 * tissue.shape[1] // 5, None)
            assert level[centre, deep].mean() < level[free, deep].mean() - 10.0


def test_catheter_is_dark_and_outside_scan_is_black():
    images, _, extras = simulate_ivus(2, image_size=64, seed=0, return_envelope=True, ring_down_db=-80.0)
    assert (extras["tissue"][:, :, extras["radii_mm"] < 0.4] == CATHETER).all()
    assert images[:, 31:33, 31:33].max() < 40  # the catheter centre
    assert images[:, 0, 0].max() == 0  # the corners lie outside the scanned disc


def test_bad_parameters_are_named():
    with pytest.raises(TypeError, match="frequncy_mhz"):
        simulate_ivus(1, image_size=32, frequncy_mhz=20.0)
    with pytest.raises(ValueError, match="bandwidth"):
        simulate_ivus(1, image_size=32, bandwidth=-1.0)
    with pytest.raises(ValueError, match="p_calcium"):
        simulate_ivus(1, image_size=32, p_calcium=2.0)
    with pytest.raises(ValueError, match="image_size"):
        simulate_ivus(1, image_size=3)


def test_speckle_free_frames_are_the_frames_without_their_speckle():
    """``speckle_free_ivus`` draws the same vessels as ``simulate_ivus``: in tissue that is neither black nor white
    the frame is its speckle-free level plus log speckle of at most the Rayleigh spread (the scan conversion averages
    a little), whose mean lies below the level as a log-Rayleigh mean (-2.5 dB) does."""
    from specklegan_tf.data.phantom_speckle_free import speckle_free_ivus

    params = PhantomParams()
    images, masks = simulate_ivus(4, image_size=64, seed=5, start=2)
    levels, scanned = speckle_free_ivus(4, image_size=64, seed=5, start=2)
    assert levels.shape == images.shape and levels.dtype == np.float32 and scanned.shape == images.shape
    assert not np.any(images[~scanned])  # the frames are black outside the scanned disc
    tissue = scanned & (masks != LUMEN) & (levels > 30) & (levels < 225) & (images > 0) & (images < 255)
    residual_db = (images[tissue] - levels[tissue]) * params.dynamic_range_db / 255
    assert 0.7 * RAYLEIGH_LOG_STD_DB < residual_db.std() < 1.05 * RAYLEIGH_LOG_STD_DB  # 5.15 dB measured
    log_rayleigh_mean_db = -10 * np.euler_gamma / math.log(10)  # 20 log10 of a unit-power Rayleigh amplitude
    assert residual_db.mean() == pytest.approx(log_rayleigh_mean_db, abs=1.0)  # -2.50 dB measured
    assert np.corrcoef(images[tissue], levels[tissue])[0, 1] > 0.7  # 0.76 measured; another vessel: about 0
    # Another vessel's level does not explain this frame: the geometry is the frame's own.
    other, _ = speckle_free_ivus(4, image_size=64, seed=6, start=2)
    assert abs(np.corrcoef(images[tissue], other[tissue])[0, 1]) < 0.2


def test_a_uniform_phantom_has_a_smooth_speckle_free_level():
    from specklegan_tf.data.phantom_speckle_free import speckle_free_ivus

    levels, scanned = speckle_free_ivus(1, image_size=64, seed=0, uniform=True)
    row = levels[0, 32, 40:60]  # from the catheter towards the rim: no speckle, only the slow fall with depth
    assert np.all(np.abs(np.diff(row)) < 3.0)
    assert scanned[0, 32, 40] and not scanned[0, 0, 0]
