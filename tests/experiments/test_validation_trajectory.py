"""The validation-trajectory table of the ablation report: values per validation, best epoch, largest swing."""
import math

from specklegan_tf.experiments.validation_trajectory import swing, trajectory_lines, validations


def history(values, metric="texture_fd", every=40):
    records = []
    for epoch in range(1, every * len(values) + 1):
        record = {"epoch": epoch, "train": {"d_loss": 1.0}}
        if epoch % every == 0:
            record["validation"] = {metric: values[epoch // every - 1], "kid": 0.01}
        records.append(record)
    return records


def test_validations_and_swing_of_a_history():
    records = history([0.334, 0.224, 8.509, 0.153, 2.933])
    assert validations(records) == [(40, 0.334), (80, 0.224), (120, 8.509), (160, 0.153), (200, 2.933)]
    assert math.isclose(swing([v for _, v in validations(records)]), 8.509 / 0.153)
    assert math.isclose(swing([2.0, 1.0]), 2.0) and math.isclose(swing([1.0, 2.0, 1.5]), 2.0)
    assert math.isnan(swing([1.0])) and math.isnan(swing([0.0, 1.0]))
    assert validations(records, "fid") == []


def test_table_has_one_row_per_run_validated_twice_with_its_exported_epoch():
    lines = trajectory_lines({"baseline": history([0.9, 0.361, 0.155]), "once": history([0.5]),
                              "ema": history([0.4, 0.3, 0.35])})
    rows = [line for line in lines if line.startswith("| baseline") or line.startswith("| ema")
            or line.startswith("| once")]
    assert rows == ["| baseline | 40, 80, 120 | 0.9 / 0.361 / 0.155 | 120 (0.155) | 2.5x |",
                    "| ema | 40, 80, 120 | 0.4 / 0.3 / 0.35 | 80 (0.3) | 1.3x |"]
    assert trajectory_lines({"once": history([0.5])}) == []
