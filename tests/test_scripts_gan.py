"""train/generate.py and train/evaluate_gan.py end to end on tiny generators (32 px, .keras files)."""
import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from specklegan_tf.export import save_generator_keras
from specklegan_tf.models import build_generator

ROOT = Path(__file__).resolve().parents[1]


def run_main(name, *args):
    """Calls the script's main(argv) in this process (no second TensorFlow start-up): the same code path as the CLI."""
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), ROOT / "train" / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main([str(a) for a in args])


def run_script(name, *args, cwd, cache):
    env = {**os.environ, "SPECKLEGAN_TF_CACHE": str(cache), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, str(ROOT / "train" / name), *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=600)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    speckle = save_generator_keras(build_generator(32, width=0.125, latent_dim=16, seed=0), folder / "speckle.keras")
    baseline = save_generator_keras(build_generator(32, width=0.125, latent_dim=16, speckle=False),
                                    folder / "baseline.keras")
    return speckle, baseline


@pytest.mark.slow  # several seconds (a child process, a trained or exported model): full suite only
def test_generate_writes_the_challenge_layout(models, tmp_path):
    from specklegan_tf.data import load_dataset

    assert run_main("generate.py", "--model", models[0], "--masks", "synthetic", "--n", 3, "--seed", 4,
                    "--out", tmp_path / "synthetic", "--image-size", 32) == 0
    data = load_dataset(tmp_path / "synthetic", image_size=32)
    assert data.images.shape == data.masks.shape == (3, 32, 32)
    assert set(np.unique(data.masks)) == {0, 1, 2}
    assert data.images.std() > 0  # generated pictures, not blanks


@pytest.mark.slow  # several seconds (a child process, a trained or exported model): full suite only
def test_evaluate_writes_report_and_grid(models, tmp_path, monkeypatch):
    monkeypatch.setenv("SPECKLEGAN_TF_CACHE", str(tmp_path / "cache"))
    assert run_main("evaluate_gan.py", "--model", models[0], "--name", "SpeckleGAN", "--model", models[1],
                    "--name", "Baseline", "--data", "phantom", "--n", 8, "--grid-columns", 4,
                    "--out", tmp_path / "evaluation") == 0
    out = tmp_path / "evaluation"
    table = (out / "report.md").read_text()
    assert "| Metric | SpeckleGAN | Baseline |" in table and "texture_fd" in table
    with open(out / "report.csv") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["metric", "SpeckleGAN", "Baseline"]
    fd = {row[0]: row[1:] for row in rows}["texture_fd"]
    assert all(float(v) > 0 for v in fd)
    # A second z per mask (seeds from --seed + 1): the SSIM of the two images of each mask, by hand.
    from skimage.metrics import structural_similarity

    from specklegan_tf.data import load_dataset
    from specklegan_tf.export import load_generator
    from specklegan_tf.export.synthesis import draw_seeds

    masks = load_dataset("phantom", image_size=32, n=8).masks
    same_mask = [float(v) for v in {row[0]: row[1:] for row in rows}["same_mask_ssim"]]
    for model, reported in zip(models, same_mask):
        generator = load_generator(model)
        first, second = generator(masks, draw_seeds(8, 0)), generator(masks, draw_seeds(8, 1))
        by_hand = np.mean([structural_similarity(a.astype(float), b.astype(float), data_range=255)
                           for a, b in zip(first, second)])
        assert reported == pytest.approx(by_hand, rel=1e-6) and 0.0 < reported < 1.0
    import matplotlib.image

    grid = matplotlib.image.imread(out / "grid.png")
    assert grid.shape[:2] == (640, 640)  # 4 rows (mask, real, 2 models) x 4 columns of 1.6 in at 100 dpi


def test_generate_refuses_a_model_of_another_size(models, tmp_path, capsys):
    assert run_main("generate.py", "--model", models[0], "--n", 2, "--out", tmp_path / "x", "--image-size", 64) == 2
    assert "speckle.keras" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_bad_model_path_names_the_file(tmp_path):
    missing = tmp_path / "no_such_model"
    for script, extra in (("generate.py", ["--out", tmp_path / "x"]), ("evaluate_gan.py", ["--out", tmp_path / "y"])):
        run = run_script(script, "--model", missing, *extra, cwd=tmp_path, cache=tmp_path / "cache")
        assert run.returncode == 2
        assert "no_such_model" in run.stderr and "Traceback" not in run.stderr
