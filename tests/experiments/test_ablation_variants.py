"""Every published ablation round's ``variants.txt`` is one that ``docs/results/ablation64.sh`` can run: each line
parses, together with the round's budget (the script's 64 px one, or the round's own ``budget:`` line), into a valid
``fit_gan.py`` configuration, and the names are unique."""
from pathlib import Path
import re
import shlex

import pytest

from specklegan_tf.core.config import load_config
from specklegan_tf.training.config import GAN_PRESETS, GANConfig

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = sorted(ROOT.glob("docs/results/ablation*/variants.txt"))


def _common_budget() -> list[str]:
    script = (ROOT / "docs/results/ablation64.sh").read_text()
    body = re.search(r"ABLATION_COMMON=\((.*?)\)", script, re.S).group(1)
    return shlex.split(body)


def _round_budget(path: Path) -> list[str]:
    """The round's own ``budget:`` line if it has one (it replaces the common budget), else the common budget."""
    for line in path.read_text().splitlines():
        if line.startswith("budget:"):
            return shlex.split(line.split(":", 1)[1])
    return _common_budget()


def _variants(path: Path) -> dict[str, str]:
    variants = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith(("#", "title:", "budget:")):
            continue
        name, options = line.split(":", 1)
        assert name not in variants, f"{path}: {name} twice"
        assert re.fullmatch(r"[a-z0-9-]+", name), name
        variants[name] = options
    return variants


def test_there_are_published_rounds():
    assert len(ROUNDS) >= 4


@pytest.mark.parametrize("path", ROUNDS, ids=lambda p: p.parent.name)
def test_every_variant_is_a_valid_configuration(path, tmp_path):
    variants = _variants(path)
    assert "baseline" in variants
    budget = _round_budget(path)
    budget_config = load_config(GANConfig, budget + ["--out", str(tmp_path / "budget")], presets=GAN_PRESETS)
    for name, options in variants.items():
        config = load_config(GANConfig, budget + shlex.split(options) + ["--out", str(tmp_path / name)],
                             presets=GAN_PRESETS)
        # A variant changes what it names, never the round's budget: that is what makes its runs comparable.
        for key in ("image_size", "n_train", "epochs", "width", "latent_dim", "batch_size", "lr"):
            assert getattr(config, key) == getattr(budget_config, key), (name, key)
        assert config.model == ("baseline" if name.startswith("baseline") else "speckle"), name
