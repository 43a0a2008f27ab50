"""The sample loop shared by the folder loaders: one image at a time, under one ``on_error`` policy.

``on_error="raise"`` stops at the first malformed sample (a :class:`DataFormatError` naming the file);
``"skip"`` leaves it out, lists it in ``IVUSData.skipped`` with the reason and warns once at the end. A loader
supplies only how to read one sample; what counts as a malformed file stays the loader's.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .annotation_checks import NonSquareNotice
from .ivus_data import DataFormatError, IVUSData, SkippedSample

ON_ERROR_CHOICES = ("raise", "skip")


def check_loader_arguments(image_size, on_error: str) -> int:
    """``image_size`` as an int, after checking it (an integer >= 8) and ``on_error`` (``"raise"``/``"skip"``)."""
    if on_error not in ON_ERROR_CHOICES:
        raise ValueError(f'on_error must be "raise" or "skip", got {on_error!r}')
    if int(image_size) != image_size or image_size < 8:
        raise ValueError(f"image_size must be an integer >= 8, got {image_size!r}")
    return int(image_size)


def skip_or_raise(error: DataFormatError, name: str, on_error: str, skipped: list[SkippedSample]) -> None:
    """Raises ``error`` (``on_error="raise"``) or records the sample ``name`` as skipped."""
    if on_error == "raise":
        raise error
    skipped.append(SkippedSample(name, str(error)))


def load_samples(image_paths: Iterable[Path], read_sample: Callable[[Path], tuple], *, source, notice_folder,
                 image_size: int, on_error: str, skipped: list[SkippedSample]) -> IVUSData:
    """``IVUSData`` of the samples ``read_sample`` reads, named by their images' stems.

    Args:
        image_paths: the images, in the order of the result.
        read_sample: ``path -> (resized image, mask, the image's original shape)``; raises ``DataFormatError``.
        source: the data set's folder, named in the warning about skipped samples and in the error for none.
        notice_folder: the image folder, named in the warning about non-square images.
        image_size: the size images are resized to (for that warning).
        on_error: ``"raise"`` or ``"skip"``.
        skipped: samples the loader skipped already (e.g. label files without an image); extended here.

    Raises:
        DataFormatError: the first malformed sample with ``on_error="raise"``, or no valid sample at all.
    """
    images, masks, names = [], [], []
    stretched = NonSquareNotice(notice_folder, image_size)
    for path in image_paths:
        try:
            image, mask, shape = read_sample(path)
        except DataFormatError as err:
            skip_or_raise(err, path.stem, on_error, skipped)
            continue
        stretched.check(path, shape)
        images.append(image)
        masks.append(mask)
        names.append(path.stem)
    # stacklevel 4 and 3: the warnings point at the code that called the loader, two and one frames up.
    stretched.warn(stacklevel=4)
    if skipped:
        warnings.warn(f"{source}: skipped {len(skipped)} sample(s) or file(s); see IVUSData.skipped. First: "
                      f"{skipped[0].reason}", UserWarning, stacklevel=3)
    if not images:
        raise DataFormatError(source, f"no valid samples ({len(skipped)} skipped; first: {skipped[0].reason})")
    return IVUSData(np.stack(images), np.stack(masks), names, skipped)
