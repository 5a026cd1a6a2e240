"""Residual blocks and stages: one builder for every ResNet, ResNetV2, ResNeXt and plain network.

A residual block is ``out = shortcut(x) + branch(x)``. What varies between the
papers and the libraries is written down once, in :class:`ResidualConfig`:

- the branch: :func:`basic_branch` (two 3x3 convolutions, ResNet-18/34 and the
  CIFAR nets) or :func:`bottleneck_branch` (1x1, 3x3, 1x1 with 4x expansion,
  ResNet-50 and deeper; with ``groups`` > 1 the 3x3 is grouped: ResNeXt). These
  are plain functions, passed to :func:`residual_stage` as they are.
- the activation order: post-activation (v1: conv-BN-ReLU, ReLU after the
  addition) or pre-activation (v2, He et al. 2016b: BN-ReLU before each
  convolution, nothing after the addition).
- where the stride sits in a bottleneck: the first 1x1 (v1, the paper's released
  model and keras.applications) or the 3x3 (v1.5, torchvision).
- the shortcut: ``"A"`` identity, subsampled and zero-padded in channels where the
  dimensions grow (no parameters); ``"B"`` a 1x1 projection where the channel
  count changes (identity, subsampled if needed, elsewhere); ``"C"`` a projection
  in every block; ``None`` no shortcut at all (the paper's plain network).
- optionally, the last BN of each branch starts with gamma = 0 (Goyal et al.
  2017; in v2, whose branch ends in a convolution, that convolution's kernel
  starts at zero), so every block starts as its shortcut.

Layer names follow keras.applications: ``conv2_block1_1_conv``, ``_1_bn``,
``_1_relu``, ``_0_conv`` (the projection), ``_add`` / ``_out``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import keras

from keras_classics._validate import bad_argument
from keras_classics.layers.axis import channel_axis
from keras_classics.layers.conv import conv_norm_act, norm_act
from keras_classics.layers.norm import norm as resolve_norm

SHORTCUTS = ("A", "B", "C", None)


@keras.saving.register_keras_serializable(package="keras_classics")
class PadChannels(keras.layers.Layer):
    """Appends ``extra`` all-zero channels: the parameter-free side of an option-A shortcut."""

    def __init__(self, extra, axis=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(extra, bool) or not isinstance(extra, int) or extra < 0:
            raise bad_argument("extra", extra, "an integer >= 0")
        self.extra = extra
        self.axis = channel_axis() if axis is None else axis

    def call(self, inputs):
        pad = [(0, 0)] * len(inputs.shape)
        pad[self.axis] = (0, self.extra)
        return keras.ops.pad(inputs, pad)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        if shape[self.axis] is not None:
            shape[self.axis] += self.extra
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "extra": self.extra, "axis": self.axis}


@dataclass(frozen=True)
class ResidualConfig:
    """Everything a residual block needs besides its width and stride, resolved once per network.

    Args:
        norm, act: factories (already resolved, see :mod:`keras_classics.layers.norm`).
        preact: pre-activation (v2) instead of post-activation (v1).
        shortcut: ``"A"``, ``"B"``, ``"C"`` or ``None`` (plain network).
        conv_bias: ``True`` every convolution has a bias (keras.applications'
            ResNet v1); ``None`` only those no normalization follows
            (torchvision, and keras.applications' ResNetV2); ``False`` none.
        stride_in_3x3: a bottleneck's stride in its 3x3 (v1.5) rather than its first 1x1 (v1).
        groups: cardinality of the bottleneck's 3x3 (ResNeXt's C); 1 for ResNet.
        bottleneck_width: channels of that 3x3 in a block of 64 filters (the
            first stage), scaled with the filters in later stages: 64 for
            ResNet-50, C x d = 128 for ResNeXt-50 32x4d, 256 for ResNeXt-101 32x8d.
        zero_init_last: the last BN of each branch starts with gamma = 0 (v2: the
            last convolution's kernel starts at zero).
    """

    norm: Optional[Callable]
    act: Optional[Callable]
    preact: bool = False
    shortcut: Optional[str] = "B"
    conv_bias: Optional[bool] = True
    stride_in_3x3: bool = False
    groups: int = 1
    bottleneck_width: int = 64
    zero_init_last: bool = False

    def __post_init__(self):
        if self.shortcut not in SHORTCUTS:
            raise bad_argument("shortcut", self.shortcut, "'A' (zero-padded identity), 'B' (projection where the width changes), 'C' (projection everywhere) or None (plain network)")

    @property
    def last_norm(self):
        """The norm of a branch's last convolution (v1 only: in v2 it has none)."""
        if self.preact:
            return None
        if self.zero_init_last and self.norm is not None:
            return resolve_norm(self.norm, gamma_initializer="zeros")
        return self.norm

    @property
    def last_kernel_initializer(self):
        """v2's branch ends in a convolution, not a BN: with ``zero_init_last`` its kernel starts at zero."""
        return "zeros" if self.preact and self.zero_init_last else "glorot_uniform"


def basic_branch(x, filters, stride, config, conv):
    """Two 3x3 convolutions (ResNet-18/34, the CIFAR nets); output width ``filters``."""
    x = conv(x, filters, 3, stride, index=1)
    return conv(x, filters, 3, 1, index=2, last=True)


basic_branch.expansion = 1


def bottleneck_branch(x, filters, stride, config, conv):
    """1x1 reduce, 3x3 (grouped for ResNeXt), 1x1 expand to ``4 * filters``.

    The 3x3 has ``bottleneck_width * filters / 64`` channels (``groups`` must
    divide it): 64 in ResNet-50's first stage, 128 in ResNeXt-50 32x4d's.
    """
    width = bottleneck_channels(filters, config)
    stride_1x1, stride_3x3 = (1, stride) if config.stride_in_3x3 else (stride, 1)
    x = conv(x, width, 1, stride_1x1, index=1)
    x = conv(x, width, 3, stride_3x3, index=2, groups=config.groups)
    return conv(x, filters * bottleneck_branch.expansion, 1, 1, index=3, last=True)


bottleneck_branch.expansion = 4


def bottleneck_channels(filters, config):
    """Width of a bottleneck's 3x3 in a block of ``filters`` filters."""
    return config.bottleneck_width * filters // 64


def check_width(branch, filters, config):
    """Raise ``ValueError`` if the 3x3 of ``branch`` cannot have ``config.groups`` groups."""
    if config.groups == 1:
        return
    if branch is not bottleneck_branch:
        raise bad_argument("groups", config.groups, "1 with basic blocks (grouped convolutions need the bottleneck block)")
    width = bottleneck_channels(filters, config)
    if width < 1 or width % config.groups:
        raise bad_argument(
            "groups", config.groups,
            f"a cardinality that divides the grouped 3x3's width ({width} channels in the {filters}-filter stage "
            f"with bottleneck_width={config.bottleneck_width})",
        )


def residual_block(x, filters, stride, *, branch, config, name):
    """One residual block; ``branch`` is :func:`basic_branch` or :func:`bottleneck_branch`."""
    in_channels, out_channels = x.shape[channel_axis()], filters * branch.expansion
    pre = norm_act(x, norm=config.norm, act=config.act, name=f"{name}_preact") if config.preact else x

    def conv(y, width, kernel, conv_stride, *, index, groups=1, last=False):
        return conv_norm_act(
            y, width, kernel, conv_stride, padding=kernel // 2, groups=groups, use_bias=config.conv_bias,
            norm=config.last_norm if last else config.norm, act=None if last else config.act,
            kernel_initializer=config.last_kernel_initializer if last else "glorot_uniform", name=f"{name}_{index}",
        )

    residual = branch(pre, filters, stride, config, conv)
    shortcut = _shortcut(x, pre, in_channels, out_channels, stride, config, name)
    if shortcut is None:
        out = residual
    else:
        out = keras.layers.Add(name=f"{name}_out" if config.preact else f"{name}_add")([shortcut, residual])
    if not config.preact and config.act is not None:
        out = config.act(f"{name}_out")(out)
    return out


def _shortcut(x, pre, in_channels, out_channels, stride, config, name):
    """The shortcut path of a block, or ``None`` for a plain network."""
    if config.shortcut is None:
        return None
    project = config.shortcut == "C" or (config.shortcut == "B" and in_channels != out_channels)
    if project:
        # v1 projects the block input and normalises; v2 projects the pre-activated input, no norm
        return conv_norm_act(
            pre, out_channels, 1, stride, padding="valid",
            use_bias=config.conv_bias,
            norm=None if config.preact else config.norm, act=None, name=f"{name}_0",
        )
    if stride > 1:  # a 1x1 max pool of stride s is the strided identity x[:, ::s, ::s]
        x = keras.layers.MaxPooling2D(1, strides=stride, name=f"{name}_0_pool")(x)
    if out_channels > in_channels:  # option A: the new channels are zeros
        x = PadChannels(out_channels - in_channels, name=f"{name}_0_pad")(x)
    elif out_channels < in_channels:
        raise bad_argument("shortcut", config.shortcut, "'B' or 'C' where a block narrows its input (an identity cannot drop channels)")
    return x


def residual_stage(x, filters, blocks, stride, *, branch, config, name, stride_block=0):
    """``blocks`` residual blocks of width ``filters``; the one at ``stride_block`` has ``stride``.

    ``stride_block`` is 0 (the first block, ResNet v1 and torchvision) or -1
    (the last, keras.applications' ResNetV2). Blocks are named ``{name}_block{i}``.
    """
    check_width(branch, filters, config)
    strided = range(blocks)[stride_block]
    for index in range(blocks):
        x = residual_block(
            x, filters, stride if index == strided else 1, branch=branch, config=config, name=f"{name}_block{index + 1}"
        )
    return x
