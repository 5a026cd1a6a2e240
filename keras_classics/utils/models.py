""""A registry name or a ``.keras`` file": the one way every command turns that into a model."""

from __future__ import annotations

import os
import zipfile


def is_model_file(spec) -> bool:
    """Whether ``spec`` names a file rather than a registry entry (it exists, has a Keras suffix or a folder in it)."""
    path = os.fspath(spec)
    return os.path.exists(path) or path.endswith((".keras", ".h5")) or os.sep in path or (os.altsep or os.sep) in path


def load_model_file(path, *, argument: str = "model", compile: bool = True):
    """Load a ``.keras`` file; any failure (missing, corrupt, not a model) is one ``ValueError`` naming ``argument`` and the file."""
    import keras

    import keras_classics.layers  # noqa: F401  (registers the custom layers)
    from keras_classics.layers import torch_fast
    from keras_classics._validate import bad_argument

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise bad_argument(argument, path, "a registry name (keras-classics list) or the path of an existing .keras file")
    if path.endswith(".keras") and not zipfile.is_zipfile(path):  # Keras would say "File not found" of a file that exists
        raise bad_argument(argument, path, f"a .keras file saved by Keras (a zip archive); this one is truncated or corrupt ({_size(path)}, not a zip archive)")
    try:
        model = keras.saving.load_model(path, compile=compile)
    except Exception as err:  # zip, JSON, h5py or deserialization errors all mean "not a usable Keras model"
        raise bad_argument(argument, path, f"a model file saved by Keras (.keras); loading it failed ({_reason(err)})") from None
    if not isinstance(model, keras.Model):
        raise bad_argument(argument, path, "a file holding a keras.Model")
    torch_fast.accelerate(model)
    return model


def load_weights_file(model, path, *, argument: str = "path"):
    """``model.load_weights(path)`` (a ``.weights.h5`` or ``.keras`` file); a missing, truncated, corrupt or
    mismatched file is one ``ValueError`` naming ``argument`` and the file instead of an h5py, zip or shape error."""
    from keras_classics._validate import bad_argument

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise bad_argument(argument, path, "an existing weights file (.weights.h5 or .keras)")
    try:
        model.load_weights(path)
    except Exception as err:
        raise bad_argument(argument, path, f"weights saved by Keras for this model ({_size(path)}; loading them failed: {_reason(err)})") from None


def _size(path) -> str:
    return f"{os.path.getsize(path):,} bytes"


def _reason(err) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:300]}"


def model_from_spec(spec, *, argument: str = "model", input_size=None, compile: bool = True, **build_kwargs):
    """``(model, name)`` for a registry name (built with ``build_kwargs``, at ``input_size`` if given) or a ``.keras`` path.

    ``name`` is the registry name or the file's stem. Errors name ``argument``.
    """
    from keras_classics._validate import bad_argument

    if not isinstance(spec, (str, os.PathLike)):
        raise bad_argument(argument, type(spec).__name__, "a registry name or the path of a .keras file")
    if is_model_file(spec):
        path = os.fspath(spec)
        return load_model_file(path, argument=argument, compile=compile), os.path.splitext(os.path.basename(path))[0]
    from keras_classics.registry import model_info

    try:
        info = model_info(spec)
    except ValueError as err:
        raise ValueError(str(err).replace("`name`", f"`{argument}`", 1)) from None
    if input_size is not None:
        from keras_classics.utils.shapes import image_shape

        build_kwargs = {"input_shape": image_shape(input_size, info.channels), **build_kwargs}
    return info.build(**build_kwargs), info.name
