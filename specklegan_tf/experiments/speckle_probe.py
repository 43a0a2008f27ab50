"""Probe trained direct-route runs: how their discriminator judges more or less speckle (``speckle_response``).

    python -m specklegan_tf.experiments.speckle_probe RUN_DIR [RUN_DIR ...] [--scales 0 0.5 1 2 4 8]
        [--images train|all] [--trajectory EPOCHS] [--out probe.json]

For every run folder (``fit_gan.py --speckle-route direct`` or ``display``), the generator and discriminator of its newest
checkpoint make the images of the run's own training masks (``--images train``, the images the discriminator saw)
or of all the data set's masks (``--images all``) with the speckle term scaled, and with white noise of the same
strength in its place; the table gives the generator loss (Eq. 7) and the discriminator's mean probability of
"real" per scale, and that of the real images. With ``--trajectory EPOCHS`` the checkpoints the folder keeps
(``fit_gan.py --keep-checkpoints N``) at every EPOCHS-th epoch and the newest are probed, oldest first, and a
trajectory table follows the run's tables: one
row per checkpoint with the epoch, the two terms' strengths, the share of saturated pixels per class and the
generator loss at twice the speckle against twice the noise, which says whether the discriminator of that epoch
would reward or punish more speckle. The JSON file holds the same numbers per run and checkpoint.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from specklegan_tf.core.atomic_files import write_json


def probe_run(run_dir: str | os.PathLike, scales, images: str = "train", seed: int = 0,
              checkpoint: int | None = None) -> dict:
    """:func:`~specklegan_tf.evaluation.speckle_response.speckle_response` of one run folder's newest checkpoint
    (or of checkpoint number ``checkpoint``)."""
    import numpy as np

    from specklegan_tf.data import load_dataset
    from specklegan_tf.data.conversions import to_model_inputs, to_one_hot
    from specklegan_tf.evaluation.speckle_response import speckle_response
    from specklegan_tf.training.trained_gan import load_trained_gan

    gan, prefix = load_trained_gan(run_dir, checkpoint)
    config = gan_config_of(run_dir)
    data = load_dataset(config.data, image_size=config.image_size,
                        n=config.n_train if images == "train" else None, seed=config.data_seed)
    response = speckle_response(gan.generator, gan.discriminator, np.asarray(to_one_hot(data.masks)),
                                real_images=to_model_inputs(np.asarray(data.images))[..., None], scales=scales, seed=seed,
                                batch_size=config.batch_size)
    return {"run": os.fspath(run_dir), "checkpoint": os.fspath(prefix), "images": images,
            "n_images": len(data.masks), **response}


def gan_config_of(run_dir: str | os.PathLike):
    """The configuration a run folder was trained with (its ``config.yaml``)."""
    from specklegan_tf.core.config import read_saved_config
    from specklegan_tf.training.config import GANConfig
    from specklegan_tf.training.run_lifecycle import CONFIG_FILE

    return read_saved_config(GANConfig, Path(run_dir) / CONFIG_FILE)


def format_probe(record: dict) -> str:
    """A run's probe as a small Markdown table: one row per scale."""
    lines = [f"{record['run']} ({record['n_images']} {record['images']} images; speckle term sd "
             f"{record['speckle_std']:.3f}, baseline path sd {record['baseline_std']:.3f} before the tanh, "
             f"{record['saturated_fraction']:.0%} of pixels with |baseline path| > 2; after the tanh the speckle "
             f"changes the image by sd {record['image_change_std']:.3f} (image sd {record['image_std']:.3f}); "
             f"real images: D(real) {record['real_d_prob']:.3f})",
             "| scale | G loss, speckle | G loss, noise | D(real) of speckle images | D(real) of noise images |",
             "|---|---|---|---|---|"]
    for i, scale in enumerate(record["scales"]):
        lines.append(f"| {scale:g} | {record['speckle']['g_loss'][i]:.3f} | {record['noise']['g_loss'][i]:.3f} "
                     f"| {record['speckle']['d_real_prob'][i]:.3f} | {record['noise']['d_real_prob'][i]:.3f} |")
    return "\n".join(lines)


def format_trajectory(records: list[dict]) -> str:
    """One row per probed checkpoint of a run: how the speckle term, the saturation and the verdict on more speckle
    changed over training (``records`` oldest first, each with ``epoch`` and ``step``)."""
    from specklegan_tf import CLASS_NAMES

    doubled = records[0]["scales"].index(2.0) if 2.0 in records[0]["scales"] else len(records[0]["scales"]) - 1
    own = records[0]["scales"].index(1.0) if 1.0 in records[0]["scales"] else 0
    factor = f"{records[0]['scales'][doubled]:g}"
    classes = " / ".join(CLASS_NAMES)
    lines = [f"{records[0]['run']}: trajectory over {len(records)} checkpoints",
             f"| epoch | step | speckle sd | baseline sd | saturated ({classes}) | image change sd ({classes}) "
             f"| G loss: own | x{factor} speckle | x{factor} noise | D(real): real | fake |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for record in records:
        saturated = " / ".join(_percent(record["by_class"][name]["saturated_fraction"]) for name in CLASS_NAMES)
        change = " / ".join(_number(record["by_class"][name]["image_change_std"]) for name in CLASS_NAMES)
        lines.append(f"| {record['epoch']} | {record['step']} | {record['speckle_std']:.3f} | {record['baseline_std']:.2f} "
                     f"| {saturated} | {change} | {record['speckle']['g_loss'][own]:.3f} "
                     f"| {record['speckle']['g_loss'][doubled]:.3f} | {record['noise']['g_loss'][doubled]:.3f} "
                     f"| {record['real_d_prob']:.3f} | {record['speckle']['d_real_prob'][own]:.3f} |")
    return "\n".join(lines)


def _percent(value) -> str:
    return "-" if value is None else f"{value:.0%}"


def _number(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specklegan_tf.experiments.speckle_probe",
                                     description=__doc__.split("\n\n")[-1])
    parser.add_argument("runs", nargs="+", help="run folders of fit_gan.py --speckle-route direct or display")
    parser.add_argument("--scales", type=float, nargs="+", default=[0.0, 0.5, 1.0, 2.0, 4.0, 8.0],
                        help="factors of the speckle term (1: the generator's own images)")
    parser.add_argument("--images", choices=("train", "all"), default="train",
                        help="the run's training masks, or all masks of its data set")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent vectors and the control noise")
    parser.add_argument("--trajectory", type=int, metavar="EPOCHS",
                        help="probe the checkpoints the run folder keeps (fit_gan.py --keep-checkpoints) at every "
                             "EPOCHS-th epoch and the newest, not only the newest, and print the trajectory")
    parser.add_argument("--out", help="JSON file for the numbers")
    args = parser.parse_args(argv)
    if any(scale < 0 for scale in args.scales):
        parser.error(f"--scales must not be negative, got {args.scales}")
    if args.trajectory is not None and args.trajectory < 1:
        parser.error(f"--trajectory must be at least 1 epoch, got {args.trajectory}")
    from specklegan_tf.training.trained_gan import kept_checkpoints

    for run in args.runs:  # all folders are checked before the first (slow) probe
        if not (Path(run) / "config.yaml").is_file():
            parser.error(f"{run} is not a fit_gan.py run folder (no config.yaml)")
    records = []
    for run in args.runs:
        if args.trajectory is None:
            record = probe_run(run, args.scales, args.images, args.seed)
            records.append(record)
            print(format_probe(record), flush=True)
            print()
            continue
        trajectory = []
        kept_list = kept_checkpoints(run)
        chosen = [kept for kept in kept_list[:-1]
                  if kept.step_in_epoch == 0 and kept.epoch % args.trajectory == 0] + kept_list[-1:]
        for kept in chosen:
            record = {**probe_run(run, args.scales, args.images, args.seed, kept.number),
                      "epoch": kept.epoch, "step": kept.step}
            trajectory.append(record)
            print(format_probe(record), flush=True)
            print()
        if not trajectory:
            print(f"speckle_probe: {run} keeps no intact checkpoint", file=sys.stderr)
            return 1
        records += trajectory
        print(format_trajectory(trajectory), flush=True)
        print()
    if args.out:
        write_json(Path(args.out), records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
