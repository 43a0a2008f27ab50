"""The paper reproduction at the toy budget: the whole pipeline runs, every artefact exists, every table cell is
filled; a rerun resumes (skips every finished stage); budgets and bad options are checked."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from specklegan_tf.experiments import BUDGETS, Budget, get_budget
from specklegan_tf.experiments.aggregate import improvement_percent
from specklegan_tf.experiments.paper_experiment import MODELS, run_name

pytestmark = pytest.mark.slow  # end-to-end runs in child processes: see docs/testing.md (fast tier)

EMPTY_CELL = re.compile(r"^(|n/a|nan|none|-|–)$", re.IGNORECASE)


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table of ``text`` as rows of cells (header included, separator line dropped)."""
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            if not re.match(r"^\|(\s*:?-+:?\s*\|)+\s*$", line):
                current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    from specklegan_tf.experiments import publish_report, run_paper_experiment

    out = tmp_path_factory.mktemp("reproduce_toy")
    result = run_paper_experiment(get_budget("toy"), out=out / "run")
    published = publish_report(result.out, out / "published")
    return result, published


def test_toy_pipeline_writes_every_artefact(toy_run):
    result, published = toy_run
    budget = get_budget("toy")
    out = result.out
    for model in MODELS:
        for n in budget.n_train:
            name = run_name(model, n, budget.seeds[0])
            assert (out / "gan" / name / "stage.json").is_file()
            record = json.loads((out / "eval" / f"{name}.json").read_text())
            assert record["n_generated"] == budget.n_generated
            assert record["n_real"] == budget.data_images
            assert math.isfinite(record["texture_fd"]) and record["texture_fd"] >= 0
            assert 0 <= record["jsd"]["lumen"] <= 1 and -1 <= record["ssim_mean"] <= 1
    gan_records = [json.loads((out / "gan" / run_name(m, n, 0) / "stage.json").read_text())
                   for m in MODELS for n in budget.n_train]
    # Same compute for both models: equal generator updates per n-train, at least the budget's.
    for n in budget.n_train:
        updates = {r["generator_updates"] for r in gan_records if r["config"]["n_train"] == n}
        assert len(updates) == 1 and updates.pop() >= budget.generator_updates
    for key in ("fig5", "fig6", "main_table", "table1", "speckle"):
        path = Path(result.artefacts[key])
        assert path.is_file() and path.stat().st_size > 0, key
    assert result.artefacts["fig5"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert any(name.startswith("table2") for name in result.artefacts)
    assert (published.parent / "figures" / "fig5_metrics.png").is_file()
    assert (published.parent / "figures" / "fig6_grid.png").is_file()


def test_toy_report_has_every_table_cell_filled(toy_run):
    result, _ = toy_run
    text = result.report_path.read_text()
    for heading in ("Provenance", "Configuration", "Fig. 5", "Table 1", "Fig. 6", "Table 2", "Wall times"):
        assert f"## {heading}" in text or heading in text, heading
    assert re.search(r"git commit \| `[0-9a-f]{40}`", text), "the report must record the commit"
    tables = markdown_tables(text)
    assert len(tables) >= 7
    for table in tables:
        width = len(table[0])
        for row in table:
            assert len(row) == width, row
            for cell in row:
                assert not EMPTY_CELL.match(cell), f"empty cell in row {row}"
    for csv_path in (result.out / "tables").glob("*.csv"):
        for line in csv_path.read_text().splitlines()[1:]:
            assert all(cell.strip() and cell.strip().lower() not in ("nan", "n/a") for cell in line.split(",")), \
                f"{csv_path.name}: {line}"


def test_rerun_resumes_by_skipping_finished_stages(toy_run, capsys):
    from specklegan_tf.experiments import run_paper_experiment

    result, _ = toy_run
    before = {p: p.stat().st_mtime_ns for p in (result.out / "eval").glob("*.json")}
    again = run_paper_experiment(get_budget("toy"), out=result.out)
    printed = capsys.readouterr().out
    assert printed.count("done before, skipped") == 2 * 2 * len(get_budget("toy").n_train) + 1
    assert {p: p.stat().st_mtime_ns for p in (result.out / "eval").glob("*.json")} == before
    assert again.report_path.is_file()


def test_other_options_in_the_same_folder_are_refused(toy_run):
    from dataclasses import replace

    from specklegan_tf.experiments import run_paper_experiment

    result, _ = toy_run
    with pytest.raises(ValueError, match="other options"):
        run_paper_experiment(replace(get_budget("toy"), width=0.25), out=result.out)


def test_budgets_are_consistent():
    assert set(BUDGETS) == {"toy", "small", "medium", "cpu128", "cpu128-v2", "cpu128-v3", "paper"}
    paper = BUDGETS["paper"]
    assert (paper.image_size, paper.width, paper.n_train, paper.n_generated) == (256, 1.0, (50, 100, 200, 435), 1000)
    for budget in BUDGETS.values():
        assert set(budget.segmentation.n_train) <= set(budget.n_train)
        for n in budget.n_train:
            schedule = budget.gan_schedule(n)
            assert schedule["generator_updates"] >= budget.generator_updates
            assert 0 < schedule["decay_epochs"][0] < schedule["decay_epochs"][1]
    assert BUDGETS["small"].capped_n_train(300) == (50, 100, 200, 300)
    cpu128 = BUDGETS["cpu128"]  # the decisive CPU comparison: equal updates for both models at every n
    assert (cpu128.image_size, cpu128.n_train, cpu128.seeds) == (128, (50, 435), (0, 1))
    assert cpu128.kid_subset_size < cpu128.n_generated  # subsets smaller than the set: a meaningful KID spread
    v2 = BUDGETS["cpu128-v2"]  # the same sizes and schedule, the ablations' training choices, a third seed
    assert (v2.image_size, v2.width, v2.n_train, v2.generator_updates, v2.seeds) == (128, 0.25, (50, 435), 1200, (0, 1, 2))


def test_improvement_is_the_papers_definition():
    # The paper: FID 354.9 (baseline) against 134.0 (SpeckleGAN) with 50 images is an improvement of 165 %.
    assert improvement_percent(354.9, 134.0) == pytest.approx(164.85, abs=0.01)
    assert math.isnan(improvement_percent(float("nan"), 1.0))


def test_bad_options_give_clear_errors(tmp_path):
    from specklegan_tf.experiments import run_paper_experiment

    with pytest.raises(ValueError, match="--budget"):
        get_budget("huge")
    with pytest.raises(FileNotFoundError, match="--data"):
        run_paper_experiment(get_budget("toy"), data=str(tmp_path / "missing"), out=tmp_path / "x")
    with pytest.raises(FileNotFoundError, match="--inception-weights"):
        run_paper_experiment(get_budget("toy"), out=tmp_path / "x", inception_weights=str(tmp_path / "w.h5"))
    with pytest.raises(ValueError, match="batch size"):
        Budget(**{**get_budget("toy").to_dict(), "n_train": (4,), "segmentation": get_budget("toy").segmentation})
    with pytest.raises(ValueError, match="fewer than one batch"):
        get_budget("toy").capped_n_train(3)
