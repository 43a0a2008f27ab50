"""Acceptance 3: the texture Fréchet distance and KID on texture features see speckle (IVUS phantom)."""
import numpy as np
import pytest
from scipy import ndimage

from specklegan_tf.metrics import TextureFeatures, fid, kid, texture_frechet_distance


def _blurred(images: np.ndarray) -> np.ndarray:
    smooth = ndimage.gaussian_filter(images.astype(np.float64), sigma=(0, 2, 2))
    return np.clip(np.rint(smooth), 0, 255).astype(np.uint8)


def _speckle_replaced_by_white_noise(images: np.ndarray, masks: np.ndarray, seed: int) -> np.ndarray:
    """Per image and class, inside the imaged disc, Gaussian white noise with the region's mean and variance
    (so gray-value means, variances and anatomy stay, only the speckle's texture is gone)."""
    rng = np.random.default_rng(seed)
    size = images.shape[1]
    rows, cols = np.mgrid[:size, :size]
    disc = np.hypot(rows - (size - 1) / 2, cols - (size - 1) / 2) < size / 2 - 1
    noisy = images.astype(np.float64)
    for image, source, mask in zip(noisy, images, masks):
        for label in range(3):
            region = (mask == label) & disc
            if region.sum() > 1:
                values = source[region].astype(np.float64)
                image[region] = rng.normal(values.mean(), values.std(), region.sum())
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def texture_features(phantom_sets):
    (real, _), (other, other_masks) = phantom_sets
    extractor = TextureFeatures()
    return {
        "real": extractor(real),
        "other seed": extractor(other),
        "blurred": extractor(_blurred(other)),
        "white noise": extractor(_speckle_replaced_by_white_noise(other, other_masks, seed=0)),
    }


@pytest.mark.parametrize("altered", ["blurred", "white noise"])
def test_texture_frechet_distance_sees_speckle(texture_features, altered):
    same = fid(real_features=texture_features["real"], fake_features=texture_features["other seed"])
    changed = fid(real_features=texture_features["real"], fake_features=texture_features[altered])
    assert same <= changed / 3


@pytest.mark.parametrize("altered", ["blurred", "white noise"])
def test_texture_kid_sees_speckle(texture_features, altered):
    kwargs = dict(subsets=50, subset_size=16, seed=0)
    same, _ = kid(real_features=texture_features["real"], fake_features=texture_features["other seed"], **kwargs)
    changed, changed_std = kid(real_features=texture_features["real"], fake_features=texture_features[altered],
                               **kwargs)
    assert same <= changed / 3
    assert changed > 3 * changed_std


def test_texture_frechet_distance_convenience_equals_fid(phantom_sets):
    (real, _), (other, _) = phantom_sets
    assert texture_frechet_distance(real[:10], other[:10]) == pytest.approx(fid(real[:10], other[:10]))


def test_texture_features_shape_names_and_float_input(phantom_sets):
    (real, _), _ = phantom_sets
    extractor = TextureFeatures(batch_size=3)
    features = extractor(real[:5])
    assert features.shape == (5, extractor.dim) and extractor.dim == len(extractor.feature_names)
    assert features.dtype == np.float64 and np.all(np.isfinite(features))
    np.testing.assert_allclose(extractor(real[:5].astype(np.float32)), features, atol=1e-9)
    # Batching does not change anything.
    np.testing.assert_allclose(TextureFeatures(batch_size=32)(real[:5]), features)
    # A constant image still gives finite features.
    assert np.all(np.isfinite(extractor(np.full((2, 64, 64), 7, np.uint8))))


def test_texture_features_reject_bad_input():
    extractor = TextureFeatures()
    with pytest.raises(ValueError, match="images"):
        extractor(np.zeros((64, 64, 3, 2)))
    with pytest.raises(ValueError, match=r"\[0, 255\]"):
        extractor(np.full((2, 64, 64), -0.5, np.float32))
    with pytest.raises(ValueError, match="too small"):
        extractor(np.zeros((2, 8, 8), np.uint8))
    with pytest.raises(ValueError, match="levels"):
        TextureFeatures(levels=1)
    with pytest.raises(ValueError, match="batch_size"):
        TextureFeatures(batch_size=0)
