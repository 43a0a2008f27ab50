"""The tf.data input pipeline: shuffling, batching, joint rotation/flip augmentation, distribution.

Augmentation as in the paper: every sample is rotated by a random angle about the image centre and flipped
horizontally and/or vertically at random, the same transform for the image (bilinear) and the mask (nearest).
Rotation and flips are combined into one affine map per sample, applied with ``keras.ops.image.affine_transform``
to the image and to the *label map* before one-hot encoding, so that what rotates in from outside the frame is
black (-1) in the image and background in the mask (filling a one-hot mask with 0 would leave it without class).
"""
from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from .. import BACKGROUND


def _check_arrays(images, masks, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    images = np.asarray(images)
    masks = np.asarray(masks)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if masks.ndim == 4 and masks.shape[-1] == 1:
        masks = masks[..., 0]
    if images.ndim != 3:
        raise ValueError(f"images must be (N, H, W) or (N, H, W, 1), got shape {images.shape}")
    if images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 gray values (use data.to_uint8 for [-1, 1] floats), got {images.dtype}")
    if masks.shape != images.shape:
        raise ValueError(f"masks must have the images' shape {images.shape}, got {masks.shape}")
    if not np.issubdtype(masks.dtype, np.integer):
        raise ValueError(f"masks must be integer label maps, got {masks.dtype}")
    if masks.size and (masks.min() < 0 or masks.max() >= num_classes):
        raise ValueError(f"masks must hold labels 0..{num_classes - 1} (num_classes={num_classes}), "
                         f"got values {masks.min()}..{masks.max()}")
    if len(images) == 0:
        raise ValueError("images is empty: nothing to make a dataset of")
    return images, masks.astype(np.uint8)


def rotation_flip_transforms(angles: tf.Tensor, flip_x: tf.Tensor, flip_y: tf.Tensor, height: int,
                             width: int) -> tf.Tensor:
    """(B, 8) affine transforms (output pixel -> input pixel) rotating by ``angles`` about the centre after flips.

    Args:
        angles: (B,) rotation angles in radians.
        flip_x, flip_y: (B,) booleans: flip left-right / up-down.
        height, width: image size; the centre is ((width - 1) / 2, (height - 1) / 2) in pixel indices.

    Returns:
        float32 (B, 8) rows ``[a0, a1, a2, b0, b1, b2, 0, 0]`` as ``keras.ops.image.affine_transform`` expects.
    """
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    sx = tf.where(flip_x, -1.0, 1.0)
    sy = tf.where(flip_y, -1.0, 1.0)
    cos, sin = tf.cos(angles), tf.sin(angles)
    a0, a1 = cos * sx, -sin * sy
    b0, b1 = sin * sx, cos * sy
    a2 = cx - a0 * cx - a1 * cy
    b2 = cy - b0 * cx - b1 * cy
    zeros = tf.zeros_like(a0)
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def augment_batch(images: tf.Tensor, labels: tf.Tensor, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Random rotation (any angle) and flips, identical for image and label map.

    Args:
        images: float32 (B, H, W, 1) in [-1, 1].
        labels: integer (B, H, W) label maps (uint8 is cheapest; the dtype is kept).
        seed: int32 shape-(2,) seed for the stateless draws.

    Returns:
        ``(images, labels)`` transformed; pixels from outside the frame are -1 and ``BACKGROUND``.

    Example:
        >>> x = tf.zeros((2, 32, 32, 1)); y = tf.zeros((2, 32, 32), tf.uint8)
        >>> [t.shape for t in augment_batch(x, y, tf.constant([0, 1]))]
        [TensorShape([2, 32, 32, 1]), TensorShape([2, 32, 32])]
    """
    batch = tf.shape(images)[0]
    height, width = images.shape[1], images.shape[2]
    seed = tf.cast(seed, tf.int32)
    angles = tf.random.stateless_uniform([batch], seed, 0.0, 2.0 * math.pi)
    flips = tf.random.stateless_uniform([batch, 2], seed + tf.constant([0, 1], tf.int32)) < 0.5
    transforms = rotation_flip_transforms(angles, flips[:, 0], flips[:, 1], height, width)
    images = keras.ops.image.affine_transform(images, transforms, interpolation="bilinear", fill_mode="constant",
                                              fill_value=-1.0)
    # Integer labels with nearest interpolation stay exact class indices (and uint8 moves a quarter of the bytes).
    labels = keras.ops.image.affine_transform(labels[..., None], transforms, interpolation="nearest",
                                              fill_mode="constant", fill_value=BACKGROUND)
    return images, labels[..., 0]


def make_dataset(images, masks, batch_size: int, augment: bool = True, seed: int = 0, shuffle: bool = True,
                 repeat: bool = False, drop_remainder: bool = True,
                 input_context: tf.distribute.InputContext | None = None, num_classes: int = 3) -> tf.data.Dataset:
    """A tf.data pipeline of (image, one-hot mask) batches for training.

    Args:
        images: uint8 (N, H, W) or (N, H, W, 1).
        masks: integer label maps, same shape, values 0..num_classes-1.
        batch_size: the global batch size; with an ``input_context`` each replica gets
            ``input_context.get_per_replica_batch_size(batch_size)``.
        augment: random rotation by any angle plus random horizontal/vertical flips, the same for image and mask.
        seed: seeds shuffling and augmentation. Each pass over the data (epoch) is shuffled and augmented
            differently, and the sequence of passes is the same in every run with this seed.
        shuffle: shuffle the samples (a full-size buffer).
        repeat: repeat indefinitely.
        drop_remainder: drop a last partial batch (static batch shape, as distributed training needs).
        input_context: from ``strategy.distribute_datasets_from_function``: shards the samples by input pipeline.
        num_classes: number of mask classes (one-hot depth).

    Returns:
        A dataset yielding ``(image, mask)``: float32 (B, H, W, 1) in [-1, 1] and float32 one-hot (B, H, W, C).

    Example:
        >>> from specklegan_tf.data import simulate_ivus
        >>> images, masks = simulate_ivus(8, image_size=64)
        >>> ds = make_dataset(images, masks, batch_size=4)
        >>> [tuple(t.shape) for t in next(iter(ds))]
        [(4, 64, 64, 1), (4, 64, 64, 3)]
    """
    images, masks = _check_arrays(images, masks, num_classes)
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    batch_size = int(batch_size)
    pipeline_id, n_pipelines = 0, 1
    if input_context is not None:
        batch_size = input_context.get_per_replica_batch_size(batch_size)
        pipeline_id, n_pipelines = input_context.input_pipeline_id, input_context.num_input_pipelines
    n_local = len(range(pipeline_id, len(images), n_pipelines))
    if drop_remainder and not repeat and n_local < batch_size:
        raise ValueError(f"{n_local} samples in this input pipeline are fewer than the batch size {batch_size} "
                         "with drop_remainder=True: the dataset would be empty")

    ds = tf.data.Dataset.from_tensor_slices((images, masks))
    if n_pipelines > 1:
        ds = ds.shard(n_pipelines, pipeline_id)
    ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(n_local, seed=seed + 7919 * pipeline_id, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)

    def to_tensors(image, mask, batch_seed=None):
        image = tf.cast(image[..., None], tf.float32) / 127.5 - 1.0
        if batch_seed is not None:
            image, mask = augment_batch(image, mask, batch_seed)
        return image, tf.one_hot(tf.cast(mask, tf.int32), num_classes, dtype=tf.float32)

    if augment:
        # One random seed per batch, different in every pass but reproducible (stateless ops downstream, so the
        # result does not depend on how many threads run the map).
        seeds = tf.data.Dataset.random(seed=seed + 104729 * (pipeline_id + 1), rerandomize_each_iteration=True)
        seeds = seeds.batch(2).map(lambda s: tf.cast(s % (2**31 - 1), tf.int32))
        ds = tf.data.Dataset.zip((ds, seeds)).map(lambda pair, s: to_tensors(pair[0], pair[1], s),
                                                  num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    else:
        ds = ds.map(to_tensors, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)
