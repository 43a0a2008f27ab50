"""Write the IVUS phantom as a data set in the layout of the IVUS challenge (Balocco et al. 2014)::

    python -m specklegan_tf.data.phantom --out DIR --n 435 --seed 0

The simulator itself is ``simulate_ivus`` (``phantom_simulator``), re-exported here and from ``specklegan_tf.data``.
The package ``__init__`` does not import this module, so running it with ``-m`` is clean.
"""
from __future__ import annotations

import argparse

from .ivus_challenge import write_challenge_layout
from .phantom_simulator import DEFAULT_PHANTOM_SIZE, simulate_ivus

__all__ = ["main", "simulate_ivus"]


def main(argv: list[str] | None = None) -> None:
    """CLI: write a phantom data set in the IVUS challenge layout (DCM/*.png, LABELS/lum_*.txt, med_*.txt)."""
    parser = argparse.ArgumentParser(prog="python -m specklegan_tf.data.phantom", description=main.__doc__)
    parser.add_argument("--out", required=True, help="output folder (created); receives DCM/ and LABELS/")
    parser.add_argument("--n", type=int, default=DEFAULT_PHANTOM_SIZE, help="number of frames (default 435)")
    parser.add_argument("--seed", type=int, default=0, help="data set seed (default 0)")
    parser.add_argument("--image-size", type=int, default=384,
                        help="edge length in pixels (default 384, as the real frames)")
    args = parser.parse_args(argv)
    images, masks = simulate_ivus(args.n, image_size=args.image_size, seed=args.seed)
    names = [f"frame_01_{i + 1:04d}_003" for i in range(args.n)]
    write_challenge_layout(args.out, images, masks, names=names)
    print(f"wrote {args.n} phantom frames ({args.image_size}x{args.image_size}) to {args.out}")


if __name__ == "__main__":
    main()
