"""Several devices: MirroredStrategy on two logical CPUs and MultiWorkerMirroredStrategy with two
worker processes (TensorFlow), keras.distribution.DataParallel on two host devices (JAX).

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
    workers = []
    for index in range(2):
        env = subprocess_env("tensorflow") | {"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        workers.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = []
    try:
        for w in workers:
            outputs.append(w.communicate(timeout=500))
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    for w, (stdout, stderr) in zip(workers, outputs):
        assert w.returncode == 0, [l for l in stderr.splitlines() if "rror" in l][-5:]
    assert "2 replica(s)" in outputs[0][0] and "2 replica(s)" in outputs[1][0]
    results = json.load(open(os.path.join(out, "results.json")))  # written by the chief (worker 0) only
    assert results["test"]["accuracy"] >= 0.85 and os.listdir(out).count("run.json") == 1


@pytest.mark.skipif(BACKEND == "torch", reason="Keras 3 has no distribution API for PyTorch")
@pytest.mark.skipif(BACKEND == "tensorflow", reason="keras.distribution.DataParallel is run in the JAX suite (TensorFlow uses tf.distribute)")
def test_jax_data_parallel_on_two_host_devices(tmp_path):
    env = subprocess_env("jax") | {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    command = [sys.executable, "-m", "keras_classics.cli", "train", "lenet5", "--epochs", "1", "--batch-size", "32",
               "--out", str(tmp_path / "run"), "--distribute", "data_parallel", "--quiet"]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 replica(s)" in proc.stdout
    results = json.load(open(tmp_path / "run" / "results.json"))
    assert results["test"]["accuracy"] >= 0.85


def test_distribute_on_the_wrong_backend_is_a_clear_error():
    from keras_classics.training import make_distribution

    wrong = "data_parallel" if BACKEND != "jax" else "mirrored"
    with pytest.raises(ValueError, match="`distribute`.*only on the"):
        make_distribution(wrong)
    assert make_distribution(None) is None
