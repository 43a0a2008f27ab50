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

import argparse
import sys
from pathlib import Path

import numpy as np

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
    parser = argparse.ArgumentParser(prog="python -m specklegan_tf.experiments.grid_spectrum",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", help="generators: .keras files or SavedModel folders")
    parser.add_argument("--names", nargs="+", help="one name per model (default: the file or folder names)")
    parser.add_argument("--data", default="phantom", help="data set of the masks and real images (default phantom)")
    parser.add_argument("--image-size", type=int, default=128, help="image side in px (default 128)")
    parser.add_argument("--images", type=int, default=96, help="masks generated from (default 96)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the z vectors and speckle phases (default 0)")
    parser.add_argument("--out", help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    names = args.names or [Path(model).stem if Path(model).suffix else Path(model).name for model in args.models]
    if len(names) != len(args.models):
        parser.error(f"--names gives {len(names)} names for {len(args.models)} models")
    missing = [model for model in args.models if not Path(model).exists()]
    if missing:
        parser.error(f"no such model: {', '.join(missing)}")
    if args.images < 1:
        parser.error(f"--images must be at least 1, got {args.images}")

    from specklegan_tf.data import load_dataset
    from specklegan_tf.export import load_generator

    data = load_dataset(args.data, image_size=args.image_size, n=args.images, seed=0)
    seeds = np.random.default_rng(args.seed).integers(0, 2**31 - 1, len(data.masks))
    generated = {name: load_generator(model)(np.asarray(data.masks), seeds)
                 for name, model in zip(names, args.models)}
    table = "\n".join(grid_spectrum_rows(np.asarray(data.images), generated, masks=np.asarray(data.masks))) + "\n"
    sys.stdout.write(table)
    if args.out:
        Path(args.out).write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
