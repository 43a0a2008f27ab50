"""The report's table of each GAN run's own training time: read from the run's history, with the folder an imported
run came from, so that a run trained elsewhere does not show as free."""
from __future__ import annotations

import json

from specklegan_tf.experiments.report import recorded_training_times
from specklegan_tf.experiments.report_tables import training_time_rows


def _run_folder(root, name, epoch_seconds, imported_from=None):
    run_dir = root / name
    run_dir.mkdir()
    lines = [json.dumps({"epoch": i + 1, "seconds": s, "train": {"d_loss": 1.0}}) for i, s in enumerate(epoch_seconds)]
    (run_dir / "history.jsonl").write_text("\n".join(lines) + "\n")
    record = {"keras": "x.keras"}
    if imported_from:
        record["imported_from"] = imported_from
    (run_dir / "finished.json").write_text(json.dumps(record))
    return {"gan": {"config": {"out": str(run_dir)}}}


def test_training_times_sum_the_epochs_and_name_the_import(tmp_path):
    runs = {"speckle_n50_s0": _run_folder(tmp_path, "speckle_n50_s0", [61.5, 59.0, 60.0]),
            "baseline_n50_s0": _run_folder(tmp_path, "baseline_n50_s0", [3600.0, 1.0],
                                           imported_from="runs/round38/baseline")}
    times = recorded_training_times(runs)
    assert times == {"speckle_n50_s0": (180.5, None), "baseline_n50_s0": (3601.0, "runs/round38/baseline")}
    rows = training_time_rows(times)
    assert rows[0] == ["speckle_n50_s0", "here", "0:03:00"]  # 180.5 s rounds to 3:00 (banker's rounding)
    assert rows[1] == ["baseline_n50_s0", "imported from `runs/round38/baseline`", "1:00:01"]
    assert rows[-1] == ["**all runs**", "2 of 2 recorded", "1:03:02"]


def test_a_missing_or_damaged_history_is_said_not_recorded(tmp_path):
    runs = {"gone": {"gan": {"config": {"out": str(tmp_path / "gone")}}},
            "damaged": _run_folder(tmp_path, "damaged", [10.0])}
    (tmp_path / "damaged" / "history.jsonl").write_text('{"epoch": 1, "seconds": 10.0}\n{"epoch": 2, "sec')
    times = recorded_training_times(runs)
    assert times == {"gone": (None, None), "damaged": (None, None)}
    rows = training_time_rows(times)
    assert rows[0][2] == rows[1][2] == "not recorded"
    assert rows[-1] == ["**all runs**", "0 of 2 recorded", "0:00:00"]
