"""Loading each artifact in its own runtime and running it, and what each format needs installed.

SavedModel runs in TensorFlow, TFLite in the LiteRT interpreter (``ai-edge-litert``;
TensorFlow's deprecated ``tf.lite.Interpreter`` where LiteRT is absent), ONNX in
ONNX Runtime, ``.keras`` in Keras on the current backend. Each format's record in
:mod:`keras_classics.export.formats` names its loader here (and what it needs installed).
NumPy and the runtimes are imported inside the loaders, so the records load without them.

Threads: ``num_threads=None`` gives LiteRT every core this process may use (its
own default is a single thread: 1.15 to 1.75 times Keras's latency on VGG16 and
ResNet50 on a 2-core machine, against 0.63 to 0.94 times on both cores; see
docs/export.md) and leaves ONNX Runtime its own default (all physical cores).
"""

from __future__ import annotations

import os


def run_artifact(fmt: str, path: str, x) -> list:
    """The outputs of the artifact at ``path`` on the batch ``x``, as a list of arrays."""
    return load_artifact(fmt, path)(x)


def load_artifact(fmt: str, path: str, num_threads: int | None = None):
    """Load the artifact once; returns ``predict(x) -> list of arrays`` (for timing, call it repeatedly)."""
    from keras_classics.export.formats import FORMATS

    return FORMATS[fmt].load(path, num_threads)


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def load_keras(path, num_threads=None):
    import keras
    import numpy as np

    model = keras.saving.load_model(path)
    return lambda x: [np.asarray(keras.ops.convert_to_numpy(o)) for o in _as_list(model(x, training=False))]


def load_saved_model(path, num_threads=None):
    import numpy as np
    import tensorflow as tf

    loaded = tf.saved_model.load(path)  # the closure keeps it alive: .serve needs its variables

    def predict(x):
        outputs = loaded.serve(tf.constant(x))
        if isinstance(outputs, dict):
            outputs = [outputs[key] for key in sorted(outputs)]
        return [np.asarray(o) for o in _as_list(outputs)]

    return predict


def usable_cpus() -> int:
    """The cores this process may run on (its CPU affinity), not every core of the machine."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def tflite_interpreter(path, num_threads=None):
    """A LiteRT interpreter on ``num_threads`` threads (``None``: :func:`usable_cpus`, not LiteRT's single thread)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    return Interpreter(model_path=path, num_threads=num_threads or usable_cpus())


def load_tflite(path, num_threads=None):
    import numpy as np

    interpreter = tflite_interpreter(path, num_threads)
    [given] = interpreter.get_input_details()
    shape = [None]

    def predict(x):
        if shape[0] != x.shape:  # resize (and reallocate) only when the batch shape changes
            interpreter.resize_tensor_input(given["index"], list(x.shape), strict=False)
            interpreter.allocate_tensors()
            shape[0] = x.shape
        interpreter.set_tensor(given["index"], x.astype(given["dtype"]))
        interpreter.invoke()
        return [np.array(interpreter.get_tensor(d["index"])) for d in interpreter.get_output_details()]

    return predict


def onnx_session(path, num_threads=None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    if num_threads:
        options.intra_op_num_threads = num_threads
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def load_onnx(path, num_threads=None):
    session = onnx_session(path, num_threads)
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})


def agreement(expected, got) -> tuple[float, float]:
    """``(maximum absolute difference, top-1 agreement)``; top-1 is over the last axis, averaged over the rest."""
    import numpy as np

    expected = np.asarray(expected, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64).reshape(expected.shape)
    max_abs = float(np.max(np.abs(expected - got))) if expected.size else 0.0
    top1 = float(np.mean(np.argmax(expected, axis=-1) == np.argmax(got, axis=-1))) if expected.ndim > 1 else 1.0
    return max_abs, top1
