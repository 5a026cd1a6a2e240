"""``keras_classics.export``: one call writes verified deployment artifacts from any backend.

Each requested format (a record of :mod:`keras_classics.export.formats`) is
written by the current backend where Keras 3 can (its ``native_backends``), otherwise by a TensorFlow-backend subprocess from the
backend-independent ``.keras`` file (one subprocess for all such formats). Each
artifact is written into a staging folder inside the destination, loaded in its
own runtime, run on sample inputs and compared with the Keras outputs of the
calling backend; only an artifact that passes is renamed into place.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

import keras
import numpy as np

from keras_classics._validate import bad_argument, check_bool, check_choice, check_int
from keras_classics.export import runtimes, writers
from keras_classics.export.formats import FORMATS, QUANTIZABLE, QUANTIZATIONS, TOLERANCE, lookup
from keras_classics.utils.models import model_from_spec

DEFAULT_ROOT = "saved_models"
UNKNOWN_SIZE = 224  # sample height/width for a model built with input_shape=(None, None, C)


class ExportError(RuntimeError):
    """An artifact failed its verification, or the TensorFlow-backend subprocess failed."""


@dataclass
class ArtifactReport:
    """One written (or rejected) artifact and how closely it reproduces Keras."""

    format: str
    path: str
    quantize: str | None
    via: str
    size_bytes: int
    max_abs_diff: float
    top1_agreement: float
    tolerance: float
    samples: int

    @property
    def passed(self) -> bool:
        return self.max_abs_diff <= self.tolerance


@dataclass
class ExportReport:
    """What :func:`export` wrote: one :class:`ArtifactReport` per format, in the order asked."""

    model: str
    backend: str
    out_dir: str
    artifacts: list[ArtifactReport] = field(default_factory=list)
    dropped_outputs: int = 0

    def __getitem__(self, fmt: str) -> ArtifactReport:
        for artifact in self.artifacts:
            if artifact.format == fmt:
                return artifact
        raise KeyError(fmt)

    def __iter__(self):
        return iter(self.artifacts)

    @property
    def passed(self) -> bool:
        return all(a.passed for a in self.artifacts)

    def rows(self) -> list[dict]:
        return [
            {
                "format": a.format,
                "file": os.path.basename(a.path),
                "quantize": a.quantize or "float32",
                "via": a.via,
                "size_mb": round(a.size_bytes / 2**20, 3),
                "max_abs_diff": a.max_abs_diff,
                "top1_agreement": a.top1_agreement,
                "tolerance": a.tolerance,
                "verified": "yes" if a.passed else "NO",
            }
            for a in self.artifacts
        ]

    def __str__(self) -> str:
        rows = self.rows()
        header = list(rows[0]) if rows else []
        cells = [[_cell(row[key]) for key in header] for row in rows]
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
        lines = [f"{self.model} ({self.backend} backend) -> {self.out_dir}"]
        if self.dropped_outputs:
            lines.append(f"auxiliary outputs left out of the inference artifacts: {self.dropped_outputs}")
        lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)))
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
        return "\n".join(lines)


def _cell(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def export(
    model_or_path,
    formats=("saved_model", "tflite"),
    out_dir=None,
    quantize=None,
    representative_data=None,
    overwrite=False,
    *,
    via="auto",
    samples=4,
    tolerance=None,
) -> ExportReport:
    """Write ``model_or_path`` in each of ``formats``, verify each artifact, return the report.

    Args:
        model_or_path: a ``keras.Model``, a registry name (``"vgg16"``: a freshly
            built model, random weights) or the path of a ``.keras`` file.
        formats: any of ``"keras"``, ``"saved_model"``, ``"tflite"``, ``"onnx"``
            (a sequence, or one string, comma-separated allowed).
        out_dir: destination folder; default ``saved_models/<model name>/``.
            Files are ``<name>.keras``, ``<name>_saved_model/``,
            ``<name>[_<quantize>].tflite``, ``<name>[_<quantize>].onnx``.
        quantize: ``None`` (float32), ``"float16"``, ``"dynamic"`` (int8
            weights) or ``"int8"`` (int8 weights and activations, calibrated
            on ``representative_data``). Applies to TFLite and ONNX only.
        representative_data: array ``(N, height, width, channels)`` of typical
            inputs: calibrates int8 (at most 100 samples) and, when given,
            supplies the verification inputs. Required with ``quantize="int8"``.
        overwrite: replace existing artifacts; without it an existing target
            raises ``ValueError`` before anything is written.
        via: ``"auto"`` (the current backend where it can, else the TensorFlow
            subprocess) or ``"subprocess"`` (always the subprocess).
        samples: how many inputs the verification runs.
        tolerance: the largest accepted maximum absolute difference (scaled by
            ``max(1, max |Keras output|)``); default 1e-4 for float32 and
            ``TOLERANCE[quantize]`` for a quantized artifact.

    Returns an :class:`ExportReport`. Raises :class:`ExportError` (after writing
    the artifacts that passed) if any artifact differs from Keras by more than
    the tolerance. Inference artifacts carry the main output (``outputs[0]``);
    the ``.keras`` file keeps the whole model, auxiliary heads included.
    """
    formats = _check_formats(formats)
    check_choice("quantize", quantize, QUANTIZATIONS)
    check_bool("overwrite", overwrite)
    check_choice("via", via, ("auto", "subprocess"))
    check_int("samples", samples, minimum=1)
    if tolerance is not None and (isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance <= 0):
        raise bad_argument("tolerance", tolerance, "None or a positive number")
    if quantize is not None and not set(formats) & set(QUANTIZABLE):
        raise bad_argument("quantize", quantize, f"None for formats {', '.join(formats)} (quantization applies to {' and '.join(QUANTIZABLE)})")
    if quantize == "int8" and representative_data is None:
        raise bad_argument("representative_data", None, "an array (N, height, width, channels) of typical inputs to calibrate quantize='int8'")
    backend = keras.backend.backend()
    routes = {fmt: FORMATS[fmt].route(backend, via) for fmt in formats}
    for fmt in formats:
        FORMATS[fmt].require(backend if routes[fmt] == "native" else "tensorflow")

    model, stem = _resolve_model(model_or_path)
    representative = _check_representative(representative_data, model)
    x = representative[:samples] if representative is not None else _random_inputs(model, samples)

    out_dir = os.path.abspath(os.fspath(out_dir) if out_dir is not None else os.path.join(DEFAULT_ROOT, stem))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise bad_argument("out_dir", out_dir, "a folder (this is a file)")
    targets = {fmt: os.path.join(out_dir, FORMATS[fmt].artifact(stem, quantize)) for fmt in formats}
    existing = [path for path in targets.values() if os.path.lexists(path)]
    if existing and not overwrite:
        raise bad_argument("overwrite", overwrite, f"True (--overwrite) to replace {', '.join(existing)}, or another out_dir")

    expected = _outputs(model, x)
    main = writers.inference_model(model, x[:1])
    report = ExportReport(model=stem, backend=backend, out_dir=out_dir, dropped_outputs=len(expected) - 1)
    created = not os.path.isdir(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".export-", dir=out_dir)
    try:
        staged = {fmt: os.path.join(staging, os.path.basename(path)) for fmt, path in targets.items()}
        vias = _write_all(model, main, x[:1], formats, routes, staged, staging, quantize, representative)
        for fmt in formats:
            try:
                got = runtimes.run_artifact(fmt, staged[fmt], x)
            except Exception as err:
                raise ExportError(f"{fmt}: the artifact does not run in its runtime (nothing was written): {type(err).__name__}: {str(err)[:500]}") from err
            reference = expected if FORMATS[fmt].whole_model else expected[:1]
            if len(got) < len(reference):
                raise ExportError(f"{fmt}: the artifact has {len(got)} outputs, Keras {len(reference)} (nothing was written)")
            pairs = [runtimes.agreement(e, g) for e, g in zip(reference, got)]
            level = quantize if FORMATS[fmt].quantizable else None
            scale = max(1.0, float(np.max(np.abs(reference[0]))))
            report.artifacts.append(
                ArtifactReport(
                    format=fmt,
                    path=targets[fmt],
                    quantize=level,
                    via=vias[fmt],
                    size_bytes=disk_size(staged[fmt]),
                    max_abs_diff=max(p[0] for p in pairs),
                    top1_agreement=pairs[0][1],
                    tolerance=(tolerance or TOLERANCE[level]) * scale,
                    samples=len(x),
                )
            )
        for artifact in report.artifacts:
            if artifact.passed:
                _commit(staged[artifact.format], artifact.path, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not os.listdir(out_dir):
            os.rmdir(out_dir)
    if not report.passed:
        failed = ", ".join(a.format for a in report.artifacts if not a.passed)
        raise ExportError(f"{failed}: the artifact's outputs differ from Keras beyond the tolerance (not written)\n{report}")
    return report


def _check_formats(formats) -> tuple[str, ...]:
    if isinstance(formats, str):
        formats = formats.split(",")
    if not isinstance(formats, (list, tuple)) or not formats:
        raise bad_argument("formats", formats, "a non-empty list of " + ", ".join(FORMATS))
    chosen = []
    for fmt in formats:
        record = lookup(fmt)
        if record is None:
            raise bad_argument("formats", fmt, "any of " + ", ".join(repr(f) for f in FORMATS))
        if record.name not in chosen:
            chosen.append(record.name)
    return tuple(chosen)


def _resolve_model(model_or_path):
    """``(model, stem)``: the Keras model and the name its artifacts are called by."""
    if isinstance(model_or_path, keras.Model):
        return model_or_path, _safe(model_or_path.name)
    if not isinstance(model_or_path, (str, os.PathLike)):
        raise bad_argument("model_or_path", type(model_or_path).__name__, "a keras.Model, a registry name or the path of a .keras file")
    model, stem = model_from_spec(model_or_path, argument="model_or_path")
    return model, _safe(stem)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "model"


def _input_shape(model) -> tuple:
    if len(model.inputs) != 1:
        raise bad_argument("model_or_path", f"a model with {len(model.inputs)} inputs", "a model with one image input")
    shape = tuple(model.inputs[0].shape[1:])
    return tuple(UNKNOWN_SIZE if d is None else d for d in shape)


def _check_representative(data, model):
    if data is None:
        return None
    shape = _input_shape(model)
    declared = tuple(model.inputs[0].shape[1:])
    try:
        array = np.asarray(data, dtype="float32")
    except (TypeError, ValueError):
        raise bad_argument("representative_data", type(data).__name__, f"an array of shape (N, {', '.join(map(str, shape))})") from None
    if array.ndim != len(shape) + 1 or len(array) == 0 or any(d is not None and d != a for d, a in zip(declared, array.shape[1:])):
        raise bad_argument("representative_data", f"an array of shape {array.shape}", f"an array of shape (N, {', '.join(map(str, shape))}) with N >= 1")
    return array


def _random_inputs(model, samples):
    return np.random.default_rng(0).uniform(-1.0, 1.0, size=(samples, *_input_shape(model))).astype("float32")


def _outputs(model, x) -> list[np.ndarray]:
    outputs = model(x, training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in outputs]


def _write_all(model, main, main_sample, formats, routes, staged, staging, quantize, representative) -> dict[str, str]:
    """Write every staged artifact; returns how each was written."""
    backend = keras.backend.backend()
    # A format quantized after writing (ONNX) is written in float32 first, then quantized into place.
    requantized = [fmt for fmt in formats if quantize and FORMATS[fmt].quantizable and FORMATS[fmt].requantize]
    paths = {fmt: os.path.join(staging, "float32-" + os.path.basename(path)) if fmt in requantized else path for fmt, path in staged.items()}
    vias, remote = {}, []
    for fmt in formats:
        record = FORMATS[fmt]
        if routes[fmt] == "subprocess":
            remote.append(fmt)
            vias[fmt] = "tensorflow subprocess"
            continue
        try:
            record.write(model if record.whole_model else main, paths[fmt], record.quantize_in_writer(quantize), representative)
            vias[fmt] = f"{backend} in process"
        except Exception as err:
            if not record.via_worker:
                raise
            _discard(paths[fmt])
            remote.append(fmt)
            vias[fmt] = f"tensorflow subprocess ({backend} export failed: {type(err).__name__})"
    if remote:
        _run_worker(model, main_sample, staged, paths, remote, staging, quantize, representative)
    for fmt in requantized:
        FORMATS[fmt].requantize(paths[fmt], staged[fmt], quantize, representative)
    return vias


def _run_worker(model, sample, staged, paths, formats, staging, quantize, representative):
    """Write ``formats`` in one ``KERAS_BACKEND=tensorflow`` subprocess, from a ``.keras`` file."""
    keras_path = staged.get("keras") if os.path.isfile(staged.get("keras", "")) else os.path.join(staging, "worker-input.keras")
    if not os.path.isfile(keras_path):
        model.save(keras_path)
    spec = {
        "model": keras_path,
        "sample": os.path.join(staging, "sample.npy"),
        "representative": None,
        "artifacts": [{"format": fmt, "path": paths[fmt], "quantize": FORMATS[fmt].quantize_in_writer(quantize)} for fmt in formats],
    }
    np.save(spec["sample"], sample)
    if representative is not None and quantize == "int8":
        spec["representative"] = os.path.join(staging, "representative.npy")
        np.save(spec["representative"], representative[: writers.CALIBRATION_SAMPLES])
    spec_path = os.path.join(staging, "worker.json")
    with open(spec_path, "w", encoding="utf-8") as handle:
        json.dump(spec, handle)
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    done = subprocess.run([sys.executable, "-m", "keras_classics.export.worker", spec_path], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise ExportError(f"the TensorFlow-backend export of {', '.join(formats)} failed (nothing was written):\n{tail}")


def _commit(staged, target, staging):
    """Rename ``staged`` to ``target``; an existing target is moved into ``staging`` first (deleted with it)."""
    if os.path.lexists(target):
        os.replace(target, os.path.join(staging, ".replaced-" + os.path.basename(target)))
    os.replace(staged, target)


def _discard(path):
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def disk_size(path) -> int:
    """Bytes on disk of a file, or of everything under a folder."""
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)
    return os.path.getsize(path)
