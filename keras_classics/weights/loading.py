"""What a builder's ``weights=`` means, and reading a PyTorch state_dict from a file.

``weights`` is ``None``; a Keras file (``.weights.h5``, ``.h5``, ``.keras``); a
PyTorch state_dict of the same architecture from torchvision or timm (``.pth``,
``.pt``, ``.bin``: needs torch; ``.safetensors``: read with ``safetensors.numpy``,
no torch); or a checkpoint name of :mod:`keras_classics.weights.catalogue`
(``"imagenet"``, ``"torchvision"``, ``"torchvision:IMAGENET1K_V2"``, ``"timm:<tag>"``).
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from keras_classics._validate import bad_argument
from keras_classics.weights import applications, catalogue, download, rules
from keras_classics.weights.convert import load_state_dict

TORCH_FILES = (".pth", ".pt", ".bin")
STATE_DICT_FILES = TORCH_FILES + (".safetensors",)
CLASSIFIER = "predictions"  # every head's last dense layer (keras_classics.layers.heads)


def is_state_dict_file(path) -> bool:
    return isinstance(path, (str, os.PathLike)) and os.fspath(path).lower().endswith(STATE_DICT_FILES)


def read_state_dict(path) -> dict:
    """The tensors of a ``.safetensors`` or PyTorch file as NumPy arrays, by key."""
    path = os.fspath(path)
    name = os.path.basename(path)
    if path.lower().endswith(".safetensors"):
        try:
            from safetensors.numpy import load_file
        except ImportError as err:
            raise bad_argument("weights", path, "a .safetensors file once safetensors is installed (pip install 'keras-classics[weights]')") from err
        try:
            return dict(load_file(path))
        except Exception as err:
            raise ValueError(f"`weights`: could not read {name!r} as safetensors ({str(err)[:200]}); allowed: a .safetensors state_dict of this architecture.") from err
    try:
        import torch
    except ImportError as err:
        raise bad_argument("weights", path, "a .pth/.pt file only where PyTorch is installed (or the same tensors as .safetensors)") from err
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(f"`weights`: could not read {name!r} with torch.load ({str(err).splitlines()[0][:200]}); allowed: a PyTorch state_dict file of this architecture.") from err
    for wrapper in ("state_dict", "model"):  # training checkpoints nest it
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise ValueError(f"`weights`: {name!r} holds a {type(state).__name__}, not a state_dict of tensors; allowed: a PyTorch state_dict file of this architecture.")
    return {
        key: (value.detach().float() if value.is_floating_point() else value.detach()).cpu().numpy()
        for key, value in state.items()
    }


def _drop_other_classifier(model, state_dict, mapping):
    """A classifier of another class count is not loaded: it keeps its initial weights, with a warning."""
    kernel_key = next((key for key, target in mapping.items() if target == (CLASSIFIER, "kernel")), None)
    if kernel_key not in state_dict:
        return mapping, ()
    units = model.get_layer(CLASSIFIER).units
    if np.shape(state_dict[kernel_key])[0] == units:
        return mapping, ()
    warnings.warn(
        f"The checkpoint's classifier has {np.shape(state_dict[kernel_key])[0]} classes and {model.name!r} has {units}: "
        f"its layer {CLASSIFIER!r} keeps its initial weights (train it, or build with include_top=False).",
        stacklevel=4,
    )
    return {key: None if target and target[0] == CLASSIFIER else target for key, target in mapping.items()}, (CLASSIFIER,)


def load_state_dict_file(model, path, architecture, *, source=None, label=None) -> None:
    """Load a torchvision / timm state_dict file of registry network ``architecture`` into ``model``."""
    state_dict = read_state_dict(path)
    mapping = rules.mapping_for(architecture, model, state_dict, source)
    mapping, keep = _drop_other_classifier(model, state_dict, mapping)
    load_state_dict(model, state_dict, mapping, source=label or os.path.basename(os.fspath(path)), keep=keep)


def allowed(architecture, pretrained=None) -> str:
    """The ``allowed:`` part of a bad ``weights`` message for a network."""
    named = catalogue.names(architecture)
    if not named and pretrained:
        return "None, 'imagenet' (keras.applications' weights), or a path to a weights file"
    if not named:
        return "None or a path to a weights file (this configuration has no published weights)"
    return "None, " + ", ".join(map(repr, named)) + ", or a path to a weights file"


def check(weights, *, architecture=None, pretrained=None):
    """Raise ``ValueError`` unless ``weights`` is something this network can load (the file is not read yet)."""
    if weights is None or (weights == "imagenet" and pretrained):
        return
    if not isinstance(weights, (str, os.PathLike)):
        raise bad_argument("weights", weights, allowed(architecture, pretrained))
    if catalogue.is_checkpoint_name(weights):
        row = catalogue.find(architecture, weights) if architecture else None
        if row is None or row.source == "keras":
            raise bad_argument("weights", weights, allowed(architecture, pretrained))
        return
    if not os.path.isfile(weights):
        raise bad_argument("weights", os.fspath(weights), "None, 'imagenet' where available, or a path to an existing weights file")
    if is_state_dict_file(weights) and not (architecture and rules.has_rule(architecture)):
        raise bad_argument(
            "weights", os.fspath(weights),
            "a Keras weights file (this configuration has no torchvision or timm counterpart to read a PyTorch state_dict for)",
        )


def load(model, weights, *, architecture=None, pretrained=None, include_top=True) -> None:
    """Load ``weights`` (checked by :func:`check`) into ``model``."""
    if weights is None:
        return
    if weights == "imagenet" and pretrained:
        applications.load_imagenet(model, pretrained, include_top)
    elif catalogue.is_checkpoint_name(weights):
        row = catalogue.find(architecture, weights)
        load_state_dict_file(model, download.fetch_checkpoint(row), architecture, source=row.source, label=row.key)
    elif is_state_dict_file(weights):
        load_state_dict_file(model, weights, architecture)
    else:
        applications.load_file(model, weights)
