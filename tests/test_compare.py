"""apps/compare.py and keras_classics.compare: the results CSV, resumption, --force, error rows, bad input and the plots."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import pandas as pd
import pytest

from conftest import BACKEND
from keras_classics import compare
from keras_classics.cli import compare as compare_cli
from keras_classics.compare import runner

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "apps" / "compare.py"


def run_app(*args):
    env = dict(os.environ, KERAS_BACKEND=BACKEND)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # what a user sees: compare itself keeps TensorFlow's C++ start-up lines away
    return subprocess.run([sys.executable, str(APP), *args], env=env, capture_output=True, text=True, timeout=600)


def rows_by_model(table):
    return {r["model"]: r for _, r in table.iterrows()}


@pytest.mark.slow
def test_compare_end_to_end(tmp_path):
    """The app in a subprocess, as a user runs it. The resume and --force runs are the same code on
    every backend: they run in the TensorFlow suite only, and the others train one model (a worker
    costs 60-190 s on JAX, which compiles each step, on 2 cores)."""
    out = tmp_path / "results" / "r.csv"
    common = ["--epochs", "1", "--backends", BACKEND, "--out", str(out)]
    # tiny models, and VGG-11 at 16 px, below its 32 px minimum: an error row, not a crash
    trained = ("lenet5",)
    models = ["--models", *trained, "vgg11:16"]
    first = run_app(*models, *common)
    assert first.returncode == 1, first.stdout + first.stderr  # 1: a model failed, the run went on
    # TensorFlow's C++ start-up lines that a log level silences (the CUDA stub's and oneDNN's notes print before
    # logging starts, whatever the level: the command line filters them on a terminal, tests/test_cli_core.py)
    for chatter in ("cpu_feature_guard",):
        assert chatter not in first.stdout + first.stderr, first.stdout + first.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == list(compare.COLUMNS)
    assert len(table) == len(trained) + 1 and set(table["model"]) == {*trained, "vgg11"}
    rows = rows_by_model(table)

    bad = rows["vgg11"]
    assert bad["status"] == "error" and "at least 32" in bad["error"], bad["error"]
    assert bad["input_size"] == 16 and bad["backend"] == BACKEND

    for name in trained:
        row = rows[name]
        assert row["status"] == "ok", row["error"]
        assert (row["backend"], row["dataset"], row["input_size"], row["epochs"], row["seed"]) == (BACKEND, "digits", 32, 1, 0)
        assert row["train_size"] + row["validation_size"] + row["test_size"] == 1797  # all of digits
        assert 340 < row["test_size"] < 380 and 120 < row["validation_size"] < 160  # 20 %, then 10 % of the rest
        assert row["classes"] == 10 and row["channels"] == 1
        assert 50_000 < row["params"] < 70_000  # LeNet-5: about 60K
        assert 0.0002 < row["gmacs"] < 0.001  # about 0.4 MMACs at 32x32
        for column in ("train_accuracy", "validation_accuracy", "test_accuracy"):
            assert 0.0 <= row[column] <= 1.0, column
        assert row["test_accuracy"] > 0.3  # one epoch of LeNet-5 on digits beats chance (0.1) by far
        assert row["test_accuracy"] <= row["test_top5"] <= 1.0
        assert row["seconds_per_epoch"] > 0 and row["first_epoch_s"] > 0 and row["train_images_per_s"] > 0
        assert 0 < row["latency_ms_b1"] < 10_000 and row["images_per_s_b64"] > 0
        assert row["peak_rss_mb"] >= row["baseline_rss_mb"] > 50
        assert 0.1 < row["keras_size_mb"] < 5  # 60K float32 weights, about 0.25 MB
        assert row["keras_version"][0] == "3" and row["backend_version"].startswith({"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[BACKEND])
        assert row["wall_s"] >= row["startup_s"] > 0
    history = pd.read_csv(tmp_path / "results" / "r_history.csv")
    assert sorted(history["model"]) == sorted(trained) and set(history["epoch"]) == {1}
    for png in ("r_accuracy_vs_gmacs.png", "r_curves.png"):
        assert (tmp_path / "results" / png).stat().st_size > 10_000, png
    if BACKEND != "tensorflow":
        return

    # the same command again: everything is in the CSV already, nothing runs
    second = run_app(*models, *common)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("skipped") == 2
    pd.testing.assert_frame_equal(pd.read_csv(out), table)

    # --force runs the selected model again and replaces its row only
    third = run_app("--models", "lenet5", "--force", *common)
    assert third.returncode == 0, third.stdout + third.stderr
    again = pd.read_csv(out)
    assert len(again) == 2
    new, old = rows_by_model(again), rows
    assert new["lenet5"]["timestamp"] != old["lenet5"]["timestamp"]
    assert new["vgg11"]["timestamp"] == old["vgg11"]["timestamp"] and new["vgg11"]["status"] == "error"


@pytest.mark.parametrize(
    "args, argument, allowed",
    [
        (["--models", "lenet5", "no_such_net*"], "--models", "no_such_net"),
        (["--models", "lenet5", "--backends", "tensorflow,theano"], "--backends", "theano"),
        (["--models", "lenet5:abc"], "--models", "SIZE a positive integer"),
        (["--models", "lenet5", "--epochs", "0"], "--epochs", ">= 1"),
        (["--models", "lenet5", "--dataset", "imagenet21k"], "--dataset", "digits"),
        (["--models", "lenet5", "--out", "results.txt"], "--out", ".csv"),
        (["--models", "lenet5", "--bn-momentum", "1.5"], "--bn-momentum", "[0, 1)"),
        (["--models", "lenet5", "--warmup-epochs", "-1"], "--warmup-epochs", ">= 0"),
        (["--models", "lenet5", "--learning-rate", "0"], "--learning-rate", "positive"),
    ],
)
def test_bad_input_fails_before_any_training(monkeypatch, tmp_path, capsys, args, argument, allowed):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "run_job", _must_not_run)
    assert compare_cli.main(args) == 2
    message = capsys.readouterr().err
    assert f"`{argument}`" in message and allowed in message, message
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_unwritable_output_fails_before_any_training(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(runner, "run_job", _must_not_run)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert compare_cli.main(["--models", "lenet5", "--out", str(blocker / "sub" / "r.csv")]) == 2
    message = capsys.readouterr().err
    assert "`--out`" in message and "can be created and written" in message, message


def test_foreign_csv_is_not_overwritten(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(runner, "run_job", _must_not_run)
    foreign = tmp_path / "mine.csv"
    foreign.write_text("a,b\n1,2\n")
    assert compare_cli.main(["--models", "lenet5", "--out", str(foreign)]) == 2
    assert "CSV written by compare" in capsys.readouterr().err
    assert foreign.read_text() == "a,b\n1,2\n"


def test_make_plan_takes_keywords_and_names_the_flags(tmp_path):
    plan = compare.make_plan(models="lenet5,vgg11:40", epochs=2, backends=BACKEND, out=tmp_path / "r.csv", plots=False)
    assert [(j.model, j.input_size, j.backend) for j in plan.jobs] == [("lenet5", 32, BACKEND), ("vgg11", 40, BACKEND)]
    assert (plan.epochs, plan.plots, plan.schedule) == (2, False, compare.DEFAULT_SCHEDULE)
    for kwargs, flag in [({"epochs": 0}, "--epochs"), ({"schedule": "step"}, "--schedule"), ({"timeout": -1}, "--timeout"),
                         ({"batch_size": 2.5}, "--batch-size"), ({"out": tmp_path / "r.txt"}, "--out")]:
        with pytest.raises(ValueError, match=f"`{flag}`"):
            compare.make_plan(models=["lenet5"], **{"out": tmp_path / "r.csv", **kwargs})


def test_worker_env_quiets_logs_only(monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    env = compare.worker_env("jax")
    assert (env["KERAS_BACKEND"], env["TF_CPP_MIN_LOG_LEVEL"], env["TF_ENABLE_ONEDNN_OPTS"]) == ("jax", "2", "1")  # numerics: the user's
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    assert compare.worker_env("jax")["TF_CPP_MIN_LOG_LEVEL"] == "0"  # a level the user set wins


def test_only_the_measuring_module_imports_a_backend_at_the_top():
    """``--help`` and planning must not need keras: the CLI module and the compare package import it inside functions."""
    import ast

    files = [ROOT / "keras_classics" / "cli" / "compare.py", *sorted((ROOT / "keras_classics" / "compare").glob("*.py"))]
    for path in files:
        if path.name == "measure.py":  # the worker's module: it subclasses keras.callbacks.Callback
            continue
        tree = ast.parse(path.read_text())
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = [a.name for n in top if isinstance(n, ast.Import) for a in n.names] + [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
        heavy = [n for n in names if n.split(".")[0] in ("keras", "tensorflow", "jax", "torch", "pandas", "matplotlib", "numpy")]
        assert not heavy, (path.name, heavy)
        assert path.parent.name == "cli" or "argparse" not in path.read_text(), path.name  # flags live in cli/


def test_model_patterns_and_sizes():
    selection = compare.resolve_models(["vgg1[13]", "vgg11:48,lenet5"], None)
    assert selection == [("vgg11", 32), ("vgg13", 32), ("lenet5", 32)]  # first mention wins, no repeats
    assert compare.resolve_models(["vgg11"], 40) == [("vgg11", 40)]
    assert compare.resolve_models(["vgg11:64"], 40) == [("vgg11", 64)]


def test_plots_and_missing_matplotlib(monkeypatch, tmp_path, capsys):
    table = pd.DataFrame(
        [
            {"model": "small", "backend": "jax", "dataset": "digits", "status": "ok", "params": 60_000, "gmacs": 0.0004,
             "test_accuracy": 0.9, "input_size": 32, "epochs": 2},
            {"model": "big", "backend": "jax", "dataset": "digits", "status": "ok", "params": 20_000_000, "gmacs": 0.2,
             "test_accuracy": 0.97, "input_size": 64, "epochs": 2},
            {"model": "broken", "backend": "jax", "dataset": "digits", "status": "error", "params": None, "gmacs": None,
             "test_accuracy": None, "input_size": 8, "epochs": 2},
        ]
    ).reindex(columns=list(compare.COLUMNS))
    history = pd.DataFrame(
        [{"model": m, "backend": "jax", "dataset": "digits", "epoch": e, "accuracy": 0.5 + e / 10, "val_accuracy": 0.4 + e / 10,
          "loss": 1.0 / e, "val_loss": 1.2 / e, "epoch_s": 1.0} for m in ("small", "big") for e in (1, 2)]
    )
    plan = compare.Plan(jobs=[], dataset="digits", epochs=2, batch_size=64, seed=0, learning_rate=1e-3, schedule="cosine",
                        warmup_epochs=1.0, bn_momentum=0.9, out=tmp_path / "r.csv", force=False, timeout=None, plots=True)
    written = compare.write_plots(table, history, plan)
    assert written == [plan.accuracy_plot_path, plan.curves_plot_path]
    assert all(p.stat().st_size > 10_000 for p in written)

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    plan.out = tmp_path / "other.csv"
    assert compare.write_plots(table, history, plan) == []
    assert "pip install 'keras-classics[plots]'" in capsys.readouterr().out
    assert not plan.accuracy_plot_path.exists()


def test_compare_subcommand_is_the_same_run(monkeypatch, tmp_path, capsys):
    from keras_classics.cli import main as cli_main

    seen = []
    monkeypatch.setattr(runner, "run", lambda plan: seen.append(plan) or 0)
    out = tmp_path / "r.csv"
    assert cli_main(["compare", "--models", "lenet5", "--epochs", "2", "--bn-momentum", "0.5", "--out", str(out)]) == 0
    [plan] = seen
    assert [j.model for j in plan.jobs] == ["lenet5"] and plan.epochs == 2 and plan.bn_momentum == 0.5 and plan.out == out
    assert cli_main(["compare", "--models", "no_such_net"]) == 2
    assert "keras-classics compare: error: `--models`" in capsys.readouterr().err


def test_bn_momentum_reaches_nested_layers():
    inner_in = keras.Input((4, 4, 2))
    inner = keras.Model(inner_in, keras.layers.BatchNormalization()(inner_in), name="inner")
    image = keras.Input((4, 4, 2))
    x = keras.layers.BatchNormalization()(image)
    net = keras.Model(image, keras.layers.Flatten()(inner(x)))
    assert compare.set_bn_momentum(net, 0.9) == 2
    assert all(layer.momentum == 0.9 for layer in (net.layers[1], inner.layers[1]))


def _must_not_run(*args, **kwargs):
    raise AssertionError("training started despite bad input")
