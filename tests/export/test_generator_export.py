"""Generator export (acceptance 6): TF Serving layout, a fresh process without specklegan_tf, determinism, errors."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.export import (
    atomic_directory,
    atomic_file,
    existing_versions,
    export_generator,
    latent_from_seeds,
    load_generator,
    next_version,
    save_generator_keras,
    write_versioned,
)
from specklegan_tf.models import build_generator

SIZE = 32
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def generator():
    return build_generator(image_size=SIZE, width=0.25, seed=0)


@pytest.fixture(scope="module")
def exported(generator, tmp_path_factory):
    root = tmp_path_factory.mktemp("savedmodels")
    return root, export_generator(generator, root, "specklegan")


def labels(n, seed=0):
    return np.random.default_rng(seed).integers(0, 3, (n, SIZE, SIZE)).astype(np.int32)


def test_tf_serving_layout(exported, generator):
    root, path = exported
    assert path == root / "specklegan" / "1"
    assert (path / "saved_model.pb").exists() and (path / "variables").is_dir()
    # Only the finished numeric folder is visible: no temporary leftovers beside it.
    assert sorted(p.name for p in (root / "specklegan").iterdir()) == ["1"]
    meta = json.loads((path / "assets.extra" / "generator.json").read_text())
    assert (meta["height"], meta["width"], meta["num_classes"], meta["latent_dim"]) == (SIZE, SIZE, 3, 128)
    assert next_version(root / "specklegan") == 2


@pytest.mark.slow  # several seconds (a child process, a trained or exported model): full suite only
def test_fresh_process_without_specklegan_tf(exported, tmp_path):
    """Loads with tf.saved_model.load alone; same seed same image, other seed other image, bad input refused."""
    _, path = exported
    script = textwrap.dedent(f"""
        import json, sys
        import numpy as np, tensorflow as tf
        serve = tf.saved_model.load({str(path)!r}).signatures["serving_default"]
        rng = np.random.default_rng(0)
        mask = tf.constant(rng.integers(0, 3, (3, {SIZE}, {SIZE})), tf.int32)
        a = serve(mask=mask, seed=tf.constant([1, 2, 3], tf.int64))
        b = serve(mask=mask, seed=tf.constant([1, 2, 3], tf.int64))
        c = serve(mask=mask, seed=tf.constant([4, 5, 6], tf.int64))
        single = serve(mask=mask[1:2], seed=tf.constant([2], tf.int64))
        errors = {{}}
        for key, (m, s) in {{
                "label": (np.full((1, {SIZE}, {SIZE}), 3), [1]),
                "negative": (np.full((1, {SIZE}, {SIZE}), -1), [1]),
                "size": (np.zeros((1, 16, 16)), [1]),
                "seeds": (np.zeros((2, {SIZE}, {SIZE})), [1]),
                "rank2": (np.zeros(({SIZE}, {SIZE})), [1]),
                "rank4": (np.zeros((1, {SIZE}, {SIZE}, 3)), [1]),
                "scalar_seed": (np.zeros((1, {SIZE}, {SIZE})), 1)}}.items():
            try:
                serve(mask=tf.constant(m, tf.int32), seed=tf.constant(s, tf.int64))
                errors[key] = None
            except tf.errors.InvalidArgumentError as error:
                errors[key] = error.message
        try:  # a mask of another dtype is refused by the signature itself, naming the expected dtype
            serve(mask=tf.zeros((1, {SIZE}, {SIZE}), tf.int64), seed=tf.constant([1], tf.int64))
            errors["dtype"] = None
        except (TypeError, ValueError, tf.errors.InvalidArgumentError) as error:
            errors["dtype"] = str(error)
        out = {{
            "imported": sorted(m for m in sys.modules if m.startswith("specklegan")),
            "dtypes": [a["image"].dtype.name, a["image_float"].dtype.name],
            "shape": a["image"].shape.as_list(),
            "same": bool(np.array_equal(a["image"], b["image"])),
            "other_diff": float(np.abs(a["image_float"].numpy() - c["image_float"].numpy()).mean()),
            "batch_independent": float(np.abs(single["image_float"].numpy()[0] - a["image_float"].numpy()[1]).max()),
            "float_matches_uint8": float(np.abs(np.round(a["image_float"].numpy() * 255) - a["image"].numpy()).max()),
            "range": [float(a["image_float"].numpy().min()), float(a["image_float"].numpy().max())],
            "errors": errors,
        }}
        print("RESULT" + json.dumps(out))
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.split("RESULT", 1)[1])
    assert out["imported"] == []
    assert out["dtypes"] == ["uint8", "float32"] and out["shape"] == [3, SIZE, SIZE]
    assert out["same"]
    assert out["other_diff"] > 1e-3
    assert out["batch_independent"] < 1e-5
    assert out["float_matches_uint8"] <= 0.5
    assert 0.0 <= out["range"][0] <= out["range"][1] <= 1.0
    assert "mask labels must be in {0, ..., 2}" in out["errors"]["label"]
    assert "mask labels must be in {0, ..., 2}" in out["errors"]["negative"]
    assert f"mask must have shape (N, {SIZE}, {SIZE})" in out["errors"]["size"]
    assert "seed must have one entry per mask" in out["errors"]["seeds"]
    # Issue 14, item 7: ranks are checked by the signature and the message says what it expects.
    for key in ("rank2", "rank4"):
        assert f"mask must be int32 labels of shape (N, {SIZE}, {SIZE})" in out["errors"][key], out["errors"][key]
    assert "seed must be int64 of shape (N,)" in out["errors"]["scalar_seed"], out["errors"]["scalar_seed"]
    assert out["errors"]["dtype"] is not None and "int32" in out["errors"]["dtype"], out["errors"]["dtype"]


@pytest.mark.slow  # several seconds (a child process, a trained or exported model): full suite only
def test_saved_model_cli_lists_the_signature(exported):
    _, path = exported
    run = subprocess.run([str(BIN / "saved_model_cli"), "show", "--dir", str(path), "--all"], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    text = run.stdout
    assert "signature_def['serving_default']" in text
    serving = text.split("signature_def['serving_default']", 1)[1]
    for expected in ("inputs['mask']", "DT_INT32", "inputs['seed']", "DT_INT64", "outputs['image']", "DT_UINT8",
                     "outputs['image_float']", "DT_FLOAT"):
        assert expected in serving, expected


def test_same_images_as_the_keras_generator(exported, generator):
    """The signature is G(one_hot(mask), z(seed)) in inference mode, with z a stateless normal per seed."""
    _, path = exported
    mask = labels(2, seed=3)
    seeds = np.array([11, 12], np.int64)
    z = latent_from_seeds(tf.constant(seeds), 128)
    assert abs(float(tf.math.reduce_std(z)) - 1.0) < 0.2
    expected = (generator([tf.one_hot(mask, 3), z], training=False).numpy()[..., 0] + 1) / 2
    got = load_generator(path)(mask, seeds, as_float=True)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_keras_file_round_trip(generator, tmp_path):
    path = save_generator_keras(generator, tmp_path / "specklegan.keras")
    assert [p.name for p in tmp_path.iterdir()] == ["specklegan.keras"]
    reloaded = keras.saving.load_model(path, safe_mode=True)
    mask, z = tf.one_hot(labels(2), 3), tf.random.stateless_normal((2, 128), [1, 2])
    np.testing.assert_allclose(reloaded([mask, z]).numpy(), generator([mask, z]).numpy(), atol=1e-6)
    # The loader gives the same images from the .keras file as from a SavedModel of the same generator.
    from_keras = load_generator(path)(labels(2), [5, 6])
    assert from_keras.dtype == np.uint8 and from_keras.shape == (2, SIZE, SIZE)
    with pytest.raises(ValueError, match=r"\.keras"):
        save_generator_keras(generator, tmp_path / "specklegan.h5")


def test_versions_and_atomicity(exported, generator, tmp_path):
    root, _ = exported
    with pytest.raises(FileExistsError, match="1"):  # never overwrites a version TF Serving may be serving
        export_generator(generator, root, "specklegan", version=1)
    with pytest.raises(ValueError, match="version"):
        export_generator(generator, root, "specklegan", version=0)
    write = lambda folder: (folder / "saved_model.pb").write_text("x")  # noqa: E731  (the layout, not TF)
    assert write_versioned(tmp_path / "g", 7, write) == tmp_path / "g" / "7"
    assert write_versioned(tmp_path / "g", None, write) == tmp_path / "g" / "8"
    (tmp_path / "g" / "notes").mkdir()  # non-numeric folders are not versions
    assert existing_versions(tmp_path / "g") == [7, 8] and next_version(tmp_path / "g") == 9
    # A write that fails half way leaves nothing behind, not even the temporary folder.
    with pytest.raises(RuntimeError):
        with atomic_directory(tmp_path / "g" / "9") as tmp:
            (tmp / "half_written").write_text("x")
            raise RuntimeError("crash while writing")
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["7", "8", "notes"]
    # A failed file write keeps the previous file intact.
    (tmp_path / "model.keras").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_file(tmp_path / "model.keras") as tmp:
            tmp.write_text("new, half written")
            raise RuntimeError("crash while writing")
    assert (tmp_path / "model.keras").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g", "model.keras"]


def test_load_generator_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing_model"):
        load_generator(tmp_path / "missing_model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty"):
        load_generator(tmp_path / "empty")
    (tmp_path / "weights.h5").write_text("x")
    with pytest.raises(ValueError, match="weights.h5"):
        load_generator(tmp_path / "weights.h5")



def xla_compiled_functions(saved_model_dir: Path) -> list[str]:
    """Names of the functions in a SavedModel's graph that carry ``_XlaMustCompile = true``."""
    from tensorflow.core.protobuf import saved_model_pb2

    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((Path(saved_model_dir) / "saved_model.pb").read_bytes())
    library = proto.meta_graphs[0].graph_def.library
    return [f.signature.name for f in library.function
            if "_XlaMustCompile" in f.attr and f.attr["_XlaMustCompile"].b]


@pytest.mark.slow  # several seconds (a child process, a trained or exported model): full suite only
def test_serving_graph_has_no_xla_compiled_function(exported, generator, tmp_path):
    """TF Serving compiles XLA on CPU only behind an experimental flag, so the export must trace the speckle
    layer's plain ops, while the same generator in Python keeps its XLA-compiled kernels."""
    _, path = exported
    assert generator.get_layer("speckle").compiled
    assert xla_compiled_functions(path) == []
    # The check can see XLA functions: a plain tf.saved_model.save of the same computation has them.
    module = tf.Module()
    module.generator = generator
    module.serve = tf.function(lambda mask, z: generator([mask, z], training=False),
                               input_signature=[tf.TensorSpec((None, SIZE, SIZE, 3)), tf.TensorSpec((None, 128))])
    tf.saved_model.save(module, str(tmp_path / "unfiltered"), signatures=module.serve)
    assert xla_compiled_functions(tmp_path / "unfiltered")
