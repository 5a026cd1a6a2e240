"""Bad input on the command line: one line naming the flag or the file, exit status 2, nothing written, no traceback.

The table calls the CLI in process, and every case must fail in validation: building
a registry model, loading a dataset or starting a comparison fails the test, so the
whole table costs seconds. After it, one test per defect of issue 14 (options not
checked, tracebacks, silent overwrites, evaluate on exported files, image folders).
"""

from __future__ import annotations

import json
import math
import os
import re
import zipfile

import keras
import numpy as np
import pytest

import keras_classics.datasets
from conftest import BACKEND
from keras_classics.cli import compare as compare_cli
from keras_classics.cli import main
from keras_classics.registry import ModelInfo

TRAIN = ["train", "lenet5", "--out", "{tmp}/run"]
EVALUATE = ["evaluate", "{tmp}/corrupt.keras", "--dataset", "digits"]
EXPORT = ["export", "lenet5", "--format", "keras", "--out", "{tmp}/exported"]
COMPARE = ["compare", "--models", "lenet5", "--out", "{tmp}/r.csv"]

# (argv, what the message must name: a flag as typed, a positional argument as the usage shows it, or a file);
# "{tmp}" is the test's folder.
CASES = [
    # train: every option, before the data is read (keras_classics.training.options)
    *[(TRAIN + ["--learning-rate", v], "--learning-rate") for v in ("-0.1", "0", "nan", "inf")],
    *[(TRAIN + ["--momentum", v], "--momentum") for v in ("1", "1.5", "-0.1", "nan")],
    *[(TRAIN + ["--weight-decay", v], "--weight-decay") for v in ("-0.0001", "nan", "inf")],
    *[(TRAIN + ["--warmup-epochs", v], "--warmup-epochs") for v in ("-1", "nan", "inf")],
    (TRAIN + ["--warmup-epochs", "1", "--schedule", "step"], "--warmup-epochs"),
    *[(TRAIN + ["--label-smoothing", v], "--label-smoothing") for v in ("-0.1", "1", "nan")],
    *[(TRAIN + ["--aux-weight", v], "--aux-weight") for v in ("-0.3", "nan", "inf")],
    *[(TRAIN + ["--early-stopping", v], "--early-stopping") for v in ("0", "-3")],
    *[(TRAIN + ["--backup-every", v], "--backup-every") for v in ("0", "-5")],
    *[(TRAIN + ["--validation-split", v], "--validation-split") for v in ("-0.1", "1", "nan")],
    *[(TRAIN + ["--epochs", v], "--epochs") for v in ("0", "-2", "ten")],
    (TRAIN + ["--seed", "-1"], "--seed"),
    *[(TRAIN + ["--batch-size", v], "--batch-size") for v in ("0", "-8")],
    *[(TRAIN + ["--input-size", v], "--input-size") for v in ("0", "16")],
    (TRAIN + ["--dataset", "imagenet22k"], "--dataset"),
    (TRAIN + ["--dataset", "{tmp}/file.txt"], "--dataset"),
    (["train", "lenet5", "--out", "{tmp}/file.txt"], "--out"),
    (["train", "lenet5", "--out", "{tmp}/file.txt/run"], "--out"),
    (["train", "lenet5", "--out", ""], "--out"),
    (TRAIN + ["--data-dir", "{tmp}/file.txt"], "--data-dir"),
    (TRAIN + ["--augment", "crop,wobble"], "--augment"),
    (TRAIN + ["--augment", "randaugment"], "--augment"),  # LeNet-5 is grey
    (TRAIN + ["--recipe", "lbfgs"], "--recipe"),
    (["train", "vgg17", "--out", "{tmp}/run"], "model"),
    (TRAIN + ["--channels", "2"], "--channels"),
    # fine-tuning (keras_classics.training.transfer)
    *[(TRAIN + ["--weights", "{tmp}/run.keras", "--freeze", v], "--freeze") for v in ("all", "stages:0", "stages:x", "stages:-1")],
    (TRAIN + ["--freeze", "backbone"], "--freeze"),  # no --weights
    (TRAIN + ["--weights", "{tmp}/missing.keras"], "--weights"),
    (TRAIN + ["--weights", "{tmp}"], "--weights"),  # a folder without model.keras
    (TRAIN + ["--weights", "torchvision"], "--weights"),  # LeNet-5 has no named checkpoint
    (["train", "resnet18", "--out", "{tmp}/run", "--weights", "torchvision:NOPE"], "--weights"),
    (TRAIN + ["--weights", "{tmp}/run.keras", "--fine-tune-epochs", "2"], "--fine-tune-epochs"),  # nothing frozen to unfreeze
    (TRAIN + ["--weights", "{tmp}/run.keras", "--freeze", "backbone", "--fine-tune-epochs", "-1"], "--fine-tune-epochs"),
    *[(TRAIN + ["--weights", "{tmp}/run.keras", "--freeze", "backbone", "--fine-tune-epochs", "1", "--fine-tune-lr", v], "--fine-tune-lr")
      for v in ("0", "-0.1", "nan")],
    (TRAIN + ["--weights", "{tmp}/run.keras", "--freeze", "backbone", "--fine-tune-lr", "0.001"], "--fine-tune-lr"),  # no fine-tune epochs
    (TRAIN + ["--optimizer", "lbfgs"], "--optimizer"),
    (TRAIN + ["--schedule", "linear"], "--schedule"),
    (TRAIN + ["--precision", "float64"], "--precision"),
    (TRAIN + ["--distribute", "everywhere"], "--distribute"),
    (TRAIN + ["--learning-rate", "fast"], "--learning-rate"),
    # evaluate: the path, its run.json and model file, the dataset, before the data is read
    (["evaluate", "{tmp}/missing.keras", "--dataset", "digits"], "{tmp}/missing.keras"),
    *[(["evaluate", "{tmp}/" + name, "--dataset", "digits"], "{tmp}/" + name)
      for name in ("corrupt.keras", "empty.keras", "truncated.keras", "badjson.keras", "folder.keras", "notes.txt", "truncated.weights.h5")],
    (["evaluate", "{tmp}/run_broken_json"], "{tmp}/run_broken_json/run.json"),
    (["evaluate", "{tmp}/run_list_json"], "{tmp}/run_list_json/run.json"),
    (["evaluate", "{tmp}/run_no_model"], "{tmp}/run_no_model"),
    (["evaluate", "{tmp}/run_corrupt_model"], "{tmp}/run_corrupt_model/model.keras"),
    (["evaluate", "{tmp}/corrupt.keras"], "--dataset"),
    (["evaluate", "{tmp}/corrupt.keras", "--dataset", "imagenet22k"], "--dataset"),
    *[(EVALUATE + ["--batch-size", v], "--batch-size") for v in ("0", "-1", "x")],
    (EVALUATE + ["--split", "holdout"], "--split"),
    (EVALUATE + ["--data-dir", "{tmp}/file.txt"], "--data-dir"),
    # export: flags, then --out and --representative, then the model or file
    (EXPORT[:3] + ["gif"], "--format"),
    (EXPORT[:3] + ["onnx,keras,pdf"], "--format"),
    (EXPORT[:3] + [""], "--format"),
    (EXPORT + ["--quantize", "float16"], "--quantize"),
    (EXPORT[:3] + ["tflite", "--quantize", "int8"], "--representative"),
    (EXPORT + ["--quantize", "int4"], "--quantize"),
    (EXPORT + ["--via", "bus"], "--via"),
    *[(EXPORT + ["--samples", v], "--samples") for v in ("0", "-1")],
    (["export", "lenet5", "--format", "keras", "--out", "{tmp}/file.txt"], "--out"),
    (["export", "lenet5", "--format", "keras", "--out", "{tmp}/file.txt/sub"], "--out"),
    *[(EXPORT + ["--representative", "{tmp}/" + name], "--representative") for name in ("missing.npy", "notes.txt", "truncated.npy")],
    (["export", "vgg17", "--format", "keras"], "MODEL_OR_FILE"),
    *[(["export", "{tmp}/" + name, "--format", "keras", "--out", "{tmp}/exported"], "{tmp}/" + name)
      for name in ("missing.keras", "corrupt.keras", "empty.keras", "truncated.keras", "badjson.keras", "folder.keras", "truncated.weights.h5")],
    # summary
    (["summary", "vgg17"], "MODEL"),
    *[(["summary", "{tmp}/" + name], "{tmp}/" + name)
      for name in ("missing.keras", "corrupt.keras", "empty.keras", "truncated.keras", "badjson.keras", "folder.keras", "truncated.weights.h5")],
    *[(["summary", "lenet5", "--input-size", v], "--input-size") for v in ("0", "-3", "x")],
    (["summary", "lenet5", "--csv", "{tmp}/existing.csv"], "--csv"),  # no silent overwrite: --force
    (["summary", "lenet5", "--csv", "{tmp}/folder.keras"], "--csv"),
    (["summary", "lenet5", "--csv", "{tmp}/file.txt/cost.csv"], "--csv"),
    (["summary", "lenet5", "--csv", ""], "--csv"),
    # compare (also its own entry point, apps/compare.py: test_main_wrapper_is_shared)
    *[(COMPARE + ["--learning-rate", v], "--learning-rate") for v in ("-1", "0", "nan", "inf")],
    *[(COMPARE + ["--warmup-epochs", v], "--warmup-epochs") for v in ("-1", "nan")],
    *[(COMPARE + ["--bn-momentum", v], "--bn-momentum") for v in ("1", "-0.1", "nan")],
    *[(COMPARE + ["--timeout", v], "--timeout") for v in ("0", "-5", "nan")],
    (COMPARE + ["--epochs", "0"], "--epochs"),
    (COMPARE + ["--batch-size", "0"], "--batch-size"),
    (COMPARE + ["--seed", "-1"], "--seed"),
    (COMPARE + ["--input-size", "0"], "--input-size"),
    (COMPARE + ["--schedule", "step"], "--schedule"),
    (["compare", "--models", "no_such_net*", "--out", "{tmp}/r.csv"], "--models"),
    (["compare", "--models", "lenet5:abc", "--out", "{tmp}/r.csv"], "--models"),
    (COMPARE + ["--backends", "tensorflow,theano"], "--backends"),
    (COMPARE + ["--dataset", "imagenet21k"], "--dataset"),
    (["compare", "--models", "lenet5", "--out", "{tmp}/results.txt"], "--out"),
    (["compare", "--models", "lenet5", "--out", "{tmp}/file.txt/r.csv"], "--out"),
    (["compare", "--models", "lenet5", "--out", "{tmp}/dir.csv"], "--out"),
    (["compare", "--models", "lenet5", "--out", "{tmp}/existing.csv"], "--out"),  # not compare's CSV: not overwritten
]


@pytest.fixture(autouse=True)
def _clear_session():
    """Replaces conftest's: the cases build nothing, and its garbage collection costs 0.45 s a case on TensorFlow."""
    yield


def _must_not_run(*args, **kwargs):
    raise AssertionError("a bad input got past validation: a model was built, data loaded or a comparison started")


@pytest.fixture(autouse=True)
def _nothing_heavy(monkeypatch):
    from keras_classics.compare import runner

    monkeypatch.setattr(ModelInfo, "build", _must_not_run)
    monkeypatch.setattr(keras_classics.datasets, "load_dataset", _must_not_run)
    monkeypatch.setattr(runner, "run_job", _must_not_run)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The files the cases name: corrupt and truncated models, broken run folders, a file where a folder goes."""
    tmp = tmp_path_factory.mktemp("files")
    (tmp / "file.txt").write_text("a file, not a folder")
    (tmp / "run.keras").write_bytes(b"never read: the fine-tuning cases fail on another flag first")
    (tmp / "notes.txt").write_text("not a model")
    (tmp / "existing.csv").write_text("a,b\n1,2\n")
    (tmp / "corrupt.keras").write_bytes(b"this is no zip archive")
    (tmp / "empty.keras").write_bytes(b"")
    (tmp / "folder.keras").mkdir()
    (tmp / "dir.csv").mkdir()
    with zipfile.ZipFile(tmp / "badjson.keras", "w") as archive:  # a zip whose config is not JSON
        archive.writestr("metadata.json", json.dumps({"keras_version": keras.__version__}))
        archive.writestr("config.json", "{not json")
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(64))
    whole = (tmp / "badjson.keras").read_bytes()
    (tmp / "truncated.keras").write_bytes(whole[: len(whole) // 2])
    (tmp / "truncated.weights.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(40))
    np.save(tmp / "inputs.npy", np.zeros((2, 32, 32, 1), "float32"))
    (tmp / "truncated.npy").write_bytes((tmp / "inputs.npy").read_bytes()[:100])
    run = {"model": "lenet5", "dataset": "digits", "input_shape": [32, 32, 1], "num_classes": 10, "seed": 0}
    for name, run_json, model in (("run_broken_json", '{"model": "lenet5", "data', None), ("run_list_json", "[1, 2]", None),
                                  ("run_no_model", json.dumps(run), None), ("run_corrupt_model", json.dumps(run), b"PK\x03\x04 cut short")):
        (tmp / name).mkdir()
        (tmp / name / "run.json").write_text(run_json)
        if model is not None:
            (tmp / name / "model.keras").write_bytes(model)
    return tmp


def call(argv) -> int:
    """``keras-classics ARGV`` in process: its exit status, argparse's included."""
    try:
        return main(argv)
    except SystemExit as exit:
        return exit.code


def _listing(folder):
    return sorted((root, tuple(sorted(names))) for root, _, names in os.walk(folder))


@pytest.mark.parametrize("argv, named", CASES, ids=[" ".join(argv).replace("{tmp}/", "") for argv, _ in CASES])
def test_bad_input_is_one_line_naming_the_flag_or_file(files, capsys, argv, named):
    argv = [a.replace("{tmp}", str(files)) for a in argv]
    named = named.replace("{tmp}", str(files))
    before = _listing(files)
    assert call(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    if "/" not in named:  # a flag or positional argument: ours in backticks, argparse's after "argument"
        assert re.search(rf"`{re.escape(named)}`|argument {re.escape(named)}\b", err), err
    else:
        assert named in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 or lines[-1].startswith(f"keras-classics {argv[0]}: error: argument"), err  # argparse adds its usage
    assert _listing(files) == before  # nothing written, nothing overwritten


def test_the_table_is_large_and_covers_every_command():
    assert len(CASES) >= 100
    assert {argv[0] for argv, _ in CASES} == {"train", "evaluate", "export", "summary", "compare"}


# Defect 1: every training option is checked, in one place, before anything is written.

BAD_OPTIONS = [
    ({"learning_rate": -0.1}, "learning_rate"), ({"learning_rate": 0}, "learning_rate"), ({"learning_rate": math.nan}, "learning_rate"),
    ({"momentum": 1.0}, "momentum"), ({"momentum": -0.5}, "momentum"), ({"weight_decay": -1e-4}, "weight_decay"),
    ({"weight_decay": math.inf}, "weight_decay"), ({"gamma": -0.1}, "gamma"), ({"gamma": 0}, "gamma"),
    ({"warmup_epochs": -1}, "warmup_epochs"), ({"label_smoothing": 1.0}, "label_smoothing"), ({"aux_weight": -0.3}, "aux_weight"),
    ({"patience": 0}, "patience"), ({"step_epochs": 0}, "step_epochs"), ({"milestones": (0.5, -1)}, "milestones"),
    ({"clipnorm": 0}, "clipnorm"), ({"rho": 1.0}, "rho"), ({"epsilon": 0}, "epsilon"), ({"optimizer": "lbfgs"}, "optimizer"),
    ({"nesterov": "yes"}, "nesterov"),
]


@pytest.mark.parametrize("fields, keyword", BAD_OPTIONS)
def test_a_recipe_checks_its_fields_by_hand_or_by_override(fields, keyword):
    from keras_classics.training import Recipe
    from keras_classics.training.options import check_train_options

    with pytest.raises(ValueError, match=f"^`{keyword}`: received"):
        Recipe(**fields)
    with pytest.raises(ValueError, match=f"^`{keyword}`: received"):
        check_train_options("lenet5", out_dir="unused", recipe_overrides=fields)


@pytest.mark.parametrize("kwargs, keyword", [
    ({"early_stopping": 0}, "early_stopping"), ({"early_stopping": -2}, "early_stopping"), ({"backup_freq": 0}, "backup_freq"),
    ({"backup_freq": "batch"}, "backup_freq"), ({"epochs": 0}, "epochs"), ({"seed": -1}, "seed"), ({"batch_size": 0}, "batch_size"),
    ({"validation_split": math.nan}, "validation_split"), ({"validation_split": 1.0}, "validation_split"), ({"input_size": 16}, "input_size"),
    ({"channels": 2}, "channels"), ({"precision": "float64"}, "precision"), ({"distribute": "all"}, "distribute"),
    ({"dataset": "imagenet22k"}, "dataset"), ({"augment": "wobble"}, "augment"), ({"recipe": "lbfgs"}, "recipe"),
    ({"recipe_overrides": {"learning_rat": 0.1}}, "recipe"), ({"resume": "yes"}, "resume"), ({"tensorboard": 1}, "tensorboard"),
    ({"verbose": 3}, "verbose"), ({"model_kwargs": [1]}, "model_kwargs"), ({"out_dir": None}, "out_dir"),
])
def test_check_train_options_names_the_keyword(kwargs, keyword):
    from keras_classics.training.options import check_train_options

    with pytest.raises(ValueError, match=f"^`{keyword}`: received"):
        check_train_options("lenet5", **{"out_dir": "unused", **kwargs})


def test_check_train_options_returns_the_recipe_and_writes_nothing(tmp_path):
    from keras_classics.training import RECIPES
    from keras_classics.training.options import check_train_options

    out = tmp_path / "a" / "b"
    recipe = check_train_options("lenet5", out_dir=out, recipe_overrides={"learning_rate": 0.01, "momentum": None})
    assert recipe == RECIPES["lenet"].with_overrides(learning_rate=0.01) and not out.exists()
    with pytest.raises(ValueError, match="^`model_name`: received 'vgg17'"):
        check_train_options("vgg17", out_dir=out)
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="^`out_dir`.*is a file"):
        check_train_options("lenet5", out_dir=tmp_path / "f" / "run")


def test_check_train_options_mirrors_train_s_signature():
    """The checker takes ``train``'s arguments, same names and defaults: one cannot drift from the other."""
    import inspect

    from keras_classics.training import train
    from keras_classics.training.options import check_train_options

    def parameters(fn):
        return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]

    assert parameters(check_train_options) == parameters(train)


def test_train_checks_every_option_before_reading_data(tmp_path, capsys):
    """train() runs the checks first: an option only the Recipe or the callbacks saw (early stopping) fails at once."""
    for argv, flag in [(["--early-stopping", "0"], "--early-stopping"), (["--backup-every", "0"], "--backup-every"),
                       (["--momentum", "1.5"], "--momentum"), (["--out", str(tmp_path / "f.txt" / "run")], "--out")]:
        (tmp_path / "f.txt").write_text("x")
        assert call(["train", "lenet5", "--out", str(tmp_path / "run"), *argv]) == 2
        assert f"`{flag}`" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


# Defect 2: expected failures are one line naming the file; a bug keeps its traceback; one wrapper for both mains.

@pytest.mark.parametrize("entry", ["keras-classics compare", "apps/compare.py"])
def test_main_wrapper_is_shared(monkeypatch, tmp_path, capsys, entry):
    import keras_classics.compare

    argv = ["--models", "lenet5", "--out", str(tmp_path / "r.csv")]
    run = (lambda: main(["compare", *argv])) if entry.startswith("keras") else (lambda: compare_cli.main(argv))

    def denied(plan):
        raise PermissionError(13, "Permission denied", str(tmp_path / "r.csv"))

    monkeypatch.setattr(keras_classics.compare, "run_plan", denied)
    assert run() == 2
    err = capsys.readouterr().err
    assert err.strip() == f"{'keras-classics compare' if entry.startswith('keras') else 'compare'}: error: {tmp_path / 'r.csv'}: Permission denied"

    def bug(plan):
        raise KeyError("a genuine bug")

    monkeypatch.setattr(keras_classics.compare, "run_plan", bug)
    with pytest.raises(KeyError):
        run()


def test_expected_errors_become_one_line():
    from keras_classics.cli import _errors

    assert _errors.describe(IsADirectoryError(21, "Is a directory", "/data/run")) == "/data/run: Is a directory"
    assert _errors.describe(OSError("Unable to synchronously open file (truncated file: eof = 96)")).startswith("OSError: Unable")
    assert "truncated or corrupt" in _errors.describe(zipfile.BadZipFile("File is not a zip file"))
    assert "\n" not in _errors.describe(ValueError("two\nlines"))


def test_a_truncated_keras_file_is_not_reported_as_missing(files):
    from keras_classics.utils.models import load_model_file

    for name in ("truncated.keras", "empty.keras", "corrupt.keras"):
        with pytest.raises(ValueError, match=f"^`model`: received '{re.escape(str(files / name))}'.*truncated or corrupt") as raised:
            load_model_file(files / name)
        assert "File not found" not in str(raised.value)


@pytest.mark.skipif(BACKEND != "tensorflow", reason="h5py's errors do not depend on the backend")
def test_a_truncated_weights_file_is_one_error_naming_it(tmp_path):
    from keras_classics.utils.models import load_weights_file

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.save_weights(tmp_path / "w.weights.h5")
    whole = (tmp_path / "w.weights.h5").read_bytes()
    (tmp_path / "cut.weights.h5").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match=r"^`backup`: received '.*cut\.weights\.h5'.*bytes.*loading them failed"):
        load_weights_file(model, tmp_path / "cut.weights.h5", argument="backup")
    load_weights_file(model, tmp_path / "w.weights.h5", argument="backup")


# Defect 3: nothing is overwritten silently.

@pytest.mark.skipif(BACKEND != "tensorflow", reason="profiles a model: the CSV rule does not depend on the backend")
def test_summary_csv_is_replaced_only_with_force(monkeypatch, tmp_path, capsys):
    monkeypatch.undo()  # this one builds LeNet-5
    csv = tmp_path / "new" / "cost.csv"
    assert call(["summary", "lenet5", "--csv", str(csv)]) == 0  # its folder is created
    first = csv.read_text()
    csv.write_text("mine")
    assert call(["summary", "lenet5", "--csv", str(csv)]) == 2
    assert "`--csv`" in capsys.readouterr().err and csv.read_text() == "mine"
    assert call(["summary", "lenet5", "--csv", str(csv), "--force"]) == 0
    assert csv.read_text() == first


def test_lab_out_must_be_a_folder(files, capsys):
    assert call(["lab", "run", "grouped-conv", "--out", str(files / "file.txt")]) == 2
    assert "`--out`" in capsys.readouterr().err


# Defect 4: evaluate takes what export writes (an uncompiled model) and checks the classes.

def test_evaluate_takes_an_uncompiled_model(monkeypatch, tmp_path):
    """On every backend (TensorFlow said "You must call compile()", PyTorch raised an AttributeError), with a model
    as small as it gets: evaluate compiles a model saved without its training configuration."""
    from keras_classics.training import evaluate

    monkeypatch.undo()
    keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]).save(tmp_path / "m.keras")
    metrics = evaluate(tmp_path / "m.keras", dataset="digits", batch_size=360)
    assert set(metrics) == {"loss", "accuracy", "top5"} and 0 <= metrics["accuracy"] <= 1


@pytest.mark.skipif(BACKEND != "tensorflow", reason="exports and evaluates LeNet-5: the other backends evaluate an uncompiled model above")
def test_evaluate_takes_what_export_writes(monkeypatch, tmp_path, capsys):
    monkeypatch.undo()
    assert call(["export", "lenet5", "--format", "keras", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert call(["evaluate", str(tmp_path / "lenet5.keras"), "--dataset", "digits", "--batch-size", "360"]) == 0
    out = capsys.readouterr().out
    assert "lenet5.keras (test): " in out and {"loss", "accuracy", "top5"} == set(re.findall(r"(\w+) [\d.]+", out.split("(test): ")[1]))


def test_evaluate_refuses_a_model_with_other_classes_before_loading_data(tmp_path, capsys):
    """On every backend (JAX reported an accuracy): the model's output units against the dataset's classes."""
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    model.save(tmp_path / "three.keras")
    assert call(["evaluate", str(tmp_path / "three.keras"), "--dataset", "digits"]) == 2
    err = capsys.readouterr().err
    assert "`path`" in err and "three.keras" in err and "10 output units" in err and "has 3" in err
