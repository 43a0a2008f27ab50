"""Old home of the segmentation loss, kept so that ``specklegan_tf.training.segmentation_loss`` imports still work.

The loss lives in :mod:`specklegan_tf.models.segmentation_loss`: the segmentation model (floor 3) uses it, and a
model must not import from the training floor above it. The names below are the same objects (one registration
of ``specklegan_tf>CrossEntropyDiceLoss`` for ``.keras`` files).
"""
from specklegan_tf.models.segmentation_loss import CrossEntropyDiceLoss, cross_entropy_loss, soft_dice_loss

__all__ = ["CrossEntropyDiceLoss", "cross_entropy_loss", "soft_dice_loss"]
