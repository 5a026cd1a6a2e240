"""Train one arm of an experiment with one seed: the rows of the claim's CSV for that run, one per epoch.

The data come from :func:`keras_classics.datasets.load_dataset`, the optimizer from
:func:`keras_classics.training.compile_model` with a constant-rate
:class:`~keras_classics.training.Recipe`, so every arm differs only in the knob the
claim turns (and the training setting its ``train`` overrides name).
"""

from __future__ import annotations

import math
import time

RESULT_COLUMNS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_accuracy", "seconds")
EVAL_BATCH = 256  # validation and test batches: inference does not depend on the batch (BN uses its moving statistics)


def _main_metric(logs: dict, metric: str, output: str, prefix: str = ""):
    """``metric`` of the main output from Keras logs: ``loss``/``accuracy`` or ``predictions_accuracy`` (several outputs)."""
    for key in (f"{prefix}{output}_{metric}", f"{prefix}{metric}"):
        if key in logs:
            return float(logs[key])
    return math.nan


def _labels_for(dataset, outputs: int, *, count: int = 0):
    """With several outputs (auxiliary classifiers) every output gets the same labels; with ``count`` (the
    split's size) the split is re-batched in :data:`EVAL_BATCH` batches."""
    if dataset is None:
        return None
    if count:
        import tensorflow as tf

        dataset = dataset.unbatch().batch(EVAL_BATCH).apply(tf.data.experimental.assert_cardinality(math.ceil(count / EVAL_BATCH)))
    if outputs == 1:
        return dataset
    return dataset.map(lambda x, y: (x, tuple([y] * outputs)))


def train_arm(arm, *, experiment, size, seed: int, dataset: str) -> list[dict]:
    """Build ``arm``'s model, train it ``size.epochs`` epochs with ``seed``; one dict per epoch (test accuracy on the last)."""
    import keras

    from keras_classics.datasets import load_dataset
    from keras_classics.lab.models import build, input_channels
    from keras_classics.training import Recipe, compile_model

    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    batch_size = int(arm.train.get("batch_size", size.batch_size))
    learning_rate = float(arm.train.get("learning_rate", size.learning_rate))
    shape = (size.input_size, size.input_size, input_channels(arm, dataset))
    splits = load_dataset(dataset, input_shape=shape, batch_size=batch_size, seed=seed, augment=arm.train.get("augment"))
    model = build(arm, shape, splits.num_classes)
    outputs = len(model.outputs)
    train = _labels_for(splits.train, outputs)
    steps = math.ceil(splits.sizes.train_size / batch_size)
    if size.steps:
        steps = min(steps, size.steps)
        train = train.take(steps)
    recipe = Recipe(optimizer=experiment.optimizer, learning_rate=learning_rate, momentum=0.9 if experiment.optimizer == "sgd" else 0.0)
    compile_model(model, recipe, steps_per_epoch=steps, epochs=size.epochs, num_classes=splits.num_classes)
    model.run_eagerly = size.eager
    validation = _labels_for(splits.validation, outputs, count=splits.sizes.validation_size) if size.validate else None
    history = model.fit(train, validation_data=validation, epochs=size.epochs, verbose=0, shuffle=False)  # the pipeline shuffles
    test = model.evaluate(_labels_for(splits.test, outputs, count=splits.sizes.test_size), verbose=0, return_dict=True)
    main = model.output_names[0] if outputs > 1 else ""
    rows = []
    for epoch in range(size.epochs):
        logs = {k: v[epoch] for k, v in history.history.items()}
        rows.append({
            "epoch": epoch + 1,
            "train_loss": _main_metric(logs, "loss", main),
            "train_accuracy": _main_metric(logs, "accuracy", main),
            "val_loss": _main_metric(logs, "loss", main, "val_"),
            "val_accuracy": _main_metric(logs, "accuracy", main, "val_"),
            "test_accuracy": _main_metric(test, "accuracy", main) if epoch == size.epochs - 1 else math.nan,
        })
    seconds = time.perf_counter() - start
    for row in rows:
        row["seconds"] = round(seconds, 2)
    keras.backend.clear_session()
    return rows
