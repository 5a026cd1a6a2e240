"""One harness over the whole registry, at small inputs (the model's minimum size, at least 32 px).

For each model: output shapes, finite outputs, get_config/from_config, .keras
save/load in safe mode, include_top=False with each pooling mode, a gradient for
every trainable weight, and a clear error below the minimum input size.

Each model is built once per worker process and every check runs on that one
build: ``name`` is a module-scoped parameter, so pytest runs a model's tests one
after another, ``xdist_group`` keeps them on one worker (``--dist loadgroup`` in
pyproject's addopts), and the ``small_model`` fixture keeps the last build.

Every check runs for every model on TensorFlow, but the pooling modes, the config round trip and the
``.keras`` save of the ``DEEP`` variants (their family's code, checked on the shallower members; two or
three more builds of the deepest networks each). On JAX the checks run for ``ON_JAX``, one
network for each kind of block (the other widths and depths: TensorFlow), on PyTorch for ``ON_TORCH``,
those and the families' other heads and stems (the CI budget). Inception v2 is not in the JAX harness (a
minute there; its layers are GoogLeNet's and ResNet's), nor DenseNet-121's pooling modes (three more
builds, 100 s; the pooling head is the same code in every family), nor GoogLeNet's and DenseNet-121's config round
trip and ``.keras`` save (``SAVED_ELSEWHERE``: two more eager passes each; serialisation is checked on TensorFlow and PyTorch). The deepest networks (``DEEP``:
the same blocks as a shallower member of their family, repeated) are checked on
TensorFlow only, but for the cheap minimum-size error: on JAX, whose eager
execution compiles every op shape, and on PyTorch they cost minutes each and
test no code the shallower members do not. On JAX the gradient check of the
Inception and DenseNet families also runs on TensorFlow and PyTorch only
(DenseNet-121: 4 minutes, GoogLeNet: 2 on 2 cores); their blocks are the same
Keras code on every backend, and the other networks check JAX's autodiff.
"""

import keras
import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND, gradients, sample_input, small_size, to_numpy

CLASSES = 3
MODELS = kc.list_models()
# Same family, same blocks as a shallower member that every backend differentiates.
DEEP = {
    "densenet161", "densenet169", "densenet201",
    "resnet101", "resnet152", "resnet101_torchvision", "resnet152_torchvision", "resnext101_32x8d",
    "resnet110_cifar", "resnet56_cifar", "resnet56_cifar_plain",
    "inception_v3_torchvision", "inception_v3_torchvision_aux",
}
DEEP &= set(MODELS)
# On JAX, one network for each kind of block (JAX builds and runs eagerly op by op: 20-45 s per mid-size
# network on 2 cores). The others repeat these blocks at other depths or widths, checked on TensorFlow and PyTorch.
# Plain ResNets are the residual ones without the addition, VGG-11-BN is VGG-11 with the norm of every other net.
ON_JAX = {
    "lenet5", "lenet5_1998", "alexnet", "nin", "vgg11", "googlenet",
    "resnet18", "resnet20_cifar", "resnet50", "resnet50_v2", "resnext50_32x4d", "densenet121",
}
# On PyTorch, ON_JAX and the families' other block kinds; the same blocks at other depths and widths
# (VGG-13/16/19, ResNet-34/44/110, the plain and torchvision-style repeats): TensorFlow.
ON_TORCH = ON_JAX | {"inception_v2", "inception_v3", "googlenet_aux", "googlenet_paper", "vgg11_bn", "alexnet_torchvision", "resnet18_plain"}
NOT_HERE = {"tensorflow": set(), "jax": set(MODELS) - ON_JAX, "torch": set(MODELS) - ON_TORCH}.get(BACKEND, set()) | (DEEP if BACKEND != "tensorflow" else set())
# On JAX the config round trip and .keras save of GoogLeNet and DenseNet-121 (two more eager passes each: 35-40 s;
# serialisation is backend-independent Python, and TensorFlow and PyTorch check it): their forward pass runs.
SAVED_ELSEWHERE = {"googlenet", "densenet121"} if BACKEND == "jax" else set()
SLOW_GRADIENTS_ON_JAX = {n for n in MODELS if n.startswith(("densenet", "googlenet", "inception"))}
NO_GRADIENT_HERE = NOT_HERE | (SLOW_GRADIENTS_ON_JAX if BACKEND == "jax" else set())
ON_TENSORFLOW = "a deep variant, or on JAX and PyTorch a repeat of another network's blocks: checked on another backend (see the module docstring)"


def build_small(name, **kwargs):
    info = kc.model_info(name)
    size = small_size(info)
    return kc.get_model(name, input_shape=(size, size, info.channels), classes=CLASSES, **kwargs)


def per_model(fn=None, *, skip=frozenset(), reason=""):
    """Parametrise over the registry (module scope: a model's tests run together), one xdist group per model;
    the names in ``skip`` are skipped before their fixtures are built."""

    def params():
        for n in MODELS:
            marks = [pytest.mark.xdist_group(n)] + ([pytest.mark.skip(reason=reason)] if n in skip else [])
            yield pytest.param(n, marks=marks)

    decorate = pytest.mark.parametrize("name", list(params()), scope="module")
    return decorate(fn) if fn is not None else decorate


@pytest.fixture(autouse=True)
def _clear_session():
    """Override conftest's per-test clear_session: the module-scoped model below outlives one test."""
    keras.utils.set_random_seed(0)
    yield


@pytest.fixture(scope="module")
def small_models():
    """The model last built in this process, by name: ``{name: (model, x, outputs)}`` (one at a time)."""
    cache = {}
    yield cache
    cache.clear()
    keras.backend.clear_session()


@pytest.fixture
def small_model(name, small_models):
    if name not in small_models:
        small_models.clear()
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        info = kc.model_info(name)
        model = build_small(name)
        x = sample_input(info)
        small_models[name] = (model, x, to_numpy(model(x, training=False)))
    return small_models[name]


@per_model(skip=NOT_HERE, reason=ON_TENSORFLOW)
def test_forward_config_and_save(name, small_model, tmp_path):
    model, x, outputs = small_model
    for out in outputs:
        assert out.shape[0] == 2
        assert np.all(np.isfinite(out)), f"{name}: non-finite outputs"
    assert outputs[0].shape == (2, CLASSES)
    if name in DEEP or name in SAVED_ELSEWHERE:
        return  # config and saving: the family's code, checked on its shallower members / on TensorFlow and PyTorch

    rebuilt = keras.Model.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    for a, b in zip(outputs, to_numpy(rebuilt(x, training=False))):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)

    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    for a, b in zip(outputs, to_numpy(loaded(x, training=False))):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)


@per_model(skip=NO_GRADIENT_HERE, reason=f"differentiated on another backend, not on {BACKEND} (see the module docstring)")
def test_gradients_reach_every_weight(name, small_model):
    model, x, _ = small_model
    grads = gradients(model, x)
    assert len(grads) == len(model.trainable_variables) > 0
    for variable, grad in zip(model.trainable_variables, grads):
        assert grad is not None, f"{name}: no gradient for {variable.path}"
        assert np.all(np.isfinite(grad)), f"{name}: non-finite gradient for {variable.path}"
        assert np.any(grad != 0), f"{name}: zero gradient for {variable.path}"


POOLING_ELSEWHERE = NOT_HERE | DEEP | ({"densenet121"} if BACKEND == "jax" else set())


@per_model(skip=POOLING_ELSEWHERE, reason="the pooling head is its family's, checked on the shallower members or other backends (see the module docstring)")
def test_feature_extractor_pooling_modes(name, small_model):
    """include_top=False with pooling None, avg and max: with the classifier's weights copied in, the
    pooled outputs are the mean and max of the unpooled map, and the map is the classifier's last map."""
    model, x, _ = small_model
    x = x[:1]
    features = build_small(name, include_top=False, pooling=None)
    weights_by_path = {w.path: w for w in model.weights}
    for w in features.weights:
        w.assign(weights_by_path[w.path])
    mapped = to_numpy(features(x))
    assert len(mapped) == 1 and mapped[0].ndim == 4
    channels_last = keras.config.image_data_format() == "channels_last"
    spatial = (1, 2) if channels_last else (2, 3)
    channels = mapped[0].shape[-1 if channels_last else 1]
    for mode, reduce in (("avg", np.mean), ("max", np.max)):
        pooled_model = build_small(name, include_top=False, pooling=mode)
        pooled_model.set_weights(features.get_weights())
        pooled = to_numpy(pooled_model(x))
        assert len(pooled) == 1 and pooled[0].shape == (1, channels)
        np.testing.assert_allclose(pooled[0], reduce(mapped[0], axis=spatial), rtol=1e-4, atol=1e-5)


@per_model
def test_input_below_minimum_is_a_clear_error(name):
    info = kc.model_info(name)
    too_small = info.min_size - 1
    with pytest.raises(ValueError, match=rf"input_shape.*{too_small}.*at least {info.min_size}"):
        kc.get_model(name, input_shape=(too_small, too_small, info.channels), classes=CLASSES)


@per_model(skip=NOT_HERE, reason=ON_TENSORFLOW)
def test_minimum_size_is_tight(name, monkeypatch):
    """Below the registered minimum the network really breaks (a zero-sized map or a build error):
    the minimum is not set higher than it needs to be."""
    import keras_classics.models.base as base

    info = kc.model_info(name)
    real_model_input = base.model_input
    monkeypatch.setattr(base, "model_input", lambda *a, **k: real_model_input(*a, **{**k, "min_size": 1}))
    for module in list(__import__("sys").modules.values()):
        if getattr(module, "__name__", "").startswith("keras_classics.models.") and hasattr(module, "model_input"):
            monkeypatch.setattr(module, "model_input", base.model_input)
    too_small = info.min_size - 1
    try:
        model = kc.get_model(name, input_shape=(too_small, too_small, info.channels), classes=CLASSES, include_top=False)
    except Exception:
        return  # the graph cannot be built below the minimum
    shapes = [o.shape for o in model.outputs]
    assert any(0 in s[1:] or any(d is not None and d < 1 for d in s[1:]) for s in shapes), (
        f"{name}: builds with output shapes {shapes} at {too_small} px, so min_size={info.min_size} is not tight"
    )
