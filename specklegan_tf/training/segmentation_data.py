"""The data of a segmentation run: checks of masks and image sizes, the split, the pre-training images.

The checks name the option and the images at fault, before any network is built.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from specklegan_tf import CLASS_NAMES


def check_masks(masks: np.ndarray, names: list[str] | None, what: str, num_classes: int = 3) -> None:
    """Every mask must hold only labels ``0..num_classes-1`` and contain every class.

    A mask without lumen or intima/media cannot be learned from as an IVUS frame, and its modified Hausdorff
    distance would be undefined.

    Raises:
        ValueError: naming ``what`` (e.g. ``--data phantom``), the first offending images and the missing classes.
    """
    masks = np.asarray(masks)
    if masks.ndim != 3 or len(masks) == 0:
        raise ValueError(f"{what}: masks must be a non-empty (N, H, W) array, got shape {masks.shape}")
    if masks.min() < 0 or masks.max() >= num_classes:
        raise ValueError(f"{what}: masks must hold labels 0..{num_classes - 1}, got {masks.min()}..{masks.max()}")
    present = np.stack([(masks == c).any(axis=(1, 2)) for c in range(num_classes)], axis=1)
    bad = np.flatnonzero(~present.all(axis=1))
    if bad.size:
        listed = []
        for i in bad[:5]:
            label = names[i] if names is not None else f"#{i}"
            missing = [CLASS_NAMES[c] if c < len(CLASS_NAMES) else str(c) for c in np.flatnonzero(~present[i])]
            listed.append(f"{label} (no {', '.join(missing)})")
        more = f" and {bad.size - 5} more" if bad.size > 5 else ""
        raise ValueError(f"{what}: {bad.size} mask(s) lack a class: {'; '.join(listed)}{more}. Every mask must "
                         f"contain lumen, intima/media and background; remove or fix these images.")


def check_same_size(images: np.ndarray, image_size: int, what: str) -> None:
    """Pre-training and fine-tuning images must have the same size (the network is built for one size).

    Raises:
        ValueError: naming ``what`` and both sizes.
    """
    shape = tuple(np.asarray(images).shape[1:3])
    if shape != (image_size, image_size):
        raise ValueError(f"{what}: images are {shape[0]}x{shape[1]} but the fine-tuning images (--image-size) are "
                         f"{image_size}x{image_size}; generate the pre-training images at that size.")


def load_pretraining_data(folder: str | os.PathLike, image_size: int, seed: int = 0):
    """Generated images and masks of ``folder`` (challenge layout) at their stored size, checked.

    Raises:
        FileNotFoundError: the folder does not exist.
        ValueError: the images are not ``image_size`` square (mismatched pre-training and fine-tuning sizes), or
            a mask lacks a class.
    """
    from specklegan_tf.data import load_dataset

    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"--pretrain: no such folder: {folder}")
    stored = stored_image_size(folder)
    if stored is not None and stored != (image_size, image_size):
        raise ValueError(f"--pretrain {folder}: images are {stored[0]}x{stored[1]} but the fine-tuning images "
                         f"(--image-size) are {image_size}x{image_size}; generate the pre-training images at "
                         f"that size.")
    data = load_dataset(os.fspath(folder), image_size=image_size, seed=seed)
    check_same_size(data.images, image_size, f"--pretrain {folder}")
    check_masks(data.masks, data.names, f"--pretrain {folder}")
    return data


def stored_image_size(folder: Path) -> tuple[int, int] | None:
    """(height, width) of the first image file of a challenge-layout (``DCM/``) or ``images/`` folder, or None."""
    from specklegan_tf.data.image_files import list_images, read_gray_image

    for sub in ("DCM", "images"):
        if (folder / sub).is_dir():
            files = list_images(folder / sub)
            if files:
                return tuple(read_gray_image(files[0]).shape[:2])
    return None


def split_train_validation(n_images: int, n_train: int | None, val_images: int) -> tuple[int, int]:
    """(training images, held-out images) of a data set of ``n_images``: the first ``n_train`` images train and
    up to ``val_images`` of the following ones are held out (at most a fifth when ``n_train`` is None)."""
    if n_train is None:
        n_val = min(val_images, n_images // 5)
        return n_images - n_val, n_val
    if n_train > n_images:
        raise ValueError(f"--n-train {n_train} is larger than the data set ({n_images} images)")
    return n_train, min(val_images, n_images - n_train)


def load_training_data(config) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The images and masks of ``config.data`` with the numbers of training and held-out images, checked.

    Only what is used is loaded: the first ``n_train`` training images and the held-out ones after them.

    Returns:
        ``(images, masks, n_train, n_val)``: the first ``n_train`` images train, the ``n_val`` after them are held
        out.
    """
    from specklegan_tf.data import load_dataset

    wanted = None if config.n_train is None else config.n_train + config.val_images
    data = load_dataset(config.data, image_size=config.image_size, n=wanted if config.data == "phantom" else None,
                        seed=config.data_seed)
    n_train, n_val = split_train_validation(len(data), config.n_train, config.val_images)
    images, masks = np.asarray(data.images), np.asarray(data.masks)
    check_masks(masks[:n_train + n_val], data.names[:n_train + n_val], f"--data {config.data}")
    return images, masks, n_train, n_val
