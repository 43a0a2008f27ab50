"""specklegan_tf.layers: the Keras layers of SpeckleGAN, usable in any Keras model.

- :class:`SpeckleLayer`: learnable Fourier-optics speckle (the paper's Eq. 2), Cartesian or polar.
- :class:`SPADE`: mask-conditioned spatially-adaptive normalisation.
- :class:`SPADEResidualBlock`, :class:`DownsamplingResidualBlock`, :class:`ResidualBlock`: residual blocks of the
  generator, the discriminator and the U-Net.
- :class:`ChannelAttention`, :class:`CartesianToPolar`, :class:`PolarToCartesian`: the speckle layer's parts.
- :class:`StraightThroughClip`: a display's clip to [-1, 1] whose gradient passes through (SpeckleGAN's display route).

All are registered for ``.keras`` saving under the package name ``specklegan_tf``.
"""

from specklegan_tf.layers.attention import ChannelAttention
from specklegan_tf.layers.diff_augment import DIFF_AUGMENT_POLICIES, DiffAugment
from specklegan_tf.layers.blocks import DownsamplingResidualBlock, ResidualBlock, SPADEResidualBlock
from specklegan_tf.layers.polar import CartesianToPolar, PolarToCartesian
from specklegan_tf.layers.spade import SPADE
from specklegan_tf.layers.speckle import SpeckleLayer
from specklegan_tf.layers.straight_through_clip import StraightThroughClip
from specklegan_tf.layers.speckle_calibration import speckle_detrend_px, tissue_grain, window_sizes_for_grain

__all__ = [
    "SpeckleLayer",
    "SPADE",
    "SPADEResidualBlock",
    "DownsamplingResidualBlock",
    "ResidualBlock",
    "ChannelAttention",
    "CartesianToPolar",
    "PolarToCartesian",
    "StraightThroughClip",
    "DiffAugment",
    "DIFF_AUGMENT_POLICIES",
    "window_sizes_for_grain",
    "speckle_detrend_px",
    "tissue_grain",
]
