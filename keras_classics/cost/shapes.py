"""Shapes for the cost analysis: element counts, spatial axes, dtype sizes and the input specs a profile starts from."""

from __future__ import annotations

import math
import re

import keras

from keras_classics._validate import bad_argument


def _tuple(value, rank):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * rank


def _spatial_axes(tensor, data_format):
    rank = len(tensor.shape)
    if rank < 3:
        return []
    if (data_format or keras.config.image_data_format()) == "channels_first":
        return list(range(2, rank))
    return list(range(1, rank - 1))


def _elements(tensor):
    return math.prod(d for d in tensor.shape[1:] if d is not None)


def _spatial_elements(tensor, data_format):
    return math.prod(tensor.shape[a] for a in _spatial_axes(tensor, data_format))


def _itemsize(dtype):
    bits = re.findall(r"\d+", str(dtype))
    return int(bits[-1]) // 8 if bits else 1


def _input_specs(graph, input_shape):
    originals = list(graph.inputs)
    if input_shape is None:
        shapes = [tuple(x.shape[1:]) for x in originals]
    elif isinstance(input_shape, int) and not isinstance(input_shape, bool):
        shapes = [_fill_spatial(x, input_shape) for x in originals]
    elif isinstance(input_shape, (tuple, list)) and input_shape and all(isinstance(s, (tuple, list)) for s in input_shape):
        shapes = [tuple(s) for s in input_shape]
    elif isinstance(input_shape, (tuple, list)):
        shapes = [tuple(input_shape)]
    else:
        raise bad_argument("input_shape", input_shape, "None, an int size for every spatial axis, a shape without the batch axis, or a list of shapes")
    expected = [tuple(x.shape[1:]) for x in originals]
    if len(shapes) != len(originals):
        raise bad_argument("input_shape", input_shape, f"{len(originals)} shapes, one per model input {expected}")
    specs = []
    for shape, want, original in zip(shapes, expected, originals):
        fits = len(shape) == len(want) and all(
            isinstance(d, int) and not isinstance(d, bool) and d > 0 and (w is None or d == w) for d, w in zip(shape, want)
        )
        if not fits:
            if input_shape is None:
                raise bad_argument("input_shape", None, f"the input size, since the model's input shape {want} has unknown dimensions (e.g. input_shape=224)")
            raise bad_argument("input_shape", input_shape, f"a shape matching the model's input {want} in rank and in every fixed dimension (only None dimensions can be chosen)")
        specs.append(keras.KerasTensor((original.shape[0],) + shape, dtype=original.dtype))
    return specs


def _fill_spatial(tensor, size):
    shape = list(tensor.shape[1:])
    for axis in _spatial_axes(tensor, None):
        shape[axis - 1] = size if shape[axis - 1] is None else shape[axis - 1]
        if shape[axis - 1] != size:
            raise bad_argument("input_shape", size, f"{shape[axis - 1]}, the model's fixed input size {tuple(tensor.shape[1:])} (only None dimensions can be chosen)")
    return tuple(shape)
