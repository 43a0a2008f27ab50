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

import sys

import numpy as np

from specklegan_tf.experiments.generator_table_cli import (generator_table_parser, parse_generator_table_args,
                                                           write_table)


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
    parser = generator_table_parser("display_saturation", __doc__.split("\n")[0], "generators: .keras files")
    args, names = parse_generator_table_args(parser, argv, files_only=True, missing_word=".keras file")

    from specklegan_tf.data import load_dataset

    data = load_dataset(args.data, image_size=args.image_size, n=args.images, seed=0)
    write_table(saturation_rows(np.asarray(data.images), np.asarray(data.masks), dict(zip(names, args.models)),
                                args.seed), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
