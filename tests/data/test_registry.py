"""load_dataset: the phantom cache (atomic .npz), folder dispatch, n; IVUSData."""
import numpy as np
import pytest

from specklegan_tf.data import IVUSData, load_dataset, simulate_ivus, write_challenge_layout
from specklegan_tf.data.registry import default_cache_dir, phantom_cache_path


def test_phantom_is_generated_once_and_cached(tmp_path):
    data = load_dataset("phantom", image_size=32, n=5, seed=2, cache_dir=tmp_path)
    files = list(tmp_path.iterdir())
    assert [f.suffix for f in files] == [".npz"]  # one file, no temporary left behind
    assert files[0] == phantom_cache_path(tmp_path, 32, 5, 2)
    images, masks = simulate_ivus(5, image_size=32, seed=2)
    assert np.array_equal(data.images, images) and np.array_equal(data.masks, masks)
    assert data.names == [f"phantom_{i:05d}" for i in range(5)]
    stamp = files[0].stat().st_mtime_ns
    again = load_dataset("phantom", image_size=32, n=5, seed=2, cache_dir=tmp_path)
    assert files[0].stat().st_mtime_ns == stamp  # read, not rewritten
    assert np.array_equal(again.images, data.images)


def test_damaged_cache_is_rebuilt(tmp_path):
    path = phantom_cache_path(tmp_path, 32, 3, 0)
    path.write_bytes(b"not an npz")
    data = load_dataset("phantom", image_size=32, n=3, cache_dir=tmp_path)
    assert np.array_equal(data.images, simulate_ivus(3, image_size=32)[0])
    with np.load(path) as f:
        assert f["images"].shape == (3, 32, 32)


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECKLEGAN_TF_CACHE", str(tmp_path / "env_cache"))
    assert default_cache_dir() == tmp_path / "env_cache"
    load_dataset("phantom", image_size=32, n=2)
    assert len(list((tmp_path / "env_cache").glob("phantom_*.npz"))) == 1


def test_folder_spec_dispatches_to_the_challenge_loader_and_takes_n(tmp_path):
    images, masks = simulate_ivus(3, image_size=32, seed=1)
    write_challenge_layout(tmp_path / "real", images, masks)
    data = load_dataset(str(tmp_path / "real"), image_size=32, n=2)
    assert data.names == ["frame_0001", "frame_0002"]
    assert np.array_equal(data.images, images[:2])
    with pytest.raises(ValueError, match="n must be"):
        load_dataset("phantom", n=0)


def test_ivus_data_checks_and_subsets():
    images = np.zeros((3, 8, 8), np.uint8)
    masks = np.full((3, 8, 8), 2, np.uint8)
    data = IVUSData(images, masks, ["a", "b", "c"])
    assert len(data) == 3 and data.subset([2, 0]).names == ["c", "a"]
    assert data.subset(slice(1, None)).names == ["b", "c"]
    with pytest.raises(ValueError, match="masks"):
        IVUSData(images, masks[:, :4], ["a", "b", "c"])
    with pytest.raises(ValueError, match="names"):
        IVUSData(images, masks, ["a"])
    with pytest.raises(ValueError, match="uint8"):
        IVUSData(images.astype(float), masks, ["a", "b", "c"])
    with pytest.raises(IndexError):
        data.subset([5])
