"""CrossEntropyDiceLoss against an independent NumPy reference."""

import keras
import numpy as np
import pytest

from specklegan_tf.training.segmentation_loss import CrossEntropyDiceLoss, cross_entropy_loss, soft_dice_loss


def _random_batch(seed: int, n: int = 3, size: int = 8, classes: int = 3):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=(n, size, size))
    one_hot = np.eye(classes, dtype="float32")[labels]
    logits = rng.normal(size=(n, size, size, classes)).astype("float32")
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return one_hot, probs.astype("float32")


def _numpy_reference(y, p, dice_weight=1.0, smooth=1.0):
    ce = np.array([-np.mean(np.sum(y[i] * np.log(p[i]), axis=-1)) for i in range(len(y))])
    dice = []
    for i in range(len(y)):
        per_class = [
            (2 * np.sum(y[i, ..., c] * p[i, ..., c]) + smooth) / (y[i, ..., c].sum() + p[i, ..., c].sum() + smooth)
            for c in range(y.shape[-1])
        ]
        dice.append(1 - np.mean(per_class))
    return ce + dice_weight * np.array(dice), ce, np.array(dice)


@pytest.mark.parametrize("dice_weight", [0.0, 1.0, 2.5])
def test_loss_matches_numpy_reference(dice_weight):
    y, p = _random_batch(seed=1)
    total, ce, dice = _numpy_reference(y, p, dice_weight)
    got = keras.ops.convert_to_numpy(CrossEntropyDiceLoss(dice_weight=dice_weight)(y, p))
    assert got.shape == (3,)
    np.testing.assert_allclose(got, total, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(cross_entropy_loss(y, p)), ce, rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(soft_dice_loss(y, p)), dice, rtol=1e-5)


def test_perfect_prediction_has_near_zero_dice_loss_and_worse_prediction_more():
    y, _ = _random_batch(seed=2)
    perfect = np.clip(y, 1e-7, 1.0)
    wrong = np.roll(y, 1, axis=-1)  # every pixel gets another class
    loss = CrossEntropyDiceLoss()
    assert float(np.max(keras.ops.convert_to_numpy(soft_dice_loss(y, perfect)))) < 1e-4
    assert np.all(keras.ops.convert_to_numpy(loss(y, wrong)) > keras.ops.convert_to_numpy(loss(y, perfect)) + 1.0)


def test_config_round_trip_and_bad_arguments():
    loss = CrossEntropyDiceLoss(dice_weight=0.5, smooth=2.0)
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert (clone.dice_weight, clone.smooth) == (0.5, 2.0)
    with pytest.raises(ValueError, match="dice_weight"):
        CrossEntropyDiceLoss(dice_weight=-1.0)
    with pytest.raises(ValueError, match="smooth"):
        CrossEntropyDiceLoss(smooth=0.0)
