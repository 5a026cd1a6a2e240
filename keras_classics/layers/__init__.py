"""What every network shares: factories, custom layers and blocks."""

from keras_classics.layers.activation import activation
from keras_classics.layers.axis import channel_axis
from keras_classics.layers.conv import conv_norm_act
from keras_classics.layers.heads import dense_head, global_pool
from keras_classics.layers.lrn import LocalResponseNormalization
from keras_classics.layers.norm import norm
from keras_classics.layers.pca_lighting import PCALighting

__all__ = ["activation", "channel_axis", "conv_norm_act", "dense_head", "global_pool", "LocalResponseNormalization", "norm", "PCALighting"]
