"""The speckle layer (paper, section "Speckle layer", Eq. 2).

``I_sp = | IFFT2( FFT2(I * exp(j phi)) * rect_d ) |``: every feature map ``I`` is multiplied by a field of uniform
random phases ``phi`` (the rough object of Fourier optics), low-pass filtered by a square window of edge length ``d``
frequency bins (the lens aperture), and its magnitude taken. A small window means a coarse speckle grain. The edge
lengths ``d_k`` of ``K`` windows are trainable, so the network learns the grain size of its data. With
``window_shape="rectangular"`` the two axes of the speckle grid (radial and angular in polar mode) get independent
edge lengths: IVUS speckle is finer along the A-line than across it. With ``lateral_aperture="depth_scaled"`` (polar
mode) the angular window also changes with the radius, as an IVUS beam's does
(:mod:`~specklegan_tf.layers.speckle_aperture`).

The layer's parts have their own modules: the windows and the log parametrisation of their sizes in
:mod:`~specklegan_tf.layers.speckle_windows`, the random phases in :mod:`~specklegan_tf.layers.speckle_phases`,
the computation of Eq. 2 in :mod:`~specklegan_tf.layers.speckle_kernel`. Their public names stay importable from
here.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import tensorflow as tf
import keras
from keras import ops

from specklegan_tf.layers.attention import ChannelAttention
from specklegan_tf.layers.polar import CartesianToPolar, PolarToCartesian, polar_grid_shape
from specklegan_tf.layers.speckle_aperture import (
    DEFAULT_APERTURE_EXPONENT,
    LATERAL_APERTURES,
    compiled_depth_scaled_speckle_magnitudes,
    depth_scaled_speckle_magnitudes,
    depth_scaled_windows,
)
from specklegan_tf.layers.speckle_kernel import (
    PolarTables,
    compiled_kernel_allowed,
    compiled_speckle_magnitudes,
    speckle_magnitudes,
)
from specklegan_tf.layers.speckle_phases import draw_phases
from specklegan_tf.layers.speckle_windows import (
    EDGE_SOFTNESS,
    WINDOW_PROFILES,
    WINDOW_SHAPES,
    WindowSizeRange,
    check_initial_window_sizes,
    check_window_arguments,
    gaussian_window_1d,
    initial_edge_lengths,
    log_window_from_linear,
    scaled_windows,
    soft_window_1d,
)

# The window names were defined here before they got their own module; they stay importable from here.
__all__ = ["SpeckleLayer", "WindowSizeRange", "soft_window_1d", "gaussian_window_1d", "EDGE_SOFTNESS", "WINDOW_SHAPES",
           "WINDOW_PROFILES", "scaled_windows", "COMPRESSIONS"]

COMPRESSIONS = ("none", "log")
INPUT_DOMAINS = ("amplitude", "log")

# With input_domain="log" the inputs are log amplitudes, softly clipped to +-LOG_INPUT_LIMIT nepers before exp
# (87 dB either side of amplitude 1: more than any B-mode dynamic range) so that exp stays finite.
LOG_INPUT_LIMIT = 10.0

# Floor of the log compression, relative to amplitudes of order 1: keeps log finite in the speckle's dark spots
# (the Rayleigh amplitude has no gap at 0) while leaving ~4.6 nepers (40 dB) of dynamic range below amplitude 1.
LOG_COMPRESSION_FLOOR = 0.01

# Upper bound of the depth-scaled aperture's exponent: beyond 1 a grain would narrow in pixels with depth, which no
# diverging beam does; 1.5 leaves the optimizer room past 1 without letting the window collapse near the centre.
MAX_APERTURE_EXPONENT = 1.5


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

    Window sizes: ``d_k`` is in frequency bins along the shorter spatial axis ``S = min(H, W)`` of the speckle
    grid, scaled along the other axis by its length (grains are round also on non-square maps); the grain is about
    ``S / d_k`` pixels. The trainable weight is ``log_window = log(d)``, shape ``(num_sizes,)`` or ``(num_sizes, 2)``
    for rectangular windows (rows axis, then columns axis), so that an optimizer step changes the grain by a
    relative amount (:mod:`~specklegan_tf.layers.speckle_windows`). ``d_k`` starts evenly spaced over
    ``window_init * S / reference_size`` (the paper: 28 to 48 bins at 256 px) or at ``initial_window_sizes``, and
    is kept within ``[1, S]`` (a constraint after each optimizer step and a clip in the forward pass).

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
        input_domain: ``"amplitude"`` (the paper: ``I`` is the scatterers' amplitude) or ``"log"``: the inputs are
            log amplitudes (log echogenicity), ``I = exp(x)``, ``x`` softly clipped to ``+-LOG_INPUT_LIMIT`` nepers. With
            ``compression="log"`` the layer then maps a log-echogenicity map to a log-compressed B-mode map,
            ``log(exp(x) * R + exp(-LOG_INPUT_LIMIT))`` with ``R`` the speckle's Rayleigh factor, i.e. it *adds*
            log speckle; the floor is the smallest amplitude the inputs can express instead of 0.01.
        reference_size: image size ``window_init`` refers to; the initial windows scale with ``S / reference_size``.
        polar: apply speckle on a polar grid about the image centre and resample back (paper Fig. 2), so that grains
            widen laterally with the distance from the centre as in IVUS. The polar grid has ``H`` radii (0 to the
            corner distance) and ``W`` angles (see :mod:`specklegan_tf.layers.polar`); resampling is bilinear and
            differentiable.
        attention: weight the output maps with channel attention computed from the input maps (global pooling,
            dense + ReLU, dense + sigmoid; :class:`~specklegan_tf.layers.ChannelAttention`).
        attention_pooling: ``"mean"`` (default) or ``"sum"``. The paper sums; the mean is that sum divided by the
            constant ``H * W``, a factor the first dense layer can absorb. It is the default because a sum over
            large maps drives the sigmoid into saturation at initialisation: coefficients of exactly 0 or 1 pass no
            gradient, a frozen random channel mask (numbers in docs/measurements/floors.md).
        learn_windows: train the window sizes (the paper's learned speckle sizes). ``False`` keeps them at their
            initial values (``log_window`` is then a non-trainable weight): the ablation that tells what learning
            the sizes adds over starting them at the data's grain.
        seed: seed of the layer's ``keras.random.SeedGenerator``; the same seed reproduces the same phase sequence.
            As for Keras' own random layers, the generator's state is not saved in ``.keras`` files: a loaded layer
            restarts the sequence from its seed.
        lateral_aperture: ``"fixed_angle"`` (the paper: one window at every radius, so a grain spans a fixed angle)
            or ``"depth_scaled"`` (polar mode only): the angular edge length at radius ``r`` is
            ``d_theta * (r / r_ref) ** gamma`` with a learnable exponent ``gamma`` (0: fixed angle, 1: fixed width
            in pixels), ``r_ref`` the middle radius of the polar grid; the filtering is then separable, along the
            radius first and across the angles at each radius (:mod:`~specklegan_tf.layers.speckle_aperture`).
        initial_aperture_exponent: the starting ``gamma`` of ``"depth_scaled"``, within ``[0, 1.5]``.
        compiled: compute Eq. 2 (and the polar resampling) in XLA-compiled forward and backward kernels with a
            hand-written gradient (:mod:`specklegan_tf.layers.speckle_kernel`): the same numbers, faster because
            XLA fuses the element-wise work around the FFTs and the gradient reuses the forward pass's fields
            (``benchmarks/speckle_layer.py`` measures it). ``False`` runs plain TensorFlow ops. Either way the
            phases are drawn outside the kernels. Inside
            ``speckle_kernel.plain_tensorflow_kernel()`` (used by the SavedModel exports, because TF Serving
            compiles XLA on CPU only behind an experimental flag) the plain ops are used regardless.
        **kwargs: base ``keras.layers.Layer`` arguments (``name``, ``dtype``, ...).

    Call arguments:
        inputs: real feature maps ``(N, H, W, C)``, with known ``H``, ``W`` and ``C``.
        training: accepted for Keras compatibility; speckle is drawn in training and inference alike.
        phases: optional explicit phases in radians, shape ``phase_shape(inputs.shape)``: ``(N, H, W, C)`` on the
            image grid, or on the polar grid (``(N, H, W, C)`` too, rows = radii, columns = angles) when ``polar``.
        phase_seeds: optional int32 ``(N, 2)`` per-sample stateless seeds (Philox): a sample's speckle then does not
            depend on the rest of the batch and the layer is a deterministic function of ``(inputs, phase_seeds)``.
            May be a KerasTensor in a functional model. XLA implements Philox with a different stream, so under
            ``jit_compile=True`` the phases for a seed are deterministic but not the ones drawn without XLA.
        Without ``phases`` and ``phase_seeds`` the layer's ``SeedGenerator`` draws them, with the replica id folded
        in under ``tf.distribute`` (:mod:`~specklegan_tf.layers.speckle_phases`).

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
        input_domain: str = "amplitude",
        lateral_aperture: str = "fixed_angle",
        initial_aperture_exponent: float = DEFAULT_APERTURE_EXPONENT,
        learn_windows: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if lateral_aperture not in LATERAL_APERTURES:
            raise ValueError(f"`lateral_aperture` must be one of {LATERAL_APERTURES}; received {lateral_aperture!r}.")
        if lateral_aperture == "depth_scaled" and not polar:
            raise ValueError("lateral_aperture='depth_scaled' scales the angular window with the radius: it needs "
                             "polar=True.")
        if not 0.0 <= float(initial_aperture_exponent) <= MAX_APERTURE_EXPONENT:
            raise ValueError(f"`initial_aperture_exponent` must be within [0, {MAX_APERTURE_EXPONENT}]; received "
                             f"{initial_aperture_exponent!r}.")
        self.lateral_aperture = lateral_aperture
        self.learn_windows = bool(learn_windows)
        self.initial_aperture_exponent = float(initial_aperture_exponent)
        if compression not in COMPRESSIONS:
            raise ValueError(f"`compression` must be one of {COMPRESSIONS}; received compression={compression!r}.")
        if input_domain not in INPUT_DOMAINS:
            raise ValueError(f"`input_domain` must be one of {INPUT_DOMAINS}; received input_domain={input_domain!r}.")
        self.input_domain = input_domain
        # Log inputs can ask for amplitudes down to exp(-LOG_INPUT_LIMIT): the floor sits there, so that every level
        # they can express stays distinct after compression (a display then clips at the level it wants).
        self._compression_floor = math.exp(-LOG_INPUT_LIMIT) if input_domain == "log" else LOG_COMPRESSION_FLOOR
        if isinstance(num_sizes, bool) or int(num_sizes) != num_sizes or num_sizes < 1:
            raise ValueError(f"`num_sizes` must be an integer >= 1; received num_sizes={num_sizes!r}.")
        low, high = check_window_arguments(window_init, reference_size, window_shape, window_profile)
        if attention_pooling not in ("mean", "sum"):
            raise ValueError(
                f"`attention_pooling` must be 'mean' or 'sum'; received attention_pooling={attention_pooling!r}."
            )
        self.window_profile = window_profile
        self.shared_phases = bool(shared_phases)
        self.compression = compression
        self.num_sizes = int(num_sizes)
        self.window_shape = window_shape
        self.initial_window_sizes = check_initial_window_sizes(initial_window_sizes, self.num_sizes,
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
            raise ValueError(f"SpeckleLayer expects inputs of rank 4 (N, H, W, C); received shape {input_shape}.")
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
        bins = initial_edge_lengths(self.window_init, self.initial_window_sizes, self.num_sizes, self.window_shape)
        initial = np.clip(bins * short_side / self.reference_size, 1.0, short_side)
        self.log_window = self.add_weight(
            shape=initial.shape,
            initializer=keras.initializers.Constant(np.log(initial).astype(np.float32)),
            constraint=WindowSizeRange(0.0, math.log(short_side)),
            trainable=self.learn_windows,
            dtype="float32",
            # The windows are computed in float32 under mixed precision too: the FFTs run in complex64 anyway.
            autocast=False,
            name="log_window",
        )
        if self.lateral_aperture == "depth_scaled":
            self.aperture_exponent_weight = self.add_weight(
                shape=(), initializer=keras.initializers.Constant(self.initial_aperture_exponent),
                constraint=WindowSizeRange(0.0, MAX_APERTURE_EXPONENT), trainable=True, dtype="float32",
                autocast=False, name="aperture_exponent")
        if self.polar:
            # The resampling layers hold the gather tables; the speckle kernels apply them (with their adjoints for
            # the compiled gradient) rather than calling the layers.
            self.to_polar = CartesianToPolar(dtype="float32", name="to_polar")
            self.to_polar.build((None, height, width, channels))
            self.to_cartesian = PolarToCartesian(height, width, dtype="float32", name="to_cartesian")
            self.to_cartesian.build((None, *self._grid, channels * self.num_sizes))
            self._polar_tables = PolarTables.from_resamplers(self.to_polar, self.to_cartesian)
        if self.attention:
            self.channel_attention = ChannelAttention(
                channels * self.num_sizes, pooling=self.attention_pooling, dtype="float32", name="channel_attention"
            )
            self.channel_attention.build(
                [(None, height, width, channels), (None, height, width, channels * self.num_sizes)]
            )

    def _clipped_edge_lengths(self):
        return ops.clip(ops.exp(self.log_window), 1.0, self._max_window)

    def _edge_lengths(self):
        """``(d_rows, d_cols)``: float32 ``(K,)`` each, in bins of the shorter grid axis, clipped to ``[1, S]``."""
        d = self._clipped_edge_lengths()
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
        value = self._clipped_edge_lengths()
        return ops.convert_to_numpy(value) if tf.executing_eagerly() else value

    @property
    def aperture_exponent(self) -> float | None:
        """The depth-scaled aperture's ``gamma`` (``None`` for ``lateral_aperture="fixed_angle"``)."""
        if self.lateral_aperture != "depth_scaled":
            return None
        return float(ops.convert_to_numpy(self.aperture_exponent_weight))

    # ------------------------------------------------------------------------------------------------- call
    def windows(self):
        """The scaled soft windows ``s_k * rect_{d_k}``, float32 ``(num_sizes, grid_H, grid_W)`` in FFT order.

        With ``lateral_aperture="depth_scaled"`` these are the windows at ``gamma = 0``; the layer applies
        :func:`~specklegan_tf.layers.speckle_aperture.depth_scaled_windows` instead.
        """
        d_rows, d_cols = self._edge_lengths()
        return scaled_windows(d_rows, d_cols, self._grid, self.window_profile)

    def call(self, inputs, training=None, phases=None, phase_seeds=None):
        channels = inputs.shape[-1]
        batch = ops.shape(inputs)[0]
        x = ops.cast(inputs, "float32")
        amplitude = x
        if self.input_domain == "log":
            # A soft clip: it moves x by about exp(|x| - LOG_INPUT_LIMIT) nepers (0.02 at |x| = 6), smooth beyond.
            limited = x - ops.softplus(x - LOG_INPUT_LIMIT) + ops.softplus(-x - LOG_INPUT_LIMIT)
            amplitude = ops.exp(limited)
        phi = draw_phases(self.seed_generator, self._grid, batch, 1 if self.shared_phases else channels, phases,
                          phase_seeds)
        if self.shared_phases:
            phi = ops.repeat(phi, channels, axis=-1)  # one rough object for every map: the kernels take (N, ., ., C)
        compiled = self.compiled and compiled_kernel_allowed()
        if self.lateral_aperture == "depth_scaled":
            kernel = compiled_depth_scaled_speckle_magnitudes if compiled else depth_scaled_speckle_magnitudes
            windows = depth_scaled_windows(*self._edge_lengths(), self.aperture_exponent_weight, self._grid,
                                           self.window_profile)
            speckled = kernel(amplitude, phi, windows, self._polar_tables)
        else:
            kernel = compiled_speckle_magnitudes if compiled else speckle_magnitudes
            speckled = kernel(amplitude, phi, self.windows(), self._polar_tables if self.polar else None)
        if self.compression == "log":
            speckled = ops.log(speckled + self._compression_floor)
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
            "input_domain": self.input_domain,
            "lateral_aperture": self.lateral_aperture,
            "initial_aperture_exponent": self.initial_aperture_exponent,
            "learn_windows": self.learn_windows,
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
        self.log_window.assign(log_window_from_linear(store, self.num_sizes, self._max_window, self.name))
