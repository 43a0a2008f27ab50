"""Differentiable augmentation of real and generated images for limited-data GAN training (DiffAugment).

Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training", NeurIPS 2020: the discriminator sees
only augmented images, real and generated alike, in its own update and in the generator's, so it cannot memorise
a few dozen training images, and the generator is trained through the (differentiable) augmentation. The policies
here are those of the paper for grayscale images, with the mask of a mask-conditioned discriminator moved along:

- ``color``: brightness ``x + U(-0.5, 0.5)`` and contrast ``(x - mean) * U(0.5, 1.5) + mean`` per image
  (DiffAugment's saturation has no meaning for one channel);
- ``translation``: an integer shift of up to ``translation_ratio`` of the size per axis, image and mask together;
  the uncovered border is black (-1, as outside an IVUS field of view) and background in the mask;
- ``cutout``: a square of ``cutout_ratio`` of the size at a random position set to 0 in the image (the mask is
  kept: the discriminator still knows what should be there).
"""
from __future__ import annotations

from typing import Sequence

import keras
import tensorflow as tf
from keras import ops

__all__ = ["DiffAugment", "DIFF_AUGMENT_POLICIES"]

DIFF_AUGMENT_POLICIES = ("color", "translation", "cutout")


@keras.saving.register_keras_serializable(package="specklegan_tf")
class DiffAugment(keras.layers.Layer):
    """Random, differentiable augmentation of ``[images, masks]`` pairs (DiffAugment, Zhao et al. 2020).

    Args:
        policies: any of ``"color"``, ``"translation"``, ``"cutout"``, applied in that order.
        translation_ratio: largest shift as a fraction of the image size (paper: 1/8).
        cutout_ratio: side of the cut-out square as a fraction of the image size (paper: 1/2).
        background_class: mask class given to pixels shifted in from outside (IVUS masks: 2).
        seed: seed of the layer's ``SeedGenerator``.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: ``[images, masks]``: images ``(N, H, W, C)`` in ``[-1, 1]``, one-hot masks ``(N, H, W, K)``.
        training: augment when True (the default for this layer, which exists for training); identity otherwise.

    Returns:
        ``[images, masks]`` of the input shapes, images in the layer's compute dtype.

    Example:
        >>> augment = DiffAugment(seed=0)
        >>> images_aug, masks_aug = augment([images, masks], training=True)
    """

    def __init__(self, policies: Sequence[str] = DIFF_AUGMENT_POLICIES, translation_ratio: float = 0.125,
                 cutout_ratio: float = 0.5, background_class: int = 2, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        policies = tuple(policies)
        unknown = [p for p in policies if p not in DIFF_AUGMENT_POLICIES]
        if unknown or len(set(policies)) != len(policies):
            raise ValueError(f"`policies` must be distinct names from {DIFF_AUGMENT_POLICIES}; received {policies!r}")
        if not 0.0 <= translation_ratio < 0.5:
            raise ValueError(f"`translation_ratio` must be in [0, 0.5); received {translation_ratio!r}")
        if not 0.0 < cutout_ratio <= 1.0:
            raise ValueError(f"`cutout_ratio` must be in (0, 1]; received {cutout_ratio!r}")
        self.policies = tuple(p for p in DIFF_AUGMENT_POLICIES if p in policies)
        self.translation_ratio = float(translation_ratio)
        self.cutout_ratio = float(cutout_ratio)
        self.background_class = int(background_class)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="diff_augment_seed_generator")

    def build(self, input_shape) -> None:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2:
            raise ValueError(f"DiffAugment expects inputs [images, masks]; received input shape {input_shape}")
        image_shape, mask_shape = (tuple(s) for s in input_shape)
        if len(image_shape) != 4 or len(mask_shape) != 4 or tuple(image_shape[1:3]) != tuple(mask_shape[1:3]):
            raise ValueError(f"DiffAugment expects images (N, H, W, C) and masks (N, H, W, K) of the same size; "
                             f"received {image_shape} and {mask_shape}")
        if not 0 <= self.background_class < mask_shape[-1]:
            raise ValueError(f"`background_class`={self.background_class} is not a class of masks with "
                             f"{mask_shape[-1]} classes")

    def _uniform(self, shape, low=0.0, high=1.0):
        seed = self.seed_generator.next()
        replica = tf.distribute.get_replica_context()
        if replica is not None and replica.num_replicas_in_sync > 1:
            # as in SpeckleLayer: different replicas must not draw the same augmentations
            seed = tf.random.experimental.stateless_fold_in(
                tf.cast(tf.math.floormod(seed, tf.int32.max - 1), tf.int32), replica.replica_id_in_sync_group)
        return tf.random.stateless_uniform(shape, seed=tf.cast(seed, tf.int32), minval=low, maxval=high)

    def _color(self, x):
        n = ops.shape(x)[0]
        x = x + self._uniform((n, 1, 1, 1), -0.5, 0.5)
        mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
        return (x - mean) * self._uniform((n, 1, 1, 1), 0.5, 1.5) + mean

    def _translation(self, x, masks):
        n, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]
        pad_h, pad_w = int(height * self.translation_ratio + 0.5), int(width * self.translation_ratio + 0.5)
        if pad_h == 0 and pad_w == 0:
            return x, masks
        shift_h = tf.cast(tf.floor(self._uniform((n, 1), 0.0, 2 * pad_h + 1)), tf.int32)  # 0 .. 2 pad
        shift_w = tf.cast(tf.floor(self._uniform((n, 1), 0.0, 2 * pad_w + 1)), tf.int32)
        padding = [[0, 0], [pad_h, pad_h], [pad_w, pad_w], [0, 0]]
        x = tf.pad(x, padding, constant_values=-1.0)
        background = tf.one_hot(self.background_class, masks.shape[-1], dtype=masks.dtype)
        masks = tf.pad(masks - background, padding) + background  # background outside
        rows = tf.range(height)[None, :] + shift_h  # (N, H) rows of the padded image
        cols = tf.range(width)[None, :] + shift_w

        def crop(t):
            return tf.gather(tf.gather(t, rows, axis=1, batch_dims=1), cols, axis=2, batch_dims=1)

        return crop(x), crop(masks)

    def _cutout(self, x):
        n, height, width = ops.shape(x)[0], x.shape[1], x.shape[2]
        size_h, size_w = int(height * self.cutout_ratio + 0.5), int(width * self.cutout_ratio + 0.5)
        centre_h = tf.floor(self._uniform((n, 1, 1), 0.0, height + (1 - size_h % 2)))
        centre_w = tf.floor(self._uniform((n, 1, 1), 0.0, width + (1 - size_w % 2)))
        rows = tf.range(height, dtype=tf.float32)[None, :, None]
        cols = tf.range(width, dtype=tf.float32)[None, None, :]
        inside = ((tf.abs(rows - centre_h) < size_h / 2.0) & (tf.abs(cols - centre_w) < size_w / 2.0))
        return x * tf.cast(~inside, x.dtype)[..., None]

    def call(self, inputs, training=True):
        images, masks = inputs
        x = ops.cast(images, "float32")
        masks = ops.cast(masks, "float32")
        if training:
            if "color" in self.policies:
                x = self._color(x)
            if "translation" in self.policies:
                x, masks = self._translation(x, masks)
            if "cutout" in self.policies:
                x = self._cutout(x)
        return [ops.cast(x, self.compute_dtype), masks]

    def compute_output_shape(self, input_shape):
        return [tuple(input_shape[0]), tuple(input_shape[1])]

    def compute_output_spec(self, inputs, *args, **kwargs):
        # The masks stay float32 whatever the policy (one-hot values, and the layer casts them so): the default
        # spec would announce both outputs in the compute dtype.
        images, masks = inputs
        return [keras.KerasTensor(tuple(images.shape), dtype=self.compute_dtype),
                keras.KerasTensor(tuple(masks.shape), dtype="float32")]

    def get_config(self) -> dict:
        return {**super().get_config(), "policies": list(self.policies), "translation_ratio": self.translation_ratio,
                "cutout_ratio": self.cutout_ratio, "background_class": self.background_class, "seed": self.seed}
