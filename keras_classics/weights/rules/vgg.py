"""VGG and VGG-BN (torchvision's): ``features`` is one ``nn.Sequential`` indexed in the order
of the variant's table (conv, [BN,] ReLU per width; one max pooling per ``"M"``), so the
rule walks the same row of ``VARIANTS`` the builder walks: ``block{b}_conv{i}_conv`` /
``_bn`` -> ``features.{n}`` / ``features.{n + 1}``. ``fc1``, ``fc2``, ``predictions`` ->
``classifier.0``, ``.3``, ``.6``."""

from __future__ import annotations

from keras_classics.weights.rules import by_layer_names

_HEAD = {"fc1": "classifier.0", "fc2": "classifier.3", "predictions": "classifier.6"}


def modules(layers, batch_norm: bool) -> dict:
    """Our layer name -> torchvision's ``features`` index, for a row of ``VARIANTS``."""
    out, index, block, conv = dict(_HEAD), 0, 1, 1
    for item in layers:
        if item == "M":
            index, block, conv = index + 1, block + 1, 1
            continue
        out[f"block{block}_conv{conv}_conv"] = f"features.{index}"
        if batch_norm:
            out[f"block{block}_conv{conv}_bn"] = f"features.{index + 1}"
        index, conv = index + 2 + batch_norm, conv + 1
    return out


def _rule(key):
    def rule(model) -> dict:
        from keras_classics.models.vgg import VARIANTS

        row = VARIANTS[key]
        return by_layer_names(model, modules(row.layers, row.norm is not None).get, heads=tuple(_HEAD.values()))

    return rule


RULES = {key: _rule(key) for key in ("vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn")}
