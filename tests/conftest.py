"""Shared test helpers: the backend in use, small inputs, and gradients on every backend."""

from __future__ import annotations

import os

# Each xdist worker gets its share of the cores for its thread pools (OpenMP in PyTorch, TensorFlow's intra- and
# inter-op pools), set before any backend loads; a value the user set wins. Two workers with two threads each
# on 2 cores oversubscribe them, and pools that spin at barriers lose most: measured on this 2-core machine with
# `-n 2`, one thread each ran a PyTorch subset in 121 s instead of 166 s and a TensorFlow one in 165 s instead
# of 182 s (JAX: 175 s against 182 s; XLA's own thread flag made it slower, so it is left alone).
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    _cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    for _variable in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ.setdefault(_variable, str(max(1, _cores // _WORKERS)))

import keras_classics  # noqa: F401  (first: it picks TensorFlow's CPU kernels before Keras loads TensorFlow)
import keras
import numpy as np
import pytest

BACKEND = keras.backend.backend()


def pytest_report_header(config):
    return f"keras {keras.__version__}, backend {BACKEND}"


@pytest.fixture(autouse=True)
def _clear_session():
    keras.utils.set_random_seed(0)
    yield
    keras.backend.clear_session()


def small_size(info) -> int:
    """The smallest input the harness uses for a registry entry: its minimum, at least 32."""
    return max(info.min_size, 32)


def sample_input(info, batch=2, size=None, seed=0):
    size = size or small_size(info)
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=(batch, size, size, info.channels)).astype("float32")


def as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def to_numpy(outputs):
    return [keras.ops.convert_to_numpy(o) for o in as_list(outputs)]


def forward(model, x):
    """The model's inference outputs on ``x`` as a list of NumPy arrays.

    On JAX the whole graph is compiled once (``predict``): run eagerly, JAX compiles every op at
    every new shape, which costs minutes for the deep networks on 2 cores (DenseNet-121: 184 s
    eager, about 25 s compiled). TensorFlow and PyTorch run it eagerly, as a user's call would.
    """
    if BACKEND == "jax":
        return to_numpy(model.predict(x, batch_size=len(x), verbose=0))
    return to_numpy(model(x, training=False))


def gradients(model, x, seed=0):
    """Gradients of a random projection of every output w.r.t. every trainable variable, as NumPy."""
    rng = np.random.default_rng(seed)
    shapes = [tuple(o.shape[1:]) for o in model.outputs]
    projections = [keras.ops.convert_to_tensor(rng.normal(size=(x.shape[0],) + s).astype("float32")) for s in shapes]

    def loss_of(outputs):
        return sum(keras.ops.sum(o * p) for o, p in zip(as_list(outputs), projections))

    if BACKEND == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_of(model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        return [None if g is None else keras.ops.convert_to_numpy(g) for g in grads]
    if BACKEND == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        non_trainable = [v.value for v in model.non_trainable_variables]

        def f(tv):
            outputs, _ = model.stateless_call(tv, non_trainable, x, training=True)
            return loss_of(outputs)

        return [np.asarray(g) for g in jax.jit(jax.grad(f))(trainable)]  # compiled once, not op by op
    if BACKEND == "torch":
        for v in model.trainable_variables:
            v.value.grad = None
        loss_of(model(x, training=True)).backward()
        return [None if v.value.grad is None else v.value.grad.detach().cpu().numpy() for v in model.trainable_variables]
    raise RuntimeError(f"no gradient helper for backend {BACKEND}")


def subprocess_env(backend):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    return env
