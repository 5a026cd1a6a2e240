"""DenseNet: fidelity to keras.applications, the blocks' channel arithmetic, DenseNet-161, bad input."""

import keras
import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND, forward
from keras_classics.layers.activation import activation
from keras_classics.layers.dense_block import dense_block, transition
from keras_classics.layers.norm import norm

SHAPE, CLASSES = (32, 32, 3), 5

KERAS_APPLICATIONS = {
    "densenet121": (keras.applications.DenseNet121, "avg"),
    "densenet169": (keras.applications.DenseNet169, None),  # the deeper ones: classifier only (see below)
    "densenet201": (keras.applications.DenseNet201, None),
}


def numpy(x):
    return keras.ops.convert_to_numpy(x)


# DenseNet-169/201 are DenseNet-121's blocks, deeper: their weight copy runs on TensorFlow, where it costs
# 30-40 s each on 2 cores (on JAX, which compiles each op shape eagerly, 85-210 s).
DEEPER_ON_TF_ONLY = pytest.mark.skipif(BACKEND != "tensorflow", reason="DenseNet-121 checks this backend; the deeper ones run on TensorFlow")
# On JAX even DenseNet-121's copy costs 140 s (compiled; minutes eagerly): JAX's numerics on these layers (BN, ReLU,
# convolutions, pooling, concatenation) are checked by the ResNet-50 and Inception v3 weight copies.
NOT_ON_JAX = pytest.mark.skipif(BACKEND == "jax", reason="DenseNet's weight copies run on TensorFlow and PyTorch (140 s on JAX)")


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=[NOT_ON_JAX]) if n == "densenet121" else pytest.param(n, marks=[pytest.mark.slow, DEEPER_ON_TF_ONLY]) for n in sorted(KERAS_APPLICATIONS)]
)
def test_outputs_equal_keras_applications_after_weight_copy(name):
    """Weights copied from a randomly initialised keras.applications model give equal outputs,
    with the classifier and (DenseNet-121) as a pooled feature extractor."""
    application, pooling = KERAS_APPLICATIONS[name]
    x = np.random.default_rng(0).uniform(-1, 1, size=(2,) + SHAPE).astype("float32")
    cases = [({"classes": CLASSES}, {"atol": 1e-5})]
    if pooling is not None:  # DenseNet-169/201: their pooled head is DenseNet-121's code, checked there and in the registry harness
        cases.append(({"include_top": False, "pooling": pooling}, {"rtol": 1e-5, "atol": 1e-5}))
    for kwargs, tolerance in cases:
        reference = application(weights=None, input_shape=SHAPE, **kwargs)
        ours = kc.get_model(name, input_shape=SHAPE, **kwargs)
        assert ours.count_params() == reference.count_params()
        kc.transfer_weights(reference, ours)
        np.testing.assert_allclose(forward(ours, x)[0], forward(reference, x)[0], **tolerance)


@pytest.mark.skipif(BACKEND == "jax", reason="structure only, the same on every backend: checked on TensorFlow and PyTorch (62 s on JAX)")
def test_layer_names_follow_keras_applications():
    ours = {layer.name for layer in kc.DenseNet121(input_shape=SHAPE, classes=CLASSES).layers if layer.weights}
    theirs = {layer.name for layer in keras.applications.DenseNet121(weights=None, input_shape=SHAPE, classes=CLASSES).layers if layer.weights}
    assert ours == theirs


@pytest.mark.skipif(BACKEND == "jax", reason="structure only, the same on every backend: checked on TensorFlow and PyTorch (40 s on JAX)")
def test_dense_block_and_transition_channel_arithmetic():
    x = keras.Input((8, 8, 64))
    bn, relu = norm("batch"), activation("relu")
    grown = dense_block(x, 3, 12, norm=bn, act=relu, name="d")
    assert grown.shape[1:] == (8, 8, 64 + 3 * 12)
    halved = transition(grown, 0.5, norm=bn, act=relu, name="t")
    assert halved.shape[1:] == (4, 4, 50)
    plain = dense_block(x, 2, 12, bottleneck_ratio=0, norm=bn, act=relu, name="p")  # DenseNet without the 1x1
    model = keras.Model(x, plain)
    assert not any(layer.name.endswith("_1_conv") for layer in model.layers)


@pytest.mark.skipif(BACKEND == "jax", reason="structure only, the same on every backend: checked on TensorFlow and PyTorch (53 s on JAX)")
def test_densenet161_is_torchvisions():
    model = kc.DenseNet161(input_shape=SHAPE, include_top=False)
    assert model.get_layer("conv1_conv").filters == 96
    assert model.get_layer("conv2_block1_2_conv").filters == 48
    assert model.output_shape[-1] == 2208  # torchvision's classifier input


@pytest.mark.skipif(BACKEND == "jax", reason="structure only, the same on every backend: checked on TensorFlow and PyTorch (40 s on JAX)")
def test_minimum_input_size():
    assert kc.DenseNet121(input_shape=(29, 29, 3), include_top=False).output_shape[1:3] == (1, 1)
    with pytest.raises(ValueError, match=r"`input_shape`: received \(28, 28, 3\); allowed: .*at least 29"):
        kc.DenseNet121(input_shape=(28, 28, 3))


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"growth_rate": 0}, "growth_rate"),
        ({"bottleneck_ratio": -1}, "bottleneck_ratio"),
        ({"compression": 0}, "compression"),
        ({"compression": 1.5}, "compression"),
        ({"weights": "imagenet", "growth_rate": 16}, "weights"),
        ({"activation": "relux"}, "activation"),
    ],
)
def test_bad_input_is_a_clear_value_error(kwargs, argument):
    with pytest.raises(ValueError, match=rf"^`{argument}`: received .*; allowed: "):
        kc.DenseNet121(**kwargs)


def test_weights_need_the_published_network():
    """DenseNet-161 has torchvision's weights, but not with another growth rate (nothing is downloaded: refused first)."""
    with pytest.raises(ValueError, match=r"^`weights`: received 'imagenet'; allowed: None or a path"):
        kc.DenseNet161(weights="imagenet", growth_rate=32)
