"""TensorBoard summaries and image grids of a run (scalars, learning rates, sample grids as PNG and TensorBoard images).

Only the chief writes: on other workers :class:`SummaryWriter` is a no-op, so training code calls it everywhere.

TensorFlow 2.21 no longer depends on the ``tensorboard`` package, and ``tf.summary.scalar``/``image``/``text`` are
implemented there (without it they raise ``TBNotInstalledError``). The writer therefore uses TensorFlow's own
``tf.summary.write`` with the plugin metadata TensorBoard's scalar, image and text dashboards read (the
``SummaryMetadata`` protocol buffer that ships with TensorFlow). Training needs no extra package; to look at the
logs, ``pip install tensorboard`` and run ``tensorboard --logdir runs/<name>/logs``.

Example:
    >>> writer = SummaryWriter("runs/demo/logs")
    >>> writer.scalars({"d_loss": 1.3}, step=10, prefix="train/")
    >>> grid = image_grid(images, columns=8)            # images (N, H, W) or (N, H, W, 1) in [-1, 1]
    >>> writer.image("samples", grid, step=10); save_png(grid, "runs/demo/samples/epoch_0001.png")
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from specklegan_tf.core.atomic_files import write_bytes


def _metadata(plugin: str, data_class: int) -> summary_pb2.SummaryMetadata:
    # Version-0 plugin data of the scalar, image and text plugins is empty; the plugin name selects the dashboard.
    return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin),
                                       data_class=data_class)


_SCALAR = _metadata("scalars", summary_pb2.DATA_CLASS_SCALAR)
_IMAGE = _metadata("images", summary_pb2.DATA_CLASS_BLOB_SEQUENCE)
_TEXT = _metadata("text", summary_pb2.DATA_CLASS_TENSOR)


class SummaryWriter:
    """Writes TensorBoard event files in ``log_dir`` (nothing at all when ``enabled`` is False).

    Args:
        log_dir: Folder of the event files (``<run>/logs``).
        enabled: False on non-chief workers.
    """

    def __init__(self, log_dir: str | os.PathLike, enabled: bool = True) -> None:
        self.log_dir = Path(log_dir)
        self.enabled = enabled
        self._writer = tf.summary.create_file_writer(str(self.log_dir)) if enabled else None

    def scalars(self, values: Mapping[str, float], step: int, prefix: str = "") -> None:
        """One scalar per entry, tagged ``prefix + name``."""
        if not self.enabled:
            return
        with self._writer.as_default(step=int(step)):
            for name, value in values.items():
                tf.summary.write(prefix + name, tf.constant(float(value), tf.float32), metadata=_SCALAR)

    def image(self, name: str, image: np.ndarray, step: int) -> None:
        """An image ``(H, W)`` or ``(H, W, C)``, uint8 or float in [0, 1]."""
        if not self.enabled:
            return
        image = np.asarray(image)
        if image.ndim == 2:
            image = image[..., None]
        if image.dtype != np.uint8:
            image = np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
        height, width = image.shape[:2]
        # The image plugin's layout: [width, height, PNG bytes...] as a string vector.
        content = tf.stack([tf.as_string(width), tf.as_string(height), tf.io.encode_png(image)])
        with self._writer.as_default(step=int(step)):
            tf.summary.write(name, content, metadata=_IMAGE)

    def text(self, name: str, text: str, step: int = 0) -> None:
        """A Markdown text entry (e.g. the effective configuration)."""
        if not self.enabled:
            return
        with self._writer.as_default(step=int(step)):
            tf.summary.write(name, tf.constant(text), metadata=_TEXT)

    def flush(self) -> None:
        if self.enabled:
            self._writer.flush()

    def close(self) -> None:
        if self.enabled:
            self._writer.close()


def write_config_text(log_dir: str | os.PathLike, config_file: str | os.PathLike, step: int = 0) -> None:
    """The effective configuration (``config.yaml``) as the text summary ``config`` (a Markdown code block).

    Written with its own short-lived writer (its own event file in ``log_dir``), before the training loop opens
    the run's writer; TensorBoard reads every event file of a folder.
    """
    writer = SummaryWriter(log_dir)
    writer.text("config", "```yaml\n" + Path(config_file).read_text() + "```", step)
    writer.close()


def learning_rates(items: Mapping[str, Any]) -> dict[str, float]:
    """Current learning rate of every Keras optimizer among ``items`` (name -> value), schedules evaluated."""
    import keras  # Local: only the optimizer type is needed.

    rates = {}
    for name, item in items.items():
        if isinstance(item, keras.optimizers.Optimizer):
            rates[name] = float(np.asarray(item.learning_rate))
    return rates


def to_unit_range(images: np.ndarray) -> np.ndarray:
    """Images in [-1, 1] (the pipeline's range) to [0, 1], clipped."""
    return np.clip((np.asarray(images, dtype=np.float32) + 1.0) / 2.0, 0.0, 1.0)


def image_grid(images: np.ndarray, columns: int, padding: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """Tile images into one grid image, row by row.

    Args:
        images: ``(N, H, W)`` or ``(N, H, W, 1)``, float in [0, 1].
        columns: Images per row.
        padding: Pixels between tiles.
        pad_value: Gray value between tiles.

    Returns:
        float32 ``(rows * (H + padding) - padding, columns * (W + padding) - padding)``.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(f"images must be (N, H, W) or (N, H, W, 1) with N > 0, got {images.shape}")
    if columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    n, height, width = images.shape
    rows = -(-n // columns)
    grid = np.full((rows * (height + padding) - padding, columns * (width + padding) - padding), pad_value,
                   dtype=np.float32)
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = row * (height + padding), column * (width + padding)
        grid[top:top + height, left:left + width] = image
    return grid


def labels_to_gray(masks: np.ndarray) -> np.ndarray:
    """One-hot ``(N, H, W, C)`` or label ``(N, H, W)`` masks as gray images in [0, 1] (class k -> k / (C - 1))."""
    masks = np.asarray(masks)
    if masks.ndim == 4:
        classes = masks.shape[-1]
        masks = masks.argmax(axis=-1)
    else:
        classes = int(masks.max(initial=0)) + 1
    return masks.astype(np.float32) / max(classes - 1, 1)


def save_png(image: np.ndarray, path: str | os.PathLike) -> Path:
    """Save a gray image in [0, 1] (or uint8) as an 8-bit gray PNG, atomically (``core.atomic_files``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
    if image.ndim == 2:
        image = image[..., None]
    return write_bytes(path, tf.io.encode_png(image).numpy())
