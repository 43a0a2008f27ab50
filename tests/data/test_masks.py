"""Synthetic ellipse masks and the fitted prior (acceptance 6)."""
import dataclasses

import numpy as np
import pytest
from scipy import ndimage

from specklegan_tf import BACKGROUND, INTIMA_MEDIA, LUMEN
from specklegan_tf.data import simulate_ivus
from specklegan_tf.data.masks import MaskPrior, fit_mask_prior, random_ivus_masks

SIZE = 64


@pytest.fixture(scope="module")
def prior():
    _, masks = simulate_ivus(30, image_size=SIZE, seed=7)
    return fit_mask_prior(masks)


@pytest.fixture(scope="module")
def synthetic(prior):
    return random_ivus_masks(40, image_size=SIZE, seed=3, prior=prior)


def test_shapes_and_labels(synthetic):
    assert synthetic.shape == (40, SIZE, SIZE) and synthetic.dtype == np.uint8
    for mask in synthetic:
        assert set(np.unique(mask)) == {LUMEN, INTIMA_MEDIA, BACKGROUND}


def test_lumen_inside_media_and_no_holes(synthetic):
    for mask in synthetic:
        lumen, vessel = mask == LUMEN, mask != BACKGROUND
        assert not np.any(ndimage.binary_dilation(lumen) & (mask == BACKGROUND))  # a wall all around the lumen
        for region in (lumen, vessel):
            assert np.array_equal(ndimage.binary_fill_holes(region), region)
            assert ndimage.label(region)[1] == 1  # one piece


def test_areas_within_the_fitted_prior(synthetic, prior):
    lumen = (synthetic == LUMEN).mean(axis=(1, 2))
    vessel = (synthetic != BACKGROUND).mean(axis=(1, 2))
    assert np.all((lumen >= prior.lumen_area[0]) & (lumen <= prior.lumen_area[1]))
    assert np.all((vessel >= prior.vessel_area[0]) & (vessel <= prior.vessel_area[1]))
    # They also spread over the range rather than sitting at one value.
    assert vessel.max() - vessel.min() > 0.3 * (prior.vessel_area[1] - prior.vessel_area[0])


def test_fitted_prior_covers_its_data_and_refits_consistently(prior, synthetic):
    refit = fit_mask_prior(synthetic)
    assert refit.vessel_area[0] >= prior.vessel_area[0] and refit.vessel_area[1] <= prior.vessel_area[1]
    assert refit.lumen_area[0] >= prior.lumen_area[0] and refit.lumen_area[1] <= prior.lumen_area[1]
    # Prior ranges are measured, not defaults.
    assert prior != MaskPrior()
    known_area = np.pi * 20**2 / SIZE**2  # a centred disc of radius 20 px: vessel area fraction
    disc = np.full((1, SIZE, SIZE), BACKGROUND, np.uint8)
    y, x = np.mgrid[:SIZE, :SIZE] - (SIZE - 1) / 2
    disc[0][np.hypot(x, y) < 20] = INTIMA_MEDIA
    disc[0][np.hypot(x, y) < 10] = LUMEN
    single = fit_mask_prior(disc)
    assert single.vessel_area[0] == pytest.approx(known_area, rel=0.03)
    assert single.lumen_fraction[0] == pytest.approx(0.25, rel=0.05)
    assert single.vessel_eccentricity[1] < 0.1 and single.vessel_offset[1] < 0.01


def test_default_prior_matches_the_phantom():
    _, masks = simulate_ivus(40, image_size=SIZE, seed=11)
    fitted, default = fit_mask_prior(masks), MaskPrior()
    for field in ("vessel_area", "lumen_area"):
        lo, hi = getattr(fitted, field)
        assert getattr(default, field)[0] <= lo + 0.01 and hi - 0.01 <= getattr(default, field)[1], field
    masks = random_ivus_masks(10, image_size=SIZE, seed=0)
    vessel = (masks != BACKGROUND).mean(axis=(1, 2))
    assert np.all((vessel >= default.vessel_area[0]) & (vessel <= default.vessel_area[1]))


def test_mask_depends_only_on_seed_and_index():
    a = random_ivus_masks(5, image_size=SIZE, seed=2)
    b = random_ivus_masks(5, image_size=SIZE, seed=2)
    c = random_ivus_masks(5, image_size=SIZE, seed=3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_bad_arguments():
    with pytest.raises(ValueError, match="vessel_area"):
        MaskPrior(vessel_area=(0.5, 0.2))
    with pytest.raises(TypeError, match="MaskPrior"):
        random_ivus_masks(1, image_size=SIZE, prior={"vessel_area": (0.1, 0.2)})
    with pytest.raises(ValueError, match="no lumen"):
        fit_mask_prior(np.full((2, SIZE, SIZE), INTIMA_MEDIA, np.uint8))
    impossible = dataclasses.replace(MaskPrior(), lumen_area=(0.5, 0.6), vessel_area=(0.1, 0.2))
    with pytest.raises(ValueError, match="prior"):
        random_ivus_masks(1, image_size=SIZE, prior=impossible)
