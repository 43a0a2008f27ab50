"""Spatially-adaptive denormalisation, SPADE (Park et al. 2019; paper, "SpeckleGAN architecture").

The generator is conditioned on the segmentation mask by modulating every normalised feature map pixel-wise:
``x_out = x_hat * (1 + gamma(mask)) + beta(mask)``, with ``x_hat`` the batch-normalised input (Park et al.'s
default) or the instance-normalised one (their other option, ``normalization="instance"``).
"""

from __future__ import annotations

import keras
from keras import ops
import tensorflow as tf

__all__ = ["SPADE", "SPADE_NORMALIZATIONS", "maybe_spectral_norm", "resize_mask"]

# "batch": statistics over the batch (moving statistics in inference), the paper's and Park et al.'s default.
# "instance": statistics of each image and channel alone, the same in training and inference.
SPADE_NORMALIZATIONS = ("batch", "instance")


def maybe_spectral_norm(layer: keras.layers.Layer, spectral_norm: bool) -> keras.layers.Layer:
    """Wraps ``layer`` in ``keras.layers.SpectralNormalization`` when ``spectral_norm`` is true.

    Keras' wrapper estimates the spectral norm by power iteration only when called with ``training=True`` and
    writes ``W / sigma`` back into the wrapped kernel (sigma is not differentiated through). The wrapper gets the
    wrapped layer's dtype policy, so that a ``mixed_float16`` convolution is not cast back to float32 around it.
    """
    if not spectral_norm:
        return layer
    return keras.layers.SpectralNormalization(layer, dtype=layer.dtype_policy, name=f"sn_{layer.name}")


def resize_mask(mask, like):
    """Nearest-neighbour resize of a one-hot ``mask`` (N, H', W', K) to the spatial size of ``like`` (N, H, W, C).

    Nearest neighbour keeps the mask one-hot (no blended classes at borders).
    """
    height, width = like.shape[1], like.shape[2]
    if height is not None and width is not None:
        if mask.shape[1] == height and mask.shape[2] == width:
            return mask
        return ops.image.resize(mask, (int(height), int(width)), interpolation="nearest")
    return tf.image.resize(mask, tf.shape(like)[1:3], method="nearest")


@keras.saving.register_keras_serializable(package="specklegan_tf")
class SPADE(keras.layers.Layer):
    """SPADE: parameter-free normalisation of ``x``, modulated pixel-wise by the segmentation mask.

    ``output = x_hat * (1 + gamma) + beta`` with ``x_hat = (x - mu_c) / sqrt(sigma_c^2 + epsilon)`` the channel-wise
    normalisation of ``x``. With ``normalization="batch"`` (the paper) ``mu_c`` and ``sigma_c`` are batch
    statistics when training and moving statistics in inference, synchronised across replicas under
    ``tf.distribute`` (``BatchNormalization(center=False, scale=False, synchronized=True)``). With
    ``normalization="instance"`` they are each image's own statistics over height and width
    (``GroupNormalization(groups=-1, center=False, scale=False)``, computed in float32): no state, no
    train/inference difference, and an image never depends on the others of its batch. ``gamma``, ``beta`` are
    maps of ``x``'s shape computed from the mask: a shared convolution with
    ``hidden_channels`` filters and ReLU (paper: 64), then one convolution each. The paper's scale ``gamma`` is
    re-centred at one, ``(1 + gamma)``, as in Park et al.'s code: at initialisation (``gamma`` near 0) the layer is
    close to plain batch normalisation, which gives a stable start.

    Args:
        hidden_channels: filters of the shared convolution on the mask.
        kernel_size: kernel size of the three convolutions.
        epsilon: added to the variance in the normalisation.
        spectral_norm: wrap the three convolutions in ``keras.layers.SpectralNormalization``.
        momentum: momentum of the moving statistics (batch normalisation only).
        normalization: ``"batch"`` (the paper) or ``"instance"``, see above.
        **kwargs: base ``keras.layers.Layer`` arguments.

    Call arguments:
        inputs: ``[x, mask]``: ``x`` feature maps ``(N, H, W, C)``; ``mask`` one-hot ``(N, H', W', num_classes)`` at
            any resolution, resized to ``(H, W)`` with nearest-neighbour interpolation. ``num_classes`` must stay
            the same between calls.
        training: batch statistics (True) or moving statistics (False / None); no effect with instance
            normalisation.

    Input shape: ``[(N, H, W, C), (N, H', W', num_classes)]``. Output shape: ``(N, H, W, C)``.

    Example:
        >>> x = keras.ops.ones((2, 16, 16, 32)); mask = keras.ops.one_hot(keras.ops.zeros((2, 64, 64), "int32"), 3)
        >>> SPADE(hidden_channels=64)([x, mask]).shape
        (2, 16, 16, 32)
    """

    def __init__(
        self,
        hidden_channels: int = 64,
        kernel_size: int = 3,
        epsilon: float = 1e-5,
        spectral_norm: bool = False,
        momentum: float = 0.99,
        normalization: str = "batch",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if int(hidden_channels) != hidden_channels or hidden_channels < 1:
            raise ValueError(f"`hidden_channels` must be a positive integer; received {hidden_channels!r}.")
        if int(kernel_size) != kernel_size or kernel_size < 1:
            raise ValueError(f"`kernel_size` must be a positive integer; received {kernel_size!r}.")
        if epsilon <= 0:
            raise ValueError(f"`epsilon` must be positive; received epsilon={epsilon!r}.")
        self.hidden_channels = int(hidden_channels)
        self.kernel_size = int(kernel_size)
        self.epsilon = float(epsilon)
        self.spectral_norm = bool(spectral_norm)
        self.momentum = float(momentum)
        if normalization not in SPADE_NORMALIZATIONS:
            raise ValueError(f"`normalization` must be one of {SPADE_NORMALIZATIONS}; received {normalization!r}.")
        self.normalization = normalization
        if normalization == "batch":
            self.norm = keras.layers.BatchNormalization(
                center=False, scale=False, epsilon=self.epsilon, momentum=self.momentum, synchronized=True,
                dtype=self.dtype_policy, name="norm",
            )
        else:
            self.norm = keras.layers.GroupNormalization(
                groups=-1, center=False, scale=False, epsilon=self.epsilon, dtype=self.dtype_policy, name="norm",
            )
        self.shared = self._mask_conv(self.hidden_channels, "mask_shared", activation="relu")

    def _mask_conv(self, filters: int, name: str, activation=None) -> keras.layers.Layer:
        # Sub-layers take this layer's dtype policy (as Keras' own composite layers do): under "mixed_float16"
        # they compute in float16 too, instead of the global policy's float32.
        conv = keras.layers.Conv2D(filters, self.kernel_size, padding="same", activation=activation,
                                   dtype=self.dtype_policy, name=name)
        return maybe_spectral_norm(conv, self.spectral_norm)

    @staticmethod
    def _split_shapes(input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or isinstance(
            input_shape[0], (int, type(None))
        ):
            raise ValueError(f"SPADE expects inputs [x, mask]; received input shape {input_shape}.")
        x_shape, mask_shape = (tuple(s) for s in input_shape)
        if len(x_shape) != 4:
            raise ValueError(f"SPADE expects x of rank 4 (N, H, W, C); received shape {x_shape}.")
        if len(mask_shape) != 4:
            raise ValueError(f"SPADE expects a mask of rank 4 (N, H, W, num_classes); received shape {mask_shape}.")
        if x_shape[-1] is None or mask_shape[-1] is None:
            raise ValueError(f"SPADE needs known channel counts; received x {x_shape} and mask {mask_shape}.")
        return x_shape, mask_shape

    def build(self, input_shape) -> None:
        x_shape, mask_shape = self._split_shapes(input_shape)
        channels = int(x_shape[-1])
        self._mask_channels = int(mask_shape[-1])
        self.gamma = self._mask_conv(channels, "mask_gamma")
        self.beta = self._mask_conv(channels, "mask_beta")
        hidden_shape = (x_shape[0], x_shape[1], x_shape[2], self.hidden_channels)
        self.norm.build(x_shape)
        self.shared.build((x_shape[0], x_shape[1], x_shape[2], self._mask_channels))
        self.gamma.build(hidden_shape)
        self.beta.build(hidden_shape)

    def call(self, inputs, training=None):
        x, mask = inputs
        if mask.shape[-1] != self._mask_channels:
            raise ValueError(
                f"SPADE was built for masks with {self._mask_channels} channels; received a mask with "
                f"{mask.shape[-1]} channels (shape {tuple(mask.shape)})."
            )
        if len(x.shape) != 4 or len(mask.shape) != 4:
            raise ValueError(f"SPADE expects rank-4 x and mask; received {tuple(x.shape)} and {tuple(mask.shape)}.")
        normalized = self.norm(x, training=training) if self.normalization == "batch" else self.norm(x)
        hidden = self.shared(resize_mask(ops.cast(mask, self.compute_dtype), x))
        return normalized * (1.0 + self.gamma(hidden)) + self.beta(hidden)

    def compute_output_shape(self, input_shape) -> tuple:
        return self._split_shapes(input_shape)[0]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "hidden_channels": self.hidden_channels,
            "kernel_size": self.kernel_size,
            "epsilon": self.epsilon,
            "spectral_norm": self.spectral_norm,
            "momentum": self.momentum,
            "normalization": self.normalization,
        }
