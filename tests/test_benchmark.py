"""keras_classics.benchmark and apps/benchmark.py: the plan, the GPU suite, the ratios, resume, OOM retry, bad flags, timing.

Planning, ratios and the CSV need no model (the workers are replaced by fakes); one
tiny network is timed in-process on every backend, torchvision's twin on torch, and
the app runs end to end in a subprocess on TensorFlow only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import BACKEND
from keras_classics import benchmark
from keras_classics.benchmark import runner
from keras_classics.benchmark.measure import measure
from keras_classics.cli import benchmark as benchmark_cli
from keras_classics.cli import compare as compare_cli

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "apps" / "benchmark.py"


def _must_not_run(*args, **kwargs):
    raise AssertionError("a worker started")


def _fake_worker(speeds, calls):
    """A stand-in for ``_run_worker``: ``speeds[runner]`` images/s for training and inference."""

    def run_worker(job, plan, batch):
        calls.append((job.runner, batch))
        speed = speeds[job.runner]
        return {"status": "ok", "error": "", "train_images_per_s": speed, "train_step_s": batch / speed,
                "infer_images_per_s": 2 * speed, "peak_rss_mb": 100.0, "params": 1}, False

    return run_worker


def test_default_plan_and_references(tmp_path):
    plan = benchmark.make_plan(backends="tensorflow", out=tmp_path / "b.csv")
    jobs = {(j.model, j.input_size, j.batch_size, j.runner) for j in plan.jobs}
    assert jobs == {
        ("resnet18", 32, 64, "tensorflow"), ("resnet18", 32, 64, "torchvision"), ("resnet18", 32, 64, "torchvision/channels_last"),
        ("resnet50", 224, 16, "tensorflow"), ("resnet50", 224, 16, "applications/tensorflow"),  # no applications ResNet-18
        ("resnet50", 224, 16, "torchvision"), ("resnet50", 224, 16, "torchvision/channels_last"),
    }
    only = benchmark.make_plan(models="lenet5:40:4,vgg16", backends="tensorflow", references="none", batch_size=8, out=tmp_path / "b.csv")
    assert [(j.model, j.input_size, j.batch_size, j.runner) for j in only.jobs] == [("lenet5", 40, 8, "tensorflow"), ("vgg16", 224, 8, "tensorflow")]
    assert [j.library for j in plan.jobs if j.model == "resnet50"] == ["keras_classics", "keras.applications", "torchvision", "torchvision"]
    assert {j.backend for j in plan.jobs} == {"tensorflow", "torch"}  # native PyTorch runs its worker with Keras on torch


def test_gpu_suite_plan_and_refusal(tmp_path, capsys):
    plan = benchmark.make_plan(gpu_suite=True, has_gpu=True, backends="tensorflow")
    assert [(j.model, j.input_size, j.batch_size, j.runner) for j in plan.jobs] == [
        ("resnet50", 224, 256, "tensorflow"), ("resnet50", 224, 256, "torchvision"), ("resnet50", 224, 256, "torchvision/channels_last")]
    assert (plan.precision, plan.measures, plan.budget_s, plan.out.name) == ("mixed_float16", ("train",), 60.0, "benchmark_gpu.csv")
    assert benchmark.make_plan(gpu_suite=True, has_gpu=True, backends="tensorflow", budget_s=10, out=tmp_path / "g.csv").budget_s == 10
    if not benchmark.gpu_available():
        assert benchmark_cli.main(["--gpu-suite", "--out", str(tmp_path / "g.csv")]) == 2
        assert "`--gpu-suite`" in capsys.readouterr().err and not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "args, flag",
    [
        (["--models", "resnett18"], "--models"), (["--models", "resnet18:32:x"], "--models"), (["--batch-size", "0"], "--batch-size"),
        (["--measures", "speed"], "--measures"), (["--references", "timm"], "--references"), (["--repeats", "0"], "--repeats"),
        (["--budget", "-1"], "--budget"), (["--backends", "mxnet"], "--backends"), (["--out", "b.txt"], "--out"),
    ],
)
def test_bad_flags_exit_2_before_any_run(monkeypatch, tmp_path, capsys, args, flag):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "_run_worker", _must_not_run)
    assert benchmark_cli.main(["--models", "lenet5", *args]) == 2
    assert f"`{flag}`" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_foreign_csv_is_not_overwritten(monkeypatch, tmp_path, capsys):
    foreign = tmp_path / "mine.csv"
    foreign.write_text("a,b\n1,2\n")
    assert benchmark_cli.main(["--models", "lenet5", "--out", str(foreign)]) == 2
    assert "CSV written by benchmark" in capsys.readouterr().err and foreign.read_text() == "a,b\n1,2\n"


def test_rows_ratios_resume_and_force(monkeypatch, tmp_path, capsys):
    speeds = {"tensorflow": 80.0, "applications/tensorflow": 100.0, "torchvision": 100.0, "torchvision/channels_last": 125.0}
    calls = []
    monkeypatch.setattr(runner, "_run_worker", _fake_worker(speeds, calls))
    plan = benchmark.make_plan(models="resnet50:64:4", backends="tensorflow", out=tmp_path / "b.csv", plots=False)
    assert runner.run_plan(plan) == 0
    table = pd.read_csv(plan.out).set_index("runner")
    assert len(calls) == 4 and set(table.index) == set(speeds)
    assert table.loc["tensorflow", "train_time_vs_torch"] == pytest.approx(125 / 80, abs=1e-3)  # against the faster memory format
    assert table.loc["tensorflow", "train_time_vs_applications"] == pytest.approx(100 / 80, abs=1e-3)
    assert table.loc["torchvision", "infer_time_vs_torch"] == pytest.approx(250 / 200, abs=1e-3)
    assert pd.isna(table.loc["applications/tensorflow", "train_time_vs_applications"])
    assert (table["status"] == "ok").all() and (table["batch_used"] == 4).all()
    capsys.readouterr()

    assert runner.run_plan(plan) == 0 and len(calls) == 4  # resumed: every row is there
    assert capsys.readouterr().out.count("already in the CSV") == 4
    speeds["tensorflow"] = 160.0
    plan.force = True
    assert runner.run_plan(plan) == 0 and len(calls) == 8
    table = pd.read_csv(plan.out).set_index("runner")
    assert len(table) == 4 and table.loc["tensorflow", "train_time_vs_torch"] == pytest.approx(125 / 160, abs=1e-3)


def test_out_of_memory_retries_a_smaller_batch(monkeypatch, tmp_path):
    tried = []

    def run_worker(job, plan, batch):
        tried.append(batch)
        if batch > 3:
            return {"status": "error", "error": "ResourceExhaustedError: OOM when allocating"}, True
        return {"status": "ok", "error": "", "train_images_per_s": 10.0}, False

    monkeypatch.setattr(runner, "_run_worker", run_worker)
    plan = benchmark.make_plan(models="lenet5:32:8", backends="tensorflow", references="none", out=tmp_path / "b.csv")
    row = runner.run_job(plan.jobs[0], plan)
    assert tried == [8, 6, 4, 3] and (row["status"], row["batch_used"], row["batch_size"]) == ("ok", 3, 8)
    assert benchmark.is_out_of_memory(RuntimeError("CUDA out of memory. Tried to allocate")) and not benchmark.is_out_of_memory(ValueError("shape"))


@pytest.mark.skipif(BACKEND == "jax", reason="backend-independent timing code; JAX compiles the step (10 s for LeNet-5 on 2 cores)")
def test_measure_times_a_network_in_process():
    row = measure(model="lenet5", runner=BACKEND, input_size=32, batch_size=4, classes=10, precision="float32",
                            compile="auto", deterministic=False, measures=("train",), warmup=1, repeats=2, budget_s=0)
    assert row["status"] == "ok" and row["params"] > 0
    assert row["train_images_per_s"] == pytest.approx(4 / row["train_step_s"], rel=1e-2) and row["train_repeats"] == 2
    assert row["peak_rss_mb"] >= row["baseline_rss_mb"] > 0
    assert "infer_images_per_s" not in row and "latency_ms_b1" not in row  # not asked for (inference: the end-to-end test)


@pytest.mark.skipif(BACKEND != "torch", reason="native PyTorch: once, in the torch suite")
def test_native_pytorch_twin_is_our_network():
    from keras_classics.registry import get_model

    row = measure(model="resnet18", runner="torchvision/channels_last", input_size=32, batch_size=2, classes=10,
                            precision="float32", compile="auto", deterministic=False, measures=("train",), warmup=0, repeats=1, budget_s=0)
    assert row["status"] == "ok" and row["train_images_per_s"] > 0
    ours = get_model("resnet18", input_shape=(32, 32, 3), classes=10, weights=None).count_params()
    assert 0 < ours - row["params"] < 1e-3 * ours  # the same network; ours keeps Keras's conv biases (9,600 here)


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "tensorflow", reason="the subprocess run is the same code on every backend: TensorFlow only")
def test_app_end_to_end(tmp_path):
    out = tmp_path / "r" / "b.csv"
    args = [sys.executable, str(APP), "--models", "lenet5:32:4", "--backends", "tensorflow", "--references", "none",
            "--measures", "train,latency", "--warmup", "1", "--repeats", "1", "--budget", "0", "--out", str(out)]
    env = dict(os.environ, KERAS_BACKEND="tensorflow")
    first = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    row = pd.read_csv(out).iloc[0]
    assert (row["status"], row["runner"], row["batch_used"]) == ("ok", "tensorflow", 4), row["error"]
    assert row["train_images_per_s"] > 0 and row["latency_ms_b1"] > 0 and row["peak_rss_mb"] > 0
    assert pd.isna(row["infer_images_per_s"])  # not asked for
    assert "[1/1] lenet5 32px batch 4 on tensorflow: train" in first.stdout
    assert out.with_suffix(".png").stat().st_size > 0
    # resuming is test_rows_ratios_resume_and_force's, in-process

def test_determinism_is_a_choice(tmp_path):
    """Training's ``determinism(seed, deterministic)`` and compare's default (reproducible) and ``--no-deterministic``."""
    from tensorflow.python.framework import config as tf_config

    from keras_classics import compare
    from keras_classics.training.distribute import determinism

    if tf_config.is_op_determinism_enabled():
        pytest.skip("op determinism left on by an earlier test in this process")
    with determinism(0, deterministic=False):
        assert not tf_config.is_op_determinism_enabled()
    with determinism(0):
        assert tf_config.is_op_determinism_enabled()
    assert not tf_config.is_op_determinism_enabled()  # the process left as it was
    assert compare.make_plan(models="lenet5", backends=BACKEND, out=tmp_path / "c.csv").deterministic is True
    args = compare_cli.build_parser().parse_args(["--models", "lenet5", "--no-deterministic", "--out", str(tmp_path / "c.csv")])
    assert compare_cli.plan_from_args(args).deterministic is False
