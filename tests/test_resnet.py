"""ResNet, ResNetV2, ResNeXt, CIFAR ResNets and plain networks: fidelity to keras.applications,
the shortcut options, the wiring versions, and bad input. Small inputs throughout (32x32)."""

import keras
import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND, forward
from keras_classics.layers.activation import activation as resolve_activation
from keras_classics.layers.norm import norm as resolve_norm
from keras_classics.layers.residual import PadChannels, ResidualConfig, basic_branch, residual_block
from keras_classics.weights import weighted_layers

SHAPE, CLASSES = (32, 32, 3), 5

KERAS_APPLICATIONS = {  # name -> (keras.applications builder, ours, pooling mode tested: None for the deeper ones, classifier only)
    "resnet50": (keras.applications.ResNet50, kc.ResNet50, "avg"),
    "resnet101": (keras.applications.ResNet101, kc.ResNet101, None),
    "resnet152": (keras.applications.ResNet152, kc.ResNet152, None),
    "resnet50_v2": (keras.applications.ResNet50V2, kc.ResNet50V2, "max"),
    "resnet101_v2": (keras.applications.ResNet101V2, kc.ResNet101V2, None),
    "resnet152_v2": (keras.applications.ResNet152V2, kc.ResNet152V2, None),
}
DEEP = {"resnet101", "resnet152", "resnet101_v2", "resnet152_v2"}
# The deeper ones are ResNet-50's blocks, repeated: their weight copy runs on TensorFlow (20 s each on 2 cores,
# 40-65 s under PyTorch); ResNet-50 and ResNet-50 v2 check every backend.
DEEP_ON_TF_ONLY = pytest.mark.skipif(BACKEND != "tensorflow", reason="ResNet-50 (v1, v2) checks this backend; the deeper ones run on TensorFlow")


def numpy(x):
    return keras.ops.convert_to_numpy(x)


def assert_same_after_copy(reference, ours, x, **tolerance):
    kc.transfer_weights(reference, ours)
    np.testing.assert_allclose(forward(ours, x)[0], forward(reference, x)[0], **tolerance)


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=[pytest.mark.slow, DEEP_ON_TF_ONLY]) if n in DEEP else n for n in sorted(KERAS_APPLICATIONS)]
)
def test_outputs_equal_keras_applications_after_weight_copy(name):
    """Weights copied from a randomly initialised keras.applications model give equal outputs,
    with the classifier and (but for the deeper ones) as a pooled feature extractor."""
    application, builder, pooling = KERAS_APPLICATIONS[name]
    x = np.random.default_rng(0).uniform(-1, 1, size=(2,) + SHAPE).astype("float32")
    reference = application(weights=None, input_shape=SHAPE, classes=CLASSES)
    ours = builder(input_shape=SHAPE, classes=CLASSES)
    assert ours.count_params() == reference.count_params()
    assert_same_after_copy(reference, ours, x, atol=1e-5)
    if pooling is None:
        return  # the deeper ones: the pooled head is ResNet-50's (v1, v2) code, checked there and in the registry harness (two builds less)
    reference = application(weights=None, include_top=False, input_shape=SHAPE, pooling=pooling)
    ours = builder(include_top=False, input_shape=SHAPE, pooling=pooling)
    assert_same_after_copy(reference, ours, x, rtol=1e-5, atol=1e-5)


def test_layer_names_follow_keras_applications():
    ours = {layer.name for layer in kc.ResNet50(input_shape=SHAPE, classes=CLASSES).layers if layer.weights}
    theirs = {layer.name for layer in keras.applications.ResNet50(weights=None, input_shape=SHAPE, classes=CLASSES).layers if layer.weights}
    assert ours == theirs


def test_versions_place_the_stride_and_the_biases():
    v1 = kc.ResNet50(input_shape=SHAPE, include_top=False)
    v15 = kc.ResNet50(input_shape=SHAPE, include_top=False, version="v1.5")
    assert v1.get_layer("conv3_block1_1_conv").strides == (2, 2) and v1.get_layer("conv3_block1_2_conv").strides == (1, 1)
    assert v15.get_layer("conv3_block1_1_conv").strides == (1, 1) and v15.get_layer("conv3_block1_2_conv").strides == (2, 2)
    assert v1.get_layer("conv3_block1_1_conv").use_bias and not v15.get_layer("conv3_block1_1_conv").use_bias
    assert v1.get_layer("conv3_block1_1_bn").epsilon == pytest.approx(1.001e-5)
    assert v15.get_layer("conv3_block1_1_bn").epsilon == pytest.approx(1e-5)
    assert v15.count_params() + 1000 * 2049 == kc.get_model("resnet50_torchvision").count_params()


def test_resnext_groups_the_3x3():
    model = kc.ResNeXt50_32x4d(input_shape=SHAPE, include_top=False)
    conv = model.get_layer("conv2_block1_2_conv")
    assert conv.groups == 32 and tuple(conv.kernel.shape) == (3, 3, 4, 128)
    assert tuple(model.get_layer("conv5_block1_2_conv").kernel.shape) == (3, 3, 32, 1024)
    assert tuple(kc.ResNeXt101_32x8d(input_shape=SHAPE, include_top=False).get_layer("conv2_block1_2_conv").kernel.shape) == (3, 3, 8, 256)


def test_cifar_networks_shapes_and_depths():
    for builder, n in ((kc.ResNet20, 3), (kc.ResNet56, 9)):
        model = builder()
        assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 10)
        convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        assert len(convs) == 6 * n + 1  # 6n + 2 weighted layers with the classifier
        assert model.get_layer(f"conv4_block{n}_out").output.shape[1:] == (8, 8, 64)


def test_option_a_adds_no_parameters_and_pads_the_channels():
    residual, plain = kc.ResNet20(), kc.ResNet20(shortcut=None)
    assert residual.count_params() == plain.count_params()
    # one block 16 -> 32 channels, stride 2, its branch zeroed: the output is the shortcut itself
    x_in = keras.Input((8, 8, 16))
    config = ResidualConfig(norm=resolve_norm("batch"), act=resolve_activation("relu"), shortcut="A", conv_bias=None)
    block = keras.Model(x_in, residual_block(x_in, 32, 2, branch=basic_branch, config=config, name="b"))
    assert not any(isinstance(layer, keras.layers.Conv2D) and "_0_" in layer.name for layer in block.layers)
    assert any(isinstance(layer, PadChannels) for layer in block.layers)
    for layer in block.layers:
        if isinstance(layer, keras.layers.Conv2D):
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    x = np.random.default_rng(1).uniform(0, 1, size=(2, 8, 8, 16)).astype("float32")
    expected = np.concatenate([x[:, ::2, ::2, :], np.zeros((2, 4, 4, 16), "float32")], axis=-1)
    np.testing.assert_allclose(numpy(block(x, training=False)), expected, atol=1e-6)


@pytest.mark.parametrize("shortcut", ["B", "C"])
def test_projection_shortcuts(shortcut):
    model = kc.ResNet18(input_shape=SHAPE, include_top=False, shortcut=shortcut)
    projections = sorted(layer.name for layer in model.layers if layer.name.endswith("_0_conv"))
    if shortcut == "B":  # only where the width changes: the first block of stages 3-5
        assert projections == ["conv3_block1_0_conv", "conv4_block1_0_conv", "conv5_block1_0_conv"]
    else:
        assert len(projections) == 8


@pytest.mark.parametrize("residual_name, plain_name", [("resnet34", "resnet34_plain"), ("resnet20_cifar", "resnet20_cifar_plain")])
def test_plain_and_residual_differ_only_in_shortcuts(residual_name, plain_name):
    residual = kc.get_model(residual_name, input_shape=SHAPE)
    plain = kc.get_model(plain_name, input_shape=SHAPE)

    def weights(model, drop_projections):
        return [
            (layer.name, [tuple(w.shape) for w in layer.weights])
            for layer in weighted_layers(model)
            if not (drop_projections and "_0_" in layer.name)
        ]

    assert weights(plain, False) == weights(residual, True)
    assert not any(isinstance(layer, keras.layers.Add) for layer in plain.layers)
    adds = [layer for layer in residual.layers if isinstance(layer, keras.layers.Add)]
    assert len(adds) == sum(kc.models.resnet.VARIANTS[residual_name].stage_depths)


def test_zero_init_last_gamma():
    model = kc.ResNet50(input_shape=SHAPE, include_top=False, zero_init_last=True)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma = numpy(layer.gamma)
            assert np.all(gamma == 0) if layer.name.endswith("_3_bn") else np.all(gamma == 1), layer.name
    # every block starts as the identity (then ReLU): conv2_block2 passes its input through
    x = np.random.default_rng(2).uniform(-1, 1, size=(1,) + SHAPE).astype("float32")
    probe = keras.Model(model.input, [model.get_layer("conv2_block1_out").output, model.get_layer("conv2_block2_out").output])
    before, after = probe(x, training=False)
    np.testing.assert_allclose(numpy(after), numpy(before), atol=1e-6)


@pytest.mark.parametrize(
    "builder, kwargs, argument",
    [
        (kc.ResNet50, {"shortcut": "D"}, "shortcut"),
        (kc.ResNet50, {"version": "v3"}, "version"),
        (kc.ResNeXt50_32x4d, {"groups": 3}, "groups"),
        (kc.ResNet50, {"groups": 48}, "groups"),
        (kc.ResNet18, {"groups": 2}, "groups"),
        (kc.ResNet50, {"bottleneck_width": 0}, "bottleneck_width"),
        (kc.ResNet50, {"zero_init_last": "yes"}, "zero_init_last"),
        (kc.ResNet50, {"norm": "batchy"}, "norm"),
        (kc.ResNet50, {"weights": "imagenet", "version": "v1.5", "zero_init_last": True}, "weights"),
        (kc.ResNet18, {"weights": "imagenet", "shortcut": None}, "weights"),  # the plain network: no checkpoint
        (kc.ResNet50, {"weights": "imagenet", "classes": 10}, "classes"),
        (kc.ResNet50, {"pooling": "mean", "include_top": False}, "pooling"),
        (kc.ResNet20, {"input_shape": (0, 32, 3)}, "input_shape"),
    ],
)
def test_bad_input_is_a_clear_value_error(builder, kwargs, argument):
    with pytest.raises(ValueError, match=rf"^`{argument}`: received .*; allowed: "):
        builder(**kwargs)


def test_pad_channels_round_trips_its_config():
    layer = PadChannels(3, name="pad")
    clone = PadChannels.from_config(layer.get_config())
    assert clone.extra == 3 and clone.axis == layer.axis
    assert tuple(clone.compute_output_shape((None, 4, 4, 5))) == (None, 4, 4, 8)
    with pytest.raises(ValueError, match="extra"):
        PadChannels(-1)
