"""Differentiable Cartesian <-> polar resampling about the image centre (paper Fig. 2).

IVUS images are taken by a catheter in the vessel centre: the ultrasound beams run radially, so the speckle grains
are short along the beam and widen laterally with the distance from the catheter. The speckle layer reproduces this
by applying speckle on a polar grid (rows = radius, columns = angle) and resampling back.

Both directions are bilinear interpolation written as one gather plus a weighted sum with constant indices and
weights (precomputed in NumPy when the layer is built), so they are linear in the input, differentiable with
respect to it (the gradient of a gather is a scatter-add), work under ``jit_compile=True`` and for any batch size.
No TensorFlow library offers a differentiable image warp any more (tensorflow-addons does not import with Keras 3).

Grid convention (used by both layers and by :class:`~specklegan_tf.layers.SpeckleLayer`):

- Cartesian pixel ``(y, x)`` has its centre at integer coordinates; the image centre is ``((H-1)/2, (W-1)/2)``.
- The polar grid has ``num_radii`` rows and ``num_angles`` columns (by default the image's ``H`` and ``W``).
  Row ``i`` is radius ``r_i = i * r_max / (num_radii - 1)`` with ``r_max`` the distance from the centre to a corner
  pixel centre, so the whole image (corners included) is covered. Column ``j`` is angle
  ``theta_j = 2 pi j / num_angles`` measured from the +x axis towards +y (image rows grow downwards).
- Polar samples that fall outside the image repeat the nearest edge pixel; the angle wraps around.
"""

from __future__ import annotations

import math

import numpy as np
import keras
from keras import ops

__all__ = [
    "CartesianToPolar",
    "PolarToCartesian",
    "polar_grid_shape",
    "resample",
    "resample_adjoint",
    "adjoint_table",
]


def polar_grid_shape(
    height: int, width: int, num_radii: int | None = None, num_angles: int | None = None
) -> tuple[int, int]:
    """Returns the polar grid ``(num_radii, num_angles)`` used for an ``height x width`` image (defaults: H, W)."""
    return (int(num_radii or height), int(num_angles or width))


def _max_radius(height: int, width: int) -> float:
    return math.hypot((height - 1) / 2.0, (width - 1) / 2.0)


def _bilinear_table(
    sy: np.ndarray, sx: np.ndarray, height: int, width: int, wrap_x: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Flat source indices (P, 4) and weights (P, 4) for bilinear sampling at fractional (sy, sx).

    Rows are clamped to the grid (edge replication); columns are clamped, or wrapped when ``wrap_x`` (angles).
    """
    sy = np.clip(sy.astype(np.float64), 0.0, height - 1.0)
    if wrap_x:
        sx = np.mod(sx.astype(np.float64), float(width))
    else:
        sx = np.clip(sx.astype(np.float64), 0.0, width - 1.0)
    y0 = np.floor(sy).astype(np.int64)
    x0 = np.floor(sx).astype(np.int64)
    fy = sy - y0
    fx = sx - x0
    y1 = np.minimum(y0 + 1, height - 1)
    if wrap_x:
        x0 = np.mod(x0, width)
        x1 = np.mod(x0 + 1, width)
    else:
        x1 = np.minimum(x0 + 1, width - 1)
    idx = np.stack([y0 * width + x0, y0 * width + x1, y1 * width + x0, y1 * width + x1], axis=-1)
    wts = np.stack([(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx], axis=-1)
    return idx.reshape(-1, 4).astype(np.int32), wts.reshape(-1, 4).astype(np.float32)


def cartesian_to_polar_table(
    height: int, width: int, num_radii: int, num_angles: int
) -> tuple[np.ndarray, np.ndarray]:
    """Gather table that samples an ``(H, W)`` Cartesian image on the ``(num_radii, num_angles)`` polar grid."""
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    radii = np.linspace(0.0, _max_radius(height, width), num_radii)
    angles = 2.0 * np.pi * np.arange(num_angles) / num_angles
    r, t = np.meshgrid(radii, angles, indexing="ij")
    return _bilinear_table(cy + r * np.sin(t), cx + r * np.cos(t), height, width, wrap_x=False)


def polar_to_cartesian_table(
    height: int, width: int, num_radii: int, num_angles: int
) -> tuple[np.ndarray, np.ndarray]:
    """Gather table that samples a ``(num_radii, num_angles)`` polar image at every ``(H, W)`` pixel centre."""
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    y, x = np.meshgrid(np.arange(height) - cy, np.arange(width) - cx, indexing="ij")
    r = np.hypot(y, x)
    theta = np.mod(np.arctan2(y, x), 2.0 * np.pi)
    dr = _max_radius(height, width) / max(num_radii - 1, 1)
    return _bilinear_table(r / dr, theta * num_angles / (2.0 * np.pi), num_radii, num_angles, wrap_x=True)


def _check_spatial(layer: keras.layers.Layer, input_shape: tuple) -> tuple[int, int]:
    if len(input_shape) != 4:
        raise ValueError(
            f"{layer.__class__.__name__} expects inputs of rank 4 (N, H, W, C); received shape {input_shape}."
        )
    height, width = input_shape[1], input_shape[2]
    if height is None or width is None:
        raise ValueError(
            f"{layer.__class__.__name__} needs a known spatial size to precompute its sampling grid; "
            f"received input shape {input_shape}."
        )
    return int(height), int(width)


def resample(inputs, indices, weights, out_height: int, out_width: int):
    """Bilinear resampling of NHWC ``inputs`` with a gather table from :func:`cartesian_to_polar_table` or
    :func:`polar_to_cartesian_table` (``indices`` and ``weights`` of shape ``(out_height * out_width, 4)``)."""
    shape = ops.shape(inputs)
    channels = inputs.shape[-1]
    flat = ops.reshape(inputs, (shape[0], -1, channels))
    gathered = ops.take(flat, ops.reshape(ops.convert_to_tensor(indices), (-1,)), axis=1)
    gathered = ops.reshape(gathered, (shape[0], out_height * out_width, 4, channels))
    w = ops.cast(ops.convert_to_tensor(weights), inputs.dtype)[None, :, :, None]
    return ops.reshape(ops.sum(gathered * w, axis=2), (shape[0], out_height, out_width, channels))


# A transposed table pads every source pixel's list of (target, weight) pairs to the longest list. A short list
# gathers faster than a scatter-add (the polar-to-Cartesian adjoint: 13 entries at most); a long one wastes most
# of its work on padding (the Cartesian-to-polar adjoint: 476 entries for the centre pixel, which every radius-0
# sample reads), so beyond this length the scatter-add is used. Timings: docs/measurements/floors.md.
MAX_ADJOINT_ENTRIES = 32


def adjoint_table(indices: np.ndarray, weights: np.ndarray, num_sources: int):
    """The transpose of a gather table as a padded gather table, or ``None`` if it would be too long.

    ``resample`` computes ``y[p] = sum_j weights[p, j] * x[indices[p, j]]``. Its adjoint (the gradient with
    respect to ``x``) is ``x'[q] = sum over (p, j) with indices[p, j] == q of weights[p, j] * y'[p]``. This returns
    ``(targets, target_weights)`` of shape ``(num_sources, L)``, zero-weight padded, such that
    ``x'[q] = sum_l target_weights[q, l] * y'[targets[q, l]]``; ``None`` when ``L > MAX_ADJOINT_ENTRIES``.
    """
    flat_targets = np.repeat(np.arange(indices.shape[0]), indices.shape[1])
    flat_sources = indices.reshape(-1)
    flat_weights = weights.reshape(-1)
    used = flat_weights != 0
    flat_targets, flat_sources, flat_weights = flat_targets[used], flat_sources[used], flat_weights[used]
    counts = np.bincount(flat_sources, minlength=num_sources)
    length = int(counts.max(initial=1))
    if length > MAX_ADJOINT_ENTRIES:
        return None
    order = np.argsort(flat_sources, kind="stable")
    flat_targets, flat_sources, flat_weights = flat_targets[order], flat_sources[order], flat_weights[order]
    slot = np.arange(flat_sources.size) - (np.cumsum(counts) - counts)[flat_sources]
    targets = np.zeros((num_sources, length), np.int32)
    target_weights = np.zeros((num_sources, length), np.float32)
    targets[flat_sources, slot] = flat_targets
    target_weights[flat_sources, slot] = flat_weights
    return targets, target_weights


def resample_adjoint(values, indices, weights, source_height: int, source_width: int, adjoint=None):
    """The transpose of :func:`resample`: every output value goes back to its four sources with the same weights.

    With ``adjoint`` (from :func:`adjoint_table`) this is a padded gather, else a scatter-add
    (``unsorted_segment_sum``). Both give the same sums; the gather is faster where it is short.
    """
    shape = ops.shape(values)
    channels = values.shape[-1]
    flat = ops.reshape(values, (shape[0], -1, channels))
    if adjoint is not None:
        targets, target_weights = adjoint
        length = targets.shape[-1]
        gathered = ops.take(flat, ops.reshape(ops.convert_to_tensor(targets), (-1,)), axis=1)
        gathered = ops.reshape(gathered, (shape[0], source_height * source_width, length, channels))
        w = ops.cast(ops.convert_to_tensor(target_weights), values.dtype)[None, :, :, None]
        summed = ops.sum(gathered * w, axis=2)
    else:
        w = ops.cast(ops.convert_to_tensor(weights), values.dtype)[None, :, :, None]
        spread = ops.reshape(flat[:, :, None, :] * w, (shape[0], -1, channels))
        summed = ops.segment_sum(
            ops.transpose(spread, (1, 0, 2)), ops.reshape(ops.convert_to_tensor(indices), (-1,)),
            num_segments=source_height * source_width,
        )
        summed = ops.transpose(summed, (1, 0, 2))
    return ops.reshape(summed, (shape[0], source_height, source_width, channels))


@keras.saving.register_keras_serializable(package="specklegan_tf")
class CartesianToPolar(keras.layers.Layer):
    """Resamples feature maps from Cartesian to polar coordinates about the image centre (bilinear).

    Args:
        num_radii: rows of the polar grid (radius 0 to the corner distance). Default: the input height.
        num_angles: columns of the polar grid (angles 0 to 2 pi, exclusive). Default: the input width.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: Cartesian maps ``(N, H, W, C)`` with known ``H`` and ``W``.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, num_radii, num_angles, C)``.

    Example:
        >>> polar = CartesianToPolar()(keras.ops.ones((2, 32, 32, 3)))  # (2, 32, 32, 3)
    """

    def __init__(self, num_radii: int | None = None, num_angles: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        for name, value in (("num_radii", num_radii), ("num_angles", num_angles)):
            if value is not None and (int(value) != value or value < 2):
                raise ValueError(f"`{name}` must be an integer >= 2 or None; received {name}={value!r}.")
        self.num_radii = None if num_radii is None else int(num_radii)
        self.num_angles = None if num_angles is None else int(num_angles)

    def build(self, input_shape: tuple) -> None:
        height, width = _check_spatial(self, input_shape)
        self._grid = polar_grid_shape(height, width, self.num_radii, self.num_angles)
        self._indices, self._weights = cartesian_to_polar_table(height, width, *self._grid)

    def call(self, inputs):
        return resample(inputs, self._indices, self._weights, *self._grid)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        height, width = _check_spatial(self, input_shape)
        return (input_shape[0], *polar_grid_shape(height, width, self.num_radii, self.num_angles), input_shape[3])

    def get_config(self) -> dict:
        return {**super().get_config(), "num_radii": self.num_radii, "num_angles": self.num_angles}


@keras.saving.register_keras_serializable(package="specklegan_tf")
class PolarToCartesian(keras.layers.Layer):
    """Resamples polar feature maps (rows = radius, columns = angle) back to an ``height x width`` image.

    The inverse of :class:`CartesianToPolar` up to interpolation: for every output pixel, the polar map is sampled
    bilinearly at the pixel's radius and angle, with the angle wrapping around.

    Args:
        height: output image height.
        width: output image width.
        **kwargs: base ``keras.layers.Layer`` arguments.

    Call arguments:
        inputs: polar maps ``(N, num_radii, num_angles, C)`` with known grid size.

    Input shape: ``(N, num_radii, num_angles, C)``. Output shape: ``(N, height, width, C)``.

    Example:
        >>> image = PolarToCartesian(32, 32)(keras.ops.ones((2, 32, 32, 3)))  # (2, 32, 32, 3)
    """

    def __init__(self, height: int, width: int, **kwargs) -> None:
        super().__init__(**kwargs)
        for name, value in (("height", height), ("width", width)):
            if int(value) != value or value < 1:
                raise ValueError(f"`{name}` must be a positive integer; received {name}={value!r}.")
        self.height = int(height)
        self.width = int(width)

    def build(self, input_shape: tuple) -> None:
        num_radii, num_angles = _check_spatial(self, input_shape)
        self._indices, self._weights = polar_to_cartesian_table(self.height, self.width, num_radii, num_angles)

    def call(self, inputs):
        return resample(inputs, self._indices, self._weights, self.height, self.width)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        _check_spatial(self, input_shape)
        return (input_shape[0], self.height, self.width, input_shape[3])

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}
