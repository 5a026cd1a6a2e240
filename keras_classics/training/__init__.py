"""Training: the papers' recipes, callbacks, resumable and distributed ``model.fit`` on every backend.

``train("lenet5", dataset="digits", epochs=10, out_dir="runs/lenet5")`` builds the
registry model for the dataset (its input resized, its channels converted, its
classes set), compiles it with a :class:`Recipe`, fits it with the callbacks
below and writes everything into ``out_dir``:

- ``run.json``: what was trained (model, dataset, input shape, classes, recipe);
  a later run in the same folder must match it, or it stops before writing anything.
- ``backup/``: the resumable state (weights with the optimizer's state, the epoch,
  the callbacks' bests), written at every epoch end *atomically*, so a crash (even
  ``SIGKILL``) leaves the previous complete backup; running the same command again
  resumes from it and runs the remaining epochs only.
- ``best.keras`` (best validation score), ``model.keras`` (last epoch), both
  written atomically; ``log.csv`` (CSVLogger); ``results.json`` (test metrics);
  ``tensorboard/`` with ``tensorboard=True``.

Several devices (``distribute``): on TensorFlow ``"mirrored"`` is
``tf.distribute.MirroredStrategy`` over all visible GPUs (or all logical CPU
devices when there is no GPU) and ``"multiworker"`` is
``tf.distribute.MultiWorkerMirroredStrategy`` (workers from ``TF_CONFIG``); on JAX
``"data_parallel"`` is ``keras.distribution.DataParallel`` over all devices, of one
process or of several (``KERAS_DISTRIBUTION_NUM_PROCESSES`` and its siblings, read by
``keras.distribution.initialize``; docs/training.md, "Across machines").
``"auto"`` picks the one that fits the backend and uses it when there is more
than one device. PyTorch trains on one device. ``batch_size`` is always the
*global* batch: each of ``R`` replicas gets ``batch_size / R`` examples per step.

One concern per module:

- :mod:`.recipes`: :class:`Recipe`, ``RECIPES``, the optimizer, schedule and ``compile_model``.
- :mod:`.callbacks`: the atomic backup and checkpoint callbacks, ``make_callbacks``.
- :mod:`.distribute`: strategies, replicas, mixed precision, determinism.
- :mod:`.run`: :func:`train` and the checks of ``out_dir``.
- :mod:`.evaluate`: :func:`evaluate`, a trained model's metrics on a split.
"""

from __future__ import annotations

from keras_classics.training.callbacks import AtomicBackupAndRestore, AtomicModelCheckpoint, _is_chief, make_callbacks
from keras_classics.training.distribute import (
    DISTRIBUTIONS, PRECISIONS, _build_for_multi_worker, _pad_batches, determinism, distribution_scope, make_distribution,
    replica_count, set_precision,
)
from keras_classics.training.evaluate import evaluate
from keras_classics.training.recipes import (
    AUX_LOSS_WEIGHT, OPTIMIZERS, RECIPES, SCHEDULES, WARMUP_SCHEDULES, Recipe, compile_model, learning_rate_schedule,
    loss_weights, make_optimizer, recipe_for,
)
from keras_classics.training.run import MATCHING_FIELDS, TrainResult, _for_outputs, check_input_size, check_out_dir, train
from keras_classics.utils.files import atomic_write, read_json, write_json

_atomic = atomic_write  # the old name, for callers of keras_classics.training._atomic

__all__ = [
    "AUX_LOSS_WEIGHT", "DISTRIBUTIONS", "MATCHING_FIELDS", "OPTIMIZERS", "PRECISIONS", "RECIPES", "SCHEDULES", "WARMUP_SCHEDULES",
    "AtomicBackupAndRestore", "AtomicModelCheckpoint", "Recipe", "TrainResult",
    "check_input_size", "check_out_dir", "compile_model", "determinism", "distribution_scope", "evaluate", "learning_rate_schedule",
    "loss_weights", "make_callbacks", "make_distribution", "make_optimizer", "recipe_for", "replica_count", "set_precision", "train",
]
