"""The profile walk: one row per layer call of a functional model, nested models flattened, with receptive fields."""

from __future__ import annotations

import math
from fractions import Fraction

import keras
import pandas as pd

from keras_classics._validate import bad_argument
from keras_classics.cost.rules import CONVOLUTIONS, GLOBAL_POOLING, LOCAL_POOLING, SEPARABLE, TRANSPOSED, UPSAMPLING, L, Arithmetic, _arithmetic, _custom_convolution
from keras_classics.cost.shapes import _elements, _input_specs, _itemsize, _spatial_axes, _tuple

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


def _resize(values, rank):
    if len(values) == rank:
        return values
    return (max(values, default=Fraction(1)),) * rank


def _reported(values):
    if not values:
        return 0
    value = max(values)
    return int(value) if value.denominator == 1 else float(value)
