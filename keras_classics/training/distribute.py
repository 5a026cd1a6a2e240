"""Several devices, mixed precision and determinism (see the package docstring on ``distribute``)."""

from __future__ import annotations

import contextlib
import os

import keras

from keras_classics._validate import bad_argument, check_choice

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
DISTRIBUTIONS = (None, "auto", "mirrored", "multiworker", "data_parallel")


def replica_count(distribute) -> int:
    """How many replicas ``distribute`` trains on (1 without distribution)."""
    if distribute is None:
        return 1
    if hasattr(distribute, "num_replicas_in_sync"):
        return distribute.num_replicas_in_sync
    if hasattr(distribute, "device_mesh"):
        return distribute.device_mesh.devices.size
    return 1


def make_distribution(distribute):
    """The strategy or distribution for ``distribute`` (see the package docstring), or ``None``."""
    check_choice("distribute", distribute, DISTRIBUTIONS)
    if distribute is None:
        return None
    backend = keras.backend.backend()
    if distribute == "auto":
        distribute = {"tensorflow": "mirrored", "jax": "data_parallel"}.get(backend)
        if distribute is None:
            return None
    allowed = {"mirrored": "tensorflow", "multiworker": "tensorflow", "data_parallel": "jax"}[distribute]
    if backend != allowed:
        raise bad_argument("distribute", distribute, f"{distribute!r} only on the {allowed} backend (this is {backend}); "
                           "'auto' or None train on what the backend supports")
    if distribute == "data_parallel":
        if jax_process_count() > 1:  # one process per machine: join them before JAX computes anything
            keras.distribution.initialize()
        devices = keras.distribution.list_devices()
        return keras.distribution.DataParallel(devices=devices)
    import tensorflow as tf

    if distribute == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
    return tf.distribute.MirroredStrategy(devices=devices)


def jax_process_count() -> int:
    """How many processes train together on JAX: ``KERAS_DISTRIBUTION_NUM_PROCESSES``, Keras's own variable (1 when unset).

    With more than one, ``"data_parallel"`` calls ``keras.distribution.initialize()``, which reads
    ``KERAS_DISTRIBUTION_JOB_ADDRESSES`` (the coordinator, process 0's ``host:port``) and
    ``KERAS_DISTRIBUTION_PROCESS_ID`` the same way; each process reads its own shard of every batch."""
    value = os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES", "").strip() or "1"
    if not value.isdigit() or int(value) < 1:
        raise bad_argument("KERAS_DISTRIBUTION_NUM_PROCESSES", value, "a whole number of processes, 1 or more")
    return int(value)


def distribution_scope(strategy):
    """Build, compile and fit under this: a ``tf.distribute`` strategy's or ``keras.distribution``'s scope."""
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def set_precision(precision: str) -> None:
    """The mixed-precision switch: ``"float32"``, ``"mixed_float16"`` (GPUs) or ``"mixed_bfloat16"`` (CPUs, TPUs)."""
    check_choice("precision", precision, PRECISIONS)
    keras.mixed_precision.set_global_policy(precision)


@contextlib.contextmanager
def determinism(seed: int, deterministic: bool = True):
    """Seed Python, NumPy and the backend, and, with ``deterministic``, make TensorFlow's ops deterministic while inside.

    TensorFlow's too on JAX and PyTorch: the tf.data pipelines run the seeded augmentation
    layers in parallel maps, which only keep their order with op determinism on. TF's
    global ``tf.random.Generator`` is seeded too: with op determinism on, TF refuses to
    create it implicitly, and code that draws from it (keras-cv's layers) would fail.
    Seeding it starts TensorFlow's context: make a tf.distribute strategy before entering.

    ``deterministic=False`` seeds the same but leaves TensorFlow free to pick its faster,
    order-dependent kernels and parallel orders: a run is then repeatable only up to
    floating-point summation order (what it costs: docs/performance.md, "Determinism")."""
    keras.utils.set_random_seed(seed)
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config

    was_enabled = tf_config.is_op_determinism_enabled()
    if deterministic:
        tf.config.experimental.enable_op_determinism()
    tf.random.set_global_generator(tf.random.Generator.from_seed(seed))
    try:
        yield
    finally:
        if not was_enabled:  # leave the process as it was (other code may need the faster kernels)
            tf_config.disable_op_determinism()


def _build_for_multi_worker(model, strategy, dataset):
    """Work around keras-team/keras#20585: Keras 3's TF trainer builds the model at the start of ``fit``
    by ``strategy.reduce`` of the first distributed batch, which MultiWorkerMirroredStrategy cannot do
    eagerly. Build it here from one local batch instead, and skip that step."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer as tf_trainer

    with strategy.scope():
        model._symbolic_build(data_batch=next(iter(dataset)))
    model._maybe_symbolic_build = lambda *args, **kwargs: None
    # The same issue: the step's per-replica metrics (scalars) are averaged with ``axis=0``,
    # which a scalar has not. Average scalars across the workers without an axis.
    original = getattr(tf_trainer.reduce_per_replica, "__wrapped__", tf_trainer.reduce_per_replica)

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and tf_trainer._collective_all_reduce_multi_worker(strategy):
            return tf.nest.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return original(values, strategy, reduction)

    reduce_per_replica.__wrapped__ = original
    tf_trainer.reduce_per_replica = reduce_per_replica


def _pad_batches(dataset, batch_size: int):
    """Every batch exactly ``batch_size`` examples: the last one filled up with zeros of sample weight 0 (they count in no metric).

    A static batch splits evenly over the devices, and over processes: Keras shards a multi-process
    dataset by rebatching, which needs a batch size it can read from the pipeline (``drop_remainder``)."""
    import tensorflow as tf

    if dataset is None:
        return None
    x_spec, y_spec = dataset.element_spec[:2]
    filler = tuple(tf.zeros(spec.shape[1:], spec.dtype) for spec in (x_spec, y_spec)) + (tf.constant(0.0),)
    real = dataset.unbatch().map(lambda x, y: (x, y, tf.constant(1.0)))
    # batch_size - 1 fillers complete the last batch; drop_remainder drops the fillers left over
    padded = real.concatenate(tf.data.Dataset.from_tensors(filler).repeat(batch_size - 1))
    padded = padded.batch(batch_size, drop_remainder=True)
    if dataset.cardinality() >= 0:  # as many batches as before (the splits are batched by batch_size): Keras then knows when to stop
        padded = padded.apply(tf.data.experimental.assert_cardinality(dataset.cardinality()))
    return padded.prefetch(tf.data.AUTOTUNE)
