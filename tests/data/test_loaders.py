"""IVUS challenge loader, writer and generic folder loader: round trip (acceptance 4) and bad input (acceptance 5)."""
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from specklegan_tf import BACKGROUND, LUMEN
from specklegan_tf.data import (DataFormatError, load_dataset, load_image_folders, load_ivus_challenge, read_contour,
                                simulate_ivus, write_challenge_layout)
from specklegan_tf.data.contours import polygon_area
from specklegan_tf.data.phantom import main as phantom_cli

SIZE = 64


@pytest.fixture(scope="module")
def phantom():
    return simulate_ivus(3, image_size=SIZE, seed=4)


@pytest.fixture
def challenge(tmp_path, phantom):
    """A valid challenge-layout folder with three frames."""
    images, masks = phantom
    names = write_challenge_layout(tmp_path / "ivus", images, masks, names=["f1", "f2", "f3"])
    assert names == ["f1", "f2", "f3"]
    return tmp_path / "ivus"


@pytest.fixture
def folders(tmp_path, phantom):
    """A valid generic layout: images/*.png and labels/*.png."""
    images, masks = phantom
    (tmp_path / "gen" / "images").mkdir(parents=True)
    (tmp_path / "gen" / "labels").mkdir()
    for i, (image, mask) in enumerate(zip(images, masks)):
        Image.fromarray(image).save(tmp_path / "gen" / "images" / f"s{i}.png")
        Image.fromarray(mask).save(tmp_path / "gen" / "labels" / f"s{i}.png")
    return tmp_path / "gen"


# ----------------------------------------------------------------------------------------------- round trips


def test_challenge_round_trip_areas_match_polygons(challenge, phantom):
    images, masks = phantom
    data = load_ivus_challenge(challenge, image_size=SIZE)
    assert data.names == ["f1", "f2", "f3"] and data.skipped == []
    assert np.array_equal(data.images, images)  # same size: the PNGs are read back unchanged
    for k, name in enumerate(data.names):
        lumen_poly = polygon_area(read_contour(challenge / "LABELS" / f"lum_{name}.txt"))
        vessel_poly = polygon_area(read_contour(challenge / "LABELS" / f"med_{name}.txt"))
        lumen_px = np.count_nonzero(data.masks[k] == LUMEN)
        vessel_px = np.count_nonzero(data.masks[k] != BACKGROUND)
        assert lumen_px == pytest.approx(lumen_poly, rel=0.02)
        assert vessel_px == pytest.approx(vessel_poly, rel=0.02)
        # ... and with the phantom's own masks.
        assert lumen_px == pytest.approx(np.count_nonzero(masks[k] == LUMEN), rel=0.02)
        assert vessel_px == pytest.approx(np.count_nonzero(masks[k] != BACKGROUND), rel=0.02)


def test_challenge_contour_files_have_the_real_format(challenge):
    lines = (challenge / "LABELS" / "lum_f1.txt").read_text().splitlines()
    assert len(lines) == 360
    assert all(re.fullmatch(r"-?\d+\.\d, -?\d+\.\d", line) for line in lines)


def test_challenge_resizes_images_and_scales_contours(challenge, phantom):
    _, masks = phantom
    data = load_ivus_challenge(challenge, image_size=2 * SIZE)
    assert data.images.shape == (3, 2 * SIZE, 2 * SIZE)
    # Areas scale with the square of the size.
    assert np.count_nonzero(data.masks[0] == LUMEN) == pytest.approx(4 * np.count_nonzero(masks[0] == LUMEN), rel=0.03)


def test_phantom_cli_writes_a_loadable_challenge_folder(tmp_path):
    phantom_cli(["--out", str(tmp_path / "cli"), "--n", "2", "--seed", "1", "--image-size", "48"])
    assert sorted(p.name for p in (tmp_path / "cli" / "DCM").iterdir()) == ["frame_01_0001_003.png",
                                                                             "frame_01_0002_003.png"]
    data = load_dataset(tmp_path / "cli", image_size=48)
    images, _ = simulate_ivus(2, image_size=48, seed=1)
    assert np.array_equal(data.images, images)


def test_generic_loader_round_trip(folders, phantom):
    images, masks = phantom
    data = load_image_folders(folders / "images", folders / "labels", image_size=SIZE)
    assert data.names == ["s0", "s1", "s2"]
    assert np.array_equal(data.images, images) and np.array_equal(data.masks, masks)
    half = load_dataset(folders, image_size=SIZE // 2, n=2)
    assert half.images.shape == (2, SIZE // 2, SIZE // 2)
    assert set(np.unique(half.masks)) <= {0, 1, 2}


# ------------------------------------------------------------------------------------------------- bad input


def _write_lines(path: Path, lines):
    path.write_text("\n".join(lines) + "\n")


def _replace_line(path: Path, number: int, text: str):
    lines = path.read_text().splitlines()
    lines[number - 1] = text
    _write_lines(path, lines)


def _expect(error, path, call, line=None):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert str(path) in message, message
    if line is not None:
        assert f"{path}:{line}:" in message, message
    return message


def test_missing_contour_file(challenge):
    target = challenge / "LABELS" / "med_f2.txt"
    target.unlink()
    _expect(DataFormatError, target, lambda: load_ivus_challenge(challenge, image_size=SIZE))


def test_extra_contour_file_without_image(challenge):
    extra = challenge / "LABELS" / "lum_f9.txt"
    shutil.copy(challenge / "LABELS" / "lum_f1.txt", extra)
    _expect(DataFormatError, extra, lambda: load_ivus_challenge(challenge, image_size=SIZE))


@pytest.mark.parametrize("text", ["12.0; 13.0", "abc, 4.0", "1.0, 2.0, 3.0", "7.5"])
def test_malformed_contour_line(challenge, text):
    target = challenge / "LABELS" / "lum_f1.txt"
    _replace_line(target, 5, text)
    _expect(DataFormatError, target, lambda: load_ivus_challenge(challenge, image_size=SIZE), line=5)


@pytest.mark.parametrize("text", ["nan, 12.0", "12.0, inf"])
def test_non_finite_coordinate(challenge, text):
    target = challenge / "LABELS" / "med_f3.txt"
    _replace_line(target, 17, text)
    message = _expect(DataFormatError, target, lambda: load_ivus_challenge(challenge, image_size=SIZE), line=17)
    assert "finite" in message


def test_too_few_points(challenge):
    target = challenge / "LABELS" / "lum_f1.txt"
    _write_lines(target, target.read_text().splitlines()[:4])
    message = _expect(DataFormatError, target, lambda: load_ivus_challenge(challenge, image_size=SIZE))
    assert "4 points" in message


def test_empty_contour_file(challenge):
    target = challenge / "LABELS" / "med_f1.txt"
    target.write_text("")
    _expect(DataFormatError, target, lambda: load_ivus_challenge(challenge, image_size=SIZE))


def test_point_far_outside_the_image(challenge):
    target = challenge / "LABELS" / "med_f2.txt"
    _replace_line(target, 100, f"{10 * SIZE}.0, 20.0")
    message = _expect(DataFormatError, target, lambda: load_ivus_challenge(challenge, image_size=SIZE), line=100)
    assert "outside" in message


def test_lumen_not_inside_media(challenge):
    lumen = challenge / "LABELS" / "lum_f1.txt"
    media_xy = read_contour(challenge / "LABELS" / "med_f1.txt")
    centre = media_xy.mean(axis=0)
    grown = centre + 1.3 * (media_xy - centre)  # a "lumen" larger than the vessel, still inside the image
    _write_lines(lumen, [f"{x:.1f}, {y:.1f}" for x, y in grown])
    message = _expect(DataFormatError, lumen, lambda: load_ivus_challenge(challenge, image_size=SIZE))
    assert "not inside the media" in message


def test_unreadable_png(challenge):
    target = challenge / "DCM" / "f2.png"
    target.write_bytes(b"this is not a png at all")
    _expect(DataFormatError, target, lambda: load_ivus_challenge(challenge, image_size=SIZE))


def test_truncated_png(challenge):
    target = challenge / "DCM" / "f3.png"
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])
    message = _expect(DataFormatError, target, lambda: load_ivus_challenge(challenge, image_size=SIZE))
    assert "truncated" in message


def test_sixteen_bit_png_is_refused(challenge):
    target = challenge / "DCM" / "f1.png"
    gray = np.asarray(Image.open(target), dtype=np.uint16) * 257
    Image.fromarray(gray).save(target)
    assert Image.open(target).mode.startswith("I")
    message = _expect(DataFormatError, target, lambda: load_ivus_challenge(challenge, image_size=SIZE))
    assert "16-bit" in message and "refused" in message


def test_rgb_png_is_converted_with_a_warning(challenge, phantom):
    images, _ = phantom
    target = challenge / "DCM" / "f1.png"
    Image.fromarray(np.repeat(images[0][..., None], 3, axis=2)).save(target)  # gray stored as RGB
    with pytest.warns(UserWarning, match=re.escape(str(target))):
        data = load_ivus_challenge(challenge, image_size=SIZE)
    assert np.array_equal(data.images[0], images[0])  # equal channels: converted exactly
    colour = np.stack([images[0], images[0] // 2, images[0] // 3], axis=2)
    Image.fromarray(colour).save(target)
    with pytest.warns(UserWarning, match="colour image converted"):
        load_ivus_challenge(challenge, image_size=SIZE)


def test_empty_image_folder(challenge):
    for png in (challenge / "DCM").iterdir():
        png.unlink()
    _expect(DataFormatError, challenge / "DCM", lambda: load_ivus_challenge(challenge, image_size=SIZE))


def test_missing_folders(challenge, tmp_path):
    _expect(FileNotFoundError, tmp_path / "nowhere", lambda: load_ivus_challenge(tmp_path / "nowhere"))
    message = _expect(FileNotFoundError, challenge / "LABELS_obs1",
                      lambda: load_ivus_challenge(challenge, labels_dir="LABELS_obs1"))
    assert message.endswith("(label folders present: ['LABELS'])"), message
    shutil.rmtree(challenge / "DCM")
    _expect(FileNotFoundError, challenge / "DCM", lambda: load_ivus_challenge(challenge))


def test_skip_lists_every_bad_sample(challenge):
    _replace_line(challenge / "LABELS" / "lum_f2.txt", 3, "oops")
    shutil.copy(challenge / "LABELS" / "med_f1.txt", challenge / "LABELS" / "med_orphan.txt")
    with pytest.warns(UserWarning, match="skipped 2"):
        data = load_ivus_challenge(challenge, image_size=SIZE, on_error="skip")
    assert data.names == ["f1", "f3"]
    reasons = {s.name: s.reason for s in data.skipped}
    assert set(reasons) == {"f2", "med_orphan.txt"}
    assert "lum_f2.txt:3:" in reasons["f2"]
    with pytest.raises(ValueError, match="on_error"):
        load_ivus_challenge(challenge, on_error="ignore")


def test_generic_mismatched_sizes(folders):
    target = folders / "labels" / "s1.png"
    Image.fromarray(np.full((SIZE // 2, SIZE), 2, np.uint8)).save(target)
    message = _expect(DataFormatError, target, lambda: load_image_folders(folders / "images", folders / "labels"))
    assert str(folders / "images" / "s1.png") in message


def test_generic_labels_outside_classes(folders):
    target = folders / "labels" / "s2.png"
    labels = np.asarray(Image.open(target)).copy()
    labels[:3, :3] = 7
    Image.fromarray(labels).save(target)
    message = _expect(DataFormatError, target, lambda: load_image_folders(folders / "images", folders / "labels"))
    assert "[7]" in message


def test_generic_colour_label_map_is_refused(folders):
    target = folders / "labels" / "s0.png"
    labels = np.asarray(Image.open(target))
    Image.fromarray(np.repeat(labels[..., None], 3, axis=2)).save(target)
    message = _expect(DataFormatError, target, lambda: load_image_folders(folders / "images", folders / "labels"))
    assert "single-channel" in message


def test_generic_image_without_label_and_label_without_image(folders):
    missing = folders / "labels" / "s1.png"
    missing.unlink()
    _expect(DataFormatError, folders / "images" / "s1.png",
            lambda: load_image_folders(folders / "images", folders / "labels"))
    orphan = folders / "labels" / "zz.png"
    Image.fromarray(np.zeros((SIZE, SIZE), np.uint8)).save(orphan)
    _expect(DataFormatError, orphan, lambda: load_image_folders(folders / "images", folders / "labels"))
    with pytest.warns(UserWarning, match="skipped 2 sample"):
        data = load_image_folders(folders / "images", folders / "labels", image_size=SIZE, on_error="skip")
    assert data.names == ["s0", "s2"] and {s.name for s in data.skipped} == {"s1", "zz.png"}


def test_generic_empty_folder(folders):
    for png in (folders / "labels").iterdir():
        png.unlink()
    _expect(DataFormatError, folders / "labels", lambda: load_image_folders(folders / "images", folders / "labels"))


def test_load_dataset_names_the_path_and_the_accepted_forms(tmp_path):
    message = _expect(FileNotFoundError, "no_such_data", lambda: load_dataset("no_such_data"))
    assert "phantom" in message and "DCM" in message
    (tmp_path / "odd").mkdir()
    message = _expect(ValueError, tmp_path / "odd", lambda: load_dataset(tmp_path / "odd"))
    assert "images/" in message


def test_writer_refuses_masks_without_contours(tmp_path, phantom):
    images, masks = phantom
    no_lumen = masks.copy()
    no_lumen[1][no_lumen[1] == LUMEN] = 1
    with pytest.raises(ValueError, match=r"masks\[1\]"):
        write_challenge_layout(tmp_path / "w", images, no_lumen)
    with pytest.raises(ValueError, match="distinct"):
        write_challenge_layout(tmp_path / "w", images, masks, names=["a", "a", "b"])
    with pytest.raises(ValueError, match="shape"):
        write_challenge_layout(tmp_path / "w", images, masks[:, :10])


# ------------------------------------------------------------------ degenerate annotations (issue 14, item 10)


def test_lumen_contour_identical_to_media_is_refused_or_skipped(challenge):
    lumen, media = challenge / "LABELS" / "lum_f2.txt", challenge / "LABELS" / "med_f2.txt"
    shutil.copy(media, lumen)
    message = _expect(DataFormatError, lumen, lambda: load_ivus_challenge(challenge, image_size=SIZE))
    assert "no intima/media" in message and "med_f2.txt" in message
    with pytest.warns(UserWarning, match="skipped 1 sample"):
        data = load_ivus_challenge(challenge, image_size=SIZE, on_error="skip")
    assert data.names == ["f1", "f3"] and "no intima/media" in data.skipped[0].reason


def test_lumen_contour_of_zero_area_is_refused(challenge):
    lumen = challenge / "LABELS" / "lum_f1.txt"
    # A tiny ring inside one pixel, between pixel centres: a valid contour that encloses no pixel.
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    _write_lines(lumen, [f"{32.2 + 0.1 * np.cos(a):.3f}, {32.2 + 0.1 * np.sin(a):.3f}" for a in angles])
    message = _expect(DataFormatError, lumen, lambda: load_ivus_challenge(challenge, image_size=SIZE))
    assert "zero area" in message


def test_label_map_without_a_class_is_refused(folders):
    path = folders / "labels" / "s1.png"
    labels = np.asarray(Image.open(path))
    Image.fromarray(np.where(labels == LUMEN, BACKGROUND, labels).astype(np.uint8)).save(path)
    message = _expect(DataFormatError, path, lambda: load_image_folders(folders / "images", folders / "labels",
                                                                        image_size=SIZE))
    assert "no lumen" in message


def test_non_square_images_are_resized_with_a_warning_naming_the_file(folders):
    for folder in ("images", "labels"):
        path = folders / folder / "s0.png"
        Image.fromarray(np.asarray(Image.open(path))[:, : SIZE - 8]).save(path)
    with pytest.warns(UserWarning, match=r"1 image\(s\) are not square \(first: .*s0.png, 56x64\)") as record:
        data = load_image_folders(folders / "images", folders / "labels", image_size=SIZE)
    assert data.images.shape == (3, SIZE, SIZE)
    assert [w.filename for w in record] == [__file__]  # the warning points at the loader's caller


def test_the_skipped_samples_warning_points_at_the_loaders_caller(folders):
    (folders / "labels" / "s1.png").unlink()
    with pytest.warns(UserWarning, match="skipped 1 sample") as record:
        data = load_image_folders(folders / "images", folders / "labels", image_size=SIZE, on_error="skip")
    assert data.names == ["s0", "s2"] and "no label map" in data.skipped[0].reason
    assert [w.filename for w in record] == [__file__]


def test_n_train_larger_than_the_data_set_says_so(folders):
    with pytest.warns(UserWarning, match=r"--n-train 10 is larger than the data set .* \(3 samples\); using all 3"):
        data = load_dataset(str(folders), image_size=SIZE, n=10)
    assert len(data) == 3
