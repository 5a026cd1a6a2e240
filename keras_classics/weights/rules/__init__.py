"""Our layer names -> a torchvision / timm state_dict's keys, one small rule per family.

Each family module (``resnet.py``, ``vgg.py``, ...) exposes ``RULES``: registry name ->
a function ``model -> mapping`` (key -> ``(layer name, slot)``, as
:func:`keras_classics.weights.convert.load_state_dict` takes it) for torchvision's
keys, and ``TIMM_RULES`` likewise where timm's keys differ (where they are the same,
as for ResNet and DenseNet, the torchvision rule serves both).
"""

from __future__ import annotations

import functools
import importlib

FAMILIES = ("alexnet", "vgg", "resnet", "densenet", "inception")
# our weight slot -> the PyTorch parameter (or buffer) name
TORCH_SLOTS = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"}


def by_layer_names(model, module_of, heads=()) -> dict:
    """The mapping for every weighted layer of ``model`` whose name ``module_of`` turns into a PyTorch module path.

    ``heads`` are the source's classifier modules (``Linear``): those the model was
    built without (``include_top=False``) map to ``None``, so a full checkpoint
    loads into a headless model. A layer ``module_of`` does not know (returns
    ``None``) is left out, and the converter names its weights as missing.
    """
    from keras_classics.weights.applications import weighted_layers

    mapping, present = {}, set()
    for layer in weighted_layers(model):
        module = module_of(layer.name)
        if module is None:
            continue
        present.add(module)
        for variable in layer.weights:
            mapping[f"{module}.{TORCH_SLOTS[variable.name]}"] = (layer.name, variable.name)
    for module in heads:
        if module not in present:
            mapping.update({f"{module}.weight": None, f"{module}.bias": None})
    return mapping


@functools.lru_cache(maxsize=1)
def _tables():
    rules, timm_rules = {}, {}
    for family in FAMILIES:
        try:
            module = importlib.import_module(f"{__name__}.{family}")
        except ModuleNotFoundError as err:  # a family without rules yet
            if err.name != f"{__name__}.{family}":
                raise
            continue
        rules.update(module.RULES)
        timm_rules.update(getattr(module, "TIMM_RULES", {}))
    return rules, timm_rules


def has_rule(name: str) -> bool:
    return name in _tables()[0]


def mapping_for(name: str, model, keys, source=None) -> dict:
    """The mapping for registry network ``name``'s ``model`` and a state_dict with ``keys``.

    ``source`` is ``"torchvision"`` or ``"timm"``; ``None`` infers it from the keys
    (the first rule that maps every key; the torchvision rule if none does, so the
    converter names the stray tensor).
    """
    rules, timm_rules = _tables()
    if source == "timm":
        return (timm_rules.get(name) or rules[name])(model)
    candidates = [rules[name]] + ([timm_rules[name]] if source is None and name in timm_rules else [])
    mappings = [rule(model) for rule in candidates]
    keys = [key for key in keys if not key.endswith("num_batches_tracked")]
    return next((mapping for mapping in mappings if all(key in mapping for key in keys)), mappings[0])
