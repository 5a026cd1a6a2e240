"""VGG (Simonyan & Zisserman, ICLR 2015): configurations A, B, D, E, with and without batch norm.

Variants are rows of ``VARIANTS``: the paper's Table 1, where an int is a 3x3
convolution of that width and ``"M"`` a 2x2 max pooling of stride 2.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import keras

from keras_classics.convolutionalize import convolutionalize
from keras_classics.layers.activation import activation as resolve_activation
from keras_classics.layers.conv import conv_norm_act
from keras_classics.layers.heads import dense_head, global_pool
from keras_classics.layers.norm import network_norm
from keras_classics.layers.norm import norm as resolve_norm
from keras_classics.models.base import check_arguments, finish, keywords, model_input
from keras_classics._validate import bad_argument, check_bool, check_fraction
from keras_classics.registry import Paper, Variant, register_variants

PAPER = Paper(
    title="Very Deep Convolutional Networks for Large-Scale Image Recognition",
    authors="K. Simonyan, A. Zisserman",
    venue="ICLR",
    year=2015,
    url="https://arxiv.org/abs/1409.1556",
)


@dataclass(frozen=True, kw_only=True)
class VGGVariant(Variant):
    layers: tuple
    norm: Optional[str] = None
    default_size: int = 224
    min_size: int = 32


_PLAIN = {
    "vgg11": VGGVariant(layers=(64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"), reference="vgg11"),  # A
    "vgg13": VGGVariant(layers=(64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"), reference="vgg13"),  # B
    "vgg16": VGGVariant(  # D
        layers=(64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"), reference="vgg16", pretrained="vgg16",
    ),
    "vgg19": VGGVariant(  # E
        layers=(64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
        reference="vgg19", pretrained="vgg19",
    ),
}
VARIANTS = {
    **_PLAIN,
    **{
        f"{key}_bn": replace(
            row, norm="batch", pretrained=None, reference=f"{key}_bn",
            description="with batch norm after every convolution (torchvision's _bn)",
        )
        for key, row in _PLAIN.items()
    },
}
DENSE_EVAL_SIZE = 224  # fc6 becomes a 7x7 convolution: 224 / 2**5 = 7


_ROW = object()  # "the row's": the norm knob's own None means no normalization


def vgg(
    variant,
    *,
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=None,
    classifier_activation="softmax",
    name=None,
    norm=_ROW,
    activation="relu",
    dropout=0.5,
    fully_convolutional=False,
):
    """Build the VGG network ``variant`` (a key of ``VARIANTS``).

    Paper: K. Simonyan and A. Zisserman, "Very Deep Convolutional Networks for
    Large-Scale Image Recognition", ICLR 2015, https://arxiv.org/abs/1409.1556.

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as ``keras.applications.VGG16``, except that
            ``weights`` defaults to ``None``. ``weights="imagenet"`` loads
            keras.applications' file for VGG16 and VGG19, torchvision's for the
            others; ``"torchvision"`` torchvision's for all eight (see ``docs/weights.md``).
            ``classes`` and ``name`` default to the row's.
        norm: the row's by default; ``None`` (the paper) or a normalization name; ``"batch"`` gives the
            ``_bn`` variants of torchvision (the convolutions keep their bias,
            epsilon 1e-5, momentum 0.9 in Keras terms).
        activation: the activation after each convolution and hidden dense layer.
        dropout: rate after fc1 and fc2 (the paper's 0.5; keras.applications has
            none; it changes nothing at inference).
        fully_convolutional: the paper's dense evaluation: fc1-fc3 as 7x7, 1x1
            and 1x1 convolutions, on any input of at least 224x224, returning a
            class-score map. Built as the dense network at 224x224 and converted
            with :func:`keras_classics.convolutionalize`, so the two always agree.

    Departures from the paper: none in the layers. Weight init is Keras's
    default (Glorot uniform) rather than the paper's N(0, 0.01) with the
    shallower net's weights copied in.
    """
    row = VARIANTS[variant]
    classes, name = row.classes if classes is None else classes, variant if name is None else name
    norm = row.norm if norm is _ROW else norm
    check_bool("fully_convolutional", fully_convolutional)
    if fully_convolutional and include_top:
        return _fully_convolutional(
            variant, weights=weights, input_tensor=input_tensor, input_shape=input_shape, classes=classes,
            classifier_activation=classifier_activation, name=name, norm=norm, activation=activation, dropout=dropout,
        )
    factory = resolve_norm(norm)
    pretrained = row.pretrained if factory is None else None
    # the registry network this is (torchvision's checkpoints): the plain row or its _bn twin
    plain = variant.removesuffix("_bn")
    architecture = {None: plain, "batch": f"{plain}_bn"}.get(None if factory is None else getattr(factory, "kind", "custom")) if activation == "relu" else None
    check_arguments(
        include_top=include_top, weights=weights, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, pretrained=pretrained, architecture=architecture,
    )
    check_fraction("dropout", dropout)
    norm = network_norm(norm, epsilon=1e-5, momentum=0.9)
    act = resolve_activation(activation)
    image, inputs = model_input(
        input_tensor, input_shape, default_size=row.default_size, min_size=row.min_size, static=include_top, weights=weights
    )

    x, block, index = image, 1, 1
    for item in row.layers:
        if item == "M":
            x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
            block, index = block + 1, 1
        else:
            x = conv_norm_act(x, item, 3, use_bias=True, norm=norm, act=act, name=f"block{block}_conv{index}")
            index += 1
    # 224x224x3 -> 7x7x512
    if include_top:
        x = dense_head(x, (4096, 4096), classes, classifier_activation, dropout=dropout, act=act)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights, pretrained=pretrained, include_top=include_top, architecture=architecture)


def _fully_convolutional(variant, *, input_tensor, input_shape, weights, **kwargs):
    """The dense network at 224x224 with its head converted; takes any input of at least 224x224."""
    if input_tensor is not None:
        raise bad_argument("input_tensor", "a tensor", "None with fully_convolutional=True (give input_shape instead)")
    channels = 3 if input_shape is None else input_shape[-1]
    shape = (None, None, channels) if input_shape is None else tuple(input_shape)
    model_input(None, shape, default_size=DENSE_EVAL_SIZE, min_size=DENSE_EVAL_SIZE, weights=weights)  # checks only
    dense = vgg(variant, include_top=True, weights=weights, input_shape=(DENSE_EVAL_SIZE, DENSE_EVAL_SIZE, channels), **kwargs)
    return convolutionalize(dense, input_shape=shape)


def VGG11(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg11", **kwargs):
    """VGG-11, configuration A of the paper's Table 1 (8 conv + 3 FC layers). Knobs (norm, activation, dropout, fully_convolutional): see :func:`vgg`."""
    return vgg("vgg11", **keywords(locals()))


def VGG13(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg13", **kwargs):
    """VGG-13, configuration B (10 conv + 3 FC layers). Knobs (norm, activation, dropout, fully_convolutional): see :func:`vgg`."""
    return vgg("vgg13", **keywords(locals()))


def VGG16(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16", **kwargs):
    """VGG-16, configuration D (13 conv + 3 FC layers); the same graph and count as keras.applications.VGG16. Knobs (norm, activation, dropout, fully_convolutional): see :func:`vgg`."""
    return vgg("vgg16", **keywords(locals()))


def VGG19(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg19", **kwargs):
    """VGG-19, configuration E (16 conv + 3 FC layers); the same graph and count as keras.applications.VGG19. Knobs (norm, activation, dropout, fully_convolutional): see :func:`vgg`."""
    return vgg("vgg19", **keywords(locals()))


register_variants(VARIANTS, vgg, family="vgg", paper=PAPER, key_argument="variant")
