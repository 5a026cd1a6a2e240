"""Inception family: keras.applications equivalence, auxiliary outputs, ImageNet loading, argument errors."""

import hashlib

import keras
import numpy as np
import pytest

import keras_classics as kc
from keras_classics import weights as weight_io
from keras_classics.layers.inception import Conv, Split, inception_module
from conftest import BACKEND, forward


def randomise(model, seed=0):
    """Random values in every weight, batch-norm statistics included, so a copy that
    misplaces any of them shows (fresh statistics are 0 and 1, which hides mistakes)."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape = tuple(variable.shape)
        if "moving_variance" in variable.path:
            value = rng.uniform(0.5, 1.5, shape)
        elif len(shape) == 1:
            value = rng.normal(0.0, 0.1, shape)
        else:
            fan_in = int(np.prod(shape[:-1]))
            value = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        variable.assign(value.astype("float32"))


@pytest.mark.skipif(BACKEND == "jax", reason="a fidelity check of the graph: on TensorFlow and PyTorch (50 s on JAX)")
def test_inception_v3_equals_keras_applications_after_weight_copy():
    """Classifier; the feature extractor with pooling is compared in the ImageNet-loading test below."""
    shape, classes = (75, 75, 3), 5
    x = np.random.default_rng(1).uniform(-1, 1, size=(2,) + shape).astype("float32")
    reference = keras.applications.InceptionV3(weights=None, input_shape=shape, classes=classes)
    randomise(reference)
    ours = kc.InceptionV3(input_shape=shape, classes=classes)
    assert ours.count_params() == reference.count_params()
    kc.transfer_weights(reference, ours)
    np.testing.assert_allclose(forward(ours, x)[0], forward(reference, x)[0], atol=1e-5)


@pytest.mark.skipif(BACKEND == "jax", reason="the cache, the hash check and the h5 layout are backend-independent: checked on TensorFlow and PyTorch (40 s on JAX)")
def test_imagenet_weights_load_through_kerass_cache(tmp_path, monkeypatch):
    """weights='imagenet': keras.utils.get_file's hash check, keras.applications' h5 layout, the transfer."""
    shape = (75, 75, 3)
    source = keras.applications.InceptionV3(weights=None, include_top=False, input_shape=shape, pooling="avg")
    randomise(source)
    spec = weight_io.PRETRAINED["inception_v3"].notop
    (tmp_path / "models").mkdir()
    cached = tmp_path / "models" / spec.fname
    source.save(str(cached))  # Keras's legacy h5 layout, as the published file
    digest = hashlib.md5(cached.read_bytes()).hexdigest()
    monkeypatch.setattr(weight_io, "CACHE_DIR", str(tmp_path))
    patched = weight_io.Pretrained("InceptionV3", weight_io.PRETRAINED["inception_v3"].top, weight_io.WeightFile(spec.fname, spec.origin, digest))
    monkeypatch.setitem(weight_io.PRETRAINED, "inception_v3", patched)

    ours = kc.InceptionV3(weights="imagenet", include_top=False, input_shape=shape, pooling="avg")
    x = np.random.default_rng(0).uniform(-1, 1, (2,) + shape).astype("float32")
    expected = forward(source, x)[0]
    assert expected.shape == (2, 2048)
    np.testing.assert_allclose(forward(ours, x)[0], expected, atol=1e-5 * max(1.0, np.abs(expected).max()), rtol=1e-5)


@pytest.mark.skipif(BACKEND == "jax", reason="structure only, the same on every backend: checked on TensorFlow and PyTorch (90 s on JAX)")
def test_auxiliary_outputs_are_named_and_weighted():
    """Named outputs, main first; at the canonical sizes the heads have torchvision's geometry
    (GoogLeNet: adaptive pooling of 14x14 to 4x4x128, the paper's valid 5x5/3 with aux_pool="5x5/3";
    v3: 17x17 -> 5x5 -> 1x1x768)."""
    googlenet = kc.get_model("googlenet_aux", classes=7)
    assert list(googlenet.output_names) == ["predictions", "aux1", "aux2"]
    assert [tuple(o.shape) for o in googlenet.outputs] == [(None, 7)] * 3
    assert kc.aux_loss_weights(googlenet) == {"predictions": 1.0, "aux1": 0.3, "aux2": 0.3}
    assert tuple(googlenet.get_layer("aux1_flatten").output.shape) == (None, 4 * 4 * 128)
    assert tuple(googlenet.get_layer("aux2_pool").input.shape) == (None, 14, 14, 528)
    paper = kc.GoogLeNet(aux_logits=True, aux_pool="5x5/3", classes=7)
    assert paper.get_layer("aux2_pool").padding == "valid" and tuple(paper.get_layer("aux1_flatten").output.shape) == (None, 4 * 4 * 128)
    v3 = kc.get_model("inception_v3_torchvision_aux", classes=7)
    assert list(v3.output_names) == ["predictions", "aux"]
    assert kc.aux_loss_weights(v3, weight=0.4) == {"predictions": 1.0, "aux": 0.4}
    assert tuple(v3.get_layer("aux_conv2_conv").output.shape) == (None, 1, 1, 768)
    assert kc.aux_loss_weights(kc.get_model("googlenet", input_shape=(32, 32, 3), classes=7)) == {"predictions": 1.0}


@pytest.mark.skipif(BACKEND == "jax", reason="compile/fit with a loss-weight dict: checked on TensorFlow and PyTorch (45 s on JAX)")
def test_googlenet_aux_trains_with_weighted_losses():
    """The loss-weight dict works with compile/fit on a three-output model; the aux heads have the paper's layers."""
    model = kc.GoogLeNet(aux_logits=True, input_shape=(32, 32, 3), classes=3)
    assert model.get_layer("aux1_fc1").units == 1024 and model.get_layer("aux1_fc1_dropout").rate == 0.7
    assert model.get_layer("aux1_conv1_conv").filters == 128
    weights = kc.aux_loss_weights(model)
    model.compile(optimizer="sgd", loss={n: "sparse_categorical_crossentropy" for n in weights}, loss_weights=weights,
                  run_eagerly=keras.backend.backend() == "tensorflow")  # TF's graph tracing costs minutes; JAX's jit is cheaper than its eager mode
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 3, 4)
    history = model.fit(x, {n: y for n in weights}, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.skipif(BACKEND == "jax", reason="structure only, the same on every backend: checked on TensorFlow and PyTorch (50 s on JAX)")
def test_googlenet_paper_configuration():
    model = kc.get_model("googlenet_paper", input_shape=(32, 32, 3))
    assert model.get_layer("inception3a_branch3_2_conv").kernel_size == (5, 5)
    assert model.get_layer("conv1_conv").use_bias and not any(isinstance(l, keras.layers.BatchNormalization) for l in model.layers)
    assert model.get_layer("pool1_lrn") is not None
    assert kc.get_model("googlenet", input_shape=(32, 32, 3)).get_layer("inception3a_branch3_2_conv").kernel_size == (3, 3)


@pytest.mark.skipif(BACKEND == "jax", reason="structure only, the same on every backend: checked on TensorFlow and PyTorch (27 s on JAX)")
def test_inception_v2_modules():
    """BN-Inception: every 5x5 is two 3x3, batch norm after every convolution, 3c and 4e halve the grid."""
    model = kc.InceptionV2(input_shape=(64, 64, 3))
    assert tuple(model.get_layer("inception3b").output.shape) == (None, 8, 8, 320)
    assert tuple(model.get_layer("inception3c").output.shape) == (None, 4, 4, 576)
    assert tuple(model.get_layer("inception4e").output.shape) == (None, 2, 2, 1056)
    assert tuple(model.get_layer("inception5b").output.shape) == (None, 2, 2, 1024)
    convs = [l for l in model.layers if isinstance(l, keras.layers.Conv2D)]
    assert all(l.kernel_size in ((1, 1), (3, 3)) for l in convs[1:])
    assert sum(isinstance(l, keras.layers.BatchNormalization) for l in model.layers) == len(convs)


def test_inception_module_keeps_size_and_concatenates():
    x = keras.Input((9, 9, 16))
    towers = ((Conv(4, 1),), (Conv(3, 1), Conv(5, (1, 7)), Conv(6, (7, 1))), (Conv(2, 1), Split((Conv(3, (1, 3)), Conv(3, (3, 1))))))
    y = inception_module(x, towers, pool="avg", pool_proj=7, norm="batch", name="m")
    assert tuple(y.shape) == (None, 9, 9, 4 + 6 + 6 + 7)
    reduced = inception_module(x, ((Conv(8, 3),),), pool="max", strides=2, reduce_padding="valid", name="r")
    assert tuple(reduced.shape) == (None, 4, 4, 8 + 16)


@pytest.mark.parametrize(
    "builder, kwargs, match",
    [
        (kc.GoogLeNet, dict(aux_logits=True, include_top=False), r"`aux_logits`: received True; allowed: False with include_top=False"),
        (kc.InceptionV3, dict(aux_logits=True, include_top=False), r"`aux_logits`: received True"),
        (kc.InceptionV3, dict(aux_logits="yes"), r"`aux_logits`: received 'yes'; allowed: True or False"),
        (kc.InceptionV3, dict(input_shape=(74, 74, 3)), r"`input_shape`: received \(74, 74, 3\); allowed: .*at least 75"),
        (kc.InceptionV3, dict(weights="imagenet", norm_scale=True), r"`weights`: received 'imagenet'"),
        (kc.InceptionV3, dict(weights="imagenet", classes=10), r"`classes`: received 10"),
        (kc.InceptionV3, dict(norm="fancy"), r"`norm`: received 'fancy'"),
        (kc.GoogLeNet, dict(aux_logits=True, input_shape=(None, None, 3)), r"`input_shape`: .*fixed height and width"),
        (kc.GoogLeNet, dict(dropout=1.5), r"`dropout`: received 1.5"),
        (kc.GoogLeNet, dict(branch3_kernel=0), r"`branch3_kernel`: received 0"),
        (kc.GoogLeNet, dict(aux_pool="max"), r"`aux_pool`: received 'max'; allowed: one of 'adaptive', '5x5/3'"),
        (kc.InceptionV3, dict(count_include_pad="yes"), r"`count_include_pad`: received 'yes'"),
        (kc.InceptionV3, dict(weights="imagenet", count_include_pad=True), r"`weights`: received 'imagenet'"),
        (kc.InceptionV2, dict(input_shape=(6, 6, 3)), r"`input_shape`: .*at least 7"),
    ],
)
def test_bad_arguments_are_clear_errors(builder, kwargs, match):
    with pytest.raises(ValueError, match=match):
        builder(**kwargs)
