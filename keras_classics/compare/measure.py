"""Measuring one network in this process: build, train, evaluate and time it, and read what it cost.

:func:`measure` is what a worker process runs (:mod:`.worker`); the backend is
whatever ``KERAS_BACKEND`` says. It compiles through the training recipes
(:func:`keras_classics.training.compile_model`), so the loss and the metrics
(``top5`` above five classes) are the training module's.
"""

from __future__ import annotations

import inspect
import math
import os
import statistics
import sys
import tempfile
import time

import keras

from keras_classics.compare.plan import BACKEND_LIBRARY, DEFAULT_BN_MOMENTUM, DEFAULT_DETERMINISTIC, DEFAULT_SCHEDULE, DEFAULT_WARMUP_EPOCHS
from keras_classics.utils.shapes import image_shape
from keras_classics.utils.timing import median_seconds
from keras_classics.weights import weighted_layers


def measure(
    *, model, input_size, dataset, epochs, batch_size, seed, learning_rate,
    schedule=DEFAULT_SCHEDULE, warmup_epochs=DEFAULT_WARMUP_EPOCHS, bn_momentum=DEFAULT_BN_MOMENTUM,
    deterministic=DEFAULT_DETERMINISTIC, launched=None,
) -> dict:
    """Build, train, evaluate and time one registry model in this process; returns ``{"row", "history"}``.

    ``launched`` is the ``time.time()`` at which the parent started this process,
    so ``startup_s`` counts the backend import too. Seeded from ``seed``, with
    TensorFlow's op determinism on when ``deterministic``
    (:func:`keras_classics.training.determinism`).
    """
    from keras_classics.training import determinism

    with determinism(seed, deterministic):
        return _measure(model=model, input_size=input_size, dataset=dataset, epochs=epochs, batch_size=batch_size, seed=seed,
                        learning_rate=learning_rate, schedule=schedule, warmup_epochs=warmup_epochs, bn_momentum=bn_momentum,
                        launched=launched)


def _measure(*, model, input_size, dataset, epochs, batch_size, seed, learning_rate, schedule, warmup_epochs, bn_momentum, launched):
    began = time.time() if launched is None else launched
    from keras_classics.datasets import load_dataset
    from keras_classics.registry import model_info
    from keras_classics.training import Recipe, compile_model

    row = {"keras_version": keras.__version__, "backend_version": library_version(keras.backend.backend())}
    info = model_info(model)
    keras.utils.set_random_seed(seed)
    shape = image_shape(input_size, info.channels)
    splits = load_dataset(dataset, input_shape=shape, batch_size=batch_size, seed=seed)
    row.update(
        channels=info.channels, classes=splits.num_classes, train_size=splits.train_size,
        validation_size=splits.validation_size, test_size=splits.test_size,
        baseline_rss_mb=peak_rss_mb(), startup_s=round(time.time() - began, 2),
    )

    net = build_single_output(info, shape, splits.num_classes)
    row["keras_size_mb"] = keras_file_mb(net)  # before compile: config and weights, no optimizer state
    set_bn_momentum(net, bn_momentum)
    recipe = Recipe("adam", learning_rate, 0.0, schedule=schedule, warmup_epochs=warmup_epochs)
    compile_model(
        net, recipe, steps_per_epoch=math.ceil(splits.train_size / batch_size), epochs=epochs,
        label_mode=splits.label_mode, num_classes=splits.num_classes,
    )
    row["params"] = int(net.count_params())
    row["gmacs"], note = _gmacs(net)

    timer = EpochTimer()
    fit = net.fit(
        splits.train, validation_data=splits.validation, epochs=epochs, callbacks=[timer],
        verbose=1 if sys.stdout.isatty() else 2,
    )
    logs = fit.history
    validation = net.evaluate(splits.validation, verbose=0, return_dict=True)
    test = net.evaluate(splits.test, verbose=0, return_dict=True)
    steady = timer.train_s[1:] or timer.train_s
    row.update(
        train_accuracy=logs["accuracy"][-1], train_loss=logs["loss"][-1],
        validation_accuracy=validation["accuracy"], validation_loss=validation["loss"],
        test_accuracy=test["accuracy"], test_loss=test["loss"],
        validation_top5=validation.get("top5", math.nan), test_top5=test.get("top5", math.nan),
        first_epoch_s=round(timer.epoch_s[0], 3),
        seconds_per_epoch=round(statistics.mean(timer.epoch_s[1:] or timer.epoch_s), 3),
        train_images_per_s=round(splits.train_size / statistics.mean(steady), 1),
    )
    row.update(inference_speed(net, shape))
    row["peak_rss_mb"] = peak_rss_mb()
    row["cpu_s"] = cpu_seconds()
    row["status"], row["error"], row["note"] = "ok", "", note
    history = [
        {
            "accuracy": logs["accuracy"][i], "val_accuracy": logs.get("val_accuracy", [math.nan] * epochs)[i],
            "loss": logs["loss"][i], "val_loss": logs.get("val_loss", [math.nan] * epochs)[i], "epoch_s": timer.epoch_s[i],
        }
        for i in range(len(logs["loss"]))
    ]
    return {"row": {k: _plain(v) for k, v in row.items()}, "history": [{k: _plain(v) for k, v in h.items()} for h in history]}


def build_single_output(info, input_shape, classes):
    """The registry model for ``classes`` classes at ``input_shape``, untrained, with one output.

    Networks with auxiliary classifiers (GoogLeNet, Inception v3) are built
    without them where the builder has an ``aux_logits`` switch; otherwise only
    the main output (``outputs[0]``) is kept.
    """
    kwargs = {"input_shape": input_shape, "classes": classes, "weights": None, "classifier_activation": "softmax"}
    if "aux_logits" in inspect.signature(info.builder).parameters:
        kwargs["aux_logits"] = False
    net = info.build(**kwargs)
    if len(net.outputs) > 1:
        net = keras.Model(net.inputs, net.outputs[0], name=net.name)
    return net


def set_bn_momentum(net, momentum) -> int:
    """Set the moving-average momentum of every ``BatchNormalization`` layer in ``net`` (nested ones too); returns how many."""
    # weighted_layers flattens nested models, and a batch norm always has weights.
    layers = [layer for layer in weighted_layers(net) if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in layers:
        layer.momentum = momentum
    return len(layers)


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch (``epoch_s``, validation included) and of its training batches alone (``train_s``).

    The loss is read at the end of every batch, which waits for the backend's
    asynchronous work (JAX dispatches ahead), so the times are honest.
    """

    def __init__(self):
        super().__init__()
        self.epoch_s, self.train_s = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._begin = self._last_batch = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if logs and "loss" in logs:
            float(logs["loss"])
        self._last_batch = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.train_s.append(self._last_batch - self._begin)
        self.epoch_s.append(time.perf_counter() - self._begin)


def inference_speed(net, input_shape, *, budget_s=2.0) -> dict:
    """Median latency of ``predict_on_batch`` at batch 1 (ms) and throughput at batch 64 (images/s)."""
    import numpy as np

    rng = np.random.default_rng(0)
    one = rng.uniform(0, 1, size=(1, *input_shape)).astype("float32")
    batch = rng.uniform(0, 1, size=(64, *input_shape)).astype("float32")
    latency = median_seconds(lambda: net.predict_on_batch(one), warmup=3, min_repeats=5, max_repeats=100, budget_s=budget_s)
    per_batch = median_seconds(lambda: net.predict_on_batch(batch), warmup=2, min_repeats=3, max_repeats=20, budget_s=budget_s)
    return {"latency_ms_b1": round(latency * 1e3, 3), "images_per_s_b64": round(64 / per_batch, 1)}


def keras_file_mb(net) -> float:
    """Size in MiB of ``net`` saved as ``.keras`` (call it before ``compile`` to leave optimizer state out)."""
    with tempfile.TemporaryDirectory(prefix="compare-save-") as folder:
        path = os.path.join(folder, "model.keras")
        net.save(path)
        return round(os.path.getsize(path) / 2**20, 3)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (``ru_maxrss``), in MiB; NaN where unavailable."""
    try:
        import resource
    except ImportError:  # Windows
        return math.nan
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def cpu_seconds() -> float:
    """User plus system CPU time of this process so far; against ``wall_s`` it shows how contended the CPU was."""
    try:
        import resource
    except ImportError:
        return math.nan
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 2)


def library_version(backend: str) -> str:
    """``"tensorflow 2.x.y"``: the backend's library and its installed version."""
    from importlib import metadata

    try:
        return f"{BACKEND_LIBRARY[backend]} {metadata.version(BACKEND_LIBRARY[backend])}"
    except (KeyError, metadata.PackageNotFoundError):
        return backend


def _gmacs(net):
    try:
        from keras_classics.cost import total_macs
    except ImportError as err:
        return math.nan, f"GMACs unavailable ({err})"
    return round(total_macs(net) / 1e9, 6), ""


def _plain(value):
    """JSON-safe Python scalars (NumPy and backend scalars become floats or ints)."""
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return number
