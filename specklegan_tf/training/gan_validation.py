"""Validation of a GAN run: generated images against the data set's, and the fixed sample grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from specklegan_tf.training.config import GANConfig
from specklegan_tf.training.run_types import TrainingContext
from specklegan_tf.training.summaries import image_grid, labels_to_gray, save_png, to_unit_range


def _to_uint8(images: np.ndarray) -> np.ndarray:
    """Generator output in [-1, 1] ``(N, H, W, 1)`` -> uint8 ``(N, H, W)``."""
    return np.round(to_unit_range(np.asarray(images)[..., 0]) * 255).astype(np.uint8)


class GANValidation:
    """Validation of a generator against the data set, plus the fixed sample grid.

    Images are generated from the first ``val_images`` masks of the data set (the paper conditions on the data
    set's own masks so that the comparison is about texture, not morphology) and compared with all real images:
    a Fréchet distance in the feature space of ``features`` (``texture_fd`` or ``fid``) and KID. The sample grid
    shows, for ``grid_size`` fixed masks, the mask, the real image and two images from fixed ``z``.

    Args:
        images: Real images, uint8 ``(N, H, W)``.
        masks: Their label masks, ``(N, H, W)`` in {0, 1, 2}.
        config: The run's configuration.
        run_dir: Where ``samples/`` goes.
    """

    def __init__(self, images: np.ndarray, masks: np.ndarray, config: GANConfig, run_dir: Path) -> None:
        count = min(config.val_images or len(images), len(images))
        self.masks = np.asarray(masks[:count])
        self.real = np.asarray(images)
        self.config = config
        self.run_dir = run_dir
        self.metric_name = "fid" if config.features == "inception" else "texture_fd"
        self._features = None
        self._real_features = None
        columns = min(config.grid_size, len(images))
        self.grid_masks = np.asarray(masks[:columns])
        self.grid_real = np.asarray(images[:columns])
        rng = np.random.default_rng([config.seed, 0x6A1D])  # fixed z, independent of training randomness
        self.grid_z = rng.standard_normal((2 * columns, config.latent_dim)).astype(np.float32)

    def _feature_extractor(self):
        if self._features is None:
            from specklegan_tf.metrics import InceptionFeatures, TextureFeatures

            if self.config.features == "inception":
                self._features = InceptionFeatures(weights=self.config.inception_weights)
            else:
                self._features = TextureFeatures()
            self._real_features = self._features(self.real)
        return self._features

    def sample_grid(self, generator) -> np.ndarray:
        """Grid image in [0, 1]: rows mask, real image, and two generated images per fixed mask."""
        from specklegan_tf.models import generate_images

        columns = len(self.grid_masks)
        fake = generate_images(generator, np.concatenate([self.grid_masks, self.grid_masks]), z=self.grid_z)
        rows = [labels_to_gray(self.grid_masks), self.grid_real.astype(np.float32) / 255.0,
                to_unit_range(fake[:columns, ..., 0]), to_unit_range(fake[columns:, ..., 0])]
        return image_grid(np.concatenate(rows), columns=columns)

    def write_grid(self, generator, name: str, writer=None, step: int = 0) -> Path:
        grid = self.sample_grid(generator)
        if writer is not None:
            writer.image("samples", grid, step)
        return save_png(grid, self.run_dir / "samples" / f"{name}.png")

    def __call__(self, context: TrainingContext) -> dict[str, float]:
        from specklegan_tf.metrics import fid, kid

        features = self._feature_extractor()
        # With --generator-ema the averaged weights are validated: they are what the run keeps and exports.
        with context.trainable.averaged_generator() as generator:
            fake = _to_uint8(context.trainable.generate(self.masks, seed=self.config.seed))
            self.write_grid(generator, f"epoch_{context.epoch:04d}", context.writer, context.step)
        fake_features = features(fake)
        distance = fid(features=features, real_features=self._real_features, fake_features=fake_features)
        kid_mean, _ = kid(features=features, real_features=self._real_features, fake_features=fake_features,
                          subsets=50, subset_size=min(100, len(fake), len(self.real)), seed=self.config.seed)
        return {self.metric_name: distance, "kid": kid_mean}
