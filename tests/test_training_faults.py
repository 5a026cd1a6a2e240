"""No lost training at any moment of a run: kill a real training process (SIGKILL) at every phase, run the same command.

Each phase's kill comes from a driver script that wraps the Keras or keras-classics
function of that moment, kills its own process there (leaving a truncated temporary
where a write is cut short), and otherwise runs ``keras-classics train`` unchanged:
no test hook lives in the library. The phases chain on one run folder, each killed
process being the resuming run of the one before, then the same command finishes
the run uninterrupted (TensorFlow only: each killed process costs a backend start).
On every backend, one test per defect the folder's states fixed: a foreign folder,
a failed start, an early stop (and a NaN one, stopped in the final evaluation).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_classics.cli
import keras_classics.datasets
from keras_classics.training import check_out_dir, train

from conftest import BACKEND, subprocess_env

TF_ONLY = pytest.mark.skipif(BACKEND != "tensorflow", reason="killed subprocesses cost tens of seconds each: the fault injection runs on TensorFlow only")

# The run folder's logic is the same on every backend; each training run below costs 20-45 s on JAX and PyTorch.
ON_TF = pytest.mark.skipif(BACKEND != "tensorflow", reason="the run folder's states are backend-independent: checked on TensorFlow (20-45 s each on JAX and PyTorch)")

EPOCHS = 3

DRIVER = r'''
import os, signal, sys

import keras

import keras_classics.cli
from keras_classics.utils import files

PHASE = sys.argv[1]


def die(partial=None):
    if partial:  # a write cut short: a truncated temporary stays behind
        with open(partial, "wb") as f:
            f.write(b"truncated")
    os.kill(os.getpid(), signal.SIGKILL)


def wrap(owner, name, wrapper):
    original = getattr(owner, name)
    setattr(owner, name, lambda *args, **kwargs: wrapper(original, *args, **kwargs))


if PHASE == "mid_epoch":  # the 6th batch of the second epoch
    epochs = []
    def on_epoch_begin(original, self, epoch, logs=None):
        epochs.append(epoch)
        return original(self, epoch, logs)
    def on_batch_end(original, self, batch, logs=None):
        if len(epochs) == 2 and batch == 5:
            die()
        return original(self, batch, logs)
    wrap(keras.callbacks.TerminateOnNaN, "on_epoch_begin", on_epoch_begin)
    wrap(keras.callbacks.TerminateOnNaN, "on_batch_end", on_batch_end)
elif PHASE == "backup":  # writing the backup's weights at the end of the first epoch run (log.csv has its row)
    def save_weights(original, self, path, *args, **kwargs):
        if os.sep + "backup" + os.sep in os.fspath(path):
            die(partial=path)
        return original(self, path, *args, **kwargs)
    wrap(keras.Model, "save_weights", save_weights)
elif PHASE == "evaluate":  # the final test evaluation, after fit returned (fit's own validation runs inside fit)
    fitted = []
    def fit(original, *args, **kwargs):
        history = original(*args, **kwargs)
        fitted.append(True)
        return history
    def evaluate(original, *args, **kwargs):
        if fitted:
            die()
        return original(*args, **kwargs)
    wrap(keras.Model, "fit", fit)
    wrap(keras.Model, "evaluate", evaluate)
elif PHASE == "model":  # writing model.keras
    def save(original, self, path, *args, **kwargs):
        if os.path.basename(os.fspath(path)).startswith(".model."):
            die(partial=path)
        return original(self, path, *args, **kwargs)
    wrap(keras.Model, "save", save)
elif PHASE == "results":  # writing results.json
    def atomic_write(original, path, write):
        if os.path.basename(os.fspath(path)) == "results.json":
            die(partial=files.temporary_path(path))
        return original(path, write)
    wrap(files, "atomic_write", atomic_write)
sys.exit(keras_classics.cli.main(sys.argv[2:]))
'''


def command(out):
    return ["train", "lenet5", "--epochs", str(EPOCHS), "--out", str(out), "--quiet"]


def cli_main(argv):
    keras.backend.clear_session()
    return keras_classics.cli.main(argv)


def _rows(out):
    with open(os.path.join(out, "log.csv")) as f:
        return list(csv.DictReader(f))


def _epochs_logged(out):
    return [int(r["epoch"]) for r in _rows(out)]


def _state(out):
    return json.load(open(os.path.join(out, "backup", "state.json")))


def _weights(model):
    return [keras.ops.convert_to_numpy(w) for w in model.weights]


def _assert_same_weights(a, b):
    assert len(a) == len(b)
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)


@TF_ONLY
def test_sigkill_at_every_phase_then_the_same_command_finishes_the_run(tmp_path, capsys, monkeypatch):
    # The uninterrupted run, with the weights at each epoch end.
    reference, out, kept = tmp_path / "reference", tmp_path / "killed", tmp_path / "kept"
    snapshots = []
    with monkeypatch.context() as patch:
        patch.setattr(keras.callbacks.TerminateOnNaN, "on_epoch_end", lambda self, epoch, logs=None: snapshots.append(_weights(self.model)), raising=False)
        assert cli_main(command(reference)) == 0
    capsys.readouterr()
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    kept.mkdir()

    def kill_at(phase):
        proc = subprocess.run([sys.executable, str(driver), phase, *command(out)], env=subprocess_env("tensorflow"),
                              capture_output=True, text=True, timeout=400)
        assert proc.returncode == -signal.SIGKILL, f"{phase}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        state = _state(out)
        shutil.copy(out / "backup" / state["weights"], kept / f"{phase}.weights.h5")  # the committed backup, to compare below
        return state

    # 1. Mid-epoch (the second): the backup holds epoch 1, log.csv its row.
    first = kill_at("mid_epoch")
    assert first["epoch"] == 1 and first.get("stop_reason") is None and _epochs_logged(out) == [0]
    assert _rows(out) == _rows(reference)[:1]  # the epoch before the kill: the uninterrupted run's, to the last digit
    # 2. Resumed, then killed writing the backup at the end of epoch 2: log.csv has that epoch's row, the backup
    # still the previous one (the same file), beside a truncated temporary.
    assert kill_at("backup") == first and _epochs_logged(out) == [0, 1]
    assert any(name.startswith(".backup-") for name in os.listdir(out / "backup"))
    # 3. Resumed (epoch 2 again, and 3), then killed in the final evaluation: every epoch is in the backup, once in log.csv.
    last = kill_at("evaluate")
    assert last["epoch"] == EPOCHS and last.get("stop_reason") is None and _epochs_logged(out) == [0, 1, 2]
    assert not (out / "model.keras").exists() and not (out / "results.json").exists()
    # 4-5. Resumed (no epoch left), killed writing model.keras, then writing results.json: truncated temporaries only.
    assert kill_at("model") == last and not (out / "model.keras").exists() and any(n.startswith(".model.") for n in os.listdir(out))
    assert kill_at("results") == last and (out / "model.keras").exists() and not (out / "results.json").exists()
    assert any(n.startswith(".results.") for n in os.listdir(out))

    # The same command, uninterrupted: it evaluates and saves the backed-up model, and clears the backup.
    assert cli_main(command(out)) == 0
    assert f"no epoch left to run ({EPOCHS} done)" in capsys.readouterr().out
    assert sorted(os.listdir(out)) == sorted(os.listdir(reference))  # backup/ and every truncated temporary gone
    assert _epochs_logged(out) == list(range(EPOCHS)) and list(_rows(out)[0]) == list(_rows(reference)[0])
    results, expected = (json.load(open(d / "results.json")) for d in (out, reference))
    assert (results["epochs"], results["epochs_requested"], results["stop_reason"], results["first_epoch"]) == (EPOCHS, EPOCHS, "completed", EPOCHS)
    assert results["test"] == expected["test"]  # the uninterrupted run's figures, to the last digit
    assert _rows(out) == _rows(reference)  # every epoch's log row too
    final = keras.saving.load_model(out / "model.keras")
    trained = _weights(final)
    final.load_weights(kept / "evaluate.weights.h5")
    _assert_same_weights(trained, _weights(final))  # model.keras is the backup of the last epoch: nothing after it was lost
    final.load_weights(kept / "mid_epoch.weights.h5")
    _assert_same_weights(_weights(final), snapshots[0])  # the backup of epoch 1 is the uninterrupted run's epoch 1
    # Killed five times, the run ends bit-identical to the uninterrupted one: each epoch's data order is keyed
    # on (seed, epoch) (keras_classics/datasets/pipeline.py), not on how many epochs this process has run.
    _assert_same_weights(trained, snapshots[-1])


class Stop(Exception):
    pass


def _stop_in_the_final_evaluation(patch):
    """Raise ``Stop`` in the test evaluation after ``fit`` (an exception: the folder is a kill's, but for the temporaries)."""
    fitted = []
    original_fit, original_evaluate = keras.Model.fit, keras.Model.evaluate

    def fit(self, *args, **kwargs):
        history = original_fit(self, *args, **kwargs)
        fitted.append(True)
        return history

    def evaluate(self, *args, **kwargs):
        if fitted:
            raise Stop()
        return original_evaluate(self, *args, **kwargs)

    patch.setattr(keras.Model, "fit", fit)
    patch.setattr(keras.Model, "evaluate", evaluate)


def test_a_folder_without_run_json_is_refused_and_one_with_run_json_only_starts_afresh(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "log.csv").write_text("my own log\n")
    with pytest.raises(ValueError, match="`out_dir`: .*no run.json"):
        train("lenet5", epochs=1, out_dir=folder, verbose=0)
    assert os.listdir(folder) == ["log.csv"] and (folder / "log.csv").read_text() == "my own log\n"
    with pytest.raises(ValueError, match="`out_dir`: .*a folder"):
        check_out_dir(str(folder / "log.csv"), {}, resume=False, epochs=1)
    (folder / "log.csv").unlink()
    (folder / ".run.tmp-123.json").write_text("{")  # what a kill while writing run.json leaves: still a new folder
    assert check_out_dir(str(folder), {}, resume=False, epochs=1) == "new"
    (folder / "run.json").write_text("{}")  # run.json alone: nothing was trained, any command starts afresh, none resumes
    assert check_out_dir(str(folder), {"model": "another"}, resume=False, epochs=1) == "new"
    with pytest.raises(ValueError, match="`resume`: .*no epoch was trained"):
        check_out_dir(str(folder), {}, resume=True, epochs=1)


@ON_TF
def test_a_failed_start_does_not_block_the_corrected_command(tmp_path, monkeypatch):
    out = tmp_path / "run"
    import keras_classics.training.run as run

    def compile_model(*args, **kwargs):
        raise MemoryError("while building")

    with monkeypatch.context() as patch:
        patch.setattr(run, "compile_model", compile_model)
        with pytest.raises(MemoryError):
            train("lenet5", epochs=1, out_dir=out, verbose=0)
    assert os.listdir(out) == ["run.json"]  # written before the failure; nothing was trained
    keras.backend.clear_session()
    result = train("lenet5", epochs=1, out_dir=out, verbose=0)
    assert result.initial_epoch == 0 and result.epochs_run == 1 and (out / "results.json").exists()


@ON_TF
def test_an_early_stop_is_recorded_and_resume_continues_from_it(tmp_path, capsys):
    # A rate too small to change the validation accuracy: early stopping (patience 1) ends the run after epoch 2.
    out = tmp_path / "run"
    argv = ["train", "lenet5", "--out", str(out), "--quiet", "--early-stopping", "1", "--learning-rate", "1e-9"]
    assert cli_main([*argv, "--epochs", "4"]) == 0
    printed = capsys.readouterr().out
    assert "lenet5: epochs 1-2 in" in printed and "; stopped early by --early-stopping after 2 of 4 epochs;" in printed
    results = json.load(open(out / "results.json"))
    assert (results["epochs"], results["epochs_requested"], results["stop_reason"]) == (2, 4, "early_stopping") and _epochs_logged(out) == [0, 1]
    assert cli_main([*argv, "--epochs", "3", "--resume"]) == 0  # from the epoch the run stopped at
    assert "epochs 3-3 in" in capsys.readouterr().out
    assert json.load(open(out / "results.json"))["epochs"] == 3 and _epochs_logged(out) == [0, 1, 2]


def _nan_images(load_dataset):
    def load(*args, **kwargs):
        splits = load_dataset(*args, **kwargs)
        nan = lambda x, y: (x * float("nan"), y)  # noqa: E731
        train_epochs = splits.train_epochs
        return dataclasses.replace(splits, train=splits.train.map(nan), train_epochs=lambda *a, **k: train_epochs(*a, **k).map(nan))

    return load


@ON_TF
def test_a_nan_stop_outlives_a_stop_in_the_final_evaluation(tmp_path, monkeypatch, capsys):
    # Training images of NaN: TerminateOnNaN ends the run in epoch 1. Stopped in the final evaluation (on every
    # backend; a real kill there is the SIGKILL test's), the same command runs no epoch, not the epoch left,
    # evaluates and saves the backed-up model, and says why training ended.
    monkeypatch.setattr(keras_classics.datasets, "load_dataset", _nan_images(keras_classics.datasets.load_dataset))
    out = tmp_path / "run"
    argv = ["train", "lenet5", "--out", str(out), "--quiet", "--epochs", "2"]
    with monkeypatch.context() as patch:
        _stop_in_the_final_evaluation(patch)
        with pytest.raises(Stop):
            cli_main(argv)
    assert (_state(out)["epoch"], _state(out)["stop_reason"]) == (1, "nan") and not (out / "results.json").exists()
    capsys.readouterr()
    assert cli_main(argv) == 0
    assert "no epoch left to run (1 done); stopped after 1 of 2 epochs: the loss became NaN or infinite" in capsys.readouterr().out
    assert sorted(os.listdir(out)) == ["best.keras", "log.csv", "model.keras", "results.json", "run.json"]
    results = json.load(open(out / "results.json"))
    assert (results["epochs"], results["stop_reason"]) == (1, "nan") and _epochs_logged(out) == [0]
