"""Across-seed summary of an ablation round: every arm's mean and spread over its seeds, and a paired t-test of each
arm against the baseline on the seeds they share.

Run names follow ``docs/results/ablation64.sh``: seed 0 is the bare arm name, seed s > 0 adds ``-seed<s>``
(``baseline``, ``baseline-seed1``, ...). A reproduction's runs (``train/reproduce_paper.py``, ``gan_runs.run_name``)
are ``<model>_n<images>_s<seed>``: ``speckle_n50_s2`` is seed 2 of arm ``speckle_n50``. One seed of one arm is never
enough to rank arms at this budget (the seed spread of texture FD is as large as the differences between arms), so
this table is what a round is read by.
"""
from __future__ import annotations

import math
import re

import numpy as np

from specklegan_tf.experiments.gan_runs import arm_and_seed_of_run

BASELINE_ARM = "baseline"
_SEED_SUFFIX = re.compile(r"^(?P<arm>.+?)-seed(?P<seed>\d+)$")


def arm_and_seed(run_name: str) -> tuple[str, int]:
    """``("speckle-direct", 2)`` for ``speckle-direct-seed2``, ``("speckle_n50", 2)`` for the reproduction's
    ``speckle_n50_s2``, ``(name, 0)`` for a name without either suffix."""
    match = _SEED_SUFFIX.match(run_name)
    if match is not None:
        return match["arm"], int(match["seed"])
    return arm_and_seed_of_run(run_name) or (run_name, 0)


def seeded_run_name(arm: str, seed: int) -> str:
    """The ablation scripts' name of seed ``seed`` of ``arm``: ``arm`` for seed 0, ``arm-seed<seed>`` otherwise."""
    return arm if seed == 0 else f"{arm}-seed{seed}"


def group_by_arm(values: dict[str, float]) -> dict[str, dict[int, float]]:
    """``{arm: {seed: value}}`` from ``{run name: value}``, arms in their first run's order."""
    arms: dict[str, dict[int, float]] = {}
    for run_name, value in values.items():
        arm, seed = arm_and_seed(run_name)
        arms.setdefault(arm, {})[seed] = float(value)
    return arms


def compare_with_baseline(arm: dict[int, float], baseline: dict[int, float]) -> tuple[float, float, int]:
    """Mean difference ``arm - baseline`` over the shared seeds, its two-sided paired t-test p-value, and the number
    of shared seeds. The p-value is NaN with fewer than 2 shared seeds or identical differences."""
    from specklegan_tf.metrics import paired_t_test

    seeds = sorted(set(arm) & set(baseline))
    differences = np.array([arm[s] - baseline[s] for s in seeds])
    # Equal differences (up to rounding) leave the test undefined; scipy would warn about precision.
    if len(seeds) < 2 or np.ptp(differences) <= 1e-12 * max(1.0, float(np.abs(differences).max())):
        return (float(differences.mean()) if len(seeds) else float("nan")), float("nan"), len(seeds)
    _, p_value = paired_t_test([arm[s] for s in seeds], [baseline[s] for s in seeds])
    return float(differences.mean()), p_value, len(seeds)


def _cell(per_seed: dict[int, float], digits: int, percent: bool) -> str:
    values = np.array([per_seed[s] for s in sorted(per_seed)])
    show = (lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:.{digits}f}")
    spread = f" ± {show(values.std(ddof=1))}" if values.size > 1 else ""
    return f"{show(values.mean())}{spread} ({' / '.join(show(v) for v in values)})"


def seed_summary_lines(metrics: dict[str, dict[str, float]], columns: tuple[tuple[str, int, bool], ...],
                       reference: str = BASELINE_ARM) -> list[str]:
    """Markdown table: one row per arm, each column ``mean ± sd (per seed)`` of one metric, then the paired
    difference against the reference arm with its p-value for each metric.

    Args:
        metrics: ``{metric name: {run name: value}}``.
        columns: ``(metric name, decimals, as percent)`` per column, in order.
        reference: the arm every other arm is compared with (default ``baseline``); e.g. the baseline trained with
            the same added option (``baseline-da``) when a round adds an option to both models.
    """
    header = ["arm", "seeds"] + [name for name, _, _ in columns] + [f"{name} − {reference} (p)"
                                                                    for name, _, _ in columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    grouped = {name: group_by_arm(metrics[name]) for name, _, _ in columns}
    arms = list(next(iter(grouped.values())))
    for arm in arms:
        seeds = sorted(grouped[columns[0][0]][arm])
        cells = [arm, ",".join(str(s) for s in seeds)]
        cells += [_cell(grouped[name][arm], digits, percent) for name, digits, percent in columns]
        for name, digits, percent in columns:
            if arm == reference or reference not in grouped[name]:
                cells.append("")
                continue
            difference, p_value, shared = compare_with_baseline(grouped[name][arm], grouped[name][reference])
            shown = f"{difference:+.0%}" if percent else f"{difference:+.{digits}f}"
            # Equal differences at every seed leave the t-test undefined: say so rather than print "p = nan".
            test = "p n/a" if math.isnan(p_value) else f"p = {p_value:.2f}"
            cells.append(f"{shown} ({test}, {shared} seeds)" if shared > 1 else f"{shown} ({shared} seed)")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Mean ± sample standard deviation over the arm's seeds (the per-seed values in seed order); the "
              f"difference to {reference} is the mean over the seeds both have, with the two-sided paired t-test "
              "(`scipy.stats.ttest_rel`) over those seeds; p is not corrected for the number of arms and metrics."]
    return lines
