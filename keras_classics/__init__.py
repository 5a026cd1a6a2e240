"""keras-classics: the classic convolutional networks for Keras 3, on TensorFlow, JAX and PyTorch."""

__version__ = "0.1.0"

from keras_classics.convolutionalize import convolutionalize
from keras_classics.cost import profile
from keras_classics.export import export
from keras_classics.layers import LocalResponseNormalization
from keras_classics.models import *  # noqa: F401,F403  (the public builders)
from keras_classics.models import __all__ as _builders
from keras_classics.registry import get_model, list_models, model_info
from keras_classics.weights import transfer_weights

__all__ = ["convolutionalize", "export", "profile", "get_model", "list_models", "model_info", "transfer_weights", "LocalResponseNormalization", *_builders]
