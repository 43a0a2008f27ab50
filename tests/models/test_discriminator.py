"""Discriminator: builds and runs 32..256 px, conditions on the mask, refuses bad sizes."""
import re

import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.models import build_discriminator
from model_inputs import random_onehot


@pytest.mark.parametrize("size, batch", [(32, 2), (64, 2), (128, 1), (256, 1)])
def test_builds_and_runs(size, batch):
    discriminator = build_discriminator(image_size=size, width=0.125)
    assert [t.name for t in discriminator.inputs] == ["image", "mask"]
    images = tf.random.stateless_uniform((batch, size, size, 1), [1, 2], -1, 1)
    logits = discriminator([images, random_onehot(batch, size)])
    assert logits.shape == (batch, 1) and logits.dtype == tf.float32
    assert np.isfinite(logits.numpy()).all()
    # log2(size) - 2 stride-2 blocks bring the image down to 4x4.
    blocks = [layer for layer in discriminator.layers if layer.name.startswith("down_block_")]
    assert len(blocks) == int(np.log2(size)) - 2
    assert blocks[-1].output.shape[1:3] == (4, 4)


def test_logit_depends_on_image_and_mask():
    discriminator = build_discriminator(image_size=32, width=0.25)
    images = tf.random.stateless_uniform((2, 32, 32, 1), [1, 2], -1, 1)
    masks = random_onehot(2, 32, seed=1)
    base = discriminator([images, masks]).numpy()
    assert np.abs(discriminator([images, random_onehot(2, 32, seed=2)]).numpy() - base).max() > 1e-6
    assert np.abs(discriminator([-images, masks]).numpy() - base).max() > 1e-6


@pytest.mark.parametrize("size", [16, 100, 1024])
def test_bad_image_size_is_refused(size):
    message = f"`image_size` must be a power of two from 32 to 512, got {size!r}"
    with pytest.raises(ValueError, match=re.escape(message)):
        build_discriminator(image_size=size)


def test_bad_width_is_refused():
    with pytest.raises(ValueError, match="width"):
        build_discriminator(image_size=32, width=-1.0)
