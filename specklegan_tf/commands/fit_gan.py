"""Train SpeckleGAN (or the baseline GAN) on the IVUS phantom or your own annotated images, then export it.

Examples:
    specklegan fit-gan --preset demo          # a small configuration for a CPU (64x64, 12 epochs, minutes)
    specklegan fit-gan                        # the paper's configuration (256x256) on the embedded phantom
    specklegan fit-gan --data DIR --n-train 100 --model baseline --out runs/baseline100
    specklegan fit-gan --config my.yaml --epochs 50   # a YAML/JSON file; flags override it

Rerunning the same command resumes from the run folder's last checkpoint. See the README's Training section.
"""
from __future__ import annotations

import sys

from specklegan_tf.commands.trainer import run_trainer_cli


def _load_trainer():
    from specklegan_tf.training.gan_trainer import train_gan

    return train_gan


def main(argv: list[str] | None = None, prog: str = "specklegan fit-gan") -> int:
    from specklegan_tf.training.config import GAN_PRESETS, GANConfig  # no TensorFlow

    return run_trainer_cli(prog, GANConfig, GAN_PRESETS, __doc__, _load_trainer, argv)


if __name__ == "__main__":
    sys.exit(main())
