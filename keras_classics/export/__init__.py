"""Export to .keras, SavedModel, TFLite and ONNX from any backend, each artifact verified against Keras.

``keras_classics.export(model_or_path, formats, ...)`` is :func:`keras_classics.export.api.export`;
see docs/export.md.
"""

from keras_classics.export.api import FORMATS, QUANTIZATIONS, TOLERANCE, ArtifactReport, ExportError, ExportReport, export

__all__ = ["FORMATS", "QUANTIZATIONS", "TOLERANCE", "ArtifactReport", "ExportError", "ExportReport", "export"]
