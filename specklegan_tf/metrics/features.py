"""The small interface every feature extractor follows: images in, feature matrix out, in batches."""
from __future__ import annotations

import abc

import numpy as np

from specklegan_tf.metrics._checks import as_images, check_positive_int


class FeatureExtractor(abc.ABC):
    """Maps gray-value images to one feature vector per image, batch by batch.

    Subclasses implement :meth:`extract_batch`; ``__call__`` validates the input and walks through it in
    slices of ``batch_size`` so that memory stays flat for thousands of images.

    Args:
        batch_size: images processed at once.

    Attributes:
        name: short identifier used in reports (e.g. ``"inception_v3"``, ``"texture"``).
        dim: length of one feature vector.

    Call arguments:
        images: uint8 array (N, H, W), or float gray values in [0, 255] of the same shape.

    Returns:
        float64 array of shape (N, dim).

    Example:
        >>> class MeanGray(FeatureExtractor):
        ...     name, dim = "mean_gray", 1
        ...     def extract_batch(self, images):
        ...         return images.reshape(len(images), -1).mean(axis=1, keepdims=True)
        >>> MeanGray(batch_size=2)(np.full((3, 8, 8), 10, np.uint8)).ravel()
        array([10., 10., 10.])
    """

    name: str = "features"
    dim: int = 0

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = check_positive_int(batch_size, "batch_size")

    @abc.abstractmethod
    def extract_batch(self, images: np.ndarray) -> np.ndarray:
        """Features of one batch: (B, H, W) uint8 or float32 gray values -> (B, dim) float64."""

    def __call__(self, images) -> np.ndarray:
        images = as_images(images, "images")
        parts = [
            np.asarray(self.extract_batch(images[start:start + self.batch_size]), dtype=np.float64)
            for start in range(0, images.shape[0], self.batch_size)
        ]
        return np.concatenate(parts, axis=0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim}, batch_size={self.batch_size})"
