"""Train SpeckleGAN (or the baseline GAN) on the IVUS phantom or your own annotated images.

    python train/fit_gan.py                       # the paper's configuration (256x256) on the embedded phantom
    python train/fit_gan.py --preset demo         # a small configuration for a CPU (about 10 minutes)
    python train/fit_gan.py --data DIR --n-train 100 --model baseline --out runs/baseline100
    python train/fit_gan.py --config my.yaml --epochs 50   # a YAML/JSON file; flags override it

Rerunning the same command resumes from the run folder's last checkpoint. See docs/sections/training.md.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ start-up chatter out of the log

from specklegan_tf.training.config import GAN_PRESETS, GANConfig, load_config  # noqa: E402 (no TensorFlow yet)


def main(argv: list[str] | None = None) -> int:
    try:
        config = load_config(GANConfig, argv, presets=GAN_PRESETS, prog="fit_gan.py",
                             description=__doc__.split("\n\n")[0])
        # Logical CPU devices must be configured before TensorFlow initialises, i.e. before anything else.
        from specklegan_tf.training.strategy import configure_logical_devices

        configure_logical_devices(config.devices)
        from specklegan_tf.training.gan_trainer import train_gan
        from specklegan_tf.training.runner import NonFiniteLossError

        try:
            train_gan(config)
        except NonFiniteLossError as error:
            print(f"fit_gan.py: {error}", file=sys.stderr)
            return 3
    except (ValueError, FileNotFoundError) as error:
        print(f"fit_gan.py: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
