"""Stage features (keras_classics.features): every registry network on TensorFlow, one network per family elsewhere.

Each network is built with its classifier at a small input and checked three ways:

- ``graph``: the stage outputs' channels equal ``feature_info``; each reduction equals
  the product of the strides from the input (worked out here from the layers'
  ``strides``, independently of the library's size probe); the last stage is the
  layer an ``include_top=False`` build outputs (so the head was found). Both models
  are built inside ``keras.StatelessScope(initialize_variables=False)``: graphs
  without weight values, a third of the cost on TensorFlow and nothing on JAX.
- ``run``: the same on real builds, and the extractor runs (batch 1) with those shapes.
- ``values``: and its last output equals the ``include_top=False`` model's, same weights.

TensorFlow checks every network: ``values`` for the small ones of each way a
classifier is attached (``HEADS``: flatten and dense, LeNet's RBF output, NiN's
dropout and class-score convolutions, global pooling), ``graph`` for the others. The rule is backend-independent Python: PyTorch runs one
network per family, JAX runs LeNet-5 and ResNet-18 and checks the other families'
graphs (compiling a forward pass of GoogLeNet or DenseNet-121 costs 20-40 s there).
"""

import math

import keras
import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND, forward, sample_input, small_size

CLASSES = 3
ONE_PER_FAMILY = ("lenet5", "alexnet", "vgg11", "nin", "googlenet", "resnet18", "densenet121")
HEADS = {"lenet5", "lenet5_1998", "alexnet", "vgg11", "nin", "resnet20_cifar"}
RUN_ON_JAX = {"lenet5", "resnet18"}


def stride_products(model) -> dict:
    """``id(tensor) -> product of the strides on the way from the input`` (the largest over a layer's inputs)."""
    import sys

    products = {id(model.inputs[0]): 1}

    def product(tensor):
        if id(tensor) not in products:
            operation = tensor._keras_history.operation
            node = operation._inbound_nodes[tensor._keras_history.node_index]
            strides = getattr(operation, "strides", 1)
            products[id(tensor)] = max(product(t) for t in node.input_tensors) * (strides if isinstance(strides, int) else strides[0])
        return products[id(tensor)]

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))  # DenseNet-201 is ~700 layers deep
    for output in model.outputs:
        product(output)
    return products


def check_network(name, mode):
    """``mode``: ``"graph"``, ``"run"`` or ``"values"`` (see the module docstring)."""
    info = kc.model_info(name)
    size = small_size(info)
    shape = (size, size, info.channels)
    with keras.StatelessScope(initialize_variables=False) if mode == "graph" else _no_scope():
        model = kc.get_model(name, input_shape=shape, classes=CLASSES)
        features = kc.get_model(name, input_shape=shape, include_top=False)
    stages = kc.feature_info(model)
    extractor = kc.feature_extractor(model)

    assert len(stages) == len(extractor.outputs) >= 3
    assert [s.reduction for s in stages] == sorted({s.reduction for s in stages}), stages
    products = stride_products(model)
    for stage, tensor in zip(stages, extractor.outputs):
        assert tensor._keras_history.operation.name == stage.layer
        assert tensor.shape[-1] == stage.channels, stage
        assert products[id(tensor)] == stage.reduction, f"{name} {stage}: the strides multiply to {products[id(tensor)]}"
        assert 1 <= tensor.shape[1] <= math.ceil(size / stage.reduction), (stage, tensor.shape)
    assert features.outputs[0]._keras_history.operation.name == stages[-1].layer
    if mode == "graph":
        return

    x = sample_input(info, batch=1)
    outputs = forward(extractor, x)
    assert [o.shape[1:] for o in outputs] == [tuple(t.shape[1:]) for t in extractor.outputs]
    if mode == "values":
        for layer in features.layers:
            if layer.weights:
                layer.set_weights(model.get_layer(layer.name).get_weights())
        np.testing.assert_allclose(outputs[-1], forward(features, x)[0], rtol=1e-5, atol=1e-6)


def _no_scope():
    import contextlib

    return contextlib.nullcontext()


@pytest.mark.skipif(BACKEND != "tensorflow", reason="the whole registry on TensorFlow; one network per family on the other backends")
@pytest.mark.parametrize("name", kc.list_models())
def test_every_network_stages_match_feature_info(name):
    check_network(name, "values" if name in HEADS else "graph")


@pytest.mark.skipif(BACKEND == "tensorflow", reason="TensorFlow checks every network")
@pytest.mark.parametrize("name", ONE_PER_FAMILY)
def test_one_network_per_family_stages_match_feature_info(name):
    check_network(name, "run" if BACKEND != "jax" or name in RUN_ON_JAX else "graph")


def test_feature_info_of_a_name_and_the_documented_examples():
    """A registry name is built without its head; the stages are those docs/features.md shows."""
    with keras.StatelessScope(initialize_variables=False):  # graphs only
        resnet = [(s.layer, s.channels, s.reduction) for s in kc.feature_info("resnet50", input_shape=(32, 32, 3))]
        googlenet = [(s.layer, s.channels, s.reduction) for s in kc.feature_info("googlenet_aux", input_shape=(None, None, 3))]
        densenet = [(s.layer, s.channels, s.reduction) for s in kc.feature_info("densenet121")]
    assert resnet == [
        ("conv1_relu", 64, 2), ("conv2_block3_out", 256, 4), ("conv3_block4_out", 512, 8),
        ("conv4_block6_out", 1024, 16), ("conv5_block3_out", 2048, 32),
    ]
    assert googlenet == [
        ("conv1_relu", 64, 2), ("conv3_relu", 192, 4), ("inception3b", 480, 8), ("inception4e", 832, 16), ("inception5b", 1024, 32),
    ]
    assert densenet == [("conv1_relu", 64, 2), ("pool2_conv", 128, 4), ("pool3_conv", 256, 8), ("pool4_conv", 512, 16), ("relu", 1024, 32)]


def test_get_model_features_only_with_out_indices_takes_any_input_size():
    extractor = kc.get_model("lenet5", features_only=True, out_indices=(0, -1), input_shape=(None, None, 1))
    assert [t._keras_history.operation.name for t in extractor.outputs] == ["c1_tanh", "c5_tanh"]
    for size, last in ((32, 1), (40, 3)):  # 40 -> C1 36 -> S2 18 -> C3 14 -> S4 7 -> C5 3
        c1, c5 = forward(extractor, np.zeros((1, size, size, 1), "float32"))
        assert c1.shape == (1, size - 4, size - 4, 6) and c5.shape == (1, last, last, 120)


def test_a_model_loaded_from_a_keras_file(tmp_path):
    model = kc.get_model("lenet5")
    path = tmp_path / "lenet5.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert kc.feature_info(loaded) == kc.feature_info(model) == kc.feature_info(str(path))
    x = sample_input(kc.model_info("lenet5"), batch=1)
    for ours, theirs in zip(forward(kc.feature_extractor(loaded), x), forward(kc.feature_extractor(model), x)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_articulation_points_skip_branches():
    """A two-branch module: its concatenation is a stage end, its branches' convolutions are not;
    the stem's stage ends before the zero padding of its pooling."""
    with keras.StatelessScope(initialize_variables=False):  # a graph only: no weights to compile initializers for
        image = keras.Input((16, 16, 3))
        x = keras.layers.Conv2D(4, 3, padding="same", name="stem")(image)
        x = keras.layers.ZeroPadding2D(1, name="pool_pad")(x)
        x = keras.layers.MaxPooling2D(3, strides=2, name="pool")(x)
        left = keras.layers.Conv2D(4, 1, name="left")(x)
        right = keras.layers.Conv2D(4, 3, padding="same", name="right")(x)
        x = keras.layers.Concatenate(name="module")([left, right])
        x = keras.layers.Conv2D(8, 3, strides=2, padding="same", name="down")(x)
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        model = keras.Model(image, keras.layers.Dense(2, name="predictions")(x))
    assert [(s.layer, s.channels, s.reduction) for s in kc.feature_info(model)] == [("stem", 4, 1), ("module", 8, 2), ("down", 8, 4)]


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: kc.get_model("lenet5", features_only=True, out_indices=(3,)), "out_indices"),
        (lambda: kc.get_model("lenet5", features_only=True, out_indices=(0, -3)), "out_indices"),
        (lambda: kc.get_model("lenet5", out_indices=(0,)), "out_indices"),
        (lambda: kc.feature_info(kc.get_model("lenet5"), input_shape=(32, 32, 1)), "input_shape"),
        (lambda: kc.feature_info("lenet6"), "model_or_name"),
        (lambda: kc.feature_info(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])), "model"),
    ],
)
def test_bad_arguments_are_one_clear_error(call, argument):
    with pytest.raises(ValueError, match=rf"^`{argument}`: received"):
        call()
