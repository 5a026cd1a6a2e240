"""A PyTorch state_dict (torchvision's, timm's) into a Keras model, tensor by tensor, by name.

``mapping`` says which of our layers' weights each key of the state_dict is (a
family's rule in :mod:`keras_classics.weights.rules` derives it from our
systematic layer names). Pairing by graph order is not safe here: torchvision
registers a ResNet's projection shortcut after its ``conv3``, and GoogLeNet's and
Inception's branch orders differ from ours, with same-shape pairs a shape check
alone would let through. The layout is converted by the class of the Keras layer:

- ``Conv2D`` (grouped too): PyTorch's ``(out, in / groups, kh, kw)`` -> ``(kh, kw, in / groups, out)``.
- ``DepthwiseConv2D``: ``(in * m, 1, kh, kw)`` -> ``(kh, kw, in, m)``.
- ``Dense``: ``(out, in)`` -> ``(in, out)``; the first dense layer after a flatten of
  a 4-D map also has its input axis permuted from PyTorch's C, H, W order to our
  H, W, C order (under ``channels_last``; under ``channels_first`` the orders agree).
- ``BatchNormalization``: weight, bias, running mean and variance as they are.

A model of another input channel count takes a 3-channel first convolution as
timm's ``adapt_input_conv`` does (:func:`adapt_input_conv`): grey (1 channel) sums the
kernel over its input channels, the same response to a grey image replicated into R,
G and B; N channels repeat the kernel, cut it to N and scale it by 3 / N.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_classics.weights.applications import weighted_layers

SLOTS = ("kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance")
IGNORED = ("num_batches_tracked",)  # BN's step counter: no Keras counterpart


def _error(source, detail, allowed="a checkpoint of this architecture"):
    return ValueError(f"`weights`: {source}: {detail}; allowed: {allowed}.")


def _flattened_map(layer):
    """The (H, W, C) or (C, H, W) shape flattened into ``layer``'s input, if a Flatten of a 4-D map feeds it."""
    try:
        parent = layer.input._keras_history.operation
    except (AttributeError, ValueError):
        return None
    if isinstance(parent, keras.layers.Flatten) and len(parent.input.shape) == 4:
        return tuple(parent.input.shape[1:])
    return None


def _input_channels(model) -> int:
    shape = model.inputs[0].shape
    return shape[-1] if keras.config.image_data_format() == "channels_last" else shape[1]


def adapt_input_conv(kernel, channels: int):
    """timm's ``adapt_input_conv`` on a ``(kh, kw, in, out)`` kernel: its ``in`` input channels made ``channels``.

    From 3: one channel is the sum over the three; N repeat the kernel along its input
    axis, cut to N, scaled by 3 / N. From 1: repeated N times, divided by N.
    """
    have = kernel.shape[2]
    if have == channels:
        return kernel
    if channels == 1:
        return kernel.sum(axis=2, keepdims=True)
    repeats = -(-channels // have)
    return np.tile(kernel, (1, 1, repeats, 1))[:, :, :channels] * (have / channels)


def convert(layer, slot, array, *, input_channels=3):
    """``array`` (PyTorch layout) in the layout of ``layer``'s weight ``slot``."""
    array = np.asarray(array)
    if slot != "kernel":
        return array
    if isinstance(layer, keras.layers.DepthwiseConv2D) and array.ndim == 4:
        channels = layer.input.shape[-1 if keras.config.image_data_format() == "channels_last" else 1]
        out, _, kh, kw = array.shape
        return array.reshape(channels, out // channels, kh, kw).transpose(2, 3, 0, 1)
    if isinstance(layer, keras.layers.Conv2D) and array.ndim == 4:
        kernel = array.transpose(2, 3, 1, 0)
        if kernel.shape[2] == 3 and layer.groups == 1 and layer.kernel.shape[2] == input_channels != 3:  # the first convolution
            kernel = adapt_input_conv(kernel, input_channels)
        return kernel
    if isinstance(layer, keras.layers.Dense) and array.ndim == 2:
        flattened = _flattened_map(layer)
        if flattened is not None and keras.config.image_data_format() == "channels_last" and array.shape[1] == np.prod(flattened):
            height, width, channels = flattened
            return array.reshape(-1, channels, height, width).transpose(2, 3, 1, 0).reshape(-1, array.shape[0])
        return array.T
    return array


def load_state_dict(model, state_dict, mapping, *, source: str, keep=()) -> None:
    """Assign ``state_dict`` (key -> NumPy array) to ``model``'s weights as ``mapping`` says.

    Args:
        mapping: key -> ``(layer name, slot)``, slot one of :data:`SLOTS`; a key
            mapped to ``None`` is known and deliberately not loaded (a classifier
            the model was built without).
        source: what the state_dict is, for messages (a file name, a checkpoint key).
        keep: names of layers that may keep their own initial weights (a
            classifier of another class count, whose tensors map to ``None``).

    Raises ``ValueError`` naming the tensor if a key of ``state_dict`` is not in
    ``mapping`` (BN's ``num_batches_tracked`` aside), if a weight of the model is
    left without a tensor, or if a shape differs. Nothing is assigned unless
    every weight is matched.
    """
    layers = {layer.name: layer for layer in weighted_layers(model)}
    wanted = {(layer.name, variable.name): variable for layer in layers.values() for variable in layer.weights}
    inverse = {target: key for key, target in mapping.items() if target is not None}
    input_channels = _input_channels(model)
    values = {}
    for key, array in state_dict.items():
        if key.rsplit(".", 1)[-1] in IGNORED:
            continue
        if key not in mapping:
            raise _error(source, f"tensor {key!r} {tuple(np.shape(array))} is not a weight of {model.name!r} (no layer of ours takes it)")
        target = mapping[key]
        if target is None:
            continue
        if target not in wanted:
            raise _error(source, f"tensor {key!r} maps to {target[0]}/{target[1]}, which {model.name!r} does not have")
        if target in values:
            raise _error(source, f"tensors {values[target][0]!r} and {key!r} both map to {target[0]}/{target[1]}")
        layer, slot = layers[target[0]], target[1]
        converted = convert(layer, slot, array, input_channels=input_channels)
        variable = wanted[target]
        if tuple(converted.shape) != tuple(variable.shape):
            raise _error(
                source, f"tensor {key!r} has shape {tuple(np.shape(array))}, which gives {tuple(converted.shape)} "
                f"for {target[0]}/{target[1]} but that weight is {tuple(variable.shape)}",
            )
        values[target] = (key, converted)
    for target in wanted:
        if target not in values and target[0] not in keep:
            expected = inverse.get(target)
            what = f"tensor {expected!r}" if expected else "a tensor (no key maps to it)"
            raise _error(source, f"{model.name!r}'s weight {target[0]}/{target[1]} is not in the checkpoint: expected {what}")
    for target, (_, converted) in values.items():
        variable = wanted[target]
        variable.assign(np.ascontiguousarray(converted, dtype=variable.dtype))
