"""Where does the speckle's contrast go, and is its spectrum the data's? One exported generator, phantom masks.

    python docs/results/ablation64-round2/probes/speckle_stages.py runs/x/exports/NAME.keras [N]

Prints, for the first N (64) phantom masks and one z each: the share of each stage's variance at scales below 7 px
(penultimate block, speckle layer, last block, image; and the real images'), the gray-level mean and the fine-scale
standard deviation per class, real against generated, and the axial and lateral power spectra (polar coordinates
about the catheter, after removing a 15 px local mean) of the intima/media and the background, in % per bin.
"""
import sys, numpy as np
import keras, tensorflow as tf
import specklegan_tf.layers, specklegan_tf.models  # registers layers
from specklegan_tf.data.registry import load_dataset
from specklegan_tf.metrics.speckle import field_of_view
from scipy import ndimage

def fine_fraction(x, fov, box=7):
    # x (N,H,W,C): share of variance at scales below `box` px, inside the field of view
    out = []
    for c in range(x.shape[-1]):
        v = x[..., c].astype(np.float64)
        local = ndimage.uniform_filter(v, size=(1, box, box), mode="nearest")
        fine = (v - local)[:, fov]
        out.append(fine.var() / max(v[:, fov].var(), 1e-12))
    return np.array(out)

path = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 64
g = keras.saving.load_model(path, compile=False)
size = g.inputs[0].shape[1]
data = load_dataset("phantom", image_size=size)
masks = data.masks[:n]; real = data.images[:n].astype(np.float32)
fov = field_of_view(size, size)
onehot = keras.ops.one_hot(masks, 3)
z = keras.random.normal((n, g.inputs[1].shape[1]), seed=1)
names = [l.name for l in g.layers]
taps = [t for t in ["penultimate_block", "speckle", "last_block", "output_activation", "image"] if t in names]
sub = keras.Model(g.inputs, [g.get_layer(t).output for t in taps])
outs = sub([onehot, z], training=False)
print("real image fine fraction: %.3f" % fine_fraction(real[..., None], fov)[0])
for t, o in zip(taps, outs):
    f = fine_fraction(np.asarray(o), fov)
    print(f"{t:20s} C={o.shape[-1]:3d} fine fraction mean {f.mean():.3f} min {f.min():.3f} max {f.max():.3f}")
img = np.asarray(outs[-1])[..., 0]
gen = (img + 1) * 127.5
for c, cname in enumerate(["lumen", "IM", "bg"]):
    sel = (masks == c) & fov
    def stats(a):
        local = ndimage.uniform_filter(a, size=(1, 7, 7), mode="nearest")
        return a[sel].mean(), (a - local)[sel].std()
    print(f"{cname}: real mean/finestd %.1f/%.1f  gen %.1f/%.1f" % (*stats(real), *stats(gen)))

from specklegan_tf.metrics.speckle import to_polar, remove_local_mean
def spectra(stack, masks, cls=1):
    region = (masks == cls) & fov
    centred = remove_local_mean(stack.astype(np.float32), region, 15)
    polar = to_polar(centred)                      # (N, radii, angles)?
    pm = np.rint(to_polar(region.astype(np.float32), order=0)) > 0
    polar = polar * pm
    p = np.abs(np.fft.fft2(polar)) ** 2
    p = p.mean(axis=0); p /= p.sum()
    ax = p.sum(axis=1)[: p.shape[0] // 2]; lat = p.sum(axis=0)[: p.shape[1] // 2]
    return ax, lat
for cls, cname in ((1, "IM"), (2, "bg")):
    ra, rl = spectra(real, masks, cls); ga, gl = spectra(gen, masks, cls)
    np.set_printoptions(precision=3, suppress=True, linewidth=200)
    print(cname, "axial spectrum real", ra[:16] * 100); print(cname, "axial spectrum gen ", ga[:16] * 100)
    print(cname, "lateral spectrum real", rl[:32:2] * 100); print(cname, "lateral spectrum gen ", gl[:32:2] * 100)
