"""Planning a comparison: the defaults, the jobs, and every argument checked before anything trains.

:func:`make_plan` takes plain keyword arguments (the CLI passes its flags
straight through) and raises ``ValueError`` naming the flag as the user typed
it (``--epochs``), so a typo fails in a second. Nothing here imports a backend.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.util
import math
import os
import sys
from pathlib import Path

from keras_classics._validate import bad_argument, check_bool, check_choice, check_fraction, check_int, check_nonnegative

BACKENDS = ("tensorflow", "jax", "torch")
BACKEND_LIBRARY = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}

# The default comparison: one network per family, in historical order.
DEFAULT_MODELS = ("lenet5", "alexnet", "vgg11", "nin", "googlenet", "resnet18", "densenet121")
DEFAULT_DATASET = "digits"
DEFAULT_EPOCHS = 3  # the default set in about 13 minutes on an idle 2-core CPU (docs/compare.md)
# Each network runs at the smallest size it can take, but at least this (digits are 8x8).
DEFAULT_INPUT_SIZE = 32
DEFAULT_BATCH_SIZE = 64
DEFAULT_SEED = 0
DEFAULT_OUT = os.path.join("results", "compare.csv")
# The shared recipe (docs/compare.md, "The recipe"): Adam with a short linear warm-up and a cosine decay,
# batch-norm moving averages that settle within a few dozen steps.
DEFAULT_LEARNING_RATE = 1e-3
SCHEDULES = ("cosine", "constant")  # with a warm-up: keras_classics.training.learning_rate_schedule
DEFAULT_SCHEDULE = "cosine"
DEFAULT_WARMUP_EPOCHS = 1.0
DEFAULT_BN_MOMENTUM = 0.9
# TensorFlow's op determinism (keras_classics.training.determinism): the same seed gives the same numbers;
# its cost on this CPU is in docs/performance.md ("Determinism").
DEFAULT_DETERMINISTIC = True


@dataclasses.dataclass(frozen=True)
class Job:
    """One worker run: a registry model at one input size on one backend."""

    model: str
    input_size: int
    backend: str


@dataclasses.dataclass
class Plan:
    """Everything :func:`keras_classics.compare.run` needs, checked."""

    jobs: list
    dataset: str
    epochs: int
    batch_size: int
    seed: int
    learning_rate: float
    schedule: str
    warmup_epochs: float
    bn_momentum: float
    out: Path
    force: bool
    timeout: float | None
    plots: bool
    deterministic: bool = DEFAULT_DETERMINISTIC

    @property
    def history_path(self) -> Path:
        return self.out.with_name(self.out.stem + "_history.csv")

    @property
    def accuracy_plot_path(self) -> Path:
        return self.out.with_name(self.out.stem + "_accuracy_vs_gmacs.png")

    @property
    def curves_plot_path(self) -> Path:
        return self.out.with_name(self.out.stem + "_curves.png")


def make_plan(
    *, models=None, dataset=DEFAULT_DATASET, epochs=DEFAULT_EPOCHS, input_size=None, batch_size=DEFAULT_BATCH_SIZE,
    backends=None, seed=DEFAULT_SEED, learning_rate=DEFAULT_LEARNING_RATE, schedule=DEFAULT_SCHEDULE,
    warmup_epochs=DEFAULT_WARMUP_EPOCHS, bn_momentum=DEFAULT_BN_MOMENTUM, out=DEFAULT_OUT, force=False, timeout=None,
    plots=True, deterministic=DEFAULT_DETERMINISTIC,
) -> Plan:
    """Check every argument and expand the model patterns; raises ``ValueError`` before anything runs.

    ``models``: names, shell patterns or ``NAME:SIZE`` items (a list, or one
    comma-separated string; ``None``: :data:`DEFAULT_MODELS`). ``backends``: a
    comma-separated string (``None``: ``$KERAS_BACKEND`` or tensorflow).
    """
    check_int("--epochs", epochs, minimum=1)
    check_int("--batch-size", batch_size, minimum=1)
    check_int("--seed", seed, minimum=0)
    if input_size is not None:
        check_int("--input-size", input_size, minimum=1)
    if timeout is not None and not timeout > 0:
        raise bad_argument("--timeout", timeout, "a positive number of seconds")
    if not (learning_rate > 0 and math.isfinite(learning_rate)):
        raise bad_argument("--learning-rate", learning_rate, "a positive number")
    check_choice("--schedule", schedule, SCHEDULES)
    check_nonnegative("--warmup-epochs", warmup_epochs, "a number of epochs")
    check_fraction("--bn-momentum", bn_momentum)
    chosen_backends = resolve_backends(backends)
    selection = resolve_models(models, input_size)
    check_dataset(dataset)
    out = check_output(out)
    jobs = [Job(name, size, backend) for backend in chosen_backends for name, size in selection]
    return Plan(
        jobs=jobs, dataset=dataset, epochs=epochs, batch_size=batch_size, seed=seed, learning_rate=learning_rate,
        schedule=schedule, warmup_epochs=warmup_epochs, bn_momentum=bn_momentum, out=out, force=bool(force),
        timeout=timeout, plots=bool(plots), deterministic=check_bool("--no-deterministic", deterministic),
    )


def resolve_backends(text) -> list:
    if text is None:
        return [os.environ.get("KERAS_BACKEND", "tensorflow")]
    backends = []
    for name in (part.strip() for part in str(text).split(",")):
        if name not in BACKENDS:
            raise bad_argument("--backends", name, "a comma-separated list of " + ", ".join(BACKENDS))
        if importlib.util.find_spec(BACKEND_LIBRARY[name]) is None:
            raise bad_argument("--backends", name, f"a backend whose library is installed (`pip install {BACKEND_LIBRARY[name]}` first)")
        if name not in backends:
            backends.append(name)
    return backends


def resolve_models(items, input_size) -> list:
    """``[(name, input size)]`` for the ``--models`` items (names, patterns, NAME:SIZE), in order, no repeats."""
    from keras_classics.registry import list_models, model_info

    registered = list_models()
    if isinstance(items, str):
        items = [items]
    if items is None:
        names = [n for n in DEFAULT_MODELS if n in registered]
        missing = [n for n in DEFAULT_MODELS if n not in registered]
        if missing:
            print(f"compare: not in the registry, left out of the default set: {', '.join(missing)}", file=sys.stderr)
        pairs = [(n, None) for n in names]
    else:
        pairs = []
        for item in (part.strip() for arg in items for part in arg.split(",")):
            if not item:
                continue
            pattern, _, size_text = item.partition(":")
            size = None
            if size_text:
                if not size_text.isdigit() or int(size_text) < 1:
                    raise bad_argument("--models", item, "NAME or NAME:SIZE with SIZE a positive integer")
                size = int(size_text)
            matches = list_models(pattern)
            if not matches:
                close = difflib.get_close_matches(pattern.lower(), registered, n=4)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise bad_argument(
                    "--models", pattern, f"a registry name or shell pattern matching at least one of {len(registered)} models, "
                    f"see `keras-classics list --names-only`{hint}",
                )
            pairs += [(name, size) for name in matches]
    selection, seen = [], set()
    for name, size in pairs:
        if name in seen:
            continue
        seen.add(name)
        if size is None:
            size = input_size if input_size is not None else max(DEFAULT_INPUT_SIZE, model_info(name).min_size)
        selection.append((name, size))
    if not selection:
        raise bad_argument("--models", items, "at least one registered model")
    return selection


def check_dataset(name) -> None:
    """A known dataset name or an existing folder; the datasets module's own list where it has one."""
    if os.path.isdir(str(name)):
        return
    try:
        from keras_classics import datasets
    except ImportError:
        return  # the worker reports it per model
    known = getattr(datasets, "DATASETS", None) or getattr(datasets, "DATASET_NAMES", None)
    if known is not None and name not in known:
        raise bad_argument("--dataset", name, "one of " + ", ".join(repr(k) for k in known) + ", or an image folder with one sub-folder per class")


def check_output(path_text) -> Path:
    """The CSV path: a .csv in a folder that can be written, and, if the file exists, a compare CSV (to resume)."""
    from keras_classics.compare.results import results_table

    return results_table(path_text).check_destination("the plots are written")
