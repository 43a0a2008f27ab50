"""Diversity term of the generator's loss: images of one mask drawn with two ``z`` must differ in structure.

Mask-conditioned GANs learn to ignore their noise input (Isola et al. 2017; Mao et al., CVPR 2019, "Mode seeking
GANs"; Yang et al., ICLR 2019, "Diversity-sensitive conditional GANs"). On the phantom both of the package's
generators do: two ``z`` change the 8 x 8 block means of an image by 0.03-0.05 (on [-1, 1]), and the generated frames
differ from each other at that scale half as much as real frames do (0.10-0.12 against 0.21), with an acoustic
shadow drawn at the same place in every frame instead of wherever the data has it.

The term rewards the ratio of Mao et al., ``mean |G(y, z1) - G(y, z2)| / mean |z1 - z2|``, up to a target (the
bounded form of Yang et al.), so it stops pushing once the images are diverse enough. It is measured on block means
over an eighth of the image: speckle, which SpeckleGAN's random phases vary on their own, averages out there, so
the term asks both models alike for variation in structure (shadows, brightness, wall), not in grain.
"""
from __future__ import annotations

from keras import ops

# Block edge as a fraction of the image: an 8 x 8 grid of block means at any image size.
COARSE_GRID = 8


def coarse_diversity(images_a, images_b, z_a, z_b):
    """Mode-seeking ratio on block means: ``mean |pool(a) - pool(b)| / mean |z_a - z_b|`` (a scalar).

    Args:
        images_a, images_b: images ``(N, H, W, C)`` generated from the same masks with ``z_a`` and ``z_b``;
            ``H`` and ``W`` divisible by 8.
        z_a, z_b: the latent vectors ``(N, latent_dim)``.

    Returns:
        Float32 scalar.

    Example:
        >>> import numpy as np
        >>> a, b = np.zeros((1, 16, 16, 1)), np.ones((1, 16, 16, 1))
        >>> float(coarse_diversity(a, b, np.zeros((1, 4)), np.full((1, 4), 2.0)))  # block means differ by 1, z by 2
        0.5
    """
    height, width = int(images_a.shape[1]), int(images_a.shape[2])
    if height % COARSE_GRID or width % COARSE_GRID:
        raise ValueError(f"coarse_diversity needs image sides divisible by {COARSE_GRID}, got {height} x {width}")
    block = (height // COARSE_GRID, width // COARSE_GRID)
    pool = lambda x: ops.average_pool(ops.cast(x, "float32"), block, strides=block, padding="valid")  # noqa: E731
    image_distance = ops.mean(ops.abs(pool(images_a) - pool(images_b)))
    latent_distance = ops.mean(ops.abs(ops.cast(z_a, "float32") - ops.cast(z_b, "float32")))
    return image_distance / ops.maximum(latent_distance, 1e-8)


def diversity_loss(ratio, target: float):
    """``max(0, target - ratio) / target``: 1 for identical images, 0 once the ratio reaches ``target``."""
    return ops.relu(target - ratio) / target
