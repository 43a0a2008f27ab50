"""The tf.data pipeline: joint augmentation keeps image and mask aligned (acceptance 7), determinism, sharding."""
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf import BACKGROUND, INTIMA_MEDIA, LUMEN
from specklegan_tf.data import (augment_batch, from_one_hot, make_dataset, rotation_flip_transforms, to_model_inputs,
                                to_one_hot, to_uint8)

SIZE = 48
# Image intensity that encodes each label; background is black, like what rotates in from outside.
GRAY = {LUMEN: 255, INTIMA_MEDIA: 128, BACKGROUND: 0}


def _label_images(n=8, seed=0):
    """Asymmetric label maps (an off-centre lumen in an off-centre vessel) and images whose gray encodes them."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:SIZE, :SIZE]
    masks = np.full((n, SIZE, SIZE), BACKGROUND, np.uint8)
    for k in range(n):
        cx, cy = rng.uniform(0.35, 0.55, size=2) * SIZE
        masks[k][np.hypot((x - cx) / 1.4, y - cy) < 0.3 * SIZE] = INTIMA_MEDIA
        masks[k][np.hypot(x - cx - 4, y - cy + 3) < 0.12 * SIZE] = LUMEN
    images = np.vectorize(GRAY.get)(masks).astype(np.uint8)
    return images, masks


def _labels_from_image(images):
    levels = np.array([GRAY[LUMEN], GRAY[INTIMA_MEDIA], GRAY[BACKGROUND]], np.float32)
    gray = to_uint8(images[..., 0]).astype(np.float32)
    return np.argmin(np.abs(gray[..., None] - levels), axis=-1)


def test_batches_have_the_documented_shapes_and_ranges():
    images, masks = _label_images()
    batches = list(make_dataset(images, masks, batch_size=4, seed=1))
    assert len(batches) == 2
    image, mask = batches[0]
    assert image.shape == (4, SIZE, SIZE, 1) and image.dtype == tf.float32
    assert mask.shape == (4, SIZE, SIZE, 3) and mask.dtype == tf.float32
    assert float(tf.reduce_min(image)) >= -1.0 and float(tf.reduce_max(image)) <= 1.0
    np.testing.assert_array_equal(tf.reduce_sum(mask, axis=-1).numpy(), 1.0)  # every pixel has one class


def test_augmentation_keeps_image_and_mask_aligned():
    images, masks = _label_images(16)
    ds = make_dataset(images, masks, batch_size=8, seed=5, shuffle=False)
    agreement, changed = [], 0
    for k, (image, mask) in enumerate(ds):
        image, mask = image.numpy(), mask.numpy()
        agreement.append(np.mean(_labels_from_image(image) == from_one_hot(mask)))
        changed += sum(not np.array_equal(from_one_hot(mask[j]), masks[8 * k + j]) for j in range(8))
    assert np.mean(agreement) >= 0.99, agreement
    assert changed >= 14  # the augmentation really rotated / flipped the samples


def test_flip_alone_is_an_exact_mirror_and_rotation_fills_background():
    import keras

    images, _ = _label_images(2)
    x = tf.constant(to_model_inputs(images)[..., None])
    t = rotation_flip_transforms(tf.zeros(2), tf.constant([True, False]), tf.constant([False, True]), SIZE, SIZE)
    out = keras.ops.image.affine_transform(x, t, interpolation="nearest").numpy()[..., 0]
    np.testing.assert_array_equal(out[0], to_model_inputs(images[0])[:, ::-1])
    np.testing.assert_array_equal(out[1], to_model_inputs(images[1])[::-1, :])
    # An all-lumen, all-white sample: what rotates in from outside is black image and background label.
    white = tf.constant(np.ones((1, SIZE, SIZE, 1), np.float32))
    lumen = tf.constant(np.zeros((1, SIZE, SIZE), np.uint8))
    n_outside = 0
    for seed in range(4):
        img, lab = augment_batch(white, lumen, tf.constant([seed, 1], tf.int32))
        img, lab = img.numpy()[0, ..., 0], lab.numpy()[0]
        assert set(np.unique(lab)) <= {LUMEN, BACKGROUND}
        assert lab[SIZE // 2, SIZE // 2] == LUMEN and img[SIZE // 2, SIZE // 2] == pytest.approx(1.0)
        # Nearest picks "outside" exactly where bilinear weights the outside (-1) by at least one half.
        assert np.all(img[lab == BACKGROUND] <= 1e-5) and np.all(img[lab == LUMEN] >= -1e-5)
        n_outside += np.count_nonzero(lab == BACKGROUND)
    assert n_outside > 0  # some angles were far from multiples of 90 degrees


def test_same_seed_same_batches_and_epochs_differ():
    images, masks = _label_images(8)
    ds_a = make_dataset(images, masks, batch_size=4, seed=3)
    ds_b = make_dataset(images, masks, batch_size=4, seed=3)
    epoch_a1 = [m.numpy() for _, m in ds_a]
    epoch_a2 = [m.numpy() for _, m in ds_a]
    epoch_b1 = [m.numpy() for _, m in ds_b]
    assert all(np.array_equal(a, b) for a, b in zip(epoch_a1, epoch_b1))
    assert not all(np.array_equal(a, b) for a, b in zip(epoch_a1, epoch_a2))
    other = [m.numpy() for _, m in make_dataset(images, masks, batch_size=4, seed=4)]
    assert not all(np.array_equal(a, b) for a, b in zip(epoch_a1, other))


def test_without_augmentation_the_data_is_unchanged():
    images, masks = _label_images(4)
    image, mask = next(iter(make_dataset(images, masks, batch_size=4, augment=False, shuffle=False)))
    np.testing.assert_array_equal(to_uint8(image.numpy()[..., 0]), images)
    np.testing.assert_array_equal(from_one_hot(mask.numpy()), masks)


def test_input_context_shards_and_uses_the_per_replica_batch():
    images, masks = _label_images(8)
    images[:, 0, 0] = np.arange(8)  # tag each sample in a pixel the test reads back
    seen = []
    for pipeline_id in range(2):
        context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline_id,
                                             num_replicas_in_sync=2)
        ds = make_dataset(images, masks, batch_size=4, augment=False, seed=0, input_context=context)
        batches = list(ds)
        assert [b[0].shape[0] for b in batches] == [2, 2]
        seen.append(sorted(int(v) for b in batches for v in to_uint8(b[0].numpy()[:, 0, 0, 0])))
    assert seen[0] == [0, 2, 4, 6] and seen[1] == [1, 3, 5, 7]


def test_mirrored_strategy_distributes_the_global_batch():
    images, masks = _label_images(8)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    dist = strategy.distribute_datasets_from_function(
        lambda ctx: make_dataset(images, masks, batch_size=4, seed=0, input_context=ctx))
    image, mask = next(iter(dist))
    shapes = [t.shape for t in strategy.experimental_local_results(image)]
    assert shapes == [(2, SIZE, SIZE, 1), (2, SIZE, SIZE, 1)]


def test_conversions_round_trip():
    values = np.arange(256, dtype=np.uint8)
    np.testing.assert_array_equal(to_uint8(to_model_inputs(values)), values)
    np.testing.assert_array_equal(to_uint8(to_model_inputs(tf.constant(values))).numpy(), values)
    assert to_model_inputs(values).min() == -1.0 and to_model_inputs(values).max() == 1.0
    labels = np.array([[0, 1], [2, 0]], np.uint8)
    np.testing.assert_array_equal(from_one_hot(to_one_hot(labels)), labels)
    np.testing.assert_array_equal(from_one_hot(to_one_hot(tf.constant(labels))).numpy(), labels)


def test_bad_input_is_named():
    images, masks = _label_images(4)
    with pytest.raises(ValueError, match="uint8"):
        make_dataset(images.astype(np.float32), masks, batch_size=2)
    with pytest.raises(ValueError, match="masks must have"):
        make_dataset(images, masks[:, :-1], batch_size=2)
    with pytest.raises(ValueError, match="labels 0..2"):
        make_dataset(images, masks + 1, batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        make_dataset(images, masks, batch_size=0)
    with pytest.raises(ValueError, match="fewer than the batch size"):
        make_dataset(images, masks, batch_size=8)
