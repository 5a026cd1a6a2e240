"""Classifier heads and global pooling, shared by every network."""

from __future__ import annotations

import keras

from keras_classics.layers.activation import activation as resolve_activation
from keras_classics.layers.activation import activation_suffix


def global_pool(x, pooling):
    """``"avg"`` or ``"max"`` global pooling (named ``avg_pool`` / ``max_pool`` as in
    keras.applications), or ``x`` unchanged for ``None``."""
    if pooling == "avg":
        return keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if pooling == "max":
        return keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
    return x


def dense_head(x, hidden_units, classes, classifier_activation, *, dropout=0.5, act="relu", names=None, flatten=True):
    """Flatten, then ``Dense -> activation -> Dropout`` per hidden layer, then the classifier.

    Args:
        hidden_units: widths of the hidden dense layers, e.g. ``(4096, 4096)``.
        dropout: rate after each hidden layer (0 for none).
        names: names of the dense layers, hidden then classifier (defaults ``fc1``, ``fc2``, ..., ``predictions``).
    """
    act = resolve_activation(act)
    names = list(names or [f"fc{i + 1}" for i in range(len(hidden_units))] + ["predictions"])
    if flatten:
        x = keras.layers.Flatten(name="flatten")(x)
    for units, layer_name in zip(hidden_units, names):
        x = keras.layers.Dense(units, name=layer_name)(x)
        if act is not None:
            x = act(f"{layer_name}_{activation_suffix(act)}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"{layer_name}_dropout")(x)
    return keras.layers.Dense(classes, activation=classifier_activation, name=names[-1])(x)
