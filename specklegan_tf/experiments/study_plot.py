"""The study's box plot: fold-averaged per-test-image scores, one panel per metric and class."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from specklegan_tf.core.atomic_files import save_figure
from specklegan_tf.experiments.study_tables import CLASS_TITLES, EVALUATED_CLASSES, METRIC_TITLES, METRICS


def box_plot(per_image: dict[tuple[int, str], dict[str, np.ndarray]], path: Path) -> Path:
    """Box plots of the fold-averaged per-test-image scores: one panel per metric and class, one box per
    scenario and condition."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(per_image)
    fig, axes = plt.subplots(2, 2, figsize=(4 + 1.2 * len(keys), 8), squeeze=False)
    for row, metric in enumerate(METRICS):
        for col, cls in enumerate(EVALUATED_CLASSES):
            ax = axes[row][col]
            scale = 100.0 if metric == "dice" else 1.0
            ax.boxplot([per_image[k][f"{metric}_{cls}"] * scale for k in keys])
            ax.set_xticks(range(1, len(keys) + 1), [f"{n}\n{c}" for n, c in keys], fontsize=8)
            ax.set_title(f"{METRIC_TITLES[metric].split(' (')[0]}, {CLASS_TITLES[cls].lower()}")
            ax.set_ylabel(METRIC_TITLES[metric])
    fig.tight_layout()
    return save_figure(fig, path, dpi=100)
