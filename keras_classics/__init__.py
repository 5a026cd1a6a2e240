"""keras-classics: the classic convolutional networks for Keras 3, on TensorFlow, JAX and PyTorch.

Every public name is imported on first use (PEP 562), so ``import keras_classics``
and the command line's ``--help`` do not load Keras or a backend. The custom layers
are still registered with Keras by ``import keras_classics`` (so ``keras.saving.load_model``
reads a ``.keras`` file that holds them): at once if Keras is already loaded, else
right after Keras itself is imported.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys
import types

__version__ = "0.1.0"

# TensorFlow turns its oneDNN CPU kernels on by itself only on CPUs with AVX-512 VNNI/BF16 or AMX;
# elsewhere (AVX2 machines such as this project's) it runs its older kernels, and a ResNet-18 training
# step at 32 px takes 4x as long (docs/performance.md, "oneDNN"). Ask for them unless the user chose
# (``TF_ENABLE_ONEDNN_OPTS=0`` keeps TensorFlow's default) or TensorFlow is already loaded (too late then).
# Runs stay deterministic with them: same seed, same weights (tested).
if "tensorflow" not in sys.modules:
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

# Where each public name other than the builders lives; the builders are
# ``keras_classics.models.__all__``.
_HOMES = {
    "convolutionalize": "keras_classics.convolutionalize",
    "export": "keras_classics.export",
    "feature_extractor": "keras_classics.features",
    "feature_info": "keras_classics.features",
    "gradcam": "keras_classics.explain",
    "saliency": "keras_classics.explain",
    "profile": "keras_classics.cost",
    "get_model": "keras_classics.registry",
    "list_models": "keras_classics.registry",
    "model_info": "keras_classics.registry",
    "transfer_weights": "keras_classics.weights",
    "available_weights": "keras_classics.weights",
    "preprocessing": "keras_classics.weights",
    "preprocess_input": "keras_classics.weights.imagenet",
    "decode_predictions": "keras_classics.weights.imagenet",
    "LocalResponseNormalization": "keras_classics.layers",
}


def _builders() -> list[str]:
    return list(importlib.import_module("keras_classics.models").__all__)


def __getattr__(name: str):
    if name == "__all__":
        return [*_HOMES, *_builders()]
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    elif not name.startswith("_") and name in _builders():
        value = getattr(importlib.import_module("keras_classics.models"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES, *_builders()})


class _Package(types.ModuleType):
    """``keras_classics.export`` and ``keras_classics.convolutionalize`` are functions named like
    the submodules that define them. Importing such a submodule makes Python bind it on its
    package, hiding the function; this keeps the name for :func:`__getattr__` instead."""

    def __setattr__(self, name, value):
        if name in _HOMES and isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}":
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


class _RegisterLayersAfterKeras(importlib.abc.MetaPathFinder):
    """Imports ``keras_classics.layers`` (which registers the custom layers) as soon as ``keras`` is imported."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        sys.meta_path.remove(self)  # one shot; also keeps the look-up below from finding this finder again
        spec = importlib.util.find_spec("keras")
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_register(module):
            exec_module(module)
            importlib.import_module("keras_classics.layers")

        spec.loader.exec_module = exec_then_register
        return spec


if "keras" in sys.modules:
    importlib.import_module("keras_classics.layers")
elif not any(isinstance(finder, _RegisterLayersAfterKeras) for finder in sys.meta_path):
    sys.meta_path.insert(0, _RegisterLayersAfterKeras())
