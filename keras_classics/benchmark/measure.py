"""Timing one network in this process: inference images/s, latency at batch 1, training images/s, peak memory.

:func:`measure` is what a benchmark worker runs (:mod:`.worker`). Each figure is
the median over timed calls after ``warmup`` untimed ones
(:func:`keras_classics.utils.timing.timed_calls`): at least ``repeats``, more
while ``budget_s`` lasts. Every runner sees the same input, drawn from one seed
(NHWC for Keras, the same array transposed to NCHW for PyTorch), and trains
the same way: one step of plain SGD (learning rate 0.01) on sparse
cross-entropy from logits. The network's own runner is in :mod:`.native` for
PyTorch, here for Keras (ours and ``keras.applications``).
"""

from __future__ import annotations

import inspect
import math
import statistics
import time

from keras_classics.utils.timing import timed_calls

LEARNING_RATE = 0.01
OOM_MARKERS = ("out of memory", "resource_exhausted", "resource exhausted", "oom when allocating", "cuda_error_out_of_memory")


def is_out_of_memory(err: BaseException) -> bool:
    """Whether ``err`` is an allocation failure (then a smaller batch is worth a try)."""
    if isinstance(err, MemoryError) or type(err).__name__ in ("OutOfMemoryError", "ResourceExhaustedError"):
        return True
    return any(marker in str(err).lower() for marker in OOM_MARKERS)


def sample_batch(batch_size: int, input_size: int, channels: int, classes: int, seed: int = 0):
    """``(images NHWC float32 in [0, 1), integer labels)``, the same for every runner."""
    import numpy as np

    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 1, size=(batch_size, input_size, input_size, channels)).astype("float32")
    return images, rng.integers(0, classes, size=batch_size).astype("int64")


def timings(step, *, warmup: int, repeats: int, budget_s: float) -> dict:
    """``{"s": median seconds, "n": timed calls, "spread": (max - min) / median}`` of ``step()``."""
    times = timed_calls(step, warmup=warmup, min_repeats=repeats, max_repeats=max(repeats, 10_000), budget_s=budget_s)
    median = statistics.median(times)
    return {"s": median, "n": len(times), "spread": (max(times) - min(times)) / median if median else math.nan}


def measure_steps(*, predict, predict_one, train_step, batch_size, measures, warmup, repeats, budget_s) -> dict:
    """The row's timing columns from the three callables (any left out of ``measures`` is not called)."""
    row = {}
    if "infer" in measures:
        t = timings(predict, warmup=warmup, repeats=repeats, budget_s=budget_s)
        row.update(infer_images_per_s=round(batch_size / t["s"], 2), infer_step_s=round(t["s"], 5), infer_repeats=t["n"])
    if "latency" in measures:
        t = timings(predict_one, warmup=max(warmup, 2), repeats=max(repeats, 5), budget_s=budget_s)
        row.update(latency_ms_b1=round(t["s"] * 1e3, 3), latency_repeats=t["n"])
    if "train" in measures:
        t = timings(train_step, warmup=warmup, repeats=repeats, budget_s=budget_s)
        row.update(train_images_per_s=round(batch_size / t["s"], 2), train_step_s=round(t["s"], 5),
                   train_repeats=t["n"], train_spread=round(t["spread"], 3))
    return row


def measure(*, model, runner, input_size, batch_size, classes, precision, compile, deterministic, measures, warmup,
            repeats, budget_s, seed=0, launched=None) -> dict:
    """Build ``model`` on ``runner`` and time it; returns the row's measured columns (``status`` included)."""
    began = time.time() if launched is None else launched
    if runner.startswith("torchvision"):
        from keras_classics.benchmark.native import measure_native

        return measure_native(model=model, channels_last=runner.endswith("channels_last"), input_size=input_size,
                              batch_size=batch_size, classes=classes, precision=precision, compile=compile,
                              measures=measures, warmup=warmup, repeats=repeats, budget_s=budget_s, seed=seed, began=began)
    import contextlib

    import keras

    from keras_classics.compare.measure import library_version, peak_rss_mb
    from keras_classics.registry import model_info
    from keras_classics.utils.shapes import image_shape

    info = model_info(model)
    shape = image_shape(input_size, info.channels)
    images, labels = sample_batch(batch_size, input_size, info.channels, classes, seed)
    row = {"keras_version": keras.__version__, "backend_version": library_version(keras.backend.backend()),
           "baseline_rss_mb": peak_rss_mb(), "startup_s": round(time.time() - began, 2)}
    keras.mixed_precision.set_global_policy(precision)
    context = contextlib.nullcontext()
    if deterministic:
        from keras_classics.training.distribute import determinism

        context = determinism(seed)
    with context:
        keras.utils.set_random_seed(seed)
        net = build_keras(model, runner, shape, classes)
        net.compile(
            optimizer=keras.optimizers.SGD(LEARNING_RATE),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile={"auto": "auto", "on": True, "off": False}[compile],
        )
        row["params"] = int(net.count_params())
        row.update(measure_steps(
            predict=lambda: net.predict_on_batch(images), predict_one=lambda: net.predict_on_batch(images[:1]),
            train_step=lambda: net.train_on_batch(images, labels), batch_size=batch_size, measures=measures,
            warmup=warmup, repeats=repeats, budget_s=budget_s,
        ))
    row.update(peak_memory())
    row["status"], row["error"] = "ok", ""
    return row


def build_keras(model, runner, input_shape, classes):
    """Our registry network (one output, logits) or, for an ``applications/*`` runner, ``keras.applications``' twin."""
    import keras

    from keras_classics.benchmark.references import applications_model
    from keras_classics.registry import model_info

    if runner.startswith("applications/"):
        return applications_model(model, input_shape, classes)
    info = model_info(model)
    kwargs = {"input_shape": input_shape, "classes": classes, "weights": None, "classifier_activation": None}
    if "aux_logits" in inspect.signature(info.builder).parameters:
        kwargs["aux_logits"] = False
    net = info.build(**kwargs)
    return keras.Model(net.inputs, net.outputs[0], name=net.name) if len(net.outputs) > 1 else net


def peak_memory() -> dict:
    """``peak_rss_mb`` (the process's largest resident set) and, on a GPU, ``peak_gpu_mb`` where the backend says."""
    from keras_classics.compare.measure import peak_rss_mb

    row = {"peak_rss_mb": peak_rss_mb()}
    gpu = _peak_gpu_bytes()
    if gpu:
        row["peak_gpu_mb"] = round(gpu / 2**20, 1)
    return row


def _peak_gpu_bytes():
    import sys

    try:
        if "torch" in sys.modules and sys.modules["torch"].cuda.is_available():
            return sys.modules["torch"].cuda.max_memory_allocated()
        if "jax" in sys.modules:
            stats = sys.modules["jax"].devices()[0].memory_stats() or {}
            return stats.get("peak_bytes_in_use")
        if "tensorflow" in sys.modules and sys.modules["tensorflow"].config.list_physical_devices("GPU"):
            return sys.modules["tensorflow"].config.experimental.get_memory_info("GPU:0")["peak"]
    except Exception:  # memory statistics are best effort; the timings stand without them
        return None
    return None
