"""What each layer type costs: multiply-accumulates and other FLOPs per layer call, by layer class."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import keras

from keras_classics.cost.shapes import _elements, _spatial_elements, _tuple
from keras_classics.layers.lrn import LocalResponseNormalization
from keras_classics.layers.rbf import EuclideanRBF

L = keras.layers
CONVOLUTIONS = (L.Conv1D, L.Conv2D, L.Conv3D, L.DepthwiseConv1D, L.DepthwiseConv2D)
SEPARABLE = (L.SeparableConv1D, L.SeparableConv2D)
TRANSPOSED = (L.Conv1DTranspose, L.Conv2DTranspose, L.Conv3DTranspose)
LOCAL_POOLING = (L.MaxPooling1D, L.MaxPooling2D, L.MaxPooling3D, L.AveragePooling1D, L.AveragePooling2D, L.AveragePooling3D)
GLOBAL_POOLING = (
    L.GlobalMaxPooling1D, L.GlobalMaxPooling2D, L.GlobalMaxPooling3D,
    L.GlobalAveragePooling1D, L.GlobalAveragePooling2D, L.GlobalAveragePooling3D,
)
UPSAMPLING = (L.UpSampling1D, L.UpSampling2D, L.UpSampling3D)
MERGES = (L.Add, L.Subtract, L.Multiply, L.Maximum, L.Minimum)
FREE = (  # move or copy values, or are identities at inference: no arithmetic
    L.InputLayer, L.ZeroPadding1D, L.ZeroPadding2D, L.ZeroPadding3D, L.Cropping1D, L.Cropping2D, L.Cropping3D,
    L.Flatten, L.Reshape, L.Permute, L.RepeatVector, L.Concatenate, L.Identity, L.Embedding,
    L.Dropout, L.SpatialDropout1D, L.SpatialDropout2D, L.SpatialDropout3D, L.GaussianDropout, L.GaussianNoise,
    L.AlphaDropout, L.ActivityRegularization,
)
# keras.ops called on symbolic tensors in a functional graph (not layers), by class name
ELEMENTWISE_OPS = {
    "Add", "Subtract", "Multiply", "Divide", "TrueDivide", "Maximum", "Minimum", "Power", "Negative", "Abs", "Square",
    "Sqrt", "Rsqrt", "Exp", "Log", "Tanh", "Sigmoid", "Relu", "Relu6", "Silu", "Gelu", "HardSigmoid", "HardSilu",
    "Elu", "Selu", "LeakyRelu", "Softplus", "Clip",
}
REDUCTION_OPS = {"Sum", "Mean", "Max", "Min"}  # one per input element
LAYOUT_OPS = {"Reshape", "Transpose", "Concatenate", "ExpandDims", "Squeeze", "GetItem", "Cast", "Stack", "Split", "Pad", "Flatten"}
ACTIVATION_LAYERS = (L.Activation, L.ReLU, L.LeakyReLU, L.PReLU, L.ELU, L.Softmax)
# per output element; softmax is exp, sum and divide
SOFTMAX_FLOPS = 3
BATCH_NORM_FLOPS = 2  # inference: mean and variance folded into one scale and one shift
STATISTICS_NORM_FLOPS = 5  # LN/GN compute statistics: mean (1), variance (2), normalise (2)


@dataclass
class Arithmetic:
    macs: int = 0
    flops_other: int = 0
    note: str = ""


def _arithmetic(op, inputs, outputs) -> Arithmetic:
    out = outputs[0] if outputs else None
    elements = sum(_elements(x) for x in outputs)
    if isinstance(op, SEPARABLE):
        spatial = _spatial_elements(out, op.data_format)
        macs = spatial * (math.prod(op.depthwise_kernel.shape) + math.prod(op.pointwise_kernel.shape))
        return _with_bias_and_activation(op, macs, elements)
    if isinstance(op, TRANSPOSED):
        return _with_bias_and_activation(op, _spatial_elements(inputs[0], op.data_format) * math.prod(op.kernel.shape), elements)
    if isinstance(op, CONVOLUTIONS):
        # kernel (k..., in / groups, filters) or depthwise (k..., in, multiplier): each weight once per output position
        return _with_bias_and_activation(op, _spatial_elements(out, op.data_format) * math.prod(op.kernel.shape), elements)
    if isinstance(op, L.Dense):
        positions = math.prod(out.shape[1:-1])
        return _with_bias_and_activation(op, positions * math.prod(op.kernel.shape), elements)
    if isinstance(op, L.EinsumDense):
        return _with_bias_and_activation(op, _einsum_macs(op, out), elements)
    if isinstance(op, FREE):
        return Arithmetic()
    if isinstance(op, ACTIVATION_LAYERS):
        fn = getattr(op, "activation", None)
        per = SOFTMAX_FLOPS if isinstance(op, L.Softmax) else _activation_flops(fn) if fn is not None else 1
        return Arithmetic(flops_other=per * elements)
    if isinstance(op, LOCAL_POOLING):
        return Arithmetic(flops_other=math.prod(op.pool_size) * elements)
    if isinstance(op, GLOBAL_POOLING):
        return Arithmetic(flops_other=sum(_elements(x) for x in inputs))
    if isinstance(op, L.BatchNormalization):
        return Arithmetic(flops_other=BATCH_NORM_FLOPS * elements)
    if isinstance(op, (L.LayerNormalization, L.GroupNormalization)):
        affine = bool(getattr(op, "scale", True)) + bool(getattr(op, "center", True))
        return Arithmetic(flops_other=(STATISTICS_NORM_FLOPS + affine) * elements)
    if isinstance(op, LocalResponseNormalization):
        # square (1), window sum (size - 1), alpha * s + k (2), power (1), divide (1)
        return Arithmetic(flops_other=(op.size + 4) * elements)
    if isinstance(op, EuclideanRBF):
        # the x . w products of |x - w|^2 = |x|^2 - 2 x.w + |w|^2; the squares and sums are other FLOPs
        features = inputs[0].shape[-1]
        return Arithmetic(macs=elements * features, flops_other=2 * features * math.prod(inputs[0].shape[1:-1]) + 3 * elements)
    if isinstance(op, MERGES):
        return Arithmetic(flops_other=(len(inputs) - 1) * elements)
    if isinstance(op, L.Average):
        return Arithmetic(flops_other=len(inputs) * elements)
    if isinstance(op, (L.Rescaling, L.Normalization)):
        return Arithmetic(flops_other=2 * elements)
    if not isinstance(op, L.Layer) and type(op).__module__.startswith("keras."):
        return _op_arithmetic(op, inputs, elements)
    if isinstance(op, UPSAMPLING):
        nearest = getattr(op, "interpolation", "nearest") == "nearest"
        return Arithmetic(note="" if nearest else f"{op.interpolation} interpolation arithmetic not counted")
    if _custom_convolution(op):
        macs = _spatial_elements(out, getattr(op, "data_format", None)) * math.prod(op.kernel.shape)
        arithmetic = _with_bias_and_activation(op, macs, elements)
        arithmetic.note = f"{type(op).__name__}: counted as a convolution (kernel_size, strides and a kernel weight)"
        return arithmetic
    return Arithmetic(note=f"{type(op).__name__}: layer type unknown to keras_classics.cost, arithmetic not counted")


def _custom_convolution(op):
    """A custom layer shaped like a convolution (LeNet's PartialConv2D): each kernel weight is used once per output position."""
    return (
        isinstance(op, L.Layer) and hasattr(op, "kernel_size") and hasattr(op, "strides")
        and hasattr(getattr(op, "kernel", None), "shape") and len(getattr(op, "kernel").shape) >= len(_tuple(op.kernel_size, 1))
    )


def _op_arithmetic(op, inputs, elements):
    kind = type(op).__name__
    if kind in ELEMENTWISE_OPS:
        return Arithmetic(flops_other=elements)
    if kind == "Softmax":
        return Arithmetic(flops_other=SOFTMAX_FLOPS * elements)
    if kind in REDUCTION_OPS:
        return Arithmetic(flops_other=sum(_elements(x) for x in inputs))
    if kind in LAYOUT_OPS:
        return Arithmetic()
    if kind == "Matmul" and inputs:  # (..., m, k) @ (..., k, n): k per output element
        return Arithmetic(macs=elements * inputs[0].shape[-1])
    return Arithmetic(note=f"keras.ops.{kind}: arithmetic not counted")


def _with_bias_and_activation(op, macs, elements):
    flops = elements if getattr(op, "use_bias", False) or getattr(op, "bias", None) is not None else 0
    fn = getattr(op, "activation", None)
    return Arithmetic(macs=macs, flops_other=flops + (_activation_flops(fn) * elements if fn is not None else 0))


def _activation_flops(fn):
    name = getattr(fn, "__name__", "")
    if name == "linear":
        return 0
    return SOFTMAX_FLOPS if name in ("softmax", "log_softmax") else 1


def _einsum_macs(op, out):
    """Output elements times the size of the contracted kernel axes (``"ab,bc->ac"``: b)."""
    _, kernel_spec, out_spec = re.split(r",|->", op.equation.replace("...", ""))
    contracted = [size for letter, size in zip(kernel_spec, op.kernel.shape) if letter not in out_spec]
    return _elements(out) * math.prod(contracted)
