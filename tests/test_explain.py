"""Grad-CAM and saliency (keras_classics.explain) and the ``explain`` command, on every backend.

The gradients are checked against NumPy on a model small enough to differentiate by
hand (1x1 convolutions, an add, global pooling, a dense classifier): run under each
backend, the same expected arrays compare the three autodiffs. Two crafted models
check where the maps point: classes that read only one quadrant's channel, and a
score computed from the top-left quadrant only. A small CNN trained on each backend to
tell a bright bar's orientation wherever it is must put the heatmap's peak on the bar.
"""

import json
import os

import keras
import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND
from keras_classics.cli import main

RNG = np.random.default_rng(12)  # each map has positive and zero parts; the top classes differ (1, 3, 1)
KA = RNG.normal(size=(2, 3)).astype("float32")  # image channels -> A
KB = RNG.normal(size=(3, 3)).astype("float32")  # A -> B; S = A + B
W = RNG.normal(size=(3, 4)).astype("float32")  # pooled S -> 4 logits
BIAS = RNG.normal(size=(4,)).astype("float32")
X = RNG.normal(size=(3, 6, 6, 2)).astype("float32")


def hand_model(classifier_activation="softmax"):
    image = keras.Input((6, 6, 2))
    a = keras.layers.Conv2D(3, 1, use_bias=False, name="a")(image)
    a = keras.layers.Activation("relu", name="a_relu")(a)
    b = keras.layers.Conv2D(3, 1, use_bias=False, name="b")(a)
    x = keras.layers.Add(name="add")([a, b])
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    model = keras.Model(image, keras.layers.Dense(4, activation=classifier_activation, name="predictions")(x))
    model.get_layer("a").set_weights([KA[None, None]])
    model.get_layer("b").set_weights([KB[None, None]])
    model.get_layer("predictions").set_weights([W, BIAS])
    return model


def numpy_forward(x):
    a = np.maximum(x @ KA, 0)
    b = a @ KB
    logits = (a + b).mean(axis=(1, 2)) @ W + BIAS
    return a, b, logits


def cam(maps, classes):
    """Grad-CAM by hand: the score is a logit, linear in the pooled maps, so d logit_c / d map = W[:, c] / 36 everywhere."""
    weights = W[:, classes].T / 36.0  # (N, 3)
    heat = np.maximum(np.einsum("nhwk,nk->nhw", maps, weights), 0)
    return heat / heat.max(axis=(1, 2), keepdims=True)


def test_gradcam_and_saliency_equal_the_hand_computation():
    model = hand_model()
    a, b, logits = numpy_forward(X)
    top = logits.argmax(axis=1)
    assert list(top) == [1, 3, 1]
    assert kc.feature_info(model)[-1].layer == "add"  # the default layer: S = A + B, through which every path passes
    np.testing.assert_allclose(kc.gradcam(model, X), cam(a + b, top), atol=1e-5)
    # the branch's convolution: the head then also reads A, held fixed
    np.testing.assert_allclose(kc.gradcam(model, X, layer="b", class_index=[2, 0, 3]), cam(b, [2, 0, 3]), atol=1e-5)
    assert model.get_layer("predictions").activation is keras.activations.softmax  # restored after taking the logit
    # saliency: d logit_c / d x = Ka diag(relu'(x Ka)) (I + Kb) W[:, c] / 36 at every pixel
    direction = (np.eye(3) + KB) @ W[:, 1]
    gradient = np.einsum("ck,nhwk,k->nhwc", KA, (X @ KA > 0).astype("float32"), direction) / 36.0
    np.testing.assert_allclose(kc.saliency(model, X, class_index=1), np.abs(gradient).max(axis=-1), rtol=1e-4, atol=1e-7)


def test_a_linear_classifier_gives_the_same_maps():
    """Without a softmax there is nothing to undo: the same logits, the same maps."""
    model = hand_model(classifier_activation=None)
    a, b, logits = numpy_forward(X)
    np.testing.assert_allclose(kc.gradcam(model, X), cam(a + b, logits.argmax(axis=1)), atol=1e-5)


def test_gradcam_points_at_the_quadrant_its_class_reads():
    """Channel 0 lights the top-left quadrant, channel 1 the bottom-right; class c reads channel c only.
    A wrong sign, a wrong class or a gradient w.r.t. the wrong tensor moves or erases the map."""
    image = keras.Input((8, 8, 2))
    x = keras.layers.Conv2D(2, 1, use_bias=False, activation="relu", name="stage")(image)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(image, keras.layers.Dense(2, use_bias=False, activation="softmax", name="predictions")(x))
    model.get_layer("stage").set_weights([np.eye(2, dtype="float32")[None, None]])
    model.get_layer("predictions").set_weights([np.eye(2, dtype="float32")])
    x = np.zeros((2, 8, 8, 2), "float32")
    x[:, :4, :4, 0] = 1.0
    x[:, 4:, 4:, 1] = 0.5
    heat = kc.gradcam(model, x, class_index=[0, 1])
    assert heat.shape == (2, 8, 8) and heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    assert heat[0, :4, :4].sum() / heat[0].sum() > 0.99 and heat[1, 4:, 4:].sum() / heat[1].sum() > 0.99
    np.testing.assert_allclose(kc.gradcam(model, x), heat[[0, 0]], atol=1e-6)  # the top class is 0 (more of channel 0)


def test_saliency_is_zero_where_the_score_does_not_look():
    image = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(2, 1, name="stage")(image)
    x = keras.layers.Cropping2D(((0, 4), (0, 4)), name="top_left")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(image, keras.layers.Dense(3, activation="softmax", name="predictions")(x))
    x = RNG.normal(size=(2, 8, 8, 1)).astype("float32")
    salient = kc.saliency(model, x)
    assert salient.shape == (2, 8, 8)
    assert np.all(salient[:, :4, :4] > 0) and not salient[:, 4:, :].any() and not salient[:, :, 4:].any()


def test_bad_arguments_are_one_clear_error():
    model = hand_model()
    for kwargs, argument in (
        (dict(layer="nope"), "layer"),
        (dict(layer="predictions"), "layer"),  # not an image
        (dict(class_index=4), "class_index"),
        (dict(class_index=[0, 1]), "class_index"),  # two classes for three images
        (dict(images=X[0]), "images"),  # no batch axis
    ):
        with pytest.raises(ValueError, match=rf"^`{argument}`: received"):
            kc.gradcam(model, **{"images": X, **kwargs})


# The command line


def _image(path, seed, size=(20, 24)):
    from PIL import Image

    Image.fromarray(np.random.default_rng(seed).integers(0, 256, size=(*size, 3), dtype=np.uint8)).save(path)
    return str(path)


@pytest.fixture
def rgb_model_file(tmp_path):
    image = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(image)
    x = keras.layers.MaxPooling2D(2, name="pool")(x)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    path = tmp_path / "tiny.keras"
    keras.Model(image, keras.layers.Dense(5, activation="softmax", name="predictions")(x)).save(path)
    return str(path)


def test_explain_writes_one_png_per_image_and_refuses_to_overwrite(tmp_path, rgb_model_file, capsys):
    images = [_image(tmp_path / "cat.png", 0), _image(tmp_path / "dog.jpg", 1)]
    out = tmp_path / "maps"
    assert main(["explain", rgb_model_file, *images, "--out", str(out), "--top", "2"]) == 0
    written = sorted(os.listdir(out))
    assert written == ["cat_gradcam.png", "dog_gradcam.png"]
    for name in written:
        with open(out / name, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    before = os.path.getmtime(out / "cat_gradcam.png")
    assert main(["explain", rgb_model_file, *images, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "`--out`" in err and "cat_gradcam.png" in err and "--force" in err and "Traceback" not in err
    assert os.path.getmtime(out / "cat_gradcam.png") == before
    assert main(["explain", rgb_model_file, images[0], "--out", str(out), "--force", "--layer", "conv", "--class-index", "4"]) == 0


@pytest.mark.skipif(BACKEND == "jax", reason="the registry path is the same on every backend; LeNet-5's shapes cost JAX ~8 s of compiling")
def test_explain_a_grey_registry_model_with_random_weights(tmp_path):
    """An RGB file goes into LeNet-5 (32x32x1) in grey; the maps have the input size and range."""
    from keras_classics.cli.explain import _read_images

    image = _image(tmp_path / "digit.png", 2)
    assert main(["explain", "lenet5", image, "--out", str(tmp_path)]) == 0
    assert os.path.isfile(tmp_path / "digit_gradcam.png")
    model = kc.get_model("lenet5")
    x = _read_images([image, image], model)
    heat, salient = kc.gradcam(model, x), kc.saliency(model, x)
    assert x.shape == (2, 32, 32, 1) and heat.shape == salient.shape == (2, 32, 32)
    assert heat.min() >= 0 and heat.max() <= 1 and np.isfinite(salient).all() and salient.min() >= 0


def test_explain_bad_input_is_one_line_naming_the_argument(tmp_path, rgb_model_file, capsys):
    image = _image(tmp_path / "cat.png", 0)
    for extra, named in (
        (["--layer", "nope"], "`--layer`: received 'nope'"),
        (["--class-index", "5"], "`--class-index`: received 5"),
        ([str(tmp_path / "missing.png")], "`IMAGE`: received"),
    ):
        assert main(["explain", rgb_model_file, image, *extra, "--out", str(tmp_path / "maps")]) == 2
        err = capsys.readouterr().err.strip()
        assert named in err and len(err.splitlines()) == 1, err
    assert not os.path.exists(tmp_path / "maps" / "cat_gradcam.png")


def test_explain_normalises_a_train_runs_images_as_in_training(tmp_path):
    from keras_classics.cli.explain import _as_trained

    images = np.random.default_rng(0).uniform(size=(2, 8, 8, 1)).astype("float32")
    (tmp_path / "model.keras").write_bytes(b"")  # only its folder's run.json is read here
    assert _as_trained(str(tmp_path / "model.keras"), images)[0] is images  # a bare .keras file: as it is
    (tmp_path / "run.json").write_text(json.dumps({"mean": [0.25], "std": [0.5], "class_names": ["five", "six"]}))
    inputs, names = _as_trained(str(tmp_path / "model.keras"), images)
    np.testing.assert_allclose(inputs, (images - 0.25) / 0.5)
    assert names == ["five", "six"]


def test_default_layer_is_the_deepest_stage_of_at_least_two_by_two():
    from keras_classics.explain import explain_gradcam

    model = kc.get_model("resnet18", input_shape=(32, 32, 3), classes=4)  # conv5 is 1x1 at 32 px, conv4 2x2
    x = np.random.default_rng(0).uniform(size=(1, 32, 32, 3)).astype("float32")
    assert explain_gradcam(model, x).layer == "conv4_block2_out"
    assert explain_gradcam(kc.get_model("resnet18", input_shape=(64, 64, 3), classes=4), np.repeat(np.repeat(x, 2, 1), 2, 2)).layer == "conv5_block2_out"


def _bars(count, seed, size=16):
    """Noise images whose class is the orientation of one bright bar at a random place: 0 horizontal (2x6), 1 vertical (6x2)."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 0.3, (count, size, size, 1)).astype("float32")
    labels = rng.integers(0, 2, count)
    boxes = []
    for image, label in zip(images, labels):
        h, w = (2, 6) if label == 0 else (6, 2)
        top, left = rng.integers(0, size - h + 1), rng.integers(0, size - w + 1)
        image[top:top + h, left:left + w] = 1.0
        boxes.append((top, left, h, w))
    return images, labels, boxes


def test_gradcam_peaks_on_the_patch_a_trained_network_reads():
    """A small CNN trained on this backend to tell a bar's orientation wherever it is: the heatmap's peak falls
    inside the bar in at least 80 % of held-out images. (Agreement across backends: each backend's maps equal the
    same NumPy computation within 1e-5 above, so any two agree within 2e-5.)"""
    keras.utils.set_random_seed(0)
    image = keras.Input((16, 16, 1))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")(image)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.GlobalMaxPooling2D(name="pool")(x)
    model = keras.Model(image, keras.layers.Dense(2, activation="softmax", name="predictions")(x))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    train_x, train_y, _ = _bars(384, seed=1)
    model.fit(train_x, train_y, batch_size=32, epochs=5, verbose=0)
    test_x, test_y, boxes = _bars(50, seed=2)
    assert model.evaluate(test_x, test_y, verbose=0)[1] >= 0.9  # it has learnt the task
    heatmaps = kc.gradcam(model, test_x, layer="conv2")
    inside = 0
    for heatmap, (top, left, h, w) in zip(heatmaps, boxes):
        row, col = np.unravel_index(np.argmax(heatmap), heatmap.shape)
        inside += top <= row < top + h and left <= col < left + w
    assert inside >= 0.8 * len(boxes), f"the peak is inside the bar in {inside} of {len(boxes)} images"
