"""The paper's segmentation study (Table 2); the same as `specklegan study`.

A thin wrapper kept for running from a clone (`python train/segmentation_study.py --help`); the code is
`specklegan_tf/commands/study.py`.
"""
import sys

from specklegan_tf.commands import study as command


def main(argv: list[str] | None = None) -> int:
    return command.main(argv, prog="segmentation_study.py")


if __name__ == "__main__":
    sys.exit(main())
