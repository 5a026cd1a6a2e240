"""What every builder does around its network: check arguments, make the input, load weights.

A builder calls :func:`check_arguments` and :func:`model_input` at the top and
:func:`finish` at the bottom; everything between is architecture.
"""

from __future__ import annotations

import keras

from keras_classics.layers import torch_fast
from keras_classics.weights import loading as weight_loading
from keras_classics._validate import bad_argument, check_bool, check_int
from keras_classics.utils.shapes import image_shape

POOLING_MODES = (None, "avg", "max")


def check_arguments(
    *, include_top, weights, pooling, classes, classifier_activation, pretrained=None, pretrained_classes=1000, architecture=None,
):
    """Check the ``keras.applications`` arguments every builder takes.

    Args:
        pretrained: registry key of the ImageNet weights this builder offers
            (a key of ``keras_classics.weights.PRETRAINED``), or ``None``.
        architecture: the registry name whose network this configuration is exactly
            (its named checkpoints and its torchvision/timm key rule apply), or ``None``.
    """
    check_bool("include_top", include_top)
    check_int("classes", classes, minimum=1)
    if pooling not in POOLING_MODES:
        raise bad_argument("pooling", pooling, "None, 'avg' or 'max'")
    weight_loading.check(weights, architecture=architecture, pretrained=pretrained)
    if weights == "imagenet" and include_top and classes != pretrained_classes:
        raise bad_argument("classes", classes, f"{pretrained_classes} with weights='imagenet' and include_top=True")
    if classifier_activation is not None and not callable(classifier_activation):
        try:
            keras.activations.get(classifier_activation)
        except (ValueError, TypeError):
            raise bad_argument("classifier_activation", classifier_activation, "None, a Keras activation name such as 'softmax', or a callable") from None


def model_input(input_tensor, input_shape, *, default_size, min_size, channels=3, static=False, weights=None):
    """The model's input tensor, after checking its shape.

    Args:
        input_tensor: a Keras tensor (``keras.Input``) to build on, or ``None``.
        input_shape: ``(height, width, channels)`` (channels first under
            ``channels_first``); ``None`` means ``default_size`` and ``channels``.
        min_size: the smallest height and width the network can take.
        static: the height and width must be known (a flatten feeds a dense layer).
        weights: with ``"imagenet"`` the input must have 3 channels.

    Returns ``(tensor to build on, inputs of the keras.Model)``.
    """
    channels_last = keras.config.image_data_format() == "channels_last"
    if input_tensor is not None:
        if not keras.backend.is_keras_tensor(input_tensor):
            raise bad_argument("input_tensor", type(input_tensor).__name__, "a Keras tensor such as keras.Input(shape=...)")
        shape = tuple(input_tensor.shape[1:])
        argument = "input_tensor"
    elif input_shape is None:
        shape = image_shape(default_size, channels)
        argument = "input_shape"
    else:
        shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else input_shape
        argument = "input_shape"
    if not isinstance(shape, tuple) or len(shape) != 3 or not all(d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0) for d in shape):
        raise bad_argument(argument, shape, "a tuple (height, width, channels) of positive integers (height and width may be None)")
    height, width, chans = shape if channels_last else (shape[1], shape[2], shape[0])
    if not chans:
        raise bad_argument(argument, shape, "a known channel count of at least 1")
    if weights == "imagenet" and chans != 3:
        raise bad_argument(argument, shape, "3 channels with weights='imagenet' (the ImageNet weights were trained on RGB)")
    for label, size in (("height", height), ("width", width)):
        if size is None:
            if static:
                raise bad_argument(argument, shape, "a fixed height and width with include_top=True (the flatten feeds a dense layer)")
        elif size < min_size:
            raise bad_argument(argument, shape, f"{label} and width of at least {min_size} for this network")
    if input_tensor is not None:
        return input_tensor, keras.utils.get_source_inputs(input_tensor)
    image = keras.Input(shape=shape, name="input_layer")
    return image, image


def keywords(arguments: dict) -> dict:
    """A public builder's ``locals()`` as keywords for its family builder, its ``**kwargs`` flattened in."""
    fixed = {key: value for key, value in arguments.items() if key != "kwargs"}
    return {**fixed, **arguments.get("kwargs", {})}


def finish(inputs, outputs, *, name, weights, pretrained=None, include_top=True, architecture=None):
    """Make the ``keras.Model``, load ``weights`` into it (see :mod:`keras_classics.weights.loading`) and, on the
    torch backend, give its layers their fast paths (:mod:`keras_classics.layers.torch_fast`)."""
    model = keras.Model(inputs, outputs, name=name)
    weight_loading.load(model, weights, architecture=architecture, pretrained=pretrained, include_top=include_top)
    torch_fast.accelerate(model)
    return model

