"""The cpu128-v2 and cpu128-v3 budgets train exactly the runs of the ablation rounds they were chosen from.

Reference: the ``fit_gan.py`` options that the rounds ran (v2: rounds 37 at n = 435 and 38 at n = 50; v3: rounds 44
and 45 for SpeckleGAN, whose baseline arm is v2's), read from their committed ``variants.txt`` and parsed by the
command's own option parser, against what the reproduction's ``gan_config`` gives for the same model, n and seed.
Only the file locations and the sample-grid size may differ.
"""
import dataclasses
import shlex
from pathlib import Path

import pytest

from specklegan_tf.experiments.budgets import get_budget
from specklegan_tf.experiments.paper_experiment import gan_config
from specklegan_tf.training.config import GANConfig, load_config

RESULTS = Path(__file__).resolve().parents[2] / "docs" / "results"
# budget -> model -> (round at n = 50, round at n = 435, arm of those rounds)
ROUNDS = {
    "cpu128-v2": {"speckle": (38, 37, "display-polar-data-dacc-div"), "baseline": (38, 37, "baseline-dacc-div")},
    "cpu128-v3": {"speckle": (45, 44, "display-nonneg-dacc-div"), "baseline": (38, 37, "baseline-dacc-div")},
}
NOT_COMPARED = {"name", "out", "export_dir", "grid_size", "seed"}


def ablation_options(round_number: int, arm: str) -> list[str]:
    lines = dict(line.split(": ", 1) for line in (RESULTS / f"ablation128-round{round_number}" / "variants.txt")
                 .read_text().splitlines() if line and not line.startswith("#"))
    return shlex.split(lines["budget"]) + shlex.split(lines[arm])


@pytest.mark.parametrize("n_train", [50, 435])
@pytest.mark.parametrize("model", ["speckle", "baseline"])
@pytest.mark.parametrize("budget_name", sorted(ROUNDS))
def test_budget_runs_are_the_ablation_arms(tmp_path, budget_name, n_train, model):
    round_n50, round_n435, arm = ROUNDS[budget_name][model]
    ablation = load_config(GANConfig, ablation_options(round_n50 if n_train == 50 else round_n435, arm)
                           + ["--seed", "1"])
    budget = gan_config(get_budget(budget_name), model, n_train, 1, "phantom", 0, tmp_path / "run", None)
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


def test_v3_differs_from_v2_only_in_the_speckle_weights(tmp_path):
    v2, v3 = get_budget("cpu128-v2"), get_budget("cpu128-v3")
    assert dataclasses.replace(v3, name=v2.name, speckle_options=v2.speckle_options) == v2
    for model, expected in (("speckle", "nonnegative"), ("baseline", "signed")):
        assert gan_config(v3, model, 50, 0, "phantom", 0, tmp_path / model, None).speckle_weights == expected
