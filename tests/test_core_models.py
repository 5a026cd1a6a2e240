"""LeNet-5, AlexNet, VGG and NiN beyond the registry harness: knobs, dense evaluation, weights, bad input."""

import hashlib

import keras
import numpy as np
import pytest

import keras_classics as kc
from keras_classics import weights as weight_io
from conftest import BACKEND, to_numpy


# --- bad input: a ValueError naming the argument, what was received and what is allowed ---

@pytest.mark.parametrize(
    "builder, kwargs, pattern",
    [
        (kc.VGG11, {"classes": 0, "input_shape": (32, 32, 3)}, r"`classes`: received 0; allowed: an integer >= 1"),
        (kc.VGG11, {"norm": "batchnorm2", "input_shape": (32, 32, 3)}, r"`norm`: received 'batchnorm2'; allowed: one of batch, layer"),
        (kc.AlexNet, {"activation": "rellu"}, r"`activation`: received 'rellu'; allowed: one of relu"),
        (kc.NiN, {"weights": "/no/such/file.weights.h5"}, r"`weights`: received '/no/such/file.weights.h5'.*existing weights file"),
        (kc.VGG16, {"weights": "imagenet", "input_shape": (64, 64, 1), "include_top": False}, r"`input_shape`: received \(64, 64, 1\); allowed: 3 channels with weights='imagenet'"),
        (kc.VGG16, {"weights": "imagenet", "classes": 10}, r"`classes`: received 10; allowed: 1000 with weights='imagenet'"),
        (kc.NiN, {"weights": "imagenet"}, r"`weights`: received 'imagenet'; allowed: None or a path"),
        (kc.VGG11, {"pooling": "mean", "include_top": False}, r"`pooling`: received 'mean'; allowed: None, 'avg' or 'max'"),
        (kc.VGG11, {"input_shape": (None, None, 3)}, r"`input_shape`: received \(None, None, 3\); allowed: a fixed height and width with include_top=True"),
        (kc.VGG11, {"input_shape": (32, 32)}, r"`input_shape`: received \(32, 32\); allowed: a tuple \(height, width, channels\)"),
        (kc.AlexNet, {"variant": "two_gpu"}, r"`variant`: received 'two_gpu'; allowed: one of 'paper', 'ungrouped', 'torchvision'"),
        (kc.LeNet5, {"subsampling": "median"}, r"`subsampling`: received 'median'"),
        (kc.LeNet5, {"dropout": 1.5}, r"`dropout`: received 1.5; allowed: a number in \[0, 1\)"),
        (kc.VGG11, {"classifier_activation": "softmaxx", "input_shape": (32, 32, 3)}, r"`classifier_activation`: received 'softmaxx'"),
        (kc.VGG11, {"fully_convolutional": True, "input_shape": (200, 200, 3)}, r"`input_shape`: received \(200, 200, 3\); allowed: height and width of at least 224"),
    ],
)
def test_bad_input_is_a_clear_value_error(builder, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        builder(**kwargs)


def test_unknown_registry_name_suggests_close_ones():
    with pytest.raises(ValueError, match=r"`name`: received 'vgg61'.*Did you mean.*vgg16"):
        kc.get_model("vgg61")


def test_registry_rejects_a_duplicate_name():
    from keras_classics.registry import register_model

    with pytest.raises(ValueError, match="'vgg16'.*not yet registered"):
        register_model("vgg16", kc.VGG16, family="vgg", paper=kc.model_info("vgg16").paper, default_size=224, min_size=32)


def test_every_row_fact_reaches_the_registry():
    from keras_classics.models import resnet, vgg

    assert kc.model_info("resnet50_v2").pretrained == "resnet50_v2" and kc.model_info("resnet18").pretrained is None
    assert kc.model_info("resnet20_cifar").classes == resnet.VARIANTS["resnet20_cifar"].classes == 10
    assert kc.model_info("vgg16_bn").defaults == {"name": "vgg16_bn", "variant": "vgg16_bn"}
    assert vgg.VARIANTS["vgg16_bn"].layers == vgg.VARIANTS["vgg16"].layers
    assert "resnet101_v2" not in kc.list_models()  # a builder's row only
    for name in kc.list_models():
        key = kc.model_info(name).pretrained
        assert key is None or key in weight_io.PRETRAINED, name


def test_list_models_patterns():
    assert kc.list_models("vgg1?") == ["vgg11", "vgg13", "vgg16", "vgg19"]
    assert "vgg16_bn" in kc.list_models("*_bn") and "lenet5" not in kc.list_models("*_bn")
    assert kc.list_models("nothing*") == []


# --- LeNet-5 ---

def test_lenet_knobs_change_behaviour_not_counts():
    for act in ("sigmoid", "tanh", "relu"):
        for subsampling in ("average", "max"):
            assert kc.LeNet5(activation=act, subsampling=subsampling).count_params() == 61706
    paper = kc.get_model("lenet5_1998")
    assert paper.get_layer("c3_conv").count_params() == 1516
    assert [paper.get_layer(n).count_params() for n in ("c1_conv", "s2_scale", "s4_scale", "c5_conv", "f6")] == [156, 12, 32, 48120, 10164]
    dense_output = kc.LeNet5(variant="paper", output="dense")
    assert sum(int(np.prod(v.shape)) for v in dense_output.trainable_variables) == 60850


def test_input_tensor_is_used_as_the_input():
    image = keras.Input((40, 40, 1), name="digits")
    model = kc.LeNet5(input_tensor=image, include_top=False, pooling="avg")
    assert model.inputs[0] is image and model.output_shape == (None, 120)


# --- VGG dense evaluation ---

def test_convolutionalize_equals_the_dense_model_and_takes_bigger_inputs():
    dense = kc.VGG11(input_shape=(64, 64, 3), classes=5)  # flatten sees 2x2x512
    fcn = kc.convolutionalize(dense)
    assert fcn.get_layer("fc1").kernel.shape == (2, 2, 512, 4096)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 64, 64, 3)).astype("float32")
    expected = to_numpy(dense(x))[0]
    score_map = to_numpy(fcn(x))[0]
    assert score_map.shape == (2, 1, 1, 5)
    np.testing.assert_allclose(score_map[:, 0, 0], expected, atol=1e-5)
    bigger = to_numpy(fcn(np.zeros((1, 128, 96, 3), "float32")))[0]
    assert bigger.shape == (1, 3, 2, 5)  # a class-score map: (128/32 - 1) x (96/32 - 1)
    np.testing.assert_allclose(bigger.sum(axis=-1), 1.0, atol=1e-5)  # softmax over classes at each position


@pytest.mark.slow
@pytest.mark.skipif(BACKEND == "jax", reason="VGG-16 at 224 px: on TensorFlow and PyTorch (the 32-px convolutionalize check above runs on JAX)")
def test_fully_convolutional_vgg_equals_dense_vgg_at_224():
    dense = kc.VGG11(classes=10)
    fcn = kc.convolutionalize(dense)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 224, 224, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(fcn(x))[0][:, 0, 0], to_numpy(dense(x))[0], atol=1e-5)
    assert fcn.get_layer("fc1").kernel.shape == (7, 7, 512, 4096)
    built = kc.VGG11(classes=10, fully_convolutional=True)
    assert built.input_shape == (None, None, None, 3) and built.count_params() == dense.count_params()
    assert built.compute_output_shape((1, 288, 256, 3)) == (1, 3, 2, 10)


# --- weights ---

def test_weights_file_round_trip(tmp_path):
    model = kc.NiN(input_shape=(67, 67, 3), classes=4)
    path = tmp_path / "nin.weights.h5"
    model.save_weights(path)
    again = kc.NiN(input_shape=(67, 67, 3), classes=4, weights=str(path))
    x = np.random.default_rng(0).uniform(size=(1, 67, 67, 3)).astype("float32")
    np.testing.assert_allclose(to_numpy(again(x))[0], to_numpy(model(x))[0], atol=1e-6)
    with pytest.raises(ValueError, match="`weights`: could not load"):
        kc.NiN(input_shape=(67, 67, 3), classes=5, weights=str(path))


def test_imagenet_weights_load_through_kerass_cache(tmp_path, monkeypatch):
    """The real 'imagenet' path (keras.utils.get_file with its hash check, the Keras h5 file,
    the transfer into our graph) on a file written locally in Keras's cache layout."""
    shape = (32, 32, 3)
    source = keras.applications.VGG16(weights=None, include_top=False, input_shape=shape)
    spec = weight_io.PRETRAINED["vgg16"].notop
    (tmp_path / "models").mkdir()
    cached = tmp_path / "models" / spec.fname
    source.save(str(cached))  # Keras's legacy h5 layout, as the published files are
    digest = hashlib.md5(cached.read_bytes()).hexdigest()
    monkeypatch.setattr(weight_io, "CACHE_DIR", str(tmp_path))
    patched = weight_io.Pretrained("VGG16", weight_io.PRETRAINED["vgg16"].top, weight_io.WeightFile(spec.fname, spec.origin, digest))
    monkeypatch.setitem(weight_io.PRETRAINED, "vgg16", patched)

    ours = kc.VGG16(weights="imagenet", include_top=False, input_shape=shape)
    x = np.random.default_rng(0).uniform(0, 255, (1,) + shape).astype("float32")
    np.testing.assert_allclose(to_numpy(ours(x))[0], to_numpy(source(x))[0], rtol=1e-5, atol=1e-3)

    cached.write_bytes(b"corrupt")  # a bad hash makes Keras re-download, which fails offline: a clear error
    with pytest.raises(ValueError, match=r"`weights`: received 'imagenet' but vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 could not be fetched"):
        kc.VGG16(weights="imagenet", include_top=False, input_shape=shape)
