"""Acceptance 4: speckle statistics on simulated Rayleigh speckle (SNR 1.91, grain width scales)."""
import math

import numpy as np
import pytest

from specklegan_tf.metrics import SNR_RAYLEIGH, speckle_statistics

from .conftest import rayleigh_speckle


@pytest.fixture(scope="module")
def statistics_by_correlation():
    masks = np.full((6, 128, 128), 2, np.uint8)
    return {c: speckle_statistics(rayleigh_speckle(6, 128, c, seed=int(c)), masks)["background"] for c in (2.0, 4.0)}


def test_rayleigh_speckle_has_snr_1_91_and_nakagami_m_1(statistics_by_correlation):
    assert SNR_RAYLEIGH == pytest.approx(1.913, abs=1e-3)
    for stats in statistics_by_correlation.values():
        assert stats["snr"] == pytest.approx(1.91, abs=0.1)
        assert stats["nakagami_m"] == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("key", ["axial_grain_px", "lateral_grain_px"])
def test_grain_width_doubles_with_correlation_length(statistics_by_correlation, key):
    # (lateral_grain_deg does not double here: this speckle is isotropic in Cartesian pixels, so its angular
    # width saturates near the centre; IVUS beams have a constant angular width instead.)
    ratio = statistics_by_correlation[4.0][key] / statistics_by_correlation[2.0][key]
    assert ratio == pytest.approx(2.0, rel=0.15)


def test_axial_grain_matches_gaussian_psf_theory(statistics_by_correlation):
    # Field correlation exp(-d^2 / 4s^2) -> intensity correlation exp(-d^2 / 2s^2): FWHM = 2 s sqrt(2 ln 2).
    for correlation, stats in statistics_by_correlation.items():
        assert stats["axial_grain_px"] == pytest.approx(2 * correlation * math.sqrt(2 * math.log(2)), rel=0.15)


def test_classes_are_measured_separately():
    fine, coarse = rayleigh_speckle(4, 128, 1.5, seed=0), rayleigh_speckle(4, 128, 4.0, seed=1)
    rows, cols = np.mgrid[:128, :128]
    inner = np.hypot(rows - 63.5, cols - 63.5) < 40
    masks = np.where(inner, 1, 2).astype(np.uint8)[None].repeat(4, axis=0)
    stats = speckle_statistics(np.where(inner, fine, coarse), masks)
    assert stats["background"]["axial_grain_px"] > 1.8 * stats["intima_media"]["axial_grain_px"]
    assert stats["lumen"]["pixels"] == 0 and math.isnan(stats["lumen"]["snr"])
    assert stats["intima_media"]["pixels"] == 4 * inner.sum()


def test_bad_masks_raise():
    images = np.zeros((2, 32, 32), np.uint8)
    with pytest.raises(ValueError, match="masks"):
        speckle_statistics(images, np.zeros((2, 32, 31), np.uint8))
    with pytest.raises(ValueError, match="labels"):
        speckle_statistics(images, np.full((2, 32, 32), 3, np.uint8))
