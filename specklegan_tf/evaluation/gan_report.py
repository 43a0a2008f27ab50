"""Evaluation of exported generators against a real data set: metrics report and comparison grid."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from specklegan_tf.evaluation.grid import sample_grid
from specklegan_tf.export.loading import load_generator
from specklegan_tf.export.synthesis import draw_seeds


def model_name(path: str | os.PathLike) -> str:
    """A readable name for a model path: the model folder for ``name/<version>``, else the file or folder name."""
    path = Path(path)
    if path.name.isdigit():
        return f"{path.parent.name} v{path.name}"
    return path.stem if path.suffix == ".keras" else path.name


def make_features(features: str = "texture", inception_weights: str | os.PathLike | None = None):
    """The feature extractor for FID/KID: ``None`` (texture features only) or ``InceptionFeatures``."""
    from specklegan_tf.metrics import InceptionFeatures

    if features == "texture":
        if inception_weights is not None:
            raise ValueError("`inception_weights` needs `features='inception'`")
        return None
    if features == "inception":
        if inception_weights is None:
            raise ValueError("`features='inception'` needs `inception_weights` (a local weights file; no download)")
        if not Path(inception_weights).exists():
            raise FileNotFoundError(f"--inception-weights file {os.fspath(inception_weights)!r} does not exist")
        return InceptionFeatures(weights=os.fspath(inception_weights))
    raise ValueError(f"`features` must be 'texture' or 'inception', got {features!r}")


def evaluate_generators(
    models: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    names: Sequence[str] | None = None,
    data: str | os.PathLike = "phantom",
    n: int | None = None,
    features: str = "texture",
    inception_weights: str | os.PathLike | None = None,
    grid_columns: int = 6,
    seed: int = 0,
):
    """Generates images for every real mask with each model and compares them with the real images.

    As in the paper's validation, the generators are conditioned on the data set's own masks, so the comparison
    is about texture, not morphology. Each model also draws a second image per mask from other z (seeds from
    ``seed + 1``), for ``same_mask_ssim``: how much z changes an image (1: not at all, a collapsed generator).
    Writes ``report.md``, ``report.csv`` (metrics as rows, models as columns) and ``grid.png`` (masks, real images,
    then one row per model) into ``out``.

    Args:
        models: exported generators (SavedModel version or model folders, or ``.keras`` files).
        out: output folder.
        names: row/column names, one per model (default: from the paths).
        data: ``"phantom"`` or a data folder (``specklegan_tf.data.load_dataset``).
        n: use only the first ``n`` samples of the data set.
        features: ``"texture"`` (default, no download) or ``"inception"`` (FID/KID with Inception-v3 weights).
        inception_weights: local Inception-v3 weights file for ``features="inception"``.
        grid_columns: masks shown in the grid.
        seed: seed of the generator inputs and of the KID subsets.

    Returns:
        The ``specklegan_tf.metrics.ModelComparison``.

    Example:
        >>> evaluate_generators(["savedmodels/specklegan", "savedmodels/baseline"], "evaluation",
        ...                     names=["SpeckleGAN", "Baseline"], data="phantom")
    """
    from specklegan_tf.data import load_dataset
    from specklegan_tf.metrics import compare_models

    if not models:
        raise ValueError("give at least one model")
    names = [model_name(m) for m in models] if names is None else [str(x) for x in names]
    if len(names) != len(models):
        raise ValueError(f"got {len(names)} names for {len(models)} models: give one --name per --model")
    if len(set(names)) != len(names):
        raise ValueError(f"model names must be distinct, got {names}")
    extractor = make_features(features, inception_weights)
    generators = [load_generator(m) for m in models]
    sizes = {g.image_size for g in generators}
    if len(sizes) != 1:
        raise ValueError(f"the models generate different image sizes {sorted(sizes)}; compare models of one size")
    size = sizes.pop()[0]
    real = load_dataset(os.fspath(data), image_size=size, n=n)
    seeds = draw_seeds(len(real.masks), seed)
    other_seeds = draw_seeds(len(real.masks), seed + 1)
    generated = {name: (g(real.masks, seeds), real.masks, g(real.masks, other_seeds))
                 for name, g in zip(names, generators)}
    comparison = compare_models(real.images, real.masks, generated, features=extractor, seed=seed)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").write_text(f"# Generator evaluation on {os.fspath(data)} ({len(real.masks)} images, "
                                   f"{size} px)\n\n" + comparison.to_markdown())
    comparison.to_csv(out / "report.csv")
    columns = np.linspace(0, len(real.masks) - 1, min(grid_columns, len(real.masks))).round().astype(int)
    sample_grid(out / "grid.png", real.masks[columns], {k: v[0][columns] for k, v in generated.items()},
                real_images=real.images[columns])
    return comparison
