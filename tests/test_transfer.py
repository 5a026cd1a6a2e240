"""Fine-tuning: weights copied into a new head, frozen layers and batch-norm statistics that do not move, two phases that resume.

The end-to-end runs train ResNet-20 (CIFAR) at 16 px on digits, on TensorFlow only (each
is a few seconds of training but a full ``train`` call); what depends on the backend
(a frozen batch normalization in inference mode, the grey-input adaptation) is
checked on every backend with a few steps of ``fit``.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

import keras_classics as kc
from conftest import BACKEND, forward
from keras_classics.training import train
from keras_classics.training.transfer import backbone_layers, copy_weights, freeze

SHAPE = (16, 16, 3)


def _resnet(classes, shape=SHAPE, seed=0):
    keras.utils.set_random_seed(seed)
    model = kc.get_model("resnet20_cifar", classes=classes, input_shape=shape)
    rng = np.random.default_rng(seed)
    for layer in model.layers:  # BN statistics that are not the trivial 0 and 1
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma, beta, rng.normal(0, 0.1, mean.shape).astype("float32"), rng.uniform(0.5, 2, var.shape).astype("float32")])
    return model


def _weights_of(model, names):
    return {n: [np.array(w) for w in model.get_layer(n).get_weights()] for n in sorted(names) if model.get_layer(n).weights}


def _equal(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_frozen_layers_and_their_batch_norm_statistics_do_not_move(tmp_path):
    model = _resnet(4)
    stages = kc.feature_info(model)
    frozen_names = backbone_layers(model, 2)
    assert freeze(model, 2) == sum(bool(model.get_layer(n).weights) for n in frozen_names) > 0
    assert all(not model.get_layer(n).trainable for n in frozen_names)
    assert stages[1].layer in frozen_names and stages[2].layer not in frozen_names
    before = _weights_of(model, [layer.name for layer in model.layers])
    x = np.random.default_rng(1).normal(size=(32, *SHAPE)).astype("float32")
    y = np.arange(32) % 4
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    after = _weights_of(model, before)
    for name in before:
        assert _equal(before[name], after[name]) == (name in frozen_names), name  # frozen: bit-identical; the rest moved
    moving = [n for n in before if n not in frozen_names and isinstance(model.get_layer(n), keras.layers.BatchNormalization)]
    assert moving and all(not np.array_equal(before[n][2], after[n][2]) for n in moving)  # trainable BN updates its mean
    # The fine-tuning phase: the same layers train, but their batch normalizations stay frozen (Keras's guide).
    assert freeze(model, 2, batch_norm_only=True) > 0
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    again = _weights_of(model, frozen_names)
    for name in again:
        batch_norm = isinstance(model.get_layer(name), keras.layers.BatchNormalization)
        assert _equal(after[name], again[name]) == batch_norm, name


def test_grey_input_from_rgb_weights_gives_the_rgb_response():
    rgb = _resnet(5)
    grey = kc.get_model("resnet20_cifar", classes=5, input_shape=(16, 16, 1))
    assert copy_weights(rgb, grey, new_head=False) == []  # every layer taken, the first convolution adapted
    x = np.random.default_rng(2).uniform(size=(3, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(forward(grey, x), forward(rgb, np.repeat(x, 3, axis=-1)), rtol=1e-4, atol=1e-5)


def test_new_head_and_errors_naming_the_argument():
    source = _resnet(7)
    target = kc.get_model("resnet20_cifar", classes=3, input_shape=SHAPE)
    assert copy_weights(source, target) == ["predictions"]
    same = kc.get_model("resnet20_cifar", classes=7, input_shape=SHAPE)
    assert copy_weights(source, same) == ["predictions"]  # as many classes, but the dataset's: a new classifier all the same
    with pytest.raises(ValueError, match=r"`weights`: .*'conv1_conv'"):
        copy_weights(kc.get_model("lenet5"), target)
    stages = len(kc.feature_info(target))
    with pytest.raises(ValueError, match=rf"`freeze`: received 'stages:{stages + 1}'; .*at most {stages}"):
        freeze(target, stages + 1)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="three whole training runs: the library's own logic, on one backend (the per-backend parts are above)")
def test_fine_tuning_freezes_then_trains_everything_and_resumes_between_phases(tmp_path):
    source = _resnet(7)
    source.save(tmp_path / "source.keras")
    backbone = backbone_layers(source)
    original = _weights_of(source, backbone)
    common = dict(input_size=16, validation_split=0, verbose=0, weights=str(tmp_path / "source.keras"), freeze="backbone",
                  recipe_overrides={"learning_rate": 0.05})

    # Phase 1 only: the backbone (BN statistics included) is the source's to the bit; the new head trained.
    first = train("resnet20_cifar", out_dir=tmp_path / "split", epochs=1, **common)
    assert first.reinitialised == ["predictions"]
    assert all(_equal(original[n], w) for n, w in _weights_of(first.model, backbone).items())
    record = json.loads((tmp_path / "split" / "run.json").read_text())
    assert (record["weights"], record["freeze"], record["fine_tune_epochs"]) == (str(tmp_path / "source.keras"), "backbone", 0)

    # Continued with --resume into a fine-tuning phase, it ends where the two phases run in one go end.
    keras.backend.clear_session()
    resumed = train("resnet20_cifar", out_dir=tmp_path / "split", epochs=1, fine_tune_epochs=1, resume=True, **common)
    keras.backend.clear_session()
    whole = train("resnet20_cifar", out_dir=tmp_path / "whole", epochs=1, fine_tune_epochs=1, **common)
    assert resumed.test == whole.test
    for a, b in zip(resumed.model.weights, whole.model.weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    for name, weights in _weights_of(whole.model, backbone).items():  # phase 2 trained all but the batch normalizations
        assert _equal(original[name], weights) == isinstance(whole.model.get_layer(name), keras.layers.BatchNormalization), name
    results = json.loads((tmp_path / "whole" / "results.json").read_text())
    assert (results["epochs"], results["phase"], results["reinitialised"]) == (2, 2, ["predictions"])
    assert json.loads((tmp_path / "whole" / "run.json").read_text())["fine_tune_lr"] == pytest.approx(0.005)
    assert (tmp_path / "split" / "log.csv").read_text() == (tmp_path / "whole" / "log.csv").read_text()
