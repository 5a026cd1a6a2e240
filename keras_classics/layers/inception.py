"""The Inception module, the auxiliary classifier and its loss weights, shared by GoogLeNet, BN-Inception and Inception v3.

One :func:`inception_module` builds every module of the three networks from
data: a tuple of *towers* (chains of convolutions) plus a pooling branch, all
with ``same`` padding at stride 1 so every branch keeps the spatial size, then
concatenated on the channel axis. The versions differ only in the towers they
pass:

- GoogLeNet (v1): ``1x1 | 1x1-3x3 | 1x1-5x5 | maxpool-1x1``.
- BN-Inception (v2): the 5x5 becomes two 3x3; average or max pooling; with
  ``strides=2`` and no pool projection it is a grid-reduction module (3c, 4e).
- Inception v3: 7x7 factorised into 1x7 and 7x1 (``Conv(192, (1, 7))``), the
  expanded filter bank (a tower ending in a :class:`Split`), and the
  grid-reduction modules (``strides=2, reduce_padding="valid"``).

Layer names: ``{name}_branch{i}_{j}_{conv|bn|relu}`` for the j-th convolution
of tower i (``..._{j}a`` / ``..._{j}b`` for the two halves of a split),
``{name}_pool`` (after ``{name}_pool_pad`` with ``count_include_pad``) and
``{name}_pool_proj_*`` for the pooling branch, ``{name}`` for the concatenation.
"""

from __future__ import annotations

from typing import NamedTuple, Union

import keras

from keras_classics._validate import bad_argument
from keras_classics.layers.axis import channel_axis
from keras_classics.layers.conv import conv_norm_act
from keras_classics.layers.heads import dense_head

Kernel = Union[int, tuple]


class Conv(NamedTuple):
    """One convolution of a tower: ``filters`` outputs, ``kernel`` an int or ``(height, width)``."""

    filters: int
    kernel: Kernel


class Split(NamedTuple):
    """Convolutions applied side by side to the same input and concatenated
    (Inception v3's expanded filter bank: ``Split((Conv(384, (1, 3)), Conv(384, (3, 1))))``)."""

    convs: tuple


_POOLS = {"max": keras.layers.MaxPooling2D, "avg": keras.layers.AveragePooling2D}


def inception_module(
    x, towers, *, pool="max", pool_proj=None, strides=1, reduce_padding="same", count_include_pad=False, norm=None, act="relu", name
):
    """One Inception module: parallel towers and a pooling branch, concatenated.

    Args:
        x: input tensor.
        towers: a sequence of towers, each a sequence of :class:`Conv` (the last
            item may be a :class:`Split`), or a single :class:`Conv` for a
            one-convolution tower. Concatenated in this order, the pooling
            branch last.
        pool: ``"max"`` or ``"avg"``: the 3x3 pooling of the pooling branch.
        pool_proj: width of the 1x1 convolution after the pooling, or ``None``
            for none (the pooled input passes straight through, as in the
            grid-reduction modules).
        strides: 1, or 2 for a grid-reduction module: the last convolution of
            every tower and the pooling take this stride.
        reduce_padding: padding of the strided layers: ``"same"`` (BN-Inception,
            output ``ceil(size / 2)``) or ``"valid"`` (Inception v3).
        count_include_pad: a stride-1 average pooling averages over the padded
            zeros too (PyTorch's ``AvgPool2d(3, 1, 1)``, ``count_include_pad=True``:
            a border window's sum is divided by 9), written as a ``{name}_pool_pad``
            zero padding and a ``valid`` pooling. ``False``: Keras's ``same``,
            which divides by the real values in the window only.
        norm, act: factories (or names) as in :func:`conv_norm_act`.
        name: prefix of every layer.
    """
    strided_padding = reduce_padding if strides > 1 else "same"
    branches = []
    for t, received in enumerate(towers, start=1):
        tower = (received,) if isinstance(received, (Conv, Split)) else tuple(received) if isinstance(received, (list, tuple)) else ()
        if not tower or not all(isinstance(item, Conv) for item in tower[:-1]) or not isinstance(tower[-1], (Conv, Split)):
            raise bad_argument("towers", received, "each tower a Conv, or a sequence of Conv whose last item may be a Split")
        y = x
        for j, item in enumerate(tower, start=1):
            last = j == len(tower)
            stride, padding = (strides, strided_padding) if last else (1, "same")
            prefix = f"{name}_branch{t}_{j}"
            if isinstance(item, Split):
                halves = [
                    conv_norm_act(y, c.filters, c.kernel, stride, padding=padding, norm=norm, act=act, name=f"{prefix}{chr(ord('a') + h)}")
                    for h, c in enumerate(item.convs)
                ]
                y = keras.layers.Concatenate(axis=channel_axis(), name=f"{prefix}_concat")(halves)
            else:
                y = conv_norm_act(y, item.filters, item.kernel, stride, padding=padding, norm=norm, act=act, name=prefix)
        branches.append(y)
    y = x
    if count_include_pad and pool == "avg" and strides == 1:
        y = keras.layers.ZeroPadding2D(1, name=f"{name}_pool_pad")(y)
        strided_padding = "valid"
    y = _POOLS[pool](3, strides=strides, padding=strided_padding, name=f"{name}_pool")(y)
    if pool_proj:
        y = conv_norm_act(y, pool_proj, 1, norm=norm, act=act, name=f"{name}_pool_proj")
    branches.append(y)
    return keras.layers.Concatenate(axis=channel_axis(), name=name)(branches)


def _fits(x, size):
    """``"valid"`` where a ``size`` window fits the map (or the map size is unknown), else ``"same"``."""
    channels_last = keras.config.image_data_format() == "channels_last"
    spatial = x.shape[1:3] if channels_last else x.shape[2:4]
    return "valid" if all(d is None or d >= size for d in spatial) else "same"


def auxiliary_classifier(
    x,
    classes,
    *,
    convs=(Conv(128, 1),),
    pool="5x5/3",
    hidden_units=(),
    dropout=0.0,
    flatten=True,
    classifier_activation="softmax",
    norm=None,
    act="relu",
    name,
):
    """An auxiliary classifier on a hidden layer: average pooling, convolutions, dense layers.

    GoogLeNet (Szegedy et al. 2014, Section 5): ``convs=(Conv(128, 1),),
    hidden_units=(1024,), dropout=0.7, flatten=True``. Inception v3 as in
    torchvision: ``convs=(Conv(128, 1), Conv(768, 5)), flatten=False`` (global
    average pooling before the classifier).

    ``pool``: ``"5x5/3"``, the papers' 5x5 average pooling with stride 3, or an
    int ``n``: adaptive average pooling to ``n x n`` (torchvision's GoogLeNet
    heads, ``adaptive_avg_pool2d(x, (4, 4))``: at 14x14 its windows start at
    0, 3, 7, 10 where the paper's start at 0, 3, 6, 9). Adaptive pooling needs
    Keras 3.13 or later (``keras.layers.AdaptiveAveragePooling2D``).

    The 5x5/3 pooling and the convolutions use ``valid`` padding, as the papers,
    where the window fits the map; on maps smaller than the window (inputs far
    below the canonical size) they use ``same`` padding so the head still runs.

    The classifier layer is named ``name``: it is the model's output of that name.
    """
    if pool == "5x5/3":
        x = keras.layers.AveragePooling2D(5, strides=3, padding=_fits(x, 5), name=f"{name}_pool")(x)
    elif isinstance(pool, int) and not isinstance(pool, bool) and pool > 0 and hasattr(keras.layers, "AdaptiveAveragePooling2D"):
        x = keras.layers.AdaptiveAveragePooling2D(pool, name=f"{name}_pool")(x)
    else:
        raise bad_argument("pool", pool, "'5x5/3', or a positive int (adaptive pooling, Keras 3.13 or later)")
    for j, conv in enumerate(convs, start=1):
        size = max(conv.kernel) if isinstance(conv.kernel, tuple) else conv.kernel
        x = conv_norm_act(x, conv.filters, conv.kernel, padding=_fits(x, size), norm=norm, act=act, name=f"{name}_conv{j}")
    if flatten:
        x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    else:
        x = keras.layers.GlobalAveragePooling2D(name=f"{name}_avg_pool")(x)
    names = [f"{name}_fc{i}" for i in range(1, len(hidden_units) + 1)] + [name]
    return dense_head(x, hidden_units, classes, classifier_activation, dropout=dropout, act=act, names=names, flatten=False)


AUX_LOSS_WEIGHT = 0.3  # GoogLeNet, Section 5: "the losses of the auxiliary classifiers were weighted by 0.3"


def aux_loss_weights(model, weight=AUX_LOSS_WEIGHT):
    """Loss weights by output name: 1 for the main output, ``weight`` (0.3, as GoogLeNet's
    paper) for each auxiliary one. For ``model.compile(loss=..., loss_weights=aux_loss_weights(model))``.
    A model without auxiliary outputs gets ``{main: 1.0}``."""
    names = list(model.output_names)
    return {out: (1.0 if i == 0 else float(weight)) for i, out in enumerate(names)}


def ceil_max_pool(x, *, name):
    """3x3/2 max pooling in ceil mode, as Caffe and torchvision's GoogLeNet (``ceil_mode=True``):
    output ``floor(size / 2)``, windows starting at 0, 2, 4, ...

    Written as one row and column of zeros on the bottom and right, then a
    ``valid`` pooling: exact when the input is non-negative (after a ReLU),
    since every window holds at least one real value.
    """
    x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"{name}_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, padding="valid", name=name)(x)
