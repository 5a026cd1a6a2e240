"""AlexNet (Krizhevsky, Sutskever & Hinton, NeurIPS 2012) and torchvision's single-tower variant.

Paper, 227x227x3 -> conv1 55x55x96 -> pool 27x27 -> conv2 27x27x256 -> pool 13x13
-> conv3-5 13x13x(384, 384, 256) -> pool 6x6x256 -> fc6, fc7 4096 -> fc8 classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import keras

from keras_classics._validate import check_choice, check_fraction
from keras_classics.layers.activation import activation as resolve_activation
from keras_classics.layers.conv import conv_norm_act
from keras_classics.layers.heads import dense_head, global_pool
from keras_classics.layers.norm import norm as resolve_norm
from keras_classics.models.base import check_arguments, finish, model_input
from keras_classics.registry import Paper, Variant, register_variants

PAPER = Paper(
    title="ImageNet Classification with Deep Convolutional Neural Networks",
    authors="A. Krizhevsky, I. Sutskever, G. E. Hinton",
    venue="NeurIPS",
    year=2012,
    url="https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks",
)


@dataclass(frozen=True, kw_only=True)
class AlexNetVariant(Variant):
    convs: tuple  # (filters, kernel, stride, padding, groups) per convolution; pools follow conv1, conv2, conv5
    norm: Optional[str]  # what norm="default" means


_PAPER_SIZES = dict(default_size=227, min_size=67)
VARIANTS = {  # keys are the ``variant`` argument
    # The two-GPU towers as groups=2: conv2, conv4, conv5 see only their own GPU's maps.
    "paper": AlexNetVariant(
        convs=((96, 11, 4, "valid", 1), (256, 5, 1, "same", 2), (384, 3, 1, "same", 1), (384, 3, 1, "same", 2), (256, 3, 1, "same", 2)),
        norm="lrn", **_PAPER_SIZES, registry_name="alexnet", reference=("alexnet", "paper:"),
        description="the paper's network, two-GPU towers as groups=2",
    ),
    "ungrouped": AlexNetVariant(
        convs=((96, 11, 4, "valid", 1), (256, 5, 1, "same", 1), (384, 3, 1, "same", 1), (384, 3, 1, "same", 1), (256, 3, 1, "same", 1)),
        norm="lrn", **_PAPER_SIZES, registry_name="alexnet_ungrouped", reference=("alexnet", "paper layers"),
        description="the paper's layers in one tower (no groups)",
    ),
    # torchvision's (from "One weird trick", Krizhevsky 2014): padding 2 on conv1 at 224x224.
    "torchvision": AlexNetVariant(
        convs=((64, 11, 4, 2, 1), (192, 5, 1, "same", 1), (384, 3, 1, "same", 1), (256, 3, 1, "same", 1), (256, 3, 1, "same", 1)),
        norm=None, default_size=224, min_size=63, registry_name="alexnet_torchvision", reference=("alexnet", "torchvision"),
        description="torchvision's single-tower 64-192-384-256-256",
    ),
}


def AlexNet(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="alexnet",
    *,
    variant="paper",
    norm="default",
    activation="relu",
    dropout=0.5,
):
    """AlexNet.

    Paper: A. Krizhevsky, I. Sutskever and G. E. Hinton, "ImageNet
    Classification with Deep Convolutional Neural Networks", NeurIPS 2012.
    https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as in ``keras.applications``. ``weights``:
            ``variant="torchvision"`` takes torchvision's ImageNet checkpoint
            (``"imagenet"`` or ``"torchvision"``, see ``docs/weights.md``).
        variant: ``"paper"`` (96-256-384-384-256 at 227x227, conv2/4/5 in two
            groups: 60,965,224 params), ``"ungrouped"`` (the same layers in one
            tower: 62,378,344) or ``"torchvision"`` (64-192-384-256-256 at
            224x224, no LRN: 61,100,840).
        norm: the normalization after conv1 and conv2, after the ReLU as in the
            paper; ``"default"`` is ``"lrn"`` (k=2, n=5, alpha=1e-4, beta=0.75)
            for the paper's variants and ``None`` for torchvision's.
        activation: after every convolution and hidden dense layer.
        dropout: rate after fc6 and fc7 (the paper's 0.5).

    Departures from the paper: the 227x227 input (the paper says 224, which does
    not give its 55x55 conv1 maps); Keras's default initialisation instead of
    N(0, 0.01) weights and unit biases in conv2, conv4, conv5 and the dense
    layers; torchvision's variant omits its adaptive 6x6 average pooling, the
    identity at 224x224.
    """
    check_choice("variant", variant, VARIANTS)
    row = VARIANTS[variant]
    architecture = row.registry_name if (norm, activation) == ("default", "relu") else None
    check_arguments(
        include_top=include_top, weights=weights, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, architecture=architecture,
    )
    check_fraction("dropout", dropout)
    norm = resolve_norm(row.norm if norm == "default" else norm)
    act = resolve_activation(activation)
    image, inputs = model_input(
        input_tensor, input_shape, default_size=row.default_size, min_size=row.min_size, static=include_top, weights=weights
    )

    x = image
    for index, (filters, kernel, strides, padding, groups) in enumerate(row.convs, start=1):
        layer_norm = norm if index <= 2 else None
        x = conv_norm_act(
            x, filters, kernel, strides, padding=padding, groups=groups, use_bias=True,
            norm=layer_norm, act=act, norm_first=False, name=f"conv{index}",
        )
        if index in (1, 2, 5):  # overlapping pooling: 3x3, stride 2
            x = keras.layers.MaxPooling2D(3, strides=2, name=f"pool{index}")(x)
    # 227x227x3 -> 6x6x256
    if include_top:
        x = dense_head(x, (4096, 4096), classes, classifier_activation, dropout=dropout, act=act, names=("fc6", "fc7", "predictions"))
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights, architecture=architecture)


register_variants(VARIANTS, AlexNet, family="alexnet", paper=PAPER, key_argument="variant")
