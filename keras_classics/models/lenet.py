"""LeNet-5 (LeCun, Bottou, Bengio & Haffner, Proc. IEEE 1998): the modern form and the paper's.

32x32x1 -> C1 28x28x6 -> S2 14x14x6 -> C3 10x10x16 -> S4 5x5x16 -> C5 1x1x120 -> F6 84 -> output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import keras

from keras_classics._validate import bad_argument, check_choice, check_fraction
from keras_classics.layers.activation import activation as resolve_activation
from keras_classics.layers.activation import activation_suffix
from keras_classics.layers.conv import conv_norm_act
from keras_classics.layers.heads import dense_head, global_pool
from keras_classics.layers.norm import norm as resolve_norm
from keras_classics.layers.norm import norm_suffix
from keras_classics.layers.partial_conv import PartialConv2D
from keras_classics.layers.rbf import EuclideanRBF
from keras_classics.models.base import check_arguments, finish, model_input
from keras_classics.registry import Paper, Variant, register_variants

PAPER = Paper(
    title="Gradient-Based Learning Applied to Document Recognition",
    authors="Y. LeCun, L. Bottou, Y. Bengio, P. Haffner",
    venue="Proceedings of the IEEE",
    year=1998,
    url="http://vision.stanford.edu/cs598_spring07/papers/Lecun98.pdf",
)

# Table I of the paper: the S2 maps each C3 map is connected to.
C3_CONNECTIONS = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


@dataclass(frozen=True, kw_only=True)
class LeNetVariant(Variant):
    activation: str
    subsampling: str
    c3_connections: Optional[tuple]  # None: every C3 map sees all six S2 maps
    output: str
    default_size: int = 32
    min_size: int = 32
    channels: int = 1
    classes: int = 10


VARIANTS = {  # keys are the ``variant`` argument
    "modern": LeNetVariant(
        activation="tanh", subsampling="average", c3_connections=None, output="dense", registry_name="lenet5",
        reference=("lenet5", "modern"), description="modern form: full C3, pooling, dense output",
    ),
    "paper": LeNetVariant(
        activation="scaled_tanh", subsampling="trainable", c3_connections=C3_CONNECTIONS, output="rbf", registry_name="lenet5_1998",
        reference=("lenet5", "1998 paper"), description="the 1998 paper: partial C3, trainable subsampling, fixed RBF output",
    ),
}
SUBSAMPLING = ("average", "max", "trainable")


def LeNet5(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=10,
    classifier_activation="softmax",
    name="lenet5",
    *,
    variant="modern",
    activation=None,
    subsampling=None,
    output=None,
    norm=None,
    dropout=0.0,
):
    """LeNet-5.

    Paper: Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-Based
    Learning Applied to Document Recognition", Proceedings of the IEEE 86(11),
    1998. http://vision.stanford.edu/cs598_spring07/papers/Lecun98.pdf

    Args:
        include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name: as in ``keras.applications``; the default
            input is 32x32x1 and ``classes`` defaults to 10.
        variant: ``"modern"`` (every C3 map sees all six S2 maps, plain pooling,
            a dense output: 61,706 params, the form most courses teach) or
            ``"paper"`` (trainable subsampling, the partial C3 table, a fixed
            RBF output: 60,000 trainable params through F6).
        activation: default ``"tanh"`` (modern) or ``"scaled_tanh"``, the paper's
            ``1.7159 tanh(2x/3)``; ``"sigmoid"``, ``"relu"`` ... to compare.
        subsampling: ``"average"``, ``"max"`` or ``"trainable"`` (the paper's: the
            2x2 average times a trainable coefficient plus a trainable bias per
            map, then the activation).
        output: ``"dense"`` (trainable, softmax) or ``"rbf"`` (the paper's fixed
            Euclidean RBF units; see :class:`keras_classics.layers.rbf.EuclideanRBF`).
        norm: optional normalization after each convolution (none in the paper).
        dropout: rate after F6 (none in the paper).

    Departures from the paper: the RBF centres are seeded +-1 codes instead of
    the unpublished 7x12 character bitmaps, and training uses softmax
    cross-entropy on the negative distances rather than the paper's criterion
    with its extra constant class. The paper's 2x2 subsampling *sums* its inputs;
    ours averages, which the trainable coefficient absorbs (a factor of 4).
    """
    check_choice("variant", variant, VARIANTS)
    row = VARIANTS[variant]
    subsampling = check_choice("subsampling", subsampling or row.subsampling, SUBSAMPLING)
    output = check_choice("output", output or row.output, ("dense", "rbf"))
    check_arguments(include_top=include_top, weights=weights, pooling=pooling, classes=classes, classifier_activation=classifier_activation)
    check_fraction("dropout", dropout)
    if output == "rbf" and include_top and classifier_activation not in (None, "softmax", "linear"):
        raise bad_argument("classifier_activation", classifier_activation, "'softmax', 'linear' or None with output='rbf'")
    act = resolve_activation(activation or row.activation)
    norm = resolve_norm(norm)
    image, inputs = model_input(
        input_tensor, input_shape, default_size=row.default_size, min_size=row.min_size, channels=row.channels, static=include_top, weights=weights
    )

    x = conv_norm_act(image, 6, 5, padding="valid", norm=norm, act=act, name="c1")  # 32x32 -> 28x28x6
    x = _subsample(x, subsampling, act, name="s2")  # -> 14x14x6
    if row.c3_connections is None:
        x = conv_norm_act(x, 16, 5, padding="valid", norm=norm, act=act, name="c3")  # -> 10x10x16
    else:
        x = PartialConv2D(5, row.c3_connections, name="c3_conv")(x)
        if norm is not None:
            x = norm(16, f"c3_{norm_suffix(norm)}")(x)
        x = act(f"c3_{activation_suffix(act)}")(x)
    x = _subsample(x, subsampling, act, name="s4")  # -> 5x5x16
    x = conv_norm_act(x, 120, 5, padding="valid", norm=norm, act=act, name="c5")  # -> 1x1x120

    if not include_top:
        x = global_pool(x, pooling)
    elif output == "dense":
        x = keras.layers.Flatten(name="flatten")(x)
        x = dense_head(x, (84,), classes, classifier_activation, dropout=dropout, act=act, names=("f6", "predictions"), flatten=False)
    else:
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(84, name="f6")(x)
        x = act(f"f6_{activation_suffix(act)}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name="f6_dropout")(x)
        x = EuclideanRBF(classes, name="rbf")(x)
        x = keras.layers.Activation(classifier_activation or "linear", name="predictions")(x)
    return finish(inputs, x, name=name, weights=weights)


def _subsample(x, kind, act, *, name):
    if kind == "max":
        return keras.layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    x = keras.layers.AveragePooling2D(2, name=f"{name}_pool")(x)
    if kind == "trainable":
        # one coefficient and one bias per map: a 1x1 depthwise convolution
        x = keras.layers.DepthwiseConv2D(1, name=f"{name}_scale")(x)
        x = act(f"{name}_{activation_suffix(act)}")(x)
    return x


register_variants(VARIANTS, LeNet5, family="lenet", paper=PAPER, key_argument="variant")
