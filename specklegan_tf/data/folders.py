"""Generic loader for other modalities: a folder of images and a folder of PNG label maps with matching names."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from .annotation_checks import missing_classes
from .image_files import list_images, read_gray_image, read_label_map, resize_image, resize_labels
from .ivus_data import DataFormatError, IVUSData, SkippedSample
from .samples import check_loader_arguments, load_samples, skip_or_raise


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
    image_size = check_loader_arguments(image_size, on_error)
    image_paths = list_images(images_dir)
    label_paths = list_images(labels_dir, suffixes=(".png",))
    labels_by_stem = {p.stem: p for p in label_paths}
    _refuse_shared_stems(image_paths)
    image_stems = {p.stem for p in image_paths}
    skipped: list[SkippedSample] = []
    for path in label_paths:
        if path.stem not in image_stems:
            error = DataFormatError(path, f"label map without an image of the same name in {images_dir}")
            skip_or_raise(error, path.name, on_error, skipped)

    def read_sample(path: Path) -> tuple:
        label_path = labels_by_stem.get(path.stem)
        if label_path is None:
            raise DataFormatError(path, f"no label map {Path(labels_dir) / (path.stem + '.png')} for this image")
        image = read_gray_image(path)
        mask = _read_mask(label_path, path, image.shape, image_size, num_classes)
        return resize_image(image, image_size), mask, image.shape

    return load_samples(image_paths, read_sample, source=images_dir, notice_folder=images_dir,
                        image_size=image_size, on_error=on_error, skipped=skipped)


def _refuse_shared_stems(image_paths: list[Path]) -> None:
    # Images and label maps are matched by stem: a.png and a.jpg would both claim labels/a.png.
    seen: set[str] = set()
    for p in image_paths:
        if p.stem in seen:
            raise DataFormatError(p, "two images share this name stem (e.g. a.png and a.jpg); rename one")
        seen.add(p.stem)


def _read_mask(label_path: Path, image_path: Path, image_shape: tuple, image_size: int, num_classes: int):
    """The label map of ``image_path`` resized to ``image_size`` (nearest neighbour); DataFormatError if it does
    not fit the image or, for the 3 IVUS classes, lacks a lumen or an intima/media pixel."""
    labels = read_label_map(label_path, num_classes)
    if labels.shape != image_shape:
        raise DataFormatError(label_path, f"size {labels.shape[1]}x{labels.shape[0]} differs from the image "
                                          f"{image_path} ({image_shape[1]}x{image_shape[0]})")
    resized = resize_labels(labels, image_size)
    missing = missing_classes(resized) if num_classes == 3 else []
    if missing:
        raise DataFormatError(label_path, f"the label map has no {' and no '.join(missing)} pixel at "
                                          f"{image_size}x{image_size} (a class is missing or of zero area)")
    return resized
