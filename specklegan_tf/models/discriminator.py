"""The mask-conditioned discriminator of SpeckleGAN (paper Fig. 3), as a Keras functional model."""
from __future__ import annotations

import keras

from specklegan_tf.models.generator import _check_positive, check_image_size, scaled

# Channels (at width 1) after the downsampling block that reaches each resolution; capped at 256.
_FIRST_CHANNELS = 32
_MAX_CHANNELS = 256
_FINAL_GRID = 4  # downsample until a 4x4 grid


def build_discriminator(
    image_size: int = 256, num_classes: int = 3, width: float = 1.0, downsampling: str = "stride",
    name: str = "discriminator"
) -> keras.Model:
    """Builds the discriminator: is this image a real image for this mask?

    The image and its one-hot mask are concatenated and passed through residual blocks that halve the resolution
    with stride-2 convolutions (the paper: downscaling by strided convolutions, batch normalisation, spectral
    normalisation) until a 4x4 grid; the first block has no batch normalisation (it sees raw pixels). Channels
    double from 32 up to 256. A LeakyReLU, global average pooling and a spectrally normalised dense layer give one
    logit (float32 also under mixed precision).

    Args:
        image_size: input height and width, a power of two from 32 to 512.
        num_classes: number of mask classes.
        width: channel multiplier (every channel count, at least 1).
        downsampling: how every block halves the resolution: ``"stride"`` (the paper's stride-2 convolutions) or
            ``"blur"`` (a binomial low-pass filter before subsampling; its gradient to the image has no 2, 4, 8 px
            periodic pattern for the generator to copy; see
            :func:`~specklegan_tf.layers.blocks.blur_subsample`).
        name: model name.

    Inputs: ``image`` float ``(N, image_size, image_size, 1)`` in ``[-1, 1]`` and ``mask`` one-hot float
    ``(N, image_size, image_size, num_classes)``, in that order. Output: logits ``(N, 1)``.

    Example:
        >>> d = build_discriminator(image_size=64, width=0.25)
        >>> d([images, masks_onehot]).shape
        TensorShape([N, 1])
    """
    from specklegan_tf.layers import DownsamplingResidualBlock

    check_image_size(image_size)
    _check_positive(num_classes, "num_classes")
    _check_positive(width, "width", float)

    image = keras.Input((image_size, image_size, 1), name="image")
    mask = keras.Input((image_size, image_size, num_classes), name="mask")
    x = keras.layers.Concatenate(name="image_and_mask")([image, mask])
    resolution, channels, index = image_size, _FIRST_CHANNELS, 0
    while resolution > _FINAL_GRID:
        resolution //= 2
        x = DownsamplingResidualBlock(scaled(channels, width), downsample=True, spectral_norm=True,
                                      normalization=index > 0, downsampling=downsampling, name=f"down_block_{resolution}")(x)
        channels, index = min(2 * channels, _MAX_CHANNELS), index + 1
    x = keras.layers.LeakyReLU(0.2, name="features_activation")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    dense = keras.layers.Dense(1, dtype="float32", name="logit_dense")
    logits = keras.layers.SpectralNormalization(dense, dtype="float32", name="logit")(x)
    return keras.Model([image, mask], logits, name=name)
