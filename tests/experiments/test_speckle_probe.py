"""python -m specklegan_tf.experiments.speckle_probe on a run folder that fit_gan.py trained (three epochs of one
step, 32 px, every checkpoint kept)."""
import json

import pytest

from specklegan_tf.commands.fit_gan import main as fit_gan
from specklegan_tf.experiments.speckle_probe import main as probe

RUN = ["--data", "phantom", "--n-train", "4", "--image-size", "32", "--width", "0.125", "--latent-dim", "8",
       "--batch-size", "4", "--epochs", "3", "--val-images", "4", "--grid-size", "2", "--no-export",
       "--model", "speckle", "--speckle-route", "direct", "--speckle-compression", "log", "--direct-gain", "1", "--keep-checkpoints", "5"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe") / "direct"
    assert fit_gan(RUN + ["--out", str(folder)]) == 0
    return folder


def test_probes_a_trained_run_and_writes_one_record_per_scale(run_dir, tmp_path, capsys):
    out = tmp_path / "probe.json"
    assert probe([str(run_dir), "--scales", "0", "1", "3", "--out", str(out)]) == 0
    [record] = json.loads(out.read_text())
    assert record["n_images"] == 4 and record["images"] == "train" and record["checkpoint"].endswith("ckpt-3")
    assert record["scales"] == [0.0, 1.0, 3.0]
    for kind in ("speckle", "noise"):
        assert len(record[kind]["g_loss"]) == 3 and all(0 < p < 1 for p in record[kind]["d_real_prob"])
    # Scale 0 is the baseline path alone, whatever stands in for the speckle term.
    assert record["speckle"]["g_loss"][0] == pytest.approx(record["noise"]["g_loss"][0], rel=1e-6)
    # A direct route started at gain 1 adds a visible speckle term after one step.
    assert record["speckle_std"] > 0.01 and 0 < record["real_d_prob"] < 1
    table = capsys.readouterr().out
    assert "| scale | G loss, speckle |" in table and table.count("\n| ") == 4


def test_trajectory_probes_the_chosen_epochs_oldest_first(run_dir, tmp_path, capsys):
    out = tmp_path / "trajectory.json"
    assert probe([str(run_dir), "--scales", "0", "1", "2", "--trajectory", "2", "--out", str(out)]) == 0
    records = json.loads(out.read_text())
    # Epoch 2 (a multiple of 2) and the newest, epoch 3; epoch 1 is skipped.
    assert [(r["epoch"], r["step"]) for r in records] == [(2, 2), (3, 3)]
    assert [r["checkpoint"].rsplit("-", 1)[1] for r in records] == ["2", "3"]
    # Different epochs' generators: the speckle term changed between them.
    assert records[0]["speckle_std"] != pytest.approx(records[1]["speckle_std"], rel=1e-6)
    for record in records:
        for name in ("lumen", "intima_media", "background"):
            assert 0 <= record["by_class"][name]["saturated_fraction"] <= 1
    table = capsys.readouterr().out
    assert "trajectory over 2 checkpoints" in table
    rows = [line for line in table.splitlines() if line.startswith("| 2 | 2 |") or line.startswith("| 3 | 3 |")]
    assert len(rows) == 2


def test_refuses_a_folder_that_is_not_a_run_before_probing(tmp_path, capsys):
    with pytest.raises(SystemExit):
        probe([str(tmp_path)])
    assert f"{tmp_path} is not a fit_gan.py run folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        probe([str(tmp_path), "--scales", "-1"])
    assert "--scales must not be negative" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        probe([str(tmp_path), "--trajectory", "0"])
    assert "--trajectory must be at least 1 epoch" in capsys.readouterr().err
