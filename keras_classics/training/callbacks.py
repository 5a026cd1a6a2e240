"""Callbacks whose every write is atomic, and the standard set :func:`~keras_classics.training.train` uses."""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
import time
from typing import Optional

import keras

from keras_classics._validate import bad_argument
from keras_classics.training.recipes import Recipe
from keras_classics.utils.files import atomic_write, read_json, write_json

_STATEFUL_FIELDS = ("best", "wait", "cooldown_counter", "stopped_epoch")


def _is_chief() -> bool:
    """Whether this process writes the run folder: TensorFlow's chief (``TF_CONFIG``), or JAX's process 0.

    On JAX the process index is JAX's own, set only once ``keras.distribution.initialize()`` has joined
    the processes (``--distribute data_parallel``): a ``KERAS_DISTRIBUTION_PROCESS_ID`` left in the
    environment of a plain run does not turn it into a worker that writes to a scratch folder."""
    if keras.backend.backend() == "jax":
        import jax

        if jax.process_index() != 0:
            return False
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    task = config.get("task", {})
    if not task or task.get("type") == "chief":
        return True
    return task.get("type") == "worker" and task.get("index", 0) == 0 and "chief" not in config.get("cluster", {})


class AtomicBackupAndRestore(keras.callbacks.Callback):
    """``keras.callbacks.BackupAndRestore`` whose every write is atomic.

    Keras's callback overwrites ``latest.weights.h5`` in place: a process killed
    while writing leaves a truncated file. Here each backup is a new weights file
    (weights *and* optimizer state) written under a temporary name and renamed,
    then ``state.json`` (the commit point: epoch, weights file, the callbacks'
    bests) is replaced the same way, then the older weights file is removed. A
    kill at any instant leaves a complete earlier backup.

    On ``on_train_begin`` it restores the weights, the optimizer, the epoch to
    start from and the ``best``/``wait`` counters of ``stateful`` callbacks
    (checkpoint, early stopping, plateau), so a resumed run behaves as if it had
    never stopped. Saves at every epoch end, and every ``save_freq`` batches if
    an int (a resumed run restarts that epoch from its first batch, from the
    mid-epoch weights). With several workers only the chief writes.

    ``state.json`` also says why training stopped (``"stop_reason"``: ``None`` while
    it runs, ``"early_stopping"``, ``"nan"`` or ``"stopped"`` by another callback);
    ``epochs_done`` and ``stop_reason`` hold the last committed (or restored) ones.
    """

    def __init__(self, backup_dir, save_freq="epoch", stateful=(), delete_on_end=True):
        super().__init__()
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1):
            raise bad_argument("save_freq", save_freq, "'epoch' or a positive integer")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.stateful = list(stateful)
        self.delete_on_end = delete_on_end
        self.state_path = os.path.join(self.backup_dir, "state.json")
        self._epoch = 0
        self._batches = 0
        self.restored_epoch = None
        self.epochs_done = None
        self.stop_reason = None
        self.extra = {}  # written into state.json with every backup (train: the fine-tuning phase)

    def on_train_begin(self, logs=None):
        self._epoch = 0
        if not os.path.exists(self.state_path):
            return
        state = read_json(self.state_path)
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)
        self.model.load_weights(os.path.join(self.backup_dir, state["weights"]))
        for callback, saved in zip(self.stateful, state.get("callbacks", [])):
            for name, value in saved.items():
                setattr(callback, name, value)
        self.restored_epoch = self._epoch = self.epochs_done = state["epoch"]
        self.stop_reason = state.get("stop_reason")
        self.model._initial_epoch = state["epoch"]  # the hook Keras's BackupAndRestore uses

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_done, self.stop_reason = epoch + 1, self._why_stopped(epoch, logs or {})
        self._save(epoch + 1, stop_reason=self.stop_reason)

    def _why_stopped(self, epoch, logs):
        if not self.model.stop_training:
            return None
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            return "nan"  # TerminateOnNaN
        if any(isinstance(c, keras.callbacks.EarlyStopping) and c.stopped_epoch == epoch for c in self.stateful):
            return "early_stopping"
        return "stopped"

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches += 1
            if self._batches % self.save_freq == 0:
                self._save(self._epoch)

    def save(self, epoch):
        """Commit a backup of the model as it is now (optimizer included) as the state after ``epoch`` epochs."""
        self.epochs_done = epoch
        self._save(epoch)

    def _save(self, epoch, stop_reason=None):
        if not _is_chief():  # reading distributed variables is collective: every worker saves, only the chief keeps it
            with tempfile.TemporaryDirectory(prefix="keras-classics-worker-") as scratch:
                self.model.save_weights(os.path.join(scratch, "backup.weights.h5"))
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        weights = f"backup-{epoch:05d}-{int(time.time() * 1e3) % 10**9:09d}.weights.h5"
        atomic_write(os.path.join(self.backup_dir, weights), lambda tmp: self.model.save_weights(tmp))
        saved = [{k: _jsonable(getattr(c, k)) for k in _STATEFUL_FIELDS if hasattr(c, k)} for c in self.stateful]
        write_json(self.state_path, {"epoch": epoch, "weights": weights, "callbacks": saved, "stop_reason": stop_reason, **self.extra})
        for name in os.listdir(self.backup_dir):  # the older weights file, and what a killed save left
            if name not in ("state.json", weights):
                os.remove(os.path.join(self.backup_dir, name))

    def on_train_end(self, logs=None):
        if self.delete_on_end and _is_chief() and os.path.isdir(self.backup_dir):
            for name in os.listdir(self.backup_dir):
                os.remove(os.path.join(self.backup_dir, name))
            os.rmdir(self.backup_dir)


def _jsonable(value):
    try:
        value = float(keras.ops.convert_to_numpy(value)) if not isinstance(value, (int, float)) else value
    except Exception:
        return None
    return value if value == value and abs(value) != float("inf") else (None if value != value else value)


class AtomicModelCheckpoint(keras.callbacks.ModelCheckpoint):
    """``keras.callbacks.ModelCheckpoint`` that writes a temporary file and renames it over ``filepath``."""

    def __init__(self, filepath, **kwargs):
        folder, base = os.path.split(os.fspath(filepath))
        self.final_path = os.fspath(filepath)
        self.tmp_path = os.path.join(folder, ".tmp-" + base)
        super().__init__(self.tmp_path, **kwargs)

    def _commit(self):
        if os.path.exists(self.tmp_path):
            with open(self.tmp_path, "rb") as f:
                os.fsync(f.fileno())
            os.replace(self.tmp_path, self.final_path)

    def on_train_begin(self, logs=None):
        if os.path.exists(self.tmp_path):  # a killed write's: never to be committed
            os.remove(self.tmp_path)
        super().on_train_begin(logs)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        self._commit()

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        self._commit()


class AtomicCSVLogger(keras.callbacks.Callback):
    """``keras.callbacks.CSVLogger`` that rewrites the whole file atomically at every epoch end.

    With ``append`` it keeps the rows already in the file for the epochs before
    the first one run (later rows belong to epochs the backup did not commit,
    which run again): after any kill and resume every epoch has exactly one row.
    """

    def __init__(self, filename, append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.append = append
        self.rows = None

    def on_train_begin(self, logs=None):
        self.rows = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.rows is None:  # the first epoch run: after the backup restored it (on_train_begin)
            self.rows = [r for r in _read_rows(self.filename) if int(r["epoch"]) < epoch] if self.append else []

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append({"epoch": epoch} | {k: _csv_value(v) for k, v in (logs or {}).items()})
        fields = ["epoch", *sorted({k for row in self.rows for k in row} - {"epoch"})]

        def write(tmp):
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=fields, restval="")
                writer.writeheader()
                writer.writerows(self.rows)

        atomic_write(self.filename, write)


def _read_rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row.get("epoch", "").isdigit()]


def _csv_value(value):
    try:
        return float(keras.ops.convert_to_numpy(value)) if not isinstance(value, (int, float, str)) else value
    except (TypeError, ValueError):
        return str(value)


def make_callbacks(out_dir, *, backup_dir=None, monitor="val_accuracy", early_stopping: Optional[int] = None, tensorboard=False,
                   plateau: Optional[Recipe] = None, backup_freq="epoch", append_log=False, keep_backup=False) -> list:
    """The standard callbacks, all writing into ``out_dir``; the backup comes last (it restores the others).

    ``append_log``: keep ``log.csv``'s rows of the epochs before the first one run;
    ``keep_backup``: leave ``backup/`` at the end (``train`` removes it once the results are saved).
    """
    mode = "max" if "acc" in monitor else "min"
    stateful = [AtomicModelCheckpoint(os.path.join(out_dir, "best.keras"), monitor=monitor, mode=mode, save_best_only=True)]
    if early_stopping:
        stateful.append(keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=early_stopping))
    if plateau is not None:
        stateful.append(keras.callbacks.ReduceLROnPlateau(monitor=monitor, mode=mode, factor=plateau.gamma, patience=plateau.patience))
    others = [keras.callbacks.TerminateOnNaN(), AtomicCSVLogger(os.path.join(out_dir, "log.csv"), append=append_log)]
    if tensorboard:
        others.append(keras.callbacks.TensorBoard(os.path.join(out_dir, "tensorboard")))
    backup = AtomicBackupAndRestore(backup_dir or os.path.join(out_dir, "backup"), save_freq=backup_freq, stateful=stateful,
                                    delete_on_end=not keep_backup)
    return [*stateful, *others, backup]
