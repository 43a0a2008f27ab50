"""The study's statistics and Table 2: mean ± std over folds, paired t-tests over the test images.

- mean ± std: over the k folds of each fold's mean over the test images (sample std, ddof=1);
- p-values: two-sided paired t-tests (``specklegan_tf.metrics.paired_t_test``, i.e. ``scipy.stats.ttest_rel``)
  between two conditions, paired over the test images, each image's score averaged over the k fold models. As in
  the paper, no multiple-test correction. Identical scores in both conditions give p = 1.
"""
from __future__ import annotations

import numpy as np

from specklegan_tf.experiments.study_config import Condition
from specklegan_tf.training.segmentation_trainer import EVALUATED_CLASSES

METRICS = ("dice", "mhd")
METRIC_TITLES = {"dice": "Dice coefficient (%)", "mhd": "Modified Hausdorff distance (pixels)"}
CLASS_TITLES = {"intima_media": "Intima/media", "lumen": "Lumen"}


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    values = np.asarray(values, np.float64)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def paired_p_value(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(t, p) of the two-sided paired t-test; (0, 1) when the two score lists are identical."""
    from specklegan_tf.metrics import paired_t_test

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if np.array_equal(a, b):
        return 0.0, 1.0
    return paired_t_test(a, b)


def _summary_rows(n: int, name: str, scores: list[dict[str, np.ndarray]], folds: int) -> list[dict]:
    rows = []
    for metric in METRICS:
        scale = 100.0 if metric == "dice" else 1.0
        for cls in EVALUATED_CLASSES:
            key = f"{metric}_{cls}"
            mean, std = _mean_std(np.array([np.mean(s[key]) for s in scores]) * scale)
            rows.append({"n_train": n, "condition": name, "metric": metric, "class": cls, "mean": mean,
                         "std": std, "folds": folds, "test_images": len(scores[0][key])})
    return rows


def _pvalue_rows(n: int, a: str, b: str, per_image: dict) -> list[dict]:
    rows = []
    for metric in METRICS:
        for cls in EVALUATED_CLASSES:
            key = f"{metric}_{cls}"
            t, p = paired_p_value(per_image[(n, a)][key], per_image[(n, b)][key])
            rows.append({"n_train": n, "condition_a": a, "condition_b": b, "metric": metric, "class": cls,
                         "t": t, "p": p, "pairs": len(per_image[(n, a)][key])})
    return rows


def summarize(results: dict, scenarios: tuple[int, ...], conditions: list[Condition], folds: int):
    """Table rows from ``results[(n_train, fold, condition)] = {metric_class: per-test-image scores}``.

    Returns:
        ``(summary_rows, pvalue_rows, per_image)``: mean/std per scenario, condition, metric and class; t and p
        per scenario, condition pair, metric and class; fold-averaged per-image scores for the box plot.
    """
    summary_rows, pvalue_rows = [], []
    per_image: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    for n in scenarios:
        for c in conditions:
            scores = [results[(n, f, c.name)] for f in range(folds)]
            per_image[(n, c.name)] = {key: np.mean([s[key] for s in scores], axis=0) for key in scores[0]}
            summary_rows += _summary_rows(n, c.name, scores, folds)
        for i, a in enumerate(conditions):
            for b in conditions[i + 1:]:
                pvalue_rows += _pvalue_rows(n, a.name, b.name, per_image)
    return summary_rows, pvalue_rows, per_image


def _format_p(p: float) -> str:
    text = "< 0.001" if p < 0.001 else f"{p:.3f}"
    return f"**{text}**" if p < 0.05 else text


def _score_tables(summary_rows: list[dict]) -> list[str]:
    lines = []
    index = {(r["n_train"], r["condition"], r["metric"], r["class"]): r for r in summary_rows}
    scenarios = list(dict.fromkeys(r["n_train"] for r in summary_rows))
    conditions = list(dict.fromkeys(r["condition"] for r in summary_rows))
    classes = list(EVALUATED_CLASSES)
    for metric in METRICS:
        lines += [f"### {METRIC_TITLES[metric]}", "",
                  "| Training images | Condition | " + " | ".join(CLASS_TITLES[c] for c in classes) + " |",
                  "|---|---|" + "---|" * len(classes)]
        for n in scenarios:
            for c in conditions:
                cells = [f"{index[(n, c, metric, k)]['mean']:.2f} ± {index[(n, c, metric, k)]['std']:.2f}"
                         for k in classes]
                lines.append(f"| {n} | {c} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _pvalue_table(pvalue_rows: list[dict]) -> list[str]:
    columns = [(m, k) for m in METRICS for k in EVALUATED_CLASSES]
    lines = ["### Paired t-tests (p-values)", "",
             "| Training images | Comparison | " + " | ".join(
                 f"{'Dice' if m == 'dice' else 'MHD'} {CLASS_TITLES[k].lower()}" for m, k in columns) + " |",
             "|---|---|" + "---|" * len(columns)]
    pindex = {(r["n_train"], r["condition_a"], r["condition_b"], r["metric"], r["class"]): r for r in pvalue_rows}
    pairs = list(dict.fromkeys((r["n_train"], r["condition_a"], r["condition_b"]) for r in pvalue_rows))
    for n, a, b in pairs:
        cells = [_format_p(pindex[(n, a, b, m, k)]["p"]) for m, k in columns]
        lines.append(f"| {n} | {a} vs {b} | " + " | ".join(cells) + " |")
    if not pairs:
        lines.append("| – | only one condition: no comparison | " + " | ".join("–" for _ in columns) + " |")
    return lines


def table2_markdown(summary_rows: list[dict], pvalue_rows: list[dict], header: str = "") -> str:
    """Table 2 as Markdown: Dice (%) and modified Hausdorff distance (pixels), mean ± std, then the p-values
    (bold below 0.05, as in the paper)."""
    lines = ([header] if header else []) + _score_tables(summary_rows) + _pvalue_table(pvalue_rows)
    return "\n".join(lines) + "\n"
