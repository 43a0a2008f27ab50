"""Checks of annotations that parse but cannot describe an IVUS frame, shared by the folder loaders.

Why: a lumen contour copied from the media one, or a contour of zero area, gives a mask without intima/media or
without lumen. Such a mask parses, trains and validates, but it teaches the GAN frames without a vessel wall and
makes Dice and the Hausdorff distance of the missing class undefined. The loaders report it by file, like any
other malformed sample (``on_error="raise"`` stops, ``"skip"`` leaves the sample out with a warning).
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .. import CLASS_NAMES, INTIMA_MEDIA, LUMEN

REQUIRED_CLASSES = (LUMEN, INTIMA_MEDIA)


def missing_classes(mask: np.ndarray, classes=REQUIRED_CLASSES) -> list[str]:
    """Names of the ``classes`` with no pixel in ``mask``."""
    present = np.unique(np.asarray(mask))
    return [CLASS_NAMES[c] for c in classes if c not in present]


class NonSquareNotice:
    """Collects the images a loader stretches to a square, and warns once (naming the first) at the end."""

    def __init__(self, folder: str | Path, image_size: int) -> None:
        self.folder, self.image_size, self.paths = Path(folder), int(image_size), []

    def check(self, path: str | Path, shape: tuple[int, ...]) -> None:
        if shape[0] != shape[1]:
            self.paths.append((Path(path), shape))

    def warn(self, stacklevel: int = 3) -> None:
        """Warns about the stretched images, if any; ``stacklevel`` as for :func:`warnings.warn` (default: the
        caller of the loader that calls this)."""
        if self.paths:
            path, shape = self.paths[0]
            warnings.warn(f"{self.folder}: {len(self.paths)} image(s) are not square (first: {path}, "
                          f"{shape[1]}x{shape[0]}); they are resized to {self.image_size}x{self.image_size}, which "
                          f"stretches them. Crop them to a square first to keep the aspect ratio.",
                          UserWarning, stacklevel=stacklevel)
