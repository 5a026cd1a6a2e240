"""torchvision's AlexNet: ``conv{i}_conv`` -> ``features.{0,3,6,8,10}``; ``fc6``, ``fc7``,
``predictions`` -> ``classifier.1``, ``.4``, ``.6`` (torchvision's dropouts sit at 0 and 3)."""

from __future__ import annotations

from keras_classics.weights.rules import by_layer_names

_MODULES = {
    "conv1_conv": "features.0", "conv2_conv": "features.3", "conv3_conv": "features.6", "conv4_conv": "features.8",
    "conv5_conv": "features.10", "fc6": "classifier.1", "fc7": "classifier.4", "predictions": "classifier.6",
}


def rule(model) -> dict:
    return by_layer_names(model, _MODULES.get, heads=("classifier.1", "classifier.4", "classifier.6"))


RULES = {"alexnet_torchvision": rule}
