"""The dark-disc probe of round 4 (README.md): how much of a bright surround leaks into a dark disc when the
speckle layer works on log amplitudes, for the rect and the Gaussian window profile, Cartesian and polar.

    python docs/results/ablation64-round4/dark_disc.py

Prints the mean log amplitude of the layer's output in rings around the image centre (2 px wide, from r = 0);
the input is -6 nepers inside r = 12 px and 0 outside, 16 images of 64 px, one 16-bin window.
"""
import numpy as np

from specklegan_tf.layers import SpeckleLayer

SIZE, DISC_RADIUS, DARK = 64, 12, -6.0


def main() -> None:
    yy, xx = np.mgrid[:SIZE, :SIZE]
    radius = np.hypot(yy - SIZE / 2 + 0.5, xx - SIZE / 2 + 0.5)
    log_amplitude = np.where(radius < DISC_RADIUS, DARK, 0.0).astype("float32")[None, ..., None].repeat(16, 0)
    rings = range(0, 30, 3)
    print("profile   polar  " + " ".join(f"r={r:<3d}" for r in rings))
    for profile in ("rect", "gaussian"):
        for polar in (False, True):
            layer = SpeckleLayer(num_sizes=1, polar=polar, attention=False, compression="log", input_domain="log",
                                 window_profile=profile, initial_window_sizes=[16.0], reference_size=SIZE, seed=0)
            out = layer(log_amplitude).numpy()[..., 0]
            means = [out[:, (radius >= r) & (radius < r + 2)].mean() for r in rings]
            print(f"{profile:9s} {str(polar):6s} " + " ".join(f"{m:5.2f}" for m in means))


if __name__ == "__main__":
    main()
