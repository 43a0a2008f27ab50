"""Data-layer throughput: the IVUS phantom and the tf.data pipeline, against the issue's targets.

Prints, measured in one run:
- phantom frames per second at 256x256 (``simulate_ivus``, one process) vs. the target of 50/s;
- pipeline images per second at batch 16 with rotation/flip augmentation vs. the target of 500/s, next to the
  same pipeline without augmentation (the ratio shows what the augmentation costs);
- the machine's core count and load average before and after, since other jobs share the cores; and for each
  figure the rate per CPU-second of this process, which does not depend on that load (the phantom runs in one
  thread, so on an idle core its wall rate equals its CPU rate).

Usage::

    python benchmarks/data.py [--frames 60] [--batches 60]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


class _Clock:
    """Wall time and this process's CPU time (all threads) of a block: on a shared machine the CPU rate shows
    what the code does per core-second, independently of how many other jobs compete for the cores."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def bench_phantom(frames: int, image_size: int = 256) -> tuple[float, float]:
    """(frames per wall second, frames per CPU second)."""
    from specklegan_tf.data import simulate_ivus

    simulate_ivus(2, image_size=image_size, seed=99)  # warm the grid and scan-conversion caches
    with _Clock() as clock:
        simulate_ivus(frames, image_size=image_size, seed=0)
    return _rate(frames, clock.wall), _rate(frames, clock.cpu)


def bench_pipeline(batches: int, augment: bool, images: np.ndarray, masks: np.ndarray,
                   batch_size: int = 16) -> tuple[float, float]:
    """(images per wall second, images per CPU second)."""
    from specklegan_tf.data import make_dataset

    iterator = iter(make_dataset(images, masks, batch_size=batch_size, augment=augment, seed=0, repeat=True))
    for _ in range(5):  # warm-up: tracing, autotuning, prefetch buffers
        next(iterator)
    with _Clock() as clock:
        for _ in range(batches):
            next(iterator)
    return _rate(batches * batch_size, clock.wall), _rate(batches * batch_size, clock.cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=60, help="phantom frames to time (default 60)")
    parser.add_argument("--batches", type=int, default=60, help="pipeline batches of 16 to time (default 60)")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    load_before = os.getloadavg()
    phantom = bench_phantom(args.frames)

    from specklegan_tf.data import simulate_ivus

    images, masks = simulate_ivus(64, image_size=256, seed=1)
    plain = bench_pipeline(args.batches, False, images, masks)
    augmented = bench_pipeline(args.batches, True, images, masks)
    load_after = os.getloadavg()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average (1 min) {load_before[0]:.1f} before / {load_after[0]:.1f} after")
    print(f"{'measure':<46}{'per wall s':>11}{'per CPU s':>11}{'target':>8}{'wall/target':>12}")
    rows = [("phantom frames at 256x256 (1 process)", phantom, 50.0),
            ("pipeline images, batch 16, augmented", augmented, 500.0),
            ("pipeline images, batch 16, no augmentation", plain, None)]
    for name, (wall, cpu), target in rows:
        target_text = f"{target:>8.0f}{wall / target:>12.2f}" if target else f"{'-':>8}{'-':>12}"
        print(f"{name:<46}{wall:>11.1f}{cpu:>11.1f}{target_text}")
    print(f"augmentation cost: augmented / plain wall throughput = {augmented[0] / plain[0]:.2f}")


if __name__ == "__main__":
    main()
