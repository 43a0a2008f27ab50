"""python -m specklegan_tf.experiments.speckle_probe on a run folder that fit_gan.py trained (one step, 32 px)."""
import json

import pytest

from specklegan_tf.commands.fit_gan import main as fit_gan
from specklegan_tf.experiments.speckle_probe import main as probe

RUN = ["--data", "phantom", "--n-train", "4", "--image-size", "32", "--width", "0.125", "--latent-dim", "8",
       "--batch-size", "4", "--epochs", "1", "--val-images", "4", "--grid-size", "2", "--no-export",
       "--model", "speckle", "--speckle-route", "direct", "--speckle-compression", "log", "--direct-gain", "1"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe") / "direct"
    assert fit_gan(RUN + ["--out", str(folder)]) == 0
    return folder


def test_probes_a_trained_run_and_writes_one_record_per_scale(run_dir, tmp_path, capsys):
    out = tmp_path / "probe.json"
    assert probe([str(run_dir), "--scales", "0", "1", "3", "--out", str(out)]) == 0
    [record] = json.loads(out.read_text())
    assert record["n_images"] == 4 and record["images"] == "train" and record["checkpoint"].endswith("ckpt-1")
    assert record["scales"] == [0.0, 1.0, 3.0]
    for kind in ("speckle", "noise"):
        assert len(record[kind]["g_loss"]) == 3 and all(0 < p < 1 for p in record[kind]["d_real_prob"])
    # Scale 0 is the baseline path alone, whatever stands in for the speckle term.
    assert record["speckle"]["g_loss"][0] == pytest.approx(record["noise"]["g_loss"][0], rel=1e-6)
    # A direct route started at gain 1 adds a visible speckle term after one step.
    assert record["speckle_std"] > 0.01 and 0 < record["real_d_prob"] < 1
    table = capsys.readouterr().out
    assert "| scale | G loss, speckle |" in table and table.count("\n| ") == 4


def test_refuses_a_folder_that_is_not_a_run_before_probing(tmp_path, capsys):
    with pytest.raises(SystemExit):
        probe([str(tmp_path)])
    assert f"{tmp_path} is not a fit_gan.py run folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        probe([str(tmp_path), "--scales", "-1"])
    assert "--scales must not be negative" in capsys.readouterr().err
