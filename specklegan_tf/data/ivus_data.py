"""The in-memory data set every loader returns (``IVUSData``) and the error raised for malformed files."""
from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from typing import Sequence

import numpy as np


class DataFormatError(ValueError):
    """A data file is malformed. The message starts with the file (and line, for text files).

    Attributes:
        path: the offending file or folder.
        line: 1-based line number in a text file, or None.
    """

    def __init__(self, path: str | PathLike, problem: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {problem}")


@dataclass
class SkippedSample:
    """A sample left out by ``on_error="skip"``: its name and why."""

    name: str
    reason: str


@dataclass
class IVUSData:
    """Images with their segmentation masks.

    Attributes:
        images: uint8 (N, H, W) gray images.
        masks: uint8 (N, H, W) label maps: 0 lumen, 1 intima/media, 2 adventitia/background.
        names: N sample names (file stems for loaded data).
        skipped: samples a loader left out with ``on_error="skip"``, each with the reason.

    Example:
        >>> data = IVUSData(np.zeros((2, 8, 8), np.uint8), np.full((2, 8, 8), 2, np.uint8), ["a", "b"])
        >>> len(data.subset([1])), data.subset([1]).names
        (1, ['b'])
    """

    images: np.ndarray
    masks: np.ndarray
    names: list[str]
    skipped: list[SkippedSample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.images = np.asarray(self.images)
        self.masks = np.asarray(self.masks)
        if self.images.ndim != 3 or self.images.dtype != np.uint8:
            raise ValueError(f"IVUSData.images must be uint8 (N, H, W), got {self.images.dtype} {self.images.shape}")
        if self.masks.shape != self.images.shape or self.masks.dtype != np.uint8:
            raise ValueError(f"IVUSData.masks must be uint8 with the images' shape {self.images.shape}, "
                             f"got {self.masks.dtype} {self.masks.shape}")
        self.names = list(self.names)
        if len(self.names) != len(self.images):
            raise ValueError(f"IVUSData.names has {len(self.names)} entries for {len(self.images)} images")

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, indices: Sequence[int] | np.ndarray | slice) -> "IVUSData":
        """The samples at ``indices`` (a list, an index array or a slice); ``skipped`` is kept."""
        idx = np.arange(len(self))[indices] if isinstance(indices, slice) else np.asarray(indices, dtype=int)
        if idx.ndim != 1:
            raise ValueError(f"indices must be one-dimensional, got shape {idx.shape}")
        if idx.size and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise IndexError(f"indices out of range for {len(self)} samples: {idx.min()}..{idx.max()}")
        return IVUSData(self.images[idx], self.masks[idx], [self.names[i] for i in idx], list(self.skipped))
