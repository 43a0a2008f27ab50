"""Which region tells a trained discriminator that an image is fake? Swap regions between real and generated images.

    python docs/results/ablation64-round2/probes/discriminator_regions.py RUN_FOLDER GENERATOR.keras

Restores the discriminator of RUN_FOLDER's latest checkpoint (64 px, width 0.25 as in the ablations), generates one
image per phantom mask for 48 masks and prints the mean D (sigmoid, batch statistics as in training) of real
images, of generated ones, of generated ones with one region taken from the real image (and the reverse), and the
mean/std of the gray values outside the field of view, in the centre (catheter) and at the rim.
"""
import sys, numpy as np, keras, tensorflow as tf
import specklegan_tf.layers, specklegan_tf.models
from specklegan_tf.models import build_discriminator
from specklegan_tf.data.registry import load_dataset
from specklegan_tf.metrics.speckle import field_of_view
run, gpath = sys.argv[1], sys.argv[2]
n = 48
g = keras.saving.load_model(gpath, compile=False)
size = g.inputs[0].shape[1]
d = build_discriminator(size, width=0.25)
ckpt = tf.train.Checkpoint(discriminator=d)
ckpt.restore(tf.train.latest_checkpoint(run + "/checkpoints")).expect_partial()
data = load_dataset("phantom", image_size=size)
masks = data.masks[:n]; real = data.images[:n].astype(np.float32)[..., None] / 127.5 - 1
onehot = np.asarray(keras.ops.one_hot(masks, 3))
fake = np.asarray(g([tf.constant(onehot), keras.random.normal((n, g.inputs[1].shape[1]), seed=3)], training=False))
yy, xx = np.mgrid[:size, :size] - (size - 1) / 2; r = np.hypot(yy, xx)
fov = field_of_view(size, size)
def score(x):  # mean sigmoid(D) with batch statistics, as in training
    return float(tf.reduce_mean(tf.sigmoid(d([tf.constant(x, tf.float32), tf.constant(onehot)], training=True))))
print(f"D(real) {score(real):.3f}  D(fake) {score(fake):.3f}")
regions = {"centre r<5 (catheter)": r < 5, "outside the field of view": ~fov,
           "lumen (mask)": None, "intima/media (mask)": 1, "background tissue (mask)": 2}
for name, sel in regions.items():
    if sel is None or isinstance(sel, int):
        cls = 0 if sel is None else sel
        m = (masks == cls) & fov[None] & (r[None] >= 5)
    else:
        m = np.broadcast_to(sel, masks.shape)
    m = m[..., None]
    print(f"fake with the real {name:28s}: D {score(np.where(m, real, fake)):.3f}   "
          f"real with the fake one: D {score(np.where(m, fake, real)):.3f}")
# texture vs level: fakes whose local mean is replaced by the real's (keeps the fake's fine texture)
from scipy import ndimage
lm = lambda a: ndimage.uniform_filter(a, size=(1, 7, 7, 1), mode="nearest")
print(f"fake fine texture on the real local mean: D {score(np.clip(lm(real) + fake - lm(fake), -1, 1)):.3f}; "
      f"real fine texture on the fake local mean: D {score(np.clip(lm(fake) + real - lm(real), -1, 1)):.3f}")
out = ~fov
print("outside FOV: real mean/std %.3f/%.3f  fake %.3f/%.3f" % (real[:, out].mean(), real[:, out].std(), fake[:, out].mean(), fake[:, out].std()))
c = r < 5
print("centre r<5: real mean/std %.3f/%.3f  fake %.3f/%.3f" % (real[:, c].mean(), real[:, c].std(), fake[:, c].mean(), fake[:, c].std()))
ring = (r > 29) & fov
print("rim 29<r<fov: real mean/std %.3f/%.3f  fake %.3f/%.3f" % (real[:, ring].mean(), real[:, ring].std(), fake[:, ring].mean(), fake[:, ring].std()))
