"""Grad-CAM and gradient saliency, on TensorFlow, JAX and PyTorch through one function each.

Grad-CAM (R. R. Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", ICCV 2017, https://arxiv.org/abs/1610.02391): the
activation ``A`` of a convolutional layer, weighted per channel by the spatial mean
of ``d score / d A``, summed over channels, ReLU, resized to the input and divided by
its maximum. Saliency (K. Simonyan, A. Vedaldi, A. Zisserman, "Deep Inside
Convolutional Networks", ICLR 2014 workshop, https://arxiv.org/abs/1312.6034):
``max over channels of |d score / d input|``.

How: the model is cut at the layer's output ``A`` into ``front`` (input -> ``A``, plus
any tensor the rest reads beside ``A``; nothing when ``A`` is a stage end, through
which every path passes) and ``head`` (those -> the first output), two Keras models
sharing the layers. ``front`` runs once (``predict_on_batch``); the gradient of the
score w.r.t. ``A`` is taken through ``head`` with the backend's own autodiff:
``tf.GradientTape`` on TensorFlow, ``jax.grad`` of ``head.stateless_call`` (compiled)
on JAX, ``torch.autograd.grad`` on PyTorch (no ``.grad`` left on the weights). No
backend but the active one is imported.

The score is the class *logit*, as in the paper: where the classifier's activation is
softmax, it is linear for the duration of the gradient (then restored). The class is
each image's top prediction unless given.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GradCAM:
    """What :func:`explain_gradcam` returns."""

    heatmaps: np.ndarray  # (N, H, W) in [0, 1], at the input size
    layer: str  # the layer explained
    class_index: np.ndarray  # (N,) the class each heatmap explains
    probabilities: np.ndarray  # (N, classes): the softmax of the class scores


def gradcam(model, images, class_index=None, layer=None) -> np.ndarray:
    """Grad-CAM heatmaps ``(N, H, W)`` in [0, 1] at the input size.

    Args:
        model: a functional ``keras.Model`` whose first output is ``(batch, classes)``
            (a model with auxiliary classifiers is explained by its main one).
        images: ``(N, H, W, C)`` (channels first under ``channels_first``), as the model takes them.
        class_index: the class to explain, one for all images or one per image;
            ``None``: each image's top prediction.
        layer: the name of a convolutional layer; ``None``: the last stage end of
            :func:`keras_classics.feature_info` (ResNet's ``conv5_block3_out``), or the
            deepest one at least 2x2 when the input is so small that the last is 1x1
            (ResNet-18 at 32 px: ``conv4_block2_out``).
    """
    return explain_gradcam(model, images, class_index=class_index, layer=layer).heatmaps


def explain_gradcam(model, images, class_index=None, layer=None) -> GradCAM:
    """:func:`gradcam` with the layer explained, the classes and the class probabilities (:class:`GradCAM`)."""
    x = _check_images(model, images)
    target = _layer_output(model, layer, min(x.shape[i] for i in _axes()[:2]))
    classes = _check_class_index(model, class_index, len(x))
    activations, gradients, logits = _activation_gradients(model, target, x, classes)
    height, width, channel = _axes()
    weights = gradients.mean(axis=(height, width))  # (N, K): the paper's alpha
    pattern = "nhwk,nk->nhw" if channel == 3 else "nkhw,nk->nhw"
    cam = np.maximum(np.einsum(pattern, activations, weights), 0.0)
    cam = _resize(cam, (x.shape[height], x.shape[width]))
    peak = cam.max(axis=(1, 2), keepdims=True)
    heatmaps = np.where(peak > 0, cam / np.where(peak > 0, peak, 1.0), 0.0).astype("float32")
    chosen = np.argmax(logits, axis=-1) if classes is None else classes
    return GradCAM(heatmaps, target._keras_history.operation.name, chosen, _softmax(logits))


def saliency(model, images, class_index=None) -> np.ndarray:
    """Gradient saliency ``(N, H, W)``: ``max over channels of |d score / d input|`` (unscaled).

    Arguments: as :func:`gradcam`.
    """
    x = _check_images(model, images)
    classes = _check_class_index(model, class_index, len(x))
    _, gradients, _ = _activation_gradients(model, model.inputs[0], x, classes)
    return np.abs(gradients).max(axis=_axes()[2])


def _layer_output(model, layer, size):
    """The output tensor of the layer named ``layer``; ``None``: the deepest stage end at least 2x2 at input ``size``
    (the last one, unless the input is so small that it is 1x1: a heatmap of one cell says nothing)."""
    import keras

    from keras_classics._validate import bad_argument
    from keras_classics.features import Graph, stage_outputs

    _check_model(model)
    if layer is None:
        stages = stage_outputs(model)
        wide = [stage for stage in stages if size // stage[1].reduction >= 2]
        return (wide or stages)[-1][0]
    try:
        examples = ", e.g. a stage end: " + ", ".join(info.layer for _, info in stage_outputs(model))
    except ValueError:
        examples = ""
    hint = f"the name of a convolutional layer of the model on the path to its first output{examples}"
    try:
        found = model.get_layer(layer) if isinstance(layer, str) else None
    except ValueError:
        found = None
    if found is None or isinstance(found, keras.layers.InputLayer) or len(found._inbound_nodes) != 1:
        raise bad_argument("layer", layer, hint)
    tensor = found.output
    if len(tensor.shape) != 4:
        raise bad_argument("layer", layer, f"{hint} (this one's output is {tuple(tensor.shape)}, not an image)")
    if id(tensor) not in Graph(model).parents:
        raise bad_argument("layer", layer, f"{hint} (this one does not lead to the first output)")
    return tensor


def _check_class_index(model, class_index, count):
    """``None`` (each image's top class) or an int array ``(count,)`` of classes in range."""
    from keras_classics._validate import bad_argument
    from keras_classics.features import main_output

    classes = int(main_output(model).shape[-1])
    allowed = f"None (the top prediction), or a class in [0, {classes}) for all images or one per image ({count})"
    if class_index is None:
        return None
    values = [class_index] if np.ndim(class_index) == 0 else list(np.asarray(class_index, dtype=object).reshape(-1))
    integral = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values)
    if not integral or len(values) not in (1, count) or np.ndim(class_index) > 1 or not all(0 <= v < classes for v in values):
        raise bad_argument("class_index", class_index, allowed)
    return np.broadcast_to(np.asarray(values, "int64"), (count,)).copy()


def _check_model(model):
    import keras

    from keras_classics._validate import bad_argument
    from keras_classics.features import main_output

    if not isinstance(model, keras.Model) or not getattr(model, "outputs", None):
        raise bad_argument("model", type(model).__name__, "a built functional keras.Model")
    if len(main_output(model).shape) != 2:
        raise bad_argument("model", model.name, f"a classifier whose first output is (batch, classes); this one's is {tuple(main_output(model).shape)}")


def _check_images(model, images) -> np.ndarray:
    from keras_classics._validate import bad_argument

    _check_model(model)
    expected = tuple(model.inputs[0].shape[1:])
    allowed = f"an array (N, ...) of images shaped as the model's input {expected}"
    try:
        x = np.asarray(images, dtype="float32")
    except (TypeError, ValueError):
        raise bad_argument("images", type(images).__name__, allowed) from None
    if x.ndim != 4 or not len(x) or any(e is not None and e != s for e, s in zip(expected, x.shape[1:])):
        raise bad_argument("images", f"an array of shape {x.shape}", allowed)
    return x


def _axes() -> tuple[int, int, int]:
    from keras_classics.features import _spatial_axes

    return _spatial_axes()


def _activation_gradients(model, target, x, class_index):
    """``(A, d score / d A, logits)`` as NumPy, for the tensor ``target`` of ``model`` on images ``x``."""
    import keras

    from keras_classics.features import Graph, main_output

    graph = Graph(model)
    below = graph.descendants(target)
    beside = {}  # tensors the head reads that do not come from the target (none for a stage end)
    for tensor in graph.order:
        if id(tensor) in below and tensor is not target:
            beside.update((id(p), p) for p in graph.parents[id(tensor)] if id(p) not in below)
    head_inputs = [target, *beside.values()]
    values = [x] if target is model.inputs[0] else _forward(keras.Model(model.inputs[0], head_inputs), x)
    head = keras.Model(head_inputs, main_output(model))
    with _logits(model):
        gradient, logits = _gradient(head, values, class_index)
    return values[0], gradient, logits


def _forward(model, inputs) -> list:
    """Inference outputs as NumPy: compiled on JAX (eager JAX compiles op by op), eager elsewhere
    (TensorFlow would retrace a predict function for every new model)."""
    import keras

    if keras.backend.backend() == "tensorflow":
        outputs = model(inputs, training=False)
    else:
        outputs = model.predict_on_batch(inputs)
    return [keras.ops.convert_to_numpy(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


@contextlib.contextmanager
def _logits(model):
    """The first output as logits: a softmax classifier's activation is linear meanwhile."""
    import keras

    from keras_classics.features import main_output

    layer = main_output(model)._keras_history.operation
    if getattr(layer, "activation", None) is not keras.activations.softmax:
        yield
        return
    layer.activation = keras.activations.linear
    try:
        yield
    finally:
        layer.activation = keras.activations.softmax


def _score(logits, class_index):
    """The sum over images of each one's class logit (its top class where ``class_index`` is None)."""
    from keras import ops

    index = ops.argmax(logits, axis=-1) if class_index is None else ops.convert_to_tensor(class_index)
    mask = ops.stop_gradient(ops.one_hot(index, int(logits.shape[-1]), dtype=logits.dtype))
    return ops.sum(logits * mask)


def _gradient(head, values, class_index):
    """``(d score / d values[0], logits)`` as NumPy; ``values`` are the head's inputs."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        inputs = [tf.convert_to_tensor(v) for v in values]
        with tf.GradientTape() as tape:
            tape.watch(inputs[0])
            logits = head(inputs, training=False)
            score = _score(logits, class_index)
        return tape.gradient(score, inputs[0]).numpy(), logits.numpy()
    if backend == "jax":
        import jax

        def score(first, rest, trainable, non_trainable):
            logits, _ = head.stateless_call(trainable, non_trainable, [first, *rest], training=False)
            return _score(logits, class_index), logits

        trainable = [v.value for v in head.trainable_variables]
        non_trainable = [v.value for v in head.non_trainable_variables]
        gradient, logits = jax.jit(jax.grad(score, has_aux=True))(values[0], values[1:], trainable, non_trainable)
        return np.asarray(gradient), np.asarray(logits)
    if backend == "torch":
        import torch

        inputs = [keras.ops.convert_to_tensor(v) for v in values]
        first = inputs[0].detach().requires_grad_(True)
        with torch.enable_grad():
            logits = head([first, *inputs[1:]], training=False)
            (gradient,) = torch.autograd.grad(_score(logits, class_index), [first])
        return gradient.detach().cpu().numpy(), logits.detach().cpu().numpy()
    raise NotImplementedError(f"gradients on the {backend!r} backend (supported: tensorflow, jax, torch)")


def _resize(maps, size) -> np.ndarray:
    """Bilinear resize of ``(N, h, w)`` maps to ``(N, *size)``."""
    from keras import ops

    if tuple(maps.shape[1:]) == tuple(size):
        return maps
    resized = ops.image.resize(maps[..., None].astype("float32"), size, interpolation="bilinear", data_format="channels_last")
    return ops.convert_to_numpy(resized)[..., 0]


def _softmax(logits) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)
