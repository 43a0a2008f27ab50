"""The paper's figures from an experiment's records: Fig. 5 (metric against training images) and Fig. 6 (grid).

Both read exported generators and evaluation records only, never training internals.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from specklegan_tf.evaluation.figure_files import save_figure
from specklegan_tf.experiments.aggregate import metric_over_seeds
from specklegan_tf.experiments.gan_runs import MODEL_LABELS, MODELS, synthetic_masks

MODEL_STYLE = {"speckle": (MODEL_LABELS["speckle"], "tab:blue", "o"),
               "baseline": (MODEL_LABELS["baseline"], "tab:orange", "s")}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers and in CI
    import matplotlib.pyplot as plt

    return plt


def fig5_panels(runs: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(metric key, axis label) of the panels: texture FD, KID, and FID when it was computed."""
    panels = [("texture_fd", "texture Fréchet distance"), ("kid_mean", "KID")]
    if any(run["eval"].get("fid") is not None for run in runs.values()):
        panels.insert(0, ("fid", "FID (Inception)"))
    return panels


def fig5_metrics(runs: dict[str, dict[str, Any]], path: str | os.PathLike) -> Path:
    """Fig. 5: each distance against the number of GAN training images, both models, mean ± std over seeds.

    Args:
        runs: ``{run name: {"model", "n_train", "seed", "eval": {...}}}`` as the experiment collects them.
        path: PNG file to write.

    Returns:
        The PNG path.
    """
    plt = _pyplot()
    panels = fig5_panels(runs)
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False)
    n_values = sorted({run["n_train"] for run in runs.values()})
    positions = np.arange(len(n_values))
    for axis, (key, label) in zip(axes[0], panels):
        for offset, (model, (name, colour, marker)) in zip((-0.08, 0.08), MODEL_STYLE.items()):
            stats = [metric_over_seeds(runs, model, n, key) for n in n_values]
            means = np.array([s[0] for s in stats], dtype=float)
            stds = np.array([s[1] for s in stats], dtype=float)
            seeds = max(s[2] for s in stats)
            axis.errorbar(positions + offset, means, yerr=stds if seeds > 1 else None, color=colour, marker=marker,
                          capsize=4, label=f"{name}" + (f" (mean ± std, {seeds} seeds)" if seeds > 1 else ""))
        axis.set_xticks(positions, [str(n) for n in n_values])
        axis.set_xlabel("number of GAN training images")
        axis.set_ylabel(f"{label} (lower is better)")
        axis.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    figure.tight_layout()
    return save_figure(figure, path, dpi=110)


def fig6_grid(runs: dict[str, dict[str, Any]], budget, real_masks: np.ndarray, path: str | os.PathLike,
              mask_seed: int) -> Path:
    """Fig. 6: images of both models (rows) for each number of training images (columns, largest first), all
    generated from the same synthetic mask and generator seed, with the mask on the left.

    Uses each (model, n) run of the first seed. The mask is drawn by ``random_ivus_masks`` with a prior fitted on
    all real masks and ``mask_seed``.
    """
    from specklegan_tf.export import load_generator

    plt = _pyplot()
    mask = synthetic_masks(np.asarray(real_masks), 1, budget.image_size, mask_seed)
    seed = budget.seeds[0]
    n_values = sorted({run["n_train"] for run in runs.values()}, reverse=True)
    figure, axes = plt.subplots(len(MODELS), len(n_values) + 1, figsize=(2.0 * (len(n_values) + 1), 2.1 * len(MODELS)),
                                squeeze=False)
    for row, model in enumerate(MODELS):
        axes[row][0].imshow(mask[0], cmap="gray", vmin=0, vmax=2)  # lumen black, background white
        axes[row][0].set_title("mask" if row == 0 else "", fontsize=9)
        axes[row][0].set_ylabel(MODEL_STYLE[model][0], fontsize=10)
        for column, n_train in enumerate(n_values, start=1):
            run = next(r for r in runs.values() if r["model"] == model and r["n_train"] == n_train and r["seed"] == seed)
            image = load_generator(run["gan"]["keras"])(mask, np.array([mask_seed], np.int64))[0]
            axes[row][column].imshow(image, cmap="gray", vmin=0, vmax=255)
            if row == 0:
                axes[row][column].set_title(f"{n_train} training images", fontsize=9)
    for axis in axes.ravel():
        axis.set_xticks([])
        axis.set_yticks([])
    figure.tight_layout()
    return save_figure(figure, path, dpi=110)
