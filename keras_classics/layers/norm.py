"""Normalization by name: ``norm("batch")`` -> a factory ``(channels, name) -> Layer``.

Valid names: ``batch``, ``layer``, ``instance``, ``group``, ``lrn``, ``none``.
Spellings are normalised (``"BatchNorm"``, ``"batch_norm"`` and ``"bn"`` are all
``batch``). ``None`` or ``""`` mean "no layer"; a callable taking
``(channels, name)`` and returning a layer passes through unchanged.

- ``layer`` normalises over the channel axis at each position (as timm's
  ``LayerNorm2d`` and ConvNeXt do), not over the whole feature map.
- ``instance`` is ``GroupNormalization(groups=-1)``.
- ``group`` is ``GroupNormalization(groups=32)``; when 32 does not divide the
  channel count the largest divisor of it below 32 is used.
- ``lrn`` is AlexNet's :class:`LocalResponseNormalization`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import keras

from keras_classics._validate import normalise_name
from keras_classics.layers.axis import channel_axis
from keras_classics.layers.lrn import LocalResponseNormalization

NormFactory = Callable[[int, str], keras.layers.Layer]


def _batch(channels, name, epsilon=1e-3, momentum=0.99, **kwargs):
    return keras.layers.BatchNormalization(axis=channel_axis(), epsilon=epsilon, momentum=momentum, name=name, **kwargs)


def _layer(channels, name, epsilon=1e-3, **kwargs):
    return keras.layers.LayerNormalization(axis=channel_axis(), epsilon=epsilon, name=name, **kwargs)


def _group(channels, name, groups=32, epsilon=1e-3, **kwargs):
    groups = max(g for g in range(1, min(groups, channels) + 1) if channels % g == 0)
    return keras.layers.GroupNormalization(groups=groups, axis=channel_axis(), epsilon=epsilon, name=name, **kwargs)


def _instance(channels, name, epsilon=1e-3, **kwargs):
    return keras.layers.GroupNormalization(groups=-1, axis=channel_axis(), epsilon=epsilon, name=name, **kwargs)


def _lrn(channels, name, **kwargs):
    return LocalResponseNormalization(name=name, **kwargs)


@dataclass(frozen=True)
class NormKind:
    """A row of ``NORMS``: how to make the layer, its layer-name suffix, the network settings it takes."""

    make: Optional[Callable]
    suffix: str
    settings: tuple[str, ...] = ()  # what :func:`network_norm` may set: a paper's epsilon, momentum, scale


NORMS = {
    "batch": NormKind(_batch, "bn", ("epsilon", "momentum", "center", "scale")),
    "layer": NormKind(_layer, "ln", ("epsilon", "center", "scale")),
    "instance": NormKind(_instance, "in", ("epsilon", "center", "scale")),
    "group": NormKind(_group, "gn", ("epsilon", "center", "scale")),
    "lrn": NormKind(_lrn, "lrn"),  # its constants (k, n, alpha, beta) are AlexNet's, not a network's setting
    "none": NormKind(None, ""),
}

_ALIASES = {
    "batch": "batch", "batchnorm": "batch", "batchnormalization": "batch", "bn": "batch",
    "layer": "layer", "layernorm": "layer", "layernormalization": "layer", "ln": "layer",
    "instance": "instance", "instancenorm": "instance", "instancenormalization": "instance", "in": "instance",
    "group": "group", "groupnorm": "group", "groupnormalization": "group", "gn": "group",
    "lrn": "lrn", "localresponsenorm": "lrn", "localresponsenormalization": "lrn",
    "none": "none", "identity": "none",
}


class _NamedNorm:
    """A norm factory made from a name; keeps the name for reprs and layer names."""

    def __init__(self, kind: str, **layer_kwargs):
        self.kind = kind
        self._make, self.suffix = NORMS[kind].make, NORMS[kind].suffix
        self.layer_kwargs = layer_kwargs

    def __call__(self, channels: int, name: str) -> keras.layers.Layer:
        return self._make(channels, name, **self.layer_kwargs)

    def __repr__(self):
        return f"norm({self.kind!r}, **{self.layer_kwargs})"


def canonical_norm_name(norm: str) -> str:
    key = _ALIASES.get(normalise_name(norm))
    if key is None:
        raise ValueError(
            f"`norm`: received {norm!r}; allowed: one of {', '.join(NORMS)} "
            "(any spelling such as 'BatchNorm', 'batch_norm' or 'bn'), None, or a callable (channels, name) -> layer."
        )
    return key


def norm(norm, **layer_kwargs) -> Optional[NormFactory]:
    """Resolve ``norm`` (name, ``None`` or callable) to a factory or ``None``.

    ``layer_kwargs`` (``epsilon``, ``momentum``, ``scale``, ``groups`` ...) are
    passed to the Keras layer each time the factory makes one, so a builder sets
    its paper's epsilon once at the top.
    """
    if norm is None or norm == "":
        return None
    if isinstance(norm, _NamedNorm):
        return _NamedNorm(norm.kind, **{**norm.layer_kwargs, **layer_kwargs}) if layer_kwargs else norm
    if callable(norm):
        return norm
    if not isinstance(norm, str):
        raise ValueError(f"`norm`: received {norm!r}; allowed: a name ({', '.join(NORMS)}), None, or a callable.")
    kind = canonical_norm_name(norm)
    return None if kind == "none" else _NamedNorm(kind, **layer_kwargs)


def network_norm(norm_name, **settings) -> Optional[NormFactory]:
    """Resolve ``norm_name`` with a network's ``settings`` (``epsilon``, ``momentum``, ``scale``).

    A builder states its paper's constants once; a named norm gets those its kind
    takes (``NormKind.settings``), the others (``lrn``) and callables are left as they are.
    """
    factory = norm(norm_name)
    kind = getattr(factory, "kind", None)
    taken = {key: value for key, value in settings.items() if kind in NORMS and key in NORMS[kind].settings}
    return norm(factory, **taken) if taken else factory


def norm_suffix(factory) -> str:
    return getattr(factory, "suffix", "norm")
