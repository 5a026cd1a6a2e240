"""The one call: :func:`train` checks everything, then builds, compiles, fits and saves into ``out_dir``."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Optional

import keras

from keras_classics._validate import bad_argument
from keras_classics.training.callbacks import AtomicCSVLogger, _is_chief, make_callbacks
from keras_classics.training.distribute import (
    _build_for_multi_worker, _pad_batches, determinism, distribution_scope, make_distribution,
    replica_count, set_precision,
)
from keras_classics.training.options import check_input_size, check_train_options  # noqa: F401 (check_input_size: exported)
from keras_classics.training.recipes import compile_model
from keras_classics.training.transfer import copy_weights, freeze as freeze_layers, load_source, parse_freeze
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
    reinitialised: list = field(default_factory=list)  # head layers a fine-tuned run did not take from its weights


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
    deterministic: bool = True,
    early_stopping: Optional[int] = None,
    tensorboard: bool = False,
    backup_freq="epoch",
    data_dir=None,
    verbose="auto",
    model_kwargs: Optional[dict] = None,
    weights=None,
    freeze: str = "none",
    fine_tune_epochs: int = 0,
    fine_tune_lr: Optional[float] = None,
) -> TrainResult:
    """Train registry model ``model_name`` on ``dataset`` into ``out_dir`` (see the module docstring).

    Every argument is checked, and ``out_dir`` against an earlier run, before
    any file is written. ``input_size`` defaults to the model's default size and
    ``channels`` to its channel count; the dataset is resized and converted to them.

    ``deterministic``: TensorFlow's op determinism while the run lasts (the same seed
    repeats the run exactly; no measurable cost on this project's CPU, see
    docs/performance.md); ``False`` lets TensorFlow pick faster order-dependent kernels.

    Fine-tuning (:mod:`keras_classics.training.transfer`): ``weights`` starts the
    network from a run folder, a ``.keras`` file or anything a builder's
    ``weights=`` takes, with a new head for the dataset's classes; ``freeze``
    (``"none"``, ``"backbone"``, ``"stages:N"``) holds layers fixed for the first
    ``epochs``; then ``fine_tune_epochs`` more train every layer but the frozen
    batch normalizations at ``fine_tune_lr`` (default: the recipe's rate / 10)
    with a fresh optimizer.
    Both phases resume like any run.
    """
    from keras_classics.registry import model_info

    # every option, in one place, before anything is read or written; returns the recipe with its overrides
    recipe = check_train_options(model_name, dataset=dataset, epochs=epochs, out_dir=out_dir, batch_size=batch_size, input_size=input_size,
                                 channels=channels, validation_split=validation_split, augment=augment, recipe=recipe,
                                 recipe_overrides=recipe_overrides, seed=seed, resume=resume, distribute=distribute, precision=precision,
                                 deterministic=deterministic, early_stopping=early_stopping, tensorboard=tensorboard, backup_freq=backup_freq, data_dir=data_dir,
                                 verbose=verbose, model_kwargs=model_kwargs, weights=weights, freeze=freeze,
                                 fine_tune_epochs=fine_tune_epochs, fine_tune_lr=fine_tune_lr)
    info = model_info(model_name)
    input_shape = image_shape(info.default_size if input_size is None else input_size, info.channels if channels is None else channels)
    model_kwargs = dict(model_kwargs or {})

    # The strategy first: MultiWorkerMirroredStrategy configures collective ops, which TensorFlow
    # allows only before its context starts, and determinism() starts it (it seeds TF's generator).
    strategy = make_distribution(distribute)
    with determinism(seed, deterministic):
        return _train(info, strategy=strategy, dataset=dataset, epochs=epochs, out_dir=out_dir, batch_size=batch_size, input_shape=input_shape,
                      validation_split=validation_split, augment=augment, recipe=recipe, seed=seed, resume=resume,
                      distribute=distribute, precision=precision, early_stopping=early_stopping, tensorboard=tensorboard,
                      backup_freq=backup_freq, data_dir=data_dir, verbose=verbose, model_kwargs=model_kwargs,
                      transfer=_Transfer(weights, parse_freeze(freeze), fine_tune_epochs, fine_tune_lr))


@dataclass(frozen=True)
class _Transfer:
    weights: object
    freeze: object  # parse_freeze's result
    fine_tune_epochs: int
    fine_tune_lr: Optional[float]

    def record(self, recipe) -> dict:
        weights = self.weights
        if weights is not None and os.path.exists(os.fspath(weights)):
            weights = os.path.abspath(os.fspath(weights))
        freeze = {0: "none", "backbone": "backbone"}.get(self.freeze, f"stages:{self.freeze}")
        return {"weights": None if weights is None else str(weights), "freeze": freeze, "fine_tune_epochs": self.fine_tune_epochs,
                "fine_tune_lr": self.learning_rate(recipe) if self.fine_tune_epochs else None}

    def learning_rate(self, recipe) -> float:
        return self.fine_tune_lr if self.fine_tune_lr is not None else recipe.learning_rate / 10


def _train(info, *, strategy, dataset, epochs, out_dir, batch_size, input_shape, validation_split, augment, recipe, seed, resume,
           distribute, precision, early_stopping, tensorboard, backup_freq, data_dir, verbose, model_kwargs, transfer):
    from keras_classics.datasets import load_dataset

    splits = load_dataset(dataset, input_shape=input_shape, batch_size=batch_size, validation_split=validation_split, seed=seed,
                          augment=augment, data_dir=data_dir, one_hot=recipe.label_smoothing > 0)
    replicas = replica_count(strategy)
    if batch_size % replicas:
        raise bad_argument("batch_size", batch_size, f"a multiple of the {replicas} replicas (it is the global batch, split evenly)")
    record = _run_record(info.name, dataset, input_shape, splits.num_classes, model_kwargs, recipe, precision) | transfer.record(recipe)
    total_epochs = epochs + transfer.fine_tune_epochs
    out_dir = os.fspath(out_dir)
    chief = _is_chief()
    # Several workers: the chief checks and writes out_dir; the others read its backup and log to a scratch folder.
    mode = check_out_dir(out_dir, record, resume=resume, epochs=total_epochs) if chief else worker_mode(out_dir, resume=resume)
    logs_dir = out_dir if chief else tempfile.mkdtemp(prefix="keras-classics-worker-")
    if chief:
        prepare(out_dir, mode, record | {"augment": list(splits.augment), "batch_size": batch_size, "seed": seed, "epochs": epochs,
                                         "validation_split": validation_split, "label_mode": splits.label_mode,
                                         "mean": splits.mean, "std": splits.std, "class_names": splits.class_names})
    state = backup_state(out_dir) if mode == "resume" else None
    finished = read_json(os.path.join(out_dir, "results.json")) if mode == "continue" else None
    # The phase the saved optimizer belongs to, and the epoch training goes on from.
    saved = state or finished or {}
    phase = saved.get("phase", 1)
    start = saved.get("epoch", saved.get("epochs", 0))
    fine_tune = transfer.fine_tune_epochs > 0
    # A backup of a run that stopped early (or whose epochs are all done) resumes into no epoch: evaluate and save.
    segments = [(1, epochs if fine_tune else total_epochs)] if phase == 1 else []
    segments += [(2, total_epochs)] if fine_tune else []
    if state is not None and state.get("stop_reason"):
        segments = [(phase, state["epoch"])]

    set_precision(precision)
    try:
        steps = -(-splits.train_size // batch_size)
        jax_replicas = replicas > 1 and keras.backend.backend() == "jax"  # every batch must split evenly over the devices
        if jax_replicas:
            steps = splits.train_size // batch_size
        with distribution_scope(strategy):
            model = info.build(input_shape=input_shape, classes=splits.num_classes, weights=None, **model_kwargs)
            fresh = []
            if mode == "new" and transfer.weights is not None:
                fresh = copy_weights(load_source(info, transfer.weights, input_shape), model)

            def configure(phase):
                freeze_layers(model, transfer.freeze, batch_norm_only=phase == 2)
                phase_recipe = recipe if phase == 1 else recipe.with_overrides(learning_rate=transfer.learning_rate(recipe))
                compile_model(model, phase_recipe, steps_per_epoch=steps, epochs=epochs if phase == 1 else transfer.fine_tune_epochs,
                              label_mode=splits.label_mode, num_classes=splits.num_classes)

            configure(phase)
            if mode == "continue":
                model.optimizer.build(model.trainable_variables)
                model.load_weights(os.path.join(out_dir, "model.keras"))
            monitor = ("val_" if splits.validation is not None else "") + ("accuracy" if len(model.outputs) == 1 else "loss")
            callbacks = make_callbacks(logs_dir, backup_dir=os.path.join(out_dir, "backup"), monitor=monitor, early_stopping=early_stopping, tensorboard=tensorboard,
                                       plateau=recipe if recipe.schedule == "plateau" else None, backup_freq=backup_freq,
                                       append_log=mode != "new", keep_backup=True)
            backup, log = callbacks[-1], next(c for c in callbacks if isinstance(c, AtomicCSVLogger))
            backup.extra = {"phase": phase}
            val_ds, test_ds = splits.validation, splits.test
            if jax_replicas:
                val_ds, test_ds = (_pad_batches(d, batch_size) for d in (val_ds, test_ds))
            val_ds, test_ds = (_for_outputs(d, len(model.outputs)) for d in (val_ds, test_ds))
            history, first_epoch, seconds, epoch = {}, None, 0.0, start
            for segment_phase, end in segments:
                if segment_phase != phase:  # phase 1 ended: every layer trains from here, at the lower rate, with a fresh optimizer
                    if backup.stop_reason:
                        break
                    phase = segment_phase
                    configure(phase)
                    model.optimizer.build(model.trainable_variables)
                    backup.extra = {"phase": phase}
                    backup.save(epoch)  # the commit point of the switch: a resumed run starts phase 2 from here
                    log.append = True
                # Each epoch's order is keyed on the epoch (resumed runs see the uninterrupted run's batches);
                # the pipeline holds one epoch at least, which a fit that runs none still reads to build.
                train_ds = _for_outputs(splits.train_epochs(epoch, max(end, epoch + 1), drop_remainder=jax_replicas), len(model.outputs))
                if distribute == "multiworker":
                    _build_for_multi_worker(model, strategy, train_ds)
                began = time.perf_counter()
                fitted = model.fit(train_ds, validation_data=val_ds, epochs=end, initial_epoch=epoch, steps_per_epoch=steps,
                                   callbacks=callbacks, verbose=verbose, shuffle=False)  # the pipeline shuffles
                seconds += time.perf_counter() - began
                for key, values in fitted.history.items():
                    history.setdefault(key, []).extend(values)
                if first_epoch is None:
                    first_epoch = backup.restored_epoch if backup.restored_epoch is not None else epoch
                epoch = backup.epochs_done if backup.epochs_done is not None else epoch
            done = epoch
            stop_reason = backup.stop_reason or "completed"
            test = model.evaluate(test_ds, verbose=0, return_dict=True)
            atomic_write(os.path.join(logs_dir, "model.keras"), lambda tmp: model.save(tmp))  # every worker saves (collective reads)
            if chief:
                finish(out_dir, {"epochs": done, "epochs_requested": total_epochs, "stop_reason": stop_reason, "test": test, "seconds": seconds,
                                 "first_epoch": first_epoch, "backend": keras.backend.backend(), "phase": phase,
                                 "reinitialised": fresh})
    finally:
        keras.mixed_precision.set_global_policy("float32")
        if not chief:  # a worker's scratch copy of what the chief writes
            shutil.rmtree(logs_dir, ignore_errors=True)
    return TrainResult(model, history, test, out_dir, first_epoch, done - first_epoch, seconds, record, replicas, stop_reason, fresh)


def _for_outputs(dataset, outputs: int):
    """Repeat the labels for every output of a multi-output model (GoogLeNet's auxiliary classifiers)."""
    if dataset is None or outputs == 1:
        return dataset
    return dataset.map(lambda x, y, *w: (x, tuple(y for _ in range(outputs)), *w))

