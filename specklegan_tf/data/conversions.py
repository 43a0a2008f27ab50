"""The one mapping between stored data and model tensors, shared by the pipeline, the GAN and the evaluation.

Images: uint8 gray values 0..255 <-> float32 in [-1, 1] (``x / 127.5 - 1``). Masks: uint8 label maps <-> one-hot
float32 with a last class axis. NumPy in gives NumPy out; a TensorFlow tensor in gives a tensor out (TensorFlow is
imported only then, so NumPy-only users of the data layer do not pay for it).
"""
from __future__ import annotations

import numpy as np


def to_model_inputs(images):
    """uint8 images (..., H, W) or (..., H, W, 1) -> float32 in [-1, 1] with the same shape.

    Example:
        >>> to_model_inputs(np.array([0, 255], np.uint8)).tolist()
        [-1.0, 1.0]
    """
    if isinstance(images, np.ndarray):
        return images.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
    import tensorflow as tf

    return tf.cast(images, tf.float32) / 127.5 - 1.0


def to_uint8(images):
    """float images in [-1, 1] -> uint8 0..255 (clipped, rounded to nearest); the inverse of ``to_model_inputs``.

    Example:
        >>> to_uint8(np.array([-1.0, 0.0, 1.0, 2.0])).tolist()
        [0, 128, 255, 255]
    """
    if isinstance(images, np.ndarray):
        return np.clip(np.rint((images.astype(np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)
    import tensorflow as tf

    return tf.cast(tf.clip_by_value(tf.round((tf.cast(images, tf.float32) + 1.0) * 127.5), 0, 255), tf.uint8)


def to_one_hot(masks, num_classes: int = 3):
    """Label maps (..., H, W) -> one-hot float32 (..., H, W, num_classes).

    Example:
        >>> to_one_hot(np.array([0, 2], np.uint8)).tolist()
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    if isinstance(masks, np.ndarray):
        if masks.size and (masks.min() < 0 or masks.max() >= num_classes):
            raise ValueError(f"masks must hold labels 0..{num_classes - 1}, got {masks.min()}..{masks.max()}")
        return np.eye(num_classes, dtype=np.float32)[masks.astype(np.intp)]
    import tensorflow as tf

    return tf.one_hot(tf.cast(masks, tf.int32), num_classes, dtype=tf.float32)


def from_one_hot(one_hot):
    """One-hot or class scores (..., C) -> uint8 label maps (...) by argmax."""
    if isinstance(one_hot, np.ndarray):
        return np.argmax(one_hot, axis=-1).astype(np.uint8)
    import tensorflow as tf

    return tf.cast(tf.argmax(one_hot, axis=-1), tf.uint8)
