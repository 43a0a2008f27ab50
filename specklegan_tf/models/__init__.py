"""specklegan_tf.models: the paper's networks and the GAN training model.

- ``build_generator``: SpeckleGAN's mask-conditioned generator, or with ``speckle=False`` the baseline.
- ``build_discriminator``: the mask-conditioned discriminator.
- ``SpeckleGAN``: a ``keras.Model`` with the non-saturating losses (Eqs. 6, 7) in ``train_step``.
- ``GeneratorAverage``: the exponential moving average of the generator's weights (``SpeckleGAN(generator_ema=)``).
- ``FixedGain``: the display route's speckle weights, non-negative with a fixed sum (``speckle_weights="fixed_gain"``).
- ``make_gan_optimizers``: Adam (beta_1=0.5) with the paper's two-step learning-rate decay.
- ``build_unet``: the residual U-Net of the segmentation study; ``CrossEntropyDiceLoss``: its loss.
"""
from specklegan_tf.models.discriminator import build_discriminator
from specklegan_tf.models.gan import SpeckleGAN, find_speckle_layer, generate_images
from specklegan_tf.models.generator import build_generator
from specklegan_tf.models.generator_average import GeneratorAverage
from specklegan_tf.models.losses import discriminator_loss, generator_loss
from specklegan_tf.models.optimizers import make_gan_optimizers
from specklegan_tf.models.phase_seeds import LatentPhaseSeeds
from specklegan_tf.models.segmentation_loss import CrossEntropyDiceLoss
from specklegan_tf.models.speckle_gain import FixedGain
from specklegan_tf.models.unet import build_unet  # the segmentation U-Net (segmentation study)

__all__ = [
    "CrossEntropyDiceLoss",
    "FixedGain",
    "GeneratorAverage",
    "LatentPhaseSeeds",
    "SpeckleGAN",
    "build_discriminator",
    "build_generator",
    "build_unet",
    "discriminator_loss",
    "find_speckle_layer",
    "generate_images",
    "generator_loss",
    "make_gan_optimizers",
]
