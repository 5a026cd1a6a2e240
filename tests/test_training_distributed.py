"""Several devices: MirroredStrategy on two logical CPUs and MultiWorkerMirroredStrategy with two
worker processes (TensorFlow), keras.distribution.DataParallel on two host devices and on two
processes on the loopback (JAX).

Each runs in subprocesses: device counts must be set before the backend starts.
PyTorch has no Keras distribution API, so none of these apply to it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from conftest import BACKEND, subprocess_env

pytestmark = pytest.mark.slow

MIRRORED = """
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from keras_classics.training import train
r = train("lenet5", epochs=1, batch_size=32, out_dir=OUT, distribute="mirrored", verbose=0)
print("REPLICAS", r.replicas, "ACCURACY", r.test["accuracy"])
"""


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _run_together(command, envs, timeout=500):
    """Start ``command`` once per environment, all at once (the processes wait for one another); their stdouts.
    Each must exit 0 (else its last error lines fail the test)."""
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for env in envs]
    outputs = []
    try:
        for w in workers:
            outputs.append(w.communicate(timeout=timeout))
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    for w, (stdout, stderr) in zip(workers, outputs):
        assert w.returncode == 0, [l for l in stderr.splitlines() if "rror" in l][-5:] or stderr[-3000:]
    return [stdout for stdout, _ in outputs]


def _last_numbers(stdout):
    line = [l for l in stdout.splitlines() if l.startswith("REPLICAS")][-1].split()
    return int(line[1]), float(line[3])


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.distribute.MirroredStrategy is TensorFlow's")
def test_mirrored_strategy_on_two_logical_cpus(tmp_path):
    code = f"OUT = {str(tmp_path / 'run')!r}\n" + MIRRORED
    proc = subprocess.run([sys.executable, "-c", code], env=subprocess_env("tensorflow"), capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    replicas, accuracy = _last_numbers(proc.stdout)
    assert replicas == 2 and accuracy >= 0.85


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.distribute.MultiWorkerMirroredStrategy is TensorFlow's")
def test_multi_worker_mirrored_strategy_with_two_local_workers(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    out = str(tmp_path / "run")
    command = [sys.executable, "-m", "keras_classics.cli", "train", "lenet5", "--epochs", "1", "--batch-size", "32",
               "--out", out, "--distribute", "multiworker", "--quiet"]
    envs = [subprocess_env("tensorflow") | {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
            for index in range(2)]
    outputs = _run_together(command, envs)
    assert all("2 replica(s)" in stdout for stdout in outputs)
    results = json.load(open(os.path.join(out, "results.json")))  # written by the chief (worker 0) only
    assert results["test"]["accuracy"] >= 0.85 and os.listdir(out).count("run.json") == 1


@pytest.mark.skipif(BACKEND == "torch", reason="Keras 3 has no distribution API for PyTorch")
@pytest.mark.skipif(BACKEND == "tensorflow", reason="keras.distribution.DataParallel is run in the JAX suite (TensorFlow uses tf.distribute)")
def test_jax_data_parallel_two_processes_on_the_loopback_equal_two_devices_in_one(tmp_path):
    """DataParallel over two host devices in one process, then over two processes (one device each,
    joined by ``keras.distribution.initialize`` from Keras's environment variables): the same
    global batches, the same weights."""
    import keras
    import numpy as np

    def command(out):
        return [sys.executable, "-m", "keras_classics.cli", "train", "lenet5", "--epochs", "1", "--batch-size", "32",
                "--out", str(out), "--distribute", "data_parallel", "--quiet"]

    env = subprocess_env("jax") | {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    proc = subprocess.run(command(tmp_path / "devices"), env=env, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 replica(s)" in proc.stdout
    assert json.load(open(tmp_path / "devices" / "results.json"))["test"]["accuracy"] >= 0.85

    port = _free_ports(1)[0]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    envs = [subprocess_env("jax") | {"KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{port}", "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
                                     "KERAS_DISTRIBUTION_PROCESS_ID": str(index), "TMPDIR": str(scratch)} for index in range(2)]
    assert all("2 replica(s)" in stdout for stdout in _run_together(command(tmp_path / "processes"), envs))
    assert os.listdir(tmp_path / "processes").count("run.json") == 1  # process 0 writes the folder
    assert not [p for p in os.listdir(scratch) if p.startswith("keras-classics-worker-")]  # process 1's scratch copy is gone
    load = lambda run: keras.saving.load_model(tmp_path / run / "model.keras", compile=False).get_weights()
    for a, b in zip(load("devices"), load("processes")):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_distribute_on_the_wrong_backend_is_a_clear_error():
    from keras_classics.training import make_distribution

    wrong = "data_parallel" if BACKEND != "jax" else "mirrored"
    with pytest.raises(ValueError, match="`distribute`.*only on the"):
        make_distribution(wrong)
    assert make_distribution(None) is None


def test_evaluation_batches_are_filled_up_to_the_full_batch_with_weight_zero():
    import numpy as np
    import tensorflow as tf

    from keras_classics.training.distribute import _pad_batches

    x = np.arange(10 * 3, dtype="float32").reshape(10, 3)
    y = np.arange(10, dtype="int32")
    padded = _pad_batches(tf.data.Dataset.from_tensor_slices((x, y)).batch(4), 4)
    assert int(padded.cardinality()) == 3  # known, so Keras stops without running out of data
    batches = list(padded.as_numpy_iterator())
    assert [b[0].shape for b in batches] == [(4, 3)] * 3
    weights = np.concatenate([b[2] for b in batches])
    np.testing.assert_array_equal(weights, [1] * 10 + [0] * 2)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches])[:10], x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), list(range(10)) + [0, 0])


def test_a_stale_process_id_does_not_make_a_plain_run_a_worker(monkeypatch):
    """Only processes that JAX really joined (or TF_CONFIG's workers) are not the chief: Keras's process-id
    variable left in the environment of a plain run is ignored."""
    from keras_classics.training import _is_chief

    monkeypatch.delenv("TF_CONFIG", raising=False)
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "1")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    assert _is_chief()
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}))
    assert not _is_chief()
