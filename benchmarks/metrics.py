"""Benchmark of the evaluation toolkit (issue 4): texture features + distances on 1000 images at 256 x 256,
InceptionFeatures with random weights, and a full evaluation report, measured in one run.

Usage:
    python benchmarks/metrics.py                       # 1000 images, 256 px, Inception on 64 images
    python benchmarks/metrics.py --n 200 --inception-images 16 --no-report   # a quick look

Images come from the IVUS phantom (``specklegan_tf.data.simulate_ivus``); simulating them is not timed.
InceptionFeatures runs on ``--inception-images`` images and its rate is extrapolated to ``--n`` (printed as
such). The machine is shared: the load average before and after is printed; compare the ratios.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def _simulate(n: int, size: int, seed: int):
    from specklegan_tf.data import simulate_ivus

    return simulate_ivus(n, image_size=size, seed=seed)


def _timed(function, *args, **kwargs):
    """Result, wall-clock seconds and process CPU seconds (all threads) of one call. CPU time is the
    steadier figure on a machine shared with other jobs."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="generated images (default 1000, as in the paper)")
    parser.add_argument("--n-real", type=int, default=435, help="real images (default 435, the paper's set)")
    parser.add_argument("--size", type=int, default=256, help="image size in pixels")
    parser.add_argument("--inception-images", type=int, default=64, help="images timed through InceptionV3")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--no-report", action="store_true", help="skip the full evaluation_report timing")
    args = parser.parse_args()

    from specklegan_tf.metrics import TextureFeatures, evaluation_report, fid, kid, speckle_statistics

    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    (fake, fake_masks), simulate_wall, _ = _timed(_simulate, args.n, args.size, 1)
    real, real_masks = _simulate(args.n_real, args.size, 0)
    print(f"phantom: {args.n} + {args.n_real} images at {args.size} px ({simulate_wall:.1f} s, not counted)")

    rows = []
    texture = TextureFeatures(batch_size=args.batch_size)
    fake_features, *t_fake = _timed(texture, fake)
    rows.append((f"TextureFeatures, {args.n} images", *t_fake))
    real_features, *t_real = _timed(texture, real)
    rows.append((f"TextureFeatures, {args.n_real} real images", *t_real))
    fd, *t_fd = _timed(fid, real_features=real_features, fake_features=fake_features)
    rows.append(("texture Fréchet distance", *t_fd))
    (kid_mean, kid_std), *t_kid = _timed(kid, real_features=real_features, fake_features=fake_features,
                                         subsets=100, subset_size=1000)
    rows.append((f"KID on texture features (100 subsets of {min(1000, args.n, args.n_real)})", *t_kid))
    _, *t_speckle = _timed(speckle_statistics, fake, fake_masks, batch_size=args.batch_size)
    rows.append((f"speckle_statistics, {args.n} images", *t_speckle))
    print(f"texture FD = {fd:.4f}, KID = {kid_mean:.5f} ± {kid_std:.5f} (phantom seed 1 vs seed 0)")

    import keras  # noqa: F401  (TensorFlow start-up is not part of the rate)
    from specklegan_tf.metrics import InceptionFeatures

    inception, *t_build = _timed(InceptionFeatures, weights=None, batch_size=min(args.batch_size, 16))
    rows.append(("InceptionFeatures(weights=None) model build", *t_build))
    inception(fake[:2])  # trace the tf.function once
    _, *t_inception = _timed(inception, fake[:args.inception_images])
    rows.append((f"InceptionFeatures, {args.inception_images} images (measured)", *t_inception))
    scale = args.n / args.inception_images
    rows.append((f"InceptionFeatures, {args.n} images (extrapolated x{scale:.1f})",
                 t_inception[0] * scale, t_inception[1] * scale))

    if not args.no_report:
        _, *t_report = _timed(evaluation_report, real, real_masks, fake, fake_masks)
        rows.append((f"evaluation_report (texture only), {args.n_real} real vs {args.n} generated", *t_report))

    width = max(len(row[0]) for row in rows)
    print(f"\n{'step':<{width}}  wall s   CPU s")
    for name, wall, cpu in rows:
        print(f"{name:<{width}}  {wall:7.1f}  {cpu:7.1f}")
    texture_wall = t_fake[0] + t_fd[0] + t_kid[0]
    texture_cpu = t_fake[1] + t_fd[1] + t_kid[1]
    print(f"\nTextureFeatures + texture FD + KID for {args.n} images: {texture_wall:.1f} s wall, "
          f"{texture_cpu:.1f} s CPU ({1000 * t_fake[0] / args.n:.1f} ms wall per image; budget 300 s)")
    per_image = t_inception[0] / args.inception_images
    print(f"InceptionFeatures (random weights, 299 px): {1000 * per_image:.0f} ms wall per image, "
          f"{1 / per_image:.2f} images/s")
    print(f"ratio Inception / texture features per image: {per_image / (t_fake[0] / args.n):.1f}x wall, "
          f"{(t_inception[1] / args.inception_images) / (t_fake[1] / args.n):.1f}x CPU")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
