"""What every network shares: factories, custom layers and blocks.

Everything here is public and backend-independent, so a new network can be
composed from the same pieces the registry's networks are made of::

    from keras_classics import layers as kl

    x = kl.conv_norm_act(inputs, 64, 3, norm="bn", name="stem")
    config = kl.ResidualConfig(norm=kl.norm("bn"), act=kl.activation("relu"))
    x = kl.residual_stage(x, 64, 2, 1, branch=kl.basic_branch, config=config, name="conv2")
    x = kl.inception_module(x, (kl.Conv(32, 1), (kl.Conv(16, 1), kl.Conv(32, 3))), pool_proj=16, name="mixed")
"""

from keras_classics.layers.activation import activation
from keras_classics.layers.axis import channel_axis
from keras_classics.layers.conv import conv_norm_act, norm_act
from keras_classics.layers.dense_block import dense_block, dense_layer, transition
from keras_classics.layers.heads import dense_head, global_pool
from keras_classics.layers.inception import Conv, Split, aux_loss_weights, auxiliary_classifier, ceil_max_pool, inception_module
from keras_classics.layers.lrn import LocalResponseNormalization
from keras_classics.layers.mlpconv import mlpconv
from keras_classics.layers.norm import norm
from keras_classics.layers.partial_conv import PartialConv2D
from keras_classics.layers.pca_lighting import PCALighting
from keras_classics.layers.rbf import EuclideanRBF
from keras_classics.layers.residual import PadChannels, ResidualConfig, basic_branch, bottleneck_branch, residual_block, residual_stage

__all__ = [
    # factories
    "activation", "channel_axis", "conv_norm_act", "norm", "norm_act",
    # heads
    "dense_head", "global_pool",
    # custom layers
    "EuclideanRBF", "LocalResponseNormalization", "PadChannels", "PartialConv2D", "PCALighting",
    # blocks
    "Conv", "Split", "inception_module", "auxiliary_classifier", "aux_loss_weights", "ceil_max_pool",
    "mlpconv",
    "dense_layer", "dense_block", "transition",
    "ResidualConfig", "basic_branch", "bottleneck_branch", "residual_block", "residual_stage",
]
