"""Per-sample stateless seeds derived from the latent vector, so that G(mask, z) is a deterministic function."""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

# A Mersenne prime: (bits mod P) * weight < 2**62 fits int64, so the hash needs no overflow tricks.
_P = 2**31 - 1
# Two fixed bases of a polynomial hash (one per seed component); any two distinct values in [2, P) would do.
_BASES = (48271, 69621)


@keras.saving.register_keras_serializable(package="specklegan_tf")
class LatentPhaseSeeds(keras.layers.Layer):
    """Hashes each latent vector ``z`` to a stateless seed pair for the speckle layer's random phases.

    The speckle layer draws random phases (Eq. 2). Feeding it seeds derived from ``z`` makes the whole generator
    a deterministic function of ``(mask, z)``: a fresh ``z`` in training gives fresh phases, and a serving
    request's seed (which fixes ``z``) fixes the image. The hash reads the exact float32 bit pattern of ``z``
    (a polynomial hash modulo the prime ``2**31 - 1``), so nearby but different ``z`` give unrelated seeds.

    The layer has no weights and always computes in float32 (also under ``mixed_float16``, where a float16 ``z``
    would collapse distinct vectors).

    Call arguments:
        z: float tensor ``(N, latent_dim)``.

    Input shape: ``(N, latent_dim)``. Output: int32 ``(N, 2)``, values in ``[0, 2**31 - 1)``.

    Example:
        >>> seeds = LatentPhaseSeeds()(keras.random.normal((4, 128), seed=0))
        >>> seeds.shape, seeds.dtype
        (TensorShape([4, 2]), tf.int32)
    """

    def __init__(self, **kwargs):
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.supports_masking = False

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"LatentPhaseSeeds expects z of shape (N, latent_dim), got {input_shape}")
        length = int(input_shape[-1])
        # Powers base**(i + 1) mod P, computed once in Python integers (exact).
        weights = np.empty((length, len(_BASES)), dtype=np.int64)
        for j, base in enumerate(_BASES):
            value = 1
            for i in range(length):
                value = value * base % _P
                weights[i, j] = value
        self._weights_table = weights
        self.built = True

    def call(self, z):
        bits = tf.bitcast(tf.cast(z, tf.float32), tf.int32)  # the exact float pattern, sign included
        bits = tf.math.floormod(tf.cast(bits, tf.int64), _P)[:, :, None]  # (N, D, 1) in [0, P)
        weights = tf.constant(self._weights_table)[None]  # (1, D, 2)
        terms = tf.math.floormod(bits * weights, _P)  # each < 2**31, sum over D < 2**62 for any sane D
        seeds = tf.math.floormod(tf.reduce_sum(terms, axis=1), _P)
        return tf.cast(seeds, tf.int32)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2)

    def compute_output_spec(self, z):
        return keras.KerasTensor(self.compute_output_shape(z.shape), dtype="int32")
