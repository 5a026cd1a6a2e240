"""Starting a run from trained weights: the source model, the copy into a new head, and freezing.

Fine-tuning follows timm's ``reset_classifier`` and Keras's transfer-learning guide:

- the network is built for the dataset (its classes, input size and channels) and every
  layer whose name and weight shapes match the source's is copied, except the
  classifier (the last layer with weights before each output), which keeps its fresh
  initialisation: the dataset's classes are new, even when they are as many. Only the
  *head* (the layers after the last stage, see :mod:`keras_classics.features`) may
  differ from the source; a head layer that does not fit keeps its fresh
  initialisation too. Any other mismatch is an error naming the layer;
- grey input from RGB weights: the first convolution's kernel is summed over its input
  channels (timm's ``adapt_input_conv``; an RGB image of equal channels gives the
  same response); other channel counts as timm does it
  (:func:`keras_classics.weights.convert.adapt_input_conv`);
- ``freeze``: ``"none"``, ``"backbone"`` (every layer before the head) or
  ``"stages:N"`` (the layers of the first N stages of :func:`~keras_classics.feature_info`).
  A frozen layer has ``trainable = False``, so a frozen batch normalization runs in
  inference mode and keeps its moving statistics (the Keras rule). In the fine-tuning
  phase every layer trains except those batch normalizations, which stay frozen (Keras's
  transfer-learning guide: a few small batches would otherwise overwrite the source's
  statistics and undo what the first phase learnt on top of them).

The source (``weights``) is a run folder of ``keras-classics train`` (its
``model.keras``), a ``.keras`` file, or anything a builder's ``weights=`` takes
(``"imagenet"``, a named checkpoint, a weights file), built at the dataset's input
size with 3 channels and the builder's default classes.
"""

from __future__ import annotations

import os

from keras_classics._validate import bad_argument

FREEZE_ALLOWED = "'none', 'backbone' or 'stages:N' with N >= 1"


def parse_freeze(freeze):
    """``"none"`` -> 0 stages, ``"backbone"`` -> ``"backbone"``, ``"stages:N"`` -> N; else the library's error."""
    if freeze in (None, "none"):
        return 0
    if freeze == "backbone":
        return "backbone"
    if isinstance(freeze, str) and freeze.startswith("stages:"):
        count = freeze.split(":", 1)[1]
        if count.isdigit() and int(count) >= 1:
            return int(count)
    raise bad_argument("freeze", freeze, FREEZE_ALLOWED)


def source_path(weights):
    """The ``.keras`` file a run folder or ``.keras`` path names, else ``None`` (a builder's ``weights=``)."""
    if not isinstance(weights, (str, os.PathLike)):
        return None
    path = os.fspath(weights)
    if os.path.isdir(path):
        return os.path.join(path, "model.keras")
    return path if path.endswith(".keras") else None


def check_weights_source(weights, model_name):
    """What ``train(weights=...)`` takes for registry network ``model_name``, checked without loading or downloading anything."""
    if weights is None:
        return
    if not isinstance(weights, (str, os.PathLike)):
        raise bad_argument("weights", weights, "None, a run folder, a .keras file, 'imagenet', a named checkpoint or a weights file")
    path = os.fspath(weights)
    if os.path.isdir(path) and not os.path.isfile(os.path.join(path, "model.keras")):
        raise bad_argument("weights", path, "a run folder holding model.keras (a finished keras-classics train run), a .keras file, "
                                            "'imagenet', a named checkpoint or a weights file")
    looks_like_path = os.sep in path or path.endswith((".keras", ".h5", ".pth", ".pt", ".safetensors"))
    if looks_like_path and not os.path.exists(path):
        raise bad_argument("weights", path, "an existing run folder or file, 'imagenet' or a named checkpoint")
    if not looks_like_path and not os.path.exists(path):  # a checkpoint name: one this network has (keras-classics weights)
        from keras_classics.weights.catalogue import names

        named = names(model_name)
        if path not in named:
            raise bad_argument("weights", path, "a run folder, a .keras file, a weights file"
                               + (", or one of " + ", ".join(map(repr, named)) if named else f" ({model_name} has no named checkpoint)"))


def load_source(info, weights, input_shape):
    """The model that holds the source weights (see the module docstring)."""
    import keras

    from keras_classics.utils.shapes import image_shape, spatial_size

    path = source_path(weights)
    if path is not None:
        if not os.path.isfile(path):
            raise bad_argument("weights", os.fspath(weights), "a run folder holding model.keras, or an existing .keras file")
        return keras.saving.load_model(path, compile=False)
    height, _ = spatial_size(input_shape)
    return info.build(input_shape=image_shape(height, 3), weights=weights)


def backbone_layers(model, stages=None) -> set:
    """Names of the layers that compute the first ``stages`` stage ends (all of them if ``None``)."""
    from keras_classics.features import _ancestors, _operation, stage_outputs

    ends = stage_outputs(model)
    if stages is not None and stages > len(ends):
        raise bad_argument("freeze", f"stages:{stages}", f"{FREEZE_ALLOWED}, N at most {len(ends)}, the stages of {model.name} ("
                           + ", ".join(info.layer for _, info in ends) + ")")
    end, _ = ends[(stages or len(ends)) - 1]
    order, _ = _ancestors(end)
    return {_operation(t).name for t in order if getattr(t, "_keras_history", None) is not None}


def copy_weights(source, target, new_head: bool = True) -> list[str]:
    """Copy ``source``'s weights into ``target`` by layer name; returns the head layers left as initialised.

    With ``new_head`` the classifiers (the layers with weights nearest each output)
    are always left as initialised: the dataset's classes are not the source's, even
    when they are as many. Raises naming the layer when a backbone layer is missing
    from the source or does not fit (other than in its input channels, which are adapted).
    """
    backbone = backbone_layers(target)
    first_conv = _first_conv(target)
    by_name = {layer.name: layer for layer in source.layers}
    fresh = []
    classifiers = classifier_layers(target) if new_head else set()
    for layer in target.layers:
        if not layer.weights:
            continue
        if layer.name in classifiers:
            fresh.append(layer.name)
            continue
        mine = [tuple(w.shape) for w in layer.weights]
        theirs = by_name.get(layer.name)
        values = theirs.get_weights() if theirs is not None else None
        if values is not None and [v.shape for v in values] != mine and layer.name == first_conv:
            values = _adapt_input_channels(values, mine)
        if values is not None and [tuple(v.shape) for v in values] == mine:
            layer.set_weights(values)
        elif layer.name in backbone:
            found = "no layer of that name" if theirs is None else f"weight shapes {[tuple(v.shape) for v in theirs.get_weights()]}"
            raise bad_argument("weights", source.name, f"weights of the same network: our layer {layer.name!r} has weight shapes {mine}, "
                                                       f"the source has {found} (trained at another input size? its input is "
                                                       f"{tuple(source.input_shape[1:])})")
        else:
            fresh.append(layer.name)
    return fresh


def classifier_layers(model) -> set:
    """Names of the layers with weights nearest each output (a softmax or other weightless layer after them skipped)."""
    names = set()
    for output in model.outputs:
        tensor = output
        while True:
            layer = tensor._keras_history.operation
            if layer.weights:
                names.add(layer.name)
                break
            node = layer._inbound_nodes[tensor._keras_history.node_index]
            if len(node.input_tensors) != 1:
                break
            tensor = node.input_tensors[0]
    return names


def freeze(model, freeze_spec, batch_norm_only: bool = False) -> int:
    """Make the layers ``freeze_spec`` (:func:`parse_freeze`'s result) names non-trainable, every other trainable.

    ``batch_norm_only``: only the batch normalizations among them (the fine-tuning phase:
    Keras's guide keeps them in inference mode when the rest is unfrozen, so a few small
    batches do not overwrite statistics learnt on the source). Returns how many frozen layers have weights.
    """
    import keras

    for layer in model.layers:
        layer.trainable = True
    if not freeze_spec:
        return 0
    names = backbone_layers(model, None if freeze_spec == "backbone" else freeze_spec)
    frozen = 0
    for layer in model.layers:
        if layer.name in names and (not batch_norm_only or isinstance(layer, keras.layers.BatchNormalization)):
            layer.trainable = False
            frozen += bool(layer.weights)
    return frozen


def _first_conv(model):
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            return layer.name
    return None


def _adapt_input_channels(values, shapes):
    """A first convolution's kernel (and bias) trained on other input channels (the input-channel axis is -2)."""
    from keras_classics.weights.convert import adapt_input_conv

    kernel, *rest = values
    wanted = shapes[0]
    if kernel.ndim != 4 or kernel.shape[:2] != wanted[:2] or kernel.shape[3] != wanted[3] or kernel.shape[2] not in (1, 3):
        return values
    return [adapt_input_conv(kernel, wanted[2]).astype(values[0].dtype), *rest]
