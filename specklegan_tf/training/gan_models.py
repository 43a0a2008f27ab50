"""The models of a GAN run: the generator, discriminator, GAN and optimizers a configuration describes.

:func:`gan_factory` returns the ``make_trainable`` that the training loop calls inside the strategy scope;
:func:`data_matched_windows` computes ``--speckle-init data``'s initial speckle windows from the training images,
:func:`match_speckle_contrast` ``--speckle-contrast data``'s initial strength of the speckle term.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from specklegan_tf.core.atomic_files import write_json
from specklegan_tf.training.config import GANConfig


def data_matched_windows(images: np.ndarray, masks: np.ndarray, config: GANConfig, run_dir: Path, log) -> list:
    """Window sizes whose speckle has the training images' tissue grain (``--speckle-init data``).

    Measures the axial and lateral grain of the training images' speckle (``speckle_statistics`` without the
    lumen, after removing the local mean in a short box, :func:`~specklegan_tf.layers.speckle_detrend_px`, so that
    the echo's own texture does not count), calibrates the speckle layer's grain against its window size at this
    image size with the same box, and writes both to ``speckle_init.json`` in the run folder.
    """
    from specklegan_tf.layers import window_sizes_for_grain
    from specklegan_tf.layers.speckle_calibration import images_speckle_grain, measure_grain_curve

    axial, lateral, detrend = images_speckle_grain(images, masks)  # uint8 (N, H, W)
    curve = measure_grain_curve(config.image_size, config.polar, seed=config.seed,
                                window_profile=config.window_profile, lateral_aperture=config.lateral_aperture,
                                detrend_px=detrend)
    windows = window_sizes_for_grain(axial, lateral, config.image_size, config.polar, config.window_shape,
                                     curve=curve, window_profile=config.window_profile, detrend_px=detrend)
    log(f"Speckle init from the data: speckle grain axial {axial:.2f} px, lateral {lateral:.2f} px ({detrend} px "
        f"local mean removed) -> windows {np.round(np.asarray(windows), 2).tolist()} bins")
    record = {"data_grain_px": {"axial": axial, "lateral": lateral}, "detrend_px": detrend,
              "initial_window_sizes": windows,
              "calibration": {"windows": curve.windows.tolist(), "axial_px": curve.axial_px.tolist(),
                              "lateral_px": curve.lateral_px.tolist(), "detrend_px": detrend}}
    write_json(run_dir / "speckle_init.json", record)
    return windows


def given_windows(config: GANConfig, run_dir: Path, log) -> list:
    """The initial windows of ``--speckle-windows R C``: ``speckle_sizes`` windows spread around (R, C) by the
    paper's factors (0.76 to 1.31), pairs for rectangular windows, their geometric means for square ones; written to
    ``speckle_init.json`` like ``--speckle-init data``'s so that a reloaded run rebuilds the same layer."""
    import inspect

    from specklegan_tf.layers.speckle_calibration import PAPER_WINDOW_SPREAD
    from specklegan_tf.models import build_generator

    # gan_factory builds the generator with its default number of windows, as --speckle-init data assumes.
    num_sizes = inspect.signature(build_generator).parameters["speckle_sizes"].default
    factors = np.geomspace(*PAPER_WINDOW_SPREAD, num_sizes)
    rows, columns = (float(w) for w in config.speckle_windows)
    clip = lambda v: float(np.clip(v, 1.0, config.image_size))  # noqa: E731
    if config.window_shape == "rectangular":
        windows = [(clip(rows * f), clip(columns * f)) for f in factors]
    else:
        windows = [clip(np.sqrt(rows * columns) * f) for f in factors]
    log(f"Speckle windows given: centre {rows:g} x {columns:g} bins -> windows {np.round(np.asarray(windows), 2).tolist()}")
    write_json(run_dir / "speckle_init.json", {"given_centre_window": [rows, columns],
                                               "initial_window_sizes": windows})
    return windows


# Masks the speckle term's contrast is measured on at the start: enough pixels for a stable root mean square.
CONTRAST_MASKS = 64


@dataclass
class ContrastReference:
    """The training images ``--speckle-contrast data`` matches the speckle term to, and where its record goes
    (``speckle_init.json`` in ``run_dir``; ``log``: None on workers other than the chief, which write nothing)."""

    images: np.ndarray
    masks: np.ndarray
    run_dir: Path
    log: Callable[[str], None] | None


def match_speckle_contrast(generator, reference: ContrastReference, seed: int) -> dict:
    """Set the direct or display route's 1x1 kernel (every speckled map weighted alike, as ``--direct-gain`` starts
    it) so that the speckle term's local contrast in the tissue equals the training images' (``--speckle-contrast
    data``, in place of ``--direct-gain``).

    Both are the root mean square about the 49 px local mean over the intima/media and background pixels
    (:func:`~specklegan_tf.evaluation.term_grain.tissue_contrast`), the images' in gray-scale units of [-1, 1],
    the speckle term's on the first :data:`CONTRAST_MASKS` training masks with the latent vectors of ``seed`` (in
    gray-scale units on the display route, where it is added after the tanh; before the tanh on the direct route,
    where the tanh then compresses it). The speckle term is linear in the kernel, so one rescaling matches it. The
    images' contrast includes whatever else varies within 49 px (tissue layers, shadows): the start is an upper
    bound of the speckle's share. The measurement leaves every other variable
    as it found it (the speckle layer's phase generator included), so the run is the one ``--direct-gain`` with the
    matched gain would give. The record (target, measured contrast, matched gain) is added to ``speckle_init.json``.

    Returns:
        The record.
    """
    import keras

    from specklegan_tf.data import to_model_inputs
    from specklegan_tf.evaluation.speckle_share import SPECKLE_TERM
    from specklegan_tf.evaluation.term_grain import raw_terms, tissue_contrast

    masks = np.asarray(reference.masks[:CONTRAST_MASKS])
    target = tissue_contrast(to_model_inputs(np.asarray(reference.images[:CONTRAST_MASKS])), masks)
    # Measured at unit gain (the kernel --direct-gain 1 starts with), so that a zero kernel can be matched too.
    kernel = generator.get_layer(SPECKLE_TERM).kernel
    kernel.assign(np.full(kernel.shape, 1.0 / kernel.shape[-2], dtype=kernel.dtype))
    untouched = [variable.numpy() for variable in generator.non_trainable_variables]
    speckle, _ = raw_terms(generator, masks, seed, caller="--speckle-contrast data")
    for variable, value in zip(generator.non_trainable_variables, untouched):
        variable.assign(value)
    measured = tissue_contrast(speckle, masks)
    if not (np.isfinite(target) and np.isfinite(measured) and measured > 0):
        raise ValueError(f"--speckle-contrast data: no tissue contrast to match (training images {target:.4g}, "
                         f"speckle term {measured:.4g} on {len(masks)} masks); give --speckle-contrast gain")
    kernel.assign(kernel * (target / measured))
    gain = float(np.sum(keras.ops.convert_to_numpy(kernel)))
    record = {"data_tissue_contrast": target, "speckle_term_contrast_at_gain_1": measured,
              "matched_direct_gain": gain, "masks": len(masks)}
    if reference.log is not None:
        reference.log(f"Speckle contrast from the data: tissue local std {target:.3f} (gray scale [-1, 1]); the "
                      f"speckle term's is {measured:.3f} at gain 1 -> starting gain {gain:.3f}")
        path = reference.run_dir / "speckle_init.json"
        existing = json.loads(path.read_text()) if path.is_file() else {}
        write_json(path, {**existing, "speckle_contrast": record})
    return record


def gan_factory(config: GANConfig, policy: str, steps_per_epoch: int, initial_windows: list | None = None,
                contrast_reference: ContrastReference | None = None) -> Callable[[], object]:
    """``make_trainable()`` for :func:`~specklegan_tf.training.runner.run_training`: a compiled
    :class:`~specklegan_tf.models.SpeckleGAN` with the paper's two Adam optimizers and their step decay.

    Args:
        config: The run's configuration (models, learning rates, decay epochs, DiffAugment).
        policy: The Keras precision policy (``mixed_float16`` wraps the optimizers for loss scaling).
        steps_per_epoch: Global steps per epoch (the decay epochs become decay steps).
        initial_windows: Initial speckle window sizes (``--speckle-init data``), None for the default.
        contrast_reference: The training images the speckle term's contrast is matched to at the start
            (``--speckle-contrast data``, :func:`match_speckle_contrast`); None keeps ``--direct-gain`` (and a run
            rebuilt to load its checkpoint needs none: the checkpoint holds the kernel).
    """
    decay_steps = tuple(epoch * steps_per_epoch for epoch in config.decay_epochs)
    lr_g, lr_d = config.learning_rates

    def make_trainable():
        from specklegan_tf.layers import DiffAugment
        from specklegan_tf.models import SpeckleGAN, build_discriminator, build_generator, make_gan_optimizers

        generator = build_generator(config.image_size, latent_dim=config.latent_dim,
                                    speckle=config.model == "speckle", width=config.width, polar=config.polar,
                                    seed=config.seed, window_shape=config.window_shape,
                                    initial_window_sizes=initial_windows,
                                    speckle_compression=config.speckle_compression,
                                    shared_phases=config.shared_phases, speckle_skip=config.speckle_skip,
                                    window_profile=config.window_profile, lateral_aperture=config.lateral_aperture,
                                    last_channels=config.last_channels, speckle_route=config.speckle_route,
                                    echo_gain=config.echo_gain, direct_gain=config.direct_gain,
                                    learn_speckle_windows=config.learn_speckle_windows,
                                    spade_normalization=config.spade_normalization,
                                    upsampling=config.upsampling, speckle_weights=config.speckle_weights,
                                    display_clip=config.display_clip)
        if contrast_reference is not None:
            match_speckle_contrast(generator, contrast_reference, config.seed)
        discriminator = build_discriminator(config.image_size, width=config.width,
                                            downsampling=config.discriminator_downsampling)
        policies = config.diff_augment_policies
        augment = DiffAugment(policies, seed=config.seed + 1, name="diff_augment") if policies else None
        gan = SpeckleGAN(generator, discriminator, latent_dim=config.latent_dim, seed=config.seed, augment=augment,
                         generator_ema=config.generator_ema or None, r1_gamma=config.r1_gamma,
                         diversity_weight=config.diversity_weight, diversity_target=config.diversity_target)
        g_optimizer, d_optimizer = make_gan_optimizers(
            lr_g, lr_d, decay_steps=decay_steps, decay_factors=config.decay_factors,
            mixed_precision=policy == "mixed_float16")
        gan.compile(g_optimizer, d_optimizer)
        return gan

    return make_trainable
