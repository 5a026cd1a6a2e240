"""Activation by name: ``activation("relu")`` -> a factory ``(name) -> Layer``.

Every activation Keras has is valid (``relu``, ``tanh``, ``sigmoid``, ``gelu``,
``silu`` ...), plus ``prelu`` (a learnable slope per channel, He et al. 2015)
and ``scaled_tanh``, LeCun's ``1.7159 * tanh(2/3 * x)`` from the 1998 LeNet
paper. ``None``, ``""`` and ``"linear"`` mean "no layer"; a callable taking a
layer name and returning a layer passes through.
"""

from __future__ import annotations

from typing import Callable, Optional

import keras

from keras_classics._validate import normalise_name

ActFactory = Callable[[str], keras.layers.Layer]


@keras.saving.register_keras_serializable(package="keras_classics")
def scaled_tanh(x):
    """LeCun et al. 1998, Appendix A: ``f(a) = A tanh(S a)``, A = 1.7159, S = 2/3."""
    return 1.7159 * keras.ops.tanh(x * (2.0 / 3.0))


_KERAS_ACTIVATIONS = (
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "swish", "mish",
    "tanh", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "log_sigmoid",
    "softplus", "softsign", "squareplus", "sparse_plus", "tanh_shrink", "exponential",
)
ACTIVATIONS = _KERAS_ACTIVATIONS + ("prelu", "scaled_tanh", "none")
_BY_KEY = {normalise_name(a): a for a in ACTIVATIONS} | {"linear": "none", "identity": "none"}


class _NamedActivation:
    def __init__(self, kind: str):
        self.kind = kind
        self.suffix = kind

    def __call__(self, name: str) -> keras.layers.Layer:
        if self.kind == "prelu":
            return keras.layers.PReLU(shared_axes=[1, 2], name=name)
        if self.kind == "scaled_tanh":
            return keras.layers.Activation(scaled_tanh, name=name)
        return keras.layers.Activation(self.kind, name=name)

    def __repr__(self):
        return f"activation({self.kind!r})"


def canonical_activation_name(act: str) -> str:
    kind = _BY_KEY.get(normalise_name(act))
    if kind is None:
        raise ValueError(
            f"`activation`: received {act!r}; allowed: one of {', '.join(ACTIVATIONS)}, None, or a callable name -> layer."
        )
    return kind


def activation(act) -> Optional[ActFactory]:
    """Resolve ``act`` (name, ``None`` or callable) to a factory or ``None``."""
    if act is None or act == "":
        return None
    if isinstance(act, _NamedActivation) or (callable(act) and not isinstance(act, str)):
        return act
    if not isinstance(act, str):
        raise ValueError(f"`activation`: received {act!r}; allowed: a name ({', '.join(ACTIVATIONS)}), None, or a callable.")
    kind = canonical_activation_name(act)
    return None if kind == "none" else _NamedActivation(kind)


def activation_suffix(factory) -> str:
    return getattr(factory, "suffix", "act")
