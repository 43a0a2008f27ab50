"""Parameters of the IVUS phantom: one frozen dataclass, every field a documented keyword of ``simulate_ivus``."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# Bump whenever the simulated images change for the same parameters, so cached phantom data sets are rebuilt.
PHANTOM_VERSION = 4


@dataclass(frozen=True)
class PhantomParams:
    """Physical and statistical parameters of the simulated 20 MHz IVUS frame.

    Lengths are in millimetres, frequencies in MHz, levels in dB. Echogenicities are backscatter intensities
    relative to the adventitia (0 dB); attenuation coefficients are in dB/(cm·MHz), applied on the way in and out.

    Args:
        frequency_mhz: centre frequency of the transducer; sets the pulse carrier and the attenuation.
        bandwidth: fractional -6 dB bandwidth of the two-way pulse; the axial resolution is about
            ``0.44 / (bandwidth * frequency_mhz) * speed_of_sound / 2``.
        speed_of_sound_mm_per_us: speed of sound (1.54 mm/µs = 1540 m/s).
        fov_mm: width of the square image in mm (the Balocco et al. frames: 384 px × 0.026 mm ≈ 10 mm); the
            imaging depth is half of it, so the corners outside the scanned disc stay black.
        catheter_radius_mm: radius of the catheter (dark disc at the centre).
        lateral_fwhm_near_mm, lateral_fwhm_far_mm: two-way lateral beam width (FWHM) at the catheter surface and
            at the maximum depth; the beam widens linearly in between, so speckle grains widen with depth.
        scatterer_density_per_mm2: mean number of point scatterers per mm² of tissue, drawn as a Poisson number per
            grid cell. ``None`` (default) is the dense limit: a circular complex Gaussian field, i.e. fully
            developed speckle (about ten or more scatterers per resolution cell behave the same). Low densities
            give partially developed speckle with a lower envelope mean/std.
        dynamic_range_db: range of log-envelope levels mapped onto the 8-bit gray scale.
        white_level_db: envelope level (dB re. the mean envelope of a 0 dB tissue) shown as gray value 255.
        tgc_fraction: fraction of the nominal tissue attenuation (``attenuation_reference``) undone by the
            time-gain compensation; below 1 the far field stays a little darker, as on a real console.
        noise_db: electronic noise level (dB re. a 0 dB tissue) added before TGC.
        echo_*_db: backscatter level of each tissue.
        plaque_heterogeneity_db, adventitia_streak_db, fat_fraction: spatial variation of the plaque, the fibrous
            streaks of the adventitia, and the share of dark fat lobules in the periadventitial tissue.
        atten_*: attenuation coefficient of each tissue in dB/(cm·MHz); calcium and the guidewire attenuate so
            strongly that an acoustic shadow forms behind them.
        attenuation_reference: nominal soft-tissue attenuation the TGC compensates, dB/(cm·MHz).
        ring_down_db: level of the transducer ring-down rings around the catheter.
        p_calcium, p_guidewire, p_side_branch: probability that a frame shows a calcified arc, the guidewire, a
            side branch.
        lumen_radius_range_mm, vessel_radius_range_mm: ranges of the mean lumen and vessel (media-adventitia)
            radii; their variation sets the spread of lumen and vessel areas across frames.
        uniform: test mode: every tissue outside the catheter becomes one uniform 0 dB scatterer with the reference
            attenuation, no artefacts, so the speckle statistics can be checked against theory.
        n_angles, n_depth: size of the polar A-line grid (default: from the image size and the resolution).
    """

    frequency_mhz: float = 20.0
    bandwidth: float = 0.35
    speed_of_sound_mm_per_us: float = 1.54
    fov_mm: float = 10.0
    catheter_radius_mm: float = 0.5
    lateral_fwhm_near_mm: float = 0.12
    lateral_fwhm_far_mm: float = 0.55
    scatterer_density_per_mm2: float | None = None
    dynamic_range_db: float = 55.0
    white_level_db: float = 10.0
    tgc_fraction: float = 0.7
    noise_db: float = -60.0
    echo_blood_db: float = -40.0
    echo_plaque_db: float = -15.0
    echo_media_db: float = -30.0
    echo_adventitia_db: float = 0.0
    echo_periadventitia_db: float = -10.0
    echo_fat_db: float = -24.0
    echo_calcium_db: float = 8.0
    echo_guidewire_db: float = 16.0
    plaque_heterogeneity_db: float = 4.0
    adventitia_streak_db: float = 3.0
    fat_fraction: float = 0.35
    atten_blood: float = 0.15
    atten_plaque: float = 0.8
    atten_media: float = 1.0
    atten_adventitia: float = 1.2
    atten_periadventitia: float = 0.8
    atten_calcium: float = 80.0
    atten_guidewire: float = 2000.0
    attenuation_reference: float = 0.8
    ring_down_db: float = 6.0
    p_calcium: float = 0.35
    p_guidewire: float = 0.6
    p_side_branch: float = 0.15
    lumen_radius_range_mm: tuple[float, float] = (1.2, 2.3)
    vessel_radius_range_mm: tuple[float, float] = (2.2, 4.2)
    uniform: bool = False
    n_angles: int | None = None
    n_depth: int | None = None

    def __post_init__(self) -> None:
        positive = ("frequency_mhz", "bandwidth", "speed_of_sound_mm_per_us", "fov_mm", "catheter_radius_mm",
                    "lateral_fwhm_near_mm", "lateral_fwhm_far_mm", "dynamic_range_db")
        for name in positive:
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"PhantomParams.{name} must be > 0, got {value!r}")
        if self.scatterer_density_per_mm2 is not None and not self.scatterer_density_per_mm2 > 0:
            raise ValueError(f"PhantomParams.scatterer_density_per_mm2 must be > 0 or None, "
                             f"got {self.scatterer_density_per_mm2!r}")
        for name in ("p_calcium", "p_guidewire", "p_side_branch", "tgc_fraction", "fat_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"PhantomParams.{name} must be in [0, 1], got {value!r}")
        for name in ("lumen_radius_range_mm", "vessel_radius_range_mm"):
            lo, hi = getattr(self, name)
            if not 0 < lo <= hi:
                raise ValueError(f"PhantomParams.{name} must be (low, high) with 0 < low <= high, got {(lo, hi)!r}")
        if self.catheter_radius_mm >= self.lumen_radius_range_mm[0]:
            raise ValueError("PhantomParams.catheter_radius_mm must be smaller than lumen_radius_range_mm[0], got "
                             f"{self.catheter_radius_mm!r} >= {self.lumen_radius_range_mm[0]!r}")
        if self.vessel_radius_range_mm[1] >= self.fov_mm / 2:
            raise ValueError(f"PhantomParams.vessel_radius_range_mm[1] must be below fov_mm / 2 = {self.fov_mm / 2}, "
                             f"got {self.vessel_radius_range_mm[1]!r}")
        for name in ("n_angles", "n_depth"):
            value = getattr(self, name)
            if value is not None and (int(value) != value or value < 16):
                raise ValueError(f"PhantomParams.{name} must be an integer >= 16 or None, got {value!r}")

    @property
    def max_depth_mm(self) -> float:
        return self.fov_mm / 2

    @property
    def axial_sigma_mm(self) -> float:
        """Standard deviation of the Gaussian pulse envelope in depth (two-way)."""
        fwhm_f = self.bandwidth * self.frequency_mhz  # MHz
        sigma_t = 1.0 / (2 * 3.141592653589793 * fwhm_f / 2.3548)  # µs, time-domain sigma of a Gaussian spectrum
        return sigma_t * self.speed_of_sound_mm_per_us / 2

    @classmethod
    def from_kwargs(cls, **params) -> "PhantomParams":
        """Build from keyword arguments, naming any unknown keyword in the error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise TypeError(f"unknown phantom parameter(s) {unknown}; known: {sorted(known)}")
        return cls(**params)
