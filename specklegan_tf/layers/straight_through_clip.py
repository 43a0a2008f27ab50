"""A display's gray-level clip whose gradient does not stop at the clip (a straight-through estimator)."""
from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="specklegan_tf")
class StraightThroughClip(keras.layers.Layer):
    """Clips to ``[low, high]`` in the forward pass and passes the gradient through unchanged.

    A B-mode display clips gray levels: what is brighter than white shows as white. ``hard_tanh`` does the same
    forward but has a zero gradient outside the range, so the pixels of a region drawn past white send the
    generator no signal to darken it again (SpeckleGAN's display route with a bilinear trunk ended with 6-20 % of
    its tissue past white, where 0.09 % of the phantom's is white). Here the forward value is the clip and the
    backward pass treats the clip as the identity (Bengio et al. 2013's straight-through estimator): the
    discriminator still sees a clipped image, and the generator learns where it is too bright or too dark. In
    docs/results/ablation128-round53 this alone did not keep that generator's discriminator from winning.

    The layer has no weights; it computes in its dtype policy's compute dtype.

    Args:
        low: lower end of the output range (default -1, black).
        high: upper end (default 1, white); must be greater than ``low``.
        **kwargs: base layer arguments (``name``, ``dtype``).

    Call arguments:
        inputs: a float tensor of any shape.

    Input shape: any. Output shape: the input's.

    Example:
        >>> import tensorflow as tf
        >>> x = tf.constant([-1.5, 0.25, 2.0])
        >>> with tf.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = StraightThroughClip()(x)
        >>> [round(float(v), 2) for v in y], [float(g) for g in tape.gradient(y, x)]
        ([-1.0, 0.25, 1.0], [1.0, 1.0, 1.0])
    """

    def __init__(self, low: float = -1.0, high: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("low", low), ("high", high)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"`{name}` must be a finite number, got {value!r}")
        if not low < high:
            raise ValueError(f"`low` must be below `high`, got low={low!r}, high={high!r}")
        self.low = float(low)
        self.high = float(high)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        # x + (clip(x) - x) with the bracket held constant: the value of the clip, the gradient of x.
        return inputs + ops.stop_gradient(ops.clip(inputs, self.low, self.high) - inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "low": self.low, "high": self.high}
