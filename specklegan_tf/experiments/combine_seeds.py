"""The across-seed table of arms whose runs were evaluated at different times, from several ``evaluate_gan.py``
``report.csv`` files.

A round that adds an arm or more seeds later, or that pairs a new arm with a baseline published by an earlier round,
has its runs spread over several evaluations. Training repeats bit for bit only on the same CPU type (rounds 13 to
15 in ``docs/results.md``), so a run that two files both hold is the check that they were made alike: its metrics
must agree, and a disagreement is an error naming the run, the metric and the two files, not a silent choice.

Usage::

    python -m specklegan_tf.experiments.combine_seeds \\
        docs/results/ablation128-round7/evaluation.csv docs/results/ablation128-round15/avx512-seeds2-3/evaluation.csv \\
        --arms baseline speckle-drls-display-g1 --out combined.md

``--reference ARM`` compares every arm with ``ARM`` instead of ``baseline``: a round that adds an option to both
models (e.g. DiffAugment, ``baseline-da`` and ``display-da``) pairs SpeckleGAN with the baseline that has it too.

``--same-arm OLD=NEW`` counts the runs of arm ``OLD`` as runs of ``NEW``: the same configuration run under two
names, e.g. a reproduction's ``speckle_n50_s0`` .. ``_s2`` and an ablation round's further seeds of the identical
options, ``display-polar-data-dacc-div-seed3``. Every run is listed under the ablation scripts' name of its arm and
seed (``speckle_n50``, ``speckle_n50-seed3``), so one seed held by two files under the two names is still checked.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from specklegan_tf.experiments.ablation_report import across_seed_lines, read_evaluation
from specklegan_tf.experiments.seed_summary import BASELINE_ARM, arm_and_seed, seeded_run_name

# Metrics that two evaluations of the same run must share; counts and spreads of other metrics may be absent.
CHECKED_METRICS = ("texture_fd", "ssim_mean")


class ConflictingRuns(ValueError):
    """Two evaluation files hold different results for a run of the same name."""


def _same(a: float, b: float, rel: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def combine_evaluations(paths: list[str | Path], arms: list[str] | None = None, rel_tol: float = 1e-6,
                        same_arm: dict[str, str] | None = None) -> tuple[dict[str, dict[str, float]], list[str]]:
    """``({run: {metric: value}}, [runs found in more than one file])`` from evaluation CSVs, in file order.

    Args:
        paths: ``report.csv`` / ``evaluation.csv`` files written by ``train/evaluate_gan.py``.
        arms: keep only the runs of these arms (``baseline`` keeps ``baseline``, ``baseline-seed1``, ...); all if None.
        rel_tol: relative tolerance within which two files' values of a run count as the same result.
        same_arm: ``{old arm: new arm}``: runs of an old arm count as runs of the new one (``arms`` names new arms).

    Returns the runs under the ablation scripts' names (``arm``, ``arm-seed<s>``) of their (renamed) arm and seed.

    Raises:
        FileNotFoundError: a file does not exist.
        ConflictingRuns: a run appears in two files with different ``texture_fd`` or ``ssim_mean``.
        ValueError: an arm of ``arms`` has no run in any file.
    """
    combined: dict[str, dict[str, float]] = {}
    source: dict[str, Path] = {}
    repeated: list[str] = []
    for path in map(Path, paths):
        if not path.is_file():
            raise FileNotFoundError(f"evaluation file {path} does not exist")
        for name_in_file, metrics in read_evaluation(path).items():
            arm, seed = arm_and_seed(name_in_file)
            arm = (same_arm or {}).get(arm, arm)
            if arms is not None and arm not in arms:
                continue
            run = seeded_run_name(arm, seed)
            if run not in combined:
                combined[run], source[run] = metrics, path
                continue
            for metric in CHECKED_METRICS:
                earlier, now = combined[run].get(metric, math.nan), metrics.get(metric, math.nan)
                if not _same(earlier, now, rel_tol):
                    raise ConflictingRuns(f"run {run!r}: {metric} is {earlier:.6g} in {source[run]} but {now:.6g} "
                                          f"in {path}; the two were not trained or evaluated alike (another CPU "
                                          "type?), so they cannot be combined")
            repeated.append(run)
    missing = [arm for arm in arms or [] if not any(arm_and_seed(run)[0] == arm for run in combined)]
    if missing:
        raise ValueError(f"no run of arm(s) {', '.join(missing)} in {', '.join(map(str, paths))}")
    return combined, repeated


def _parse_same_arm(pairs: list[str]) -> dict[str, str]:
    """``{"a": "b"}`` from ``["a=b"]``; a pair without one '=' between two names is an error naming it."""
    same_arm = {}
    for pair in pairs:
        old, separator, new = pair.partition("=")
        if not separator or not old or not new or "=" in new:
            raise ValueError(f"--same-arm {pair!r}: expected OLD=NEW, two arm names joined by one '='")
        same_arm[old] = new
    return same_arm


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specklegan_tf.experiments.combine_seeds",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("evaluations", nargs="+", help="evaluate_gan.py report.csv files, earliest first")
    parser.add_argument("--arms", nargs="+", help="arms to keep (default: every arm of every file)")
    parser.add_argument("--reference", default=BASELINE_ARM, metavar="ARM",
                        help="the arm every other arm is compared with (default: %(default)s)")
    parser.add_argument("--same-arm", nargs="+", default=[], metavar="OLD=NEW",
                        help="count the runs of arm OLD as runs of arm NEW (one configuration under two names)")
    parser.add_argument("--out", help="Markdown file to write (default: print only)")
    args = parser.parse_args(argv)
    try:
        same_arm = _parse_same_arm(args.same_arm)
        combined, repeated = combine_evaluations(args.evaluations, args.arms, same_arm=same_arm)
        if not any(arm_and_seed(run)[0] == args.reference for run in combined):
            raise ValueError(f"--reference {args.reference}: no run of that arm in the combined runs "
                             f"({', '.join(dict.fromkeys(arm_and_seed(run)[0] for run in combined))})")
    except (FileNotFoundError, ConflictingRuns, ValueError) as error:
        print(f"combine_seeds: error: {error}", file=sys.stderr)
        return 2
    renamed = [f"`{old}` counted as `{new}`" for old, new in same_arm.items()]
    lines = across_seed_lines(combined, args.reference) or ["Every arm has a single seed: no across-seed table."]
    note = (f"Runs held by more than one file, with the same texture FD and SSIM in each: {', '.join(repeated)}."
            if repeated else "No run is held by more than one file.")
    text = "\n".join(["Combined from: " + ", ".join(f"`{p}`" for p in args.evaluations) + ".", "",
                      *([f"Arms renamed: {', '.join(renamed)}.", ""] if renamed else []), note, *lines]) + "\n"
    if args.out:
        from specklegan_tf.export.layout import atomic_file

        with atomic_file(args.out) as temporary:
            temporary.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
