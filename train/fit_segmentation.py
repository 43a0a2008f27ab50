"""Train the U-Net segmenter; the same as `specklegan fit-segmentation`.

A thin wrapper kept for running from a clone (`python train/fit_segmentation.py --help`); the code is
`specklegan_tf/commands/fit_segmentation.py`.
"""
import sys

from specklegan_tf.commands import fit_segmentation as command


def main(argv: list[str] | None = None) -> int:
    return command.main(argv, prog="fit_segmentation.py")


if __name__ == "__main__":
    sys.exit(main())
