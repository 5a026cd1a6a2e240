"""A trained model's metrics on a dataset split: a run folder of :func:`~keras_classics.training.train`, or a ``.keras`` file.

Given a run folder it loads ``best.keras`` (``last=True``: ``model.keras``) and the
dataset, validation split, seed and label mode of ``run.json``; given a ``.keras``
file it needs ``dataset``.
"""

from __future__ import annotations

import os

from keras_classics._validate import bad_argument, check_choice
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
        run = read_json(run_path)
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
    from keras_classics.datasets import load_dataset

    check_choice("split", split, SPLITS)
    path = os.fspath(path)
    model_path, run = _model_path(path, last=last)
    dataset = dataset or run.get("dataset")
    if dataset is None:
        raise bad_argument("dataset", None, "a dataset name or folder (the .keras file carries none)")
    model = load_model_file(model_path, argument="path")
    splits = load_dataset(dataset, input_shape=tuple(model.inputs[0].shape[1:]), batch_size=batch_size,
                          validation_split=run.get("validation_split", 0.1),
                          seed=run.get("seed", 0), data_dir=data_dir, one_hot=run.get("label_mode") == "categorical")
    if run and splits.num_classes != run.get("num_classes"):
        raise bad_argument("dataset", dataset, f"a dataset with the {run.get('num_classes')} classes the model was trained on")
    data = {"test": splits.test, "validation": splits.validation, "train": splits.train}[split]
    if data is None:
        raise bad_argument("split", split, "'test' or 'train' (the run has no validation split)")
    return model.evaluate(_for_outputs(data, len(model.outputs)), verbose=0, return_dict=True)
