"""specklegan_tf: SpeckleGAN (Bargsten & Schlaefer, IJCARS 2020) for TensorFlow 2.21 / Keras 3.

Subpackages follow the paper's method section:

- ``specklegan_tf.layers``: SpeckleLayer (Eq. 2), SPADE, residual blocks.
- ``specklegan_tf.models``: generator, discriminator, SpeckleGAN training model, residual U-Net.
- ``specklegan_tf.data``: IVUS phantom, IVUS challenge loader, synthetic masks, tf.data pipeline.
- ``specklegan_tf.metrics``: FID/KID, texture Fréchet distance, JSD, SSIM, speckle statistics, Dice, MHD.
- ``specklegan_tf.training``: configuration, distributed runner, checkpoints and resume.
- ``specklegan_tf.export``: SavedModels for TF Serving and ``.keras`` files.
- ``specklegan_tf.commands``: the ``specklegan`` command (``python -m specklegan_tf``); ``train/*.py`` wrap it.
"""

__version__ = "0.2.0"

# Label convention used everywhere in the project (the paper's order).
LUMEN, INTIMA_MEDIA, BACKGROUND = 0, 1, 2
CLASS_NAMES = ("lumen", "intima_media", "background")
