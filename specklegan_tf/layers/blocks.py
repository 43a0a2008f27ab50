"""Residual blocks of the generator, the discriminator and the segmentation U-Net (He et al. 2016).

- :class:`SPADEResidualBlock`: the generator's block, conditioned on the mask (Park et al. 2019).
- :class:`DownsamplingResidualBlock`: the discriminator's block, halving the resolution with a stride-2 convolution
  (the paper downsamples by strided convolutions, not pooling) or with a binomial low-pass filter before the
  subsampling (:func:`blur_subsample`).
- :class:`ResidualBlock`: a pre-activation residual unit for the U-Net encoder and decoder.
"""

from __future__ import annotations

import keras
import numpy as np

from specklegan_tf.layers.spade import SPADE, SPADE_NORMALIZATIONS, maybe_spectral_norm

__all__ = ["DOWNSAMPLINGS", "SPADEResidualBlock", "DownsamplingResidualBlock", "ResidualBlock", "blur_subsample",
           "subsample"]

# How the discriminator's blocks halve the resolution: the paper's stride-2 convolution (and a decimated 1x1
# shortcut), or a binomial low-pass filter before keeping every second pixel (blur_subsample).
DOWNSAMPLINGS = ("stride", "blur")
# The 4-tap binomial filter [1, 3, 3, 1] / 8 (Zhang 2019, "Making convolutional networks shift-invariant again";
# StyleGAN2's discriminator). With stride 2 both pixel phases get the same total weight (1 + 3 = 3 + 1), so a
# uniform gradient at the output reaches every input pixel equally; decimation reaches one pixel in four.
_BINOMIAL_TAPS = np.array([1.0, 3.0, 3.0, 1.0]) / 8.0


def _check_filters(filters) -> int:
    if isinstance(filters, bool) or int(filters) != filters or filters < 1:
        raise ValueError(f"`filters` must be a positive integer; received filters={filters!r}.")
    return int(filters)


def _check_rank4(layer, shape, what: str = "inputs") -> tuple:
    shape = tuple(shape)
    if len(shape) != 4 or shape[-1] is None:
        raise ValueError(
            f"{layer.__class__.__name__} expects {what} of rank 4 (N, H, W, C) with known C; received shape {shape}."
        )
    return shape


def _conv(filters: int, kernel_size: int, spectral_norm: bool, dtype_policy, **kwargs) -> keras.layers.Layer:
    """A "same"-padded ``Conv2D`` (spectral-normalised when asked) in the block's dtype policy.

    Sub-layers take the block's policy, as Keras' own composite layers do: a block built with
    ``dtype="mixed_float16"`` then computes in float16 throughout instead of falling back to the global policy.
    """
    conv = keras.layers.Conv2D(filters, kernel_size, padding="same", dtype=dtype_policy, **kwargs)
    return maybe_spectral_norm(conv, spectral_norm)


def _strided(size, stride: int):
    return None if size is None else (size + stride - 1) // stride


def subsample(x, stride: int):
    """Every ``stride``-th pixel along height and width, starting at the first: ``x[:, ::stride, ::stride, :]``.

    A 1x1 convolution with stride ``s`` and "same" padding reads exactly these pixels (for a 1x1 kernel "same" adds
    no padding), so ``Conv2D(f, 1)(subsample(x, s))`` computes the numbers of ``Conv2D(f, 1, strides=s)(x)``.
    The blocks use that form because TensorFlow 2.21's oneDNN backward kernel of the strided 1x1 convolution
    corrupts memory on AVX-512 CPUs (segmentation faults; tensorflow/tensorflow#57749), see the README's
    "Known platform issues".
    """
    return x if stride == 1 else x[:, ::stride, ::stride, :]


def blur_subsample(x):
    """x2 downsampling with an anti-aliasing filter: the separable 4x4 binomial filter ``[1, 3, 3, 1] / 8`` on each
    channel, then every second pixel along height and width.

    Output pixel ``i`` is centred between input pixels ``2i`` and ``2i + 1`` (as 2x2 average pooling), and every
    input pixel enters the output with the same total weight: the gradient that comes back through it has no
    2-periodic pattern, unlike that of decimation (:func:`subsample`) or of a stride-2 convolution, which reach
    some pixels more than others; a generator trained against such a discriminator is pushed towards an
    axis-aligned 2, 4, 8 px grid (Odena et al. 2016). The border is extended by mirroring, so a constant image stays
    constant. Input ``(N, H, W, C)`` with known ``C``; output ``(N, ceil(H/2), ceil(W/2), C)``, in ``x``'s dtype.
    """
    channels = x.shape[-1]
    kernel = np.tile(np.outer(_BINOMIAL_TAPS, _BINOMIAL_TAPS)[:, :, None, None], (1, 1, channels, 1))
    # One pixel before and two after: the 4-tap "valid" filter then gives H outputs, of which the even ones are kept.
    padded = keras.ops.pad(x, [[0, 0], [1, 2], [1, 2], [0, 0]], mode="symmetric")
    filtered = keras.ops.depthwise_conv(padded, keras.ops.convert_to_tensor(kernel, dtype=x.dtype), strides=1,
                                        padding="valid")
    return filtered[:, ::2, ::2, :]


@keras.saving.register_keras_serializable(package="specklegan_tf")
class SPADEResidualBlock(keras.layers.Layer):
    """The SPADE ResNet block of Park et al. (2019), the generator's building block.

    Main path: SPADE -> LeakyReLU(0.2) -> Conv3x3 -> SPADE -> LeakyReLU(0.2) -> Conv3x3, with
    ``min(C_in, filters)`` channels in between as in Park et al. Shortcut: identity when ``C_in == filters``,
    else a learned SPADE -> Conv1x1 (no bias). No resampling inside: the generator upsamples between blocks
    with nearest-neighbour interpolation.

    Args:
        filters: output channels.
        hidden_channels: hidden filters of every SPADE's mask convolution (paper: 64).
        spectral_norm: spectral normalisation on the block's convolutions (and on SPADE's), as in the paper.
        momentum: momentum of the moving statistics of every SPADE's batch normalisation (Keras' default 0.99;
            a lower value lets inference-mode images settle sooner in short trainings).
        normalization: every SPADE's normalisation, ``"batch"`` (the paper) or ``"instance"`` (each image's own
            statistics: the same function in training and inference).
        **kwargs: base ``keras.layers.Layer`` arguments.

    Call arguments:
        inputs: ``[x, mask]``: ``x`` ``(N, H, W, C_in)``, ``mask`` one-hot ``(N, H', W', num_classes)`` at any
            resolution.
        training: batch statistics and spectral-norm power iteration when True.

    Input shape: ``[(N, H, W, C_in), (N, H', W', num_classes)]``. Output shape: ``(N, H, W, filters)``.

    Example:
        >>> x = keras.ops.ones((2, 16, 16, 64)); mask = keras.ops.one_hot(keras.ops.zeros((2, 64, 64), "int32"), 3)
        >>> SPADEResidualBlock(32)([x, mask]).shape
        (2, 16, 16, 32)
    """

    def __init__(
        self, filters: int, hidden_channels: int = 64, spectral_norm: bool = True, momentum: float = 0.99,
        normalization: str = "batch", **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.filters = _check_filters(filters)
        if normalization not in SPADE_NORMALIZATIONS:
            raise ValueError(f"`normalization` must be one of {SPADE_NORMALIZATIONS}; received {normalization!r}.")
        self.normalization = normalization
        self.hidden_channels = int(hidden_channels)
        self.spectral_norm = bool(spectral_norm)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"`momentum` must be in [0, 1); received momentum={momentum!r}.")
        self.momentum = float(momentum)

    def build(self, input_shape) -> None:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or isinstance(
            input_shape[0], (int, type(None))
        ):
            raise ValueError(f"SPADEResidualBlock expects inputs [x, mask]; received input shape {input_shape}.")
        x_shape = _check_rank4(self, input_shape[0], "x")
        mask_shape = _check_rank4(self, input_shape[1], "mask")
        in_channels = x_shape[-1]
        middle = min(in_channels, self.filters)
        self.learned_shortcut = in_channels != self.filters
        sn = self.spectral_norm

        policy = self.dtype_policy

        def spade(name):
            return SPADE(self.hidden_channels, spectral_norm=sn, momentum=self.momentum,
                         normalization=self.normalization, dtype=policy, name=name)

        self.spade_0 = spade("spade_0")
        self.conv_0 = _conv(middle, 3, sn, policy, name="conv_0")
        self.spade_1 = spade("spade_1")
        self.conv_1 = _conv(self.filters, 3, sn, policy, name="conv_1")
        self.activation = keras.layers.LeakyReLU(0.2, dtype=policy)
        self.spade_0.build([x_shape, mask_shape])
        self.conv_0.build(x_shape)
        self.spade_1.build([(*x_shape[:3], middle), mask_shape])
        self.conv_1.build((*x_shape[:3], middle))
        if self.learned_shortcut:
            self.spade_s = spade("spade_shortcut")
            self.conv_s = _conv(self.filters, 1, sn, policy, use_bias=False, name="conv_shortcut")
            self.spade_s.build([x_shape, mask_shape])
            self.conv_s.build(x_shape)

    def call(self, inputs, training=None):
        x, mask = inputs
        h = self.conv_0(self.activation(self.spade_0([x, mask], training=training)))
        h = self.conv_1(self.activation(self.spade_1([h, mask], training=training)))
        shortcut = self.conv_s(self.spade_s([x, mask], training=training)) if self.learned_shortcut else x
        return shortcut + h

    def compute_output_shape(self, input_shape) -> tuple:
        x_shape = _check_rank4(self, input_shape[0], "x")
        return (*x_shape[:3], self.filters)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "hidden_channels": self.hidden_channels,
            "spectral_norm": self.spectral_norm,
            "momentum": self.momentum,
            "normalization": self.normalization,
        }


@keras.saving.register_keras_serializable(package="specklegan_tf")
class DownsamplingResidualBlock(keras.layers.Layer):
    """The discriminator's residual block: Conv3x3 -> BatchNorm -> LeakyReLU(0.2) -> Conv3x3 (stride 2).

    Shortcut: Conv1x1 (stride 2 when downsampling) when the shape changes, identity otherwise; the stride is taken
    by :func:`subsample` before a stride-1 convolution (the same numbers and weights, without the oneDNN kernel
    that crashes on AVX-512 CPUs). Batch normalisation is synchronised across replicas under ``tf.distribute``.
    With ``downsampling="blur"`` both paths halve the resolution by :func:`blur_subsample` instead: after the
    stride-1 second convolution, and before the shortcut's 1x1 convolution.

    Args:
        filters: output channels.
        downsample: halve height and width (the second convolution's stride of 2, or the blur).
        downsampling: ``"stride"`` (the paper) or ``"blur"`` (a binomial low-pass filter before subsampling, whose
            gradient reaches every pixel alike); ignored without ``downsample``.
        spectral_norm: spectral normalisation on the convolutions (the paper applies it to the discriminator).
        normalization: use batch normalisation after the first convolution.
        **kwargs: base ``keras.layers.Layer`` arguments.

    Call arguments:
        inputs: ``(N, H, W, C_in)``.
        training: batch statistics and spectral-norm power iteration when True.

    Input shape: ``(N, H, W, C_in)``. Output shape: ``(N, ceil(H/2), ceil(W/2), filters)`` when ``downsample``,
    else ``(N, H, W, filters)``.

    Example:
        >>> DownsamplingResidualBlock(64)(keras.ops.ones((2, 32, 32, 3))).shape
        (2, 16, 16, 64)
    """

    def __init__(
        self, filters: int, downsample: bool = True, spectral_norm: bool = True, normalization: bool = True,
        downsampling: str = "stride", **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.filters = _check_filters(filters)
        self.downsample = bool(downsample)
        self.spectral_norm = bool(spectral_norm)
        self.normalization = bool(normalization)
        if downsampling not in DOWNSAMPLINGS:
            raise ValueError(f"`downsampling` must be one of {DOWNSAMPLINGS}; received downsampling={downsampling!r}.")
        self.downsampling = downsampling

    def build(self, input_shape) -> None:
        shape = _check_rank4(self, input_shape)
        self._blur = self.downsample and self.downsampling == "blur"
        stride = 2 if self.downsample and not self._blur else 1
        sn, policy = self.spectral_norm, self.dtype_policy
        self.conv_0 = _conv(self.filters, 3, sn, policy, name="conv_0")
        self.norm = (keras.layers.BatchNormalization(synchronized=True, dtype=policy, name="norm")
                     if self.normalization else None)
        self.activation = keras.layers.LeakyReLU(0.2, dtype=policy)
        self.conv_1 = _conv(self.filters, 3, sn, policy, strides=stride, name="conv_1")
        hidden = (*shape[:3], self.filters)
        self.conv_0.build(shape)
        if self.norm is not None:
            self.norm.build(hidden)
        self.conv_1.build(hidden)
        self.learned_shortcut = self.downsample or shape[-1] != self.filters
        if self.learned_shortcut:
            self.conv_s = _conv(self.filters, 1, sn, policy, name="conv_shortcut")
            self.conv_s.build(shape)
        self._shortcut_stride = stride

    def call(self, inputs, training=None):
        h = self.conv_0(inputs)
        if self.norm is not None:
            h = self.norm(h, training=training)
        h = self.conv_1(self.activation(h))
        if self._blur:
            return blur_subsample(h) + self.conv_s(blur_subsample(inputs))
        return h + (self.conv_s(subsample(inputs, self._shortcut_stride)) if self.learned_shortcut else inputs)

    def compute_output_shape(self, input_shape) -> tuple:
        shape = _check_rank4(self, input_shape)
        if self.downsample:
            return (shape[0], _strided(shape[1], 2), _strided(shape[2], 2), self.filters)
        return (*shape[:3], self.filters)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "downsample": self.downsample,
            "spectral_norm": self.spectral_norm,
            "normalization": self.normalization,
            "downsampling": self.downsampling,
        }


@keras.saving.register_keras_serializable(package="specklegan_tf")
class ResidualBlock(keras.layers.Layer):
    """Pre-activation residual unit (He et al. 2016, "Identity mappings"), for the U-Net.

    Main path: BatchNorm -> ReLU -> Conv3x3 (``strides``) -> BatchNorm -> ReLU -> Conv3x3. Shortcut: identity, or a
    Conv1x1 projection (``strides``) of the pre-activated input when the shape changes; the stride is taken by
    :func:`subsample` before a stride-1 convolution (same numbers and weights; the strided 1x1 kernel of oneDNN
    crashes on AVX-512 CPUs).

    Args:
        filters: output channels.
        strides: stride of the first convolution (2 halves the resolution).
        momentum: momentum of the batch normalisations' moving statistics (Keras' default 0.99; short trainings
            such as few-shot segmentation want a faster 0.9 so inference statistics catch up with the weights).
        **kwargs: base ``keras.layers.Layer`` arguments.

    Call arguments:
        inputs: ``(N, H, W, C_in)``.
        training: batch statistics when True.

    Input shape: ``(N, H, W, C_in)``. Output shape: ``(N, ceil(H/strides), ceil(W/strides), filters)``.

    Example:
        >>> ResidualBlock(32, strides=2)(keras.ops.ones((2, 32, 32, 16))).shape
        (2, 16, 16, 32)
    """

    def __init__(self, filters: int, strides: int = 1, momentum: float = 0.99, **kwargs) -> None:
        super().__init__(**kwargs)
        self.filters = _check_filters(filters)
        if isinstance(strides, bool) or int(strides) != strides or strides < 1:
            raise ValueError(f"`strides` must be a positive integer; received strides={strides!r}.")
        self.strides = int(strides)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"`momentum` must be in [0, 1); received momentum={momentum!r}.")
        self.momentum = float(momentum)

    def build(self, input_shape) -> None:
        shape = _check_rank4(self, input_shape)
        policy = self.dtype_policy
        self.norm_0 = keras.layers.BatchNormalization(momentum=self.momentum, synchronized=True, dtype=policy,
                                                      name="norm_0")
        self.conv_0 = _conv(self.filters, 3, False, policy, strides=self.strides, name="conv_0")
        self.norm_1 = keras.layers.BatchNormalization(momentum=self.momentum, synchronized=True, dtype=policy,
                                                      name="norm_1")
        self.conv_1 = _conv(self.filters, 3, False, policy, name="conv_1")
        out_shape = self.compute_output_shape(shape)
        self.norm_0.build(shape)
        self.conv_0.build(shape)
        self.norm_1.build(out_shape)
        self.conv_1.build(out_shape)
        self.projection = self.strides != 1 or shape[-1] != self.filters
        if self.projection:
            self.conv_s = _conv(self.filters, 1, False, policy, use_bias=False, name="conv_shortcut")
            self.conv_s.build(shape)
        self._shortcut_stride = self.strides

    def call(self, inputs, training=None):
        pre = keras.ops.relu(self.norm_0(inputs, training=training))
        h = self.conv_0(pre)
        h = self.conv_1(keras.ops.relu(self.norm_1(h, training=training)))
        return h + (self.conv_s(subsample(pre, self._shortcut_stride)) if self.projection else inputs)

    def compute_output_shape(self, input_shape) -> tuple:
        shape = _check_rank4(self, input_shape)
        return (shape[0], _strided(shape[1], self.strides), _strided(shape[2], self.strides), self.filters)

    def get_config(self) -> dict:
        return {**super().get_config(), "filters": self.filters, "strides": self.strides, "momentum": self.momentum}
