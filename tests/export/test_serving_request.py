"""The README's TF Serving REST request (section "Serving with TF Serving") against the exported signature.

The test takes the Python block that builds `request.json` from the README, runs it (with the image size of a
small test model), and does what TF Serving does with the row format: stacks each input over the instances,
converts it to the signature's dtype, and calls `serving_default` of the SavedModel loaded with TensorFlow alone.
"""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from specklegan_tf.export import export_generator
from specklegan_tf.models import build_generator

README = Path(__file__).resolve().parents[2] / "README.md"
SIZE = 32


def _serving_section() -> str:
    """The README's "Serving with TF Serving" section: from its heading to the next heading outside a code block."""
    lines = README.read_text().splitlines()
    start = lines.index("### Serving with TF Serving")
    section, in_code = [], False
    for line in lines[start + 1:]:
        in_code ^= line.startswith("```")
        if not in_code and line.startswith("#"):
            break
        section.append(line)
    return "\n".join(section) + "\n"


@pytest.mark.slow  # several seconds (a child process, a trained or exported model): full suite only
def test_readme_rest_request_feeds_the_exported_signature(tmp_path, monkeypatch):
    section = _serving_section()
    assert re.search(r"curl -s -X POST localhost:8501/v1/models/([\w-]+):predict -d @request\.json", section)
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "size = 64" in code
    monkeypatch.chdir(tmp_path)
    exec(code.replace("size = 64", f"size = {SIZE}"), {})  # writes request.json
    request = json.loads((tmp_path / "request.json").read_text())
    instances = request["instances"]
    assert len(instances) == 2 and all(set(i) == {"mask", "seed"} for i in instances)

    export = export_generator(build_generator(SIZE, width=0.125, latent_dim=16, seed=0), tmp_path / "models",
                              "specklegan-demo")
    serve = tf.saved_model.load(str(export)).signatures["serving_default"]
    spec = serve.structured_input_signature[1]
    assert set(spec) == {"mask", "seed"}
    # TF Serving's row format: input k of the batch is the stack of instance[k], in the signature's dtype.
    inputs = {name: tf.constant(np.stack([np.asarray(i[name]) for i in instances]), spec[name].dtype)
              for name in spec}
    assert inputs["mask"].shape == (2, SIZE, SIZE) and inputs["seed"].shape == (2,)
    out = serve(**inputs)
    assert set(out) == {"image", "image_float"}
    assert out["image"].dtype == tf.uint8 and out["image"].shape == (2, SIZE, SIZE)
    images = out["image"].numpy()
    assert not np.array_equal(images[0], images[1])  # same mask, seeds 7 and 8
    again = serve(mask=inputs["mask"][:1], seed=inputs["seed"][:1])["image"].numpy()
    np.testing.assert_array_equal(again[0], images[0])  # (mask, seed) -> always the same image
    # The answer TF Serving would send is JSON-serialisable row by row.
    json.dumps({"predictions": [{"image": images[k].tolist(), "image_float": out["image_float"].numpy()[k].tolist()}
                                for k in range(2)]})
