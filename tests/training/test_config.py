"""Trainer configuration: precedence of defaults, presets, files and flags; clear errors naming the option."""

import json

import numpy as np

import pytest

from specklegan_tf.training.config import (
    GAN_PRESETS,
    GANConfig,
    load_config,
    read_saved_config,
    save_config,
)


def load(argv):
    return load_config(GANConfig, argv, presets=GAN_PRESETS)


def test_bare_command_is_the_paper_configuration():
    config = load([])
    assert (config.image_size, config.model, config.data, config.width) == (256, "speckle", "phantom", 1.0)
    assert config.run_dir.as_posix() == "runs/specklegan"
    assert config.learning_rates == (3e-4, 3e-4)


def test_precedence_defaults_preset_file_flags(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("preset: demo\nimage-size: 128\nepochs: 7\ndecay_epochs: [3, 5]\njit: true\n")
    config = load(["--config", str(path), "--epochs", "2", "--no-jit", "--lr-g", "1e-4"])
    assert config.width == GAN_PRESETS["demo"]["width"]  # preset
    assert config.image_size == 128 and config.decay_epochs == (3, 5)  # file over preset
    assert config.epochs == 2 and config.jit is False  # flags over file
    assert config.learning_rates == (1e-4, GAN_PRESETS["demo"]["lr"])
    assert config.run_dir.as_posix() == "runs/specklegan-demo"


def test_json_config_and_none_values(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"n_train": 50, "model": "baseline", "out": "elsewhere"}))
    config = load(["--config", str(path), "--n-train", "none"])
    assert config.n_train is None and config.model == "baseline" and config.run_dir.as_posix() == "elsewhere"


def test_saved_config_reads_back_equal(tmp_path):
    config = load(["--preset", "demo", "--seed", "5"])
    save_config(config, tmp_path / "config.yaml")
    assert read_saved_config(GANConfig, tmp_path / "config.yaml") == config
    assert load(["--config", str(tmp_path / "config.yaml")]) == config


@pytest.mark.parametrize("argv, message", [
    (["--image-size", "100"], "--image-size must be a power of two from 32 to 512, got 100"),
    (["--image-size", "1024"], "--image-size must be a power of two"),
    (["--width", "0"], "--width must be a positive number"),
    (["--lr", "abc"], "--lr expects a number, got 'abc'"),
    (["--epochs", "0"], "--epochs must be at least 1"),
    (["--decay-epochs", "5", "2"], "--decay-epochs must be two increasing positive epochs"),
    (["--features", "inception"], "--features inception needs --inception-weights"),
    (["--diff-augment", "color,blur"], "--diff-augment must be 'none' or distinct names"),
    (["--diff-augment", "color,color"], "--diff-augment must be 'none' or distinct names"),
    (["--r1-gamma", "-1"], "--r1-gamma must be a number >= 0"),
    (["--diversity-weight", "-1"], "--diversity-weight must be a number >= 0"),
    (["--diversity-target", "0"], "--diversity-target must be a positive number"),
    (["--diversity-weight", "1", "--batch-size", "1"], "--batch-size must be at least 2 with --diversity-weight"),
    (["--speckle-weights", "nonnegative"], "--speckle-weights 'nonnegative' constrains the 'direct' or 'display'"),
    (["--speckle-route", "display", "--speckle-weights", "fixed_gain"],
     "--speckle-weights 'fixed_gain' holds the 1x1 weights' sum at --direct-gain"),
    (["--speckle-route", "display", "--speckle-contrast", "data", "--speckle-weights", "fixed_gain"],
     "--speckle-weights 'fixed_gain' holds the 1x1 weights' sum at --direct-gain"),
    (["--speckle-route", "direct", "--display-clip", "straight_through"],
     "--display-clip 'straight_through' acts on the 'display' route's clip"),
])
def test_bad_values_name_the_option(argv, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        load(argv)


def test_missing_files_and_folders_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="--data: no such folder: .*missing"):
        load(["--data", str(tmp_path / "missing")])
    with pytest.raises(FileNotFoundError, match="--config: no such file"):
        load(["--config", str(tmp_path / "none.yaml")])
    with pytest.raises(FileNotFoundError, match="--inception-weights: no such file"):
        load(["--features", "inception", "--inception-weights", str(tmp_path / "w.h5")])


def test_unknown_config_key_is_named_with_a_suggestion(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("imagesize: 64\n")
    with pytest.raises(ValueError, match=r"unknown option 'imagesize'; did you mean --image-size"):
        load(["--config", str(path)])
    path.write_text("- just\n- a list\n")
    with pytest.raises(ValueError, match="must contain a mapping"):
        load(["--config", str(path)])
    path.write_text("epochs: many\n")
    with pytest.raises(ValueError, match="--epochs expects an integer, got 'many'"):
        load(["--config", str(path)])


def test_malformed_flags_exit_with_usage(capsys):
    with pytest.raises(SystemExit):
        load(["--model", "vae"])
    assert "--model" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        load(["--preset", "huge"])


def test_fit_gan_main_reports_bad_options_without_training(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "fit_gan", Path(__file__).resolve().parents[2] / "train" / "fit_gan.py")
    fit_gan = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fit_gan)
    assert fit_gan.main(["--image-size", "100"]) == 2
    assert "fit_gan.py: error: --image-size must be a power of two" in capsys.readouterr().err
    assert fit_gan.main(["--data", str(tmp_path / "nope")]) == 2
    assert "--data: no such folder" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--window-shape", "round"], ["--speckle-init", "guess"],
                                  ["--speckle-weights", "positive"]])
def test_speckle_choices_exit_with_usage_naming_the_option(argv, capsys):
    with pytest.raises(SystemExit):
        load(argv)
    assert f"argument {argv[0]}: invalid choice" in capsys.readouterr().err


def test_speckle_options_parse_and_diff_augment_policies_are_read_in_order():
    config = load(["--window-shape", "rectangular", "--speckle-init", "data", "--diff-augment", "cutout, color"])
    assert (config.window_shape, config.speckle_init) == ("rectangular", "data")
    assert config.diff_augment_policies == ("cutout", "color")
    assert load([]).diff_augment_policies == () and load([]).window_shape == "square"


def test_speckle_windows_are_two_edge_lengths_within_the_image_and_a_model_option():
    from specklegan_tf.training.gan_trainer import RESUME_KEYS

    config = load(["--image-size", "128", "--speckle-windows", "38", "34"])
    assert config.speckle_windows == (38.0, 34.0)
    assert load([]).speckle_windows is None
    assert "speckle_windows" in RESUME_KEYS  # changes the model: refused on resume
    assert {"diversity_weight", "diversity_target"} <= set(RESUME_KEYS)
    assert "r1_gamma" in RESUME_KEYS and load(["--r1-gamma", "0.5"]).r1_gamma == 0.5 and load([]).r1_gamma == 0
    for bad in (["0.5", "34"], ["38", "129"], ["nan", "3"]):
        with pytest.raises(ValueError, match=r"--speckle-windows must be two edge lengths from 1 to the image size "
                                             r"\(128\) bins"):
            load(["--image-size", "128", "--speckle-windows", *bad])


def test_fixed_speckle_windows_are_a_model_option_that_reaches_the_layer():
    from specklegan_tf.layers import SpeckleLayer
    from specklegan_tf.models import build_generator
    from specklegan_tf.training.gan_trainer import RESUME_KEYS

    assert load([]).learn_speckle_windows is True
    config = load(["--no-learn-speckle-windows"])
    assert config.learn_speckle_windows is False
    assert "learn_speckle_windows" in RESUME_KEYS  # changes the model: refused on resume
    generator = build_generator(32, latent_dim=8, width=0.125, learn_speckle_windows=config.learn_speckle_windows)
    speckle = [layer for layer in generator._flatten_layers() if isinstance(layer, SpeckleLayer)]
    assert len(speckle) == 1 and not speckle[0].learn_windows
    assert not any(w is speckle[0].log_window for w in generator.trainable_weights)


@pytest.mark.parametrize("model", ["speckle", "baseline"])
def test_spade_normalization_reaches_every_spade_of_both_models(model, capsys):
    from specklegan_tf.layers import SPADE
    from specklegan_tf.models import build_generator
    from specklegan_tf.training.gan_trainer import RESUME_KEYS

    assert load([]).spade_normalization == "batch"
    config = load(["--model", model, "--spade-normalization", "instance"])
    assert "spade_normalization" in RESUME_KEYS  # changes the model: refused on resume
    generator = build_generator(32, latent_dim=8, width=0.125, speckle=config.model == "speckle",
                                spade_normalization=config.spade_normalization)
    spades = [layer for layer in generator._flatten_layers() if isinstance(layer, SPADE)]
    assert len(spades) >= 8 and {layer.normalization for layer in spades} == {"instance"}
    # Each image its own statistics: an image generated alone is the one generated in a batch, in training too.
    rng = np.random.default_rng(0)
    masks = np.eye(3, dtype="float32")[rng.integers(0, 3, (4, 32, 32))]
    z = rng.normal(size=(4, 8)).astype("float32")
    batch = np.asarray(generator([masks, z], training=True))
    alone = np.asarray(generator([masks[:1], z[:1]], training=False))
    np.testing.assert_allclose(batch[:1], alone, atol=1e-4)
    with pytest.raises(SystemExit):
        load(["--spade-normalization", "layer"])
    assert "argument --spade-normalization: invalid choice" in capsys.readouterr().err
    with pytest.raises(ValueError, match="spade_normalization"):
        build_generator(32, latent_dim=8, width=0.125, spade_normalization="layer")


@pytest.mark.parametrize("model", ["speckle", "baseline"])
def test_discriminator_downsampling_reaches_every_discriminator_block_of_both_models(model, capsys):
    from specklegan_tf.layers import DownsamplingResidualBlock
    from specklegan_tf.training.gan_models import gan_factory
    from specklegan_tf.training.gan_trainer import RESUME_KEYS

    assert load([]).discriminator_downsampling == "stride"  # the paper
    assert "discriminator_downsampling" in RESUME_KEYS  # changes the model: refused on resume
    for downsampling in ("stride", "blur"):
        config = load(["--model", model, "--image-size", "32", "--width", "0.125", "--latent-dim", "8",
                       "--discriminator-downsampling", downsampling])
        gan = gan_factory(config, "float32", steps_per_epoch=2)()
        blocks = [layer for layer in gan.discriminator.layers if isinstance(layer, DownsamplingResidualBlock)]
        assert len(blocks) == 3 and {block.downsampling for block in blocks} == {downsampling}  # 32 -> 4 px
        assert gan.discriminator.output_shape == (None, 1)
    with pytest.raises(SystemExit):
        load(["--discriminator-downsampling", "average"])
    assert "argument --discriminator-downsampling: invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("model", ["speckle", "baseline"])
def test_upsampling_reaches_every_trunk_upsampling_of_both_models(model, capsys):
    import keras

    from specklegan_tf.models import build_generator
    from specklegan_tf.training.gan_trainer import RESUME_KEYS

    assert load([]).upsampling == "nearest"  # the paper's SPADE generator
    config = load(["--model", model, "--upsampling", "bilinear"])
    assert "upsampling" in RESUME_KEYS  # changes the model: refused on resume
    rng = np.random.default_rng(0)
    masks = np.eye(3, dtype="float32")[rng.integers(0, 3, (2, 32, 32))]
    z = rng.normal(size=(2, 8)).astype("float32")
    images = {}
    for upsampling in ("nearest", config.upsampling):
        keras.utils.set_random_seed(0)
        generator = build_generator(32, latent_dim=8, width=0.125, speckle=config.model == "speckle", seed=0,
                                    upsampling=upsampling)
        layers = [layer for layer in generator.layers if isinstance(layer, keras.layers.UpSampling2D)]
        assert len(layers) == 3 and {layer.interpolation for layer in layers} == {upsampling}  # 4 -> 32 px
        images[upsampling] = np.asarray(generator([masks, z]))
    # Same weights (same global seed), only the interpolation differs: so do the images.
    assert not np.allclose(images["nearest"], images["bilinear"], atol=1e-3)
    with pytest.raises(SystemExit):
        load(["--upsampling", "bicubic"])
    assert "argument --upsampling: invalid choice" in capsys.readouterr().err
    with pytest.raises(ValueError, match="upsampling"):
        build_generator(32, latent_dim=8, width=0.125, upsampling="bicubic")


@pytest.mark.parametrize("shape", ["rectangular", "square"])
def test_given_windows_spread_as_the_papers_around_the_centre_and_are_recorded(tmp_path, shape):
    import math

    from specklegan_tf.training.gan_models import given_windows

    config = load(["--image-size", "128", "--speckle-windows", "38", "34", "--window-shape", shape])
    lines = []
    windows = np.asarray(given_windows(config, tmp_path, lines.append))
    centre = np.array([38.0, 34.0]) if shape == "rectangular" else math.sqrt(38 * 34)
    # The paper's 28 to 48 bins are 0.764 and 1.309 times their geometric mean.
    assert windows[0] == pytest.approx(centre * 28 / math.sqrt(28 * 48))
    assert windows[-1] == pytest.approx(centre * 48 / math.sqrt(28 * 48))
    assert len(windows) == 4 and np.all(np.diff(windows, axis=0) > 0)
    record = json.loads((tmp_path / "speckle_init.json").read_text())
    assert np.allclose(record["initial_window_sizes"], windows) and record["given_centre_window"] == [38.0, 34.0]
    assert "38 x 34 bins" in lines[0]
