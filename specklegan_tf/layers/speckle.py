"""The speckle layer (paper, section "Speckle layer", Eq. 2).

``I_sp = | IFFT2( FFT2(I * exp(j phi)) * rect_d ) |``: every feature map ``I`` is multiplied by a field of uniform
random phases ``phi`` (the rough object of Fourier optics), low-pass filtered by a square window of edge length ``d``
frequency bins (the lens aperture), and its magnitude taken. A small window means a coarse speckle grain. The edge
lengths ``d_k`` of ``K`` windows are trainable, so the network learns the grain size of its data.

The trainable weight is ``log_window = log(d)`` rather than ``d`` itself: Adam moves a weight by about one learning
rate per step whatever the gradient's scale, so a weight in bins (14 to 24 at 128 px) moved about one bin per
1,000 steps at lr 1e-3 and the windows kept their initial size; in log space every step changes the grain by the
same *relative* amount (about 0.1 % at lr 1e-3), at any image size. With ``window_shape="rectangular"`` the two axes
of the speckle grid (radial and angular in polar mode) get independent edge lengths: IVUS speckle is finer along
the A-line than across it.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import tensorflow as tf
import keras
from keras import ops

from specklegan_tf.layers.attention import ChannelAttention
from specklegan_tf.layers.polar import CartesianToPolar, PolarToCartesian, adjoint_table, polar_grid_shape
from specklegan_tf.layers.speckle_kernel import (
    PolarTables,
    compiled_kernel_allowed,
    compiled_speckle_magnitudes,
    speckle_magnitudes,
)

__all__ = ["SpeckleLayer", "WindowSizeRange", "soft_window_1d", "gaussian_window_1d", "EDGE_SOFTNESS", "WINDOW_SHAPES",
           "WINDOW_PROFILES", "scaled_windows", "COMPRESSIONS"]

WINDOW_SHAPES = ("square", "rectangular")
WINDOW_PROFILES = ("rect", "gaussian")
COMPRESSIONS = ("none", "log")

# Floor of the log compression, relative to amplitudes of order 1: keeps log finite in the speckle's dark spots
# (the Rayleigh amplitude has no gap at 0) while leaving ~4.6 nepers (40 dB) of dynamic range below amplitude 1.
LOG_COMPRESSION_FLOOR = 0.01

# Slope of the sigmoid window edge, in bins: sigmoid(x / 0.25) rises from 10% to 90% over 4.4 * 0.25 = 1.1 bins,
# i.e. an edge about one bin wide. Sharp enough to act like the paper's rect, soft enough to give d a gradient.
EDGE_SOFTNESS = 0.25


def soft_window_1d(edge_length, size: int):
    """One axis of the soft rect window in FFT order (zero frequency at index 0).

    ``w(f) = sigmoid((edge_length / 2 - |f|) / EDGE_SOFTNESS)`` for the signed bin index
    ``f = 0, 1, ..., -2, -1`` (NumPy's ``fftfreq(size) * size``). ``sum(w)`` is close to ``edge_length``.

    Args:
        edge_length: tensor ``(K,)``, edge lengths in bins of this axis.
        size: number of bins of the axis.

    Returns:
        float32 tensor ``(K, size)``.
    """
    freq = np.abs(np.fft.fftfreq(size) * size).astype(np.float32)
    half = ops.expand_dims(ops.cast(edge_length, "float32") / 2.0, -1)
    return ops.sigmoid((half - ops.convert_to_tensor(freq)[None, :]) / EDGE_SOFTNESS)


def gaussian_window_1d(edge_length, size: int):
    """One axis of a Gaussian window of equivalent width ``edge_length`` bins, in FFT order.

    ``w(f) = exp(-f^2 / (2 sigma^2))`` with ``sigma = edge_length / sqrt(2 pi)``, so that ``sum(w)`` is about
    ``edge_length``, as for the rect of the same edge length. Why a Gaussian: a transducer's pulse and beam are
    close to Gaussian, so a real scanner's speckle spectrum falls off smoothly; the rect's hard cut-off leaves a
    plateau and no energy beyond the window, a texture a discriminator tells apart.

    Args:
        edge_length: tensor ``(K,)``, equivalent widths in bins of this axis.
        size: number of bins of the axis.

    Returns:
        float32 tensor ``(K, size)``.
    """
    freq = np.abs(np.fft.fftfreq(size) * size).astype(np.float32)
    sigma = ops.expand_dims(ops.cast(edge_length, "float32") / math.sqrt(2.0 * math.pi), -1)
    return ops.exp(-0.5 * ops.square(ops.convert_to_tensor(freq)[None, :] / sigma))


def scaled_windows(d_rows, d_cols, grid: tuple[int, int], profile: str = "rect"):
    """The soft windows of edge lengths ``(d_rows, d_cols)`` on a ``grid``, scaled to keep the mean power.

    Args:
        d_rows, d_cols: float32 ``(K,)``, edge lengths in bins of the grid's shorter axis ``S`` along its rows and
            its columns axis; each is stretched by ``axis length / S`` on its own axis.
        grid: ``(rows, cols)`` of the speckle grid.
        profile: ``"rect"`` (:func:`soft_window_1d`, the paper) or ``"gaussian"`` (:func:`gaussian_window_1d`).

    Returns:
        float32 ``(K, rows, cols)`` in FFT order: ``s_k * w_{d_k}`` with ``s_k = sqrt(rows * cols / sum(w^2))``.
    """
    if profile not in WINDOW_PROFILES:
        raise ValueError(f"`profile` must be one of {WINDOW_PROFILES}; received {profile!r}.")
    window_1d = soft_window_1d if profile == "rect" else gaussian_window_1d
    rows, cols = grid
    short_side = float(min(grid))
    w_rows = window_1d(d_rows * (rows / short_side), rows)  # (K, rows)
    w_cols = window_1d(d_cols * (cols / short_side), cols)  # (K, cols)
    # sum over the 2-D window of w^2 factorises into the product of the 1-D sums.
    energy = ops.sum(w_rows**2, axis=1) * ops.sum(w_cols**2, axis=1)
    scale = ops.sqrt(float(rows * cols) / energy)
    return w_rows[:, :, None] * w_cols[:, None, :] * scale[:, None, None]


@keras.saving.register_keras_serializable(package="specklegan_tf")
class WindowSizeRange(keras.constraints.Constraint):
    """Clips a weight to ``[min_value, max_value]`` after every optimizer step.

    The speckle layer applies it to ``log_window`` with the bounds ``[log 1, log S]``, i.e. window edge lengths
    within ``[1, S]`` bins.
    """

    def __init__(self, min_value: float, max_value: float) -> None:
        self.min_value = float(min_value)
        self.max_value = float(max_value)

    def __call__(self, w):
        return ops.clip(w, self.min_value, self.max_value)

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value}


def _check_initial_window_sizes(sizes, num_sizes: int, reference_size: int):
    """``None``, or a tuple of ``num_sizes`` numbers or pairs, each in ``[1, reference_size]`` bins."""
    if sizes is None:
        return None
    try:
        array = np.asarray(sizes, np.float64)
    except (TypeError, ValueError):
        array = np.zeros((0,))
    if array.shape not in ((num_sizes,), (num_sizes, 2)) or not np.all(np.isfinite(array)):
        raise ValueError(
            f"`initial_window_sizes` must be {num_sizes} numbers or {num_sizes} pairs (rows axis, columns axis), "
            f"one per window; received initial_window_sizes={sizes!r}."
        )
    if np.any(array <= 0) or np.any(array > reference_size):
        raise ValueError(
            f"`initial_window_sizes` must lie in (0, reference_size={reference_size}] bins; "
            f"received initial_window_sizes={sizes!r}."
        )
    return tuple(float(v) for v in array) if array.ndim == 1 else tuple((float(a), float(b)) for a, b in array)


@keras.saving.register_keras_serializable(package="specklegan_tf")
class SpeckleLayer(keras.layers.Layer):
    """Adds fully developed speckle of ``num_sizes`` learnable grain sizes to every feature map (Eq. 2).

    For each input map ``I`` and each size ``k``: ``|IFFT2(FFT2(I * exp(j phi)) * rect_{d_k})| * s_k`` with phases
    ``phi`` uniform in [0, 2 pi) per pixel, per sample and per map, drawn anew on every call (training and inference
    alike). ``rect_{d_k}`` is a square window of edge length ``d_k`` bins centred on zero frequency, with sigmoid edges
    about one bin wide (``EDGE_SOFTNESS``) so that ``d_k`` receives a gradient. The factor
    ``s_k = sqrt(H * W / sum(rect_{d_k}^2))`` (computed from the actual soft window) makes the layer change texture,
    not brightness: for a constant input ``a`` the mean of the squared output is ``a^2``, and the output amplitude is
    Rayleigh distributed (mean/std = 1.91).

    Window sizes: ``d_k`` is in frequency bins along the shorter spatial axis ``S = min(H, W)`` of the grid the
    speckle is applied on; along the other axis the edge is scaled by its length, so a square window is square in
    cycles per pixel and grains are round also on non-square maps. The trainable weight is
    ``log_window = log(d)`` (shape ``(num_sizes,)``, or ``(num_sizes, 2)`` for rectangular windows: the edge along
    the grid's rows axis, then along its columns axis), so that an optimizer step changes the grain by a relative
    amount: see the module docstring. ``d_k`` is initialised evenly spaced over ``window_init * S /
    reference_size`` (the paper: 28 to 48 bins for 256-pixel images), or from ``initial_window_sizes``, at least 1,
    and kept within ``[1, S]`` (a constraint after each optimizer step and a clip in the forward pass). The grain
    size is about ``S / d_k`` pixels (along each axis, for rectangular windows).

    Output channel ``c * num_sizes + k`` holds input map ``c`` with grain size ``k``: the paper's "4 feature maps
    each exhibit the same morphology but with different speckle sizes".

    Args:
        num_sizes: number of grain sizes ``K`` (paper: 4). Output channels: ``C * K``.
        window_init: ``(low, high)`` window edge lengths in bins of a ``reference_size`` image,
            ``0 < low <= high <= reference_size``.
        window_shape: ``"square"`` (the paper: one edge length per window) or ``"rectangular"`` (independent
            edge lengths along the two axes of the speckle grid: rows and columns, i.e. radius (axial) and angle
            (lateral) in polar mode).
        window_profile: ``"rect"`` (the paper's ``rect_d``, with soft edges) or ``"gaussian"``: a Gaussian
            aperture of the same equivalent width ``d`` (``gaussian_window_1d``), the spectrum of a Gaussian pulse
            and beam.
        initial_window_sizes: optional explicit initial edge lengths in bins of a ``reference_size`` image,
            instead of ``window_init``: ``K`` numbers, or ``K`` pairs ``(rows_axis, columns_axis)`` (rectangular
            windows; a square layer takes their geometric mean). :func:`specklegan_tf.layers.window_sizes_for_grain`
            computes them from the grain sizes measured on training images.
        compression: ``"none"`` (the paper: the envelope ``|.|``) or ``"log"``: ``log(|.| + 0.01)``, the log
            compression that turns an ultrasound envelope into the displayed B-mode gray level, so the network
            need not learn it (the channel attention then weights the compressed maps).
        shared_phases: draw one phase field per sample and use it for every input map (``False``: one per map,
            as the paper's formulation reads). Physically the phases are the scatterers' positions, which all
            feature maps of one image share: the maps' speckle patterns then line up instead of averaging out
            when the next layer sums them.
        reference_size: image size ``window_init`` refers to; the initial windows scale with ``S / reference_size``.
        polar: apply speckle on a polar grid about the image centre and resample back (paper Fig. 2), so that grains
            widen laterally with the distance from the centre as in IVUS. The polar grid has ``H`` radii (0 to the
            corner distance) and ``W`` angles (see :mod:`specklegan_tf.layers.polar`); resampling is bilinear and
            differentiable.
        attention: weight the output maps with channel attention computed from the input maps (global pooling,
            dense + ReLU, dense + sigmoid; :class:`~specklegan_tf.layers.ChannelAttention`).
        attention_pooling: ``"mean"`` (default) or ``"sum"``. The paper sums; the mean is that sum divided by the
            constant ``H * W``, a factor the first dense layer can absorb. It is the default because with the sum
            the sigmoid saturates: measured on 256 x 256 maps of magnitude ~0.4 at initialisation, 100% of the
            coefficients were exactly 0 or 1 (no gradient, a frozen random channel mask) with ``"sum"``, none
            with ``"mean"`` (coefficients 0.39 to 0.57).
        seed: seed of the layer's ``keras.random.SeedGenerator``; the same seed reproduces the same phase sequence.
            As for Keras' own random layers, the generator's state is not saved in ``.keras`` files: a loaded layer
            restarts the sequence from its seed.
        compiled: compute Eq. 2 (and the polar resampling) in XLA-compiled forward and backward kernels with a
            hand-written gradient (:mod:`specklegan_tf.layers.speckle_kernel`): the same numbers, measured 1.8x
            (polar) and 1.4x (Cartesian) faster for forward + backward at 256 px on a 2-core CPU. ``False`` runs
            plain TensorFlow ops. Either way the phases are drawn outside the kernels. Inside
            ``speckle_kernel.plain_tensorflow_kernel()`` (used by the SavedModel exports, because TF Serving
            compiles XLA on CPU only behind an experimental flag) the plain ops are used regardless.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: real feature maps ``(N, H, W, C)``, with known ``H``, ``W`` and ``C``.
        training: accepted for Keras compatibility; speckle is drawn in training and inference alike.
        phases: optional explicit phases in radians, shape ``phase_shape(inputs.shape)``: ``(N, H, W, C)`` on the
            image grid, or on the polar grid (``(N, H, W, C)`` too, rows = radii, columns = angles) when ``polar``.
        phase_seeds: optional int32 ``(N, 2)`` per-sample stateless seeds. Each sample's phases are then drawn with
            ``tf.random.stateless_uniform`` (Philox, named explicitly instead of the device-dependent default)
            from its own seed, so a sample's speckle does not depend on the rest of the batch and the layer is a
            deterministic function of ``(inputs, phase_seeds)``. May be a KerasTensor in a functional model.
            Note: XLA implements Philox with a different stream, so under ``jit_compile=True`` the phases for a
            seed are deterministic but not the ones drawn without XLA (eager, graph mode, exported SavedModels).
        Without ``phases`` and ``phase_seeds`` the phases come from ``keras.random.uniform`` with the layer's
        ``SeedGenerator``; under ``tf.distribute`` with several replicas the replica id is folded into the seed
        (``tf.random.experimental.stateless_fold_in``) so that the replicas draw different phases.

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, H, W, C * num_sizes)``, in the layer's compute dtype
    (float16 under ``mixed_float16``: the FFTs always run in float32 / complex64).

    Example:
        >>> layer = SpeckleLayer(num_sizes=4, seed=0)
        >>> y = layer(keras.ops.ones((2, 64, 64, 8)))   # (2, 64, 64, 32)
        >>> layer.window_sizes                           # d_k in bins: 7, 8.67, 10.33, 12 for 64-pixel maps
        >>> SpeckleLayer(window_shape="rectangular", polar=True)  # window_sizes of shape (4, 2) once built
    """

    def __init__(
        self,
        num_sizes: int = 4,
        window_init: Sequence[float] = (28.0, 48.0),
        reference_size: int = 256,
        polar: bool = False,
        attention: bool = True,
        seed: int | None = None,
        attention_pooling: str = "mean",
        compiled: bool = True,
        window_shape: str = "square",
        initial_window_sizes: Sequence | None = None,
        compression: str = "none",
        shared_phases: bool = False,
        window_profile: str = "rect",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if window_profile not in WINDOW_PROFILES:
            raise ValueError(
                f"`window_profile` must be one of {WINDOW_PROFILES}; received window_profile={window_profile!r}.")
        self.window_profile = window_profile
        self.shared_phases = bool(shared_phases)
        if compression not in COMPRESSIONS:
            raise ValueError(f"`compression` must be one of {COMPRESSIONS}; received compression={compression!r}.")
        self.compression = compression
        if window_shape not in WINDOW_SHAPES:
            raise ValueError(f"`window_shape` must be one of {WINDOW_SHAPES}; received window_shape={window_shape!r}.")
        if isinstance(num_sizes, bool) or int(num_sizes) != num_sizes or num_sizes < 1:
            raise ValueError(f"`num_sizes` must be an integer >= 1; received num_sizes={num_sizes!r}.")
        if isinstance(reference_size, bool) or int(reference_size) != reference_size or reference_size < 1:
            raise ValueError(
                f"`reference_size` must be a positive integer; received reference_size={reference_size!r}."
            )
        try:
            low, high = (float(v) for v in window_init)
        except (TypeError, ValueError):
            raise ValueError(
                f"`window_init` must be a pair (low, high) of numbers; received window_init={window_init!r}."
            ) from None
        if not (0.0 < low <= high <= reference_size):
            raise ValueError(
                "`window_init` must satisfy 0 < low <= high <= image size (reference_size="
                f"{reference_size}); received window_init={tuple(window_init)!r}."
            )
        if attention_pooling not in ("mean", "sum"):
            raise ValueError(
                f"`attention_pooling` must be 'mean' or 'sum'; received attention_pooling={attention_pooling!r}."
            )
        self.num_sizes = int(num_sizes)
        self.window_shape = window_shape
        self.initial_window_sizes = _check_initial_window_sizes(initial_window_sizes, self.num_sizes,
                                                                int(reference_size))
        # Set by from_config for a configuration written before log_window existed (its weight is ``d`` in bins).
        self._load_linear_window_weight = False
        self.window_init = (low, high)
        self.reference_size = int(reference_size)
        self.polar = bool(polar)
        self.attention = bool(attention)
        self.attention_pooling = attention_pooling
        self.seed = seed
        self.compiled = bool(compiled)
        self.seed_generator = keras.random.SeedGenerator(seed, name="speckle_seed_generator")

    # ----------------------------------------------------------------------------------------------- shapes
    def _check_input_shape(self, input_shape) -> tuple[int, int, int]:
        input_shape = tuple(input_shape)
        if len(input_shape) != 4:
            raise ValueError(
                f"SpeckleLayer expects inputs of rank 4 (N, H, W, C); received shape {input_shape}."
            )
        height, width, channels = input_shape[1:]
        if height is None or width is None or channels is None:
            raise ValueError(
                "SpeckleLayer needs known height, width and channels (the window and the attention are sized "
                f"from them); received input shape {input_shape}."
            )
        return int(height), int(width), int(channels)

    def phase_shape(self, input_shape) -> tuple:
        """Shape of the phases the layer draws (and of the ``phases`` call argument) for ``input_shape``.

        ``(N, H, W, C)`` in Cartesian mode; in polar mode ``(N, num_radii, num_angles, C)``, which with the default
        polar grid is also ``(N, H, W, C)``. With ``shared_phases`` the last axis is 1.
        """
        height, width, channels = self._check_input_shape(input_shape)
        grid = polar_grid_shape(height, width) if self.polar else (height, width)
        return (input_shape[0], *grid, 1 if self.shared_phases else channels)

    def compute_output_shape(self, input_shape) -> tuple:
        height, width, channels = self._check_input_shape(input_shape)
        return (input_shape[0], height, width, channels * self.num_sizes)

    # ------------------------------------------------------------------------------------------------ build
    def build(self, input_shape) -> None:
        height, width, channels = self._check_input_shape(input_shape)
        self._grid = polar_grid_shape(height, width) if self.polar else (height, width)
        short_side = float(min(self._grid))
        self._max_window = short_side
        initial = np.clip(self._initial_bins() * short_side / self.reference_size, 1.0, short_side)
        self.log_window = self.add_weight(
            shape=initial.shape,
            initializer=keras.initializers.Constant(np.log(initial).astype(np.float32)),
            constraint=WindowSizeRange(0.0, math.log(short_side)),
            trainable=True,
            dtype="float32",
            name="log_window",
        )
        if self.polar:
            # The resampling layers hold the gather tables; the speckle kernels apply them (with their adjoints for
            # the compiled gradient) rather than calling the layers.
            self.to_polar = CartesianToPolar(dtype="float32", name="to_polar")
            self.to_polar.build((None, height, width, channels))
            self.to_cartesian = PolarToCartesian(height, width, dtype="float32", name="to_cartesian")
            self.to_cartesian.build((None, *self._grid, channels * self.num_sizes))
            to_polar = (self.to_polar._indices, self.to_polar._weights)
            to_cartesian = (self.to_cartesian._indices, self.to_cartesian._weights)
            self._polar_tables = PolarTables(
                to_polar=to_polar,
                to_cartesian=to_cartesian,
                to_polar_adjoint=adjoint_table(*to_polar, height * width),
                to_cartesian_adjoint=adjoint_table(*to_cartesian, self._grid[0] * self._grid[1]),
                grid=tuple(self._grid),
                image=(height, width),
            )
        if self.attention:
            self.channel_attention = ChannelAttention(
                channels * self.num_sizes, pooling=self.attention_pooling, dtype="float32", name="channel_attention"
            )
            self.channel_attention.build(
                [(None, height, width, channels), (None, height, width, channels * self.num_sizes)]
            )

    def _initial_bins(self) -> np.ndarray:
        """Initial edge lengths in bins of a ``reference_size`` image: ``(K,)`` square, ``(K, 2)`` rectangular."""
        if self.initial_window_sizes is None:
            square = np.linspace(self.window_init[0], self.window_init[1], self.num_sizes)
        else:
            given = np.asarray(self.initial_window_sizes, np.float64)
            if given.ndim == 1:
                square = given
            elif self.window_shape == "rectangular":
                return given
            else:
                square = np.sqrt(given[:, 0] * given[:, 1])
        return square if self.window_shape == "square" else np.stack([square, square], axis=1)

    def _edge_lengths(self):
        """``(d_rows, d_cols)``: float32 ``(K,)`` each, in bins of the shorter grid axis, clipped to ``[1, S]``."""
        d = ops.clip(ops.exp(self.log_window), 1.0, self._max_window)
        if self.window_shape == "square":
            return d, d
        return d[:, 0], d[:, 1]

    @property
    def window_sizes(self):
        """Current ``d_k`` in bins (along the shorter axis of the speckle grid), clipped to ``[1, S]``.

        Shape ``(num_sizes,)`` for square windows; ``(num_sizes, 2)`` for rectangular ones (edge along the grid's
        rows, i.e. radius in polar mode, then along its columns, i.e. angle). A NumPy array when called eagerly, a
        float32 tensor inside a ``tf.function``.
        """
        if not self.built:
            raise ValueError("SpeckleLayer.window_sizes is defined once the layer is built (called on an input).")
        value = ops.clip(ops.exp(self.log_window), 1.0, self._max_window)
        return ops.convert_to_numpy(value) if tf.executing_eagerly() else value

    # ------------------------------------------------------------------------------------------------- call
    def windows(self):
        """The scaled soft windows ``s_k * rect_{d_k}``, float32 ``(num_sizes, grid_H, grid_W)`` in FFT order."""
        d_rows, d_cols = self._edge_lengths()
        return scaled_windows(d_rows, d_cols, self._grid, self.window_profile)

    def _draw_phases(self, batch, channels: int, phases, phase_seeds):
        rows, cols = self._grid
        if phases is not None and phase_seeds is not None:
            raise ValueError("Pass at most one of `phases` and `phase_seeds` to SpeckleLayer.")
        if phases is not None:
            expected = (rows, cols, channels)
            if len(phases.shape) != 4 or tuple(phases.shape[1:]) != expected:
                raise ValueError(
                    f"`phases` must have shape (N, {rows}, {cols}, {channels}) (see SpeckleLayer.phase_shape); "
                    f"received {tuple(phases.shape)}."
                )
            return ops.cast(phases, "float32")
        if phase_seeds is not None:
            if len(phase_seeds.shape) != 2 or phase_seeds.shape[-1] != 2:
                raise ValueError(f"`phase_seeds` must have shape (N, 2); received {tuple(phase_seeds.shape)}.")
            seeds = tf.cast(phase_seeds, tf.int32)

            def draw(seed):
                return tf.random.stateless_uniform(
                    (rows, cols, channels), seed=seed, minval=0.0, maxval=2.0 * math.pi,
                    dtype=tf.float32, alg=tf.random.Algorithm.PHILOX,
                )

            return tf.map_fn(draw, seeds, fn_output_signature=tf.TensorSpec((rows, cols, channels), tf.float32))
        shape = (batch, rows, cols, channels)
        replica = tf.distribute.get_replica_context()
        if replica is not None and replica.num_replicas_in_sync > 1:
            # Every replica holds a copy of the seed state: without folding in the replica id, all replicas would
            # draw the same phases and the halves of a global batch would share their speckle.
            seed = tf.cast(tf.math.floormod(self.seed_generator.next(), tf.int32.max - 1), tf.int32)
            seed = tf.random.experimental.stateless_fold_in(seed, replica.replica_id_in_sync_group)
            return tf.random.stateless_uniform(shape, seed=seed, minval=0.0, maxval=2.0 * math.pi, dtype=tf.float32)
        return keras.random.uniform(shape, minval=0.0, maxval=2.0 * math.pi, dtype="float32", seed=self.seed_generator)

    def call(self, inputs, training=None, phases=None, phase_seeds=None):
        channels = inputs.shape[-1]
        batch = ops.shape(inputs)[0]
        x = ops.cast(inputs, "float32")
        phi = self._draw_phases(batch, 1 if self.shared_phases else channels, phases, phase_seeds)
        if self.shared_phases:
            phi = ops.repeat(phi, channels, axis=-1)  # one rough object for every map: the kernels take (N, ., ., C)
        kernel = compiled_speckle_magnitudes if self.compiled and compiled_kernel_allowed() else speckle_magnitudes
        speckled = kernel(x, phi, self.windows(), self._polar_tables if self.polar else None)
        if self.compression == "log":
            speckled = ops.log(speckled + LOG_COMPRESSION_FLOOR)
        if self.attention:
            speckled = self.channel_attention([x, speckled])
        return ops.cast(speckled, self.compute_dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_sizes": self.num_sizes,
            "window_init": list(self.window_init),
            "reference_size": self.reference_size,
            "polar": self.polar,
            "attention": self.attention,
            "attention_pooling": self.attention_pooling,
            "seed": self.seed,
            "compiled": self.compiled,
            "window_shape": self.window_shape,
            "initial_window_sizes": None if self.initial_window_sizes is None
            else [list(v) if isinstance(v, (list, tuple)) else v for v in self.initial_window_sizes],
            "window_parametrization": "log",
            "compression": self.compression,
            "shared_phases": self.shared_phases,
            "window_profile": self.window_profile,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        # Files written before version 0.2 hold the window edge lengths themselves (weight "d", in bins) and have
        # no "window_parametrization" entry; load_own_variables converts them.
        linear = config.pop("window_parametrization", "linear") != "log"
        layer = cls(**config)
        layer._load_linear_window_weight = linear
        return layer

    def load_own_variables(self, store):
        if not self._load_linear_window_weight:
            return super().load_own_variables(store)
        if len(store.keys()) != 1:
            raise ValueError(
                f"SpeckleLayer '{self.name}': a file written before version 0.2 must hold exactly one own weight "
                f"(the window edge lengths 'd' in bins); this one holds {len(store.keys())}. Re-save it with the "
                "version that wrote it, or rebuild the layer and set `log_window` yourself."
            )
        d = np.asarray(store["0"], np.float64)
        if d.shape != (self.num_sizes,):
            raise ValueError(
                f"SpeckleLayer '{self.name}': the file's window weight 'd' has shape {d.shape}, expected "
                f"({self.num_sizes},)."
            )
        self.log_window.assign(np.log(np.clip(d, 1.0, self._max_window)).astype(np.float32))
