"""Train SpeckleGAN (or the baseline GAN); the same as `specklegan fit-gan`.

A thin wrapper kept for running from a clone (`python train/fit_gan.py --help`); the code is
`specklegan_tf/commands/fit_gan.py`.
"""
import sys

from specklegan_tf.commands import fit_gan as command


def main(argv: list[str] | None = None) -> int:
    return command.main(argv, prog="fit_gan.py")


if __name__ == "__main__":
    sys.exit(main())
