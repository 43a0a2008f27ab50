"""How a run's validation value moved between validations: the instability behind the exported generator.

A run exports its best validated generator (``generator_best.keras``), i.e. the best of a few draws from an
oscillating training. When consecutive validations differ by a large factor, the exported generator's quality is
largely luck of the draw, and so is the comparison of two runs; this table shows it per run.
"""

from __future__ import annotations

import math


def validations(history: list[dict], metric: str = "texture_fd") -> list[tuple[int, float]]:
    """``(epoch, value)`` of every validated epoch of a ``history.jsonl`` record list, in epoch order."""
    return [(int(entry["epoch"]), float(entry["validation"][metric])) for entry in history
            if metric in entry.get("validation", {})]


def swing(values: list[float]) -> float:
    """Largest ratio of two consecutive validation values (the larger over the smaller); NaN with fewer than two
    finite positive values."""
    pairs = [(a, b) for a, b in zip(values, values[1:]) if a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)]
    return max((max(a, b) / min(a, b) for a, b in pairs), default=float("nan"))


def trajectory_lines(histories: dict[str, list[dict]], metric: str = "texture_fd") -> list[str]:
    """A Markdown table: per run the validation values, the best epoch (the exported generator) and the largest
    swing between consecutive validations; ``[]`` when no run validated more than once."""
    rows = []
    for name, history in histories.items():
        points = validations(history, metric)
        if len(points) < 2:
            continue
        best_epoch, best = min(points, key=lambda point: point[1])
        shown = " / ".join(f"{value:.3g}" for _, value in points)
        rows.append(f"| {name} | {', '.join(str(epoch) for epoch, _ in points)} | {shown} | {best_epoch} "
                    f"({best:.3g}) | {swing([value for _, value in points]):.1f}x |")
    if not rows:
        return []
    return ["", f"Validation {metric} during each run (images from the training masks against the training images; "
                "the best one is exported), and the largest ratio between two consecutive validations:", "",
            "| run | validated at epochs | values | best epoch (value) | largest swing |", "|---|---|---|---|---|",
            *rows]

