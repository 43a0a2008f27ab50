"""``FixedGain``: the display route's speckle weights with their sum held at a fixed gain.

Why: a trained SpeckleGAN turns its speckle term down. With signed or merely non-negative 1x1 weights the
cpu128-v2 generators end with speckle whose tissue contrast is a quarter to a half of the phantom's own speckle
(docs/results/ablation128-round44), and the image's texture comes from the trunk instead (its grid).
Fully developed speckle, log compressed, has one standard deviation whatever the echo level (5.6 dB), and a
display maps decibels to gray levels with one gain: the speckle's strength in a B-mode image is set by physics,
not by the scene. Holding the weights' sum fixed keeps that strength and leaves the mix of window sizes to learn.
"""
from __future__ import annotations

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="specklegan_tf")
class FixedGain(keras.constraints.Constraint):
    """Projects a kernel onto the non-negative weights that sum to ``gain`` (the scaled probability simplex).

    The projection is the Euclidean one (the closest such kernel), computed by sorting: with the weights ``v`` in
    descending order ``u`` and ``c_j`` the sum of the first ``j``, the result is ``max(v - t, 0)`` with
    ``t = (c_k - gain) / k`` for the largest ``k`` where ``u_k > (c_k - gain) / k``. A kernel already on the set is
    returned unchanged, so the constraint is idempotent. Keras optimizers apply it after every step.

    Args:
        gain: the fixed sum of the weights, > 0 (for the display route: image units per neper of log amplitude).

    Example:
        >>> constraint = FixedGain(0.5)
        >>> projected = constraint(keras.ops.convert_to_tensor([[0.4], [0.3], [-0.2]]))
        >>> [round(float(w), 3) for w in keras.ops.convert_to_numpy(projected).ravel()]
        [0.3, 0.2, 0.0]
    """

    def __init__(self, gain: float):
        if isinstance(gain, bool) or not isinstance(gain, (int, float)) or not math.isfinite(gain) or gain <= 0:
            raise ValueError(f"FixedGain: `gain` must be a finite number > 0, got {gain!r}")
        self.gain = float(gain)

    def __call__(self, w):
        flat = ops.reshape(w, (-1,))
        descending = ops.flip(ops.sort(flat), axis=0)
        partial_sums = ops.cumsum(descending)
        counts = ops.cast(ops.arange(1, ops.shape(flat)[0] + 1), w.dtype)
        thresholds = (partial_sums - ops.cast(self.gain, w.dtype)) / counts
        # The condition holds for a leading run of k = 1 .. K (at least k = 1); the threshold is the K-th one.
        inside = ops.cast(descending > thresholds, "int32")
        last = ops.sum(inside) - 1
        threshold = ops.take(thresholds, last)
        return ops.maximum(w - threshold, ops.cast(0, w.dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain}
