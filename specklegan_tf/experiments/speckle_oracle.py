"""Speckle oracle: how realistic is the speckle layer's speckle, apart from any GAN training?

    python -m specklegan_tf.experiments.speckle_oracle [--image-size 128] [--n 435] [--windows data 38,34 ...]
        [--profiles rect gaussian] [--grids polar cartesian] [--gains 1] [--out DIR]

A SpeckleGAN generator is asked to draw a vessel's echo and let the speckle layer add the speckle. This experiment
gives the layer the best possible echo, the phantom's own speckle-free frame
(:func:`~specklegan_tf.data.phantom_speckle_free.speckle_free_ivus`), adds the layer's log-compressed speckle to it
(the ``display`` route's additive log speckle, at the phantom's display scale times ``gain``) and evaluates the
result against the real frames with the package's metrics. Controls on the same echo maps: no speckle, white noise
as strong as the phantom's speckle, and the phantom's own speckle (a uniform phantom's, other scatterers); and the
floor: real frames of another phantom seed. If the layer's arms come close to the phantom's own speckle, its speckle
is not what holds SpeckleGAN back; if not, the table says which windows, profile and grid come closest.

Writes ``oracle.md`` (one row per arm: texture FD, KID, SSIM, the tissue grain sizes), ``oracle.csv`` (every metric
of every arm) and ``oracle.png`` (a sample grid) to ``--out``.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

# Log compression of the phantom: a neper of envelope amplitude is 20 / ln 10 = 8.686 dB.
DB_PER_NEPER = 20.0 / math.log(10.0)
GRIDS = ("polar", "cartesian")
PROFILES = ("rect", "gaussian")
_LAYER_BATCH = 16


def gray_per_neper(dynamic_range_db: float) -> float:
    """Gray levels (of 255) per neper of envelope amplitude on a display spanning ``dynamic_range_db``."""
    return 255.0 / (dynamic_range_db / DB_PER_NEPER)


def layer_log_speckle(n: int, image_size: int, windows, window_profile: str = "rect", polar: bool = True,
                      seed: int = 0) -> np.ndarray:
    """Zero-mean log-compressed speckle of a ``SpeckleLayer`` with one window, in nepers, float32 ``(n, S, S)``.

    The layer (``input_domain="log"``, ``compression="log"``, no channel attention) is applied to a constant map,
    so its output is ``log`` of the speckle's Rayleigh factor: the term the ``display`` route adds to an image.

    Args:
        windows: the window's edge lengths in bins of an ``image_size`` image, a number (square window) or a pair
            (rows, columns: radial and angular in polar mode).
    """
    from specklegan_tf.layers import SpeckleLayer

    pair = tuple(float(w) for w in np.broadcast_to(np.asarray(windows, np.float64), (2,)))
    layer = SpeckleLayer(num_sizes=1, attention=False, polar=polar, window_shape="rectangular",
                         window_profile=window_profile, initial_window_sizes=[pair], reference_size=image_size,
                         window_init=(28.0 * image_size / 256.0, 48.0 * image_size / 256.0), input_domain="log", compression="log", seed=seed)
    constant = np.zeros((_LAYER_BATCH, image_size, image_size, 1), np.float32)
    batches = [np.asarray(layer(constant))[..., 0] for _ in range(math.ceil(n / _LAYER_BATCH))]
    speckle = np.concatenate(batches)[:n]
    return (speckle - speckle.mean()).astype(np.float32)


def speckled_frames(levels: np.ndarray, scanned: np.ndarray, speckle_gray: np.ndarray | None,
                    offset: float) -> np.ndarray:
    """uint8 frames: speckle-free ``levels`` shifted by ``offset``, plus ``speckle_gray``, clipped to the gray scale,
    black outside the scanned disc (as the phantom's frames)."""
    frames = levels + np.float32(offset)
    if speckle_gray is not None:
        frames = frames + speckle_gray
    frames = np.clip(np.rint(frames), 0, 255)
    frames[~scanned] = 0
    return frames.astype(np.uint8)


def fitted_offset(images: np.ndarray, levels: np.ndarray, scanned: np.ndarray) -> float:
    """Mean of ``image - level`` over tissue pixels neither black nor white: the speckle's mean log level below the
    root-mean-square echo (a constant of the phantom, about -1 dB) that zero-mean speckle must be given back."""
    images = np.asarray(images, np.float32)
    usable = scanned & (levels > 20) & (levels < 235) & (images > 5) & (images < 250)
    if not usable.any():
        raise ValueError("no pixel with an echo between black and white: cannot fit the speckle's offset")
    return float(np.mean(images[usable] - levels[usable]))


def parse_windows(token: str):
    """``"data"``, ``"paper"`` or ``"R,C"`` / ``"D"`` (bins of the image size), else ``ValueError`` naming it."""
    if token in ("data", "paper"):
        return token
    try:
        values = tuple(float(v) for v in token.split(","))
    except ValueError:
        values = ()
    if len(values) not in (1, 2) or not all(math.isfinite(v) and v >= 1 for v in values):
        raise ValueError(f"--windows: {token!r} is not 'data', 'paper', 'D' or 'R,C' with edge lengths >= 1 bin")
    return values if len(values) == 2 else (values[0], values[0])


def resolve_windows(token, image_size: int, images: np.ndarray, masks: np.ndarray, polar: bool, profile: str):
    """The (rows, columns) edge lengths a ``--windows`` token means for this grid and profile: ``paper`` is the
    centre of the paper's 28-48 bins at 256 px, ``data`` the centre window ``fit_gan.py --speckle-init data`` gives
    (the grain of the images' speckle, measured with the short local-mean box of
    :func:`~specklegan_tf.layers.speckle_detrend_px` on the images and the layer's calibration curve alike)."""
    if token == "paper":
        centre = math.sqrt(28.0 * 48.0) * image_size / 256.0
        return (centre, centre)
    if token == "data":
        from specklegan_tf.layers import window_sizes_for_grain
        from specklegan_tf.layers.speckle_calibration import images_speckle_grain

        axial, lateral, detrend = images_speckle_grain(images, masks)
        return tuple(window_sizes_for_grain(axial, lateral, image_size, polar, "rectangular", num_sizes=1,
                                            window_profile=profile, detrend_px=detrend)[0])
    return token


def oracle_arms(image_size: int, n: int, windows, profiles, grids, gains, seed: int = 0,
                data_seed: int = 0) -> tuple[dict, np.ndarray, np.ndarray, dict]:
    """The oracle's image sets.

    Returns:
        ``(arms, real_images, real_masks, layer_windows)``: ``arms`` maps a name to ``(uint8 images, masks)`` in
        table order (the floor, the controls, then one arm per window, profile, grid and gain);
        ``layer_windows`` maps each layer arm to the (rows, columns) edge lengths it used.
    """
    from specklegan_tf.data import PhantomParams, simulate_ivus
    from specklegan_tf.data.phantom_speckle_free import speckle_free_ivus

    images, masks = simulate_ivus(n, image_size, seed=data_seed)
    levels, scanned = speckle_free_ivus(n, image_size, seed=data_seed)
    offset = fitted_offset(images, levels, scanned)
    scale = gray_per_neper(PhantomParams().dynamic_range_db)
    # Controls. The phantom's own speckle: a uniform tissue of another seed minus its own speckle-free level
    # (which falls with depth: attenuation beyond the TGC), so that only the speckle is carried over.
    uniform_seed = data_seed + 1000
    uniform, _ = simulate_ivus(n, image_size, seed=uniform_seed, uniform=True)
    uniform_levels, uniform_scanned = speckle_free_ivus(n, image_size, seed=uniform_seed, uniform=True)
    inside = uniform_scanned & (uniform > 0) & (uniform < 255) & (uniform_levels > 0)
    own = uniform.astype(np.float32) - uniform_levels - fitted_offset(uniform, uniform_levels, uniform_scanned)
    own[~inside] = 0.0
    other_images, other_masks = simulate_ivus(n, image_size, seed=data_seed + 1)
    rng = np.random.default_rng(seed)
    arms = {
        "real frames of another phantom seed (floor)": (other_images, other_masks),
        "speckle-free echo": (speckled_frames(levels, scanned, None, offset), masks),
        "echo + white noise of the phantom speckle's sd": (
            speckled_frames(levels, scanned, float(own[inside].std()) * rng.standard_normal(levels.shape,
                                                                                              np.float32), offset),
            masks),
        "echo + the phantom's own speckle": (speckled_frames(levels, scanned, own, offset), masks),
    }
    layer_windows = {}
    for token in windows:
        for profile in profiles:
            for grid in grids:
                pair = resolve_windows(token, image_size, images, masks, grid == "polar", profile)
                speckle = layer_log_speckle(n, image_size, pair, profile, grid == "polar", seed) * scale
                for gain in gains:
                    name = (f"layer {grid} {profile} {pair[0]:.1f}x{pair[1]:.1f}"
                            + (f" ({token})" if isinstance(token, str) else "") + f" gain {gain:g}")
                    arms[name] = (speckled_frames(levels, scanned, gain * speckle, offset), masks)
                    layer_windows[name] = pair
    return arms, images, masks, layer_windows


def oracle_table(comparison) -> str:
    """Markdown: one row per arm with texture FD, KID, SSIM and the tissue grain (intima/media, background)."""
    lines = ["| arm | texture FD | KID | SSIM | intima/media grain ax / lat px | background grain ax / lat px |",
             "|---|---|---|---|---|---|"]
    first = next(iter(comparison.reports.values()))
    real = first.speckle_real
    grain = lambda s, c: f"{s[c]['axial_grain_px']:.2f} / {s[c]['lateral_grain_px']:.2f}"  # noqa: E731
    lines.append(f"| real frames (the reference) | 0 | 0 | 1 | {grain(real, 'intima_media')} | "
                 f"{grain(real, 'background')} |")
    for name, report in comparison.reports.items():
        ssim = "n/a" if report.ssim_mean is None else f"{report.ssim_mean:.3f}"
        lines.append(f"| {name} | {report.texture_fd:.3f} | {report.kid_mean:.4f} | {ssim} | "
                     f"{grain(report.speckle_fake, 'intima_media')} | {grain(report.speckle_fake, 'background')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specklegan_tf.experiments.speckle_oracle",
                                     description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image-size", type=int, default=128, help="image size, a power of two from 32 (128)")
    parser.add_argument("--n", type=int, default=435, help="phantom frames (435)")
    parser.add_argument("--windows", nargs="+", default=["data", "paper", "38,34"],
                        help="window edge lengths in bins: 'data', 'paper', 'D' or 'R,C' (data paper 38,34)")
    parser.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=PROFILES)
    parser.add_argument("--grids", nargs="+", default=list(GRIDS), choices=GRIDS)
    parser.add_argument("--gains", nargs="+", type=float, default=[1.0],
                        help="speckle strength relative to the phantom's display scale (1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the layer's phases and the white noise (0)")
    parser.add_argument("--out", default="speckle_oracle", help="output folder (speckle_oracle)")
    args = parser.parse_args(argv)
    # Everything is checked before the (slow) simulation starts.
    if args.image_size < 32 or args.image_size & (args.image_size - 1):
        parser.error(f"--image-size must be a power of two of at least 32, got {args.image_size}")
    if args.n < 2:
        parser.error(f"--n must be at least 2, got {args.n}")
    if any(not (math.isfinite(g) and g >= 0) for g in args.gains):
        parser.error(f"--gains must be non-negative numbers, got {args.gains}")
    try:
        windows = [parse_windows(token) for token in args.windows]
    except ValueError as error:
        parser.error(str(error))

    from specklegan_tf.core.atomic_files import write_text
    from specklegan_tf.evaluation.grid import sample_grid
    from specklegan_tf.metrics.report import compare_models

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    arms, images, masks, _ = oracle_arms(args.image_size, args.n, windows, args.profiles, args.grids, args.gains,
                                         args.seed)
    comparison = compare_models(images, masks, arms, kid_subsets=50, kid_subset_size=args.n, seed=args.seed)
    comparison.to_csv(out / "oracle.csv")
    table = oracle_table(comparison)
    write_text(out / "oracle.md", f"# Speckle oracle, {args.n} phantom frames at {args.image_size} px\n\n{table}\n")
    columns = min(4, args.n)
    sample_grid(out / "oracle.png", masks[:columns], {name: pair[0][:columns] for name, pair in arms.items()},
                real_images=images[:columns])
    print(table)
    print(f"\nwritten: {out / 'oracle.md'}, {out / 'oracle.csv'}, {out / 'oracle.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
