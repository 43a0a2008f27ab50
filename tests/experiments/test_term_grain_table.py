"""term_grain_table: the real images' row and each generator's rows agree with speckle_statistics on the images
themselves (the real frames, and the generators' own forward passes), and bad arguments are refused by name."""
import keras
import numpy as np
import pytest

from specklegan_tf.data import load_dataset, to_model_inputs, to_one_hot, to_uint8
from specklegan_tf.data.phantom_speckle_free import speckle_free_ivus
from specklegan_tf.experiments.term_grain_table import main, table_lines
from specklegan_tf.export.generator import latent_from_seeds
from specklegan_tf.export.synthesis import draw_seeds
from specklegan_tf.metrics.depth_grain import grain_by_depth
from specklegan_tf.metrics.speckle import speckle_statistics
from specklegan_tf.models import build_generator

SIZE, IMAGES = 64, 6


def _grain_cell(stats, name):
    return f"{stats[name]['axial_grain_px']:.2f} / {stats[name]['lateral_grain_px']:.2f}"


@pytest.fixture(scope="module")
def generators(tmp_path_factory):
    folder = tmp_path_factory.mktemp("term_grain_table")
    keras.utils.set_random_seed(0)
    baseline = build_generator(SIZE, latent_dim=8, width=0.125, speckle=False)
    display = build_generator(SIZE, latent_dim=8, width=0.125, speckle=True, speckle_route="display",
                              speckle_compression="log", direct_gain=1.0)
    paths = {"baseline": folder / "baseline.keras", "display": folder / "display.keras"}
    baseline.save(paths["baseline"])
    display.save(paths["display"])
    return {"baseline": baseline, "display": display}, {k: str(v) for k, v in paths.items()}


def test_rows_are_the_real_frames_and_the_generators_own_images(generators, tmp_path, monkeypatch):
    monkeypatch.setenv("SPECKLEGAN_TF_CACHE", str(tmp_path))
    models, paths = generators
    lines = table_lines(paths, image_size=SIZE, images=IMAGES, seed=3)
    rows, depth_rows, parts_rows = _tables(lines)
    assert [row[:2] for row in rows] == [["real", ""], ["baseline", "image"], ["display", "image"],
                                         ["display", "baseline path alone"], ["display", "speckle term alone"]]
    real = load_dataset("phantom", image_size=SIZE)
    reference = speckle_statistics(real.images[:IMAGES], real.masks[:IMAGES])
    assert rows[0][3] == _grain_cell(reference, "intima_media") and rows[0][4] == _grain_cell(reference, "background")
    latent = keras.ops.convert_to_numpy(latent_from_seeds(draw_seeds(IMAGES, 3), 8))
    for row, name in ((rows[1], "baseline"), (rows[2], "display")):
        own = keras.ops.convert_to_numpy(models[name]([to_one_hot(real.masks[:IMAGES]), latent]))[..., 0]
        stats = speckle_statistics(to_uint8(own), real.masks[:IMAGES])
        assert row[3] == _grain_cell(stats, "intima_media") and row[4] == _grain_cell(stats, "background")
        assert float(row[2]) > 0 and float(row[5]) > 0
    # The depth table: the same images, measured by grain_by_depth.
    assert [row[:2] for row in depth_rows] == [row[:2] for row in rows]
    near, far = grain_by_depth(real.images[:IMAGES], real.masks[:IMAGES])
    assert depth_rows[0][2:] == [f"{near['axial_grain_px']:.2f} / {near['lateral_grain_px']:.2f}",
                                 f"{far['axial_grain_px']:.2f} / {far['lateral_grain_px']:.2f}",
                                 f"{far['lateral_grain_px'] / near['lateral_grain_px']:.2f}"]
    assert float(depth_rows[1][4]) > 0
    # The parts table: the phantom's own speckle first (the frames minus their speckle-free frames, computed here
    # from the simulator), then the display generator's speckle and echo parts; the baseline has none.
    assert [row[0] for row in parts_rows] == ["phantom", "display", "display"]
    levels, _ = speckle_free_ivus(IMAGES, SIZE)
    own = to_model_inputs(real.images[:IMAGES]) - to_model_inputs(levels)
    stats = speckle_statistics(to_uint8(np.clip(own - own.mean(), -1, 1)), real.masks[:IMAGES])
    assert parts_rows[0][3] == _grain_cell(stats, "intima_media")
    assert 0.05 < float(parts_rows[0][2]) < 0.5  # the phantom's speckle: about 0.19 in gray-scale units at 128 px
    assert all(float(row[2]) > 0 for row in parts_rows)


def _tables(lines):
    """The data rows of the two Markdown tables (header and separator dropped)."""
    tables, current = [], None
    for line in lines:
        if line.startswith("| ") and current is None:
            current = []
            tables.append(current)
        elif line.startswith("| "):
            current.append([cell.strip() for cell in line.strip("|").split("|")])
        elif not line.startswith("|"):
            current = None
    return tables


def test_bad_arguments_are_refused_by_name(generators, tmp_path, capsys):
    _, paths = generators
    with pytest.raises(SystemExit):
        main([f"x={tmp_path / 'missing.keras'}", "--out", str(tmp_path / "t.md")])
    assert "missing.keras" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([f"x={paths['display']}", "--images", "0", "--out", str(tmp_path / "t.md")])
    assert "--images" in capsys.readouterr().err
