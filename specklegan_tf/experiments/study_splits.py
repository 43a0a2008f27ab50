"""The study's random choices: seeds derived from one seed, the scenario split and the k folds."""
from __future__ import annotations

import zlib
from typing import Any

import numpy as np


def derive_seed(seed: int, *keys: Any) -> int:
    """A seed in [0, 2**31) determined by ``seed`` and the keys (strings or numbers), e.g. ("folds", 50)."""
    words = [int(seed)] + [zlib.crc32(str(key).encode()) for key in keys]
    return int(np.random.SeedSequence(words).generate_state(1)[0] & 0x7FFFFFFF)


def scenario_order(n_images: int, seed: int) -> np.ndarray:
    """The seeded permutation of the data set: scenario ``n`` trains on its first ``n`` images and is tested on
    the rest (so the 50 images of one scenario are among the 100 of the next)."""
    return np.random.default_rng(derive_seed(seed, "split")).permutation(n_images)


def scenario_splits(n_images: int, n_train: tuple[int, ...], seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(train indices, test indices) of each scenario, cut from :func:`scenario_order`."""
    order = scenario_order(n_images, seed)
    return [order[:n] for n in n_train], [order[n:] for n in n_train]


def kfold_splits(n: int, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``folds`` (fit, held-out) index pairs over ``range(n)``: a seeded permutation cut into near-equal folds."""
    if folds < 2 or n < folds:
        raise ValueError(f"k-fold needs 2 <= folds <= n, got folds={folds}, n={n}")
    parts = np.array_split(np.random.default_rng(seed).permutation(n), folds)
    return [(np.sort(np.concatenate(parts[:i] + parts[i + 1:])), np.sort(parts[i])) for i in range(folds)]
