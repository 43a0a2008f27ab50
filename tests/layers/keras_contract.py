"""Keras' own layer contract, and the two promises of the package on top of it, for any layer.

- :func:`run_keras_layer_test` runs ``keras.src.testing.TestCase.run_layer_test``, the test Keras applies to its
  own layers: get_config / from_config and serialize / deserialize round trips, build from a shape, symbolic and
  eager calls with the expected output shape, a training step with ``fit`` and the mixed-precision check (built with
  ``dtype="mixed_float16"``, every output has the dtype ``compute_output_spec`` announces and every float weight is
  float32).
- :func:`assert_keras_file_round_trip`: a functional model around the layer is saved as ``.keras`` and loaded
  again (in this process); the loaded layer has the same class and config and gives the same outputs.
- :func:`assert_jit_compile_matches_eager`: a training call with its gradients under
  ``tf.function(jit_compile=True)`` gives the numbers of the eager call, and leaves the same state behind
  (moving statistics, spectral-norm vectors). ``fit``'s ``jit_compile="auto"`` does not use XLA on a CPU-only
  machine, so ``run_layer_test`` alone would not cover it here.
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras.src.testing import TestCase


class _LayerContract(TestCase):
    def runTest(self):  # unittest needs a test method to instantiate the case outside a test runner
        pass


def run_keras_layer_test(layer_cls, init_kwargs: dict, **kwargs) -> None:
    """``TestCase.run_layer_test(layer_cls, init_kwargs, **kwargs)``, from a pytest function."""
    case = _LayerContract()
    case.setUp()
    try:
        case.run_layer_test(layer_cls, init_kwargs, **kwargs)
    finally:
        case.doCleanups()


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _numpy(values):
    return [keras.ops.convert_to_numpy(v).astype(np.float64) for v in _as_list(values)]


def assert_keras_file_round_trip(layer: keras.layers.Layer, inputs, path, call_inputs: dict | None = None,
                                 rtol=1e-6, atol=1e-6) -> None:
    """Saves ``keras.Model(Input(s), layer(Input(s)))`` to ``path`` (a ``.keras`` file), loads it and compares.

    ``inputs`` (an array or a list of arrays, batch first) sets the Input shapes; ``call_inputs`` are keyword
    arguments of the call that become model inputs too (e.g. a random layer's explicit ``phases``). One training
    call first moves the layer's state (moving statistics, spectral-norm vectors) away from its initial values, so
    that the comparison sees saved state, not re-initialised state. Outputs are compared in inference mode.
    """
    call_inputs = call_inputs or {}
    arrays = _as_list(inputs)

    def symbolic(array, name=None):
        return keras.Input(np.shape(array)[1:], dtype=np.asarray(array).dtype, name=name)

    positional = [symbolic(a) for a in arrays]
    keywords = {key: symbolic(value, name=key) for key, value in call_inputs.items()}
    layer_inputs = positional if isinstance(inputs, (list, tuple)) else positional[0]
    model = keras.Model(positional + list(keywords.values()), layer(layer_inputs, **keywords))
    data = arrays + list(call_inputs.values())
    model(data, training=True)
    model.save(path)
    loaded = keras.saving.load_model(path)
    loaded_layer = loaded.get_layer(layer.name)
    assert type(loaded_layer) is type(layer)
    assert loaded_layer.get_config() == layer.get_config()
    assert [w.path for w in loaded_layer.weights] == [w.path for w in layer.weights]
    for got, want in zip(_numpy(loaded(data, training=False)), _numpy(model(data, training=False)), strict=True):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def assert_jit_compile_matches_eager(layer: keras.layers.Layer, inputs, call_kwargs: dict | None = None,
                                     training: bool = True, differentiate: tuple[int, ...] | None = None,
                                     rtol=1e-4, atol=1e-5) -> None:
    """One call of ``layer`` and its gradients, eagerly and under XLA from the same weights, agree.

    The loss is a fixed random projection of every float output; gradients are taken with respect to the inputs
    at the positions ``differentiate`` (default: every float input) and the trainable weights. Leave label inputs
    such as one-hot masks out: nothing differentiates with respect to them, and XLA has no gradient of the
    nearest-neighbour resize SPADE applies to them. ``layer`` must be deterministic for the given ``inputs`` and
    ``call_kwargs`` (random layers get their randomness through ``call_kwargs``, or are compared with
    ``training=False``).
    """
    call_kwargs = call_kwargs or {}
    tensors = [tf.constant(a) for a in _as_list(inputs)]
    if differentiate is None:
        differentiate = tuple(k for k, t in enumerate(tensors) if t.dtype.is_floating)
    layer_inputs = tensors if isinstance(inputs, (list, tuple)) else tensors[0]
    layer(layer_inputs, **call_kwargs)  # builds the layer
    projections = [np.random.default_rng(k).normal(size=tuple(o.shape)).astype("float32")
                   for k, o in enumerate(_as_list(layer(layer_inputs, training=False, **call_kwargs)))]
    def step(*args):
        args = list(args)
        watched = [args[k] for k in differentiate]
        with tf.GradientTape() as tape:
            tape.watch(watched)
            layer_args = args if isinstance(inputs, (list, tuple)) else args[0]
            outputs = _as_list(layer(layer_args, training=training, **call_kwargs))
            loss = tf.add_n([tf.reduce_sum(tf.cast(o, tf.float32) * p) for o, p in zip(outputs, projections)])
        return outputs, tape.gradient(loss, watched + list(layer.trainable_variables))

    start = [v.numpy() for v in layer.variables]
    eager_outputs, eager_grads = step(*tensors)
    eager_state = [v.numpy() for v in layer.variables]
    for variable, value in zip(layer.variables, start):
        variable.assign(value)
    jit_outputs, jit_grads = tf.function(step, jit_compile=True)(*tensors)
    assert len(differentiate) + len(layer.trainable_variables) == len(eager_grads) == len(jit_grads)
    for got, want in zip(_numpy(jit_outputs), _numpy(eager_outputs), strict=True):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    # A gradient that is zero by construction (a convolution bias followed by a normalisation, as in
    # SPADEResidualBlock) comes out as float32 cancellation noise of the step's largest gradients (1e-5 against
    # 30 measured), different under XLA. So the absolute tolerance scales with the largest gradient of the step.
    assert all(want is not None for want in eager_grads), "every float input and trainable weight needs a gradient"
    grad_scale = max(float(np.max(np.abs(_numpy(want)[0]))) for want in eager_grads)
    for got, want in zip(jit_grads, eager_grads, strict=True):
        np.testing.assert_allclose(_numpy(got)[0], _numpy(want)[0], rtol=rtol, atol=atol + rtol * grad_scale)
    for variable, want in zip(layer.variables, eager_state, strict=True):
        np.testing.assert_allclose(variable.numpy(), want, rtol=rtol, atol=atol, err_msg=variable.path)
