"""The SpeckleGAN generator (paper Fig. 3) and its baseline, as Keras functional models."""
from __future__ import annotations

import keras

from specklegan_tf.core.validators import power_of_two
from specklegan_tf.layers.spade import SPADE_NORMALIZATIONS
from specklegan_tf.layers.straight_through_clip import StraightThroughClip
from specklegan_tf.models.phase_seeds import LatentPhaseSeeds
from specklegan_tf.models.speckle_gain import FixedGain

# Trunk channels (at width 1) of the SPADE residual block working at each resolution before upsampling.
# Capped at 256 so the paper's 256-px network still trains on a workstation GPU.
_TRUNK_CHANNELS = {4: 256, 8: 256, 16: 256, 32: 128, 64: 64, 128: 32, 256: 16}
_GRID = 4  # the dense projection is reshaped to a 4x4 grid
_SPADE_HIDDEN = 64  # the paper: "the first convolutions in all SPADE layers have 64 output channels"
_LAST_CHANNELS = 16  # the residual block after the speckle layer
SPECKLE_ROUTES = ("last_block", "direct", "display", "echo")
UPSAMPLINGS = ("nearest", "bilinear")
SPECKLE_WEIGHTS = ("signed", "nonnegative", "fixed_gain")
DISPLAY_CLIPS = ("hard", "straight_through")


def check_image_size(image_size, name: str = "image_size") -> int:
    """Validates an image size: a power of two from 32 to 512, else ``ValueError`` naming the argument."""
    return power_of_two(image_size, f"`{name}`", low=32, high=512)


def scaled(channels: int, width: float) -> int:
    """``channels * width``, rounded, at least 1."""
    return max(1, int(round(channels * width)))


def _check_positive(value, name: str, kind=int):
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int) or value <= 0:
        raise ValueError(f"`{name}` must be a positive {kind.__name__}, got {value!r}")
    return value


def build_generator(
    image_size: int = 256,
    num_classes: int = 3,
    latent_dim: int = 128,
    speckle: bool = True,
    width: float = 1.0,
    polar: bool = True,
    speckle_sizes: int = 4,
    speckle_maps: int = 8,
    seed: int | None = None,
    name: str | None = None,
    window_shape: str = "square",
    initial_window_sizes=None,
    speckle_compression: str = "none",
    shared_phases: bool = False,
    speckle_skip: bool = False,
    window_profile: str = "rect",
    last_channels: int | None = None,
    speckle_route: str = "last_block",
    echo_gain: float = 1.0,
    direct_gain: float = 0.0,
    lateral_aperture: str = "fixed_angle",
    learn_speckle_windows: bool = True,
    spade_normalization: str = "batch",
    upsampling: str = "nearest",
    speckle_weights: str = "signed",
    display_clip: str = "hard",
) -> keras.Model:
    """Builds the mask-conditioned generator of SpeckleGAN, or with ``speckle=False`` the paper's baseline.

    Structure: a spectrally normalised dense projection of ``z`` reshaped to a 4x4 grid; SPADE residual blocks
    (batch normalisation, or instance normalisation with ``spade_normalization="instance"``, then SPADE's
    mask-dependent affine transform with 64 hidden filters) each followed by x2 upsampling (nearest-neighbour, or
    bilinear with ``upsampling="bilinear"``) until the output size; the penultimate block gives ``speckle_maps``
    (8) maps at full resolution; the ``SpeckleLayer`` (Eq. 2) turns them into ``speckle_maps * speckle_sizes``
    (32) maps with channel attention and, for IVUS, polar warping; a last SPADE residual block; LeakyReLU, a
    spectrally normalised 3x3 convolution and tanh give one channel in ``[-1, 1]``.

    Determinism: the speckle layer's per-sample phase seeds are hashed from ``z`` inside the graph
    (``LatentPhaseSeeds``), so ``G(mask, z)`` is a deterministic function in inference mode. Training draws a fresh
    ``z`` per step and hence fresh phases; an exported model maps a request's seed to ``z`` and so to one image.

    Baseline (``speckle=False``): the speckle layer is replaced by an identity mapping (a ``keras.layers.Identity``
    with the same layer name, ``"speckle"``), as in the paper; nothing else changes. A true identity keeps the
    penultimate block's ``speckle_maps`` maps, so the last block sees 8 instead of 32 input maps: its layer and
    configuration are the same, only the shapes of its input-side weights follow the input (the same function
    class as a 32-map input made of copies). The baseline also has no ``LatentPhaseSeeds`` layer, which has no
    weights and only feeds the speckle layer.

    ``width`` scales every channel count of the trunk, of the last block and of SPADE's hidden layer (at least 1
    channel). ``speckle_maps`` is the exception: it is the speckle layer's own hyper-parameter (the paper's grid
    search), so it is kept as given.

    Mixed precision: under a ``mixed_float16`` policy the output layer stays float32.

    Args:
        image_size: output height and width, a power of two from 32 to 512.
        num_classes: number of mask classes (3: lumen, intima/media, background).
        latent_dim: length of ``z`` (the paper: 128).
        speckle: SpeckleGAN (``True``) or the baseline (``False``).
        width: channel multiplier (1.0 is the paper's size; e.g. 0.25 for a CPU demo).
        polar: warp the speckle to polar coordinates (IVUS); ignored without a speckle layer.
        speckle_sizes: number of speckle sizes (windows) of the speckle layer (the paper: 4).
        speckle_maps: feature maps entering the speckle layer (the paper: 8).
        seed: seed of the speckle layer's own fallback randomness (its phases normally come from ``z``).
        name: model name (default ``"specklegan_generator"`` or ``"baseline_generator"``).
        window_shape: the speckle layer's windows, ``"square"`` (the paper) or ``"rectangular"`` (independent
            radial and angular edge lengths).
        initial_window_sizes: the speckle layer's initial window edge lengths in bins of an ``image_size`` image
            (``speckle_sizes`` numbers or pairs), e.g. from ``specklegan_tf.layers.window_sizes_for_grain``;
            ``None``: the paper's 28 to 48 bins at 256 px, scaled to the image size.
        speckle_compression: the speckle layer's ``compression``: ``"none"`` (the paper) or ``"log"`` (B-mode log
            compression of the speckle envelope).
        shared_phases: the speckle layer's ``shared_phases``: one phase field per image for all its maps.
        window_profile: the speckle layer's ``window_profile``: ``"rect"`` (the paper) or ``"gaussian"``.
        lateral_aperture: the speckle layer's ``lateral_aperture``: ``"fixed_angle"`` (the paper) or
            ``"depth_scaled"`` (polar only: the angular window widens with the radius by a learned exponent).
        learn_speckle_windows: the speckle layer's ``learn_windows``: ``False`` keeps the windows at their start.
        spade_normalization: the normalisation of every SPADE, for both models: ``"batch"`` (the paper) or
            ``"instance"`` (each image's own statistics, so an image does not depend on its batch and inference
            computes what training did).
        upsampling: the interpolation of the trunk's x2 upsampling, for both models: ``"nearest"`` (the paper's
            SPADE generator) or ``"bilinear"``. With nearest upsampling the baseline's 128 px images carry
            axis-aligned lines of 2 and 4 px period (the "grid") that the real frames lack; bilinear removes them,
            and with them most of the baseline's texture (docs/results/ablation128-round31).
        speckle_skip: feed the last block the penultimate maps beside the speckled ones (a concatenation), so that
            the generator can draw speckle-free structure (lumen, shadows, bright rims) without first undoing the
            speckle; the baseline's identity already passes those maps, so this only changes SpeckleGAN.
        last_channels: channels of the last block (default ``16 * width``, at least 1): the same for both models.
        speckle_route: where the speckled maps go. ``"last_block"`` (the paper): they are the last block's input.
            ``"direct"``: the last block, the output convolution and everything before them are the baseline's,
            fed with the penultimate maps; the speckled maps (the speckle layer applied to the same penultimate
            maps) reach the image through a 1x1 convolution added before the output ``tanh``. Log-compressed
            speckle is additive there (``log(R * S) = log R + log S``), and no 3x3 convolution blurs the grain
            that the learned windows set. The 1x1 kernel starts at zero, so training starts from the baseline's
            function and adds speckle as far as the discriminator asks for it.
            ``"display"``: as ``"direct"``, but the 1x1 convolution of the speckled maps is added *after* the
            ``tanh`` and the sum clipped to ``[-1, 1]`` (``hard_tanh``): log-compressed speckle has the same
            variance at every gray level, as on a B-mode display, where the ``"direct"`` route's ``tanh``
            compresses it wherever the baseline path is bright or dark (``|b| > 2`` passes under 7 %). The
            baseline is unchanged (the clip of a ``tanh`` is the identity).
            ``"echo"``: B-mode image formation. The output convolution's one channel is read as a log-echogenicity
            map, the speckle layer (``input_domain="log"``, so ``speckle_compression="log"`` is required) turns it
            into a log-compressed speckled map per window size, and a 1x1 convolution (starting as their mean)
            gives the image before the ``tanh``. The speckle is at full strength from the first step and no layer
            after it can blur its grain. The baseline with this route has the identity in the speckle layer's place
            and the same 1x1 convolution (on one map): the paper's baseline up to an affine map, nothing else
            changed. ``speckle_maps`` is then unused by the speckle layer (it acts on the one-channel map).
        direct_gain: initial gain of the ``"direct"`` (and ``"display"``) route's 1x1 convolution in image units per neper (its kernel
            starts at ``direct_gain / maps``); 0 (the default) starts from the baseline's function. A positive gain
            puts the speckle into the image from the first step, so that the discriminator sees it and the
            speckle layer's windows get a gradient from the start.
        speckle_weights: the ``"direct"`` (and ``"display"``) route's 1x1 convolution: ``"signed"`` weights, or
            ``"nonnegative"`` (a non-negativity constraint, applied after every optimizer step): the image then adds a
            non-negative mix of the speckled maps, as a B-mode image is a sum of envelopes. Signed weights let the
            generator subtract speckled maps, which keeps the difference of their log echoes and loses part of their
            common speckle (shared phases): a second path for texture of its own (docs/results/ablation128-round44:
            30-43 % of trained kernels' weight is negative, and their speckle term holds as much echo texture as
            speckle). ``"fixed_gain"``: non-negative weights whose sum stays at ``direct_gain`` (``FixedGain``,
            applied after every optimizer step): the speckle's strength stays where it starts, as the strength of
            log-compressed speckle on a display is fixed by physics, and training learns only the mix of window
            sizes; needs ``direct_gain > 0``.
        display_clip: how the ``"display"`` route clips the image to [-1, 1] after adding the speckle: ``"hard"``
            (``hard_tanh``, whose gradient is zero outside the range, so a region drawn past white gets no signal
            to darken again) or ``"straight_through"`` (``StraightThroughClip``: the same clipped image, the
            gradient of the identity). The image is the same either way; only training differs.
        echo_gain: initial gain of the ``"echo"`` route's 1x1 convolution, in image units per neper of log
            amplitude (its kernel starts at ``echo_gain / maps``), for both models. A B-mode display maps its
            dynamic range (40-60 dB, about 5-7 nepers) onto the gray scale, [-1, 1] here: about 0.3 per neper.


    Inputs: ``mask`` one-hot float ``(N, image_size, image_size, num_classes)`` and ``z`` float ``(N, latent_dim)``,
    in that order. Output: float ``(N, image_size, image_size, 1)`` in ``[-1, 1]``.

    Example:
        >>> g = build_generator(image_size=64, width=0.25)
        >>> g([masks_onehot, keras.random.normal((len(masks_onehot), 128), seed=0)]).shape
        TensorShape([N, 64, 64, 1])
    """
    from specklegan_tf.layers import SPADEResidualBlock

    last_channels = _check_generator_arguments(image_size, num_classes, latent_dim, width, speckle_sizes,
                                               speckle_maps, last_channels)
    if speckle_route not in SPECKLE_ROUTES:
        raise ValueError(f"`speckle_route` must be one of {SPECKLE_ROUTES}, got {speckle_route!r}")
    if spade_normalization not in SPADE_NORMALIZATIONS:
        raise ValueError(f"`spade_normalization` must be one of {SPADE_NORMALIZATIONS}, got {spade_normalization!r}")
    if upsampling not in UPSAMPLINGS:
        raise ValueError(f"`upsampling` must be one of {UPSAMPLINGS}, got {upsampling!r}")
    if speckle_weights not in SPECKLE_WEIGHTS:
        raise ValueError(f"`speckle_weights` must be one of {SPECKLE_WEIGHTS}, got {speckle_weights!r}")
    if speckle_weights != "signed" and speckle_route not in ("direct", "display"):
        raise ValueError(f"speckle_weights={speckle_weights!r} constrains the 'direct' or 'display' route's 1x1 "
                         f"convolution; speckle_route={speckle_route!r} has none")
    if speckle_route != "last_block" and speckle_skip:
        raise ValueError(f"`speckle_skip` has no meaning with speckle_route={speckle_route!r} (the last block "
                         "already gets the penultimate maps); give one of them")
    if display_clip not in DISPLAY_CLIPS:
        raise ValueError(f"`display_clip` must be one of {DISPLAY_CLIPS}, got {display_clip!r}")
    if display_clip != "hard" and speckle_route != "display":
        raise ValueError(f"display_clip={display_clip!r} acts on the 'display' route's clip; speckle_route="
                         f"{speckle_route!r} has none")
    if speckle_weights == "fixed_gain" and not direct_gain > 0:
        raise ValueError(f"speckle_weights='fixed_gain' holds the 1x1 weights' sum at direct_gain: it needs "
                         f"direct_gain > 0, got {direct_gain!r}")
    _check_positive(echo_gain, "echo_gain", float)
    if speckle and speckle_route == "echo" and speckle_compression != "log":
        raise ValueError("speckle_route='echo' feeds the speckle layer log echogenicity and reads B-mode gray "
                         f"levels: it needs speckle_compression='log', got {speckle_compression!r}")
    if name is None:
        name = "specklegan_generator" if speckle else "baseline_generator"
    hidden = scaled(_SPADE_HIDDEN, width)

    mask = keras.Input((image_size, image_size, num_classes), name="mask")
    z = keras.Input((latent_dim,), name="z")
    block_options = dict(hidden_channels=hidden, normalization=spade_normalization)
    x = _trunk(mask, z, image_size, width, block_options, upsampling)
    # Penultimate block: the speckle layer's input maps at full resolution.
    x = penultimate = SPADEResidualBlock(speckle_maps, name="penultimate_block", **block_options)([x, mask])
    speckle_options = dict(num_sizes=speckle_sizes, polar=polar, seed=seed, window_shape=window_shape,
                           compression=speckle_compression, shared_phases=shared_phases,
                           window_profile=window_profile, initial_window_sizes=initial_window_sizes,
                           lateral_aperture=lateral_aperture, learn_windows=learn_speckle_windows)
    if speckle and speckle_route == "last_block":
        x = _speckle_stage(x, z, image_size, speckle_skip, **speckle_options)
    elif not speckle and speckle_route != "echo":
        x = keras.layers.Identity(name="speckle")(x)
    x = SPADEResidualBlock(last_channels, name="last_block", **block_options)([x, mask])
    x = keras.layers.LeakyReLU(0.2, name="output_activation")(x)
    to_image = keras.layers.Conv2D(1, 3, padding="same", name="to_image_conv")
    x = keras.layers.SpectralNormalization(to_image, name="to_image")(x)
    speckle_to_image = None
    if speckle and speckle_route in ("direct", "display"):
        # Built after the baseline's layers, so that with the same global seed every shared layer starts with
        # the baseline's weights and the whole generator starts as the baseline's function.
        speckled = _speckle_stage(penultimate, z, image_size, False, **speckle_options)
        initial_kernel = keras.initializers.Constant(direct_gain / speckled.shape[-1])
        constraint = None
        if speckle_weights == "nonnegative":
            constraint = keras.constraints.NonNeg()
        elif speckle_weights == "fixed_gain":
            constraint = FixedGain(direct_gain)
        speckle_to_image = keras.layers.Conv2D(1, 1, kernel_initializer=initial_kernel, use_bias=False,
                                               kernel_constraint=constraint, name="speckle_to_image")(speckled)
    if speckle_route == "echo":
        x = _echo_stage(x, z, speckle, echo_gain, speckle_options)
    if speckle_to_image is not None and speckle_route == "direct":
        x = keras.layers.Add(name="add_speckle")([x, speckle_to_image])
    if speckle_to_image is not None and speckle_route == "display":
        x = keras.layers.Activation("tanh", name="baseline_image")(x)
        x = keras.layers.Add(name="add_speckle_after_tanh")([x, speckle_to_image])
        # Clipped to [-1, 1] like a display's gray scale; hard_tanh's gradient is 1 inside the range, 0 outside.
        if display_clip == "straight_through":
            image = StraightThroughClip(dtype="float32", name="image")(x)
        else:
            image = keras.layers.Activation("hard_tanh", dtype="float32", name="image")(x)
    else:
        image = keras.layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model([mask, z], image, name=name)


def _check_generator_arguments(image_size, num_classes, latent_dim, width, speckle_sizes, speckle_maps,
                               last_channels) -> int:
    """Checks the arguments before any layer is built; returns ``last_channels`` (default ``16 * width``)."""
    check_image_size(image_size)
    _check_positive(num_classes, "num_classes")
    _check_positive(latent_dim, "latent_dim")
    _check_positive(width, "width", float)
    _check_positive(speckle_sizes, "speckle_sizes")
    _check_positive(speckle_maps, "speckle_maps")
    if last_channels is None:
        last_channels = scaled(_LAST_CHANNELS, width)
    return _check_positive(last_channels, "last_channels")


def _trunk(mask, z, image_size: int, width: float, block_options: dict, upsampling: str = "nearest"):
    """``z`` projected to a 4x4 grid (spectrally normalised dense), then SPADE blocks (``block_options``: their
    hidden channels and normalisation) and x2 upsampling (``upsampling``: its interpolation) until the full size."""
    from specklegan_tf.layers import SPADEResidualBlock

    channels = scaled(_TRUNK_CHANNELS[_GRID], width)
    dense = keras.layers.Dense(_GRID * _GRID * channels, name="projection_dense")
    dense = keras.layers.SpectralNormalization(dense, name="projection")
    x = keras.layers.Reshape((_GRID, _GRID, channels), name="to_grid")(dense(z))
    resolution = _GRID
    while resolution < image_size:
        x = SPADEResidualBlock(scaled(_TRUNK_CHANNELS[resolution], width), name=f"spade_block_{resolution}",
                               **block_options)([x, mask])
        x = keras.layers.UpSampling2D(2, interpolation=upsampling, name=f"upsample_{resolution}")(x)
        resolution *= 2
    return x


def _echo_stage(log_echogenicity, z, speckle: bool, gain: float, speckle_options: dict):
    """The ``"echo"`` route after the output convolution: speckle on the log-echogenicity map (SpeckleGAN) or the
    identity (baseline), then a 1x1 convolution that starts as ``gain`` times the mean of its input maps."""
    image_size = log_echogenicity.shape[1]
    if speckle:
        x = _speckle_stage(log_echogenicity, z, image_size, False, input_domain="log", **speckle_options)
    else:
        x = keras.layers.Identity(name="speckle")(log_echogenicity)
    maps = x.shape[-1]
    return keras.layers.Conv2D(1, 1, kernel_initializer=keras.initializers.Constant(gain / maps),
                               name="speckled_to_image")(x)


def _speckle_stage(x, z, image_size: int, speckle_skip: bool, initial_window_sizes=None, **speckle_options):
    """The speckle layer on the penultimate maps ``x``, its phases seeded from ``z`` (``LatentPhaseSeeds``), and
    with ``speckle_skip`` the unspeckled maps concatenated beside its output."""
    from specklegan_tf.layers import SpeckleLayer

    phase_seeds = LatentPhaseSeeds(name="phase_seeds")(z)
    # initial_window_sizes are in bins of this image size; the paper's window_init refers to 256 px.
    window_options = {} if initial_window_sizes is None else {
        "initial_window_sizes": initial_window_sizes, "reference_size": image_size,
        "window_init": (28.0 * image_size / 256.0, 48.0 * image_size / 256.0)}
    speckle_layer = SpeckleLayer(attention=True, name="speckle", **speckle_options, **window_options)
    speckled = speckle_layer(x, phase_seeds=phase_seeds)
    return keras.layers.Concatenate(name="speckle_skip")([x, speckled]) if speckle_skip else speckled
