"""Inputs shared by the model tests."""
import numpy as np
import tensorflow as tf


def random_onehot(n: int, size: int, seed: int = 0) -> tf.Tensor:
    """``(n, size, size, 3)`` one-hot masks of labels drawn uniformly per pixel: every class everywhere."""
    labels = np.random.default_rng(seed).integers(0, 3, (n, size, size))
    return tf.constant(np.eye(3, dtype="float32")[labels])
