"""Generate a synthetic training set; the same as `specklegan generate`.

A thin wrapper kept for running from a clone (`python train/generate.py --help`); the code is
`specklegan_tf/commands/generate.py`.
"""
import sys

from specklegan_tf.commands import generate as command


def main(argv: list[str] | None = None) -> int:
    return command.main(argv, prog="generate.py")


if __name__ == "__main__":
    sys.exit(main())
