"""ResNet / ResNeXt (torchvision's v1.5, and timm's, whose keys are the same).

``conv1_conv`` -> ``conv1``, ``conv1_bn`` -> ``bn1``; ``conv{s}_block{b}_{i}_conv`` ->
``layer{s-1}.{b-1}.conv{i}`` (``_bn`` -> ``bn{i}``); the projection ``_0_conv`` / ``_0_bn``
-> ``downsample.0`` / ``downsample.1``; ``predictions`` -> ``fc``.
"""

from __future__ import annotations

import re

from keras_classics.weights.rules import by_layer_names

_BLOCK = re.compile(r"conv(\d)_block(\d+)_(\d)_(conv|bn)")
_FIXED = {"conv1_conv": "conv1", "conv1_bn": "bn1", "predictions": "fc"}


def module_of(layer: str):
    match = _BLOCK.fullmatch(layer)
    if match is None:
        return _FIXED.get(layer)
    stage, block, index, kind = match.groups()
    prefix = f"layer{int(stage) - 1}.{int(block) - 1}"
    if index == "0":
        return f"{prefix}.downsample.{0 if kind == 'conv' else 1}"
    return f"{prefix}.{kind}{index}"


def rule(model) -> dict:
    return by_layer_names(model, module_of, heads=("fc",))


RULES = {
    name: rule
    for name in (
        "resnet18", "resnet34", "resnet50_torchvision", "resnet101_torchvision", "resnet152_torchvision",
        "resnext50_32x4d", "resnext101_32x8d",
    )
}
