"""The experiment's GAN runs: which models, their display names, run folder names and the synthetic masks.

Below every stage module (``paper_experiment``, ``figures``, ``segmentation``, ``report``), so that they share
these names without importing each other. The display names are defined here once for the whole package.
"""
from __future__ import annotations

import re

import numpy as np

MODELS = ("speckle", "baseline")
MODEL_LABELS = {"speckle": "SpeckleGAN", "baseline": "Baseline GAN"}


_RUN_NAME = re.compile(r"^(?P<arm>.+_n\d+)_s(?P<seed>\d+)$")


def run_name(model: str, n_train: int, seed: int) -> str:
    """Folder name of one GAN run, e.g. ``speckle_n50_s0``."""
    return f"{model}_n{n_train}_s{seed}"


def arm_and_seed_of_run(name: str) -> tuple[str, int] | None:
    """``("speckle_n50", 2)`` for ``run_name("speckle", 50, 2)``: the runs that differ only in their seed share the
    arm; None for a name that ``run_name`` does not make."""
    match = _RUN_NAME.match(name)
    return None if match is None else (match["arm"], int(match["seed"]))


def synthetic_masks(train_masks: np.ndarray, n: int, image_size: int, seed: int) -> np.ndarray:
    """``n`` synthetic IVUS masks whose size/shape ranges are fitted on ``train_masks`` (the paper's evaluation)."""
    from specklegan_tf.data.masks import fit_mask_prior, random_ivus_masks

    return random_ivus_masks(n, image_size=image_size, seed=seed, prior=fit_mask_prior(train_masks))
