"""Turns (images or precomputed features) into feature matrices, shared by fid and kid."""
from __future__ import annotations

import numpy as np

from specklegan_tf.metrics._checks import as_features
from specklegan_tf.metrics.features import FeatureExtractor


def resolve_features(images, precomputed, extractor: FeatureExtractor | None, role: str) -> np.ndarray:
    """Feature matrix of one set, from ``precomputed`` (role + "_features") or by running ``extractor``.

    ``role`` is "real" or "fake", used in error messages.
    """
    if precomputed is not None:
        if images is not None:
            raise ValueError(f"Pass either `{role}` images or `{role}_features`, not both.")
        return as_features(precomputed, f"{role}_features")
    if images is None:
        raise ValueError(f"`{role}` images are required unless `{role}_features` is given.")
    if extractor is None:
        from specklegan_tf.metrics.texture import TextureFeatures

        extractor = TextureFeatures()
    if not callable(extractor):
        raise ValueError(f"`features` must be a FeatureExtractor (e.g. TextureFeatures()); received {extractor!r}.")
    return as_features(extractor(images), f"features of `{role}`")


def check_same_dim(real: np.ndarray, fake: np.ndarray) -> None:
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"Real and fake features differ in dimension ({real.shape[1]} vs {fake.shape[1]}); "
            "were they computed with the same extractor?"
        )
