"""The evaluation report (Markdown/CSV/dict) and the multi-model comparison agree with the metric functions."""
import csv
import math

import numpy as np
import pytest

from specklegan_tf import CLASS_NAMES
from specklegan_tf.metrics import (
    FeatureExtractor,
    class_histogram_jsd,
    compare_models,
    evaluation_report,
    fid,
    kid,
    paired_ssim,
    speckle_statistics,
    texture_frechet_distance,
)


def _markdown_tables(markdown: str) -> list[list[list[str]]]:
    """The Markdown tables of ``markdown`` as lists of rows of stripped cells, without the ``|---|`` rules."""
    tables, rows = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(set(cell) <= {"-"} for cell in cells):
                rows.append(cells)
        elif rows:
            tables.append(rows)
            rows = []
    return tables


@pytest.fixture(scope="module")
def sets(phantom_sets):
    (real, real_masks), (other, other_masks) = phantom_sets
    real, real_masks, other, other_masks = real[:16], real_masks[:16], other[:16], other_masks[:16]
    brighter = np.clip(real.astype(np.int32) + 30, 0, 255).astype(np.uint8)
    return real, real_masks, other, other_masks, brighter


def test_report_rows_match_the_metric_functions(sets, tmp_path):
    real, real_masks, _, _, brighter = sets
    report = evaluation_report(real, real_masks, brighter, real_masks, kid_subsets=20, kid_subset_size=8)
    values = report.as_dict()
    assert values["texture_fd"] == pytest.approx(texture_frechet_distance(real, brighter))
    assert (values["kid_texture_mean"], values["kid_texture_std"]) == pytest.approx(
        kid(real, brighter, subsets=20, subset_size=8))
    jsd = class_histogram_jsd(real, real_masks, brighter, real_masks)
    for name in CLASS_NAMES:
        assert values[f"jsd_e-3_{name}"] == pytest.approx(1e3 * jsd[name])
    assert (values["ssim_mean"], values["ssim_std"]) == pytest.approx(paired_ssim(real, brighter))
    fake_speckle = speckle_statistics(brighter, real_masks)
    assert values["speckle_fake_intima_media_snr"] == pytest.approx(fake_speckle["intima_media"]["snr"])
    assert "fid_inception_v3" not in values  # no Inception features were given

    metrics_table, speckle_table = _markdown_tables(report.to_markdown())
    cells = {row[0]: row[1] for row in metrics_table[1:]}
    assert float(cells["Texture Fréchet distance"]) == pytest.approx(values["texture_fd"], rel=1e-3)
    assert cells["SSIM"] == f"{report.ssim_mean:.3f} ± {report.ssim_std:.3f}"
    kid_mean, kid_std = (float(part) for part in cells["KID (texture)"].split(" ± "))
    assert (kid_mean, kid_std) == pytest.approx((values["kid_texture_mean"], values["kid_texture_std"]), rel=1e-3)
    for name in CLASS_NAMES:
        jsd_row = next(value for label, value in cells.items() if label.startswith(f"JSD {name} "))
        assert float(jsd_row) == pytest.approx(values[f"jsd_e-3_{name}"], rel=1e-3)
    assert speckle_table[0] == ["Class", "Set", "SNR", "Nakagami m", "Axial grain [px]", "Lateral grain [px]"]
    assert len(speckle_table) == 1 + 2 * len(CLASS_NAMES)
    for name, which, *numbers in speckle_table[1:]:
        keys = ("snr", "nakagami_m", "axial_grain_px", "lateral_grain_px")
        prefix = f"speckle_{'real' if which == 'real' else 'fake'}_{name}_"
        assert [float(x) for x in numbers] == pytest.approx([values[prefix + key] for key in keys], rel=1e-3)

    report.to_csv(tmp_path / "report.csv")
    with open(tmp_path / "report.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["metric", "value"]
    for metric, value in rows[1:]:
        assert float(value) == pytest.approx(values[metric], nan_ok=True)


def test_ssim_only_for_images_generated_from_the_real_masks(sets):
    real, real_masks, other, other_masks, _ = sets
    report = evaluation_report(real, real_masks, other, other_masks, kid_subsets=5, kid_subset_size=8)
    assert report.ssim_mean is None and "n/a" in report.to_markdown()
    assert report.as_dict()["n_fake"] == 16 and math.isfinite(report.texture_fd)


def test_compare_models_side_by_side(sets, tmp_path):
    real, real_masks, other, other_masks, brighter = sets
    table = compare_models(real, real_masks, {"phantom": (other, other_masks), "brighter": (brighter, real_masks)},
                           kid_subsets=10, kid_subset_size=8)
    values = table.as_dict()
    assert list(values) == ["phantom", "brighter"]
    # The other phantom seed is closer to the real set than the brightened copy, in every class histogram.
    for name in CLASS_NAMES:
        assert values["phantom"][f"jsd_e-3_{name}"] < values["brighter"][f"jsd_e-3_{name}"]
    single = evaluation_report(real, real_masks, other, other_masks, kid_subsets=10, kid_subset_size=8)
    assert values["phantom"]["texture_fd"] == pytest.approx(single.texture_fd)
    markdown = table.to_markdown()
    assert markdown.splitlines()[0] == "| Metric | phantom | brighter |"
    table.to_csv(tmp_path / "comparison.csv")
    with open(tmp_path / "comparison.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["metric", "phantom", "brighter"] and len(rows) == len(values["phantom"]) + 1


def test_bad_arguments(sets):
    real, real_masks, *_ = sets
    with pytest.raises(ValueError, match="generated"):
        compare_models(real, real_masks, {})
    with pytest.raises(ValueError, match="fake_masks"):
        evaluation_report(real, real_masks, real, real_masks[:, :10])
    with pytest.raises(ValueError, match="real_images"):
        evaluation_report(real[..., :5, :5, None, None], real_masks, real, real_masks)


class _GrayMoments(FeatureExtractor):
    """A tiny real extractor (mean and std of each image) standing in for Inception in the FID row."""

    name, dim = "gray_moments", 2

    def extract_batch(self, images):
        flat = images.reshape(len(images), -1).astype(np.float64)
        return np.stack([flat.mean(axis=1), flat.std(axis=1)], axis=1) / 255.0


def test_given_features_add_a_fid_row_and_drive_kid(sets):
    real, real_masks, other, other_masks, _ = sets
    extractor = _GrayMoments(batch_size=5)
    report = evaluation_report(real, real_masks, other, other_masks, features=extractor, kid_subsets=10,
                               kid_subset_size=8)
    values = report.as_dict()
    assert values["fid_gray_moments"] == pytest.approx(fid(real, other, features=extractor))
    assert (values["kid_gray_moments_mean"], values["kid_gray_moments_std"]) == pytest.approx(
        kid(real, other, features=extractor, subsets=10, subset_size=8))
    assert values["texture_fd"] == pytest.approx(texture_frechet_distance(real, other))
    fid_cells = [row[1] for row in _markdown_tables(report.to_markdown())[0] if row[0] == "FID (gray_moments)"]
    assert [float(cell) for cell in fid_cells] == pytest.approx([values["fid_gray_moments"]], rel=1e-3)


def test_a_second_draw_gives_the_same_mask_ssim_of_the_two_draws(sets):
    from skimage.metrics import structural_similarity

    real, real_masks, other, _, brighter = sets
    ignores_z = compare_models(real, real_masks, {"ignores z": (brighter, real_masks, brighter),
                                                  "uses z": (brighter, real_masks, real),
                                                  "one draw": (brighter, real_masks)},
                               kid_subsets=5, kid_subset_size=8).as_dict()
    assert ignores_z["ignores z"]["same_mask_ssim"] == pytest.approx(1.0)
    by_hand = np.mean([structural_similarity(a.astype(float), b.astype(float), data_range=255)
                       for a, b in zip(brighter, real)])
    assert ignores_z["uses z"]["same_mask_ssim"] == pytest.approx(by_hand)
    assert "same_mask_ssim" not in ignores_z["one draw"]
    # The first draw's metrics do not depend on the second draw.
    assert ignores_z["uses z"]["texture_fd"] == ignores_z["one draw"]["texture_fd"]
    with pytest.raises(ValueError, match="second draw"):
        compare_models(real, real_masks, {"m": (brighter, real_masks, brighter[:3])})
