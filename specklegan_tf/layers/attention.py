"""Channel attention of the speckle layer (paper, "SpeckleGAN architecture").

The speckle layer turns C input maps into C * K speckled maps (K grain sizes). Not every combination of a map and a
grain size is useful, so the paper weights the output maps with coefficients computed from the *input* maps: global
sum pooling, a dense layer with ReLU, a dense layer with sigmoid (one weight in (0, 1) per output map).
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["ChannelAttention"]

_POOLINGS = ("sum", "mean")


@keras.saving.register_keras_serializable(package="specklegan_tf")
class ChannelAttention(keras.layers.Layer):
    """Weights every channel of ``target`` by a sigmoid coefficient computed from the pooled ``source``.

    ``weights = sigmoid(Dense_2(relu(Dense_1(pool(source)))))``, ``output = target * weights``.
    The two dense layers always compute in float32: a sum over a 256 x 256 map easily exceeds float16's range
    (65504), so under a ``mixed_float16`` policy they would overflow. The output has the layer's compute dtype.

    Args:
        units: number of output weights, i.e. channels of ``target``.
        hidden_units: width of the first dense layer. Default: ``units``.
        pooling: ``"sum"`` (the paper) or ``"mean"`` global pooling of ``source`` over height and width.
            Sum pooling grows with the image area; with large maps of large values the sigmoid can saturate,
            ``"mean"`` avoids that.
        **kwargs: base ``keras.layers.Layer`` arguments.

    Call arguments:
        inputs: ``[source, target]`` with ``source`` ``(N, H, W, C_in)`` and ``target`` ``(N, H', W', units)``,
            or a single tensor (then ``source = target``, squeeze-and-excitation style).

    Input shape: ``[(N, H, W, C_in), (N, H', W', units)]``. Output shape: ``(N, H', W', units)``.

    Example:
        >>> x = keras.ops.ones((2, 16, 16, 8)); y = keras.ops.ones((2, 16, 16, 32))
        >>> ChannelAttention(32)([x, y]).shape
        (2, 16, 16, 32)
    """

    def __init__(self, units: int, hidden_units: int | None = None, pooling: str = "sum", **kwargs) -> None:
        super().__init__(**kwargs)
        if int(units) != units or units < 1:
            raise ValueError(f"`units` must be a positive integer; received units={units!r}.")
        if hidden_units is not None and (int(hidden_units) != hidden_units or hidden_units < 1):
            raise ValueError(f"`hidden_units` must be a positive integer or None; received {hidden_units!r}.")
        if pooling not in _POOLINGS:
            raise ValueError(f"`pooling` must be one of {_POOLINGS}; received pooling={pooling!r}.")
        self.units = int(units)
        self.hidden_units = int(hidden_units) if hidden_units is not None else self.units
        self.pooling = pooling
        self.hidden = keras.layers.Dense(self.hidden_units, activation="relu", dtype="float32", name="hidden")
        self.coefficients = keras.layers.Dense(self.units, activation="sigmoid", dtype="float32", name="coefficients")

    @staticmethod
    def _split(shapes_or_tensors):
        if isinstance(shapes_or_tensors, (list, tuple)) and len(shapes_or_tensors) == 2 and not isinstance(
            shapes_or_tensors[0], (int, type(None))
        ):
            return shapes_or_tensors[0], shapes_or_tensors[1]
        return shapes_or_tensors, shapes_or_tensors

    def build(self, input_shape) -> None:
        source_shape, target_shape = self._split(input_shape)
        if len(source_shape) != 4 or len(target_shape) != 4:
            raise ValueError(
                f"ChannelAttention expects rank-4 source and target; received {source_shape} and {target_shape}."
            )
        if target_shape[-1] != self.units:
            raise ValueError(
                f"ChannelAttention(units={self.units}) received a target with {target_shape[-1]} channels."
            )
        self.hidden.build((source_shape[0], source_shape[-1]))
        self.coefficients.build((source_shape[0], self.hidden_units))

    def attention_weights(self, source):
        """Returns the float32 coefficients ``(N, units)`` computed from ``source``."""
        source = ops.cast(source, "float32")
        pooled = ops.sum(source, axis=(1, 2)) if self.pooling == "sum" else ops.mean(source, axis=(1, 2))
        return self.coefficients(self.hidden(pooled))

    def call(self, inputs):
        source, target = self._split(inputs)
        weights = ops.cast(self.attention_weights(source), target.dtype)
        return target * weights[:, None, None, :]

    def compute_output_shape(self, input_shape) -> tuple:
        return tuple(self._split(input_shape)[1])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "hidden_units": self.hidden_units,
            "pooling": self.pooling,
        }
