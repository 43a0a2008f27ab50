"""The segmentation loss lives in models (the floor of the model that uses it); the old training path re-exports it."""
import keras

import specklegan_tf.models as models
from specklegan_tf.models import segmentation_loss


def test_the_old_import_path_gives_the_same_objects():
    from specklegan_tf.training import segmentation_loss as old

    for name in ("CrossEntropyDiceLoss", "cross_entropy_loss", "soft_dice_loss"):
        assert getattr(old, name) is getattr(segmentation_loss, name), name
    assert models.CrossEntropyDiceLoss is segmentation_loss.CrossEntropyDiceLoss


def test_the_registered_name_is_unchanged_and_deserialises_to_the_class():
    # The name .keras files and saved configurations refer to; it must not follow the module's move.
    registered = keras.saving.get_registered_name(segmentation_loss.CrossEntropyDiceLoss)
    assert registered == "specklegan_tf>CrossEntropyDiceLoss"
    loss = segmentation_loss.CrossEntropyDiceLoss(dice_weight=0.5, smooth=2.0)
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(revived) is segmentation_loss.CrossEntropyDiceLoss
    assert (revived.dice_weight, revived.smooth) == (0.5, 2.0)
