"""The speckle oracle: the layer's log speckle against the closed-form log-Rayleigh spread, the composition of
speckled frames, the options' errors, and a whole small run of the command."""
import csv
import math

import numpy as np
import pytest

from specklegan_tf.experiments.speckle_oracle import (
    fitted_offset,
    gray_per_neper,
    layer_log_speckle,
    main,
    parse_windows,
    speckled_frames,
)

# Independent reference: the log of a Rayleigh amplitude has a standard deviation of pi / sqrt(24) nepers.
LOG_RAYLEIGH_STD = math.pi / math.sqrt(24)


def test_display_scale_of_the_phantom():
    assert gray_per_neper(55.0) == pytest.approx(255 / (55 * math.log(10) / 20))


@pytest.mark.parametrize("profile", ["rect", "gaussian"])
def test_cartesian_layer_speckle_has_the_log_rayleigh_spread(profile):
    speckle = layer_log_speckle(16, 64, (24, 24), profile, polar=False, seed=1)
    assert speckle.shape == (16, 64, 64) and speckle.dtype == np.float32
    assert abs(float(speckle.mean())) < 1e-4
    # The layer's log floor (0.01) trims the deepest dark spots a little.
    assert speckle.std() == pytest.approx(LOG_RAYLEIGH_STD, rel=0.08)


def test_polar_speckle_is_smoothed_by_the_resampling_and_coarser_windows_give_larger_grains():
    fine = layer_log_speckle(8, 64, (32, 32), "gaussian", polar=True, seed=0)
    coarse = layer_log_speckle(8, 64, (8, 8), "gaussian", polar=True, seed=0)
    assert fine.std() < LOG_RAYLEIGH_STD  # bilinear resampling from the polar grid averages neighbours

    def lag_correlation(x, lag=2):
        a, b = x[:, 16:48, 16:48], x[:, 16:48, 16 + lag:48 + lag]
        return np.corrcoef(a.ravel(), b.ravel())[0, 1]

    assert lag_correlation(coarse) > lag_correlation(fine) + 0.2


def test_speckled_frames_clip_to_the_gray_scale_and_stay_black_outside_the_scan():
    levels = np.full((1, 4, 4), 250.0, np.float32)
    scanned = np.ones((1, 4, 4), bool)
    scanned[0, 0, 0] = False
    speckle = np.full((1, 4, 4), 20.0, np.float32)
    speckle[0, 1, 1] = -400.0
    frames = speckled_frames(levels, scanned, speckle, offset=-2.0)
    assert frames.dtype == np.uint8
    assert frames[0, 0, 0] == 0 and frames[0, 1, 1] == 0 and frames[0, 2, 2] == 255
    assert np.array_equal(speckled_frames(levels, scanned, None, -2.0)[0, 2], [248] * 4)


def test_fitted_offset_recovers_a_known_shift_and_refuses_all_black_images():
    rng = np.random.default_rng(0)
    levels = rng.uniform(40, 200, (2, 16, 16)).astype(np.float32)
    scanned = np.ones_like(levels, bool)
    images = np.clip(levels - 7.0 + rng.normal(0, 5, levels.shape), 0, 255)
    assert fitted_offset(images, levels, scanned) == pytest.approx(-7.0, abs=0.6)
    with pytest.raises(ValueError, match="between black and white"):
        fitted_offset(np.zeros_like(images), levels, scanned)


def test_windows_tokens_and_their_errors():
    assert parse_windows("data") == "data" and parse_windows("paper") == "paper"
    assert parse_windows("38,34") == (38.0, 34.0) and parse_windows("20") == (20.0, 20.0)
    for bad in ("0.5,3", "a,b", "1,2,3", "nan"):
        with pytest.raises(ValueError, match="--windows"):
            parse_windows(bad)


def test_bad_options_stop_before_any_simulation(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--windows", "38;34", "--out", str(tmp_path / "never")])
    assert stopped.value.code == 2 and "--windows" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--image-size", "48", "--out", str(tmp_path / "never")])
    assert not (tmp_path / "never").exists()


@pytest.mark.slow
def test_a_small_oracle_run_writes_its_table_csv_and_grid(tmp_path):
    out = tmp_path / "oracle"
    assert main(["--image-size", "32", "--n", "6", "--windows", "paper", "8", "--profiles", "gaussian",
                 "--grids", "polar", "--out", str(out)]) == 0
    table = (out / "oracle.md").read_text()
    for arm in ("another phantom seed (floor)", "speckle-free echo", "white noise", "the phantom's own speckle",
                "layer polar gaussian 4.6x4.6 (paper) gain 1", "layer polar gaussian 8.0x8.0 gain 1"):
        assert arm in table
    with open(out / "oracle.csv", newline="") as handle:
        header = next(csv.reader(handle))
    assert header[0] == "metric" and len(header) == 1 + 6
    assert (out / "oracle.png").stat().st_size > 10_000


def test_the_data_token_matches_the_speckles_grain_measured_with_the_short_box():
    """``--windows data`` is fit_gan's ``--speckle-init data``: the images' grain measured with the short local-mean
    box, on a curve measured with the same box. That grain is finer than the evaluation box's (which pools the
    echo's texture), so its windows are larger than those the evaluation box's grain would give."""
    from specklegan_tf.data import simulate_ivus
    from specklegan_tf.experiments.speckle_oracle import resolve_windows
    from specklegan_tf.layers import tissue_grain, window_sizes_for_grain
    from specklegan_tf.metrics import speckle_statistics

    images, masks = simulate_ivus(12, 64, seed=0)
    rows, columns = resolve_windows("data", 64, images, masks, True, "rect")
    assert 1.0 <= rows <= 64.0 and 1.0 <= columns <= 64.0
    long_rows, long_columns = window_sizes_for_grain(*tissue_grain(speckle_statistics(images, masks)), 64, True,
                                                     "rectangular", num_sizes=1)[0]
    assert rows > 1.3 * long_rows and columns > 1.3 * long_columns, ((rows, columns), (long_rows, long_columns))
    assert resolve_windows((5.0, 7.0), 64, images, masks, True, "rect") == (5.0, 7.0)
