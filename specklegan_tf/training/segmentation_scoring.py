"""Inference and scores of a segmentation network: class probabilities, label maps, per-image Dice and MHD.

A :class:`Predictor` owns the traced inference graph of one network, so whoever predicts repeatedly with the same
network (the validation of a run, a trainer reused across runs) keeps one and traces once; there is no cache
hidden in the module. :func:`predict_probabilities` and :func:`predict_labels` are the one-shot forms.
"""

from __future__ import annotations

import numpy as np

from specklegan_tf import INTIMA_MEDIA, LUMEN
from specklegan_tf.training.run_types import TrainingContext

EVALUATED_CLASSES = {"intima_media": INTIMA_MEDIA, "lumen": LUMEN}  # the paper's Table 2 columns


class Predictor:
    """Inference with one network: its call in inference mode, traced once as a ``tf.function`` for any batch.

    Args:
        network: A Keras segmentation network taking ``(N, H, W, 1)`` inputs in [-1, 1].
        batch_size: Images per inference batch.
    """

    def __init__(self, network, batch_size: int = 16) -> None:
        import tensorflow as tf

        self.network, self.batch_size = network, int(batch_size)
        shape = [None, *network.inputs[0].shape[1:]]
        self._infer = tf.function(lambda x: network(x, training=False),
                                  input_signature=[tf.TensorSpec(shape, tf.float32)])

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, H, W, C)`` of uint8 images ``(N, H, W)``."""
        from specklegan_tf.data import to_model_inputs

        images = np.asarray(images)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"`images` must be uint8 (N, H, W), got {images.dtype} {images.shape}")
        out = [np.asarray(self._infer(to_model_inputs(images[i:i + self.batch_size])[..., None]), dtype=np.float32)
               for i in range(0, len(images), self.batch_size)]
        return np.concatenate(out)

    def labels(self, images: np.ndarray) -> np.ndarray:
        """Label maps uint8 ``(N, H, W)`` (argmax of the class probabilities) of uint8 images ``(N, H, W)``."""
        return self.probabilities(images).argmax(-1).astype(np.uint8)


def predict_probabilities(network, images: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """Class probabilities ``(N, H, W, C)`` of uint8 images ``(N, H, W)`` (inference mode, in batches).

    ``network`` may be a :class:`Predictor` (reused as it is) or a Keras network (traced for this call).
    """
    predictor = network if isinstance(network, Predictor) else Predictor(network, batch_size)
    return predictor.probabilities(images)


def predict_labels(network, images: np.ndarray, batch_size: int = 16) -> np.ndarray:
    """Label maps uint8 ``(N, H, W)`` (argmax of the class probabilities) of uint8 images ``(N, H, W)``."""
    return predict_probabilities(network, images, batch_size).argmax(-1).astype(np.uint8)


def segmentation_scores(predicted: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
    """Per-image Dice and modified Hausdorff distance (pixels) of intima/media and lumen (the paper's Table 2).

    A class missing from a prediction gets the image diagonal as its distance (the largest possible, finite so
    that means and t-tests stay defined; ``specklegan_tf.metrics.modified_hausdorff``'s ``empty_penalty``).

    Returns:
        ``{"dice_intima_media", "dice_lumen", "mhd_intima_media", "mhd_lumen"}``, each float64 ``(N,)``.
    """
    from specklegan_tf.metrics import dice, modified_hausdorff

    predicted, target = np.asarray(predicted), np.asarray(target)
    if predicted.shape != target.shape or predicted.ndim != 3:
        raise ValueError(f"predicted {predicted.shape} and target {target.shape} must be equal (N, H, W) shapes")
    diagonal = float(np.hypot(*target.shape[1:]))
    scores: dict[str, list[float]] = {f"{m}_{c}": [] for m in ("dice", "mhd") for c in EVALUATED_CLASSES}
    for p, t in zip(predicted, target):
        for name, label in EVALUATED_CLASSES.items():
            scores[f"dice_{name}"].append(dice(p, t, label))
            scores[f"mhd_{name}"].append(modified_hausdorff(p, t, label, empty_penalty=diagonal))
    return {key: np.asarray(values, np.float64) for key, values in scores.items()}


class SegmentationValidation:
    """Mean held-out Dice per class (``dice_lumen``, ``dice_intima_media``) and their mean ``dice_mean``.

    As a validation callback it predicts with the trainable's own :class:`Predictor` when it has one
    (``trainable.predictor``), so a network reused across runs is traced once.

    Args:
        images: uint8 ``(N, H, W)`` held-out images.
        masks: Their label masks.
    """

    def __init__(self, images: np.ndarray, masks: np.ndarray) -> None:
        self.images, self.masks = np.asarray(images), np.asarray(masks)
        self._predictor: Predictor | None = None

    def evaluate(self, network) -> dict[str, float]:
        """The mean Dice values of ``network`` (a Keras network or a :class:`Predictor`) on the held-out images."""
        if not isinstance(network, Predictor):
            if self._predictor is None or self._predictor.network is not network:
                self._predictor = Predictor(network)  # one trace per network across this validation's calls
            network = self._predictor
        scores = segmentation_scores(network.labels(self.images), self.masks)
        result = {f"dice_{name}": float(scores[f"dice_{name}"].mean()) for name in EVALUATED_CLASSES}
        result["dice_mean"] = float(np.mean(list(result.values())))
        return result

    def __call__(self, context: TrainingContext) -> dict[str, float]:
        return self.evaluate(getattr(context.trainable, "predictor", None) or context.trainable.network)
