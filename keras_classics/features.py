"""Stage features: the output of every stage of a network, found from its graph (timm's ``features_only``).

A *stage end* is read off the functional graph, the same way for every family:

- only tensors on every path from the input to the main output count (articulation
  points of the graph): a ResNet block's output after its add and ReLU, an Inception
  module's concatenation, never a branch's inner convolution;
- each is labelled with its *reduction*, the input size over its own, rounded to a
  power of two, measured on a 1024-px probe so that valid convolutions and ceil-mode
  pools do not blur it (LeNet-5's C3 is 10x10 at 32 px, reduction 2);
- the stage at reduction r ends at the *last* such tensor before the next reduction,
  not counting zero padding (it belongs to the pooling it pads);
- the classifier head starts at the first such tensor that has lost its spatial axes
  (global pooling, flatten) or comes out of a dropout layer (NiN's class-score
  convolutions follow its dropout); the head holds no stage.

This picks what timm's ``feature_info`` picks for ResNet, ResNeXt and Inception v3
(the stem's activation before its max pooling, then each stage's last block), and for
VGG up to reduction 16 (the last convolution before each pooling). It departs from
timm in two places: VGG's last stage is ``block5_pool`` (512 channels, the
``include_top=False`` output) where timm takes its 4096-channel convolutional
pre-logits; DenseNet's stages 4-16 end at the transition's 1x1 convolution (half the
channels) where timm takes the dense block's concatenation, since the transition's
BN-ReLU-conv still runs at the block's resolution. docs/features.md lists the stages
of each family.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PROBE_SIZE = 1024  # the reductions are measured at this input size (symbolically: no computation)


@dataclass(frozen=True)
class FeatureInfo:
    """One stage end: the layer whose output it is, its channels and its reduction (input size / its size)."""

    index: int
    layer: str
    channels: int
    reduction: int


def feature_info(model_or_name, **build_kwargs) -> list[FeatureInfo]:
    """The stage ends of a model, shallowest first (timm's ``feature_info``).

    Args:
        model_or_name: a functional ``keras.Model`` (built, loaded from a ``.keras``
            file, any input size), a registry name, or the path of a ``.keras`` file.
        build_kwargs: for a registry name, the builder's arguments
            (``input_shape``, ``weights``, ...); ``include_top`` defaults to ``False``.
    """
    return [info for _, info in stage_outputs(_model(model_or_name, build_kwargs))]


def feature_extractor(model_or_name, out_indices=None, **build_kwargs):
    """A ``keras.Model`` from the same input to the stage ends, as a list (timm's ``features_only=True``).

    The layers and weights are the model's own (not copies). ``out_indices`` picks
    stages by position in :func:`feature_info` (negative counts from the deepest);
    ``None`` keeps them all. Other arguments: as :func:`feature_info`.
    """
    import keras

    model = _model(model_or_name, build_kwargs)
    stages = stage_outputs(model)
    picked = [stages[i] for i in _check_indices(out_indices, stages)]
    return keras.Model(model.inputs[0], [tensor for tensor, _ in picked], name=f"{model.name}_features")


def stage_outputs(model) -> list:
    """``[(tensor, FeatureInfo), ...]``: the stage ends of a functional ``model`` (its first output's path)."""
    from keras_classics._validate import bad_argument

    graph = Graph(model)
    axes = _spatial_axes()
    probe = graph.probe_shapes(PROBE_SIZE)
    input_height = graph.source.shape[axes[0]]
    runs = []  # [(reduction, [tensors])] in order along the chain of articulation points
    for tensor in graph.articulation_points()[1:]:  # [0] is the input
        if len(tensor.shape) != 4 or _starts_head(_operation(tensor)):
            break
        height = probe[id(tensor)].shape[axes[0]] if id(tensor) in probe else None
        if not height:  # the probe could not run this far (a layer that needs its built size): the model's own sizes
            height, reference = tensor.shape[axes[0]], input_height
        else:
            reference = PROBE_SIZE
        if not height or not reference:
            raise bad_argument("model", model.name, "a model whose stage sizes can be inferred (give it a fixed input size)")
        reduction = 2 ** max(0, round(math.log2(reference / height)))
        if runs and runs[-1][0] == reduction:
            runs[-1][1].append(tensor)
        else:
            runs.append((reduction, [tensor]))
    stages = []
    channel_axis = axes[2]
    for reduction, tensors in runs:
        ends = [t for t in tensors if not _pads(_operation(t))]
        if ends:
            tensor = ends[-1]
            info = FeatureInfo(len(stages), _operation(tensor).name, int(tensor.shape[channel_axis]), reduction)
            stages.append((tensor, info))
    if not stages:
        raise bad_argument("model", model.name, "a convolutional network (no stage end found before its head)")
    return stages


def main_output(model):
    """The model's first output: the main classifier of a model with auxiliary heads (GoogLeNet's ``predictions``)."""
    return model.outputs[0]


class Graph:
    """The tensors on the paths from a functional model's single input to its first output.

    ``order`` is a topological order; ``parents`` and ``children`` map ``id(tensor)``
    to the tensors it is computed from and those computed from it, within the graph.
    """

    def __init__(self, model):
        import keras

        from keras_classics._validate import bad_argument

        if not isinstance(model, keras.Model) or not getattr(model, "inputs", None) or not hasattr(model.outputs[0], "_keras_history"):
            raise bad_argument("model", type(model).__name__, "a functional keras.Model (or Sequential) that has been built")
        if len(model.inputs) != 1:
            raise bad_argument("model", model.name, f"a model with one input (this one has {len(model.inputs)})")
        self.source = model.inputs[0]
        order, parents = _ancestors(main_output(model))
        reached = {id(self.source)}
        for tensor in order:
            if any(id(p) in reached for p in parents[id(tensor)]):
                reached.add(id(tensor))
        if id(self.source) not in {id(t) for t in order}:
            raise bad_argument("model", model.name, "a model whose output is computed from its input")
        self.order = [t for t in order if id(t) in reached]
        self.parents = {id(t): [p for p in parents[id(t)] if id(p) in reached] for t in self.order}
        self.children = {id(t): [] for t in self.order}
        for tensor in self.order:
            for parent in self.parents[id(tensor)]:
                self.children[id(parent)].append(tensor)

    def articulation_points(self) -> list:
        """The tensors every path from the input to the output passes through, input first, output last.

        In a topological order, a tensor is on every path exactly when no edge jumps
        over its position (any path that avoids it has such an edge, and any such edge
        extends to a path that avoids it).
        """
        position = {id(t): i for i, t in enumerate(self.order)}
        jumps = [0] * (len(self.order) + 1)
        for tensor in self.order:
            for parent in self.parents[id(tensor)]:
                jumps[position[id(parent)] + 1] += 1
                jumps[position[id(tensor)]] -= 1
        points, open_edges = [], 0
        for i, tensor in enumerate(self.order):
            open_edges += jumps[i]
            if open_edges == 0:
                points.append(tensor)
        return points

    def descendants(self, tensor) -> set:
        """``id`` of every tensor computed from ``tensor`` (``tensor`` included)."""
        seen, stack = {id(tensor)}, [tensor]
        while stack:
            for child in self.children[id(stack.pop())]:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append(child)
        return seen

    def probe_shapes(self, size) -> dict:
        """``id(tensor) -> KerasTensor`` at a ``size`` x ``size`` input, inferred layer by layer without computing.

        Stops at the first layer that cannot take that size (one whose weights fix its
        input, such as a dense layer after a flatten); the spatial part is done by then.
        """
        import keras

        from keras_classics.utils.shapes import channel_count, image_shape

        source = self.source
        specs = {id(source): keras.KerasTensor((1, *image_shape(size, channel_count(tuple(source.shape[1:]))),), dtype=source.dtype)}
        done = set()
        for tensor in self.order[1:]:
            node = _node(tensor)
            if id(node) in done:
                continue
            done.add(id(node))
            args, kwargs = node.arguments.fill_in(specs)
            try:
                outputs = node.operation.compute_output_spec(*args, **kwargs)
            except Exception:  # noqa: BLE001  (any layer's own shape error: the sizes stop here)
                break
            for symbolic, spec in zip(node.outputs, keras.tree.flatten(outputs)):
                specs[id(symbolic)] = spec
        return specs


def _ancestors(output):
    """Every tensor ``output`` is computed from, in topological order (iterative: DenseNet-201 is ~700 layers deep)."""
    order, parents, state = [], {}, {}
    stack = [(output, False)]
    while stack:
        tensor, finished = stack.pop()
        if finished:
            order.append(tensor)
            continue
        if id(tensor) in state:
            continue
        state[id(tensor)] = True
        node = _node(tensor)
        parents[id(tensor)] = list(node.input_tensors) if node is not None else []
        stack.append((tensor, True))
        stack.extend((p, False) for p in parents[id(tensor)] if id(p) not in state)
    return order, parents


def _node(tensor):
    history = getattr(tensor, "_keras_history", None)
    if history is None or history.operation is None:
        return None
    return history.operation._inbound_nodes[history.node_index]


def _operation(tensor):
    return tensor._keras_history.operation


def _starts_head(operation) -> bool:
    """A dropout: the identity at inference, and in every classic CNN the start of the classifier."""
    import keras

    return isinstance(operation, (keras.layers.Dropout, keras.layers.GaussianDropout, keras.layers.AlphaDropout))


def _pads(operation) -> bool:
    """Zero padding belongs to the pooling or strided convolution it pads, not to the stage before."""
    import keras

    return isinstance(operation, (keras.layers.ZeroPadding1D, keras.layers.ZeroPadding2D, keras.layers.ZeroPadding3D))


def _spatial_axes() -> tuple[int, int, int]:
    """(height axis, width axis, channel axis) of a batched image tensor."""
    from keras_classics.utils.shapes import channels_last

    return (1, 2, 3) if channels_last() else (2, 3, 1)


def _model(model_or_name, build_kwargs):
    """A model as it is, a ``.keras`` file, or a registry name built with ``build_kwargs`` (``include_top=False`` unless told)."""
    import keras

    from keras_classics._validate import bad_argument
    from keras_classics.utils.models import is_model_file, model_from_spec

    given = isinstance(model_or_name, keras.Model) or (isinstance(model_or_name, str) and is_model_file(model_or_name))
    if given and build_kwargs:
        argument = next(iter(build_kwargs))
        raise bad_argument(argument, build_kwargs[argument], "no build argument with a built model or a .keras file")
    if isinstance(model_or_name, keras.Model):
        return model_or_name
    if not given:
        build_kwargs = {"include_top": False, **build_kwargs}
    model, _ = model_from_spec(model_or_name, argument="model_or_name", compile=False, **build_kwargs)
    return model


def _check_indices(out_indices, stages) -> list[int]:
    from keras_classics._validate import bad_argument

    count = len(stages)
    if out_indices is None:
        return list(range(count))
    allowed = (f"None or a sequence of distinct integers in [-{count}, {count}) (stages: "
               + ", ".join(f"{info.index} {info.layer}" for _, info in stages) + ")")
    if isinstance(out_indices, (str, bytes)) or not hasattr(out_indices, "__iter__"):
        raise bad_argument("out_indices", out_indices, allowed)
    picked = list(out_indices)
    if not picked or any(isinstance(i, bool) or not isinstance(i, int) or not -count <= i < count for i in picked):
        raise bad_argument("out_indices", out_indices, allowed)
    picked = [i % count for i in picked]
    if len(set(picked)) != len(picked):
        raise bad_argument("out_indices", out_indices, allowed)
    return picked
