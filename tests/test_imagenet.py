"""What travels with ImageNet weights: preprocessing equal to keras.applications' modes, the class names, the predict command.

Backend-independent (NumPy and PIL, and Keras's ``predict``, which every backend's suite
checks elsewhere): on TensorFlow only.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND
from keras_classics.cli import main
from keras_classics.weights.imagenet import imagenet_classes, load_images

def _torchvision():
    """torch and torchvision's model definitions (its compiled ops do not load against this CPU torch: see the README)."""
    import sys
    import types

    torch = pytest.importorskip("torch")
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    from torchvision import models

    return torch, models


TF_ONLY = pytest.mark.skipif(BACKEND != "tensorflow", reason="NumPy and PIL only: the same on every backend")
PIXELS = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype("float32")


@TF_ONLY
@pytest.mark.parametrize("name, weights, module, mode", [
    ("vgg16", "imagenet", "vgg16", "caffe"),
    ("resnet50", "imagenet", "resnet", "caffe"),
    ("inception_v3", "imagenet", "inception_v3", "tf"),
    ("densenet121", "imagenet", "densenet", "torch"),
    ("resnet18", "torchvision", None, "torch"),  # torchvision's ImageNet statistics: keras.applications' torch mode
    ("googlenet", "torchvision", None, "tf"),  # transform_input: [-1, 1]
])
def test_preprocess_input_is_the_sources(name, weights, module, mode):
    expected = keras.applications.imagenet_utils.preprocess_input(PIXELS.copy(), mode=mode, data_format="channels_last")
    if module is not None:  # the application's own function says the same
        np.testing.assert_allclose(getattr(keras.applications, module).preprocess_input(PIXELS.copy()), expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(kc.preprocess_input(PIXELS, name, weights, data_format="channels_last"), expected, rtol=1e-5, atol=1e-4)


@TF_ONLY
def test_decode_predictions_names_imagenet_classes():
    assert len(imagenet_classes()) == 1000 and imagenet_classes()[0] == ("n01440764", "tench")
    scores = np.zeros((2, 1000), "float32")
    scores[0, 386], scores[0, 1], scores[1, 999] = 0.7, 0.2, 1.0
    first, second = kc.decode_predictions(scores, top=2)
    assert first == [("n02504458", "African elephant", pytest.approx(0.7)), ("n01443537", "goldfish", pytest.approx(0.2))]
    assert second[0][:2] == ("n15075141", "toilet tissue")
    with pytest.raises(ValueError, match=r"`preds`: .*\(samples, 1000\)"):
        kc.decode_predictions(np.zeros((1, 10)))


@TF_ONLY
def test_load_images_resizes_the_shorter_side_then_crops_the_center(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    batch = load_images([tmp_path / "wide.png"], "resnet18", "torchvision", data_format="channels_last")  # 256 -> 224
    resized = np.asarray(Image.fromarray(pixels).resize((384, 256), Image.BILINEAR), "float32")
    np.testing.assert_array_equal(batch[0], resized[16:240, 80:304])
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="`images`: .*broken.jpg"):
        load_images([tmp_path / "broken.jpg"], "resnet18", "torchvision")


@TF_ONLY
def test_predict_prints_the_top_classes_of_a_checkpoint(tmp_path, capsys):
    """A torchvision ResNet-18 state_dict (random weights) through `predict --weights FILE`: five named classes, best first."""
    from PIL import Image

    torch, models = _torchvision()

    torch.manual_seed(0)
    torch.save(models.resnet18(weights=None).state_dict(), tmp_path / "resnet18.pth")
    Image.fromarray(np.random.default_rng(2).integers(0, 256, (240, 260, 3), dtype=np.uint8)).save(tmp_path / "cat.png")
    assert main(["predict", "resnet18", str(tmp_path / "cat.png"), "--weights", str(tmp_path / "resnet18.pth")]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(f"{tmp_path / 'cat.png'}: n") and line.count(";") == 4
    scores = [float(part.rsplit(" ", 1)[1]) for part in line.split(": ", 1)[1].split("; ")]
    assert scores == sorted(scores, reverse=True)
    assert main(["predict", "resnet18", str(tmp_path / "cat.png"), "--top", "0"]) == 2  # one line naming the flag
    assert "`--top`" in capsys.readouterr().err


@TF_ONLY
def test_adapt_input_conv_is_timms(tmp_path):
    from keras_classics.weights.convert import adapt_input_conv

    kernel = np.random.default_rng(3).normal(size=(3, 3, 3, 8)).astype("float32")
    np.testing.assert_allclose(adapt_input_conv(kernel, 1), kernel.sum(axis=2, keepdims=True), rtol=1e-6)
    four = adapt_input_conv(kernel, 4)  # timm: repeat along the input channels, cut to 4, times 3 / 4
    np.testing.assert_allclose(four, np.concatenate([kernel, kernel[:, :, :1]], axis=2) * 0.75, rtol=1e-6)
    np.testing.assert_allclose(adapt_input_conv(kernel[:, :, :1], 3), np.repeat(kernel[:, :, :1], 3, axis=2) / 3, rtol=1e-6)
    torch, models = _torchvision()  # and through a checkpoint file, into a 4-channel network
    torch.manual_seed(0)
    module = models.resnet18(weights=None)
    torch.save(module.state_dict(), tmp_path / "resnet18.pth")
    model = kc.get_model("resnet18", input_shape=(32, 32, 4), weights=str(tmp_path / "resnet18.pth"))
    rgb = module.conv1.weight.detach().numpy().transpose(2, 3, 1, 0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.get_layer("conv1_conv").kernel), adapt_input_conv(rgb, 4), rtol=1e-6)
