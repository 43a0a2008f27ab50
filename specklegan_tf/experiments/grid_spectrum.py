"""Is a generator's texture aligned with the image axes, and as strong as the data's? The ``axis_power_ratio`` and
the tissue contrast of its images and of the real ones.

    python -m specklegan_tf.experiments.grid_spectrum MODEL [MODEL ...] [--names NAME ...] [--data phantom]
        [--image-size 128] [--images 96] [--seed 0] [--out grid_spectrum.md]

Every MODEL (a ``.keras`` file or SavedModel folder, :func:`~specklegan_tf.export.load_generator`) generates one
image for each of the first ``--images`` masks of the data set (z and speckle phases from ``--seed``); the table
gives, per period of 2, 4, 8 and 16 px, the power on the frequency axes over that of the other frequencies of the
same radius (:func:`~specklegan_tf.metrics.grid_artefact.axis_power_ratio`), for the real images of the same masks
first, and last the tissue contrast (local standard deviation in the intima/media and background). A generator
whose ratios are well above the real row draws lines along the image axes (the "grid").
"""
from __future__ import annotations

import sys

import numpy as np

from specklegan_tf.experiments.generator_table_cli import (generator_table_parser, parse_generator_table_args,
                                                           write_table)
from specklegan_tf.metrics.grid_artefact import DEFAULT_PERIODS, axis_power_ratio


def grid_spectrum_rows(real_images, generated: dict[str, np.ndarray], periods=DEFAULT_PERIODS,
                       masks=None) -> list[str]:
    """Markdown table lines: one row for ``real_images`` and one per entry of ``generated`` (name -> images, float
    in [-1, 1] or uint8). With the label maps ``masks`` of the images a last column gives each set's tissue
    contrast (:func:`~specklegan_tf.evaluation.term_grain.tissue_contrast`: the local standard deviation in the
    intima/media and background, gray scale [-1, 1]): speckle turned down, or drawn too strong, shows there."""
    from specklegan_tf.data import to_model_inputs
    from specklegan_tf.evaluation.term_grain import tissue_contrast

    header = "| images | " + " | ".join(f"{p} px" for p in periods) + " |"
    lines = [header + (" tissue contrast |" if masks is not None else ""),
             "|---|" + "---|" * (len(periods) + (masks is not None))]
    for name, images in {"real": real_images, **generated}.items():
        ratios = axis_power_ratio(images, periods)
        row = f"| {name} | " + " | ".join(f"{ratios[p]:.2f}" for p in periods) + " |"
        if masks is not None:
            images = np.squeeze(np.asarray(images), -1) if np.ndim(images) == 4 else np.asarray(images)
            scaled = to_model_inputs(images) if images.dtype == np.uint8 else images.astype(np.float32)
            row += f" {tissue_contrast(scaled, masks):.3f} |"
        lines.append(row)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = generator_table_parser("grid_spectrum", __doc__.split("\n")[0],
                                    "generators: .keras files or SavedModel folders")
    args, names = parse_generator_table_args(parser, argv)

    from specklegan_tf.data import load_dataset
    from specklegan_tf.export import load_generator

    data = load_dataset(args.data, image_size=args.image_size, n=args.images, seed=0)
    seeds = np.random.default_rng(args.seed).integers(0, 2**31 - 1, len(data.masks))
    generated = {name: load_generator(model)(np.asarray(data.masks), seeds)
                 for name, model in zip(names, args.models)}
    write_table(grid_spectrum_rows(np.asarray(data.images), generated, masks=np.asarray(data.masks)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
