"""Export to .keras, SavedModel, TFLite and ONNX from any backend, each artifact verified against Keras.

``keras_classics.export(model_or_path, formats, ...)`` is :func:`keras_classics.export.api.export`;
see docs/export.md. The formats themselves are records in :mod:`keras_classics.export.formats`.
Names are imported on first use, so reading the formats does not load Keras.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "FORMATS": "formats",
    "QUANTIZATIONS": "formats",
    "TOLERANCE": "formats",
    "ArtifactReport": "api",
    "ExportError": "api",
    "ExportReport": "api",
    "export": "api",
}
__all__ = list(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
