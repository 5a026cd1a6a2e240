"""DenseNet (torchvision's, and timm's, whose keys are the same).

``conv1_conv`` / ``conv1_bn`` -> ``features.conv0`` / ``features.norm0``; in dense layer
``conv{s}_block{i}``: ``_0_bn`` -> ``features.denseblock{s-1}.denselayer{i}.norm1``,
``_1_conv`` -> ``conv1``, ``_1_bn`` -> ``norm2``, ``_2_conv`` -> ``conv2``; transition
``pool{s}_bn`` / ``pool{s}_conv`` -> ``features.transition{s-1}.norm`` / ``.conv``;
``bn`` -> ``features.norm5``; ``predictions`` -> ``classifier``. torchvision's published
files still spell a dense layer's modules ``norm.1`` / ``conv.1`` (it renames them on
load); those keys are accepted too.
"""

from __future__ import annotations

import re

from keras_classics.weights.rules import by_layer_names

_LAYER = re.compile(r"conv(\d)_block(\d+)_(\d)_(conv|bn)")
_TRANSITION = re.compile(r"pool(\d)_(conv|bn)")
_IN_LAYER = {("0", "bn"): "norm1", ("1", "conv"): "conv1", ("1", "bn"): "norm2", ("2", "conv"): "conv2"}
_FIXED = {"conv1_conv": "features.conv0", "conv1_bn": "features.norm0", "bn": "features.norm5", "predictions": "classifier"}
_LEGACY = re.compile(r"(.*denselayer\d+\.)(norm|conv)([12])(\..*)")


def module_of(layer: str):
    if match := _LAYER.fullmatch(layer):
        stage, index, part, kind = match.groups()
        return f"features.denseblock{int(stage) - 1}.denselayer{index}.{_IN_LAYER[part, kind]}"
    if match := _TRANSITION.fullmatch(layer):
        stage, kind = match.groups()
        return f"features.transition{int(stage) - 1}.{'norm' if kind == 'bn' else 'conv'}"
    return _FIXED.get(layer)


def rule(model) -> dict:
    mapping = by_layer_names(model, module_of, heads=("classifier",))
    legacy = {_LEGACY.sub(r"\1\2.\3\4", key): target for key, target in mapping.items() if _LEGACY.fullmatch(key)}
    return {**mapping, **legacy}


RULES = {name: rule for name in ("densenet121", "densenet161", "densenet169", "densenet201")}
