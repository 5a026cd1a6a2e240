"""Network in Network (Lin, Chen & Yan, ICLR 2014): mlpconv blocks and global average pooling.

ImageNet configuration (as in d2l): 224x224x3 -> mlpconv 96 (11x11/4) 54x54 -> pool 26x26
-> mlpconv 256 (5x5) -> pool 12x12 -> mlpconv 384 (3x3) -> pool 5x5 -> dropout
-> mlpconv classes (3x3) -> global average pool -> softmax.
"""

from __future__ import annotations

import keras

from keras_classics._validate import check_fraction
from keras_classics.layers.activation import activation as resolve_activation
from keras_classics.layers.heads import global_pool
from keras_classics.layers.mlpconv import mlpconv
from keras_classics.layers.norm import norm as resolve_norm
from keras_classics.models.base import check_arguments, finish, model_input
from keras_classics.registry import Paper, Variant, register_variants

PAPER = Paper(
    title="Network In Network",
    authors="M. Lin, Q. Chen, S. Yan",
    venue="ICLR",
    year=2014,
    url="https://arxiv.org/abs/1312.4400",
)

# (filters, kernel, stride, padding) of each feature block; a 3x3/2 max pool follows each.
BLOCKS = ((96, 11, 4, "valid"), (256, 5, 1, "same"), (384, 3, 1, "same"))
VARIANTS = {"nin": Variant(default_size=224, min_size=67, reference="nin")}


def NiN(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="nin",
    *,
    norm=None,
    activation="relu",
    dropout=0.5,
):
    """Network in Network.

    Paper: M. Lin, Q. Chen and S. Yan, "Network In Network", ICLR 2014.
    https://arxiv.org/abs/1312.4400

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as in ``keras.applications``. With
            ``include_top=False`` the features are the third block's pooled
            384-channel maps.
        norm: optional normalization after every convolution (none in the paper).
        activation: after every convolution but the class-score one.
        dropout: rate before the class-score block (the paper applies dropout
            between mlpconv layers).

    Departures from the paper: the paper's ImageNet model is described only in
    outline; the layer widths are d2l's widely used configuration. The
    class-score block's last 1x1 convolution has no ReLU here (d2l applies
    one), so its global average is a proper logit; the count is unchanged.
    """
    check_arguments(include_top=include_top, weights=weights, pooling=pooling, classes=classes, classifier_activation=classifier_activation)
    check_fraction("dropout", dropout)
    norm = resolve_norm(norm)
    act = resolve_activation(activation)
    row = VARIANTS["nin"]
    image, inputs = model_input(input_tensor, input_shape, default_size=row.default_size, min_size=row.min_size, weights=weights)

    x = image
    for index, (filters, kernel, strides, padding) in enumerate(BLOCKS, start=1):
        x = mlpconv(x, filters, kernel, strides, padding=padding, norm=norm, act=act, name=f"block{index}")
        x = keras.layers.MaxPooling2D(3, strides=2, name=f"block{index}_pool")(x)
    # 224x224x3 -> 5x5x384
    if include_top:
        if dropout:
            x = keras.layers.Dropout(dropout, name="dropout")(x)
        x = mlpconv(x, classes, 3, norm=norm, act=act, final_act=None, name="block4")
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Activation(classifier_activation or "linear", name="predictions")(x)
    else:
        x = global_pool(x, pooling)
    return finish(inputs, x, name=name, weights=weights)


register_variants(VARIANTS, NiN, family="nin", paper=PAPER)
