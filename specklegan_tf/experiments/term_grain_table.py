"""Which term sets the generated images' grain, for several runs, on the real masks beside the real images.

    python -m specklegan_tf.experiments.term_grain_table NAME=GENERATOR.keras ... [--data phantom]
        [--image-size 128] [--images 200] [--seed 0] --out term_grain.md

For each generator built with the direct or display speckle route, the intima/media and background grain
(autocorrelation widths, as the evaluation measures them) and local contrast (std about the 49 px local mean) of its
image, of its baseline path alone and of its speckle term alone
(:func:`~specklegan_tf.evaluation.term_grain.term_grain`); for any other generator (the baseline) the image's. A
second table gives the same images' tissue grain near the catheter and far from it
(:func:`~specklegan_tf.metrics.depth_grain.grain_by_depth`), and a third each direct-route generator's speckle
term split into the part its phases draw and the echo texture it carries
(:func:`~specklegan_tf.evaluation.speckle_parts.speckle_term_parts`), beside the phantom's own speckle. All from
the first ``--images`` real masks, with the real images' own figures as the first row.
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
    """The Markdown tables: the tissue grain and local contrast, and the tissue grain by depth
    (:func:`~specklegan_tf.metrics.depth_grain.grain_by_depth`), real images first, then per model its image and,
    for a direct-route generator, its baseline path and speckle term; with such a generator a third, its speckle
    term's speckle and echo parts (:func:`_parts_lines`)."""
    import keras

    import specklegan_tf.models  # noqa: F401  (registers the generators' layers for loading)
    from specklegan_tf.data import load_dataset, to_model_inputs
    from specklegan_tf.evaluation.term_grain import grain_and_contrast
    from specklegan_tf.metrics.depth_grain import DEPTH_BAND_EDGES

    real = load_dataset(data, image_size=image_size)
    masks = real.masks[:images]
    generators = {name: keras.saving.load_model(path, compile=False) for name, path in models.items()}
    measured = [("real", "", to_model_inputs(real.images[:images]))]
    for name, generator in generators.items():
        measured += [(name, title, generated) for title, generated in _generated_terms(generator, masks, seed)]
    grain_rows = [[name, title, *_cells(grain_and_contrast(generated, masks))] for name, title, generated in measured]
    depth_rows = [[name, title, *_depth_cells(generated, masks)] for name, title, generated in measured]
    near, far = (f"{a * image_size / 2:g}-{b * image_size / 2:g} px" for a, b in
                 zip(DEPTH_BAND_EDGES, DEPTH_BAND_EDGES[1:]))
    return [*_markdown(["model", "term", "IM local std", "IM grain ax / lat px", "bg grain ax / lat px",
                        "bg local std"], grain_rows), "",
            f"The first {len(masks)} masks of the {data} data at {image_size} px (latent seed {seed}); grain: "
            "autocorrelation FWHM as in the evaluation (speckle_statistics); local std: about the 49 px local mean "
            "within the class, gray scale [-1, 1]. Baseline path alone: the image with the speckle term at zero; "
            "speckle term alone: on mid-gray.", "",
            *_markdown(["model", "term", f"tissue grain ax / lat px, radius {near}", f"radius {far}",
                        "lateral far / near"], depth_rows), "",
            "Tissue grain by depth (grain_by_depth): intima/media and background pooled, each about its own 49 px "
            "local mean, in two bands of the radius from the image centre (the catheter). A fixed-angle polar "
            "window's grain widens in pixels in proportion to the radius; a real IVUS beam's much less.",
            *_parts_lines(generators, data, real, masks, seed)]


def _parts_lines(generators: dict, data: str, real, masks, seed: int) -> list[str]:
    """The third table: each direct-route generator's speckle term split into its speckle and echo parts
    (:func:`~specklegan_tf.evaluation.speckle_parts.speckle_term_parts`), after the phantom's own speckle (a real
    frame minus its speckle-free frame) when the data are the phantom; empty without such a generator."""
    from specklegan_tf.data import to_model_inputs
    from specklegan_tf.evaluation.speckle_parts import speckle_term_parts
    from specklegan_tf.evaluation.speckle_share import SPECKLE_TERM
    from specklegan_tf.evaluation.term_grain import grain_and_contrast

    rows = []
    for name, generator in generators.items():
        if SPECKLE_TERM not in {layer.name for layer in generator.layers}:
            continue
        parts = speckle_term_parts(generator, masks, seed=seed)
        rows += [[name, title, *_cells(grain_and_contrast(_centred(parts[key]), masks))]
                 for key, title in (("speckle_part", "speckle part"), ("echo_part", "echo part"))]
    if not rows:
        return []
    if data == "phantom":
        from specklegan_tf.data.phantom_speckle_free import speckle_free_ivus

        levels, _ = speckle_free_ivus(len(masks), masks.shape[-1])
        speckle = to_model_inputs(real.images[:len(masks)]) - to_model_inputs(levels)
        rows.insert(0, ["phantom", "own speckle (frame minus speckle-free frame)",
                        *_cells(grain_and_contrast(_centred(speckle), masks))])
    return ["", *_markdown(["model", "part of the speckle term", "IM local std", "IM grain ax / lat px",
                            "bg grain ax / lat px", "bg local std"], rows), "",
            "The speckle term's speckle part (what the phases change: one draw minus the mean of 8 phase draws) and "
            "echo part (that mean), each about its mean, measured like the first table."]


def _centred(images):
    """Float images moved to a zero mean, so that the uint8 conversion of the grain measurement does not clip them."""
    import numpy as np

    return np.clip(images - images.mean(), -1.0, 1.0)


def _generated_terms(generator, masks, seed: int) -> list[tuple[str, object]]:
    """``[(title, float images (N, H, W) in [-1, 1])]`` of one generator: its images and, for a direct-route
    generator, its baseline path alone and its speckle term alone."""
    import keras

    from specklegan_tf.data import to_one_hot
    from specklegan_tf.evaluation.speckle_share import SPECKLE_TERM
    from specklegan_tf.evaluation.term_grain import term_images
    from specklegan_tf.export.generator import latent_from_seeds
    from specklegan_tf.export.synthesis import draw_seeds

    if SPECKLE_TERM in {layer.name for layer in generator.layers}:
        terms = term_images(generator, masks, seed=seed)
        return [("image", terms["image"]), ("baseline path alone", terms["baseline_path"]),
                ("speckle term alone", terms["speckle_term"])]
    latent = keras.ops.convert_to_numpy(
        latent_from_seeds(draw_seeds(len(masks), seed), int(generator.inputs[1].shape[-1])))
    generated = keras.ops.convert_to_numpy(generator.predict([to_one_hot(masks), latent], batch_size=16,
                                                             verbose=0))[..., 0]
    return [("image", generated)]


def _depth_cells(images, masks) -> list[str]:
    """The near and far bands' axial / lateral grain and the lateral grain's far / near ratio."""
    from specklegan_tf.data.conversions import to_uint8
    from specklegan_tf.metrics.depth_grain import grain_by_depth

    near, far = grain_by_depth(to_uint8(images), masks)
    return [f"{near['axial_grain_px']:.2f} / {near['lateral_grain_px']:.2f}",
            f"{far['axial_grain_px']:.2f} / {far['lateral_grain_px']:.2f}",
            f"{far['lateral_grain_px'] / near['lateral_grain_px']:.2f}"]


def _markdown(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]


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
