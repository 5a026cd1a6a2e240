"""Key-mapping rules for GoogLeNet and Inception v3: torchvision's (and timm's) state_dict keys -> our layer names.

Each rule takes one of our built models and returns ``{torch_key: (keras_layer_name, slot)}``, slot one of
``kernel``, ``bias``, ``gamma``, ``beta``, ``moving_mean``, ``moving_variance``. The keys are derived from our
systematic layer names (``mixed5_branch2_3_conv`` -> ``Mixed_6c.branch7x7_3.conv.weight``), never from the order
of the tensors: several branches hold tensors of the same shape. The converter
(:func:`keras_classics.weights.convert.load_state_dict`) converts the layouts, checks every shape and reports
a tensor left over on either side; ``num_batches_tracked`` has no Keras counterpart and is not mapped. Keys
mapped to ``None`` are known and not loaded: the classifier ``fc`` of a model built with ``include_top=False``,
and the auxiliary heads of a model built without them (torchvision's published files hold them).

torchvision's published GoogLeNet and Inception v3 weights run with ``transform_input=True``, which maps
ImageNet-normalised input to ``(x - 0.5) / 0.5``; our graphs have no such step, so those checkpoints'
preprocessing is :data:`TRANSFORM_INPUT_PREPROCESSING` (mean and std 0.5 on [0, 1] pixels), which is also
timm's ``IMAGENET_INCEPTION_MEAN``/``STD`` for its ``inception_v3`` weights.
"""

from __future__ import annotations

import re

import keras

from keras_classics.weights.rules import by_layer_names

# What torchvision's transform_input=True amounts to, as a normalisation of [0, 1] pixels.
TRANSFORM_INPUT_PREPROCESSING = {"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)}

# Inception v3: our module -> torchvision's module and its block class; a block's towers in our order,
# named as torchvision names them (tower i of ``mixedN`` is ``_V3_TOWERS[kind][i - 1]``).
_V3_STEM = {"conv1": "Conv2d_1a_3x3", "conv2": "Conv2d_2a_3x3", "conv3": "Conv2d_2b_3x3", "conv4": "Conv2d_3b_1x1", "conv5": "Conv2d_4a_3x3"}
_V3_MODULES = dict(zip(
    (f"mixed{i}" for i in range(11)),
    zip(("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"),
        "AAABCCCCDEE"),
))
_V3_TOWERS = {
    "A": ("branch1x1", "branch5x5", "branch3x3dbl"),
    "B": ("branch3x3", "branch3x3dbl"),
    "C": ("branch1x1", "branch7x7", "branch7x7dbl"),
    "D": ("branch3x3", "branch7x7x3"),
    "E": ("branch1x1", "branch3x3", "branch3x3dbl"),
}
_TOWER_CONV = re.compile(r"(?P<module>\w+?)_branch(?P<tower>\d+)_(?P<step>\d+)(?P<half>[ab]?)")


def _single(names, module, tower):
    """A one-convolution tower: torchvision names its convolution without a step number."""
    return not {f"{module}_branch{tower}_2_conv", f"{module}_branch{tower}_2a_conv"} & names


def _split(layer):
    """``mixed5_branch2_3_conv`` -> (``mixed5_branch2_3``, ``.conv``); a dense layer's name has no suffix."""
    for suffix in ("_conv", "_bn"):
        if layer.endswith(suffix):
            return layer[: -len(suffix)], "." + suffix[1:]
    return layer, ""


def _googlenet_module(layer, names):
    """Our layer name -> torchvision's GoogLeNet module path."""
    prefix, part = _split(layer)
    if prefix in ("conv1", "conv2", "conv3"):
        return prefix + part
    if m := re.fullmatch(r"(aux\d)(?:_(conv1|fc1))?", prefix):  # InceptionAux: conv, fc1, fc2 (our classifier "auxN")
        return f"{m[1]}." + {"conv1": "conv", "fc1": "fc1", None: "fc2"}[m[2]] + part
    if m := re.fullmatch(r"(inception\w\w)_pool_proj", prefix):  # branch4 = Sequential(MaxPool2d, BasicConv2d)
        return f"{m[1]}.branch4.1{part}"
    if (m := _TOWER_CONV.fullmatch(prefix)) and not m["half"]:  # branch1 a BasicConv2d; branch2/3 Sequentials
        tower = f"{m['module']}.branch{m['tower']}"
        return (tower if _single(names, m["module"], m["tower"]) else f"{tower}.{int(m['step']) - 1}") + part
    return {"predictions": "fc"}.get(layer)


def _inception_v3_module(layer, names):
    """Our layer name -> torchvision's Inception3 module path."""
    prefix, part = _split(layer)
    if prefix in _V3_STEM:
        return _V3_STEM[prefix] + part
    if m := re.fullmatch(r"aux(?:_conv(\d))?", prefix):  # InceptionAux: conv0, conv1, fc (our classifier "aux")
        return (f"AuxLogits.conv{int(m[1]) - 1}" if m[1] else "AuxLogits.fc") + part
    if (m := re.fullmatch(r"(mixed\d+)_pool_proj", prefix)) and m[1] in _V3_MODULES:
        return f"{_V3_MODULES[m[1]][0]}.branch_pool{part}"
    if (m := _TOWER_CONV.fullmatch(prefix)) and m["module"] in _V3_MODULES:
        module, kind = _V3_MODULES[m["module"]]
        label = _V3_TOWERS[kind][int(m["tower"]) - 1]
        step = "" if _single(names, m["module"], m["tower"]) else f"_{m['step']}{m['half']}"
        return f"{module}.{label}{step}{part}"
    return {"predictions": "fc"}.get(layer)


def _heads(conv_blocks, linears):
    """The keys of auxiliary heads a model was built without: known, and not loaded (``None``)."""
    keys = [f"{block}.conv.weight" for block in conv_blocks]
    keys += [f"{block}.bn.{slot}" for block in conv_blocks for slot in ("weight", "bias", "running_mean", "running_var")]
    keys += [f"{linear}.{slot}" for linear in linears for slot in ("weight", "bias")]
    return keys


# torchvision's published files hold the auxiliary heads (its builders load them, then delete the heads when
# aux_logits=False): a model without them (no aux_logits, or include_top=False) drops their tensors.
_GOOGLENET_AUX = {"aux1": _heads(["aux1.conv"], ["aux1.fc1", "aux1.fc2"]), "aux2": _heads(["aux2.conv"], ["aux2.fc1", "aux2.fc2"])}
_V3_AUX = {"aux": _heads(["AuxLogits.conv0", "AuxLogits.conv1"], ["AuxLogits.fc"])}


def _rule(module_of, aux_heads):
    def rule(model: keras.Model) -> dict:
        names = {layer.name for layer in model.layers}
        mapping = by_layer_names(model, lambda layer: module_of(layer, names), heads=("fc",))
        for head, keys in aux_heads.items():
            if head not in names:
                mapping.update(dict.fromkeys(keys))
        return mapping

    return rule


googlenet_rule = _rule(_googlenet_module, _GOOGLENET_AUX)
inception_v3_rule = _rule(_inception_v3_module, _V3_AUX)

RULES = {
    "googlenet": googlenet_rule,
    "googlenet_aux": googlenet_rule,
    "inception_v3_torchvision": inception_v3_rule,
    "inception_v3_torchvision_aux": inception_v3_rule,
}
# timm's InceptionV3 (``inception_v3.tv_in1k``, ``.tf_in1k``, ``.tf_adv_in1k``, ``.gluon_in1k``) keeps torchvision's
# module names (its ConvNormAct holds ``conv`` and ``bn``); only tv_in1k has the AuxLogits weights. timm has no GoogLeNet.
TIMM_RULES = {
    "inception_v3_torchvision": inception_v3_rule,
    "inception_v3_torchvision_aux": inception_v3_rule,
}

