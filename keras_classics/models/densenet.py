"""DenseNet (Huang et al., CVPR 2017): DenseNet-121, -161, -169, -201 (DenseNet-BC).

Variants are rows of ``VARIANTS``: the growth rate k and the dense layers per
block. The stem has 2k filters, every dense layer is a bottleneck (4k channels
in its 1x1), and each transition halves the channels and the resolution. The
blocks live in :mod:`keras_classics.layers.dense_block`.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras

from keras_classics._validate import bad_argument, check_int
from keras_classics.layers.activation import activation as resolve_activation
from keras_classics.layers.axis import channel_axis
from keras_classics.layers.conv import conv_norm_act
from keras_classics.layers.dense_block import dense_block, transition
from keras_classics.layers.heads import dense_head, global_pool
from keras_classics.layers.norm import network_norm
from keras_classics.models.base import check_arguments, finish, keywords, model_input
from keras_classics.registry import Paper, Variant, register_variants

PAPER = Paper("Densely Connected Convolutional Networks", "G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger", "CVPR", 2017, "https://arxiv.org/abs/1608.06993")


@dataclass(frozen=True, kw_only=True)
class DenseNetVariant(Variant):
    growth_rate: int  # k
    block_sizes: tuple  # dense layers per block
    default_size: int = 224
    # The three transitions' 2x2 average poolings (valid) are the only unpadded layers: after
    # the stem (29 px -> 15 -> 8) they need 8 px, so 29x29 is the smallest input (28 -> 14 -> 7 -> 3 -> 1 -> 0).
    min_size: int = 29


# The paper's Table 1 (161: k=48); keras.applications has ImageNet weights for 121, 169 and 201.
VARIANTS = {
    "densenet121": DenseNetVariant(growth_rate=32, block_sizes=(6, 12, 24, 16), pretrained="densenet121", reference="densenet121"),
    "densenet161": DenseNetVariant(growth_rate=48, block_sizes=(6, 12, 36, 24), reference="densenet161"),
    "densenet169": DenseNetVariant(growth_rate=32, block_sizes=(6, 12, 32, 32), pretrained="densenet169", reference="densenet169"),
    "densenet201": DenseNetVariant(growth_rate=32, block_sizes=(6, 12, 48, 32), pretrained="densenet201", reference="densenet201"),
}


def densenet(
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
    growth_rate=None,
    bottleneck_ratio=4,
    compression=0.5,
    norm="batch",
    activation="relu",
):
    """Build the DenseNet ``variant`` (a key of ``VARIANTS``).

    Paper: G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger, "Densely
    Connected Convolutional Networks", CVPR 2017, https://arxiv.org/abs/1608.06993.

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as ``keras.applications.DenseNet121``, except
            that ``weights`` defaults to ``None``. With the default knobs,
            ``weights="imagenet"`` loads keras.applications' files for DenseNet121/169/201
            and torchvision's for DenseNet161; ``"torchvision"`` and ``"timm:..."`` name
            the others (see ``docs/weights.md``). ``classes`` and ``name`` default to the row's.
        growth_rate: k, the channels each dense layer adds (``None``: the variant's).
        bottleneck_ratio: the 1x1 of a dense layer has ``bottleneck_ratio * k``
            channels (the paper's DenseNet-B: 4); 0 drops the 1x1 (plain DenseNet).
        compression: a transition keeps ``int(channels * compression)`` channels
            (DenseNet-C: 0.5; 1 keeps them all).
        norm, activation: the normalization (BN epsilon 1.001e-5 as Keras) and activation.

    The default configuration is keras.applications' graph (and torchvision's
    counts). Departures from the paper: none in the layers; DenseNet-161's stem
    has 2k = 96 filters as in the paper and torchvision.
    """
    row = VARIANTS[variant]
    classes, name = row.classes if classes is None else classes, variant if name is None else name
    k = check_int("growth_rate", row.growth_rate if growth_rate is None else growth_rate, minimum=1)
    check_int("bottleneck_ratio", bottleneck_ratio, minimum=0)
    if isinstance(compression, bool) or not isinstance(compression, (int, float)) or not 0 < compression <= 1:
        raise bad_argument("compression", compression, "a number in (0, 1]")
    canonical = (k, bottleneck_ratio, compression, norm, activation) == (row.growth_rate, 4, 0.5, "batch", "relu")
    pretrained, architecture = (row.pretrained, variant) if canonical else (None, None)
    check_arguments(
        include_top=include_top, weights=weights, pooling=pooling, classes=classes,
        classifier_activation=classifier_activation, pretrained=pretrained, architecture=architecture,
    )
    norm = network_norm(norm, epsilon=1.001e-5)
    act = resolve_activation(activation)
    image, inputs = model_input(input_tensor, input_shape, default_size=row.default_size, min_size=row.min_size, weights=weights)

    # 224x224x3 -> 56x56x2k
    x = conv_norm_act(image, 2 * k, 7, 2, padding=3, use_bias=False, norm=norm, act=act, name="conv1")
    x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for index, layers in enumerate(row.block_sizes):
        x = dense_block(x, layers, k, bottleneck_ratio=bottleneck_ratio, norm=norm, act=act, name=f"conv{index + 2}")
        if index < len(row.block_sizes) - 1:  # 56 -> 28 -> 14 -> 7
            x = transition(x, compression, norm=norm, act=act, name=f"pool{index + 2}")
    # 7x7x(final channels), then Keras's "bn" and "relu"
    if norm is not None:
        x = norm(x.shape[channel_axis()], "bn")(x)
    if act is not None:
        x = act("relu")(x)
    if include_top:
        x = global_pool(x, "avg")
        x = dense_head(x, (), classes, classifier_activation, flatten=False)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights, pretrained=pretrained, include_top=include_top, architecture=architecture)


def DenseNet121(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="densenet121", **kwargs):
    """DenseNet-121 (k=32, blocks 6-12-24-16): keras.applications.DenseNet121's graph. Knobs: see :func:`densenet`."""
    return densenet("densenet121", **keywords(locals()))


def DenseNet161(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="densenet161", **kwargs):
    """DenseNet-161 (k=48, blocks 6-12-36-24, 96-filter stem): torchvision's (keras.applications has none). Knobs: see :func:`densenet`."""
    return densenet("densenet161", **keywords(locals()))


def DenseNet169(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="densenet169", **kwargs):
    """DenseNet-169 (k=32, blocks 6-12-32-32): keras.applications.DenseNet169's graph. Knobs: see :func:`densenet`."""
    return densenet("densenet169", **keywords(locals()))


def DenseNet201(include_top=True, weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
                classifier_activation="softmax", name="densenet201", **kwargs):
    """DenseNet-201 (k=32, blocks 6-12-48-32): keras.applications.DenseNet201's graph. Knobs: see :func:`densenet`."""
    return densenet("densenet201", **keywords(locals()))


register_variants(VARIANTS, densenet, family="densenet", paper=PAPER, key_argument="variant")
