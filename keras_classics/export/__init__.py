"""Export to .keras, SavedModel, TFLite and ONNX from any backend, each artifact verified against Keras.

``keras_classics.export(model_or_path, formats, ...)`` is :func:`keras_classics.export.api.export`;
see docs/export.md. The formats themselves are records in :mod:`keras_classics.export.formats`.
Names are imported on first use, so reading the formats does not load Keras.
"""

from __future__ import annotations

from keras_classics.utils.lazy import lazy_names

_MODULES = {
    "formats": ("FORMATS", "QUANTIZATIONS", "TOLERANCE"),
    "api": ("ArtifactReport", "ExportError", "ExportReport", "export"),
}
__getattr__, __dir__, __all__ = lazy_names(__name__, _MODULES, globals())
