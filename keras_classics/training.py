"""Training: the papers' recipes, callbacks, resumable and distributed ``model.fit`` on every backend.

``train("lenet5", dataset="digits", epochs=10, out_dir="runs/lenet5")`` builds the
registry model for the dataset (its input resized, its channels converted, its
classes set), compiles it with a :class:`Recipe`, fits it with the callbacks
below and writes everything into ``out_dir``:

- ``run.json``: what was trained (model, dataset, input shape, classes, recipe);
  a later run in the same folder must match it, or it stops before writing anything.
- ``backup/``: the resumable state (weights with the optimizer's state, the epoch,
  the callbacks' bests), written at every epoch end *atomically*: a temporary file
  renamed over the old one, so a crash (even ``SIGKILL``) leaves the previous
  complete backup. Running the same command again resumes from it and runs the
  remaining epochs only.
- ``best.keras`` (best validation score), ``model.keras`` (last epoch), both
  written atomically; ``log.csv`` (CSVLogger); ``results.json`` (test metrics);
  ``tensorboard/`` with ``tensorboard=True``.

Several devices (``distribute``): on TensorFlow ``"mirrored"`` is
``tf.distribute.MirroredStrategy`` over all visible GPUs (or all logical CPU
devices when there is no GPU) and ``"multiworker"`` is
``tf.distribute.MultiWorkerMirroredStrategy`` (workers from ``TF_CONFIG``); on JAX
``"data_parallel"`` is ``keras.distribution.DataParallel`` over all devices.
``"auto"`` picks the one that fits the backend and uses it when there is more
than one device. PyTorch trains on one device (Keras 3 has no distribution API
for it). ``batch_size`` is always the *global* batch: each of ``R`` replicas gets
``batch_size / R`` examples per step, so the learning rate that suits one device
suits ``R`` devices with the same ``batch_size``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Optional

import keras

from keras_classics._validate import bad_argument, check_choice, check_fraction, check_int, check_nonnegative

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "cosine", "plateau", "exponential")
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
DISTRIBUTIONS = (None, "auto", "mirrored", "multiworker", "data_parallel")
AUX_LOSS_WEIGHT = 0.3  # GoogLeNet, Sec. 5: "the loss of the auxiliary classifiers was weighted by 0.3"


@dataclass(frozen=True)
class Recipe:
    """How a network is trained: optimizer, learning-rate schedule, regularisation.

    ``milestones`` are the epochs (``step`` schedule) at which the learning rate
    is multiplied by ``gamma``; a number below 1 is a fraction of the epochs.
    ``step_epochs`` repeats a milestone every so many epochs instead.
    ``warmup_epochs`` ramps the learning rate linearly from zero over the first
    epochs (at most half the run) before a ``constant`` or ``cosine`` schedule.
    ``weight_decay`` is Keras's decoupled decay (``w -= lr * wd * w`` each step);
    the papers add ``wd * w`` to the gradient before momentum, which differs only
    through the momentum term.
    """

    optimizer: str = "sgd"
    learning_rate: float = 0.01
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup_epochs: float = 0.0
    gamma: float = 0.1
    milestones: tuple = ()
    step_epochs: Optional[int] = None
    patience: int = 5  # plateau schedule
    label_smoothing: float = 0.0
    aux_weight: float = AUX_LOSS_WEIGHT
    clipnorm: Optional[float] = None
    rho: float = 0.9  # RMSProp
    epsilon: float = 1e-7
    source: str = ""

    def with_overrides(self, **overrides) -> "Recipe":
        """A copy with the given fields replaced (``None`` values are ignored)."""
        overrides = {k: v for k, v in overrides.items() if v is not None}
        unknown = sorted(set(overrides) - set(asdict(self)))
        if unknown:
            raise bad_argument("recipe", unknown, "fields of Recipe: " + ", ".join(asdict(self)))
        return replace(self, **overrides)


RECIPES = {
    "lenet": Recipe("sgd", 0.05, 0.9, source="LeCun et al. 1998 used SGD with a decreasing rate; momentum SGD here"),
    "alexnet": Recipe("sgd", 0.01, 0.9, weight_decay=5e-4, schedule="plateau", source="Krizhevsky et al. 2012, Sec. 5"),
    "vgg": Recipe("sgd", 0.01, 0.9, weight_decay=5e-4, schedule="plateau", source="Simonyan & Zisserman 2015, Sec. 3.1"),
    "nin": Recipe("sgd", 0.01, 0.9, weight_decay=1e-5, schedule="plateau", source="Lin et al. 2014, Sec. 4.1 (AlexNet's protocol)"),
    "inception": Recipe("sgd", 0.01, 0.9, schedule="step", gamma=0.96, step_epochs=8, source="Szegedy et al. 2015, Sec. 6: lr -4% every 8 epochs"),
    "inception_v3": Recipe("rmsprop", 0.045, 0.0, schedule="step", gamma=0.94, step_epochs=2, label_smoothing=0.1, clipnorm=2.0, rho=0.9,
                           epsilon=1.0, source="Szegedy et al. 2016, Sec. 8: RMSProp(0.9, eps 1.0), lr 0.045 x0.94 every 2 epochs, clip 2.0"),
    "resnet": Recipe("sgd", 0.1, 0.9, weight_decay=1e-4, schedule="step", milestones=(0.5, 0.75),
                     source="He et al. 2016, Sec. 3.4/4.2: lr 0.1 divided by 10 twice"),
    "densenet": Recipe("sgd", 0.1, 0.9, nesterov=True, weight_decay=1e-4, schedule="step", milestones=(0.5, 0.75),
                       source="Huang et al. 2017, Sec. 4.2: /10 at 50% and 75% of the epochs"),
    "adam": Recipe("adam", 1e-3, 0.0, source="Kingma & Ba 2015"),
    "adamw": Recipe("adamw", 1e-3, 0.0, weight_decay=0.01, schedule="cosine", source="Loshchilov & Hutter 2019"),
    "sgd": Recipe("sgd", 0.01, 0.9, weight_decay=5e-4, schedule="cosine", source="momentum SGD with cosine decay"),
}


def recipe_for(model_name: str, recipe="paper") -> Recipe:
    """The :class:`Recipe` named ``recipe``; ``"paper"`` is the one of ``model_name``'s paper."""
    if isinstance(recipe, Recipe):
        return recipe
    if recipe == "paper":
        from keras_classics.registry import model_info

        info = model_info(model_name)
        return RECIPES["inception_v3" if info.name.startswith("inception_v3") else info.family]
    check_choice("recipe", recipe, ["paper", *RECIPES])
    return RECIPES[recipe]


def _epoch_milestones(recipe: Recipe, epochs: int) -> list[int]:
    if recipe.step_epochs:
        return list(range(recipe.step_epochs, epochs, recipe.step_epochs))
    return sorted({int(round(m * epochs)) if m < 1 else int(m) for m in recipe.milestones})


WARMUP_SCHEDULES = ("constant", "cosine")


def learning_rate_schedule(recipe: Recipe, *, steps_per_epoch: int, epochs: int):
    """``recipe``'s learning rate: a number (``constant``, ``plateau``: the callback lowers it) or a LearningRateSchedule.

    With ``warmup_epochs`` the rate rises linearly from 0 to ``learning_rate``
    over those epochs (at most half the run), then stays (``constant``) or
    decays to 0 by the last step on a cosine (``cosine``).
    """
    check_choice("schedule", recipe.schedule, SCHEDULES)
    warmup_epochs = check_nonnegative("warmup_epochs", recipe.warmup_epochs, "a number of epochs")
    if warmup_epochs and recipe.schedule not in WARMUP_SCHEDULES:
        raise bad_argument("warmup_epochs", warmup_epochs, f"0 with the {recipe.schedule!r} schedule (a warm-up precedes {' or '.join(WARMUP_SCHEDULES)})")
    lr = recipe.learning_rate
    total = max(1, steps_per_epoch * epochs)
    warmup = min(int(round(warmup_epochs * steps_per_epoch)), total // 2)
    if warmup:
        return keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=0.0, decay_steps=max(1, total - warmup),
            alpha=1.0 if recipe.schedule == "constant" else 0.0,  # alpha=1: the decay ends where it starts, a constant
            warmup_target=lr, warmup_steps=warmup,
        )
    if recipe.schedule == "step":
        boundaries = [m * steps_per_epoch for m in _epoch_milestones(recipe, epochs) if 0 < m]
        lr = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, [recipe.learning_rate * recipe.gamma**i for i in range(len(boundaries) + 1)]) if boundaries else lr
    elif recipe.schedule == "cosine":
        lr = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, decay_steps=total)
    elif recipe.schedule == "exponential":
        lr = keras.optimizers.schedules.ExponentialDecay(recipe.learning_rate, decay_steps=steps_per_epoch, decay_rate=recipe.gamma)
    return lr


def make_optimizer(recipe: Recipe, *, steps_per_epoch: int, epochs: int):
    """A Keras optimizer for ``recipe``, its learning rate from :func:`learning_rate_schedule`."""
    check_choice("optimizer", recipe.optimizer, OPTIMIZERS)
    lr = learning_rate_schedule(recipe, steps_per_epoch=steps_per_epoch, epochs=epochs)
    common = {"learning_rate": lr, "clipnorm": recipe.clipnorm}
    decay = {"weight_decay": recipe.weight_decay} if recipe.weight_decay else {}
    if recipe.optimizer == "sgd":
        return keras.optimizers.SGD(momentum=recipe.momentum, nesterov=recipe.nesterov, **common, **decay)
    if recipe.optimizer == "adam":
        return keras.optimizers.Adam(**common, **decay)
    if recipe.optimizer == "adamw":
        return keras.optimizers.AdamW(weight_decay=recipe.weight_decay or 0.004, **common)
    return keras.optimizers.RMSprop(rho=recipe.rho, momentum=recipe.momentum, epsilon=recipe.epsilon, **common, **decay)


def loss_weights(model, weight: float = AUX_LOSS_WEIGHT) -> list[float]:
    """1 for the main output, ``weight`` for each auxiliary one (GoogLeNet's 0.3), in output order."""
    try:
        from keras_classics.models.inception import aux_loss_weights
    except ImportError:  # the helper lives with the Inception family; same rule by output order
        aux_loss_weights = None
    if aux_loss_weights is not None:
        by_name = aux_loss_weights(model, weight)
        return [float(by_name[name]) for name in model.output_names]
    return [1.0] + [float(weight)] * (len(model.outputs) - 1)


def compile_model(model, recipe: Recipe, *, steps_per_epoch: int, epochs: int, label_mode: str = "int", num_classes: int = 10):
    """Compile ``model`` for classification with ``recipe`` (losses per output, aux weights, metrics)."""
    if recipe.label_smoothing and label_mode != "categorical":
        raise bad_argument("label_smoothing", recipe.label_smoothing, "0 unless the dataset gives one-hot labels (load_dataset(..., one_hot=True))")
    if label_mode == "categorical":
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing)
    else:
        loss = keras.losses.SparseCategoricalCrossentropy()
    metrics = ["accuracy"]
    if num_classes > 5:
        metrics.append(keras.metrics.SparseTopKCategoricalAccuracy(5, name="top5") if label_mode == "int" else keras.metrics.TopKCategoricalAccuracy(5, name="top5"))
    outputs = len(model.outputs)
    model.compile(
        optimizer=make_optimizer(recipe, steps_per_epoch=steps_per_epoch, epochs=epochs),
        loss=[loss] * outputs if outputs > 1 else loss,
        loss_weights=loss_weights(model, recipe.aux_weight) if outputs > 1 else None,
        # weighted: the same figures without sample weights; with them, padding (weight 0) counts in no metric
        weighted_metrics=[metrics] + [[]] * (outputs - 1) if outputs > 1 else metrics,
    )
    return model


# --------------------------------------------------------------------------- atomic files


def _atomic(path, write):
    """Call ``write(tmp_path)`` then rename the temporary file over ``path`` (same folder, so the rename is atomic)."""
    folder, base = os.path.split(os.fspath(path))
    stem, dot, ext = base.partition(".")
    tmp = os.path.join(folder, f".{stem}.tmp-{os.getpid()}{dot}{ext}")  # keeps the extension Keras checks
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path, data) -> None:
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)

    _atomic(path, write)


def read_json(path):
    with open(path) as f:
        return json.load(f)


# --------------------------------------------------------------------------- callbacks

_STATEFUL_FIELDS = ("best", "wait", "cooldown_counter", "stopped_epoch")


def _is_chief() -> bool:
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
        self.restored_epoch = self._epoch = state["epoch"]
        self.model._initial_epoch = state["epoch"]  # the hook Keras's BackupAndRestore uses

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._save(epoch + 1)

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches += 1
            if self._batches % self.save_freq == 0:
                self._save(self._epoch)

    def _save(self, epoch):
        if not _is_chief():  # reading distributed variables is collective: every worker saves, only the chief keeps it
            with tempfile.TemporaryDirectory(prefix="keras-classics-worker-") as scratch:
                self.model.save_weights(os.path.join(scratch, "backup.weights.h5"))
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        old = read_json(self.state_path)["weights"] if os.path.exists(self.state_path) else None
        weights = f"backup-{epoch:05d}-{int(time.time() * 1e3) % 10**9:09d}.weights.h5"
        _atomic(os.path.join(self.backup_dir, weights), lambda tmp: self.model.save_weights(tmp))
        saved = [{k: _jsonable(getattr(c, k)) for k in _STATEFUL_FIELDS if hasattr(c, k)} for c in self.stateful]
        write_json(self.state_path, {"epoch": epoch, "weights": weights, "callbacks": saved})
        if old and old != weights and os.path.exists(os.path.join(self.backup_dir, old)):
            os.remove(os.path.join(self.backup_dir, old))

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
            os.replace(self.tmp_path, self.final_path)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        self._commit()

    def on_train_batch_end(self, batch, logs=None):
        super().on_train_batch_end(batch, logs)
        self._commit()


def make_callbacks(out_dir, *, backup_dir=None, monitor="val_accuracy", early_stopping: Optional[int] = None, tensorboard=False,
                   plateau: Optional[Recipe] = None, backup_freq="epoch", append_log=False) -> list:
    """The standard callbacks, all writing into ``out_dir``; the backup comes last (it restores the others)."""
    mode = "max" if "acc" in monitor else "min"
    stateful = [AtomicModelCheckpoint(os.path.join(out_dir, "best.keras"), monitor=monitor, mode=mode, save_best_only=True)]
    if early_stopping:
        stateful.append(keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=early_stopping))
    if plateau is not None:
        stateful.append(keras.callbacks.ReduceLROnPlateau(monitor=monitor, mode=mode, factor=plateau.gamma, patience=plateau.patience))
    others = [keras.callbacks.TerminateOnNaN(), keras.callbacks.CSVLogger(os.path.join(out_dir, "log.csv"), append=append_log)]
    if tensorboard:
        others.append(keras.callbacks.TensorBoard(os.path.join(out_dir, "tensorboard")))
    backup = AtomicBackupAndRestore(backup_dir or os.path.join(out_dir, "backup"), save_freq=backup_freq, stateful=stateful)
    return [*stateful, *others, backup]


# --------------------------------------------------------------------------- distribution


def replica_count(distribute) -> int:
    """How many replicas ``distribute`` trains on (1 without distribution)."""
    if distribute is None:
        return 1
    if hasattr(distribute, "num_replicas_in_sync"):
        return distribute.num_replicas_in_sync
    if hasattr(distribute, "device_mesh"):
        return distribute.device_mesh.devices.size
    return 1


def make_distribution(distribute):
    """The strategy or distribution for ``distribute`` (see module docstring), or ``None``."""
    check_choice("distribute", distribute, DISTRIBUTIONS)
    if distribute is None:
        return None
    backend = keras.backend.backend()
    if distribute == "auto":
        distribute = {"tensorflow": "mirrored", "jax": "data_parallel"}.get(backend)
        if distribute is None:
            return None
    allowed = {"mirrored": "tensorflow", "multiworker": "tensorflow", "data_parallel": "jax"}[distribute]
    if backend != allowed:
        raise bad_argument("distribute", distribute, f"{distribute!r} only on the {allowed} backend (this is {backend}); "
                           "'auto' or None train on what the backend supports")
    if distribute == "data_parallel":
        devices = keras.distribution.list_devices()
        return keras.distribution.DataParallel(devices=devices)
    import tensorflow as tf

    if distribute == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
    return tf.distribute.MirroredStrategy(devices=devices)


def distribution_scope(strategy):
    """Build, compile and fit under this: a ``tf.distribute`` strategy's or ``keras.distribution``'s scope."""
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def set_precision(precision: str) -> None:
    """The mixed-precision switch: ``"float32"``, ``"mixed_float16"`` (GPUs) or ``"mixed_bfloat16"`` (CPUs, TPUs)."""
    check_choice("precision", precision, PRECISIONS)
    keras.mixed_precision.set_global_policy(precision)


@contextlib.contextmanager
def determinism(seed: int):
    """Seed Python, NumPy and the backend, and make TensorFlow's ops deterministic while inside.

    TensorFlow's too on JAX and PyTorch: the tf.data pipelines run the seeded augmentation
    layers in parallel maps, which only keep their order with op determinism on. TF's
    global ``tf.random.Generator`` is seeded too: with op determinism on, TF refuses to
    create it implicitly, and code that draws from it (keras-cv's layers) would fail.
    Seeding it starts TensorFlow's context: make a tf.distribute strategy before entering."""
    keras.utils.set_random_seed(seed)
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config

    was_enabled = tf_config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    tf.random.set_global_generator(tf.random.Generator.from_seed(seed))
    try:
        yield
    finally:
        if not was_enabled:  # leave the process as it was (other code may need the faster kernels)
            tf_config.disable_op_determinism()


# --------------------------------------------------------------------------- the one call


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


def check_input_size(model_name: str, input_shape) -> None:
    """A model whose minimum input exceeds what is asked: a clear error before any data is read."""
    from keras_classics.registry import model_info

    info = model_info(model_name)
    height, width = (input_shape[0], input_shape[1]) if keras.config.image_data_format() == "channels_last" else (input_shape[1], input_shape[2])
    if min(height, width) < info.min_size:
        raise bad_argument("input_size", f"{height}x{width}", f"at least {info.min_size}x{info.min_size}, the smallest input {model_name} takes")


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


MATCHING_FIELDS = ("model", "dataset", "input_shape", "num_classes", "model_kwargs")


def check_out_dir(out_dir, record, *, resume: bool, epochs: int) -> str:
    """What to do in ``out_dir``: ``"new"``, ``"resume"`` (unfinished backup) or ``"continue"`` (``resume`` a finished run).

    Raises before anything is written when the folder holds another run, or a
    finished run without ``resume``.
    """
    run_path = os.path.join(out_dir, "run.json")
    if not os.path.exists(run_path):
        if os.path.isdir(out_dir) and any(n in os.listdir(out_dir) for n in ("model.keras", "best.keras", "backup")):
            raise bad_argument("out_dir", out_dir, "a new folder or one written by keras-classics train (run.json is missing)")
        if resume:
            raise bad_argument("resume", out_dir, "a folder holding a run to resume (no run.json there); leave out --resume to start one")
        return "new"
    previous = read_json(run_path)
    diffs = [f"{k}: {previous.get(k)!r} there, {record[k]!r} now" for k in MATCHING_FIELDS if previous.get(k) != record[k]]
    if diffs:
        raise bad_argument("out_dir" if not resume else "resume", out_dir, "a folder whose run matches this one (" + "; ".join(diffs) + "); use another --out")
    if os.path.exists(os.path.join(out_dir, "backup", "state.json")):
        return "resume"
    if not resume:
        raise bad_argument("out_dir", out_dir, "a new folder, or --resume to continue the finished run there")
    if not os.path.exists(os.path.join(out_dir, "model.keras")) or not os.path.exists(os.path.join(out_dir, "results.json")):
        raise bad_argument("resume", out_dir, "a folder with model.keras and results.json, or backup/, to resume from")
    done = read_json(os.path.join(out_dir, "results.json"))["epochs"]
    if epochs <= done:
        raise bad_argument("epochs", epochs, f"more than the {done} epochs the run in {out_dir} has done (with --resume)")
    return "continue"


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

    info = model_info(model_name)
    check_int("epochs", epochs, minimum=1)
    check_int("seed", seed, minimum=0)
    check_fraction("validation_split", validation_split)
    check_choice("precision", precision, PRECISIONS)
    check_choice("distribute", distribute, DISTRIBUTIONS)
    size = info.default_size if input_size is None else check_int("input_size", input_size, minimum=1)
    chans = info.channels if channels is None else check_choice("channels", channels, (1, 3))
    input_shape = (size, size, chans) if keras.config.image_data_format() == "channels_last" else (chans, size, size)
    check_input_size(info.name, input_shape)
    recipe = recipe_for(info.name, recipe).with_overrides(**(recipe_overrides or {}))
    check_fraction("label_smoothing", recipe.label_smoothing)
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
    mode = check_out_dir(out_dir, record, resume=resume, epochs=epochs) if chief else ("resume" if os.path.exists(os.path.join(out_dir, "backup", "state.json")) else "new")
    logs_dir = out_dir if chief else tempfile.mkdtemp(prefix="keras-classics-worker-")
    if chief:
        os.makedirs(out_dir, exist_ok=True)
        write_json(os.path.join(out_dir, "run.json"), record | {"augment": list(splits.augment), "batch_size": batch_size, "seed": seed,
                                                              "validation_split": validation_split, "label_mode": splits.label_mode,
                                                              "mean": splits.mean, "std": splits.std})

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
                                       append_log=mode != "new")
            train_ds, val_ds, test_ds = splits.train, splits.validation, splits.test
            if replicas > 1 and keras.backend.backend() == "jax":  # every batch must split evenly over the devices
                train_ds = train_ds.unbatch().batch(batch_size, drop_remainder=True)
                val_ds, test_ds = (_pad_batches(d, replicas) for d in (val_ds, test_ds))
            train_ds, val_ds, test_ds = (_for_outputs(d, len(model.outputs)) for d in (train_ds, val_ds, test_ds))
            if distribute == "multiworker":
                _build_for_multi_worker(model, strategy, train_ds)
            start = time.perf_counter()
            history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, initial_epoch=initial_epoch, callbacks=callbacks, verbose=verbose)
            seconds = time.perf_counter() - start
            restored = callbacks[-1].restored_epoch
            first_epoch = restored if restored is not None else initial_epoch
            test = model.evaluate(test_ds, verbose=0, return_dict=True)
            _atomic(os.path.join(logs_dir, "model.keras"), lambda tmp: model.save(tmp))  # every worker saves (collective reads)
            if chief:
                write_json(os.path.join(out_dir, "results.json"), {"epochs": epochs, "test": test, "seconds": seconds,
                                                                   "first_epoch": first_epoch, "backend": keras.backend.backend()})
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return TrainResult(model, dict(history.history), test, out_dir, first_epoch, epochs - first_epoch, seconds, record, replicas)


def _build_for_multi_worker(model, strategy, dataset):
    """Work around keras-team/keras#20585: Keras 3's TF trainer builds the model at the start of ``fit``
    by ``strategy.reduce`` of the first distributed batch, which MultiWorkerMirroredStrategy cannot do
    eagerly. Build it here from one local batch instead, and skip that step."""
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer as tf_trainer

    with strategy.scope():
        model._symbolic_build(data_batch=next(iter(dataset)))
    model._maybe_symbolic_build = lambda *args, **kwargs: None
    # The same issue: the step's per-replica metrics (scalars) are averaged with ``axis=0``,
    # which a scalar has not. Average scalars across the workers without an axis.
    original = getattr(tf_trainer.reduce_per_replica, "__wrapped__", tf_trainer.reduce_per_replica)

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and tf_trainer._collective_all_reduce_multi_worker(strategy):
            return tf.nest.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return original(values, strategy, reduction)

    reduce_per_replica.__wrapped__ = original
    tf_trainer.reduce_per_replica = reduce_per_replica


def _for_outputs(dataset, outputs: int):
    """Repeat the labels for every output of a multi-output model (GoogLeNet's auxiliary classifiers)."""
    if dataset is None or outputs == 1:
        return dataset
    return dataset.map(lambda x, y, *w: (x, tuple(y for _ in range(outputs)), *w))


def _pad_batches(dataset, multiple: int):
    """Pad each batch to a multiple of ``multiple`` examples that carry sample weight 0 (they count in no metric)."""
    import tensorflow as tf

    if dataset is None:
        return None

    def pad(x, y):
        n = tf.shape(x)[0]
        extra = (multiple - n % multiple) % multiple
        pad_rows = lambda t: tf.pad(t, [[0, extra]] + [[0, 0]] * (len(t.shape) - 1))
        return pad_rows(x), pad_rows(y), tf.concat([tf.ones([n]), tf.zeros([extra])], 0)

    return dataset.map(pad)
