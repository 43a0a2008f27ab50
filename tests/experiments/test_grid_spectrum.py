"""``python -m specklegan_tf.experiments.grid_spectrum``: a real row, one row per generator, bad input named."""
import numpy as np
import pytest

from specklegan_tf.experiments.grid_spectrum import grid_spectrum_rows, main
from specklegan_tf.metrics.grid_artefact import axis_power_ratio


def test_rows_hold_each_sets_ratios():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(4, 32, 32))
    lined = real + np.tile([3.0, -3.0], 16)[None, None, :]
    lines = grid_spectrum_rows(real, {"lined": lined}, periods=(2, 4))
    assert lines[0] == "| images | 2 px | 4 px |" and lines[2].startswith("| real | ")
    assert lines[3] == f"| lined | {axis_power_ratio(lined, (2,))[2]:.2f} | {axis_power_ratio(lined, (4,))[4]:.2f} |"


def test_with_masks_a_last_column_gives_each_sets_tissue_contrast():
    """The contrast column is the local standard deviation in the tissue: a set with twice the fluctuation about a
    constant level shows twice the real set's contrast, and uint8 images are read on the [-1, 1] gray scale."""
    from specklegan_tf.evaluation.term_grain import tissue_contrast

    rng = np.random.default_rng(1)
    masks = rng.integers(0, 3, size=(3, 32, 32)).astype("uint8")
    real = (0.2 * rng.normal(size=(3, 32, 32))).astype("float32")
    doubled = 2 * real
    as_uint8 = np.round((real + 1) * 127.5).astype("uint8")
    lines = grid_spectrum_rows(real, {"doubled": doubled[..., None], "uint8": as_uint8}, periods=(2,), masks=masks)
    assert lines[0] == "| images | 2 px | tissue contrast |" and lines[1] == "|---|---|---|"
    contrasts = [float(line.rstrip(" |").split(" | ")[-1]) for line in lines[2:]]
    assert contrasts[0] == pytest.approx(tissue_contrast(real, masks), abs=1e-3) and contrasts[0] > 0.1
    assert contrasts[1] == pytest.approx(2 * contrasts[0], abs=2e-3)
    assert contrasts[2] == pytest.approx(contrasts[0], abs=2e-3)


def test_a_saved_generator_is_compared_with_the_phantom(tmp_path, capsys):
    import keras

    from specklegan_tf.export import save_generator_keras
    from specklegan_tf.models import build_generator

    keras.utils.set_random_seed(0)
    path = save_generator_keras(build_generator(32, latent_dim=8, width=0.125, speckle=False), tmp_path / "g.keras")
    out = tmp_path / "table.md"
    assert main([str(path), "--names", "untrained", "--image-size", "32", "--images", "8", "--out", str(out)]) == 0
    table = out.read_text()
    assert table == capsys.readouterr().out
    rows = table.splitlines()
    assert [row.split(" | ")[0] for row in rows[2:]] == ["| real", "| untrained"]
    assert all(float(value) > 0 for row in rows[2:] for value in row.strip("| ").split(" | ")[1:])


def test_bad_input_is_named_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path / "missing.keras")])
    assert "no such model" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--names", "a", "b"])
    assert "--names gives 2 names for 1 models" in capsys.readouterr().err
