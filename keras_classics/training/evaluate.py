"""A trained model's metrics on a dataset split: a run folder of :func:`~keras_classics.training.train`, or a ``.keras`` file.

Given a run folder it loads ``best.keras`` (``last=True``: ``model.keras``) and the
dataset, validation split, seed and label mode of ``run.json``; given a ``.keras``
file it needs ``dataset``. A model saved uncompiled (``keras-classics export
--format keras``, ``get_model(...).save``) is compiled for classification here;
one whose output does not have the dataset's number of classes is refused before
the data is loaded (TensorFlow and PyTorch would crash deep inside, JAX would
report a meaningless accuracy).
"""

from __future__ import annotations

import os

from keras_classics._validate import bad_argument, check_bool, check_choice, check_int
from keras_classics.training.recipes import RECIPES, compile_model
from keras_classics.training.run import _for_outputs
from keras_classics.utils.files import read_json
from keras_classics.utils.models import load_model_file

SPLITS = ("test", "validation", "train")


def _model_path(path, *, last: bool):
    """The ``.keras`` file ``path`` names, and the ``run.json`` record beside it (empty for a bare file)."""
    run = {}
    if os.path.isdir(path):
        run_path = os.path.join(path, "run.json")
        if not os.path.exists(run_path):
            raise bad_argument("path", path, "a run folder written by `keras-classics train` (no run.json) or a .keras file")
        try:
            run = read_json(run_path)
        except (OSError, ValueError) as err:  # truncated, not JSON, not UTF-8
            raise bad_argument("path", run_path, f"the run.json `keras-classics train` writes (reading it failed: {type(err).__name__}: {err})") from None
        if not isinstance(run, dict):
            raise bad_argument("path", run_path, "the run.json `keras-classics train` writes (a JSON object)")
        model_path = os.path.join(path, "model.keras" if last else "best.keras")
        if not os.path.exists(model_path):
            model_path = os.path.join(path, "model.keras")
    elif os.path.isfile(path) and path.endswith(".keras"):
        model_path = path
    else:
        raise bad_argument("path", path, "an existing run folder or .keras file")
    if not os.path.exists(model_path):
        raise bad_argument("path", path, "a run folder holding best.keras or model.keras (has training finished an epoch?)")
    return model_path, run


def evaluate(path, *, dataset=None, split="test", last=False, batch_size=64, data_dir=None) -> dict:
    """``model.evaluate`` of the model in ``path`` on ``split`` of ``dataset`` (default: the run's), as a dict of metrics."""
    from keras_classics.datasets import check_data_dir, check_dataset, dataset_classes, load_dataset

    check_choice("split", split, SPLITS)
    check_bool("last", last)
    check_int("batch_size", batch_size, minimum=1)
    check_data_dir("data_dir", data_dir)
    if not isinstance(path, (str, os.PathLike)):
        raise bad_argument("path", path, "a run folder or a .keras file")
    path = os.fspath(path)
    model_path, run = _model_path(path, last=last)
    dataset = dataset or run.get("dataset")
    if dataset is None:
        raise bad_argument("dataset", None, "a dataset name or folder (the .keras file carries none)")
    check_dataset("dataset", dataset)
    model = load_model_file(model_path, argument="path")
    classes, units = dataset_classes(dataset), model.outputs[0].shape[-1]
    if units != classes:
        raise bad_argument("path", model_path, f"a model with {classes} output units, the classes of dataset {dataset!r} (this one has {units})")
    splits = load_dataset(dataset, input_shape=tuple(model.inputs[0].shape[1:]), batch_size=batch_size,
                          validation_split=run.get("validation_split", 0.1),
                          seed=run.get("seed", 0), data_dir=data_dir, one_hot=run.get("label_mode") == "categorical")
    if run and splits.num_classes != run.get("num_classes"):
        raise bad_argument("dataset", dataset, f"a dataset with the {run.get('num_classes')} classes the model was trained on")
    data = {"test": splits.test, "validation": splits.validation, "train": splits.train}[split]
    if data is None:
        raise bad_argument("split", split, "'test' or 'train' (the run has no validation split)")
    if not getattr(model, "compiled", False) or model.loss is None:  # saved without its training configuration
        compile_model(model, RECIPES["adam"], steps_per_epoch=1, epochs=1, label_mode=splits.label_mode, num_classes=splits.num_classes)
    return model.evaluate(_for_outputs(data, len(model.outputs)), verbose=0, return_dict=True)
