"""``keras-classics evaluate RUN_DIR_OR_MODEL.keras``: a trained model's metrics on a dataset split.

Given a run folder written by ``keras-classics train`` it loads ``best.keras``
(``--last``: ``model.keras``) and the dataset, input shape and seed of
``run.json``; given a ``.keras`` file it needs ``--dataset``.
"""

from __future__ import annotations

import os


def add_parser(subparsers):
    p = subparsers.add_parser("evaluate", help="evaluate a trained model on a dataset split")
    p.add_argument("path", help="a run folder from `keras-classics train`, or a .keras file")
    p.add_argument("--dataset", help="default: the run's dataset")
    p.add_argument("--split", choices=("test", "validation", "train"), default="test")
    p.add_argument("--last", action="store_true", help="the last epoch's model.keras instead of best.keras")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--data-dir", help="Keras's cache folder for downloaded datasets")
    return p


def evaluate(path, *, dataset=None, split="test", last=False, batch_size=64, data_dir=None) -> dict:
    import keras

    from keras_classics._validate import bad_argument
    from keras_classics.datasets import load_dataset
    from keras_classics.training import _for_outputs, read_json

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
    dataset = dataset or run.get("dataset")
    if dataset is None:
        raise bad_argument("dataset", None, "a dataset name or folder (the .keras file carries none)")
    import keras_classics  # noqa: F401  (registers the custom layers for loading)

    model = keras.saving.load_model(model_path)
    splits = load_dataset(dataset, input_shape=tuple(model.inputs[0].shape[1:]), batch_size=batch_size,
                          validation_split=run.get("validation_split", 0.1),
                          seed=run.get("seed", 0), data_dir=data_dir, one_hot=run.get("label_mode") == "categorical")
    if run and splits.num_classes != run.get("num_classes"):
        raise bad_argument("dataset", dataset, f"a dataset with the {run.get('num_classes')} classes the model was trained on")
    data = {"test": splits.test, "validation": splits.validation, "train": splits.train}[split]
    if data is None:
        raise bad_argument("split", split, "'test' or 'train' (the run has no validation split)")
    return model.evaluate(_for_outputs(data, len(model.outputs)), verbose=0, return_dict=True)


def run(args) -> int:
    metrics = evaluate(args.path, dataset=args.dataset, split=args.split, last=args.last, batch_size=args.batch_size, data_dir=args.data_dir)
    print(f"{args.path} ({args.split}): " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    return 0
