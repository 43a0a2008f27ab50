"""The residual U-Net of the paper's segmentation experiment ("Segmentation evaluation" section).

The paper: "The networks consisted of residual blocks in the down- and upsampling path. In each of the three
downsampling blocks, the spatial sizes of the feature maps were halved while the numbers of feature maps were
doubled up to 256. The upsampling blocks operated vice versa. The input image dimensions were 256x256."
"""

from __future__ import annotations

import keras

from specklegan_tf.core.validators import power_of_two, require
from specklegan_tf.layers import ResidualBlock

MIN_IMAGE_SIZE = 32


def _check_arguments(image_size: int, num_classes: int, base_filters: int, depth: int) -> None:
    if not isinstance(depth, int) or depth < 1:
        raise ValueError(f"build_unet: `depth` must be a positive integer, got depth={depth!r}.")
    power_of_two(image_size, "`image_size`", low=MIN_IMAGE_SIZE, high=None)
    require(image_size % 2**depth == 0, "`image_size`", f"must be divisible by 2**depth={2**depth}", image_size)
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"build_unet: `num_classes` must be an integer >= 2, got num_classes={num_classes!r}.")
    if not isinstance(base_filters, int) or base_filters < 1:
        raise ValueError(f"build_unet: `base_filters` must be a positive integer, got base_filters={base_filters!r}.")


def build_unet(
    image_size: int = 256,
    num_classes: int = 3,
    base_filters: int = 32,
    depth: int = 3,
    norm_momentum: float = 0.9,
    name: str = "residual_unet",
) -> keras.Model:
    """Builds the paper's residual U-Net for IVUS segmentation (functional API).

    A 3x3 stem convolution and one residual block at full resolution, then ``depth`` downsampling residual blocks
    (stride 2: the size halves, the filters double: 32-64-128-256 with the defaults), a residual bridge block at
    the coarsest scale, and ``depth`` upsampling stages (nearest-neighbour x2, concatenation with the skip
    connection of the same scale, a residual block with half the filters). Every residual block is
    ``specklegan_tf.layers.ResidualBlock`` (pre-activation, 1x1 projection shortcut). The head is batch
    normalisation, ReLU, a 1x1 convolution and a softmax over the classes, computed in float32 also under mixed
    precision.

    Args:
        image_size: Height and width of the square input; a power of two from 32 (the paper: 256).
        num_classes: Number of classes of the softmax (3: lumen, intima/media, adventitia/background).
        base_filters: Filters at full resolution; they double at every downsampling block.
        depth: Number of downsampling blocks (the paper: 3).
        norm_momentum: Momentum of the moving statistics of every batch normalisation. 0.9 rather than Keras'
            0.99: small data sets give few steps per epoch, and with 0.99 the inference statistics lag far behind
            the batch statistics (one measurement, 64x64 phantom after 60 steps: held-out intima/media Dice 0.07
            with 0.99, 0.91 with 0.9). It is part of every block's configuration, so it survives ``.keras`` files.
        name: Name of the returned model.

    Input shape:
        ``image``: ``(N, image_size, image_size, 1)`` float in [-1, 1], as ``specklegan_tf.data.make_dataset``
        yields it.

    Output shape:
        ``(N, image_size, image_size, num_classes)`` class probabilities (softmax, float32).

    Returns:
        A ``keras.Model`` named ``name``. Its parameter count does not depend on ``image_size`` (the network is
        fully convolutional); the README lists the count with the defaults.

    Raises:
        ValueError: for an ``image_size`` that is not a power of two >= 32, or other invalid arguments.

    Example:
        >>> unet = build_unet(image_size=64)
        >>> unet(np.zeros((2, 64, 64, 1), "float32")).shape
        TensorShape([2, 64, 64, 3])
    """
    _check_arguments(image_size, num_classes, base_filters, depth)
    if not 0.0 <= norm_momentum < 1.0:
        raise ValueError(f"build_unet: `norm_momentum` must be in [0, 1), got norm_momentum={norm_momentum!r}.")
    image = keras.Input((image_size, image_size, 1), name="image")

    x = keras.layers.Conv2D(base_filters, 3, padding="same", name="stem")(image)
    x = ResidualBlock(base_filters, momentum=norm_momentum, name="down_0")(x)
    skips = [x]
    filters = base_filters
    for level in range(1, depth + 1):
        filters *= 2
        x = ResidualBlock(filters, strides=2, momentum=norm_momentum, name=f"down_{level}")(x)
        skips.append(x)
    x = ResidualBlock(filters, momentum=norm_momentum, name="bridge")(skips.pop())

    for level in range(depth - 1, -1, -1):
        filters //= 2
        x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"upsample_{level}")(x)
        x = keras.layers.Concatenate(name=f"skip_{level}")([x, skips[level]])
        x = ResidualBlock(filters, momentum=norm_momentum, name=f"up_{level}")(x)

    # The residual blocks are pre-activation: their output is not normalised, so the head normalises first.
    x = keras.layers.BatchNormalization(momentum=norm_momentum, name="head_norm")(x)
    x = keras.layers.ReLU(name="head_relu")(x)
    logits = keras.layers.Conv2D(num_classes, 1, name="head_logits")(x)
    probabilities = keras.layers.Softmax(axis=-1, dtype="float32", name="probabilities")(logits)
    return keras.Model(image, probabilities, name=name)
