"""The ablation report reads evaluate_gan's CSV and the run histories and computes its columns correctly."""
import csv
import json

import numpy as np
import pytest

from specklegan_tf.experiments.ablation_report import grain_error, layer_grain, read_evaluation, window_columns
from specklegan_tf.layers.speckle_calibration import GrainCurve


def test_grain_error_is_the_mean_relative_error_over_tissue_classes_and_axes():
    metrics = {}
    for name, real, fake in (("intima_media", (2.0, 4.0), (3.0, 4.0)), ("background", (5.0, 10.0), (5.0, 5.0))):
        for axis, r, f in zip(("axial", "lateral"), real, fake):
            metrics[f"speckle_real_{name}_{axis}_grain_px"] = r
            metrics[f"speckle_fake_{name}_{axis}_grain_px"] = f
    assert grain_error(metrics) == pytest.approx((0.5 + 0.0 + 0.0 + 0.5) / 4)


def test_window_columns_of_square_rectangular_and_baseline_histories():
    assert window_columns({"train": {"d_loss": 1.0}}) is None
    np.testing.assert_array_equal(window_columns({"train": {"window_1": 4.0, "window_0": 2.0}}), [2.0, 4.0])
    rect = {"train": {"window_0_rows": 1.0, "window_0_cols": 2.0, "window_1_rows": 3.0, "window_1_cols": 4.0}}
    np.testing.assert_array_equal(window_columns(rect), [[1.0, 2.0], [3.0, 4.0]])


def test_layer_grain_reads_the_curve_at_the_geometric_mean_window():
    curve = GrainCurve(64, True, np.array([2.0, 8.0, 32.0]), np.array([16.0, 4.0, 1.0]), np.array([32.0, 8.0, 2.0]))
    assert layer_grain(np.array([4.0, 16.0]), curve) == pytest.approx((4.0, 8.0))
    assert layer_grain(np.array([[8.0, 2.0]]), curve) == pytest.approx((4.0, 32.0))


def test_read_evaluation_gives_one_dictionary_per_run(tmp_path):
    path = tmp_path / "report.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows([["metric", "a", "b"], ["texture_fd", "0.5", "0.25"], ["fid", "", "1.0"]])
    table = read_evaluation(path)
    assert table["a"]["texture_fd"] == 0.5 and table["b"]["fid"] == 1.0 and np.isnan(table["a"]["fid"])


def test_a_budgets_speckle_options_reach_only_the_speckle_runs_and_diff_augment_both(tmp_path):
    import dataclasses

    from specklegan_tf.experiments.budgets import get_budget
    from specklegan_tf.experiments.paper_experiment import gan_config

    budget = dataclasses.replace(get_budget("cpu128"), diff_augment="color", generator_ema=0.99, diversity_weight=1.0,
                                 speckle_options=get_budget("cpu128").speckle_options + (("direct_gain", 0.3),))
    speckle = gan_config(budget, "speckle", 50, 0, "phantom", 0, tmp_path / "s", None)
    baseline = gan_config(budget, "baseline", 50, 0, "phantom", 0, tmp_path / "b", None)
    assert (speckle.speckle_init, speckle.window_shape, speckle.speckle_compression) == ("data", "rectangular", "log")
    assert (baseline.speckle_init, baseline.window_shape, baseline.speckle_compression) == ("paper", "square", "none")
    assert (speckle.speckle_route, baseline.speckle_route) == ("direct", "last_block")  # the baseline has no speckle path
    assert speckle.diff_augment == baseline.diff_augment == "color"
    assert speckle.generator_ema == baseline.generator_ema == 0.99
    assert speckle.diversity_weight == baseline.diversity_weight == 1.0
    assert (speckle.direct_gain, baseline.direct_gain) == (0.3, 0.0)
    with pytest.raises(ValueError, match="generator_ema"):
        dataclasses.replace(budget, generator_ema=1.0)
    with pytest.raises(ValueError, match="diversity_weight"):
        dataclasses.replace(budget, diversity_weight=-1.0)
    # Manifests of experiments started before the option existed still match an unchanged budget.
    assert "generator_ema" not in get_budget("cpu128").to_dict() and budget.to_dict()["generator_ema"] == 0.99
    assert "diversity_weight" not in get_budget("cpu128").to_dict() and budget.to_dict()["diversity_weight"] == 1.0
    assert speckle.epochs == baseline.epochs and speckle.lr == baseline.lr and speckle.width == baseline.width
    with pytest.raises(ValueError, match="speckle_options"):
        dataclasses.replace(budget, speckle_options=(("lr", "1"),))


def test_speckle_share_table_has_one_row_per_direct_route_run(tmp_path):
    import keras

    from specklegan_tf.data import random_ivus_masks, to_one_hot
    from specklegan_tf.evaluation.speckle_share import speckle_share
    from specklegan_tf.experiments.ablation_report import speckle_share_lines
    from specklegan_tf.models import build_generator

    keras.utils.set_random_seed(0)
    generator = build_generator(32, latent_dim=8, width=0.125, speckle=True, speckle_route="direct")
    kernel = generator.get_layer("speckle_to_image").kernel
    kernel.assign(np.full(kernel.shape, 0.1, "float32"))
    for name, route in (("direct", "direct"), ("paper", "last_block")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.yaml").write_text(f"image_size: 32\nspeckle_route: {route}\n")
        generator.save(tmp_path / name / "generator_final.keras")
    lines = speckle_share_lines(tmp_path, ["direct", "paper"], masks=4)
    rows = [line for line in lines if line.startswith("| direct |") or line.startswith("| paper |")]
    assert len(rows) == 1 and rows[0].startswith("| direct |")
    share = speckle_share(generator, to_one_hot(random_ivus_masks(4, 32, seed=0)))
    cells = [float(cell) for cell in rows[0].strip("|").split("|")[1:]]
    assert cells == pytest.approx([share["speckle_std"], share["baseline_std"], share["ratio"], share["kernel_l2"]],
                                  abs=6e-4)
    assert cells[3] == pytest.approx(0.1 * np.sqrt(kernel.shape[2]), abs=1e-4)  # the 1x1 kernel's L2 norm
    assert speckle_share_lines(tmp_path, ["paper"]) == []
    assert "starts at zero (zero 1x1 kernel)" in lines[-1]
    (tmp_path / "direct" / "config.yaml").write_text("image_size: 32\nspeckle_route: direct\ndirect_gain: 0.3\n")
    assert "direct_gain 0.3 in these runs" in speckle_share_lines(tmp_path, ["direct"], masks=4)[-1]


def test_window_row_reads_each_end_on_the_curve_of_its_own_aperture_exponent(tmp_path):
    """A depth-scaled run: the row shows gamma at the start and the end, and each end's layer grain is the one of
    a calibration curve measured at that end's exponent."""
    from specklegan_tf.experiments.ablation_report import _window_row
    from specklegan_tf.layers.speckle_calibration import measure_grain_curve

    run = tmp_path / "depth"
    run.mkdir()
    (run / "config.yaml").write_text("image_size: 32\npolar: true\nlateral_aperture: depth_scaled\n")
    history = [{"train": {"window_0": 6.0, "window_1": 9.0, "aperture_exponent": gamma}} for gamma in (0.5, 1.0)]
    curves = {}
    row = _window_row(tmp_path, "depth", history, curves)
    assert "(γ 0.50 → 1.00)" in row and len(curves) == 2
    cells = row.strip("|").split("|")
    for cell, gamma in zip((cells[3], cells[4]), (0.5, 1.0)):
        curve = measure_grain_curve(32, True, lateral_aperture="depth_scaled", aperture_exponent=gamma)
        expected = layer_grain(np.array([6.0, 9.0]), curve)
        assert [float(v) for v in cell.split("/")] == pytest.approx(expected, abs=0.006)
    assert _window_row(tmp_path, "depth", [{"train": {"d_loss": 1.0}}] * 2, curves) is None  # the baseline


def test_window_row_names_given_windows_and_the_datas_grain_from_speckle_init(tmp_path):
    """The last cell says where the initial windows came from: the data's measured grain (--speckle-init data),
    given windows (--speckle-windows R C, whose record has no data grain) or the paper's initialisation."""
    from specklegan_tf.experiments.ablation_report import _window_row

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("image_size: 32\npolar: false\n")
    history = [{"train": {"window_0": 6.0, "window_1": 9.0}}] * 2
    curves = {}
    assert _window_row(tmp_path, "run", history, curves).endswith("| n/a (paper init) |")
    (run / "speckle_init.json").write_text(json.dumps({"given_centre_window": [7.0, 7.0]}))
    assert _window_row(tmp_path, "run", history, curves).endswith("| n/a (given windows) |")
    (run / "speckle_init.json").write_text(json.dumps({"data_grain_px": {"axial": 2.5, "lateral": 4.25}}))
    assert _window_row(tmp_path, "run", history, curves).endswith("| 2.50 / 4.25 |")
    assert len(curves) == 1  # one calibration curve serves all three rows


def test_optional_columns_read_the_evaluation_and_mark_older_ones():
    from specklegan_tf.experiments.ablation_report import _optional

    assert _optional({"darker_than_real_fraction": 3 / 435}, "darker_than_real_fraction", ".1%") == "0.7%"
    assert _optional({"same_mask_ssim": 0.41234}, "same_mask_ssim", ".3f") == "0.412"
    assert _optional({"darker_than_real_fraction": float("nan")}, "darker_than_real_fraction", ".1%") == "n/a"
    assert _optional({"texture_fd": 0.1}, "same_mask_ssim", ".3f") == "n/a"  # an evaluation.csv from before the row


def test_report_rows_count_images_darker_and_brighter_than_every_real_one(tmp_path):
    # One baseline run whose whole set is brighter than the brightest real frame (round 34's seed 3 of SpeckleGAN
    # did this while scoring well on texture FD): the row must say so next to the darker fraction.
    from specklegan_tf.experiments.ablation_report import summarise

    grains = {f"speckle_{who}_{c}_{a}_grain_px": 2.0 for who in ("real", "fake")
              for c in ("intima_media", "background") for a in ("axial", "lateral")}
    metrics = {"n_real": 435, "texture_fd": 0.17, "kid_texture_mean": 0.009, "jsd_e-3_lumen": 35.0,
               "jsd_e-3_intima_media": 59.0, "jsd_e-3_background": 75.0, "ssim_mean": 0.21,
               "darker_than_real_fraction": 0.0, "brighter_than_real_fraction": 1.0, "same_mask_ssim": 0.54, **grains}
    (tmp_path / "evaluation").mkdir()
    with open(tmp_path / "evaluation" / "report.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([["metric", "baseline"]] + [[k, str(v)] for k, v in metrics.items()])
    (tmp_path / "baseline").mkdir()
    (tmp_path / "baseline" / "config.yaml").write_text("image_size: 32\nmodel: baseline\n")
    (tmp_path / "baseline" / "history.jsonl").write_text(
        "".join(json.dumps({"epoch": e, "train": {"d_real": 0.6, "d_fake": 0.4}}) + "\n" for e in (1, 2)))
    report = summarise(tmp_path)
    assert "| darker / brighter than every real image |" in report
    row = next(line for line in report.splitlines() if line.startswith("| baseline | 0.1700 |"))
    assert "| 0.0% / 100.0% | 0.540 | 0.60 / 0.40 |" in row


def test_term_grain_table_scores_the_evaluated_generator_of_each_direct_route_run(tmp_path):
    import json

    import keras

    from specklegan_tf.data import random_ivus_masks
    from specklegan_tf.evaluation.term_grain import term_grain
    from specklegan_tf.experiments.ablation_report import term_grain_lines
    from specklegan_tf.models import build_generator

    keras.utils.set_random_seed(0)
    final = build_generator(64, latent_dim=8, width=0.125, speckle=True, speckle_route="display",
                            speckle_compression="log", direct_gain=1.0)
    best = build_generator(64, latent_dim=8, width=0.125, speckle=True, speckle_route="display",
                           speckle_compression="log", direct_gain=0.2)
    (tmp_path / "display").mkdir()
    (tmp_path / "display" / "config.yaml").write_text("image_size: 64\nspeckle_route: display\n")
    final.save(tmp_path / "display" / "generator_final.keras")
    best.save(tmp_path / "best.keras")
    (tmp_path / "display" / "finished.json").write_text(json.dumps({"keras": str(tmp_path / "best.keras")}))
    rows = [line for line in term_grain_lines(tmp_path, ["display"], masks=6) if line.startswith("| display |")]
    expected = term_grain(best, random_ivus_masks(6, 64, seed=0))  # the exported generator, not the final one
    cells = rows[0].strip("|").split("|")[1:]
    stds = [float(v) for v in cells[0].split("/")]
    assert stds == pytest.approx([expected[t]["intima_media"]["local_std"]
                                  for t in ("image", "baseline_path", "speckle_term")], abs=6e-4)
    axial, lateral = (float(v) for v in cells[3].split("/"))  # intima/media, speckle term
    assert axial == pytest.approx(expected["speckle_term"]["intima_media"]["axial_grain_px"], abs=6e-3)
    assert lateral == pytest.approx(expected["speckle_term"]["intima_media"]["lateral_grain_px"], abs=6e-3)
    (tmp_path / "best.keras").unlink()  # an export that is gone: the final generator is scored instead
    rows = [line for line in term_grain_lines(tmp_path, ["display"], masks=6) if line.startswith("| display |")]
    expected = term_grain(final, random_ivus_masks(6, 64, seed=0))
    assert float(rows[0].strip("|").split("|")[1].split("/")[2]) == pytest.approx(
        expected["speckle_term"]["intima_media"]["local_std"], abs=6e-4)
