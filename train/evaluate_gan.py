"""Evaluate exported generators; the same as `specklegan evaluate`.

A thin wrapper kept for running from a clone (`python train/evaluate_gan.py --help`); the code is
`specklegan_tf/commands/evaluate.py`.
"""
import sys

from specklegan_tf.commands import evaluate as command


def main(argv: list[str] | None = None) -> int:
    return command.main(argv, prog="evaluate_gan.py")


if __name__ == "__main__":
    sys.exit(main())
