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
    try:
        from specklegan_tf.data import simulate_ivus
    except ImportError:
        from specklegan_tf.data.phantom import simulate_ivus
    return simulate_ivus(n, image_size=size, seed=seed)


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


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

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    (fake, fake_masks), simulate_time = _timed(_simulate, args.n, args.size, 1)
    real, real_masks = _simulate(args.n_real, args.size, 0)
    print(f"phantom: {args.n} + {args.n_real} images at {args.size} px simulated in {simulate_time:.1f} s "
          "(not counted)")

    texture = TextureFeatures(batch_size=args.batch_size)
    fake_features, t_fake = _timed(texture, fake)
    real_features, t_real = _timed(texture, real)
    fd, t_fd = _timed(fid, real_features=real_features, fake_features=fake_features)
    (kid_mean, kid_std), t_kid = _timed(kid, real_features=real_features, fake_features=fake_features,
                                        subsets=100, subset_size=1000)
    _, t_speckle = _timed(speckle_statistics, fake, fake_masks, batch_size=args.batch_size)
    rows = [
        (f"TextureFeatures, {args.n} images", t_fake),
        (f"TextureFeatures, {args.n_real} real images", t_real),
        ("texture Fréchet distance", t_fd),
        (f"KID on texture features (100 subsets of {min(1000, args.n, args.n_real)})", t_kid),
        (f"speckle_statistics, {args.n} images", t_speckle),
    ]
    texture_total = t_fake + t_fd + t_kid
    print(f"texture FD = {fd:.4f}, KID = {kid_mean:.5f} ± {kid_std:.5f} (phantom seed 1 vs seed 0)")

    import keras  # noqa: F401  (TensorFlow start-up is not part of the rate)
    from specklegan_tf.metrics import InceptionFeatures

    inception, t_build = _timed(InceptionFeatures, weights=None, batch_size=min(args.batch_size, 16))
    inception(fake[:2])  # trace the tf.function once
    _, t_inception = _timed(inception, fake[:args.inception_images])
    per_image = t_inception / args.inception_images
    inception_total = per_image * args.n
    rows += [("InceptionFeatures(weights=None) model build", t_build),
             (f"InceptionFeatures, {args.inception_images} images (measured)", t_inception),
             (f"InceptionFeatures, {args.n} images (extrapolated)", inception_total)]

    if not args.no_report:
        _, t_report = _timed(evaluation_report, real, real_masks, fake, fake_masks)
        rows.append((f"evaluation_report (texture only), {args.n_real} real vs {args.n} generated", t_report))

    width = max(len(name) for name, _ in rows)
    print(f"\n{'step':<{width}}  seconds")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:8.1f}")
    print(f"\nTextureFeatures + texture FD + KID for {args.n} images: {texture_total:.1f} s "
          f"({1000 * t_fake / args.n:.1f} ms per image; budget 300 s)")
    print(f"InceptionFeatures (random weights, 299 px): {1000 * per_image:.0f} ms per image, "
          f"{1 / per_image:.1f} images/s")
    print(f"ratio Inception / texture features per image: {per_image / (t_fake / args.n):.1f}x")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
