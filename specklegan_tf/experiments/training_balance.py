"""How far the discriminator wins over a span of epochs, per run: the screen behind a training-stability choice.

A GAN whose discriminator wins (mean D(fake) near 0, D(real) near 1) gives its generator vanishing gradients; one
that stays balanced keeps both near 0.5. Over the epochs ``first``-``last`` of each run's ``history.jsonl`` (the
per-epoch means of the training logs) this reads the mean D(real) and D(fake), and the last validation at or
before ``last`` (texture FD and KID of images from the training masks), so that a short screen of several
settings (e.g. the first 40 epochs of each) can be compared in one table.

Usage::

    python -m specklegan_tf.experiments.training_balance runs/round55/*/ --first-epoch 31 --last-epoch 40 --out screen.md
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from specklegan_tf.experiments.ablation_report import read_history
from specklegan_tf.experiments.generator_table_cli import write_table


@dataclass(frozen=True)
class Balance:
    """One run's discriminator outputs over an epoch span and its last validation in that span."""

    epochs: int
    d_real: float
    d_fake: float
    validation_epoch: int | None
    texture_fd: float
    kid: float


def training_balance(history: list[dict], first_epoch: int, last_epoch: int) -> Balance:
    """The :class:`Balance` of one run's ``history.jsonl`` records over the epochs ``first_epoch``-``last_epoch``.

    Raises:
        ValueError: if no record falls in the span (the run has not got that far).
    """
    span = [entry for entry in history if first_epoch <= int(entry["epoch"]) <= last_epoch]
    if not span:
        done = max((int(entry["epoch"]) for entry in history), default=0)
        raise ValueError(f"no epoch between {first_epoch} and {last_epoch} (the run has {done} epochs)")
    validated = [entry for entry in history if int(entry["epoch"]) <= last_epoch and "validation" in entry]
    last = validated[-1] if validated else None
    kid = next((value for key, value in last["validation"].items() if key.startswith("kid")), math.nan) if last else math.nan
    return Balance(epochs=len(span),
                   d_real=float(np.mean([entry["train"]["d_real"] for entry in span])),
                   d_fake=float(np.mean([entry["train"]["d_fake"] for entry in span])),
                   validation_epoch=int(last["epoch"]) if last else None,
                   texture_fd=float(last["validation"].get("texture_fd", math.nan)) if last else math.nan,
                   kid=float(kid))


def balance_lines(runs: dict[str, Balance], first_epoch: int, last_epoch: int) -> list[str]:
    """A Markdown table of :func:`training_balance` results, one row per run."""
    lines = [f"Mean discriminator outputs over epochs {first_epoch}-{last_epoch} (D(fake) near 0: the discriminator "
             "wins) and the last validation in that span (images from the training masks):", "",
             "| run | epochs | D(real) | D(fake) | validated at | texture FD | KID |", "|---|---|---|---|---|---|---|"]
    for name, balance in runs.items():
        epoch = "-" if balance.validation_epoch is None else str(balance.validation_epoch)
        lines.append(f"| {name} | {balance.epochs} | {balance.d_real:.2f} | {balance.d_fake:.2f} | {epoch} | "
                     f"{balance.texture_fd:.3f} | {balance.kid:.4f} |")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m specklegan_tf.experiments.training_balance",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="run folders, each with the history.jsonl fit_gan.py wrote")
    parser.add_argument("--first-epoch", type=int, required=True, help="first epoch of the span (1-based)")
    parser.add_argument("--last-epoch", type=int, required=True, help="last epoch of the span")
    parser.add_argument("--out", help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    if not 1 <= args.first_epoch <= args.last_epoch:
        parser.error(f"--first-epoch must be at least 1 and at most --last-epoch, got {args.first_epoch} and "
                     f"{args.last_epoch}")
    missing = [run for run in args.runs if not (Path(run) / "history.jsonl").is_file()]
    if missing:
        parser.error(f"no history.jsonl in: {', '.join(missing)}")
    balances = {}
    for run in args.runs:
        try:
            balances[Path(run).name] = training_balance(read_history(Path(run)), args.first_epoch, args.last_epoch)
        except ValueError as error:
            parser.error(f"{run}: {error}")
    write_table(balance_lines(balances, args.first_epoch, args.last_epoch), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
