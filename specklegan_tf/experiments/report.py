"""The reproduction's Markdown report: configuration, provenance, machine, wall times, Fig. 5/6, Tables 1 and 2.

Tables are also written as CSV under ``tables/``. :func:`publish_report` copies the report with its figures and
tables (not the checkpoints) to a folder such as ``docs/results/``.
"""
from __future__ import annotations

import csv
import math
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from specklegan_tf import CLASS_NAMES
from specklegan_tf.experiments.aggregate import improvement_percent, metric_over_seeds
from specklegan_tf.experiments.budgets import Budget
from specklegan_tf.experiments.provenance import git_state, machine_info

MODEL_NAMES = {"speckle": "SpeckleGAN", "baseline": "Baseline GAN"}
CLASS_TITLES = {"lumen": "Lumen", "intima_media": "Intima/media", "background": "Adventitia/background"}


def fmt(value: float | None, digits: int = 4) -> str:
    """A number with ``digits`` significant digits; ``n/a`` for None or NaN."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{float(value):.{digits}g}"


def mean_std(runs, model: str, n_train: int, key: str, scale: float = 1.0, digits: int = 4) -> str:
    """``mean`` (one seed) or ``mean ± std`` over seeds of ``eval[key] * scale``."""
    mean, std, count = metric_over_seeds(runs, model, n_train, key)
    if count == 0:
        return "n/a"
    if count == 1:
        return fmt(mean * scale, digits)
    return f"{fmt(mean * scale, digits)} ± {fmt(std * scale, 2)}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(temporary, path)
    return path


def _n_values(runs) -> list[int]:
    return sorted({run["n_train"] for run in runs.values()})


def main_table(runs) -> tuple[list[str], list[list[str]]]:
    """Fig. 5 as numbers: distances of both models per number of training images, and the paper's improvement
    ``(baseline - SpeckleGAN) / SpeckleGAN``."""
    has_fid = any(run["eval"].get("fid") is not None for run in runs.values())
    keys = ([("fid", "FID")] if has_fid else []) + [("texture_fd", "texture FD"), ("kid_mean", "KID")]
    header = ["GAN training images", "generator updates"]
    for _, label in keys:
        header += [f"{label} SpeckleGAN", f"{label} baseline", f"{label} improvement"]
    rows = []
    for n in _n_values(runs):
        updates = sorted({run["gan"]["generator_updates"] for run in runs.values() if run["n_train"] == n})
        row = [str(n), "/".join(str(u) for u in updates)]
        for key, _ in keys:
            speckle = metric_over_seeds(runs, "speckle", n, key)[0]
            baseline = metric_over_seeds(runs, "baseline", n, key)[0]
            row += [mean_std(runs, "speckle", n, key), mean_std(runs, "baseline", n, key),
                    f"{fmt(improvement_percent(baseline, speckle), 3)} %"]
        rows.append(row)
    return header, rows


def table1(runs) -> tuple[list[str], list[list[str]]]:
    """The paper's Table 1: per-class JSD of gray values (x10^-3, log base 2) and paired SSIM."""
    header = ["GAN training images", "model"] + [f"JSD {CLASS_TITLES[c]} [1e-3]" for c in CLASS_NAMES] + \
        ["SSIM mean", "SSIM std over images"]
    rows = []
    for n in _n_values(runs):
        for model in ("speckle", "baseline"):
            rows.append([str(n), MODEL_NAMES[model]]
                        + [mean_std(runs, model, n, f"jsd.{c}", scale=1e3, digits=3) for c in CLASS_NAMES]
                        + [mean_std(runs, model, n, "ssim_mean", digits=3),
                           mean_std(runs, model, n, "ssim_std", digits=2)])
    return header, rows


def speckle_table(runs) -> tuple[list[str], list[list[str]]]:
    """Speckle statistics of the generated images against the real ones (intima/media and background)."""
    classes = ("intima_media", "background")
    keys = (("snr", "SNR"), ("axial_grain_px", "axial grain [px]"), ("lateral_grain_px", "lateral grain [px]"))
    header = ["set"] + [f"{CLASS_TITLES[c]} {label}" for c in classes for _, label in keys]
    some = next(iter(runs.values()))["eval"]
    rows = [["real images"] + [fmt(some["speckle_real"][c][k], 3) for c in classes for k, _ in keys]]
    for n in _n_values(runs):
        for model in ("speckle", "baseline"):
            rows.append([f"{MODEL_NAMES[model]}, {n} images"]
                        + [mean_std(runs, model, n, f"speckle_fake.{c}.{k}", digits=3) for c in classes for k, _ in keys])
    return header, rows


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def timing_rows(seconds_by_stage: dict[str, float]) -> list[list[str]]:
    """Wall time per stage group (GAN training, evaluation, segmentation, data, figures) and per stage."""
    groups: dict[str, float] = {}
    for stage, seconds in seconds_by_stage.items():
        group = stage.split("/")[0]
        groups[group] = groups.get(group, 0.0) + seconds
    rows = [[f"**{group}** (all)", _duration(seconds)] for group, seconds in groups.items()]
    rows += [[stage, _duration(seconds)] for stage, seconds in seconds_by_stage.items() if "/" in stage]
    rows.append(["**total**", _duration(sum(groups.values()))])
    return rows


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


def write_report(out: Path, budget: Budget, manifest: dict[str, Any], real, runs: dict[str, dict[str, Any]],
                 segmentation: dict[str, Any], figures: dict[str, Path], seconds_by_stage: dict[str, float],
                 seconds_this_call: float) -> tuple[Path, dict[str, Path]]:
    """Write ``report.md`` and the CSV tables into ``out``; returns the report path and the table paths."""
    git = git_state()
    machine = machine_info()
    tables = {}
    main_header, main_rows = main_table(runs)
    t1_header, t1_rows = table1(runs)
    sp_header, sp_rows = speckle_table(runs)
    tables["main_table"] = write_csv(out / "tables" / "main_fig5.csv", main_header, main_rows)
    tables["table1"] = write_csv(out / "tables" / "table1.csv", t1_header, t1_rows)
    tables["speckle"] = write_csv(out / "tables" / "speckle.csv", sp_header, sp_rows)
    table2_md = segmentation["table_markdown"]
    (out / "tables").mkdir(parents=True, exist_ok=True)
    for name, source in segmentation.get("files", {}).items():
        target = out / "tables" / f"table2_{name}"
        if Path(source).resolve() != target.resolve():
            shutil.copyfile(source, target)
        tables[f"table2_{name}"] = target

    n_list = _n_values(runs)
    schedules = [[str(n)] + [str(budget.gan_schedule(n)[k]) for k in ("epochs", "steps_per_epoch", "generator_updates",
                                                                      "decay_epochs", "val_every")] for n in n_list]
    first = next(iter(runs.values()))
    metric_name = first["gan"]["metric_name"]
    best_rows = [[name, str(run["gan"]["epochs_done"]), str(run["gan"]["generator_updates"]),
                  fmt(run["gan"]["best_metric"]), str(run["gan"]["best_epoch"])] for name, run in runs.items()]
    stage_commits = _stage_commits(runs, segmentation)
    dirty = "unknown" if git["dirty"] is None else ("yes: " + ", ".join(git["dirty_files"]) if git["dirty"] else "no")
    data_kind = "the embedded IVUS phantom (simulated, not clinical data)" if manifest["data"] == "phantom" \
        else f"the data folder `{manifest['data']}`"
    lines = [
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
            ["commits the stages ran at", stage_commits],
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
        __import__("json").dumps({k: v for k, v in manifest.items()}, indent=1, default=str),
        "```",
        "",
        "GAN schedule per number of training images (identical for both models and every seed):",
        "",
        markdown_table(["training images", "epochs", "steps per epoch", "generator updates",
                        "learning-rate drops (epochs)", "validate every (epochs)"], schedules),
        "## Fig. 5: distance to the real images against the number of GAN training images",
        "",
        f"{budget.n_generated} images generated from synthetic masks (random ellipses with a prior fitted on each "
        f"run's training masks; the same masks and generator seeds for both models) against all {len(real)} real "
        "images. Lower is better. Improvement as in the paper: (baseline - SpeckleGAN) / SpeckleGAN. "
        + ("Mean ± standard deviation over seeds." if len(budget.seeds) > 1 else "One seed: no error bars."),
        "",
        f"![Fig. 5]({figures['fig5'].relative_to(out).as_posix()})",
        "",
        markdown_table(main_header, main_rows),
        "## Table 1: per-class gray-value JSD and SSIM",
        "",
        "JSD between the gray-value histograms of each class in real and generated images (x10⁻³, log base 2; "
        f"generated set as for Fig. 5). SSIM: each of the {len(real)} real images against an image generated "
        "from its own mask (mean and standard deviation over the images).",
        "",
        markdown_table(t1_header, t1_rows),
        "## Speckle statistics",
        "",
        "Speckle signal-to-noise ratio and grain sizes (autocorrelation FWHM) of the real and generated sets.",
        "",
        markdown_table(sp_header, sp_rows),
        "## Fig. 6: both models for each number of training images, same mask",
        "",
        f"![Fig. 6]({figures['fig6'].relative_to(out).as_posix()})",
        "",
        "## Table 2: segmentation with and without pre-training on generated images",
        "",
        segmentation.get("description", ""),
        "",
        table2_md,
        "## Wall times",
        "",
        "Per stage, summed over the calls that completed it (time lost in interrupted calls is not counted); "
        f"this call took {_duration(seconds_this_call)}.",
        "",
        markdown_table(["stage", "wall time (h:mm:ss)"], timing_rows(seconds_by_stage)),
        "## Best checkpoints",
        "",
        markdown_table(["run", "epochs", "generator updates", f"best {metric_name}", "best epoch"], best_rows),
    ]
    report_path = out / "report.md"
    temporary = out / ".report.md.tmp"
    temporary.write_text("\n".join(lines) + "\n")
    os.replace(temporary, report_path)
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
