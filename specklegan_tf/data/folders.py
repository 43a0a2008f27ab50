"""Generic loader for other modalities: a folder of images and a folder of PNG label maps with matching names."""
from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Literal

import numpy as np

from .annotation_checks import NonSquareNotice, missing_classes
from .image_files import list_images, read_gray_image, read_label_map, resize_image, resize_labels
from .ivus_data import DataFormatError, IVUSData, SkippedSample


def load_image_folders(images_dir: str | os.PathLike, labels_dir: str | os.PathLike, image_size: int = 256,
                       on_error: Literal["raise", "skip"] = "raise", num_classes: int = 3) -> IVUSData:
    """Load image/label-map pairs matched by file stem (``images/a.png`` with ``labels/a.png``).

    Images may be PNG, JPEG, TIFF or BMP (colour is converted to gray with a warning, 16-bit is refused, see
    ``image_files``); label maps are single-channel PNGs with values 0..num_classes-1 and the image's size.
    Images are resized by area averaging (bilinear when enlarging), label maps by nearest neighbour.

    Args:
        images_dir: folder of images.
        labels_dir: folder of label maps.
        image_size: edge length of the returned square images.
        on_error: ``"raise"`` or ``"skip"`` (bad pairs listed in ``IVUSData.skipped`` with the reason).
        num_classes: number of classes allowed in the label maps.

    Returns:
        ``IVUSData`` sorted by name.

    Raises:
        FileNotFoundError: a folder is missing.
        DataFormatError (a ValueError): an empty folder, an image without label map or vice versa, mismatched
            sizes, labels outside 0..num_classes-1, unreadable files; the message names the file.

    Example:
        >>> data = load_image_folders("my_data/images", "my_data/labels", image_size=128)  # doctest: +SKIP
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f'on_error must be "raise" or "skip", got {on_error!r}')
    if int(image_size) != image_size or image_size < 8:
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}")
    image_paths = list_images(images_dir)
    label_paths = list_images(labels_dir, suffixes=(".png",))
    labels_by_stem = {p.stem: p for p in label_paths}
    image_stems = {p.stem for p in image_paths}
    if len(image_stems) != len(image_paths):
        seen: set[str] = set()
        for p in image_paths:
            if p.stem in seen:
                raise DataFormatError(p, "two images share this name stem (e.g. a.png and a.jpg); rename one")
            seen.add(p.stem)

    skipped: list[SkippedSample] = []
    for path in label_paths:
        if path.stem not in image_stems:
            err = DataFormatError(path, f"label map without an image of the same name in {images_dir}")
            if on_error == "raise":
                raise err
            skipped.append(SkippedSample(path.name, str(err)))

    images, masks, names = [], [], []
    stretched = NonSquareNotice(images_dir, image_size)
    for path in image_paths:
        try:
            label_path = labels_by_stem.get(path.stem)
            if label_path is None:
                raise DataFormatError(path, f"no label map {Path(labels_dir) / (path.stem + '.png')} for this image")
            image = read_gray_image(path)
            labels = read_label_map(label_path, num_classes)
            if labels.shape != image.shape:
                raise DataFormatError(label_path, f"size {labels.shape[1]}x{labels.shape[0]} differs from the image "
                                                  f"{path} ({image.shape[1]}x{image.shape[0]})")
            resized = resize_labels(labels, int(image_size))
            missing = missing_classes(resized) if num_classes == 3 else []
            if missing:
                raise DataFormatError(label_path, f"the label map has no {' and no '.join(missing)} pixel at "
                                                  f"{image_size}x{image_size} (a class is missing or of zero area)")
        except DataFormatError as err:
            if on_error == "raise":
                raise
            skipped.append(SkippedSample(path.stem, str(err)))
            continue
        stretched.check(path, image.shape)
        images.append(resize_image(image, int(image_size)))
        masks.append(resized)
        names.append(path.stem)
    stretched.warn()
    if skipped:
        warnings.warn(f"{images_dir}: skipped {len(skipped)} sample(s) or file(s); see IVUSData.skipped. First: "
                      f"{skipped[0].reason}", UserWarning, stacklevel=2)
    if not images:
        raise DataFormatError(images_dir, f"no valid samples ({len(skipped)} skipped; first: {skipped[0].reason})")
    return IVUSData(np.stack(images), np.stack(masks), names, skipped)
