"""Combining evaluations made at different times: runs merge across files, a run held by two files must agree, arms
filter, and the CLI's table pairs an arm with a baseline from another file by seed (checked against scipy)."""
import pytest
from scipy import stats

from evaluation_csv import write_evaluation_csv as _write
from specklegan_tf.experiments.combine_seeds import ConflictingRuns, combine_evaluations, main


def test_runs_merge_in_file_order_and_a_shared_run_is_reported(tmp_path):
    old = _write(tmp_path / "old.csv", {"baseline": 0.2, "baseline-seed1": 0.4, "direct": 0.9})
    new = _write(tmp_path / "new.csv", {"baseline-seed1": 0.4, "display": 0.1, "display-seed1": 0.3})
    combined, repeated = combine_evaluations([old, new], arms=["baseline", "display"])
    assert list(combined) == ["baseline", "baseline-seed1", "display", "display-seed1"]  # "direct" filtered out
    assert repeated == ["baseline-seed1"]
    assert combined["display-seed1"]["texture_fd"] == 0.3 and combined["baseline"]["ssim_mean"] == pytest.approx(0.8)


def test_a_run_with_different_results_in_two_files_is_refused_naming_both(tmp_path):
    old = _write(tmp_path / "old.csv", {"baseline": 0.2})
    new = _write(tmp_path / "other-cpu.csv", {"baseline": 0.25})
    with pytest.raises(ConflictingRuns, match=r"'baseline': texture_fd is 0.2 in .*old.csv but 0.25 in .*other-cpu"):
        combine_evaluations([old, new])


def test_missing_files_and_arms_are_errors_before_any_table(tmp_path):
    old = _write(tmp_path / "old.csv", {"baseline": 0.2})
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        combine_evaluations([old, tmp_path / "nope.csv"])
    with pytest.raises(ValueError, match="display"):
        combine_evaluations([old], arms=["baseline", "display"])
    assert main([str(old), "--arms", "display"]) == 2


def test_the_cli_pairs_an_arm_with_a_baseline_of_another_file(tmp_path, capsys):
    baseline = {"baseline": 0.20, "baseline-seed1": 0.40, "baseline-seed2": 0.30}
    display = {"display": 0.10, "display-seed1": 0.35, "display-seed2": 0.31}
    old, new = _write(tmp_path / "old.csv", baseline), _write(tmp_path / "new.csv", display)
    out = tmp_path / "combined.md"
    assert main([str(old), str(new), "--out", str(out)]) == 0
    text = out.read_text()
    assert text == capsys.readouterr().out
    p = stats.ttest_rel(list(display.values()), list(baseline.values())).pvalue
    row = next(line for line in text.splitlines() if line.startswith("| display |"))
    assert row.startswith("| display | 0,1,2 | 0.253 ± ") and f"-0.047 (p = {p:.2f}, 3 seeds)" in row
    assert "No run is held by more than one file." in text


def test_the_reference_arm_can_be_the_baseline_trained_with_the_same_added_option(tmp_path, capsys):
    runs = {"baseline": 0.20, "baseline-seed1": 0.40, "baseline-da": 0.50, "baseline-da-seed1": 0.70,
            "display-da": 0.30, "display-da-seed1": 0.80}
    path = _write(tmp_path / "round.csv", runs)
    assert main([str(path), "--reference", "baseline-da"]) == 0
    text = capsys.readouterr().out
    rows = {line.split(" | ")[0][2:]: line for line in text.splitlines() if line.startswith("| ")}
    # display-da - baseline-da: -0.2, +0.1 (mean -0.05); baseline - baseline-da: -0.3, -0.3 (equal: no p)
    p = stats.ttest_rel([0.30, 0.80], [0.50, 0.70]).pvalue
    assert f"-0.050 (p = {p:.2f}, 2 seeds)" in rows["display-da"]
    assert "-0.300 (p n/a, 2 seeds)" in rows["baseline"]
    assert rows["baseline-da"].endswith("|  |  |  |  |") and "texture FD − baseline-da (p)" in text
    assert "difference to baseline-da is the mean" in text
    assert main([str(path), "--reference", "echo"]) == 2
    assert "--reference echo" in capsys.readouterr().err


def test_a_reproduction_and_an_ablation_round_of_one_configuration_combine_by_seed(tmp_path, capsys):
    reproduction = _write(tmp_path / "reproduction.csv", {"speckle_n50_s0": 0.11, "baseline_n50_s0": 0.18,
                                                          "speckle_n50_s1": 0.19, "baseline_n50_s1": 0.15,
                                                          "speckle_n435_s0": 0.12, "baseline_n435_s0": 0.13})
    # later seeds of the same options, under the ablation round's arm names; seed 1 is held by both files
    round_file = _write(tmp_path / "round.csv", {"baseline-dacc-div-seed1": 0.15, "display-dacc-div-seed1": 0.19,
                                                 "baseline-dacc-div-seed3": 0.20, "display-dacc-div-seed3": 0.14})
    argv = [str(reproduction), str(round_file), "--arms", "speckle_n50", "baseline_n50", "--reference", "baseline_n50",
            "--same-arm", "display-dacc-div=speckle_n50", "baseline-dacc-div=baseline_n50"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    speckle, baseline = [0.11, 0.19, 0.14], [0.18, 0.15, 0.20]
    p = stats.ttest_rel(speckle, baseline).pvalue
    row = next(line for line in text.splitlines() if line.startswith("| speckle_n50 |"))
    assert row.startswith("| speckle_n50 | 0,1,3 | 0.147 ± ") and f"-0.030 (p = {p:.2f}, 3 seeds)" in row
    assert "speckle_n50-seed1, baseline_n50-seed1" in text or "baseline_n50-seed1, speckle_n50-seed1" in text
    assert "`display-dacc-div` counted as `speckle_n50`" in text and "n435" not in text

    conflicting = _write(tmp_path / "conflicting.csv", {"display-dacc-div-seed1": 0.25})
    with pytest.raises(ConflictingRuns, match=r"'speckle_n50-seed1': texture_fd is 0.19 .* but 0.25"):
        combine_evaluations([reproduction, conflicting], same_arm={"display-dacc-div": "speckle_n50"})
    for bad in ("display-dacc-div", "=speckle_n50", "a=b=c"):
        assert main([str(reproduction), "--same-arm", bad]) == 2
        assert f"--same-arm {bad!r}: expected OLD=NEW" in capsys.readouterr().err
