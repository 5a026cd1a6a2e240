"""Cost analysis of any functional Keras model: parameters, multiply-accumulates, other FLOPs,
activation memory, receptive field and effective stride, per layer and per model.

``profile(model)`` walks the model's functional graph with symbolic shapes only
(no forward pass, no data); nested models are flattened into their layers. The
conventions, column by column, are in ``docs/cost.md`` and in :data:`COLUMNS`:

- ``macs``: multiply-accumulates of convolutions and dense layers only (what
  torchvision's "GFLOPS" figures count); biases are not MACs.
- ``flops_other``: everything else that computes, counted per element: bias
  additions and fused activations of conv/dense layers, normalization,
  activation layers, pooling, merges (Add, Multiply, ...), rescaling.
- ``activation_bytes``: the size of the layer's output for one example.
- ``receptive_field`` / ``effective_stride``: along the conv/pool path, in input
  pixels, by the usual recurrence ``r += (k_eff - 1) * j; j *= s`` (padding ignored,
  so it may exceed the image), the largest over the spatial axes.

The seeds' example: a 5x5 convolution from 28x28x192 to 28x28x32 is
28 * 28 * 32 * (5 * 5 * 192) = 120,422,400 MACs.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import keras
import pandas as pd

from keras_classics._validate import bad_argument
from keras_classics.layers.lrn import LocalResponseNormalization
from keras_classics.layers.rbf import EuclideanRBF

COLUMNS = {
    "name": "layer name; a nested model's layers are 'outer/inner'",
    "type": "layer class name",
    "output_shape": "output shape without the batch axis (a list of shapes for several outputs)",
    "params": "trainable_params + non_trainable_params",
    "trainable_params": "trainable weights first used by this row (a shared layer counts at its first call)",
    "non_trainable_params": "non-trainable weights first used by this row (BatchNorm moving statistics...)",
    "macs": "multiply-accumulates of convolutions and dense layers (biases excluded)",
    "flops_other": "other arithmetic per element: biases, activations, normalization, pooling, merges",
    "activation_bytes": "bytes of this row's output(s) for one example, at the output dtype",
    "receptive_field": "input pixels seen by one output position (largest spatial axis; 0 without spatial axes)",
    "effective_stride": "input pixels between neighbouring outputs (largest spatial axis; 0 without spatial axes)",
    "note": "what was not counted, or why; empty when everything was",
}

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


def profile(model, input_shape=None) -> pd.DataFrame:
    """One row per layer call of ``model`` (nested models flattened), with the columns of :data:`COLUMNS`.

    Args:
        model: a functional or Sequential Keras model (ours, ``keras.applications``, anyone's).
        input_shape: the input size where the model leaves it open (``None`` height
            and width): an int for every spatial axis (``224``), a shape without
            the batch axis (``(224, 224, 3)``), or a list of shapes for several
            inputs. Only ``None`` dimensions can be chosen; a model built at a
            fixed size must be rebuilt to profile it at another.

    Only symbolic shapes are used: nothing runs on data. Totals: :func:`totals`.
    """
    graph = _graph_of(model, "model")
    walk = _Walk()
    specs = _input_specs(graph, input_shape)
    for original, spec in zip(graph.inputs, specs):
        walk.add_input(original, spec)
    walk.run(graph, specs, prefix="")
    walk.add_unattributed(model)
    frame = pd.DataFrame(walk.rows, columns=list(COLUMNS))
    for column in ("receptive_field", "effective_stride"):
        values = frame[column]
        if all(float(v).is_integer() for v in values):
            frame[column] = values.astype("int64")
        else:
            frame[column] = values.astype("float64")
    return frame


def totals(frame: pd.DataFrame) -> dict:
    """The model's totals from a :func:`profile` frame (``gmacs`` is ``macs / 1e9``)."""
    out = {key: int(frame[key].sum()) for key in ("params", "trainable_params", "non_trainable_params", "macs", "flops_other", "activation_bytes")}
    out["gmacs"] = out["macs"] / 1e9
    return out


def total_macs(model, input_shape=None) -> int:
    """Multiply-accumulates of one forward pass of ``model`` (conv and dense only)."""
    return int(profile(model, input_shape)["macs"].sum())


# --- the graph walk ---------------------------------------------------------------------------


def _graph_of(model, argument):
    """The Functional graph of a functional or (built) Sequential model."""
    graph = _graph_or_none(model)
    if graph is None:
        raise bad_argument(argument, type(model).__name__, "a functional or built Sequential keras.Model (a subclassed model has no graph to walk)")
    return graph


def _graph_or_none(model):
    if isinstance(model, keras.Sequential):
        model = getattr(model, "_functional", None) or model
    if isinstance(model, keras.Model) and hasattr(model, "_nodes_by_depth"):
        return model
    return None


class _Walk:
    def __init__(self):
        self.rows = []
        self.seen_variables = set()
        self.field = {}  # id(tensor) -> (receptive field per spatial axis, jump per spatial axis)
        self.keep = []  # tensors whose ids key self.field stay alive
        self.calls = {}

    def add_input(self, original, spec):
        layer = original._keras_history.operation
        axes = _spatial_axes(spec, keras.config.image_data_format())
        self._set_field(spec, (Fraction(1),) * len(axes), (Fraction(1),) * len(axes))
        self.rows.append(self._row(layer.name, layer, [spec], Arithmetic()))

    def run(self, graph, inputs, prefix):
        tensors = {id(x): y for x, y in zip(graph.inputs, inputs)}
        order = {id(op): i for i, op in enumerate(graph.operations)}
        blocks = {}
        for depth in sorted(graph._nodes_by_depth, reverse=True):
            for node in graph._nodes_by_depth[depth]:
                if not node.operation or node.is_input or any(id(x) not in tensors for x in node.input_tensors):
                    continue
                op = node.operation
                args, kwargs = node.arguments.fill_in(tensors)
                in_specs = [x for x in keras.tree.flatten((args, kwargs)) if isinstance(x, keras.KerasTensor)]
                start = len(self.rows)
                inner = _graph_or_none(op)
                if inner is not None:
                    outputs = keras.tree.flatten(self.run(inner, keras.tree.flatten(args[0]), f"{prefix}{op.name}/"))
                else:
                    outputs = self._call(op, node, args, kwargs, in_specs, prefix)
                blocks.setdefault(order.get(id(op), len(order)), []).extend(self.rows[start:])
                del self.rows[start:]
                for x, y in zip(node.outputs, outputs):
                    tensors[id(x)] = y
        for index in sorted(blocks):
            self.rows.extend(blocks[index])
        return [tensors[id(x)] for x in graph.outputs]

    def _call(self, op, node, args, kwargs, in_specs, prefix):
        if [tuple(x.shape) for x in in_specs] == [tuple(x.shape) for x in node.input_tensors]:
            # the graph already knows these shapes; fresh tensors keep a shared layer's calls apart
            outputs = [keras.KerasTensor(x.shape, dtype=x.dtype) for x in node.outputs]
        else:
            try:
                outputs = keras.tree.flatten(op.compute_output_spec(*args, **kwargs))
            except Exception as err:  # a layer that cannot take this size
                shapes = [tuple(x.shape[1:]) for x in in_specs]
                raise bad_argument("input_shape", shapes, f"a size layer {op.name!r} ({type(op).__name__}) accepts ({err})") from None
        count = self.calls[id(op)] = self.calls.get(id(op), 0) + 1
        arithmetic = _arithmetic(op, in_specs, outputs)
        if count > 1:
            arithmetic.note = "; ".join(filter(None, [f"call {count} of a shared layer", arithmetic.note]))
        self._propagate_field(op, in_specs, outputs)
        self.rows.append(self._row(f"{prefix}{op.name}", op, outputs, arithmetic))
        return outputs

    def _row(self, name, op, outputs, arithmetic):
        trainable = self._new_weights(getattr(op, "trainable_weights", []))
        non_trainable = self._new_weights(getattr(op, "non_trainable_weights", []))
        field, jump = self._field(outputs[0]) if outputs else ((), ())
        shapes = [tuple(x.shape[1:]) for x in outputs]
        return {
            "name": name,
            "type": type(op).__name__,
            "output_shape": shapes[0] if len(shapes) == 1 else shapes,
            "params": trainable + non_trainable,
            "trainable_params": trainable,
            "non_trainable_params": non_trainable,
            "macs": int(arithmetic.macs),
            "flops_other": int(arithmetic.flops_other),
            "activation_bytes": sum(_elements(x) * _itemsize(x.dtype) for x in outputs),
            "receptive_field": _reported(field),
            "effective_stride": _reported(jump),
            "note": arithmetic.note,
        }

    def _new_weights(self, weights):
        count = 0
        for weight in weights:
            if id(weight) not in self.seen_variables:
                self.seen_variables.add(id(weight))
                count += math.prod(weight.shape)
        return count

    def add_unattributed(self, model):
        """Weights of the model that no layer in its graph owns (rare: set on the model itself)."""
        left = [w for w in model.weights if id(w) not in self.seen_variables]
        if left:
            self.rows.append(
                self._row("(unattributed weights)", model, [], Arithmetic(note="weights owned by no layer of the graph"))
                | {"type": "", "output_shape": ()}
            )

    # receptive field and effective stride, per spatial axis, as exact fractions
    def _set_field(self, tensor, field, jump):
        self.keep.append(tensor)
        self.field[id(tensor)] = (tuple(field), tuple(jump))

    def _field(self, tensor):
        return self.field.get(id(tensor), ((), ()))

    def _propagate_field(self, op, in_specs, outputs):
        states = [self._field(x) for x in in_specs] or [((), ())]
        axes = max(len(f) for f, _ in states)
        field = tuple(max((f[i] if i < len(f) else max(f, default=1)) for f, _ in states) for i in range(axes))
        jump = tuple(max((j[i] if i < len(j) else max(j, default=1)) for _, j in states) for i in range(axes))
        window = _window(op)
        if window is not None:
            kernel, strides, dilation, transposed = window
            field, jump = _resize(field, len(kernel)), _resize(jump, len(kernel))
            if transposed:  # each output sees ceil(k / s) inputs
                field = tuple(f + (-(-(d * (k - 1) + 1) // s) - 1) * j for f, j, k, s, d in zip(field, jump, kernel, strides, dilation))
                jump = tuple(j / s for j, s in zip(jump, strides))
            else:
                field = tuple(f + d * (k - 1) * j for f, j, k, d in zip(field, jump, kernel, dilation))
                jump = tuple(j * s for j, s in zip(jump, strides))
        elif isinstance(op, UPSAMPLING):
            size = _tuple(op.size, len(jump))
            jump = tuple(j / s for j, s in zip(jump, size))
        elif isinstance(op, GLOBAL_POOLING + (L.Flatten,)) and in_specs:
            # the output sees the whole feature map
            sizes = [in_specs[0].shape[a] for a in _spatial_axes(in_specs[0], getattr(op, "data_format", None))]
            if len(sizes) == len(field) and all(s is not None for s in sizes):
                field = tuple(f + (s - 1) * j for f, j, s in zip(field, jump, sizes))
        for tensor in outputs:
            self._set_field(tensor, field, jump)


def _window(op):
    """``(kernel, strides, dilation, transposed)`` of a sliding-window layer, else None."""
    if isinstance(op, CONVOLUTIONS + SEPARABLE + TRANSPOSED):
        rank = len(op.kernel_size)
        return op.kernel_size, _tuple(op.strides, rank), _tuple(op.dilation_rate, rank), isinstance(op, TRANSPOSED)
    if isinstance(op, LOCAL_POOLING):
        rank = len(op.pool_size)
        return op.pool_size, _tuple(op.strides or op.pool_size, rank), (1,) * rank, False
    if _custom_convolution(op):
        kernel = _tuple(op.kernel_size, 1)
        rank = len(kernel)
        return kernel, _tuple(op.strides, rank), _tuple(getattr(op, "dilation_rate", 1), rank), False
    return None


def _tuple(value, rank):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * rank


def _resize(values, rank):
    if len(values) == rank:
        return values
    return (max(values, default=Fraction(1)),) * rank


def _reported(values):
    if not values:
        return 0
    value = max(values)
    return int(value) if value.denominator == 1 else float(value)


# --- shapes -----------------------------------------------------------------------------------


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


# --- arithmetic per layer type ------------------------------------------------------------------


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


# --- a readable table -----------------------------------------------------------------------------


def format_table(frame: pd.DataFrame) -> str:
    """The profile as a plain-text table with a totals line (what ``keras-classics summary`` prints)."""
    def shape(value):
        if isinstance(value, list):
            return ", ".join(shape(v) for v in value)
        return "x".join(str(d) for d in value) or "scalar"

    shown = pd.DataFrame({
        "name": frame["name"],
        "type": frame["type"],
        "output": frame["output_shape"].map(shape),
        "params": frame["params"].map("{:,}".format),
        "MACs": frame["macs"].map("{:,}".format),
        "other FLOPs": frame["flops_other"].map("{:,}".format),
        "activations": frame["activation_bytes"].map(format_bytes),
        "RF": frame["receptive_field"],
        "stride": frame["effective_stride"],
        "note": frame["note"],
    })
    total = totals(frame)
    lines = [
        shown.to_string(index=False),
        "",
        f"params: {total['params']:,} ({total['trainable_params']:,} trainable, {total['non_trainable_params']:,} non-trainable)",
        f"MACs: {total['macs']:,} ({total['gmacs']:.3f} G; conv and dense multiply-accumulates)",
        f"other FLOPs: {total['flops_other']:,} (biases, activations, normalization, pooling, merges)",
        f"activations: {format_bytes(total['activation_bytes'])} per example (sum of every layer's output)",
    ]
    return "\n".join(lines)


def format_bytes(count) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{int(count)} B"
