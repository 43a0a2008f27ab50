"""Several evaluation draws of the same generators: per-run spread, the across-seed table of the averaged metrics
(checked against numpy and scipy), and errors for draws that do not hold the same runs."""
import re

import numpy as np
import pytest
from scipy import stats

from specklegan_tf.experiments.evaluation_draws import main, mean_over_draws, read_draws
from evaluation_csv import write_evaluation_csv as _write

# texture FD per run at evaluation seeds 0, 1, 2: one SpeckleGAN run with an outlier draw, as round 20's seed 1.
FD = {"baseline": (0.10, 0.12, 0.11), "baseline-seed1": (0.20, 0.18, 0.22),
      "display": (0.09, 0.08, 0.10), "display-seed1": (2.18, 0.13, 0.17)}


def _draws(tmp_path):
    """One report.csv per draw; the second draw's runs split over two files, as a baseline published earlier."""
    paths = {}
    for seed in range(3):
        values = {run: fd[seed] for run, fd in FD.items()}
        if seed == 1:
            paths[seed] = [_write(tmp_path / "d1-baseline.csv", {r: v for r, v in values.items() if "base" in r}),
                           _write(tmp_path / "d1-display.csv", {r: v for r, v in values.items() if "disp" in r})]
        else:
            paths[seed] = [_write(tmp_path / f"d{seed}.csv", values)]
    return paths


def test_metrics_are_averaged_per_run_over_the_draws(tmp_path):
    averaged = mean_over_draws(read_draws(_draws(tmp_path)))
    for run, values in FD.items():
        assert averaged[run]["texture_fd"] == pytest.approx(np.mean(values))
        assert averaged[run]["kid_texture_mean"] == pytest.approx(np.mean(values) / 10)  # _write: KID = FD / 10


def test_the_cli_shows_each_draw_and_pairs_the_averages_with_the_baseline(tmp_path, capsys):
    paths = _draws(tmp_path)
    argv = [arg for seed, files in paths.items() for arg in ("--draw", str(seed), *map(str, files))]
    out = tmp_path / "draws.md"
    assert main(argv + ["--out", str(out)]) == 0
    text = out.read_text()
    assert text == capsys.readouterr().out
    row = next(line for line in text.splitlines() if line.startswith("| display-seed1 |"))
    assert "| 2.180 | 0.130 | 0.170 | 0.827 | 16.8x |" in row  # 2.18 / 0.13
    means = {run: np.mean(v) for run, v in FD.items()}
    arm = [means["display"], means["display-seed1"]]
    base = [means["baseline"], means["baseline-seed1"]]
    p = stats.ttest_rel(arm, base).pvalue
    difference = np.mean(np.subtract(arm, base))
    summary = next(line for line in text.splitlines() if line.startswith("| display | 0,1 |"))
    assert f"{difference:+.3f} (p = {p:.2f}, 2 seeds)" in summary
    assert re.search(rf"{np.mean(arm):.3f} ± {np.std(arm, ddof=1):.3f}", summary)


def test_draws_that_do_not_hold_the_same_runs_are_refused_naming_the_seed(tmp_path, capsys):
    paths = _draws(tmp_path)
    paths[2] = [_write(tmp_path / "short.csv", {"baseline": 0.1, "display": 0.1})]
    with pytest.raises(ValueError, match=r"evaluation seed 2 has no result for run\(s\) baseline-seed1, display-seed1"):
        read_draws(paths)
    with pytest.raises(ValueError, match="at least two"):
        read_draws({0: paths[0]})
    assert main(["--draw", "0", str(paths[0][0]), "--draw", "0", str(paths[0][0])]) == 2
    assert "--draw 0 is given twice" in capsys.readouterr().err
    assert main(["--draw", str(paths[0][0])]) == 2
    assert "evaluation seed first" in capsys.readouterr().err
