"""Reproduce the paper's experiments; the same as `specklegan reproduce`.

A thin wrapper kept for running from a clone (`python train/reproduce_paper.py --help`); the code is
`specklegan_tf/commands/reproduce.py`.
"""
import sys

from specklegan_tf.commands import reproduce as command


def main(argv: list[str] | None = None) -> int:
    return command.main(argv, prog="reproduce_paper.py")


if __name__ == "__main__":
    sys.exit(main())
