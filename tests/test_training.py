"""Training: LeNet-5 on digits, recipes, callbacks, resuming, same seed same weights, bad input.

Kills at every phase of a run: tests/test_training_faults.py. Distributed training: tests/test_training_distributed.py.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil

import keras
import numpy as np
import pytest

import keras_classics
from keras_classics import training
import keras_classics.cli
from keras_classics.training import RECIPES, AtomicBackupAndRestore, Recipe, loss_weights, make_optimizer, recipe_for, train


def cli_main(argv):
    return keras_classics.cli.main(argv)


EPOCHS, BATCH = 5, 32  # LeNet-5 on digits: >= 95 % test accuracy in a few seconds of training


# The tests that share the run below go to one xdist worker, so it trains once per suite, not once per worker.
SHARES_THE_RUN = pytest.mark.xdist_group("lenet_run")


@pytest.fixture(scope="session")  # not module: xdist may run another module's tests between the group's, which tore a module fixture down (trained twice)
def lenet_run(tmp_path_factory):
    """One uninterrupted LeNet-5 run on digits, shared by the tests below."""
    keras.utils.set_random_seed(0)
    out = tmp_path_factory.mktemp("lenet") / "run"
    result = train("lenet5", dataset="digits", epochs=EPOCHS, batch_size=BATCH, out_dir=out, verbose=0)
    keras.backend.clear_session()
    return result


@SHARES_THE_RUN
def test_lenet5_reaches_95_percent_on_digits(lenet_run):
    assert lenet_run.test["accuracy"] >= 0.95, lenet_run.test
    assert lenet_run.initial_epoch == 0 and lenet_run.epochs_run == EPOCHS


@SHARES_THE_RUN
def test_xdist_keeps_a_group_on_one_worker(request):
    """``--dist loadgroup`` (pyproject's addopts) tags a grouped test's id with its group; without the tag the
    group's tests spread over the workers and each trains its own copy of the shared run (pytest 9.2 with
    pytest-xdist 3.8 did that silently)."""
    if not os.environ.get("PYTEST_XDIST_WORKER") or not request.config.getvalue("loadgroup"):
        pytest.skip("not run by pytest-xdist with --dist loadgroup")
    assert request.node.nodeid.endswith("@lenet_run"), request.node.nodeid


@SHARES_THE_RUN
def test_run_folder_holds_models_log_and_results(lenet_run):
    out = lenet_run.out_dir
    assert sorted(os.listdir(out)) == ["best.keras", "log.csv", "model.keras", "results.json", "run.json"]  # backup/ removed at the end
    with open(os.path.join(out, "log.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == list(range(EPOCHS)) and "val_accuracy" in rows[0]
    results = json.load(open(os.path.join(out, "results.json")))
    assert results["test"]["accuracy"] == pytest.approx(lenet_run.test["accuracy"])
    best = keras.saving.load_model(os.path.join(out, "best.keras"))
    assert best.count_params() == lenet_run.model.count_params()


@SHARES_THE_RUN
def test_evaluate_command_reproduces_the_test_accuracy(lenet_run, capsys):
    assert cli_main(["evaluate", lenet_run.out_dir, "--last"]) == 0
    printed = capsys.readouterr().out
    assert f"accuracy {lenet_run.test['accuracy']:.4f}" in printed


@SHARES_THE_RUN
def test_evaluate_in_the_library_reads_the_run_and_checks_its_arguments(lenet_run, tmp_path):
    metrics = training.evaluate(lenet_run.out_dir, split="validation", last=True)
    assert metrics["accuracy"] == pytest.approx(lenet_run.history["val_accuracy"][-1], abs=1e-6)
    with pytest.raises(ValueError, match="`split`"):
        training.evaluate(lenet_run.out_dir, split="holdout")
    with pytest.raises(ValueError, match="`path`"):
        training.evaluate(tmp_path)  # no run.json
    with pytest.raises(ValueError, match="`dataset`"):
        training.evaluate(os.path.join(lenet_run.out_dir, "model.keras"))  # a bare .keras file carries no dataset


def _weights(model):
    return [keras.ops.convert_to_numpy(w) for w in model.weights]


def test_same_seed_same_backend_same_weights(tmp_path):
    # with augmentation and label smoothing (one-hot labels), so their randomness is seeded too
    runs = []
    for name in ("a", "b"):
        keras.backend.clear_session()
        runs.append(train("lenet5", epochs=1, batch_size=64, out_dir=tmp_path / name, seed=3, verbose=0, augment="crop",
                          recipe="adam", recipe_overrides={"label_smoothing": 0.1}))
    assert json.load(open(tmp_path / "a" / "run.json"))["label_mode"] == "categorical"
    assert runs[0].test["accuracy"] > 0.5
    for wa, wb in zip(_weights(runs[0].model), _weights(runs[1].model)):
        np.testing.assert_array_equal(wa, wb)


def _snapshot(folder):
    return {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder)) if os.path.isfile(os.path.join(folder, name))}


@pytest.mark.parametrize("argv, message", [
    (["--dataset", "imagenet22k"], "`(name|--dataset)`: received 'imagenet22k'"),  # the library's keyword, or the flag (cli._errors)
    (["--batch-size", "4000"], "`(batch_size|--batch-size)`: received 4000; allowed: at most"),
    (["--input-size", "16"], "`(input_size|--input-size)`: received '16x16'; allowed: at least 32x32"),
    (["--resume"], "`(--)?resume`.*no run.json"),
])
def test_bad_input_is_one_clear_line_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "new"
    assert cli_main(["train", "lenet5", "--epochs", "1", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("keras-classics train: error:") and len(err.strip().splitlines()) == 1
    assert re.search(message, err), err
    assert not out.exists()


@SHARES_THE_RUN
def test_resume_with_a_mismatched_model_overwrites_nothing(lenet_run, capsys):
    before = _snapshot(lenet_run.out_dir)
    for argv in (["vgg11", "--input-size", "32", "--resume"], ["lenet5", "--channels", "3", "--resume"], ["lenet5"],
                 ["lenet5", "--resume", "--epochs", str(EPOCHS)]):
        assert cli_main(["train", "--epochs", "9", *argv, "--out", lenet_run.out_dir]) == 2
        err = capsys.readouterr().err
        assert re.search("`(--)?(resume|out_dir|out|epochs)`", err), err
    assert _snapshot(lenet_run.out_dir) == before


@SHARES_THE_RUN
def test_resume_continues_a_finished_run(lenet_run, tmp_path):
    out = tmp_path / "continued"
    shutil.copytree(lenet_run.out_dir, out)
    result = train("lenet5", epochs=EPOCHS + 1, batch_size=BATCH, out_dir=out, resume=True, verbose=0)
    assert result.initial_epoch == EPOCHS and result.epochs_run == 1
    assert result.test["accuracy"] >= 0.95
    with open(out / "log.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == list(range(EPOCHS + 1))


def test_every_recipe_builds_its_optimizer_and_schedule():
    for name, recipe in RECIPES.items():
        optimizer = make_optimizer(recipe, steps_per_epoch=10, epochs=20)
        assert type(optimizer).__name__.lower() == recipe.optimizer, name
    schedule = make_optimizer(RECIPES["resnet"], steps_per_epoch=10, epochs=20)._learning_rate  # /10 at 50 % and 75 %
    assert [float(keras.ops.convert_to_numpy(schedule(s))) for s in (0, 99, 101, 151)] == pytest.approx([0.1, 0.1, 0.01, 0.001])
    googlenet = make_optimizer(RECIPES["inception"], steps_per_epoch=10, epochs=20)._learning_rate  # -4 % every 8 epochs
    assert float(keras.ops.convert_to_numpy(googlenet(85))) == pytest.approx(0.01 * 0.96)
    assert recipe_for("googlenet") is RECIPES["inception"] and recipe_for("inception_v3").label_smoothing == 0.1
    assert recipe_for("resnet20_cifar", "adam") is RECIPES["adam"]
    with pytest.raises(ValueError, match="`recipe`"):
        recipe_for("lenet5", "lbfgs")
    with pytest.raises(ValueError, match="`recipe`"):
        Recipe().with_overrides(learning_rat=0.1)


def test_learning_rate_schedule_warms_up_then_decays():
    steps, epochs = 10, 4

    def schedule(name, warmup, epochs=epochs):
        return training.learning_rate_schedule(Recipe("adam", 1e-3, schedule=name, warmup_epochs=warmup), steps_per_epoch=steps, epochs=epochs)

    rate = schedule("cosine", 1.0)
    value = lambda step: float(keras.ops.convert_to_numpy(rate(step)))
    assert value(0) == pytest.approx(0.0, abs=1e-9)
    assert value(5) == pytest.approx(0.5e-3, rel=1e-4)  # linear warm-up over the first epoch
    assert value(10) == pytest.approx(1e-3, rel=1e-4)  # the peak
    assert value(25) == pytest.approx(0.5e-3, rel=1e-3)  # cosine: halfway down at the middle of the rest
    assert value(40) == pytest.approx(0.0, abs=1e-9)
    constant = schedule("constant", 1.0)
    assert float(keras.ops.convert_to_numpy(constant(30))) == pytest.approx(1e-3, rel=1e-5)
    assert schedule("constant", 0.0) == 1e-3
    short = schedule("cosine", 3.0, epochs=1)  # warm-up capped at half the run
    assert float(keras.ops.convert_to_numpy(short(5))) == pytest.approx(1e-3, rel=1e-4)
    with pytest.raises(ValueError, match="`warmup_epochs`: received 1.0.*'step' schedule"):
        schedule("step", 1.0)
    with pytest.raises(ValueError, match="`warmup_epochs`: received -1.*>= 0"):
        schedule("cosine", -1)


def test_determinism_seeds_tensorflows_global_generator():
    # With op determinism on, TF will not create its global generator implicitly; code
    # that draws from it (keras-cv's augmentation layers) failed inside training.
    import tensorflow as tf

    draws = []
    for _ in range(2):
        with training.determinism(3):
            draws.append(tf.random.get_global_generator().uniform((4,)).numpy())
    np.testing.assert_array_equal(draws[0], draws[1])  # the same seed, the same draws


def test_aux_loss_weights_follow_output_order():
    inputs = keras.Input((4,))
    outputs = [keras.layers.Dense(2, name=n)(inputs) for n in ("predictions", "aux1", "aux2")]
    assert loss_weights(keras.Model(inputs, outputs)) == [1.0, 0.3, 0.3]
    assert loss_weights(keras.Model(inputs, outputs[:2]), 0.4) == [1.0, 0.4]


def test_label_smoothing_needs_one_hot_labels():
    model = keras_classics.get_model("lenet5")
    with pytest.raises(ValueError, match="`label_smoothing`"):
        training.compile_model(model, Recipe(label_smoothing=0.1), steps_per_epoch=1, epochs=1, label_mode="int")


def test_mixed_precision_switch_sets_and_resets_the_policy():
    training.set_precision("mixed_bfloat16")
    try:
        assert keras_classics.get_model("lenet5").layers[1].compute_dtype == "bfloat16"
    finally:
        training.set_precision("float32")
    assert keras.mixed_precision.global_policy().name == "float32"
    with pytest.raises(ValueError, match="`precision`"):
        training.set_precision("float8")


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    from keras_classics.utils.files import atomic_write, write_json

    assert training._atomic is atomic_write and training.write_json is write_json  # the old names still import
    target = tmp_path / "state.json"
    write_json(target, {"epoch": 1})

    def crash(tmp):
        with open(tmp, "w") as f:
            f.write('{"epoch": 2, "half')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, crash)
    assert json.load(open(target)) == {"epoch": 1} and os.listdir(tmp_path) == ["state.json"]


def test_backup_restores_epoch_optimizer_and_callback_state(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    stop = keras.callbacks.EarlyStopping(patience=9)
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")
    model.fit(x, y, epochs=3, verbose=0, callbacks=[stop, AtomicBackupAndRestore(tmp_path / "b", stateful=[stop], delete_on_end=False)])
    state = json.load(open(tmp_path / "b" / "state.json"))
    assert state["epoch"] == 3 and os.listdir(tmp_path / "b") == ["state.json", state["weights"]] or sorted(os.listdir(tmp_path / "b")) == sorted(["state.json", state["weights"]])
    fresh = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    fresh.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse")
    stop2 = keras.callbacks.EarlyStopping(patience=9)
    backup = AtomicBackupAndRestore(tmp_path / "b", stateful=[stop2])
    history = fresh.fit(x, y, epochs=4, verbose=0, callbacks=[stop2, backup])
    assert backup.restored_epoch == 3 and history.epoch == [3]
    assert int(keras.ops.convert_to_numpy(fresh.optimizer.iterations)) == 4  # 3 restored + 1 run
    assert not (tmp_path / "b").exists()
