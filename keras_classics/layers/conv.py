"""``conv_norm_act``: the convolution every network here is made of.

It owns the channel axis, the padding, and whether the convolution has a bias
(by default only when no normalization follows it, since a bias before a batch
norm is cancelled by the mean subtraction). Layer names are systematic:
``{name}_conv``, ``{name}_{bn|ln|gn|in|lrn}``, ``{name}_{activation}``.
"""

from __future__ import annotations

import keras

from keras_classics.layers.activation import activation as resolve_activation
from keras_classics.layers.activation import activation_suffix
from keras_classics.layers.axis import channel_axis
from keras_classics.layers.norm import norm as resolve_norm
from keras_classics.layers.norm import norm_suffix


def conv_norm_act(
    x,
    filters,
    kernel_size,
    strides=1,
    *,
    padding="same",
    groups=1,
    use_bias=None,
    norm=None,
    act="relu",
    norm_first=True,
    kernel_initializer="glorot_uniform",
    name,
):
    """Convolution, then normalization, then activation (or activation before norm).

    Args:
        x: input tensor.
        filters, kernel_size, strides, groups: as ``keras.layers.Conv2D``.
        padding: ``"same"``, ``"valid"``, or an int of explicit zero padding on every
            side (as PyTorch's ``padding=p``; adds a ``{name}_pad`` layer).
        use_bias: ``None`` means "only when there is no normalization".
        norm: a name, ``None`` or a factory (see :func:`keras_classics.layers.norm`).
        act: a name, ``None`` or a factory (see :func:`keras_classics.layers.activation`).
        norm_first: conv-norm-act (True) or conv-act-norm (False, AlexNet's LRN order).
        name: the prefix of every layer this makes. Required: names are part of
            the weight-loading contract.
    """
    norm = resolve_norm(norm)
    act = resolve_activation(act)
    if use_bias is None:
        use_bias = norm is None
    if isinstance(padding, int) and not isinstance(padding, bool):
        if padding:
            x = keras.layers.ZeroPadding2D(padding, name=f"{name}_pad")(x)
        padding = "valid"
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        groups=groups,
        use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        name=f"{name}_conv",
    )(x)
    return norm_act(x, norm=norm, act=act, norm_first=norm_first, name=name)


def norm_act(x, *, norm, act, norm_first=True, name):
    """Normalization then activation (or the reverse), without a convolution.

    The tail of :func:`conv_norm_act`, and on its own the pre-activation of
    ResNetV2 and DenseNet. ``norm`` and ``act`` as in :func:`conv_norm_act`;
    layers are named ``{name}_{bn|...}`` and ``{name}_{activation}``.
    """
    norm = resolve_norm(norm)
    act = resolve_activation(act)
    steps = [("norm", norm), ("act", act)] if norm_first else [("act", act), ("norm", norm)]
    for kind, factory in steps:
        if factory is None:
            continue
        if kind == "norm":
            x = factory(x.shape[channel_axis()], f"{name}_{norm_suffix(factory)}")(x)
        else:
            x = factory(f"{name}_{activation_suffix(factory)}")(x)
    return x
