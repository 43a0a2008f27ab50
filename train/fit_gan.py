"""Train SpeckleGAN (or the baseline GAN) on the IVUS phantom or your own annotated images.

    python train/fit_gan.py                       # the paper's configuration (256x256) on the embedded phantom
    python train/fit_gan.py --preset demo         # a small configuration for a CPU (about 10 minutes)
    python train/fit_gan.py --data DIR --n-train 100 --model baseline --out runs/baseline100
    python train/fit_gan.py --config my.yaml --epochs 50   # a YAML/JSON file; flags override it

Rerunning the same command resumes from the run folder's last checkpoint. See the README's
Training section.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out of the log

from specklegan_tf.training.cli import run_trainer_cli  # noqa: E402 (no TensorFlow yet)
from specklegan_tf.training.config import GAN_PRESETS, GANConfig  # noqa: E402


def _load_trainer():
    from specklegan_tf.training.gan_trainer import train_gan

    return train_gan


def main(argv: list[str] | None = None) -> int:
    return run_trainer_cli("fit_gan.py", GANConfig, GAN_PRESETS, __doc__.split("\n\n")[0], _load_trainer, argv)


if __name__ == "__main__":
    sys.exit(main())
