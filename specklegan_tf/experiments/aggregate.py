"""Collecting per-run evaluation records into per-(model, n-train) values: mean and spread over seeds."""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def lookup(record: dict[str, Any], key: str) -> float | None:
    """The value at a dotted ``key`` (``"jsd.lumen"``) of a record, None if absent."""
    value: Any = record
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return None if value is None else float(value)


def metric_over_seeds(runs: dict[str, dict[str, Any]], model: str, n_train: int, key: str) -> tuple[float, float, int]:
    """Mean, standard deviation (ddof=0; 0 for one seed) and number of seeds of ``eval[key]`` over the runs of
    ``model`` on ``n_train`` images. NaN mean when no run has the value."""
    values = [lookup(run["eval"], key) for run in runs.values() if run["model"] == model and run["n_train"] == n_train]
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return math.nan, math.nan, 0
    return float(np.mean(values)), float(np.std(values)), len(values)


def improvement_percent(baseline: float, speckle: float) -> float:
    """The paper's improvement of SpeckleGAN over the baseline for a lower-is-better distance:
    ``(baseline - speckle) / speckle * 100`` (FID 354.9 vs 134.0 -> 165 %)."""
    if not (math.isfinite(baseline) and math.isfinite(speckle)) or speckle == 0:
        return math.nan
    return (baseline - speckle) / speckle * 100.0
