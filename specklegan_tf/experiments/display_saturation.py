"""How much of each generator's tissue is at white, or past the display route's clip, beside the real frames'.

    python -m specklegan_tf.experiments.display_saturation MODEL [MODEL ...] [--names NAME ...] [--data phantom]
        [--image-size 128] [--images 96] [--seed 0] [--out display_saturation.md]

Every MODEL (a ``.keras`` file) generates one image for each of the first ``--images`` masks of the data set (z
and speckle phases from ``--seed``). The table gives the fraction of tissue pixels (intima/media and background in
the field of view) at white in the images (the real frames' first), and for a display-route SpeckleGAN the
fractions past white and past black before its clip and where its baseline path's tanh is saturated
(:func:`~specklegan_tf.evaluation.display_saturation.display_saturation`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def saturation_rows(real_images, masks, models: dict, seed: int = 0) -> list[str]:
    """Markdown table lines: the real images' row, then one per entry of ``models`` (name -> ``.keras`` path)."""
    import keras

    import specklegan_tf.models  # noqa: F401  (registers the layers a .keras file names)
    from specklegan_tf.evaluation.display_saturation import display_saturation, white_fraction
    from specklegan_tf.evaluation.speckle_share import DISPLAY_ADD
    from specklegan_tf.export import load_generator
    from specklegan_tf.export.synthesis import draw_seeds

    lines = ["| images | tissue at white | past white before the clip | past black before the clip | "
             "baseline path's tanh saturated |", "|---|---|---|---|---|",
             f"| real | {100 * white_fraction(real_images, masks):.2f} % | | | |"]
    for name, path in models.items():
        generator = keras.saving.load_model(path, compile=False)
        if DISPLAY_ADD in {layer.name for layer in generator.layers}:
            s = display_saturation(generator, masks, seed)
            lines.append(f"| {name} | {100 * s['white']:.2f} % | {100 * s['past_white']:.2f} % | "
                         f"{100 * s['past_black']:.2f} % | {100 * s['baseline_saturated']:.1f} % |")
        else:
            images = load_generator(path)(masks, draw_seeds(len(masks), seed))
            lines.append(f"| {name} | {100 * white_fraction(images, masks):.2f} % | | | |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specklegan_tf.experiments.display_saturation",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", help="generators: .keras files")
    parser.add_argument("--names", nargs="+", help="one name per model (default: the file names)")
    parser.add_argument("--data", default="phantom", help="data set of the masks and real images (default phantom)")
    parser.add_argument("--image-size", type=int, default=128, help="image side in px (default 128)")
    parser.add_argument("--images", type=int, default=96, help="masks generated from (default 96)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the z vectors and speckle phases (default 0)")
    parser.add_argument("--out", help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    names = args.names or [Path(model).stem for model in args.models]
    if len(names) != len(args.models):
        parser.error(f"--names gives {len(names)} names for {len(args.models)} models")
    missing = [model for model in args.models if not Path(model).is_file()]
    if missing:
        parser.error(f"no such .keras file: {', '.join(missing)}")
    if args.images < 1:
        parser.error(f"--images must be at least 1, got {args.images}")

    from specklegan_tf.data import load_dataset

    data = load_dataset(args.data, image_size=args.image_size, n=args.images, seed=0)
    table = "\n".join(saturation_rows(np.asarray(data.images), np.asarray(data.masks),
                                      dict(zip(names, args.models)), args.seed)) + "\n"
    sys.stdout.write(table)
    if args.out:
        Path(args.out).write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
