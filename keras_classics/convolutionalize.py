"""Dense evaluation (Simonyan & Zisserman 2015, Sec. 3.2): fully connected layers as convolutions.

"The fully-connected layers are first converted to convolutional layers (the
first FC layer to a 7x7 conv. layer, the last two FC layers to 1x1 conv.
layers). The resulting fully-convolutional net is then applied to the whole
(uncropped) image." The result is a class-score map whose size grows with the
input; averaging it gives one prediction per image.
"""

from __future__ import annotations

import keras

from keras_classics._validate import bad_argument


def convolutionalize(model, input_shape=None):
    """A fully convolutional copy of ``model``, with the same (converted) weights.

    ``model`` is a functional model whose head is ``Flatten`` followed by
    ``Dense`` layers (VGG, AlexNet, LeNet-5 with ``include_top=True``). The
    ``Flatten`` becomes an identity, the first ``Dense`` a convolution whose
    kernel covers the whole feature map that was flattened (7x7 for VGG at
    224x224) and each later ``Dense`` a 1x1 convolution. At the original input
    size the outputs equal the dense model's; on a larger input the output is a
    ``(rows, cols, classes)`` score map.

    Args:
        model: the trained dense model.
        input_shape: the new model's input shape; default ``(None, None, channels)``.
    """
    flattens = [layer for layer in model.layers if isinstance(layer, keras.layers.Flatten)]
    if len(flattens) != 1:
        raise bad_argument("model", model.name, "a functional model with exactly one Flatten before its Dense head")
    flatten = flattens[0]
    map_shape = tuple(flatten.input.shape[1:])
    if keras.config.image_data_format() != "channels_last":
        raise bad_argument("image_data_format", keras.config.image_data_format(), "'channels_last' for convolutionalize")
    head_started = False
    kernels = {}

    def clone(layer):
        nonlocal head_started
        if layer is flatten:
            head_started = True
            return keras.layers.Identity(name=layer.name)
        if head_started and isinstance(layer, keras.layers.Dense):
            kernel = map_shape[:2] if not kernels else (1, 1)
            kernels[layer.name] = kernel
            return keras.layers.Conv2D(
                layer.units, kernel, activation=layer.activation, use_bias=layer.use_bias, name=layer.name
            )
        return layer.__class__.from_config(layer.get_config())

    if input_shape is None:
        input_shape = (None, None, model.input_shape[-1])
    new_input = keras.Input(shape=input_shape, name=model.inputs[0].name)
    converted = keras.models.clone_model(model, input_tensors=new_input, clone_function=clone)
    for layer in model.layers:
        if not layer.weights:
            continue
        target = converted.get_layer(layer.name)
        values = layer.get_weights()
        if layer.name in kernels:
            values[0] = values[0].reshape(tuple(target.kernel.shape))
        target.set_weights(values)
    return converted
