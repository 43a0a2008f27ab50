"""The report's tables as header + rows of strings: Fig. 5 as numbers, Table 1, speckle statistics, wall times.

Each table goes both into ``report.md`` (:func:`markdown_table`) and, as CSV, under ``tables/``.
"""
from __future__ import annotations

import math

from specklegan_tf import CLASS_NAMES
from specklegan_tf.experiments.aggregate import improvement_percent, metric_over_seeds
from specklegan_tf.experiments.gan_runs import MODEL_LABELS

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


def n_values(runs) -> list[int]:
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
    for n in n_values(runs):
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
    for n in n_values(runs):
        for model in ("speckle", "baseline"):
            rows.append([str(n), MODEL_LABELS[model]]
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
    for n in n_values(runs):
        for model in ("speckle", "baseline"):
            rows.append([f"{MODEL_LABELS[model]}, {n} images"]
                        + [mean_std(runs, model, n, f"speckle_fake.{c}.{k}", digits=3) for c in classes for k, _ in keys])
    return header, rows


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def training_time_rows(training_by_run: dict[str, tuple[float | None, str | None]]) -> list[list[str]]:
    """One row per GAN run: where it was trained (``here`` or the folder it was imported from) and its own training
    time (``training_by_run``: ``{run: (seconds or None, imported_from or None)}``), then the sum of the known
    times. An imported run completes its stage in no time in the wall-time table; this is where its cost shows."""
    rows = [[run, f"imported from `{origin}`" if origin else "here",
             duration(seconds) if seconds is not None else "not recorded"]
            for run, (seconds, origin) in training_by_run.items()]
    known = [seconds for seconds, _ in training_by_run.values() if seconds is not None]
    rows.append(["**all runs**", f"{len(known)} of {len(training_by_run)} recorded", duration(sum(known))])
    return rows


def timing_rows(seconds_by_stage: dict[str, float]) -> list[list[str]]:
    """Wall time per stage group (GAN training, evaluation, segmentation, data, figures) and per stage."""
    groups: dict[str, float] = {}
    for stage, seconds in seconds_by_stage.items():
        group = stage.split("/")[0]
        groups[group] = groups.get(group, 0.0) + seconds
    rows = [[f"**{group}** (all)", duration(seconds)] for group, seconds in groups.items()]
    rows += [[stage, duration(seconds)] for stage, seconds in seconds_by_stage.items() if "/" in stage]
    rows.append(["**total**", duration(sum(groups.values()))])
    return rows
