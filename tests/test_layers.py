"""The shared layer factories and the custom layers, on every backend."""

import re

import keras
import numpy as np
import pytest

from keras_classics.layers import Conv, LocalResponseNormalization, Split, activation, conv_norm_act, inception_module, norm
from keras_classics.layers.partial_conv import PartialConv2D
from keras_classics.layers.rbf import EuclideanRBF
from keras_classics.models.lenet import C3_CONNECTIONS


@pytest.mark.parametrize(
    "spelling, kind",
    [("batch", "batch"), ("BatchNorm", "batch"), ("batch_norm", "batch"), ("bn", "batch"), ("LayerNorm", "layer"),
     ("instance", "instance"), ("group_norm", "group"), ("GN", "group"), ("lrn", "lrn"), ("LocalResponseNormalization", "lrn")],
)
def test_norm_names_are_normalised(spelling, kind):
    assert norm(spelling).kind == kind


@pytest.mark.parametrize("value", [None, "", "none", "None"])
def test_norm_none_means_no_layer(value):
    assert norm(value) is None


def test_norm_layers_and_callables():
    assert isinstance(norm("batch")(8, "n"), keras.layers.BatchNormalization)
    assert isinstance(norm("layer")(8, "n"), keras.layers.LayerNormalization)
    assert norm("instance")(8, "n").groups == -1
    assert norm("group")(64, "n").groups == 32
    assert norm("group")(48, "n").groups == 24  # 32 does not divide 48: its largest divisor below 32
    assert isinstance(norm("lrn")(8, "n"), LocalResponseNormalization)
    assert norm("batch", epsilon=1e-5)(8, "n").epsilon == 1e-5
    factory = lambda channels, name: keras.layers.Identity(name=name)  # noqa: E731
    assert norm(factory) is factory


def test_unknown_norm_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"`norm`: received 'batchnormz'.*batch, layer, instance, group, lrn, none"):
        norm("batchnormz")


def test_activation_factory():
    assert activation(None) is None and activation("linear") is None
    layer = activation("ReLU")("a")
    assert isinstance(layer, keras.layers.Activation) and layer.name == "a"
    assert isinstance(activation("prelu")("p"), keras.layers.PReLU)
    x = np.array([[-1.0, 0.5, 2.0]], dtype="float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(activation("scaled_tanh")("s")(x)), 1.7159 * np.tanh(2 / 3 * x), rtol=1e-6)
    with pytest.raises(ValueError, match=r"`activation`: received 'rellu'.*relu.*tanh.*sigmoid"):
        activation("rellu")


def test_conv_norm_act_names_and_bias():
    x = keras.Input((16, 16, 3))
    y = conv_norm_act(x, 8, 3, strides=2, norm="bn", act="relu", name="stem")
    model = keras.Model(x, y)
    assert [layer.name for layer in model.layers[1:]] == ["stem_conv", "stem_bn", "stem_relu"]
    assert model.get_layer("stem_conv").use_bias is False  # the batch norm's shift replaces it
    assert y.shape == (None, 8, 8, 8)
    y = conv_norm_act(x, 8, 5, padding=2, act="tanh", name="c1")
    assert keras.Model(x, y).get_layer("c1_conv").use_bias is True
    assert y.shape == (None, 16, 16, 8)
    y = conv_norm_act(x, 8, 3, norm="lrn", act="relu", norm_first=False, name="a")
    assert [layer.name for layer in keras.Model(x, y).layers[1:]] == ["a_conv", "a_relu", "a_lrn"]


def lrn_numpy(a, k=2.0, size=5, alpha=1e-4, beta=0.75):
    """The paper's formula, term by term (channels last)."""
    channels = a.shape[-1]
    b = np.empty_like(a, dtype="float64")
    for i in range(channels):
        lo, hi = max(0, i - size // 2), min(channels - 1, i + size // 2)
        energy = sum(a[..., j].astype("float64") ** 2 for j in range(lo, hi + 1))
        b[..., i] = a[..., i] / (k + alpha * energy) ** beta
    return b


@pytest.mark.parametrize("params", [{}, {"size": 3, "alpha": 0.01, "beta": 0.5, "k": 1.0}])
def test_lrn_matches_the_paper_formula(params):
    a = np.random.default_rng(0).normal(scale=20, size=(2, 4, 4, 11)).astype("float32")
    got = keras.ops.convert_to_numpy(LocalResponseNormalization(**params)(a))
    np.testing.assert_allclose(got, lrn_numpy(a, **params), rtol=1e-5, atol=1e-6)


def test_lrn_round_trips_its_config():
    layer = LocalResponseNormalization(size=3, alpha=2e-4, beta=0.5, k=1.0, name="lrn")
    clone = LocalResponseNormalization.from_config(layer.get_config())
    assert (clone.size, clone.alpha, clone.beta, clone.k) == (3, 2e-4, 0.5, 1.0)
    with pytest.raises(ValueError, match="`size`: received 0"):
        LocalResponseNormalization(size=0)


def test_partial_conv_has_the_papers_1516_parameters_and_is_a_masked_convolution():
    layer = PartialConv2D(5, C3_CONNECTIONS, name="c3")
    x = np.random.default_rng(1).normal(size=(2, 14, 14, 6)).astype("float32")
    y = keras.ops.convert_to_numpy(layer(x))
    assert layer.count_params() == 1516 and y.shape == (2, 10, 10, 16)
    full = keras.ops.convert_to_numpy(layer.full_kernel())
    for j, inputs in enumerate(C3_CONNECTIONS):
        for i in range(6):
            assert np.any(full[:, :, i, j] != 0) == (i in inputs)
    dense = keras.layers.Conv2D(16, 5)
    dense.build((None, 14, 14, 6))
    dense.set_weights([full, keras.ops.convert_to_numpy(layer.bias)])
    np.testing.assert_allclose(y, keras.ops.convert_to_numpy(dense(x)), atol=1e-5)


def test_rbf_output_is_negative_squared_distance():
    layer = EuclideanRBF(10)
    x = np.random.default_rng(2).normal(size=(3, 84)).astype("float32")
    y = keras.ops.convert_to_numpy(layer(x))
    centers = keras.ops.convert_to_numpy(layer.centers)
    expected = -((x[:, :, None] - centers[None]) ** 2).sum(axis=1)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-3)
    assert set(np.unique(centers)) == {-1.0, 1.0} and layer.trainable_weights == []


def test_public_blocks_compose_a_new_network_that_saves_and_reloads(tmp_path):
    # The docstring's promise: a network not in the registry, made only of the
    # public pieces, builds, runs and survives a .keras round trip on every backend.
    from keras_classics import layers as kl

    assert all(hasattr(kl, name) for name in kl.__all__)
    inputs = keras.Input((16, 16, 3))
    x = kl.conv_norm_act(inputs, 16, 3, norm="bn", name="stem")
    config = kl.ResidualConfig(norm=kl.norm("bn"), act=kl.activation("relu"), shortcut="A")
    x = kl.residual_stage(x, 24, 2, 2, branch=kl.basic_branch, config=config, name="conv2")
    x = kl.inception_module(x, (kl.Conv(8, 1), (kl.Conv(8, 1), kl.Conv(8, 3))), pool_proj=8, name="mixed")
    x = kl.dense_block(x, 2, 4, norm=kl.norm("bn"), act=kl.activation("relu"), name="dense")
    x = kl.norm_act(x, norm="bn", act="relu", name="post")
    outputs = kl.dense_head(kl.global_pool(x, "avg"), (), 5, "softmax", flatten=False)
    model = keras.Model(inputs, outputs)
    assert {"stem_conv", "conv2_block1_1_conv", "mixed", "dense_block2_concat", "post_bn", "post_relu"} <= {layer.name for layer in model.layers}
    assert model.get_layer("mixed").output.shape[-1] == 8 + 8 + 8  # three branches of 8
    assert model.get_layer("dense_block2_concat").output.shape[-1] == 24 + 2 * 4

    images = np.random.default_rng(0).uniform(size=(2, 16, 16, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(model(images))
    assert expected.shape == (2, 5)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0, rtol=1e-5)
    model.save(tmp_path / "custom.keras")
    reloaded = keras.saving.load_model(tmp_path / "custom.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(reloaded(images)), expected, atol=1e-6)


@pytest.mark.parametrize("towers", [(8,), ((Conv(8, 1), 3),), ((Split((Conv(4, (1, 3)), Conv(4, (3, 1)))), Conv(8, 1)),), ((),)])
def test_inception_module_names_a_bad_tower(towers):
    with pytest.raises(ValueError, match=re.escape(f"`towers`: received {towers[0]!r}; allowed: each tower a Conv")):
        inception_module(keras.Input((8, 8, 4)), towers, name="m")


def test_network_norm_gives_each_kind_only_the_settings_it_takes():
    from keras_classics.layers.norm import network_norm

    bn = network_norm("batch", epsilon=1e-5, momentum=0.9, scale=False)(8, "n")
    assert (bn.epsilon, bn.momentum, bn.scale) == (1e-5, 0.9, False)
    assert network_norm("layer", epsilon=1e-5, momentum=0.9)(8, "n").epsilon == 1e-5  # no momentum: not passed
    assert isinstance(network_norm("lrn", epsilon=1e-3)(8, "n"), LocalResponseNormalization)
    factory = lambda channels, name: keras.layers.Identity(name=name)  # noqa: E731
    assert network_norm(factory, epsilon=1e-3) is factory and network_norm(None, epsilon=1e-3) is None
