"""The one call: :func:`train` checks everything, then builds, compiles, fits and saves into ``out_dir``."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Optional

import keras

from keras_classics._validate import bad_argument
from keras_classics.training.callbacks import _is_chief, make_callbacks
from keras_classics.training.distribute import (
    _build_for_multi_worker, _pad_batches, determinism, distribution_scope, make_distribution,
    replica_count, set_precision,
)
from keras_classics.training.options import check_input_size, check_train_options  # noqa: F401 (check_input_size: exported)
from keras_classics.training.recipes import compile_model
from keras_classics.training.state import MATCHING_FIELDS, backup_state, check_out_dir, finish, prepare, worker_mode  # noqa: F401 (names run exported)
from keras_classics.utils.files import atomic_write, read_json
from keras_classics.utils.shapes import image_shape


@dataclass
class TrainResult:
    model: object
    history: dict
    test: dict
    out_dir: str
    initial_epoch: int
    epochs_run: int
    seconds: float
    run: dict = field(default_factory=dict)
    replicas: int = 1
    stop_reason: str = "completed"


def _run_record(model_name, dataset, input_shape, num_classes, model_kwargs, recipe, precision):
    return {
        "model": model_name,
        "dataset": os.path.abspath(dataset) if os.path.isdir(str(dataset)) else str(dataset),
        "input_shape": list(input_shape),
        "num_classes": num_classes,
        "model_kwargs": model_kwargs,
        "recipe": asdict(recipe) | {"milestones": list(recipe.milestones)},
        "precision": precision,
        "backend": keras.backend.backend(),
    }


def train(
    model_name: str,
    *,
    dataset="digits",
    epochs: int = 10,
    out_dir,
    batch_size: int = 64,
    input_size: Optional[int] = None,
    channels: Optional[int] = None,
    validation_split: float = 0.1,
    augment=None,
    recipe="paper",
    recipe_overrides: Optional[dict] = None,
    seed: int = 0,
    resume: bool = False,
    distribute=None,
    precision: str = "float32",
    early_stopping: Optional[int] = None,
    tensorboard: bool = False,
    backup_freq="epoch",
    data_dir=None,
    verbose="auto",
    model_kwargs: Optional[dict] = None,
) -> TrainResult:
    """Train registry model ``model_name`` on ``dataset`` into ``out_dir`` (see the module docstring).

    Every argument is checked, and ``out_dir`` against an earlier run, before
    any file is written. ``input_size`` defaults to the model's default size and
    ``channels`` to its channel count; the dataset is resized and converted to them.
    """
    from keras_classics.registry import model_info

    # every option, in one place, before anything is read or written; returns the recipe with its overrides
    recipe = check_train_options(model_name, dataset=dataset, epochs=epochs, out_dir=out_dir, batch_size=batch_size, input_size=input_size,
                                 channels=channels, validation_split=validation_split, augment=augment, recipe=recipe,
                                 recipe_overrides=recipe_overrides, seed=seed, resume=resume, distribute=distribute, precision=precision,
                                 early_stopping=early_stopping, tensorboard=tensorboard, backup_freq=backup_freq, data_dir=data_dir,
                                 verbose=verbose, model_kwargs=model_kwargs)
    info = model_info(model_name)
    input_shape = image_shape(info.default_size if input_size is None else input_size, info.channels if channels is None else channels)
    model_kwargs = dict(model_kwargs or {})

    # The strategy first: MultiWorkerMirroredStrategy configures collective ops, which TensorFlow
    # allows only before its context starts, and determinism() starts it (it seeds TF's generator).
    strategy = make_distribution(distribute)
    with determinism(seed):
        return _train(info, strategy=strategy, dataset=dataset, epochs=epochs, out_dir=out_dir, batch_size=batch_size, input_shape=input_shape,
                      validation_split=validation_split, augment=augment, recipe=recipe, seed=seed, resume=resume,
                      distribute=distribute, precision=precision, early_stopping=early_stopping, tensorboard=tensorboard,
                      backup_freq=backup_freq, data_dir=data_dir, verbose=verbose, model_kwargs=model_kwargs)


def _train(info, *, strategy, dataset, epochs, out_dir, batch_size, input_shape, validation_split, augment, recipe, seed, resume,
           distribute, precision, early_stopping, tensorboard, backup_freq, data_dir, verbose, model_kwargs):
    from keras_classics.datasets import load_dataset

    splits = load_dataset(dataset, input_shape=input_shape, batch_size=batch_size, validation_split=validation_split, seed=seed,
                          augment=augment, data_dir=data_dir, one_hot=recipe.label_smoothing > 0)
    replicas = replica_count(strategy)
    if batch_size % replicas:
        raise bad_argument("batch_size", batch_size, f"a multiple of the {replicas} replicas (it is the global batch, split evenly)")
    record = _run_record(info.name, dataset, input_shape, splits.num_classes, model_kwargs, recipe, precision)
    out_dir = os.fspath(out_dir)
    chief = _is_chief()
    # Several workers: the chief checks and writes out_dir; the others read its backup and log to a scratch folder.
    mode = check_out_dir(out_dir, record, resume=resume, epochs=epochs) if chief else worker_mode(out_dir, resume=resume)
    logs_dir = out_dir if chief else tempfile.mkdtemp(prefix="keras-classics-worker-")
    if chief:
        prepare(out_dir, mode, record | {"augment": list(splits.augment), "batch_size": batch_size, "seed": seed, "epochs": epochs,
                                         "validation_split": validation_split, "label_mode": splits.label_mode,
                                         "mean": splits.mean, "std": splits.std})
    state = backup_state(out_dir) if mode == "resume" else None
    # A backup of a run that stopped early (or whose epochs are all done) resumes into no epoch: evaluate and save.
    fit_epochs = state["epoch"] if state is not None and state.get("stop_reason") else epochs

    set_precision(precision)
    try:
        steps = -(-splits.train_size // batch_size)
        with distribution_scope(strategy):
            model = info.build(input_shape=input_shape, classes=splits.num_classes, weights=None, **model_kwargs)
            compile_model(model, recipe, steps_per_epoch=steps, epochs=epochs, label_mode=splits.label_mode, num_classes=splits.num_classes)
            initial_epoch = 0
            if mode == "continue":
                model.optimizer.build(model.trainable_variables)
                model.load_weights(os.path.join(out_dir, "model.keras"))
                initial_epoch = read_json(os.path.join(out_dir, "results.json"))["epochs"]
            monitor = ("val_" if splits.validation is not None else "") + ("accuracy" if len(model.outputs) == 1 else "loss")
            callbacks = make_callbacks(logs_dir, backup_dir=os.path.join(out_dir, "backup"), monitor=monitor, early_stopping=early_stopping, tensorboard=tensorboard,
                                       plateau=recipe if recipe.schedule == "plateau" else None, backup_freq=backup_freq,
                                       append_log=mode != "new", keep_backup=True)
            train_ds, val_ds, test_ds = splits.train, splits.validation, splits.test
            if replicas > 1 and keras.backend.backend() == "jax":  # every batch must split evenly over the devices
                train_ds = train_ds.unbatch().batch(batch_size, drop_remainder=True)
                val_ds, test_ds = (_pad_batches(d, replicas) for d in (val_ds, test_ds))
            train_ds, val_ds, test_ds = (_for_outputs(d, len(model.outputs)) for d in (train_ds, val_ds, test_ds))
            if distribute == "multiworker":
                _build_for_multi_worker(model, strategy, train_ds)
            start = time.perf_counter()
            history = model.fit(train_ds, validation_data=val_ds, epochs=fit_epochs, initial_epoch=initial_epoch, callbacks=callbacks, verbose=verbose,
                                shuffle=False)  # the pipeline shuffles
            seconds = time.perf_counter() - start
            backup = callbacks[-1]
            first_epoch = backup.restored_epoch if backup.restored_epoch is not None else initial_epoch
            done = backup.epochs_done if backup.epochs_done is not None else initial_epoch
            stop_reason = backup.stop_reason or "completed"
            test = model.evaluate(test_ds, verbose=0, return_dict=True)
            atomic_write(os.path.join(logs_dir, "model.keras"), lambda tmp: model.save(tmp))  # every worker saves (collective reads)
            if chief:
                finish(out_dir, {"epochs": done, "epochs_requested": epochs, "stop_reason": stop_reason, "test": test, "seconds": seconds,
                                 "first_epoch": first_epoch, "backend": keras.backend.backend()})
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return TrainResult(model, dict(history.history), test, out_dir, first_epoch, done - first_epoch, seconds, record, replicas, stop_reason)


def _for_outputs(dataset, outputs: int):
    """Repeat the labels for every output of a multi-output model (GoogLeNet's auxiliary classifiers)."""
    if dataset is None or outputs == 1:
        return dataset
    return dataset.map(lambda x, y, *w: (x, tuple(y for _ in range(outputs)), *w))

