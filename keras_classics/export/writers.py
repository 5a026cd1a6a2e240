"""Writing each artifact from a Keras model in the current process.

Which formats a backend writes itself is each record's ``native_backends`` in
:mod:`keras_classics.export.formats`; the rest are written by
:mod:`keras_classics.export.worker` in a TensorFlow-backend subprocess, from the
backend-independent ``.keras`` file. Every writer is
``write(model, path, quantize=None, representative=None)``: it takes the
inference model (main output only; ``.keras`` the whole model) and a path it may
fill; it never verifies: that is :mod:`keras_classics.export.runtimes`.
Keras is imported inside the writers, so the format records load without it.
"""

from __future__ import annotations

import contextlib
import warnings

CALIBRATION_SAMPLES = 100  # at most this many representative samples calibrate int8


def inference_model(model, sample):
    """``model`` with its main output only (``outputs[0]``): auxiliary heads are training-time only.

    The model is called once on ``sample`` (Keras exports only models that have been called).
    """
    import keras

    outputs = getattr(model, "outputs", None)
    if outputs and len(outputs) > 1:
        inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs  # a list would change the signature
        model = keras.Model(inputs, outputs[0], name=model.name)
    model(sample, training=False)
    return model


def write_keras(model, path, quantize=None, representative=None):
    model.save(path)


def write_saved_model(model, path, quantize=None, representative=None):
    """TF SavedModel with a ``serve`` endpoint (and ``serving_default`` signature) taking the model's input.

    On the TensorFlow backend ``model.export`` stores every weight twice
    (keras-team/keras#23553: once under ``variables``, the ``keras.Variable``
    wrappers that ``track(model)`` adds, once under ``_all_variables``, the
    ``tf.Variable``\ s the endpoint captures), doubling the file and the memory
    of whoever serves it. Adding the endpoint without ``track`` keeps the second
    set only: same graph, same outputs, half the size. The loaded object's
    ``variables`` list is then empty; its functions and ``keras.layers.TFSMLayer``
    find the weights through the endpoint, as they do anyway.
    """
    import keras

    if keras.backend.backend() != "tensorflow" or len(model.inputs) != 1:
        model.export(path, format="tf_saved_model", verbose=False)
        return
    spec = keras.InputSpec(shape=(None, *model.inputs[0].shape[1:]), dtype=model.inputs[0].dtype)
    archive = keras.export.ExportArchive()
    archive.add_endpoint("serve", lambda x: model(x, training=False), input_signature=[spec])
    archive.write_out(path, verbose=False)


def write_tflite(model, path, quantize=None, representative=None):
    """LiteRT flatbuffer with builtin ops only (no Flex delegate needed on a phone).

    ``quantize``: ``"float16"`` weights; ``"dynamic"`` int8 weights, float
    activations; ``"int8"`` int8 weights and activations calibrated on
    ``representative``, float32 input and output, float fallback for ops without
    an int8 kernel.
    """
    import tensorflow as tf

    target_spec = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}
    options = {}
    if quantize is not None:
        options["optimizations"] = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        target_spec["supported_types"] = [tf.float16]
    if quantize == "int8":
        samples = representative[:CALIBRATION_SAMPLES]
        options["representative_dataset"] = lambda: ([sample[None]] for sample in samples)
    with _quiet():
        model.export(path, format="litert", verbose=False, target_spec=target_spec, **options)


def write_onnx(model, path, quantize=None, representative=None):
    """Float32 ONNX (quantization is applied afterwards, by :func:`quantize_onnx`)."""
    import keras

    backend = keras.backend.backend()
    tf_only = (_plain_tf_conv(), _collect_between_tf2onnx_passes()) if backend == "tensorflow" else ()
    with _quiet(), contextlib.ExitStack() as stack:
        for context in tf_only:
            stack.enter_context(context)
        model.export(path, format="onnx", verbose=False)


@contextlib.contextmanager
def _collect_between_tf2onnx_passes():
    """Run the garbage collector before each of tf2onnx's graph optimizers.

    tf2onnx deep-copies the whole graph, weights included, before every
    optimizer pass; the discarded copies are reference cycles that Python's
    generational collector leaves in its oldest generation for as long as they
    are small next to everything TensorFlow has allocated, so they pile up.
    Exporting VGG16 (528 MB of weights) to ONNX on the TensorFlow backend was
    killed for want of memory at 24 GB; a single 102M-weight Dense layer peaked
    at 19.7 GB and 199 s without this, 9.7 GB and 148 s with it (Keras 3.15,
    tf2onnx 1.17). Wraps the entries of ``tf2onnx.optimizer._optimizers``
    (private) for the duration of the export only.
    """
    import gc

    from tf2onnx import optimizer as tf2onnx_optimizer

    registry = getattr(tf2onnx_optimizer, "_optimizers", None)
    if not isinstance(registry, dict):  # another tf2onnx layout: export as it is
        yield
        return
    original = dict(registry)

    def collecting(factory):
        def make():
            gc.collect()
            return factory()

        return make

    registry.update({name: collecting(factory) for name, factory in original.items()})
    try:
        yield
    finally:
        registry.clear()
        registry.update(original)


@contextlib.contextmanager
def _plain_tf_conv():
    """Trace grouped convolutions as a plain ``Conv2D`` op while converting to ONNX.

    Keras's TensorFlow backend wraps a grouped convolution in an XLA-compiled
    ``tf.function`` (TensorFlow's CPU kernel lacks groups); tf2onnx cannot look
    inside that call and writes an invalid graph. A plain ``Conv2D`` with fewer
    kernel input channels than input channels is what tf2onnx turns into an
    ONNX ``Conv`` with ``group``; the graph is only traced, never run by TF.
    """
    import tensorflow as tf
    from keras.src.backend.tensorflow import nn as tf_nn

    original = tf_nn.conv

    def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
        tf_format = tf_nn._convert_data_format(data_format, len(inputs.shape))
        return tf.nn.convolution(inputs, kernel, strides, padding.upper(), data_format=tf_format, dilations=dilation_rate)

    tf_nn.conv = conv
    try:
        yield
    finally:
        tf_nn.conv = original


def quantize_onnx(source, target, quantize, representative=None):
    """Write ``source`` (a float32 ONNX file) quantized to ``target`` with ONNX Runtime's tools.

    ``"float16"``: weights and activations in float16, float32 input and output;
    ``"dynamic"``: int8 weights per output channel, activations quantized on the fly;
    ``"int8"``: int8 weights (per channel) and activations (QDQ), calibrated on ``representative``.
    """
    import onnx
    import onnxruntime as ort

    if quantize == "float16":
        from onnxruntime.transformers.float16 import convert_float_to_float16

        onnx.save(convert_float_to_float16(onnx.load(source), keep_io_types=True), target)
        return
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic, quantize_static

    with _quiet():
        if quantize == "dynamic":
            quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=True)
            return
        input_name = ort.InferenceSession(source, providers=["CPUExecutionProvider"]).get_inputs()[0].name

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.batches = iter([{input_name: sample[None]} for sample in representative[:CALIBRATION_SAMPLES]])

            def get_next(self):
                return next(self.batches, None)

        quantize_static(source, target, Reader(), quant_format=QuantFormat.QDQ, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, per_channel=True)


@contextlib.contextmanager
def _quiet():
    """Silence the converters' tracer and deprecation chatter (errors still raise)."""
    import logging

    loggers = [logging.getLogger(name) for name in ("tf2onnx", "root", "absl")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
