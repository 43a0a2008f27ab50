"""The segmentation training model: a U-Net, an optimizer and the cross-entropy + soft Dice loss in ``train_step``."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from specklegan_tf.models.segmentation_loss import CrossEntropyDiceLoss, cross_entropy_loss, soft_dice_loss


class Segmenter(keras.Model):
    """Trains a segmentation network (``build_unet``) with ``CrossEntropyDiceLoss``.

    Contract with ``specklegan_tf.training.run_training`` (the loop shared with the GAN trainer):

    - ``batch = (images, masks)`` is the *per-replica* batch: images float ``(B, H, W, 1)`` in ``[-1, 1]``, masks
      one-hot float ``(B, H, W, C)``, as ``specklegan_tf.data.make_dataset`` yields them.
    - The per-image losses are averaged with ``tf.nn.compute_average_loss``, i.e. divided by the *global* batch
      size, so the gradients summed over replicas are those of the global-batch mean.
    - ``train_step`` returns per-replica means of ``loss``, ``cross_entropy``, ``dice_loss`` and ``accuracy``
      (pixel accuracy) as scalar float32 tensors.
    - ``checkpoint_items()`` holds the network and the optimizer (its variables are created in ``compile``).

    Args:
        network: A model mapping images ``(N, H, W, 1)`` to class probabilities ``(N, H, W, C)``.
        dice_weight: Weight of the soft Dice term of the loss.

    Call arguments:
        inputs: Images ``(N, H, W, 1)`` in ``[-1, 1]``.
        training: Batch statistics when True.

    Example:
        >>> segmenter = Segmenter(build_unet(64))
        >>> segmenter.compile(keras.optimizers.Adam(1e-3))
        >>> logs = segmenter.train_step((images, one_hot_masks))
    """

    def __init__(self, network: keras.Model, dice_weight: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.network = network
        self.loss_fn = CrossEntropyDiceLoss(dice_weight=dice_weight)
        self.optimizer_ = None
        names = ("loss", "cross_entropy", "dice_loss", "accuracy")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True  # the network is a built functional model

    def call(self, inputs, training: bool = False):
        return self.network(inputs, training=training)

    def compile(self, optimizer: keras.optimizers.Optimizer, **kwargs) -> None:
        """Sets the optimizer and creates its variables (call inside the strategy scope).

        Args:
            optimizer: E.g. ``keras.optimizers.Adam(1e-3)``.
            **kwargs: Passed to ``keras.Model.compile`` (``jit_compile`` defaults to False).
        """
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise ValueError(f"`optimizer` must be a keras.optimizers.Optimizer, got {type(optimizer).__name__}")
        kwargs.setdefault("jit_compile", False)
        # optimizer=None: a bare super().compile() would create an unused RMSprop.
        super().compile(optimizer=None, **kwargs)
        self.optimizer_ = optimizer
        self.optimizer_.build(self.network.trainable_variables)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def checkpoint_items(self) -> dict:
        """Trackables for ``tf.train.Checkpoint(**segmenter.checkpoint_items())``: network and optimizer."""
        if self.optimizer_ is None:
            raise RuntimeError("call `compile(optimizer)` before `checkpoint_items()`")
        return {"network": self.network, "optimizer": self.optimizer_}

    def train_step(self, data):
        """One optimisation step on a per-replica batch ``(images, one-hot masks)``."""
        if self.optimizer_ is None:
            raise RuntimeError("call `compile(optimizer)` before training")
        images, masks = data
        with tf.GradientTape() as tape:
            probabilities = self.network(images, training=True)
            cross_entropy = cross_entropy_loss(masks, probabilities)
            dice_loss = soft_dice_loss(masks, probabilities, self.loss_fn.smooth)
            per_image = cross_entropy + self.loss_fn.dice_weight * dice_loss
            loss = tf.nn.compute_average_loss(per_image)
            if self.network.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(self.network.losses))
            scaled = self.optimizer_.scale_loss(loss)
        grads = tape.gradient(scaled, self.network.trainable_variables)
        self.optimizer_.apply(grads, self.network.trainable_variables)
        correct = ops.cast(ops.argmax(probabilities, -1) == ops.argmax(masks, -1), "float32")
        logs = {
            "loss": ops.mean(per_image),
            "cross_entropy": ops.mean(cross_entropy),
            "dice_loss": ops.mean(dice_loss),
            "accuracy": ops.mean(correct),
        }
        for name, value in logs.items():
            self.trackers[name].update_state(value)
        return logs
