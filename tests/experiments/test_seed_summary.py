"""The across-seed table of an ablation round: run names grouped by arm and seed, means and spreads over seeds, and
the paired t-test against the baseline computed from the t distribution by hand."""
import math

import numpy as np
import pytest
from scipy import stats

from specklegan_tf.experiments.ablation_report import across_seed_lines
from specklegan_tf.experiments.gan_runs import run_name
from specklegan_tf.experiments.seed_summary import (arm_and_seed, compare_with_baseline, group_by_arm,
                                                    seed_summary_lines)


def test_run_names_split_into_arm_and_seed():
    assert arm_and_seed("baseline") == ("baseline", 0)
    assert arm_and_seed("baseline-seed3") == ("baseline", 3)
    assert arm_and_seed("speckle-drls-direct-g03-seed12") == ("speckle-drls-direct-g03", 12)
    assert arm_and_seed("speckle-seedling") == ("speckle-seedling", 0)  # only a trailing -seed<digits> is a seed
    # train/reproduce_paper.py's runs, named by gan_runs.run_name
    assert arm_and_seed(run_name("speckle", 50, 2)) == ("speckle_n50", 2)
    assert arm_and_seed(run_name("baseline", 435, 0)) == ("baseline_n435", 0)
    assert arm_and_seed("speckle_s2") == ("speckle_s2", 0)  # no _n<images>: not a reproduction's name


def test_group_by_arm_keeps_the_first_runs_order():
    grouped = group_by_arm({"b": 1.0, "a": 2.0, "b-seed1": 3.0, "a-seed2": 4.0})
    assert list(grouped) == ["b", "a"] and grouped == {"b": {0: 1.0, 1: 3.0}, "a": {0: 2.0, 2: 4.0}}


def test_paired_comparison_uses_only_shared_seeds_and_matches_the_t_distribution():
    arm = {0: 0.15, 1: 0.40, 2: 0.14, 3: 0.15, 4: 9.0}  # seed 4 has no baseline partner: left out
    baseline = {0: 0.13, 1: 0.44, 2: 0.33, 3: 0.22}
    difference, p_value, shared = compare_with_baseline(arm, baseline)
    d = np.array([0.15 - 0.13, 0.40 - 0.44, 0.14 - 0.33, 0.15 - 0.22])
    t = d.mean() / (d.std(ddof=1) / math.sqrt(d.size))
    assert shared == 4 and difference == pytest.approx(d.mean())
    assert p_value == pytest.approx(2 * stats.t.sf(abs(t), d.size - 1), rel=1e-9)
    difference, p_value, shared = compare_with_baseline({0: 0.5}, baseline)
    assert shared == 1 and difference == pytest.approx(0.37) and math.isnan(p_value)


def test_table_rows_show_mean_sample_sd_and_the_per_seed_values():
    metrics = {"FD": {"baseline": 0.2, "x": 0.1, "baseline-seed1": 0.4, "x-seed1": 0.2}}
    lines = seed_summary_lines(metrics, (("FD", 3, False),))
    baseline_row = next(line for line in lines if line.startswith("| baseline |"))
    x_row = next(line for line in lines if line.startswith("| x |"))
    assert "0.300 ± 0.141 (0.200 / 0.400)" in baseline_row  # sd with ddof = 1: 0.1414
    assert "0.150 ± 0.071 (0.100 / 0.200)" in x_row
    assert "-0.150 (p = 0.20, 2 seeds)" in x_row  # differences -0.1, -0.2: t = -3, 1 dof, p = 0.205


def test_the_ablation_report_adds_the_table_only_when_an_arm_has_several_seeds():
    def run(fd):
        grains = {f"speckle_{who}_{c}_{a}_grain_px": 2.0 for who in ("real", "fake")
                  for c in ("intima_media", "background") for a in ("axial", "lateral")}
        return {"texture_fd": fd, "kid_texture_mean": fd / 10, "ssim_mean": 0.3, **grains}

    assert across_seed_lines({"baseline": run(0.2), "x": run(0.1)}) == []
    lines = across_seed_lines({"baseline": run(0.2), "x": run(0.1), "baseline-seed1": run(0.4), "x-seed1": run(0.3)})
    assert any(line.startswith("| x | 0,1 | 0.200 ± 0.141") for line in lines)
