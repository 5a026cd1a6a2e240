"""The same network elsewhere: which torchvision model and which ``keras.applications`` builder a registry name matches.

Data, one row per registry name. A row means the reference builds that
architecture at the same depth and widths; the benchmark records every runner's
parameter count, so where the variants differ in detail (Keras's ResNet-50 v1
strides in the first 1x1 and has conv biases, torchvision's is v1.5 without
them) the row shows it. Builders run with random weights.
"""

from __future__ import annotations

import sys
import types

# registry name -> torchvision.models name
TORCHVISION = {
    "alexnet_torchvision": "alexnet",
    "vgg11": "vgg11", "vgg13": "vgg13", "vgg16": "vgg16", "vgg19": "vgg19",
    "vgg11_bn": "vgg11_bn", "vgg13_bn": "vgg13_bn", "vgg16_bn": "vgg16_bn", "vgg19_bn": "vgg19_bn",
    "googlenet": "googlenet",
    "inception_v3": "inception_v3", "inception_v3_torchvision": "inception_v3",
    "resnet18": "resnet18", "resnet34": "resnet34",
    "resnet50": "resnet50", "resnet101": "resnet101", "resnet152": "resnet152",
    "resnet50_torchvision": "resnet50", "resnet101_torchvision": "resnet101", "resnet152_torchvision": "resnet152",
    "resnext50_32x4d": "resnext50_32x4d", "resnext101_32x8d": "resnext101_32x8d",
    "densenet121": "densenet121", "densenet161": "densenet161", "densenet169": "densenet169", "densenet201": "densenet201",
}
# Builders whose auxiliary heads or init switches must be off to time the plain network.
TORCHVISION_KWARGS = {"googlenet": {"aux_logits": False, "init_weights": False}, "inception_v3": {"aux_logits": False, "init_weights": False}}

# registry name -> keras.applications builder
APPLICATIONS = {
    "vgg16": "VGG16", "vgg19": "VGG19",
    "resnet50": "ResNet50", "resnet101": "ResNet101", "resnet152": "ResNet152", "resnet50_v2": "ResNet50V2",
    "inception_v3": "InceptionV3",
    "densenet121": "DenseNet121", "densenet169": "DenseNet169", "densenet201": "DenseNet201",
}


def import_torchvision():
    """``torchvision``, importable even where its compiled ops do not load (the model definitions need none of them)."""
    try:
        import torchvision
    except RuntimeError:  # "operator torchvision::nms does not exist": the C++ ops are missing or built for another torch
        for name in [n for n in sys.modules if n.startswith("torchvision")]:
            del sys.modules[name]
        sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
        import torchvision
    return torchvision


def torchvision_model(name: str, classes: int):
    """torchvision's model for registry name ``name``, random weights, ``classes`` outputs (logits)."""
    torchvision = import_torchvision()
    tv_name = TORCHVISION[name]
    return torchvision.models.get_model(tv_name, weights=None, num_classes=classes, **TORCHVISION_KWARGS.get(tv_name, {}))


def applications_model(name: str, input_shape, classes: int):
    """``keras.applications``' model for registry name ``name``, random weights, ``classes`` logits."""
    import keras

    builder = getattr(keras.applications, APPLICATIONS[name])
    return builder(weights=None, input_shape=tuple(input_shape), classes=classes, classifier_activation=None)
