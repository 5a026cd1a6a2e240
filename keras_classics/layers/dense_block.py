"""DenseNet's building blocks (Huang et al., CVPR 2017): dense layer, dense block, transition.

A dense layer is the paper's bottleneck "DenseNet-B" layer,
BN-ReLU-Conv(1x1, ``bottleneck_ratio * growth_rate``)-BN-ReLU-Conv(3x3, ``growth_rate``),
whose output is concatenated to its input; a transition ("DenseNet-C") is
BN-ReLU-Conv(1x1, ``compression`` x channels)-AvgPool(2x2, stride 2). Layer names
follow keras.applications: ``conv2_block1_0_bn`` ... ``conv2_block1_concat``, ``pool2_conv``.
"""

from __future__ import annotations

import keras

from keras_classics.layers.axis import channel_axis
from keras_classics.layers.conv import conv_norm_act, norm_act


def dense_layer(x, growth_rate, *, bottleneck_ratio=4, norm, act, name):
    """Adds ``growth_rate`` channels to ``x`` (pre-activation bottleneck layer, then concatenation)."""
    y = norm_act(x, norm=norm, act=act, name=f"{name}_0")
    if bottleneck_ratio:
        y = conv_norm_act(y, bottleneck_ratio * growth_rate, 1, use_bias=False, norm=norm, act=act, name=f"{name}_1")
    y = conv_norm_act(y, growth_rate, 3, use_bias=False, norm=None, act=None, name=f"{name}_2")
    return keras.layers.Concatenate(axis=channel_axis(), name=f"{name}_concat")([x, y])


def dense_block(x, layers, growth_rate, *, bottleneck_ratio=4, norm, act, name):
    """``layers`` dense layers, named ``{name}_block{i}``; adds ``layers * growth_rate`` channels."""
    for index in range(layers):
        x = dense_layer(x, growth_rate, bottleneck_ratio=bottleneck_ratio, norm=norm, act=act, name=f"{name}_block{index + 1}")
    return x


def transition(x, compression, *, norm, act, name):
    """Pre-activation 1x1 convolution to ``int(channels * compression)``, then 2x2 average pooling of stride 2."""
    channels = int(x.shape[channel_axis()] * compression)
    x = norm_act(x, norm=norm, act=act, name=name)
    x = conv_norm_act(x, channels, 1, use_bias=False, norm=None, act=None, name=name)
    return keras.layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)
