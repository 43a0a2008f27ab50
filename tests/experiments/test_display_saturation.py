"""``python -m specklegan_tf.experiments.display_saturation``: the real row, a row per generator, bad input named."""
import keras
import pytest

from specklegan_tf.experiments.display_saturation import main
from specklegan_tf.export import save_generator_keras
from specklegan_tf.models import build_generator


def test_a_display_route_generator_and_a_baseline_beside_the_phantom(tmp_path, capsys):
    keras.utils.set_random_seed(0)
    display = save_generator_keras(build_generator(32, latent_dim=8, width=0.125, speckle=True,
                                                   speckle_route="display", speckle_compression="log",
                                                   direct_gain=6.0), tmp_path / "display.keras")
    baseline = save_generator_keras(build_generator(32, latent_dim=8, width=0.125, speckle=False),
                                    tmp_path / "baseline.keras")
    out = tmp_path / "table.md"
    assert main([str(display), str(baseline), "--image-size", "32", "--images", "6", "--out", str(out)]) == 0
    table = out.read_text()
    assert table == capsys.readouterr().out
    rows = [row.strip("| ").split(" | ") for row in table.splitlines()[2:]]
    assert [row[0] for row in rows] == ["real", "display", "baseline"]
    assert len(rows[1]) == 5 and all(cell.endswith("%") for cell in rows[1][1:])
    # The baseline has no display clip: only its white fraction.
    assert rows[2][1].endswith("%") and len([cell for cell in rows[2][1:] if cell.strip()]) == 1
    assert 0 <= float(rows[0][1].rstrip(" %")) < 5


def test_bad_input_is_named_before_any_work(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path / "missing.keras")])
    assert "no such .keras file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(tmp_path / "a.keras"), "--names", "a", "b"])
    assert "--names gives 2 names for 1 models" in capsys.readouterr().err
