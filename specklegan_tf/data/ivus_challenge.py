"""The IVUS challenge data set of Balocco et al. (2014): loader and writer of its folder layout.

Layout (the folder is named DCM but holds PNGs)::

    root/DCM/frame_01_0001_003.png          384x384 8-bit gray, 0.026 mm per pixel
    root/LABELS/lum_frame_01_0001_003.txt   lumen contour, one "x, y" point per line
    root/LABELS/med_frame_01_0001_003.txt   media-adventitia contour

Test-set annotations of other observers live in other folders (``LABELS_obs1``, ...): pass ``labels_dir``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Sequence

import numpy as np

from .annotation_checks import missing_classes
from .contours import (contours_from_mask, fill_polygon, read_contour, scale_contour, write_contour)
from .image_files import read_gray_image, resize_image, write_gray_png
from .ivus_data import DataFormatError, IVUSData, SkippedSample
from .samples import check_loader_arguments, load_samples, skip_or_raise
from .. import BACKGROUND, INTIMA_MEDIA, LUMEN

LUMEN_INSIDE_TOLERANCE = 0.01  # share of the lumen area allowed outside the media contour (annotation jitter)


def _load_sample(image_path: Path, lumen_path: Path, media_path: Path, image_size: int) -> tuple:
    """(resized image, mask, the image's original shape) of one sample; DataFormatError naming the bad file."""
    image = read_gray_image(image_path)
    shape = image.shape
    lumen_xy = scale_contour(read_contour(lumen_path, shape), shape, (image_size, image_size))
    media_xy = scale_contour(read_contour(media_path, shape), shape, (image_size, image_size))
    # Filling the scaled polygons at the target size is exact; resizing a filled mask would add staircase errors.
    target = (image_size, image_size)
    vessel = fill_polygon(media_xy, target)
    lumen = fill_polygon(lumen_xy, target)
    outside = np.count_nonzero(lumen & ~vessel)
    if outside > LUMEN_INSIDE_TOLERANCE * max(np.count_nonzero(lumen), 1) + 1:
        raise DataFormatError(lumen_path, f"lumen contour is not inside the media contour {media_path.name} "
                                          f"({outside / max(np.count_nonzero(lumen), 1):.1%} of the lumen area "
                                          "lies outside it)")
    if not vessel.any():
        raise DataFormatError(media_path, "the media contour encloses no pixel centre")
    mask = np.full(target, BACKGROUND, dtype=np.uint8)
    mask[vessel] = INTIMA_MEDIA
    mask[lumen & vessel] = LUMEN
    missing = missing_classes(mask)
    if "lumen" in missing:
        raise DataFormatError(lumen_path, f"the lumen contour encloses no pixel at {image_size}x{image_size} (zero "
                                          f"area): the mask would have no lumen")
    if "intima_media" in missing:
        raise DataFormatError(lumen_path, f"the lumen contour covers the whole media contour {media_path.name} "
                                          f"(identical contours?): the mask would have no intima/media")
    return resize_image(image, image_size), mask, shape


def load_ivus_challenge(root: str | os.PathLike, image_size: int = 256, labels_dir: str = "LABELS",
                        on_error: Literal["raise", "skip"] = "raise") -> IVUSData:
    """Load the IVUS challenge layout (Balocco et al. 2014) into images and 3-class masks.

    The media polygon is filled as intima/media and the lumen polygon inside it as lumen (scikit-image polygon
    filling of the contours scaled to ``image_size``); images are resized by area averaging (bilinear when
    enlarging). A lumen reaching less than 1% of its area outside the media is clipped to it.

    Args:
        root: folder containing ``DCM/`` and ``labels_dir``.
        image_size: edge length of the returned square images.
        labels_dir: contour folder inside ``root`` (``LABELS``, or e.g. ``LABELS_obs1`` for the test set).
        on_error: ``"raise"`` stops at the first malformed sample; ``"skip"`` leaves it out, lists it in
            ``IVUSData.skipped`` with the reason and warns once.

    Returns:
        ``IVUSData`` with the image stems as names, sorted by name.

    Raises:
        FileNotFoundError: ``root``, ``DCM/`` or ``labels_dir`` is missing.
        DataFormatError (a ValueError): an empty folder, a missing or extra contour file, a malformed contour or
            image; the message names the file (and line).

    Example:
        >>> data = load_ivus_challenge("/data/ivus_challenge", labels_dir="LABELS")  # doctest: +SKIP
    """
    image_size = check_loader_arguments(image_size, on_error)
    root, dcm, labels = _challenge_folders(root, labels_dir)
    image_paths = sorted(p for p in dcm.iterdir() if p.is_file() and p.suffix.lower() == ".png")
    if not image_paths:
        raise DataFormatError(dcm, "no .png images in this folder")
    skipped: list[SkippedSample] = []
    for error in _contours_without_images(labels, dcm, {p.stem for p in image_paths}):
        skip_or_raise(error, Path(error.path).name, on_error, skipped)

    def read_sample(image_path: Path) -> tuple:
        lumen_path = labels / f"lum_{image_path.stem}.txt"
        media_path = labels / f"med_{image_path.stem}.txt"
        for path in (lumen_path, media_path):
            if not path.is_file():
                raise DataFormatError(path, f"missing contour file for image {image_path}")
        return _load_sample(image_path, lumen_path, media_path, image_size)

    return load_samples(image_paths, read_sample, source=root, notice_folder=dcm, image_size=image_size,
                        on_error=on_error, skipped=skipped)


def _challenge_folders(root, labels_dir: str) -> tuple[Path, Path, Path]:
    """``(root, root/DCM, root/labels_dir)``; FileNotFoundError naming the missing one (and the label folders
    that are there)."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: IVUS challenge folder not found")
    dcm = root / "DCM"
    if not dcm.is_dir():
        raise FileNotFoundError(f"{dcm}: image folder DCM/ not found in the IVUS challenge folder {root}")
    labels = root / labels_dir
    if not labels.is_dir():
        found = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.upper().startswith("LABELS"))
        raise FileNotFoundError(f"{labels}: contour folder not found (label folders present: {found or 'none'})")
    return root, dcm, labels


def _contours_without_images(labels: Path, dcm: Path, stems: set[str]) -> list[DataFormatError]:
    """One error per ``lum_*.txt`` / ``med_*.txt`` file whose image is not in ``dcm``, in file order."""
    problems = []
    for contour in sorted(labels.glob("*.txt")):
        for prefix in ("lum_", "med_"):
            if contour.name.startswith(prefix) and contour.stem[len(prefix):] not in stems:
                problems.append(DataFormatError(contour, f"contour file without an image "
                                                         f"(no {dcm.name}/{contour.stem[len(prefix):]}.png)"))
    return problems


def write_challenge_layout(root: str | os.PathLike, images: np.ndarray, masks: np.ndarray,
                           names: Sequence[str] | None = None, labels_dir: str = "LABELS",
                           n_points: int = 360) -> list[str]:
    """Write images and masks in the IVUS challenge layout, so ``load_ivus_challenge`` reads them back.

    Each mask's lumen (label 0) and vessel (labels 0 and 1) outlines become ``lum_<name>.txt`` and
    ``med_<name>.txt`` with ``n_points`` points (one decimal) in the image's pixel coordinates.

    Args:
        root: output folder (created); receives ``DCM/`` and ``labels_dir``.
        images: uint8 (N, H, W).
        masks: uint8 (N, H, W) label maps, each with a lumen and an intima/media region.
        names: file stems (default ``frame_0001`` ...).
        labels_dir: contour folder name.
        n_points: points per contour.

    Returns:
        The names written.
    """
    images, masks = np.asarray(images), np.asarray(masks)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (N, H, W), got {images.dtype} {images.shape}")
    if masks.shape != images.shape:
        raise ValueError(f"masks must have the images' shape {images.shape}, got {masks.shape}")
    names = [f"frame_{i + 1:04d}" for i in range(len(images))] if names is None else list(names)
    if len(names) != len(images) or len(set(names)) != len(names):
        raise ValueError(f"names must be {len(images)} distinct file stems, got {len(names)} "
                         f"({len(set(names))} distinct)")
    root = Path(root)
    (root / "DCM").mkdir(parents=True, exist_ok=True)
    (root / labels_dir).mkdir(parents=True, exist_ok=True)
    for i, (image, mask, name) in enumerate(zip(images, masks, names)):
        if not (mask == LUMEN).any() or not (mask == INTIMA_MEDIA).any():
            raise ValueError(f"masks[{i}] ({name}) needs a lumen and an intima/media region to give contours")
        lumen_xy, media_xy = contours_from_mask(mask, n_points)
        write_gray_png(root / "DCM" / f"{name}.png", image)
        write_contour(root / labels_dir / f"lum_{name}.txt", lumen_xy)
        write_contour(root / labels_dir / f"med_{name}.txt", media_xy)
    return names
