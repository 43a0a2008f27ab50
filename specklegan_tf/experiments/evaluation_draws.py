"""How much of a comparison is the evaluation's own draw: the same generators evaluated at several evaluation seeds.

``train/evaluate_gan.py --seed S`` draws the z vectors (and, for SpeckleGAN, the speckle phases) of the images it
generates for the real masks from ``S``; a generator that turns a few z into outliers (e.g. all-black images) then
scores very differently at another seed. This module reads one set of ``report.csv`` files per evaluation seed
(the same runs in each), and writes

- per run: texture FD and KID at every draw, their mean and the ratio of the largest to the smallest draw;
- the across-seed table (:mod:`~specklegan_tf.experiments.seed_summary`: mean ± sd over training seeds, paired
  t-test against the baseline) of every metric averaged over the draws. The metric is unchanged: each draw is a
  full evaluation on all the real images, and the average is over more generated images, as a larger sample.

Usage::

    python -m specklegan_tf.experiments.evaluation_draws \\
        --draw 0 docs/results/ablation128-round8/evaluation.csv docs/results/ablation128-round21/evaluation.csv \\
        --draw 1 docs/results/ablation128-round22/evaluation-seed1/evaluation.csv \\
        --arms baseline display-polar-data --out draws.md
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from specklegan_tf.experiments.ablation_report import across_seed_lines, kid_metric
from specklegan_tf.experiments.combine_seeds import ConflictingRuns, combine_evaluations


def read_draws(draws: dict[int, list[str | Path]], arms: list[str] | None = None
               ) -> dict[int, dict[str, dict[str, float]]]:
    """``{evaluation seed: {run: {metric: value}}}``, every draw holding the same runs.

    Raises:
        ValueError: fewer than two draws, or a run that some draw lacks (named with the draw's seed).
        FileNotFoundError, ConflictingRuns: from :func:`~specklegan_tf.experiments.combine_seeds.combine_evaluations`.
    """
    if len(draws) < 2:
        raise ValueError(f"need at least two evaluation draws to compare; received {len(draws)}")
    read = {seed: combine_evaluations(paths, arms)[0] for seed, paths in draws.items()}
    runs = set().union(*(set(evaluation) for evaluation in read.values()))
    for seed, evaluation in read.items():
        missing = sorted(runs - set(evaluation))
        if missing:
            raise ValueError(f"evaluation seed {seed} has no result for run(s) {', '.join(missing)}: every draw must "
                             "evaluate the same runs")
    return read


def mean_over_draws(read: dict[int, dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """``{run: {metric: mean over the draws}}`` for the metrics every draw of the run has."""
    first = next(iter(read.values()))
    averaged = {}
    for run in first:
        metrics = set.intersection(*(set(evaluation[run]) for evaluation in read.values()))
        averaged[run] = {metric: float(np.mean([evaluation[run][metric] for evaluation in read.values()]))
                         for metric in first[run] if metric in metrics}
    return averaged


def draw_table_lines(read: dict[int, dict[str, dict[str, float]]]) -> list[str]:
    """Markdown table: per run, texture FD and KID at each draw, their mean and largest / smallest draw."""
    seeds = list(read)
    first = next(iter(read.values()))
    kid = kid_metric(next(iter(first.values())))
    header = (["run"] + [f"texture FD, seed {s}" for s in seeds] + ["mean", "max / min"]
              + [f"KID, seed {s}" for s in seeds] + ["mean", "max / min"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for run in first:
        cells = [run]
        for metric, digits in (("texture_fd", 3), (kid, 4)):
            values = [read[s][run][metric] for s in seeds]
            low = min(values)
            ratio = max(values) / low if low > 0 else math.inf
            cells += [f"{v:.{digits}f}" for v in values] + [f"{np.mean(values):.{digits}f}", f"{ratio:.1f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specklegan_tf.experiments.evaluation_draws",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--draw", nargs="+", action="append", required=True, metavar=("SEED", "CSV"),
                        help="an evaluation seed and the report.csv files evaluated with it (repeat per seed)")
    parser.add_argument("--arms", nargs="+", help="arms to keep (default: every arm of every file)")
    parser.add_argument("--out", help="Markdown file to write (default: print only)")
    args = parser.parse_args(argv)
    draws: dict[int, list[str]] = {}
    try:
        for seed, *paths in args.draw:
            if not seed.lstrip("-").isdigit():
                raise ValueError(f"--draw takes an evaluation seed first, then files; received {seed!r}")
            if not paths:
                raise ValueError(f"--draw {seed} names no report.csv file")
            if int(seed) in draws:
                raise ValueError(f"--draw {seed} is given twice")
            draws[int(seed)] = paths
        read = read_draws(draws, args.arms)
    except (FileNotFoundError, ConflictingRuns, ValueError) as error:
        print(f"evaluation_draws: error: {error}", file=sys.stderr)
        return 2
    averaged = across_seed_lines(mean_over_draws(read)) or ["Every arm has a single seed: no across-seed table."]
    sources = "; ".join(f"seed {s}: " + ", ".join(f"`{p}`" for p in paths) for s, paths in draws.items())
    text = "\n".join([f"Evaluation draws ({sources}).", "", "Per run:", "", *draw_table_lines(read), "",
                      f"Averaged over the {len(draws)} draws (each metric's mean per run, then across training "
                      "seeds):", *averaged]) + "\n"
    if args.out:
        from specklegan_tf.export.layout import atomic_file

        with atomic_file(args.out) as temporary:
            temporary.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
