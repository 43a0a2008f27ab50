"""Synthetic training sets from an exported generator: masks in, (image, mask) pairs in the challenge layout out."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from specklegan_tf.export.loading import ExportedGenerator, load_generator


def draw_seeds(n: int, seed: int) -> np.ndarray:
    """``n`` distinct int64 generator seeds determined by ``seed``."""
    rng = np.random.default_rng(seed)
    return rng.choice(2**62, size=n, replace=False).astype(np.int64) if n else np.zeros(0, np.int64)


def masks_for_synthesis(masks: str | os.PathLike, n: int, image_size: int, seed: int = 0) -> np.ndarray:
    """``n`` label masks ``(n, image_size, image_size)`` uint8 for a generator.

    Args:
        masks: ``"synthetic"`` for random IVUS-like masks (``specklegan_tf.data.random_ivus_masks``), or a data
            folder (challenge layout or image/mask folders) or ``"phantom"`` whose masks are used in order and
            repeated when ``n`` is larger.
        n: number of masks.
        image_size: mask size (the generator's).
        seed: seed of the synthetic masks.
    """
    from specklegan_tf import data

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"`n` must be a positive integer, got {n!r}")
    if os.fspath(masks) == "synthetic":
        from specklegan_tf.data import random_ivus_masks

        return np.asarray(random_ivus_masks(int(n), image_size, seed=seed), dtype=np.uint8)
    if os.fspath(masks) != "phantom" and not Path(masks).exists():
        raise FileNotFoundError(f"--masks/`masks` folder {os.fspath(masks)!r} does not exist")
    found = np.asarray(data.load_dataset(os.fspath(masks), image_size=image_size).masks, dtype=np.uint8)
    if len(found) == 0:
        raise ValueError(f"no masks found in {os.fspath(masks)!r}")
    return found[np.arange(int(n)) % len(found)]


def synthesize_dataset(
    model: str | os.PathLike | ExportedGenerator,
    masks: str | os.PathLike = "synthetic",
    n: int = 1000,
    out: str | os.PathLike = "synthetic_data",
    seed: int = 0,
    batch_size: int = 16,
    replace: bool = False,
) -> Path:
    """Generates ``n`` images for masks and writes images and masks in the IVUS challenge layout.

    Args:
        model: an exported generator (SavedModel folder or ``.keras`` file) or an ``ExportedGenerator``.
        masks: ``"synthetic"`` or a data folder (see ``masks_for_synthesis``).
        n: number of pairs.
        out: output folder (``specklegan_tf.data.write_challenge_layout``).
        seed: seed of the synthetic masks and of the generator seeds.
        batch_size: images per generator call.
        replace: replace the contents of a non-empty ``out`` (otherwise refused, before any image is generated).
            Either way the set is written into a temporary folder that is renamed into place at the end
            (``specklegan_tf.data.output_folders.staged_folder``), so ``out`` never mixes old and new pairs.

    Returns:
        The output folder.

    Example:
        >>> synthesize_dataset("savedmodels/specklegan", "synthetic", n=100, out="augment")
    """
    from specklegan_tf.data.output_folders import staged_folder

    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer, got {batch_size!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer, got {seed!r}")
    with staged_folder(out, replace=replace) as temporary:
        _synthesize_into(temporary, model, masks, n, seed, batch_size)
    return Path(out)


def _synthesize_into(folder: Path, model, masks, n: int, seed: int, batch_size: int) -> None:
    from specklegan_tf import data

    generator = model if isinstance(model, ExportedGenerator) else load_generator(model)
    size = generator.image_size[0]
    labels = masks_for_synthesis(masks, n, size, seed=seed)
    images = generator(labels, draw_seeds(len(labels), seed), batch_size=batch_size)
    names = [f"synthetic_{i:05d}" for i in range(len(labels))]
    data.write_challenge_layout(os.fspath(folder), images, labels, names=names)
