"""Acoustics of the IVUS phantom on the polar A-line grid: scatterers, attenuation, PSF, envelope, TGC, log compression.

The echo of each A-line is simulated as its complex analytic (IQ) signal: a complex scatterer field whose
intensity follows the tissue echogenicity, attenuated on the way in and out, convolved with the point-spread
function (a Gaussian-enveloped 20 MHz pulse in depth, a Gaussian beam across the A-lines whose width grows with
depth), plus ring-down and electronic noise. The envelope is the magnitude of the analytic signal; time-gain
compensation and log compression then give the displayed gray levels.
"""
from __future__ import annotations

import functools

import numpy as np
import scipy.fft

from .phantom_geometry import ADVENTITIA, CATHETER, PERIADVENTITIA, PLAQUE, PolarGrid, VesselGeometry
from .phantom_params import PhantomParams

_LN10_20 = np.log(10.0) / 20.0


def tissue_properties(geometry: VesselGeometry, params: PhantomParams) -> tuple[np.ndarray, np.ndarray]:
    """Backscatter level (dB re. the adventitia; -inf inside the catheter) and attenuation (dB/(cm·MHz)), both
    float32 (n_angles, n_depth). The echogenicity (linear intensity) is ``10 ** (level / 10)``."""
    tissue = geometry.tissue
    if params.uniform:
        level_db = np.where(tissue == CATHETER, -np.inf, 0.0).astype(np.float32)
        atten = np.where(tissue == CATHETER, 0.0, params.attenuation_reference).astype(np.float32)
        return level_db, atten
    base_db = np.array([-np.inf, params.echo_blood_db, params.echo_plaque_db, params.echo_media_db,
                        params.echo_adventitia_db, params.echo_periadventitia_db, params.echo_calcium_db,
                        params.echo_guidewire_db], dtype=np.float32)
    base_atten = np.array([0.0, params.atten_blood, params.atten_plaque, params.atten_media, params.atten_adventitia,
                           params.atten_periadventitia, params.atten_calcium, params.atten_guidewire], dtype=np.float32)
    level_db = base_db[tissue]
    plaque = tissue == PLAQUE
    level_db[plaque] += params.plaque_heterogeneity_db * geometry.plaque_field[plaque]
    fibrous = tissue == ADVENTITIA
    level_db[fibrous] += params.adventitia_streak_db * geometry.adventitia_field[fibrous]
    peri = tissue == PERIADVENTITIA
    fat = peri & (geometry.fat_field > 0)
    level_db[fat] = params.echo_fat_db
    level_db[peri & ~fat] += 0.5 * params.adventitia_streak_db * geometry.adventitia_field[peri & ~fat]
    return level_db, base_atten[tissue]


def _complex_normal(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Circular complex Gaussian samples with E|z|^2 = 2 (unit-variance real and imaginary parts), complex64."""
    return rng.standard_normal(shape + (2,), dtype=np.float32).view(np.complex64)[..., 0]


@functools.lru_cache(maxsize=16)
def _axial_transfer(grid: PolarGrid, params: PhantomParams, n_fft: int) -> np.ndarray:
    """Spectrum of the complex pulse: Gaussian envelope (sigma from the bandwidth) times the round-trip carrier."""
    half = int(np.ceil(4 * params.axial_sigma_mm / grid.dr))
    z = np.arange(-half, half + 1) * grid.dr
    carrier = 2 * params.frequency_mhz / params.speed_of_sound_mm_per_us  # round-trip cycles per mm
    pulse = np.exp(-0.5 * (z / params.axial_sigma_mm) ** 2) * np.exp(2j * np.pi * carrier * z)
    pulse /= np.sqrt(np.sum(np.abs(pulse) ** 2))  # unit energy: a 0 dB tissue keeps unit mean intensity
    kernel = np.zeros(n_fft, dtype=np.complex128)
    kernel[: pulse.size] = pulse
    kernel = np.roll(kernel, -half)  # centre the pulse at lag 0
    return scipy.fft.fft(kernel).astype(np.complex64)


def _lateral_sigma_lines(grid: PolarGrid, params: PhantomParams) -> np.ndarray:
    """Standard deviation of the Gaussian beam across the A-lines at each depth, in A-line spacings: the width in mm
    grows linearly with depth, so the angle it spans shrinks as 1 / radius."""
    r = grid.radii
    span = max(grid.max_depth_mm - params.catheter_radius_mm, 1e-6)
    fwhm = params.lateral_fwhm_near_mm + (params.lateral_fwhm_far_mm - params.lateral_fwhm_near_mm) * np.clip(
        (r - params.catheter_radius_mm) / span, 0, 1)
    return fwhm / 2.3548 / (np.maximum(r, params.catheter_radius_mm) * grid.dtheta)


@functools.lru_cache(maxsize=16)
def _lateral_transfer(grid: PolarGrid, params: PhantomParams) -> np.ndarray:
    """(n_angles, n_depth) transfer function of the Gaussian beam across A-lines, one column per depth.

    The beam width in mm grows linearly with depth; in angle it is width / radius. Each column is normalised to
    unit energy so that the mean intensity of a uniform tissue does not depend on depth (the diffraction part of
    the TGC).
    """
    freq = scipy.fft.fftfreq(grid.n_angles)[:, None]  # cycles per A-line
    transfer = np.exp(-2 * (np.pi * freq * _lateral_sigma_lines(grid, params)[None, :]) ** 2)
    # Energy of the sampled kernel = mean of |H|^2 over frequencies (Parseval).
    energy = np.mean(transfer**2, axis=0, keepdims=True)
    return (transfer / np.sqrt(energy)).astype(np.float32)


def mean_echo_intensity(geometry: VesselGeometry, grid: PolarGrid, params: PhantomParams) -> np.ndarray:
    """Expected envelope intensity after TGC, float32 (n_angles, n_depth): the echo with the speckle averaged out.

    The same physics as :func:`simulate_envelope` (echogenicity, attenuation and its shadows, electronic noise,
    the mean ring-down, time-gain compensation) without the random scatterer field. The mean intensity of a speckle
    field is the scatterers' intensity blurred by the PSF's intensity ``|h|^2``: a Gaussian of ``1/sqrt(2)`` the
    pulse's and the beam's standard deviations, applied here along the depth and across the A-lines.
    """
    level_db, attenuation = tissue_properties(geometry, params)
    loss_db = np.cumsum(attenuation, axis=1) * np.float32(2 * params.frequency_mhz * grid.dr / 10.0)
    intensity = np.power(np.float32(10), (level_db - loss_db) / np.float32(10))  # 0 inside the catheter
    intensity = _blur_by_psf_intensity(intensity, grid, params)
    if not params.uniform:
        ring = np.float32(10 ** (params.ring_down_db / 20)) * _ring_down_profile(grid, params.catheter_radius_mm)
        intensity[:, : ring.size] += np.abs(ring) ** 2  # the ring-down adds incoherently on average
        intensity += np.float32(10 ** (params.noise_db / 10))
    intensity *= _tgc_gain(grid, params)[None, :] ** 2
    return intensity.astype(np.float32)


def _blur_by_psf_intensity(intensity: np.ndarray, grid: PolarGrid, params: PhantomParams) -> np.ndarray:
    """``intensity`` (n_angles, n_depth) convolved with the PSF's intensity: Gaussian along the depth (the pulse's
    sigma / sqrt 2) and, circularly, across the A-lines with each depth's beam sigma / sqrt 2."""
    from scipy.ndimage import gaussian_filter1d

    blurred = gaussian_filter1d(intensity, params.axial_sigma_mm / np.sqrt(2) / grid.dr, axis=1, mode="nearest")
    freq = scipy.fft.fftfreq(grid.n_angles)[:, None]
    # A Gaussian of sigma / sqrt(2) has the transfer exp(-2 (pi f sigma)^2 / 2); unit gain at zero frequency.
    transfer = np.exp(-((np.pi * freq * _lateral_sigma_lines(grid, params)[None, :]) ** 2))
    return np.real(scipy.fft.ifft(scipy.fft.fft(blurred, axis=0) * transfer, axis=0)).clip(0).astype(np.float32)


def simulate_envelope(rng: np.random.Generator, geometry: VesselGeometry, grid: PolarGrid,
                      params: PhantomParams) -> tuple[np.ndarray, np.ndarray]:
    """Envelope after TGC (before log compression) and the backscatter level in dB, both (n_angles, n_depth)."""
    level_db, attenuation = tissue_properties(geometry, params)
    shape = (grid.n_angles, grid.n_depth)
    r = grid.radii

    # Attenuation on the way in and out: cumulative along each A-line, so calcium and the guidewire cast shadows.
    loss_db = np.cumsum(attenuation, axis=1)
    loss_db *= np.float32(2 * params.frequency_mhz * grid.dr / 10.0)  # dr in cm
    # Scatterers: every grid cell holds the sum of many randomly placed point scatterers, i.e. a circular complex
    # Gaussian amplitude whose variance is the echogenicity: fully developed speckle. With a finite density the
    # number per cell is Poisson, and sparse tissue gives partially developed speckle (mean/std below 1.91).
    amplitude = level_db - loss_db  # one exponential for echogenicity and attenuation together
    amplitude *= np.float32(_LN10_20)
    np.exp(amplitude, out=amplitude)
    amplitude *= np.float32(np.sqrt(0.5))
    if params.scatterer_density_per_mm2 is not None:
        expected = np.broadcast_to(params.scatterer_density_per_mm2 * r * grid.dtheta * grid.dr, shape)
        amplitude *= np.sqrt(rng.poisson(expected) / expected, dtype=np.float32)
    field = _complex_normal(rng, shape)
    field *= amplitude

    # Axial PSF (pulse) by FFT along depth, zero-padded so the far end does not wrap onto the near end.
    n_fft = scipy.fft.next_fast_len(grid.n_depth + int(np.ceil(8 * params.axial_sigma_mm / grid.dr)) + 2)
    spectrum = scipy.fft.fft(field, n=n_fft, axis=1)
    spectrum *= _axial_transfer(grid, params, n_fft)[None, :]
    signal = scipy.fft.ifft(spectrum, axis=1)[:, : grid.n_depth]
    # Lateral PSF across A-lines: circular in angle, with a different beam width at every depth.
    spectrum = scipy.fft.fft(signal, axis=0)
    spectrum *= _lateral_transfer(grid, params)
    signal = scipy.fft.ifft(spectrum, axis=0)

    if not params.uniform:
        ring = _ring_down(rng, grid, params)
        signal[:, : ring.shape[1]] += ring
        noise = _complex_normal(rng, shape)
        noise *= np.float32(10 ** (params.noise_db / 20) * np.sqrt(0.5))
        signal += noise

    envelope = np.abs(signal)
    envelope *= _tgc_gain(grid, params)[None, :]
    return envelope, level_db


@functools.lru_cache(maxsize=16)
def _tgc_gain(grid: PolarGrid, params: PhantomParams) -> np.ndarray:
    """Time-gain compensation: undoes ``tgc_fraction`` of the nominal round-trip attenuation at each depth."""
    tgc_db = params.tgc_fraction * 2 * params.frequency_mhz * params.attenuation_reference * (grid.radii / 10.0)
    return np.exp(_LN10_20 * tgc_db).astype(np.float32)


def _ring_down(rng: np.random.Generator, grid: PolarGrid, params: PhantomParams) -> np.ndarray:
    """Transducer ring-down: bright rings just around the catheter, nearly the same on every A-line.

    Returns the (n_angles, k) complex signal of the first k depth samples (zero beyond)."""
    amplitude = np.float32(10 ** (params.ring_down_db / 20)) * (
        1 + 0.15 * rng.standard_normal((grid.n_angles, 1), dtype=np.float32))
    return amplitude * _ring_down_profile(grid, params.catheter_radius_mm)[None, :]


@functools.lru_cache(maxsize=16)
def _ring_down_profile(grid: PolarGrid, catheter_radius_mm: float) -> np.ndarray:
    r = grid.radii
    start = 0.8 * catheter_radius_mm
    depth = np.clip(r - start, 0, None)
    # Decaying oscillation of the transducer after the transmit pulse: rings about 0.07 mm apart.
    profile = np.where(r >= start, np.exp(-depth / 0.08) * (0.6 + 0.4 * np.cos(2 * np.pi * depth / 0.07)), 0.0)
    profile = profile * np.exp(2j * np.pi * r / 0.04)
    last = int(np.nonzero(np.abs(profile) > 1e-6)[0].max()) + 1  # 120 dB down: nothing left to add
    return profile[:last].astype(np.complex64)


def log_compress(envelope: np.ndarray, params: PhantomParams) -> tuple[np.ndarray, np.ndarray]:
    """Log compression: envelope -> level in dB -> gray value in [0, 255] (float).

    The gray scale spans ``dynamic_range_db``: ``white_level_db`` maps to 255, ``white_level_db -
    dynamic_range_db`` and below to 0. Levels are in dB re. the mean envelope of a uniform 0 dB tissue
    (sqrt(pi)/2 for unit mean intensity), so echogenicities read directly off the scale.
    """
    reference = np.sqrt(np.pi) / 2
    level_db = np.maximum(envelope, np.float32(1e-12))
    np.log10(level_db, out=level_db)
    level_db *= np.float32(20)
    level_db -= np.float32(20 * np.log10(reference))
    gray = level_db - np.float32(params.white_level_db - params.dynamic_range_db)
    gray *= np.float32(255.0 / params.dynamic_range_db)
    np.clip(gray, 0.0, 255.0, out=gray)
    return level_db, gray
