"""Side-by-side report of GAN runs (ablations): image metrics, grain sizes, discriminator balance, learned windows.

Reads what the runs and ``train/evaluate_gan.py`` wrote, nothing else: ``<runs>/evaluation/report.csv`` (one column
per run, generated from every real mask and compared with every real image), and per run ``history.jsonl``
(per-epoch means of the training logs and the validations) and ``speckle_init.json`` (``--speckle-init data``). The speckle layer's
grain at its initial and final windows is read off a calibration curve measured here
(:func:`~specklegan_tf.layers.speckle_calibration.measure_grain_curve`).

Usage::

    python -m specklegan_tf.experiments.ablation_report runs/ablation64 --out docs/results/ablation64/report.md
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np

from specklegan_tf.experiments.validation_trajectory import trajectory_lines
from specklegan_tf.metrics.speckle import DETREND_PX

TISSUE = ("intima_media", "background")
AXES = ("axial", "lateral")


def read_evaluation(path: Path) -> dict[str, dict[str, float]]:
    """``{run: {metric: value}}`` from an ``evaluate_gan.py`` ``report.csv``."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    names = rows[0][1:]
    table = {name: {} for name in names}
    for metric, *values in rows[1:]:
        for name, value in zip(names, values):
            table[name][metric] = float(value) if value else math.nan
    return table


def kid_metric(metrics: dict[str, float]) -> str:
    """The name of the KID mean in an evaluation column (``kid_texture_mean`` or ``kid_inception_mean``)."""
    return next(k for k in metrics if k.startswith("kid_") and k.endswith("_mean"))


def read_history(run_dir: Path) -> list[dict]:
    with open(run_dir / "history.jsonl") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def grain_error(metrics: dict[str, float], model: str = "fake") -> float:
    """Mean relative error of the generated images' axial and lateral grain in the tissue classes."""
    errors = []
    for name in TISSUE:
        for axis in AXES:
            real = metrics[f"speckle_real_{name}_{axis}_grain_px"]
            fake = metrics[f"speckle_{model}_{name}_{axis}_grain_px"]
            errors.append(abs(fake / real - 1.0))
    return float(np.mean(errors))


def window_columns(entry: dict) -> np.ndarray | None:
    """Window sizes of one history entry: ``(K,)`` square or ``(K, 2)`` rectangular, ``None`` for the baseline."""
    train = entry["train"]
    square = sorted(k for k in train if k.startswith("window_") and k.count("_") == 1)
    if square:
        return np.array([train[k] for k in square])
    rows = sorted(k for k in train if k.startswith("window_") and k.endswith("_rows"))
    if rows:
        return np.array([[train[k], train[k.replace("_rows", "_cols")]] for k in rows])
    return None


def layer_grain(windows: np.ndarray, curve) -> tuple[float, float]:
    """(axial, lateral) grain in px of the mean window (geometric), read off the calibration curve."""
    windows = np.asarray(windows, np.float64)
    if windows.ndim == 1:
        rows = cols = float(np.exp(np.log(windows).mean()))
    else:
        rows, cols = (float(np.exp(np.log(windows[:, i]).mean())) for i in (0, 1))
    return curve.grain_for(rows, "axial"), curve.grain_for(cols, "lateral")


def summarise(runs_dir: str | Path, last_epochs: int = 20) -> str:
    """The Markdown report of every run evaluated in ``<runs_dir>/evaluation/report.csv``."""
    runs_dir = Path(runs_dir)
    evaluation = read_evaluation(runs_dir / "evaluation" / "report.csv")
    first = next(iter(evaluation.values()))
    lines = [f"Evaluated on {int(first['n_real'])} real images (each run generated one image per real mask).", "",
             "| run | texture FD | KID | JSD ×10⁻³ lumen / IM / bg | SSIM | tissue grain error | "
             "IM grain ax / lat px | bg grain ax / lat px | darker / brighter than every real image | "
             "SSIM of two z per mask | "
             f"D(real) / D(fake), last {last_epochs} epochs |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    real = first
    lines.insert(1, f"Real images: intima/media grain {real['speckle_real_intima_media_axial_grain_px']:.2f} / "
                    f"{real['speckle_real_intima_media_lateral_grain_px']:.2f} px, background "
                    f"{real['speckle_real_background_axial_grain_px']:.2f} / "
                    f"{real['speckle_real_background_lateral_grain_px']:.2f} px (axial / lateral).")
    window_lines = ["", "| run | windows at start (bins) | windows at the end | layer grain ax / lat px at start | "
                    "at the end | data tissue grain ax / lat px |", "|---|---|---|---|---|---|"]
    curves = {}
    histories = {}
    for name, m in evaluation.items():
        history = histories[name] = read_history(runs_dir / name)
        tail = history[-last_epochs:]
        d_real = np.mean([e["train"]["d_real"] for e in tail])
        d_fake = np.mean([e["train"]["d_fake"] for e in tail])
        kid = kid_metric(m)
        lines.append(
            f"| {name} | {m['texture_fd']:.4f} | {m[kid]:.4f} | {m['jsd_e-3_lumen']:.1f} / "
            f"{m['jsd_e-3_intima_media']:.1f} / {m['jsd_e-3_background']:.1f} | {m['ssim_mean']:.3f} | "
            f"{grain_error(m):.0%} | {m['speckle_fake_intima_media_axial_grain_px']:.2f} / "
            f"{m['speckle_fake_intima_media_lateral_grain_px']:.2f} | "
            f"{m['speckle_fake_background_axial_grain_px']:.2f} / "
            f"{m['speckle_fake_background_lateral_grain_px']:.2f} | "
            f"{_optional(m, 'darker_than_real_fraction', '.1%')} / "
            f"{_optional(m, 'brighter_than_real_fraction', '.1%')} | "
            f"{_optional(m, 'same_mask_ssim', '.3f')} | "
            f"{d_real:.2f} / {d_fake:.2f} |")
        row = _window_row(runs_dir, name, history, curves)
        if row is not None:
            window_lines.append(row)
    share_lines = speckle_share_lines(runs_dir, list(evaluation)) + term_grain_lines(runs_dir, list(evaluation))
    seed_lines = across_seed_lines(evaluation)
    trajectory = trajectory_lines(histories, "fid" if "fid" in _validation_keys(histories) else "texture_fd")
    notes = ["", "Tissue grain error: mean of |generated / real - 1| over the axial and lateral grain of the "
             "intima/media and background classes. Layer grain: the speckle layer's own output on a constant image "
             "at the geometric mean of its windows (calibration curve), before the last block; the windows at "
             "the start are those after the first epoch's updates (history.jsonl). γ: the depth-scaled lateral "
             "aperture's exponent (0: a fixed angle, the paper; 1: a fixed width), where the run has one. Darker / "
             "brighter than every real image: generated images whose mean gray level is below the darkest (above "
             "the brightest) real image's: nearly black images for some z, or a whole set drawn too bright, which "
             "the texture distances barely see (real sets have none). SSIM of two z per mask: between the "
             "images generated from one mask with two z (1: the generator ignores z; the speckle's new phases lower "
             "it too)."]
    return "\n".join(lines + seed_lines + trajectory + window_lines + share_lines + notes) + "\n"


def _optional(metrics: dict[str, float], key: str, spec: str) -> str:
    """``metrics[key]`` formatted with ``spec``; n/a in evaluations made before that row existed."""
    value = metrics.get(key, math.nan)
    return "n/a" if math.isnan(value) else format(value, spec)


def _validation_keys(histories: dict[str, list[dict]]) -> set[str]:
    return {key for history in histories.values() for entry in history for key in entry.get("validation", {})}


def across_seed_lines(evaluation: dict[str, dict[str, float]], reference: str | None = None) -> list[str]:
    """The across-seed table (:mod:`~specklegan_tf.experiments.seed_summary`) if some arm has several seeds; every
    arm is compared with ``reference`` (default: the ``baseline`` arm)."""
    from specklegan_tf.experiments.seed_summary import BASELINE_ARM, group_by_arm, seed_summary_lines

    names = list(evaluation)
    if all(len(seeds) < 2 for seeds in group_by_arm(dict.fromkeys(names, 0.0)).values()):
        return []  # one seed per arm: the per-run table says it all
    kid = kid_metric(evaluation[names[0]])
    metrics = {"texture FD": {n: evaluation[n]["texture_fd"] for n in names},
               "KID": {n: evaluation[n][kid] for n in names},
               "tissue grain error": {n: grain_error(evaluation[n]) for n in names},
               "SSIM": {n: evaluation[n]["ssim_mean"] for n in names}}
    columns = (("texture FD", 3, False), ("KID", 4, False), ("tissue grain error", 0, True), ("SSIM", 3, False))
    return ["", "Across seeds:", "", *seed_summary_lines(metrics, columns, reference or BASELINE_ARM)]


def _window_row(runs_dir: Path, name: str, history: list[dict], curves: dict) -> str | None:
    """The windows-table row of run ``name`` (``None`` for the baseline); ``curves`` caches calibration curves."""
    from specklegan_tf.layers.speckle_calibration import measure_grain_curve  # TensorFlow: only where needed

    start, end = window_columns(history[0]), window_columns(history[-1])
    if start is None:
        return None
    config = _read_config(runs_dir / name)
    init_path = runs_dir / name / "speckle_init.json"
    init = json.loads(init_path.read_text()) if init_path.exists() else {}
    # The layer's grain is read on a curve measured with the local-mean box the data's grain was measured with
    # (--speckle-init data records it; earlier runs and the other inits used the evaluation's).
    detrend = int(init.get("detrend_px", DETREND_PX))
    base = (int(config["image_size"]), bool(config.get("polar", True)), config.get("window_profile", "rect"),
            config.get("lateral_aperture", "fixed_angle"), detrend)
    # The depth-scaled aperture's exponent changes the grain over the field of view: each end gets the curve
    # of its own exponent.
    exponents = [e["train"].get("aperture_exponent") for e in (history[0], history[-1])]
    grains = []
    for windows, exponent in zip((start, end), exponents):
        key = base + (None if exponent is None else round(float(exponent), 2),)
        if key not in curves:
            extra = {} if key[5] is None else {"lateral_aperture": key[3], "aperture_exponent": key[5]}
            curves[key] = measure_grain_curve(key[0], key[1], window_profile=key[2], detrend_px=key[4], **extra)
        grains.append(layer_grain(windows, curves[key]))
    (g0, g1) = grains
    # --speckle-windows R C writes speckle_init.json too, but measures no data grain (the windows were given).
    data = init.get("data_grain_px")
    if data is not None:
        data_text = f"{data['axial']:.2f} / {data['lateral']:.2f}" + (
            f" ({detrend} px local mean removed)" if "detrend_px" in init else "")
    else:
        data_text = "n/a (given windows)" if "given_centre_window" in init else "n/a (paper init)"
    gamma = "" if exponents[0] is None else f" (γ {exponents[0]:.2f} → {exponents[1]:.2f})"
    return (
        f"| {name} | {np.round(start, 2).tolist()} | {np.round(end, 2).tolist()}{gamma} | "
        f"{g0[0]:.2f} / {g0[1]:.2f} | {g1[0]:.2f} / {g1[1]:.2f} | {data_text} |")


def speckle_share_lines(runs_dir: Path, names: list[str], masks: int = 32) -> list[str]:
    """A table of how much of each direct-route run's image its speckle layer makes (empty if there is none).

    Measured on ``masks`` synthetic masks (seed 0) with the run's final generator, see
    :func:`~specklegan_tf.evaluation.speckle_share.speckle_share`.
    """
    import keras

    import specklegan_tf.models  # noqa: F401  (registers the generator's custom layers for loading)
    from specklegan_tf.data import random_ivus_masks, to_one_hot
    from specklegan_tf.evaluation.speckle_share import speckle_share

    rows, gains = [], set()
    for name in names:
        config = _read_config(runs_dir / name)
        path = runs_dir / name / "generator_final.keras"
        if config.get("speckle_route", "last_block") not in ("direct", "display") or not path.is_file():
            continue
        one_hot = to_one_hot(random_ivus_masks(masks, int(config["image_size"]), seed=0))
        share = speckle_share(keras.saving.load_model(path, compile=False), one_hot)
        gains.add(float(config.get("direct_gain", 0.0)))
        rows.append(f"| {name} | {share['speckle_std']:.4f} | {share['baseline_std']:.4f} | {share['ratio']:.3f} | "
                    f"{share['kernel_l2']:.4f} |")
    if not rows:
        return []
    return ["", "| run (direct speckle route) | std of the speckle term | std of the baseline path | ratio | "
            "1x1 kernel L2 |", "|---|---|---|---|---|", *rows, "",
            f"Pre-tanh image = baseline path + speckle term; spatial standard deviations, mean over {masks} "
            "synthetic masks (seed 0), final generator. " + _speckle_start_note(gains)]


def evaluated_generator_path(run_dir: Path) -> Path:
    """The generator the evaluation scores: the one ``finished.json`` names (the exported best), else the final."""
    try:
        exported = Path(json.loads((run_dir / "finished.json").read_text())["keras"])
        if exported.is_file():
            return exported
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return run_dir / "generator_final.keras"


def term_grain_lines(runs_dir: Path, names: list[str], masks: int = 64) -> list[str]:
    """A table of which term sets each direct-route run's tissue grain (empty if there is no such run): the grain
    and local contrast of the image, of the baseline path alone and of the speckle term alone
    (:func:`~specklegan_tf.evaluation.term_grain.term_grain`), on ``masks`` synthetic masks (seed 0) with the
    generator the evaluation scored."""
    import keras

    import specklegan_tf.models  # noqa: F401  (registers the generator's custom layers for loading)
    from specklegan_tf.data import random_ivus_masks
    from specklegan_tf.evaluation.term_grain import TERMS, term_grain

    def grain(stats: dict) -> str:
        return f"{stats['axial_grain_px']:.2f} / {stats['lateral_grain_px']:.2f}"

    rows = []
    for name in names:
        config = _read_config(runs_dir / name)
        path = evaluated_generator_path(runs_dir / name)
        if config.get("speckle_route", "last_block") not in ("direct", "display") or not path.is_file():
            continue
        label_maps = random_ivus_masks(masks, int(config["image_size"]), seed=0)
        result = term_grain(keras.saving.load_model(path, compile=False), label_maps)
        cells = [" / ".join(f"{result[t]['intima_media']['local_std']:.3f}" for t in TERMS)]
        cells += [grain(result[t][c]) for c in ("intima_media", "background") for t in TERMS]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    return ["", "| run (direct speckle route) | IM local std: image / baseline path / speckle term | IM grain ax / lat "
            "px: image | baseline path | speckle term | bg grain: image | baseline path | speckle term |",
            "|---|---|---|---|---|---|---|---|", *rows, "",
            f"Which term sets the grain: the evaluated generator on {masks} synthetic masks (seed 0); the image, the "
            "image with the speckle term at zero (the baseline path alone) and the speckle term alone on mid-gray, "
            "measured like the evaluation's grain (speckle_statistics); local std: about the 49 px local mean, in "
            "gray-scale units of [-1, 1]."]


def _speckle_start_note(gains: set[float]) -> str:
    """How the runs' 1x1 speckle-to-image kernel started (``--direct-gain``)."""
    if gains == {0.0}:
        return "The speckle term starts at zero (zero 1x1 kernel)."
    shown = ", ".join(f"{g:g}" for g in sorted(gains))
    return (f"The 1x1 kernel starts at direct_gain / maps per speckled map (direct_gain {shown} in these runs; "
            "0: the speckle term starts at zero).")


def _read_config(run_dir: Path) -> dict:
    import yaml

    return yaml.safe_load((run_dir / "config.yaml").read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specklegan_tf.experiments.ablation_report",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", help="folder holding the run folders and evaluation/report.csv")
    parser.add_argument("--out", required=True, help="Markdown file to write")
    parser.add_argument("--title", default="GAN ablations", help="heading of the report")
    args = parser.parse_args(argv)
    if not (Path(args.runs) / "evaluation" / "report.csv").is_file():
        print(f"ablation_report: error: {args.runs}/evaluation/report.csv does not exist (run evaluate_gan.py)",
              file=sys.stderr)
        return 2
    text = f"# {args.title}\n\n" + summarise(args.runs)
    from specklegan_tf.core.atomic_files import write_text

    write_text(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
