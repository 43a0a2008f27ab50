"""The reproduction's Markdown report: configuration, provenance, machine, wall times, Fig. 5/6, Tables 1 and 2.

Tables are also written as CSV under ``tables/``. :func:`publish_report` copies the report with its figures and
tables (not the checkpoints) to a folder such as ``docs/results/``.
"""
from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from specklegan_tf.core.atomic_files import write_csv, write_text
from specklegan_tf.experiments.budgets import Budget
from specklegan_tf.experiments.provenance import git_state, machine_info

# Re-exported: the table builders lived here.
from specklegan_tf.experiments.report_tables import (  # noqa: F401
    CLASS_TITLES,
    duration,
    fmt,
    main_table,
    markdown_table,
    mean_std,
    n_values,
    speckle_table,
    table1,
    timing_rows,
    training_time_rows,
)


def _stage_commits(runs, segmentation: dict[str, Any]) -> str:
    """The git commits the GAN, evaluation and segmentation stages were completed at (a resumed experiment may
    span several), each with the number of stages and how many of them ran with uncommitted code changes."""
    records = [run[key] for run in runs.values() for key in ("gan", "eval")] + [segmentation]
    counts: dict[str, list[int]] = {}
    for record in records:
        commit = str(record.get("git_commit") or "unknown")[:12]
        entry = counts.setdefault(commit, [0, 0])
        entry[0] += 1
        entry[1] += bool(record.get("git_dirty_files"))
    return "; ".join(f"`{commit}`: {n} stages ({dirty} with uncommitted changes)" for commit, (n, dirty) in
                     counts.items())


def _stage_loads(runs, segmentation: dict[str, Any]) -> str:
    """Min / median / max of the 1-minute load average recorded when each stage finished."""
    import numpy as np

    records = [run[key] for run in runs.values() for key in ("gan", "eval")] + [segmentation]
    loads = [r["load_average_1min_at_end"] for r in records if r.get("load_average_1min_at_end") is not None]
    if not loads:
        return "not recorded"
    return f"{min(loads):.1f} / {float(np.median(loads)):.1f} / {max(loads):.1f} over {len(loads)} stages"


def _write_tables(out: Path, runs, segmentation: dict[str, Any]) -> tuple[dict[str, Path], dict[str, tuple]]:
    """The CSV tables under ``tables/`` (Table 2's copied from the segmentation stage) and their contents."""
    contents = {"main_table": ("main_fig5.csv", *main_table(runs)), "table1": ("table1.csv", *table1(runs)),
                "speckle": ("speckle.csv", *speckle_table(runs))}
    tables = {key: write_csv(out / "tables" / name, rows, header=header)
              for key, (name, header, rows) in contents.items()}
    (out / "tables").mkdir(parents=True, exist_ok=True)
    for name, source in segmentation.get("files", {}).items():
        target = out / "tables" / f"table2_{name}"
        if Path(source).resolve() != target.resolve():
            shutil.copyfile(source, target)
        tables[f"table2_{name}"] = target
    return tables, {key: (header, rows) for key, (_, header, rows) in contents.items()}


def _provenance(budget: Budget, manifest: dict[str, Any], real, runs, segmentation: dict[str, Any]) -> list[str]:
    git, machine = git_state(), machine_info()
    dirty = "unknown" if git["dirty"] is None else ("yes: " + ", ".join(git["dirty_files"]) if git["dirty"] else "no")
    data_kind = "the embedded IVUS phantom (simulated, not clinical data)" if manifest["data"] == "phantom" \
        else f"the data folder `{manifest['data']}`"
    return [
        f"# SpeckleGAN paper reproduction, budget `{budget.name}`",
        "",
        f"Written {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} by `python train/reproduce_paper.py "
        f"--budget {budget.name}" + ("" if manifest["data"] == "phantom" else f" --data {manifest['data']}") + "`.",
        "",
        "## Provenance",
        "",
        markdown_table(["item", "value"], [
            ["package version", machine["package_version"]],
            ["git commit", f"`{git['commit']}`" if git["commit"] else "unknown (not a git checkout)"],
            ["uncommitted changes (tracked files; untracked code files) when the report was written", dirty],
            ["commits the stages ran at", _stage_commits(runs, segmentation)],
            ["machine", f"{machine['cpu_count']} CPUs ({machine['processor']}), {machine['gpus']} GPUs, "
                        f"{machine['platform']}"],
            ["software", f"Python {machine['python']}, TensorFlow {machine['tensorflow']}, Keras {machine['keras']}, "
                         f"NumPy {machine['numpy']}"],
            ["1-minute load average at the end of the stages (min / median / max)", _stage_loads(runs, segmentation)],
            ["load average (1/5/15 min) when the report was written",
             " / ".join(str(v) for v in machine["load_average_1_5_15_min"] or ["n/a"])],
            ["data", f"{data_kind}: {len(real)} images {budget.image_size}x{budget.image_size}, phantom seed "
                     f"{manifest['data_seed']}"],
        ]),
    ]


def _configuration(budget: Budget, manifest: dict[str, Any], runs, metric_name: str) -> list[str]:
    schedules = [[str(n)] + [str(budget.gan_schedule(n)[k]) for k in ("epochs", "steps_per_epoch", "generator_updates",
                                                                      "decay_epochs", "val_every")]
                 for n in n_values(runs)]
    return [
        "## What this budget reduces relative to the paper",
        "",
        *[f"- {item}" for item in budget.reductions],
        "",
        "## Configuration",
        "",
        "Both models use exactly the same settings below; they differ only in the speckle layer (the baseline "
        "replaces it by an identity mapping). The best generator of each run is chosen by the validation metric "
        f"(`{metric_name}` of images generated from the training masks against the training images, every "
        "`val_every` epochs) and exported; the evaluation uses that export.",
        "",
        "```json",
        json.dumps({k: v for k, v in manifest.items()}, indent=1, default=str),
        "```",
        "",
        "GAN schedule per number of training images (identical for both models and every seed):",
        "",
        markdown_table(["training images", "epochs", "steps per epoch", "generator updates",
                        "learning-rate drops (epochs)", "validate every (epochs)"], schedules),
    ]


def _results(out: Path, budget: Budget, real, contents: dict[str, tuple], figures: dict[str, Path],
             segmentation: dict[str, Any]) -> list[str]:
    return [
        "## Fig. 5: distance to the real images against the number of GAN training images",
        "",
        f"{budget.n_generated} images generated from synthetic masks (random ellipses with a prior fitted on each "
        f"run's training masks; the same masks and generator seeds for both models) against all {len(real)} real "
        "images. Lower is better. Improvement as in the paper: (baseline - SpeckleGAN) / SpeckleGAN. "
        + ("Mean ± standard deviation over seeds." if len(budget.seeds) > 1 else "One seed: no error bars."),
        "",
        f"![Fig. 5]({figures['fig5'].relative_to(out).as_posix()})",
        "",
        markdown_table(*contents["main_table"]),
        "## Table 1: per-class gray-value JSD and SSIM",
        "",
        "JSD between the gray-value histograms of each class in real and generated images (x10⁻³, log base 2; "
        f"generated set as for Fig. 5). SSIM: each of the {len(real)} real images against an image generated "
        "from its own mask (mean and standard deviation over the images).",
        "",
        markdown_table(*contents["table1"]),
        "## Speckle statistics",
        "",
        "Speckle signal-to-noise ratio and grain sizes (autocorrelation FWHM) of the real and generated sets.",
        "",
        markdown_table(*contents["speckle"]),
        "## Fig. 6: both models for each number of training images, same mask",
        "",
        f"![Fig. 6]({figures['fig6'].relative_to(out).as_posix()})",
        "",
        "## Table 2: segmentation with and without pre-training on generated images",
        "",
        segmentation.get("description", ""),
        "",
        segmentation["table_markdown"],
    ]


def recorded_training_times(runs: dict[str, dict[str, Any]]) -> dict[str, tuple[float | None, str | None]]:
    """``{run: (seconds, imported_from)}``: each GAN run's training time as its own ``history.jsonl``
    records it (the sum of its epochs' ``seconds``; None if the file is missing or damaged) and the folder it was
    imported from (its ``finished.json``'s ``imported_from``, None if it was trained in place)."""
    times = {}
    for name, run in runs.items():
        run_dir = Path(run["gan"]["config"]["out"])
        seconds = origin = None
        try:
            with open(run_dir / "history.jsonl") as handle:
                seconds = sum(float(json.loads(line).get("seconds", 0.0)) for line in handle if line.strip())
        except (OSError, ValueError, AttributeError):
            pass  # the column says "not recorded"
        try:
            origin = json.loads((run_dir / "finished.json").read_text()).get("imported_from")
        except (OSError, ValueError, AttributeError):
            pass
        times[name] = (seconds, origin)
    return times


def write_report(out: Path, budget: Budget, manifest: dict[str, Any], real, runs: dict[str, dict[str, Any]],
                 segmentation: dict[str, Any], figures: dict[str, Path], seconds_by_stage: dict[str, float],
                 seconds_this_call: float) -> tuple[Path, dict[str, Path]]:
    """Write ``report.md`` and the CSV tables into ``out``; returns the report path and the table paths."""
    tables, contents = _write_tables(out, runs, segmentation)
    metric_name = next(iter(runs.values()))["gan"]["metric_name"]
    best_rows = [[name, str(run["gan"]["epochs_done"]), str(run["gan"]["generator_updates"]),
                  fmt(run["gan"]["best_metric"]), str(run["gan"]["best_epoch"])] for name, run in runs.items()]
    lines = [
        *_provenance(budget, manifest, real, runs, segmentation),
        *_configuration(budget, manifest, runs, metric_name),
        *_results(out, budget, real, contents, figures, segmentation),
        "## Wall times",
        "",
        "Per stage, summed over the calls that completed it (time lost in interrupted calls is not counted); "
        f"this call took {duration(seconds_this_call)}.",
        "",
        markdown_table(["stage", "wall time (h:mm:ss)"], timing_rows(seconds_by_stage)),
        "Each GAN run's own training time, the sum of its epochs' times in its `history.jsonl`, wherever it was "
        "trained: a run imported into this folder (trained before, option for option) completes its stage above "
        "in no time.",
        "",
        markdown_table(["GAN run", "trained", "training time (h:mm:ss)"],
                       training_time_rows(recorded_training_times(runs))),
        "## Best checkpoints",
        "",
        markdown_table(["run", "epochs", "generator updates", f"best {metric_name}", "best epoch"], best_rows),
    ]
    report_path = write_text(out / "report.md", "\n".join(lines) + "\n")
    return report_path, tables


def publish_report(out: str | os.PathLike, destination: str | os.PathLike) -> Path:
    """Copy ``report.md`` with its ``figures/`` and ``tables/`` (no checkpoints) from ``out`` to ``destination``.

    Returns:
        The copied report.

    Raises:
        FileNotFoundError: ``out`` holds no finished report.
    """
    out, destination = Path(out), Path(destination)
    if not (out / "report.md").is_file():
        raise FileNotFoundError(f"{out / 'report.md'} does not exist: run the experiment first")
    for folder in ("figures", "tables"):
        if (out / folder).is_dir():
            shutil.copytree(out / folder, destination / folder, dirs_exist_ok=True)
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out / "report.md", destination / "report.md")
    return destination / "report.md"
