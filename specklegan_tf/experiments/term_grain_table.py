"""Which term sets the generated images' grain, for several runs, on the real masks beside the real images.

    python -m specklegan_tf.experiments.term_grain_table NAME=GENERATOR.keras ... [--data phantom]
        [--image-size 128] [--images 200] [--seed 0] --out term_grain.md

For each generator built with the direct or display speckle route, the intima/media and background grain
(autocorrelation widths, as the evaluation measures them) and local contrast (std about the 49 px local mean) of its
image, of its baseline path alone and of its speckle term alone
(:func:`~specklegan_tf.evaluation.term_grain.term_grain`); for any other generator (the baseline) the image's. All
from the first ``--images`` real masks, with the real images' own figures as the first row.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

TISSUE = ("intima_media", "background")


def _cells(stats: dict) -> list[str]:
    """Local std and grain of both tissue classes: the four cells of one term."""
    return [f"{stats['intima_media']['local_std']:.3f}",
            *(f"{stats[c]['axial_grain_px']:.2f} / {stats[c]['lateral_grain_px']:.2f}" for c in TISSUE),
            f"{stats['background']['local_std']:.3f}"]


def table_lines(models: dict[str, str], data: str = "phantom", image_size: int = 128, images: int = 200,
                seed: int = 0) -> list[str]:
    """The Markdown table: real images first, then per model its image and, for a direct-route generator, its
    baseline path and speckle term."""
    import keras

    import specklegan_tf.models  # noqa: F401  (registers the generators' layers for loading)
    from specklegan_tf.data import load_dataset, to_model_inputs, to_one_hot
    from specklegan_tf.evaluation.speckle_share import SPECKLE_TERM
    from specklegan_tf.evaluation.term_grain import grain_and_contrast, term_grain
    from specklegan_tf.export.generator import latent_from_seeds
    from specklegan_tf.export.synthesis import draw_seeds

    real = load_dataset(data, image_size=image_size)
    masks, real_images = real.masks[:images], real.images[:images]
    rows = [["real", "", *_cells(grain_and_contrast(to_model_inputs(real_images), masks))]]
    for name, path in models.items():
        generator = keras.saving.load_model(path, compile=False)
        if SPECKLE_TERM in {layer.name for layer in generator.layers}:
            result = term_grain(generator, masks, seed=seed)
            rows += [[name, title, *_cells(result[term])] for term, title in
                     (("image", "image"), ("baseline_path", "baseline path alone"),
                      ("speckle_term", "speckle term alone"))]
            continue
        latent = keras.ops.convert_to_numpy(
            latent_from_seeds(draw_seeds(len(masks), seed), int(generator.inputs[1].shape[-1])))
        generated = keras.ops.convert_to_numpy(generator.predict([to_one_hot(masks), latent], batch_size=16,
                                                                 verbose=0))[..., 0]
        rows.append([name, "image", *_cells(grain_and_contrast(generated, masks))])
    header = ["model", "term", "IM local std", "IM grain ax / lat px", "bg grain ax / lat px", "bg local std"]
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(row) + " |" for row in rows), "",
            f"The first {len(masks)} masks of the {data} data at {image_size} px (latent seed {seed}); grain: "
            "autocorrelation FWHM as in the evaluation (speckle_statistics); local std: about the 49 px local mean "
            "within the class, gray scale [-1, 1]. Baseline path alone: the image with the speckle term at zero; "
            "speckle term alone: on mid-gray."]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specklegan_tf.experiments.term_grain_table",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", metavar="NAME=GENERATOR.keras", help="generators to measure")
    parser.add_argument("--data", default="phantom", help="data set of the masks and real images (default phantom)")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--images", type=int, default=200, help="how many of the data's masks (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent vectors")
    parser.add_argument("--out", required=True, help="Markdown file to write")
    args = parser.parse_args(argv)
    models = {}
    for item in args.models:
        name, _, path = item.rpartition("=")
        if not name or not Path(path).is_file():
            parser.error(f"each model is NAME=GENERATOR.keras with an existing file; got {item!r}")
        models[name] = path
    if args.images < 1:
        parser.error(f"--images must be at least 1, got {args.images}")
    from specklegan_tf.core.atomic_files import write_text

    text = "\n".join(table_lines(models, args.data, args.image_size, args.images, args.seed)) + "\n"
    write_text(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
