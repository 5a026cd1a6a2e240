"""The torch backend's fast paths (keras_classics.layers.torch_fast) against Keras's own calls: same outputs,
gradients and moving statistics within float32 rounding, same saved model, Keras's path wherever they do not apply."""

import inspect

import numpy as np
import pytest

import keras

import keras_classics as kc
from keras_classics.layers import torch_fast
from keras_classics.registry import model_info
from keras_classics.utils.shapes import image_shape

pytestmark = pytest.mark.skipif(keras.backend.backend() != "torch", reason="the fast paths are the torch backend's")

# Each family's layers: ZeroPadding2D + valid convolutions and a valid max pool (resnet18), convolution bias before
# batch norm (resnet50), "same" convolutions with odd padding and "same" max pools (googlenet), average pools
# (densenet121, lenet5).
# 64 px and 8 images: the last stages' batch statistics are over 32 values; at 32 px (a 1x1 map) and 4 images
# they are over 4, and float32 and float64 gradients differ by several percent whoever computes them.
BATCH = 8
# Below this, two float32 computations differ by their order of summation alone (one thread or two, in the suite
# 1.0e-5 for ours against 3.1e-6 for Keras's on a DenseNet's training output; after three SGD steps 1.9e-6 / 2.4e-7).
ROUNDING = 3e-5
CASES = [("resnet18", 64), ("resnet50", 64), ("googlenet", 64), ("densenet121", 64), ("lenet5", 32)]


def _build(name, shape):
    """Smooth activations and no dropout: a ReLU's or a dropout's kink turns a 1e-7 rounding difference into a
    different gradient (one pre-activation at +3.6e-6 in one and -3.0e-6 in the other: seen), whoever computes it."""
    kwargs = {"dropout": 0.0} if "dropout" in inspect.signature(model_info(name).builder).parameters else {}
    return kc.get_model(name, input_shape=shape, classes=10, weights=None, activation="gelu", **kwargs)


def _twins(name, size, monkeypatch):
    """The network with fast paths and the same network, same weights, with Keras's calls."""
    shape = image_shape(size, model_info(name).channels)
    keras.utils.set_random_seed(0)
    fast = _build(name, shape)
    monkeypatch.setenv(torch_fast.ENV_SWITCH, "0")
    plain = _build(name, shape)
    monkeypatch.delenv(torch_fast.ENV_SWITCH)
    plain.set_weights(fast.get_weights())
    return fast, plain, shape


def _float64_twin(name, shape, weights):
    """The same network in float64 with Keras's calls (the fast paths are float32 only): the reference."""
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float64")
    try:
        model = _build(name, shape)
    finally:
        keras.config.set_dtype_policy(policy)
    assert not _fast_layers(model)
    model.set_weights(weights)
    return model


def _fast_layers(model):
    return [layer for layer in model._flatten_layers(include_self=False) if getattr(layer, "_torch_fast", False)]


def _perturb_moving_statistics(model, rng):
    """Moving statistics other than 0 and 1, so inference-mode batch norm is checked against something."""
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0, 0.1, layer.moving_mean.shape).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, layer.moving_variance.shape).astype("float32"))


def _numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype="float64")


def _error(actual, expected, scale=None):
    """Largest difference relative to ``scale`` (by default the reference's largest magnitude)."""
    actual, expected = np.asarray(actual, dtype="float64"), np.asarray(expected, dtype="float64")
    scale = float(np.abs(expected).max()) if scale is None else scale
    return float(np.abs(actual - expected).max()) / max(scale, 1e-12)


def _close(actual, expected, rtol):
    assert _error(actual, expected) <= rtol, (_error(actual, expected), rtol)


def _run(model, x, weights):
    """Inference output, training output, every trainable weight's gradient, and the moving statistics after it."""
    import torch

    x = keras.ops.convert_to_tensor(x, dtype=model.trainable_variables[0].dtype)
    inference = _numpy(model(x, training=False))
    outputs = model(x, training=True)
    outputs = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
    loss = (outputs * torch.as_tensor(weights, dtype=outputs.dtype)).sum()
    grads = torch.autograd.grad(loss, [v.value for v in model.trainable_variables])
    return {"inference": [inference], "training": [_numpy(outputs)], "gradients": [_numpy(g) for g in grads],
            "moving statistics": [_numpy(v) for layer in model._flatten_layers(include_self=False)
                              if isinstance(layer, keras.layers.BatchNormalization) for v in (layer.moving_mean, layer.moving_variance)]}


def _l2_error(actual, expected):
    """``|actual - expected| / |expected|`` over all the tensors together (a single kink-flipped element, which
    a max-norm error makes the whole figure of, counts for its share)."""
    difference = sum(float(np.sum((np.asarray(a, "float64") - np.asarray(c, "float64")) ** 2)) for a, c in zip(actual, expected))
    return (difference / sum(float(np.sum(np.asarray(c, "float64") ** 2)) for c in expected)) ** 0.5


@pytest.mark.parametrize("name,size", CASES)
def test_fast_paths_equal_kerass_calls(name, size, monkeypatch):
    """Outputs, gradients and moving statistics are as close to a float64 computation as Keras's own float32
    calls are (within twice their error), per tensor for outputs and statistics, over all the gradients together
    for gradients, plus 5e-3 for them: a max pool's near-tie picks another maximum after any change of rounding
    (GoogLeNet, 64 px, measured against float64: ours 4.7e-3 / Keras's 1.7e-3 with one seed, 4.9e-5 / 1.7e-3
    with another; a wrong gradient formula is off by tens of percent)."""
    fast, plain, shape = _twins(name, size, monkeypatch)
    assert _fast_layers(fast) and not _fast_layers(plain)
    assert "Conv2D" in {type(layer).__name__ for layer in _fast_layers(fast)}
    rng = np.random.default_rng(1)
    _perturb_moving_statistics(plain, rng)
    fast.set_weights(plain.get_weights())
    reference = _float64_twin(name, shape, plain.get_weights())
    x = rng.normal(0, 1, (BATCH, *shape)).astype("float32")
    weights = rng.normal(0, 1, (BATCH, 10)).astype("float32")

    ours, keras_own, exact = (_run(model, x, weights) for model in (fast, plain, reference))
    _close(ours["inference"][0], keras_own["inference"][0], 1e-5)  # no batch statistics: the two agree closely
    for part in ("inference", "training", "moving statistics"):
        assert len(ours[part]) == len(keras_own[part]) == len(exact[part])
        for index, (a, b, c) in enumerate(zip(ours[part], keras_own[part], exact[part])):
            assert _error(a, c) <= 2 * _error(b, c) + ROUNDING, (part, index, _error(a, c), _error(b, c))
    assert len(ours["gradients"]) == len(exact["gradients"])
    assert _l2_error(ours["gradients"], exact["gradients"]) <= 2 * _l2_error(keras_own["gradients"], exact["gradients"]) + 5e-3


def test_training_steps_and_saved_model_equal_kerass(monkeypatch, tmp_path):
    fast, plain, shape = _twins("resnet18", 64, monkeypatch)
    assert fast.get_config() == plain.get_config()  # the layers' classes and configs are Keras's
    reference = _float64_twin("resnet18", shape, plain.get_weights())
    rng = np.random.default_rng(2)
    x, y = rng.normal(0, 1, (BATCH, *shape)).astype("float32"), rng.integers(0, 10, BATCH)
    for model in (fast, plain, reference):
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
        for _ in range(3):
            model.train_on_batch(x.astype(model.dtype_policy.variable_dtype), y)
    exact = reference.get_weights()
    assert _l2_error(fast.get_weights(), exact) <= 2 * _l2_error(plain.get_weights(), exact) + ROUNDING
    x = x[:2]

    fast.save(tmp_path / "fast.keras")
    from keras_classics.utils.models import load_model_file

    loaded = load_model_file(tmp_path / "fast.keras")
    assert type(loaded.get_layer("conv1_conv")) is keras.layers.Conv2D
    assert [layer.name for layer in _fast_layers(loaded)] == [layer.name for layer in _fast_layers(fast)]
    _close(_numpy(loaded(x, training=False)), _numpy(fast(x, training=False)), 1e-6)
    # Plain Keras loads it too (no custom class was saved).
    _close(_numpy(keras.saving.load_model(tmp_path / "fast.keras")(x, training=False)), _numpy(fast(x, training=False)), 1e-5)


def test_symbolic_calls_and_what_keeps_kerass_path(monkeypatch):
    fast, _, shape = _twins("resnet18", 32, monkeypatch)
    # A fast model called on a new symbolic input (Keras traces it on PyTorch's meta device).
    outputs = fast(keras.Input(shape))
    assert tuple(outputs.shape) == (None, 10)
    assert torch_fast.accelerate(fast) == 0  # idempotent

    # Mixed precision and channels_first keep Keras's calls.
    inputs = keras.Input((16, 16, 3))
    mixed = keras.layers.Conv2D(4, 3, dtype="mixed_bfloat16")
    model = keras.Model(inputs, keras.layers.BatchNormalization()(mixed(inputs)))
    assert torch_fast.accelerate(model) == 1  # the float32 batch norm only
    assert not getattr(mixed, "_torch_fast", False)
    first = keras.Input((3, 16, 16))
    assert torch_fast.accelerate(keras.Model(first, keras.layers.Conv2D(4, 3, data_format="channels_first")(first))) == 0

    monkeypatch.setenv(torch_fast.ENV_SWITCH, "0")
    assert not torch_fast.enabled()
    assert torch_fast.accelerate(keras.Model(inputs, keras.layers.Conv2D(4, 3)(inputs))) == 0


@pytest.mark.parametrize("size", [7, 8])
def test_odd_and_even_same_padding(size):
    """Strided "same" convolutions and pools: TensorFlow puts the odd pixel after; the fast path must too."""
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (2, size, size, 3)).astype("float32")
    for layer in (keras.layers.Conv2D(5, 3, strides=2, padding="same"), keras.layers.Conv2D(5, 4, padding="same", dilation_rate=2),
                  keras.layers.MaxPooling2D(3, 2, padding="same"), keras.layers.MaxPooling2D(2, 2, padding="same"),
                  keras.layers.AveragePooling2D(3, 1, padding="same"), keras.layers.AveragePooling2D(2, 2)):
        expected = _numpy(layer(x))
        model = keras.Sequential([keras.Input((size, size, 3)), layer])
        assert torch_fast.accelerate(model) == 1
        _close(_numpy(layer(x)), expected, 1e-6)


def test_inference_weight_cache_follows_the_kernel(monkeypatch):
    """Without a gradient to record, the transposed weight is kept; any change of the kernel (assign, set_weights,
    an optimizer step, a stateless call's new kernel) must be seen by the next call."""
    import torch

    fast, plain, shape = _twins("resnet18", 32, monkeypatch)
    x = np.random.default_rng(4).normal(0, 1, (2, *shape)).astype("float32")
    conv = fast.get_layer("conv1_conv")
    with torch.no_grad():
        first = _numpy(fast(x, training=False))
        assert getattr(conv, "_torch_fast_weight", None) is not None
        conv.kernel.assign(conv.kernel.numpy() * 2.0)
        plain.get_layer("conv1_conv").kernel.assign(conv.kernel.numpy())
        _close(_numpy(fast(x, training=False)), _numpy(plain(x, training=False)), 1e-5)
        assert _error(_numpy(fast(x, training=False)), first) > 1e-3
        fast.set_weights(plain.get_weights())
        _close(_numpy(fast.predict_on_batch(x)), _numpy(plain.predict_on_batch(x)), 1e-5)
        # stateless_call: new kernel tensors on every call (their memory could be a freed one's).
        non_trainable = [v.value for v in plain.non_trainable_variables]
        for scale in (1.0, 3.0, 0.5):
            values = [v.value * scale for v in plain.trainable_variables]
            ours, _ = fast.stateless_call(values, non_trainable, x, training=False)
            theirs, _ = plain.stateless_call(values, non_trainable, x, training=False)
            _close(_numpy(ours), _numpy(theirs), 1e-5)
    batch = np.random.default_rng(5).normal(0, 1, (BATCH, *shape)).astype("float32")
    for model in (fast, plain):
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
        model.train_on_batch(batch, np.arange(BATCH))
    _close(_numpy(fast.predict_on_batch(x)), _numpy(plain.predict_on_batch(x)), 1e-4)
    assert "_torch_fast_weight" not in fast.get_layer("conv1_conv").get_config()
