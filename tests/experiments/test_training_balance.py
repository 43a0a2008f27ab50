"""The training-balance screen: per-run means of D(real)/D(fake) over an epoch span and the last validation in it,
checked on history.jsonl files written here with known values, and the command line's errors."""
import json
import math

import pytest

from specklegan_tf.experiments.training_balance import main, training_balance


def _history(d_fake_by_epoch, validations):
    """History records as fit_gan.py writes them: D(real) = 1 - D(fake) each epoch, validations at given epochs."""
    records = []
    for epoch, d_fake in enumerate(d_fake_by_epoch, start=1):
        record = {"epoch": epoch, "step": 6 * epoch, "seconds": 3.0,
                  "train": {"d_loss": 1.0, "g_loss": 1.0, "d_real": 1.0 - d_fake, "d_fake": d_fake}}
        if epoch in validations:
            record["validation"] = {"texture_fd": validations[epoch], "kid": validations[epoch] / 10}
        records.append(record)
    return records


def _write_run(folder, records):
    folder.mkdir(parents=True)
    (folder / "history.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records))
    return folder


def test_means_cover_only_the_span_and_the_last_validation_before_its_end():
    records = _history([0.5] * 30 + [0.1, 0.3] * 5 + [0.9] * 10, {20: 0.7, 40: 0.4, 50: 0.2})
    balance = training_balance(records, 31, 40)
    assert balance.epochs == 10
    assert balance.d_fake == pytest.approx(0.2)  # (0.1 + 0.3) / 2: epochs 1-30 and 41-50 left out
    assert balance.d_real == pytest.approx(0.8)
    assert (balance.validation_epoch, balance.texture_fd, balance.kid) == (40, pytest.approx(0.4), pytest.approx(0.04))


def test_a_span_without_validation_reports_the_one_before_it_or_none():
    records = _history([0.4] * 12, {5: 0.9})
    assert training_balance(records, 8, 12).validation_epoch == 5
    unvalidated = training_balance(_history([0.4] * 12, {}), 8, 12)
    assert unvalidated.validation_epoch is None and math.isnan(unvalidated.texture_fd)


def test_a_run_that_has_not_reached_the_span_is_an_error_naming_its_length():
    with pytest.raises(ValueError, match="has 12 epochs"):
        training_balance(_history([0.4] * 12, {}), 31, 40)


def test_command_line_writes_one_row_per_run(tmp_path, capsys):
    balanced = _write_run(tmp_path / "balanced", _history([0.45] * 40, {40: 0.3}))
    losing = _write_run(tmp_path / "losing", _history([0.05] * 40, {40: 1.5}))
    out = tmp_path / "screen.md"
    assert main([str(balanced), str(losing), "--first-epoch", "31", "--last-epoch", "40", "--out", str(out)]) == 0
    rows = [line for line in out.read_text().splitlines() if line.startswith("| balanced") or line.startswith("| losing")]
    assert rows == ["| balanced | 10 | 0.55 | 0.45 | 40 | 0.300 | 0.0300 |",
                    "| losing | 10 | 0.95 | 0.05 | 40 | 1.500 | 0.1500 |"]
    assert out.read_text() == capsys.readouterr().out


@pytest.mark.parametrize("arguments, message", [
    (["--first-epoch", "41", "--last-epoch", "40"], "--first-epoch must be at least 1 and at most --last-epoch"),
    (["--first-epoch", "41", "--last-epoch", "60"], "has 40 epochs"),
])
def test_command_line_errors_name_the_option_or_the_run(tmp_path, capsys, arguments, message):
    run = _write_run(tmp_path / "run", _history([0.45] * 40, {}))
    with pytest.raises(SystemExit):
        main([str(run), *arguments])
    assert message in capsys.readouterr().err


def test_command_line_names_a_folder_without_history(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit):
        main([str(tmp_path / "empty"), "--first-epoch", "1", "--last-epoch", "2"])
    assert f"no history.jsonl in: {tmp_path / 'empty'}" in capsys.readouterr().err
