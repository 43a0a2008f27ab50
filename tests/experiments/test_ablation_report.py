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

    budget = dataclasses.replace(get_budget("cpu128"), diff_augment="color")
    speckle = gan_config(budget, "speckle", 50, 0, "phantom", 0, tmp_path / "s", None)
    baseline = gan_config(budget, "baseline", 50, 0, "phantom", 0, tmp_path / "b", None)
    assert (speckle.speckle_init, speckle.window_shape, speckle.speckle_compression) == ("data", "rectangular", "log")
    assert (baseline.speckle_init, baseline.window_shape, baseline.speckle_compression) == ("paper", "square", "none")
    assert (speckle.speckle_route, baseline.speckle_route) == ("direct", "last_block")  # the baseline has no speckle path
    assert speckle.diff_augment == baseline.diff_augment == "color"
    assert speckle.epochs == baseline.epochs and speckle.lr == baseline.lr and speckle.width == baseline.width
    with pytest.raises(ValueError, match="speckle_options"):
        dataclasses.replace(budget, speckle_options=(("lr", "1"),))
