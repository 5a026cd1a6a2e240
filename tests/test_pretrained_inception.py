"""GoogLeNet and Inception v3 against torchvision's (and timm's) modules: a state_dict loaded by name gives their outputs.

torchvision's model definitions are pure Python; its compiled ops do not load on the CPU torch here, so
``torchvision._meta_registrations`` is stubbed before the import. Each source model is built with random
initialisation, its batch-norm statistics set from a batch and then perturbed (fresh statistics, 0 and 1,
hide a misplaced tensor), and its state_dict loaded through the rules of
:mod:`keras_classics.weights.rules.inception`. Both in inference mode, the outputs must agree
(relative 1e-4, top-1 equal). torchvision runs its auxiliary heads only in training mode, so the heads are
compared on one intermediate map fed to torchvision's head module and to ours (our head's layers, with the
loaded weights, applied to the same map).

Budget: the deep checks run on TensorFlow; PyTorch checks Inception v3; JAX, whose eager initializers
build an Inception in about a minute on 2 cores, checks the pooling fix on one module.
"""

from __future__ import annotations

import contextlib
import sys
import types

import keras
import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND, forward
from keras_classics.layers.inception import Conv, inception_module
from keras_classics.weights.convert import load_state_dict
from keras_classics.weights.rules import inception as rules

torch = pytest.importorskip("torch")
sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
tv_models = pytest.importorskip("torchvision.models")

TF_ONLY = pytest.mark.skipif(BACKEND != "tensorflow", reason="deep check on TensorFlow only (CI budget); Inception v3 runs on PyTorch too")
NOT_JAX = pytest.mark.skipif(BACKEND == "jax", reason="JAX's eager initializers take about a minute to build Inception v3 on 2 cores: the pooling is checked on JAX by module")
CLASSES = 10
IMAGENET_MEAN, IMAGENET_STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])


def load(model, state_dict, name):
    """Through the converter, as ``weights=`` loads a torchvision file (the tensors as NumPy arrays)."""
    arrays = {key: tensor.detach().numpy() for key, tensor in state_dict.items()}
    load_state_dict(model, arrays, rules.RULES[name](model), source="torchvision")


@contextlib.contextmanager
def one_thread():
    """torch on one thread beside TensorFlow's pool: on 2 shared cores its own pool makes a 75 px
    Inception v3 forward take seconds instead of a fraction of one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@one_thread()
def settle(module, x, seed=0):
    """Batch-norm statistics from one training-mode pass (auxiliary heads detached), then perturbed."""
    heads = {n: getattr(module, n) for n in ("aux1", "aux2", "AuxLogits") if getattr(module, n, None) is not None}
    for n in heads:
        setattr(module, n, None)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = 1.0
    module.train()
    with torch.no_grad():
        module(torch.from_numpy(x.transpose(0, 3, 1, 2)))
    for n, head in heads.items():
        setattr(module, n, head)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.add_(0.1 * torch.randn(c, generator=generator) * m.running_var.sqrt())
                m.running_var.mul_(torch.empty(c).uniform_(0.7, 1.3, generator=generator))
                m.weight.copy_(torch.empty(c).uniform_(0.5, 1.5, generator=generator))
                m.bias.copy_(0.2 * torch.randn(c, generator=generator))
    return module.eval()


def torch_forward(module, x):
    with torch.no_grad(), one_thread():
        return module(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))).numpy()


def assert_same(ours, theirs):
    relative = np.abs(ours - theirs).max() / np.abs(theirs).max()
    assert relative < 1e-4, f"max relative difference {relative:.3g}"
    np.testing.assert_array_equal(ours.argmax(-1), theirs.argmax(-1))


def head_on(model, head, x):
    """Our auxiliary head ``head`` (its layers, in graph order) applied to the map ``x`` (NHWC)."""
    y = keras.ops.convert_to_tensor(x)
    for layer in [l for l in model.layers if l.name == head or l.name.startswith(f"{head}_")]:
        y = layer(y, training=False)
    return keras.ops.convert_to_numpy(y)


def pixels(size, batch=2, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (batch, size, size, 3)).astype("float32")


def mapping_of(model, name):
    return rules.RULES[name](model)


@pytest.fixture(scope="module")
def tv_inception_v3():
    """torchvision's Inception3 with its auxiliary head, as the published file holds it."""
    with one_thread():
        torch.manual_seed(0)
        module = tv_models.Inception3(num_classes=CLASSES, aux_logits=True, init_weights=True, transform_input=False)
    return settle(module, (pixels(75, 4, seed=1) - 0.5) / 0.5)


@pytest.fixture(scope="module")
def tv_googlenet():
    """torchvision's GoogLeNet with both auxiliary heads, as the published file holds them."""
    with one_thread():
        torch.manual_seed(0)
        module = tv_models.GoogLeNet(num_classes=CLASSES, aux_logits=True, init_weights=True, transform_input=False)
    return settle(module, (pixels(64, 4, seed=1) - 0.5) / 0.5)


def ours(name, size):
    return kc.get_model(name, input_shape=(size, size, 3), classes=CLASSES, classifier_activation=None)


def test_count_include_pad_pooling_is_torchs():
    """Every backend: the module's stride-1 average pooling with count_include_pad=True is F.avg_pool2d(x, 3, 1, 1)
    (border windows divided by 9); Keras's ``same`` pooling (the keras.applications graph) is not."""
    x = np.random.default_rng(4).uniform(0, 1, (2, 5, 5, 6)).astype("float32")
    with torch.no_grad():
        expected = torch.nn.functional.avg_pool2d(torch.from_numpy(x.transpose(0, 3, 1, 2)), 3, 1, 1).numpy().transpose(0, 2, 3, 1)
    for count_include_pad in (True, False):
        inputs = keras.Input((5, 5, 6))
        y = inception_module(inputs, (Conv(2, 1),), pool="avg", count_include_pad=count_include_pad, name="m")
        pooled = keras.ops.convert_to_numpy(keras.Model(inputs, y)(x))[..., 2:]
        assert np.allclose(pooled, expected, atol=1e-6) == count_include_pad


@NOT_JAX
def test_inception_v3_torchvision_equals_torchvision(tv_inception_v3):
    """The average poolings count the padded zeros (count_include_pad=True), as torchvision's: without that
    the border activations of every 3x3 stride-1 pooling differ. The checkpoint's AuxLogits tensors are
    known and dropped (mapped to None), as torchvision's builder does with aux_logits=False."""
    model = ours("inception_v3_torchvision", 75)
    load(model, tv_inception_v3.state_dict(), "inception_v3_torchvision")
    x = (pixels(75) - 0.5) / 0.5
    assert_same(forward(model, x)[0], torch_forward(tv_inception_v3, x))
    # Same-shape towers get their own modules: the 1x7 / 7x1 chains, the split halves, the pool projection.
    mapping = mapping_of(model, "inception_v3_torchvision")
    assert mapping["Mixed_6c.branch7x7dbl_3.conv.weight"] == ("mixed5_branch3_3_conv", "kernel")
    assert mapping["Mixed_6c.branch7x7_2.conv.weight"] == ("mixed5_branch2_2_conv", "kernel")
    assert mapping["Mixed_7b.branch3x3dbl_3b.bn.running_var"] == ("mixed9_branch3_3b_bn", "moving_variance")
    assert mapping["Mixed_6a.branch3x3.conv.weight"] == ("mixed3_branch1_1_conv", "kernel")
    assert mapping["Mixed_5b.branch_pool.bn.weight"] == ("mixed0_pool_proj_bn", "gamma")


@TF_ONLY
def test_inception_v3_torchvision_aux_head_equals_torchvisions(tv_inception_v3):
    """Built at 299 px (build only), where the head sees torchvision's 17x17 map: 5x5/3 pooling to 5x5, 1x1 conv,
    5x5 conv to 1x1, fc. The head runs only in training mode in torchvision, so both heads get one 17x17x768 map."""
    model = ours("inception_v3_torchvision_aux", 299)
    load(model, tv_inception_v3.state_dict(), "inception_v3_torchvision_aux")
    grid = np.random.default_rng(2).uniform(0, 2, (2, 17, 17, 768)).astype("float32")
    assert_same(head_on(model, "aux", grid), torch_forward(tv_inception_v3.AuxLogits, grid))


@TF_ONLY
def test_googlenet_equals_torchvision_and_transform_input_is_preprocessing(tv_googlenet, tmp_path):
    """The main output from the published file's layout (auxiliary tensors dropped), loaded through the
    builder's ``weights=``; then torchvision's transform_input=True on ImageNet-normalised pixels equals our
    graph on pixels normalised with the catalogue's preprocessing record for the checkpoint (mean and std 0.5)."""
    torch.save(tv_googlenet.state_dict(), tmp_path / "googlenet.pth")
    model = kc.get_model("googlenet", input_shape=(64, 64, 3), classes=CLASSES, classifier_activation=None, weights=str(tmp_path / "googlenet.pth"))
    p = pixels(64)
    assert_same(forward(model, (p - 0.5) / 0.5)[0], torch_forward(tv_googlenet, (p - 0.5) / 0.5))
    assert rules.RULES["googlenet"](model)["aux2.fc1.weight"] is None  # the file's heads: known, not loaded
    record = rules.TRANSFORM_INPUT_PREPROCESSING
    published = kc.preprocessing("googlenet", "torchvision")
    assert (published.mean, published.std) == (tuple(record["mean"]), tuple(record["std"]))
    tv_googlenet.transform_input = True
    try:
        expected = torch_forward(tv_googlenet, ((p - IMAGENET_MEAN) / IMAGENET_STD).astype("float32"))
    finally:
        tv_googlenet.transform_input = False
    assert_same(forward(model, ((p - np.array(record["mean"])) / np.array(record["std"])).astype("float32"))[0], expected)


@TF_ONLY
def test_googlenet_aux_equals_torchvision(tv_googlenet):
    """The main output, and both heads on the canonical 14x14 map (adaptive pooling to 4x4: windows at
    0, 3, 7, 10, where the paper's 5x5/3 has 0, 3, 6, 9), their fc1 read from torchvision's C,H,W flatten."""
    model = ours("googlenet_aux", 64)
    load(model, tv_googlenet.state_dict(), "googlenet_aux")
    x = (pixels(64) - 0.5) / 0.5
    assert_same(forward(model, x)[0], torch_forward(tv_googlenet, x))
    for head, channels in (("aux1", 512), ("aux2", 528)):
        grid = np.random.default_rng(3).uniform(0, 2, (2, 14, 14, channels)).astype("float32")
        assert_same(head_on(model, head, grid), torch_forward(getattr(tv_googlenet, head), grid))
    mapping = mapping_of(model, "googlenet_aux")
    assert mapping["inception4a.branch4.1.conv.weight"] == ("inception4a_pool_proj_conv", "kernel")
    assert mapping["inception4a.branch3.1.bn.bias"] == ("inception4a_branch3_2_bn", "beta")
    assert mapping["aux2.fc2.weight"] == ("aux2", "kernel") and mapping["aux1.conv.conv.weight"] == ("aux1_conv1_conv", "kernel")


@TF_ONLY
def test_timm_inception_v3_keys_are_torchvisions(tv_inception_v3):
    """timm's InceptionV3 (inception_v3.tv_in1k, .tf_in1k) names its tensors as torchvision's Inception3,
    so TIMM_RULES are RULES: the forward checks above cover it."""
    timm = pytest.importorskip("timm")
    with torch.device("meta"):
        source = timm.create_model("inception_v3", pretrained=False, num_classes=CLASSES, aux_logits=True)
    assert set(source.state_dict()) == set(tv_inception_v3.state_dict())
    assert rules.TIMM_RULES == {name: rules.RULES[name] for name in rules.TIMM_RULES}
