"""``keras-classics evaluate RUN_DIR_OR_MODEL.keras``: a trained model's metrics on a dataset split.

Runs :func:`keras_classics.training.evaluate`: given a run folder written by
``keras-classics train`` it loads ``best.keras`` (``--last``: ``model.keras``) and
the dataset and seed of ``run.json``; given a ``.keras`` file it needs ``--dataset``.
"""

from __future__ import annotations


def add_parser(subparsers):
    p = subparsers.add_parser("evaluate", help="evaluate a trained model on a dataset split")
    p.add_argument("path", help="a run folder from `keras-classics train`, or a .keras file")
    p.add_argument("--dataset", help="default: the run's dataset")
    p.add_argument("--split", choices=("test", "validation", "train"), default="test")
    p.add_argument("--last", action="store_true", help="the last epoch's model.keras instead of best.keras")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--data-dir", help="Keras's cache folder for downloaded datasets")
    return p


def run(args) -> int:
    from keras_classics.training import evaluate

    metrics = evaluate(args.path, dataset=args.dataset, split=args.split, last=args.last, batch_size=args.batch_size, data_dir=args.data_dir)
    print(f"{args.path} ({args.split}): " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    return 0
