"""The segmentation study (acceptance 4) on a tiny configuration, its statistics and its bad-input errors; the
array entry gives the folder entry's table for the same split; the command's options."""

import csv
import io
import json

import numpy as np
import pytest

from specklegan_tf.data import load_dataset, write_challenge_layout
from specklegan_tf.experiments.study import (
    NO_PRETRAINING,
    StudyConfig,
    derive_seed,
    kfold_splits,
    paired_p_value,
    parse_conditions,
    run_study,
    run_study_on_arrays,
    scenario_splits,
    summarize,
    table2_markdown,
)

SIZE = 32


@pytest.fixture(scope="module")
def generated_folder(tmp_path_factory):
    """Stand-in for generated images: phantom frames of another seed, in the challenge layout."""
    other = load_dataset("phantom", image_size=SIZE, n=10, seed=7)
    folder = tmp_path_factory.mktemp("generated")
    write_challenge_layout(folder, other.images, other.masks)
    return folder


def _tiny(out, generated_folder, **overrides):
    settings = dict(n_data=30, n_train=(10,), folds=2, batch_size=5, image_size=SIZE, base_filters=4, epochs=2,
                    pretrain_epochs=1, lr=3e-3, pretrain=(f"synthetic={generated_folder}",), seed=5, out=str(out))
    settings.update(overrides)
    return StudyConfig(**settings)


@pytest.mark.slow
def test_tiny_study_fills_table_and_reruns_identically(tmp_path, generated_folder):
    import matplotlib.pyplot as plt

    first = run_study(_tiny(tmp_path / "a", generated_folder), stream=io.StringIO())
    # The array entry with the split the folder entry draws from the seed: the same study, so the same table
    # (a rerun with the same seed is identical, whichever entry runs it).
    config_b = _tiny(tmp_path / "b", generated_folder)
    data = load_dataset("phantom", image_size=SIZE, n=30, seed=0)
    train, test = scenario_splits(len(data), config_b.n_train, config_b.seed)
    assert sorted(np.concatenate([train[0], test[0]]).tolist()) == list(range(30)) and len(train[0]) == 10
    second = run_study_on_arrays(data.images, data.masks, train, test, config_b, names=data.names,
                                 stream=io.StringIO())

    assert first.markdown == second.markdown
    assert (tmp_path / "a" / "table2.csv").read_text() == (tmp_path / "b" / "table2.csv").read_text()
    assert (tmp_path / "a" / "table2_pvalues.csv").read_text() == (tmp_path / "b" / "table2_pvalues.csv").read_text()
    plot = plt.imread(tmp_path / "a" / "boxplot.png")
    # 2x2 panels, figure (4 + 1.2 x 2 boxes) x 8 inches at 100 dpi; a drawn figure is not one flat colour
    assert plot.shape[:2] == (800, 640) and plot[..., :3].std() > 0.05

    rows = list(csv.DictReader(open(tmp_path / "a" / "table2.csv")))
    # 1 scenario x 2 conditions x 2 metrics x 2 classes, every cell filled with a finite number
    assert len(rows) == 8 and all(v not in ("", "nan") for r in rows for v in r.values())
    assert {r["condition"] for r in rows} == {NO_PRETRAINING, "synthetic"}
    for r in rows:
        mean, std = float(r["mean"]), float(r["std"])
        assert np.isfinite(mean) and np.isfinite(std) and std >= 0
        assert 0 <= mean <= 100 if r["metric"] == "dice" else mean >= 0
        assert int(r["test_images"]) == 20 and int(r["folds"]) == 2
    pvalues = list(csv.DictReader(open(tmp_path / "a" / "table2_pvalues.csv")))
    assert len(pvalues) == 4
    assert all(0.0 <= float(r["p"]) <= 1.0 for r in pvalues)
    assert "| 10 | no pre-training vs synthetic |" in first.markdown
    assert "nan" not in first.markdown.lower()

    record = json.loads((tmp_path / "a" / "study.json").read_text())
    assert record["seed"] == 5 and record["pretraining"]["synthetic"]["seed"] == derive_seed(5, "pretrain",
                                                                                             "synthetic")
    scenario = record["scenarios"]["10"]
    assert len(scenario["train"]) == 10 and len(scenario["test"]) == 20
    assert not set(scenario["train"]) & set(scenario["test"])
    assert sorted(sum(scenario["folds"], [])) == sorted(scenario["train"])
    runs = {(r["fold"], r["condition"]): r for r in record["runs"]}
    assert len(runs) == 4
    assert runs[(0, NO_PRETRAINING)]["seed"] == runs[(0, "synthetic")]["seed"]  # same data order per fold


def test_kfold_splits_partition_and_are_seeded():
    splits = kfold_splits(23, 5, seed=1)
    held = np.concatenate([h for _, h in splits])
    assert sorted(held.tolist()) == list(range(23))
    for fit, h in splits:
        assert not set(fit) & set(h) and len(fit) + len(h) == 23
    assert [h.tolist() for _, h in kfold_splits(23, 5, seed=1)] == [h.tolist() for _, h in splits]
    assert [h.tolist() for _, h in kfold_splits(23, 5, seed=2)] != [h.tolist() for _, h in splits]
    assert derive_seed(0, "folds", 50) != derive_seed(0, "folds", 100)


def test_statistics_against_scipy():
    from scipy.stats import ttest_rel

    rng = np.random.default_rng(0)
    conditions = parse_conditions((), ("gan=/nonexistent",))
    results = {}
    for f in range(3):
        for c, shift in ((NO_PRETRAINING, 0.0), ("gan", 0.05)):
            results[(50, f, c)] = {k: rng.uniform(0.5, 0.9, 12) + shift for k in
                                   ("dice_intima_media", "dice_lumen", "mhd_intima_media", "mhd_lumen")}
    summary, pvalues, per_image = summarize(results, (50,), conditions, 3)
    row = next(r for r in summary if r["condition"] == "gan" and r["metric"] == "dice" and r["class"] == "lumen")
    fold_means = [results[(50, f, "gan")]["dice_lumen"].mean() * 100 for f in range(3)]
    assert row["mean"] == pytest.approx(np.mean(fold_means)) and row["std"] == pytest.approx(np.std(fold_means,
                                                                                                     ddof=1))
    p = next(r for r in pvalues if r["metric"] == "mhd" and r["class"] == "intima_media")
    a = np.mean([results[(50, f, NO_PRETRAINING)]["mhd_intima_media"] for f in range(3)], axis=0)
    b = np.mean([results[(50, f, "gan")]["mhd_intima_media"] for f in range(3)], axis=0)
    assert p["p"] == pytest.approx(ttest_rel(a, b).pvalue)
    assert paired_p_value(a, a) == (0.0, 1.0)
    markdown = table2_markdown(summary, pvalues)
    assert markdown.count("\n| 50 |") == 2 * 2 + 1


def test_bad_input_errors(tmp_path, generated_folder):
    with pytest.raises(ValueError, match=r"--n-train 8: .*folds x --batch-size = 10"):
        _tiny(tmp_path, generated_folder, n_train=(8,))
    with pytest.raises(ValueError, match="each scenario needs images left over"):
        run_study(_tiny(tmp_path, generated_folder, n_train=(30,)), stream=io.StringIO())
    # File-system checks are one explicit step (load_config runs it), not part of constructing the values.
    missing = _tiny(tmp_path, generated_folder, pretrain=(str(tmp_path / "missing"),))
    with pytest.raises(FileNotFoundError, match="--pretrain"):
        missing.check_paths()
    with pytest.raises(FileNotFoundError, match="--pretrain"):
        run_study(missing, stream=io.StringIO())
    with pytest.raises(ValueError, match="more than once"):
        parse_conditions(("a=x",), ("a=y",))
    # pre-training images of another size than the fine-tuning images
    with pytest.raises(ValueError, match=r"images are 32x32 but the fine-tuning images .* 64x64"):
        run_study(_tiny(tmp_path / "size", generated_folder, image_size=64), stream=io.StringIO())
    # masks without some class, in a generic images/labels data folder
    from specklegan_tf.data.image_files import write_gray_png

    data = load_dataset("phantom", image_size=SIZE, n=30)
    bad = tmp_path / "bad"
    (bad / "images").mkdir(parents=True)
    (bad / "labels").mkdir()
    for i, (image, mask) in enumerate(zip(data.images, data.masks)):
        if i == 3:
            mask = np.where(mask == 1, 2, mask).astype(np.uint8)  # frame 3 loses its intima/media
        write_gray_png(bad / "images" / f"f{i:02d}.png", image)
        write_gray_png(bad / "labels" / f"f{i:02d}.png", mask)
    # The loader refuses it, naming the label file (issue 14, item 10), before the study's own mask check.
    with pytest.raises(ValueError, match=r"labels/f03.png: the label map has no intima_media pixel"):
        run_study(_tiny(tmp_path / "masks", generated_folder, data=str(bad)), stream=io.StringIO())


def test_array_entry_refuses_indices_that_do_not_fit(tmp_path, generated_folder):
    data = load_dataset("phantom", image_size=SIZE, n=30, seed=0)
    config = _tiny(tmp_path / "idx", generated_folder)
    images, masks = data.images, data.masks
    with pytest.raises(ValueError, match=r"--n-train 10: the scenario's train_indices hold 9 images"):
        run_study_on_arrays(images, masks, np.arange(9), np.arange(9, 30), config, stream=io.StringIO())
    with pytest.raises(ValueError, match="distinct indices"):
        run_study_on_arrays(images, masks, np.arange(10), np.arange(5, 30), config, stream=io.StringIO())
    with pytest.raises(ValueError, match="distinct indices"):
        run_study_on_arrays(images, masks, np.arange(10), np.arange(10, 31), config, stream=io.StringIO())
    with pytest.raises(ValueError, match="images left over"):
        run_study_on_arrays(images, masks, np.arange(10), np.arange(0), config, stream=io.StringIO())
    with pytest.raises(ValueError, match=r"one index array per --n-train scenario \(1\), got 2"):
        run_study_on_arrays(images, masks, [np.arange(10)] * 2, [np.arange(10, 30)] * 2, config,
                            stream=io.StringIO())
    assert not (tmp_path / "idx" / "study_config.json").exists()  # refused before anything was written


def test_study_options_through_the_one_configuration_mechanism(tmp_path, generated_folder):
    from specklegan_tf.commands.study import build_parser
    from specklegan_tf.core.config import load_config

    args = ["--n-train", "10", "20", "--folds", "2", "--batch-size", "5", "--pretrain", f"a={generated_folder}",
            "--pretrain", f"b={generated_folder}", "--n-data", "40", "--no-augment", "--image-size", "32"]
    config = load_config(StudyConfig, args)
    assert config.n_train == (10, 20) and config.n_data == 40 and config.augment is False
    assert config.pretrain == (f"a={generated_folder}", f"b={generated_folder}") and config.gan == ()
    help_text = build_parser().format_help()
    assert "--n-train N [N ...]" in help_text and "--gan [NAME=]PATH" in help_text
    file = tmp_path / "study.yaml"
    file.write_text("n_train: [10]\nfolds: 2\nbatch_size: 5\nimage_size: 32\n")
    assert load_config(StudyConfig, ["--config", str(file)]).n_train == (10,)
    with pytest.raises(ValueError, match="--folds must be at least 2, got 1"):
        load_config(StudyConfig, ["--folds", "1"])
    with pytest.raises(FileNotFoundError, match="--gan: no such file or folder"):
        load_config(StudyConfig, ["--gan", str(tmp_path / "missing.keras")])
    with pytest.raises(ValueError, match="--n-train expects one or more values, each an integer"):
        load_config(StudyConfig, ["--n-train", "ten"])
