"""The export formats, one record each: a new format is a new :class:`Format`, not a branch in every file.

A record says what its artifact is called, which backends' Keras writes it in
process (the others go through the TensorFlow-backend worker), whether it can be
quantized and how, what it needs installed, and how it is written and loaded.
Importing this module loads neither Keras nor NumPy (the command line's ``--help``
reads it).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from typing import Callable, Optional

from keras_classics.export import runtimes, writers

QUANTIZATIONS = (None, "float16", "dynamic", "int8")
# Largest allowed |artifact - Keras| on the outputs, times max(1, max |Keras output|)
# so that logits are held to the same relative standard as probabilities.
TOLERANCE = {None: 1e-4, "float16": 1e-2, "dynamic": 1e-1, "int8": 1e-1}
EXTRA_HINT = "pip install keras-classics[export]"
BACKENDS = ("tensorflow", "jax", "torch")


@dataclass(frozen=True)
class Format:
    """One export format.

    ``write(model, path, quantize, representative)`` writes the artifact from a
    model on the current backend (``quantize`` is None unless ``quantize_in_writer``);
    ``load(path, num_threads)`` returns ``predict(x) -> list of arrays``.
    ``requantize(float32_path, path, quantize, representative)``, when set, writes the
    quantized artifact from the float32 one the writer made.
    """

    name: str
    suffix: str  # the artifact is <stem>[_<quantize>]<suffix>
    write: Callable
    load: Callable
    native_backends: frozenset  # whose Keras writes it in process; the others use the worker
    quantizable: bool = False
    requantize: Optional[Callable] = None
    whole_model: bool = False  # written with every output (auxiliary heads), else the main output only
    via_worker: bool = True  # False: always written in process (the worker itself reads a .keras file)
    needs: tuple = ()  # pip packages to write and run it, whoever writes it
    writer_needs: dict = field(default_factory=dict)  # writing backend -> further pip packages
    aliases: tuple = ()

    def artifact(self, stem: str, quantize=None) -> str:
        """The artifact's file or folder name."""
        return f"{stem}_{quantize}{self.suffix}" if quantize and self.quantizable else f"{stem}{self.suffix}"

    def quantize_in_writer(self, quantize):
        """What the writer is told to quantize to (``None``: write float32)."""
        return quantize if self.quantizable and self.requantize is None else None

    def route(self, backend: str, via: str) -> str:
        """``"native"`` (this process writes it) or ``"subprocess"`` (the TensorFlow-backend worker)."""
        native = not self.via_worker or (via == "auto" and backend in self.native_backends)
        return "native" if native else "subprocess"

    def missing_packages(self, writing_backend: str = "tensorflow") -> list[str]:
        """The pip names of what writing it on ``writing_backend`` and running it needs and is not installed."""
        needs = (*self.needs, *self.writer_needs.get(writing_backend, ()))
        return [package for package in needs if importlib.util.find_spec(package) is None]

    def require(self, writing_backend: str = "tensorflow") -> None:
        missing = self.missing_packages(writing_backend)
        if missing:
            raise ImportError(
                f"`formats`: {self.name!r} needs the package(s) {', '.join(missing)}, which are not installed; "
                f"install them with `{EXTRA_HINT}`."
            )


# What Keras 3.15 exports from each backend without help. JAX: SavedModel via
# jax2tf, but no LiteRT converter, and ONNX would need jax2onnx (thirty-odd
# packages). PyTorch: ONNX via torch.onnx; SavedModel export fails on plain
# functional models, LiteRT needs litert-torch.
FORMATS = {
    f.name: f
    for f in (
        Format(
            "keras", ".keras", writers.write_keras, runtimes.load_keras, frozenset(BACKENDS),
            whole_model=True, via_worker=False,
        ),
        Format(
            "saved_model", "_saved_model", writers.write_saved_model, runtimes.load_saved_model, frozenset({"tensorflow", "jax"}),
            needs=("tensorflow",), aliases=("tf_saved_model", "savedmodel"),
        ),
        Format(
            "tflite", ".tflite", writers.write_tflite, runtimes.load_tflite, frozenset({"tensorflow"}),
            quantizable=True, needs=("tensorflow",), aliases=("litert",),
        ),
        Format(
            "onnx", ".onnx", writers.write_onnx, runtimes.load_onnx, frozenset({"tensorflow", "torch"}),
            quantizable=True, requantize=writers.quantize_onnx,
            needs=("onnx", "onnxruntime"), writer_needs={"tensorflow": ("tf2onnx",)},
        ),
    )
}
QUANTIZABLE = tuple(name for name, f in FORMATS.items() if f.quantizable)


def lookup(name) -> Optional[Format]:
    """The format called ``name`` or one of its aliases (any case), else None."""
    name = str(name).strip().lower()
    return next((f for f in FORMATS.values() if name == f.name or name in f.aliases), None)
