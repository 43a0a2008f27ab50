"""The cpu128-v2 budget trains exactly the runs of the ablation rounds it was chosen from.

Reference: the ``fit_gan.py`` options that rounds 37 (n = 435) and 38 (n = 50) ran, read from their committed
``variants.txt`` and parsed by the command's own option parser, against what the reproduction's ``gan_config``
gives for the same model, n and seed. Only the file locations and the sample-grid size may differ.
"""
import dataclasses
import shlex
from pathlib import Path

import pytest

from specklegan_tf.experiments.budgets import get_budget
from specklegan_tf.experiments.paper_experiment import gan_config
from specklegan_tf.training.config import GANConfig, load_config

RESULTS = Path(__file__).resolve().parents[2] / "docs" / "results"
ARMS = {"speckle": "display-polar-data-dacc-div", "baseline": "baseline-dacc-div"}
NOT_COMPARED = {"name", "out", "export_dir", "grid_size", "seed"}


def ablation_options(round_number: int, arm: str) -> list[str]:
    lines = dict(line.split(": ", 1) for line in (RESULTS / f"ablation128-round{round_number}" / "variants.txt")
                 .read_text().splitlines() if line and not line.startswith("#"))
    return shlex.split(lines["budget"]) + shlex.split(lines[arm])


@pytest.mark.parametrize("round_number, n_train", [(38, 50), (37, 435)])
@pytest.mark.parametrize("model", ["speckle", "baseline"])
def test_cpu128_v2_runs_are_the_ablation_arms(tmp_path, round_number, n_train, model):
    ablation = load_config(GANConfig, ablation_options(round_number, ARMS[model]) + ["--seed", "1"])
    budget = gan_config(get_budget("cpu128-v2"), model, n_train, 1, "phantom", 0, tmp_path / "run", None)
    differing = {field.name: (getattr(ablation, field.name), getattr(budget, field.name))
                 for field in dataclasses.fields(GANConfig)
                 if field.name not in NOT_COMPARED and getattr(ablation, field.name) != getattr(budget, field.name)}
    assert differing == {}
    assert budget.seed == ablation.seed == 1


def test_spade_normalization_reaches_both_models_and_old_manifests_stay_valid(tmp_path):
    budget = get_budget("cpu128-v2")
    for model in ("speckle", "baseline"):
        assert gan_config(budget, model, 50, 0, "phantom", 0, tmp_path / model, None).spade_normalization == "instance"
    assert gan_config(get_budget("cpu128"), "speckle", 50, 0, "phantom", 0, tmp_path / "s", None) \
        .spade_normalization == "batch"
    assert "spade_normalization" not in get_budget("cpu128").to_dict()
    assert budget.to_dict()["spade_normalization"] == "instance"
    with pytest.raises(ValueError, match="spade_normalization"):
        dataclasses.replace(budget, spade_normalization="layer")
