"""Train, measure and compare the classic networks side by side.

``python apps/compare.py`` (or :func:`main`) trains every selected registry model
on one dataset, on one or more backends, and writes one CSV row per
(model, backend, dataset) with its accuracy, cost, speed and memory, plus two
PNG charts beside the CSV: accuracy against GMACs (bubble area by parameters)
and the training curves of every model.

How it runs:

* The parent process checks every argument first (model patterns, backends,
  dataset, output path), so a typo fails in a second, before any training.
* Each (model, backend) pair is trained in its own worker process
  (``KERAS_BACKEND`` set for it). That isolates a crash or an out-of-memory kill
  to one row, and makes the peak-memory figure honest: ``peak_rss_mb`` is the
  worker's ``resource.getrusage(RUSAGE_SELF).ru_maxrss``, the largest resident
  set the process ever had, backend library included; ``baseline_rss_mb`` is the
  same figure just before the model is built (imports and dataset loaded), so
  their difference is what the model's weights, activations and optimizer cost.
  The price is one backend import per model (``startup_s``, 5-15 s on 2 cores).
* After each model the CSV is rewritten atomically, so an interrupted run loses
  at most the model in progress; running the same command again skips the rows
  already in the CSV (``--force`` runs them again). A model that fails to build
  or train is recorded with ``status="error"`` and its error, and the run goes on.

The recipe is the same for every network, so the comparison is of
architectures, not of tuning: Adam (learning rate ``--learning-rate``), sparse
categorical cross-entropy, batch ``--batch-size``, no augmentation, the model's
default dropout and weight init, Keras seeds set from ``--seed``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import difflib
import importlib.util
import inspect
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import keras

from keras_classics._validate import bad_argument, check_fraction, check_int, check_nonnegative
from keras_classics.weights import weighted_layers

BACKENDS = ("tensorflow", "jax", "torch")
BACKEND_LIBRARY = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}

# The default comparison: one network per family, in historical order.
DEFAULT_MODELS = ("lenet5", "alexnet", "vgg11", "nin", "googlenet", "resnet18", "densenet121")
DEFAULT_EPOCHS = 3  # the default set in about 13 minutes on an idle 2-core CPU (docs/compare.md)
# Each network runs at the smallest size it can take, but at least this (digits are 8x8).
DEFAULT_INPUT_SIZE = 32
DEFAULT_OUT = os.path.join("results", "compare.csv")
# The shared recipe (docs/compare.md, "The recipe"): Adam with a short linear warm-up and a cosine decay,
# batch-norm moving averages that settle within a few dozen steps.
DEFAULT_LEARNING_RATE = 1e-3
SCHEDULES = ("cosine", "constant")  # with a warm-up: keras_classics.training.learning_rate_schedule
DEFAULT_SCHEDULE = "cosine"
DEFAULT_WARMUP_EPOCHS = 1.0
DEFAULT_BN_MOMENTUM = 0.9

KEY = ("model", "backend", "dataset")
COLUMNS = (
    "model", "backend", "dataset", "status", "error",
    "input_size", "channels", "classes", "epochs", "batch_size", "optimizer", "schedule", "bn_momentum", "seed",
    "params", "gmacs",
    "train_accuracy", "validation_accuracy", "test_accuracy", "validation_top5", "test_top5",
    "train_loss", "validation_loss", "test_loss",
    "first_epoch_s", "seconds_per_epoch", "train_images_per_s",
    "latency_ms_b1", "images_per_s_b64",
    "peak_rss_mb", "baseline_rss_mb", "keras_size_mb",
    "train_size", "validation_size", "test_size",
    "startup_s", "wall_s", "cpu_s", "load_avg_1min", "cpu_count",
    "keras_version", "backend_version", "timestamp", "note",
)
HISTORY_COLUMNS = (*KEY, "epoch", "accuracy", "val_accuracy", "loss", "val_loss", "epoch_s")


@dataclasses.dataclass(frozen=True)
class Job:
    """One worker run: a registry model at one input size on one backend."""

    model: str
    input_size: int
    backend: str


@dataclasses.dataclass
class Plan:
    """Everything :func:`run` needs, checked."""

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

    @property
    def history_path(self) -> Path:
        return self.out.with_name(self.out.stem + "_history.csv")

    @property
    def accuracy_plot_path(self) -> Path:
        return self.out.with_name(self.out.stem + "_accuracy_vs_gmacs.png")

    @property
    def curves_plot_path(self) -> Path:
        return self.out.with_name(self.out.stem + "_curves.png")


# --------------------------------------------------------------------------- arguments


DESCRIPTION = "Train, measure and compare the classic CNNs side by side; write a CSV and plots."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compare.py",
        description=DESCRIPTION,
        epilog="Examples: `python apps/compare.py` (the default set on digits); "
        "`python apps/compare.py --models 'resnet*' alexnet:96 --epochs 3 --backends jax,torch`.",
    )
    return add_arguments(parser)


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add compare's flags to ``parser`` (for a ``keras-classics compare`` subcommand too)."""
    parser.add_argument(
        "--models", nargs="+", metavar="NAME",
        help="registry names or shell patterns ('resnet*'), space- or comma-separated; NAME:SIZE fixes that "
        f"model's input size. Default: {' '.join(DEFAULT_MODELS)}.",
    )
    parser.add_argument("--dataset", default="digits", help="dataset name or image folder (default: digits, embedded)")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help=f"training epochs per model (default: {DEFAULT_EPOCHS})")
    parser.add_argument(
        "--input-size", type=int, metavar="N",
        help=f"input height and width for every model (default: each model's minimum, at least {DEFAULT_INPUT_SIZE}); "
        "a size below a model's minimum is recorded as that model's error",
    )
    parser.add_argument("--batch-size", type=int, default=64, help="training batch size (default: 64)")
    parser.add_argument(
        "--backends", metavar="LIST",
        help="comma-separated Keras backends, one worker process each (default: $KERAS_BACKEND or tensorflow)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for data split, weights and dropout (default: 0)")
    parser.add_argument("--learning-rate", type=float, default=DEFAULT_LEARNING_RATE, help=f"Adam's peak learning rate (default: {DEFAULT_LEARNING_RATE:g})")
    parser.add_argument(
        "--schedule", choices=SCHEDULES, default=DEFAULT_SCHEDULE,
        help="learning rate after the warm-up: 'cosine' decays it to zero by the last step, 'constant' keeps it (default: cosine)",
    )
    parser.add_argument(
        "--warmup-epochs", type=float, default=DEFAULT_WARMUP_EPOCHS, metavar="E",
        help=f"linear warm-up from zero over the first E epochs, at most half the run; 0 for none (default: {DEFAULT_WARMUP_EPOCHS:g})",
    )
    parser.add_argument(
        "--bn-momentum", type=float, default=DEFAULT_BN_MOMENTUM, metavar="M",
        help=f"momentum of every batch-norm layer's moving averages (default: {DEFAULT_BN_MOMENTUM:g}; Keras's own is 0.99, "
        "too slow to settle in a short run)",
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"results CSV; the plots go beside it (default: {DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true", help="run models again even if their row is already in the CSV")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="give up on a model after this long (recorded as its error)")
    parser.add_argument("--no-plots", action="store_true", help="write the CSV only")
    return parser


def plan_from_args(args) -> Plan:
    """Check every argument and expand the model patterns; raises ``ValueError`` before anything runs."""
    check_int("--epochs", args.epochs, minimum=1)
    check_int("--batch-size", args.batch_size, minimum=1)
    check_int("--seed", args.seed, minimum=0)
    if args.input_size is not None:
        check_int("--input-size", args.input_size, minimum=1)
    if args.timeout is not None and not args.timeout > 0:
        raise bad_argument("--timeout", args.timeout, "a positive number of seconds")
    if not (args.learning_rate > 0 and math.isfinite(args.learning_rate)):
        raise bad_argument("--learning-rate", args.learning_rate, "a positive number")
    check_nonnegative("--warmup-epochs", args.warmup_epochs, "a number of epochs")
    check_fraction("--bn-momentum", args.bn_momentum)
    backends = resolve_backends(args.backends)
    selection = resolve_models(args.models, args.input_size)
    check_dataset(args.dataset)
    out = check_output(args.out)
    jobs = [Job(name, size, backend) for backend in backends for name, size in selection]
    return Plan(
        jobs=jobs, dataset=args.dataset, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
        learning_rate=args.learning_rate, schedule=args.schedule, warmup_epochs=args.warmup_epochs,
        bn_momentum=args.bn_momentum, out=out, force=args.force, timeout=args.timeout, plots=not args.no_plots,
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
    """The CSV path, after making sure its folder exists and can be written, and that a CSV there is ours."""
    out = Path(path_text)
    if out.suffix.lower() != ".csv":
        raise bad_argument("--out", str(path_text), "a path ending in .csv (the plots are written beside it)")
    if out.is_dir():
        raise bad_argument("--out", str(path_text), "a CSV file path, not a folder")
    folder = out.parent if str(out.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".compare-write-test-"):
            pass
    except OSError as err:
        raise bad_argument("--out", str(path_text), f"a path in a folder that can be created and written ({err.strerror or err})") from None
    if out.exists():
        if not os.access(out, os.W_OK):
            raise bad_argument("--out", str(path_text), "a CSV file that can be written")
        existing = read_table(out, COLUMNS)
        if not set(KEY) <= set(existing.columns):
            raise bad_argument("--out", str(path_text), "a new path or a CSV written by compare (this one has other columns)")
    return out


# --------------------------------------------------------------------------- the run


def main(argv=None) -> int:
    """The command line: ``python apps/compare.py [flags]``. Returns 0, 1 if a model failed, 2 on bad input."""
    args = build_parser().parse_args(argv)
    try:
        plan = plan_from_args(args)
    except ValueError as err:
        print(f"compare: error: {err}", file=sys.stderr)
        return 2
    return run_plan(plan)


def run_plan(plan: Plan) -> int:
    """:func:`run`, stopping cleanly on Ctrl-C or SIGTERM (finished rows stay; the same command resumes)."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        return run(plan)
    except KeyboardInterrupt:
        print(f"\ncompare: interrupted; finished rows are in {plan.out}. Run the same command again to resume.", file=sys.stderr)
        return 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _terminate(signum, frame):
    raise KeyboardInterrupt  # stops the worker too (run_job kills it) and keeps the finished rows


def run(plan: Plan) -> int:
    """Run every job of ``plan`` not yet in the CSV, write the CSV after each, then the plots."""
    import pandas as pd

    table = read_table(plan.out, COLUMNS)
    history = read_table(plan.history_path, HISTORY_COLUMNS)
    done = set(zip(*(table[c].astype(str) for c in KEY))) if len(table) else set()
    started = time.perf_counter()
    failed = 0
    total = len(plan.jobs)
    print(
        f"compare: {total} run(s) on {plan.dataset}, {plan.epochs} epoch(s), batch {plan.batch_size}, seed {plan.seed}; "
        f"CSV {plan.out}", flush=True,
    )
    for index, job in enumerate(plan.jobs, 1):
        key = (job.model, job.backend, plan.dataset)
        prefix = f"[{index}/{total}] {job.model} on {job.backend}"
        if key in done and not plan.force:
            old = table[(table["model"] == job.model) & (table["backend"] == job.backend) & (table["dataset"] == plan.dataset)].iloc[-1]
            print(f"{prefix}: already in the CSV ({old['status']}, {_int(old['epochs'])} epochs at {_int(old['input_size'])}px), skipped; --force runs it again", flush=True)
            continue
        print(f"{prefix}: {job.input_size}x{job.input_size} input, {plan.epochs} epoch(s)  (elapsed {_clock(time.perf_counter() - started)})", flush=True)
        row, epochs = run_job(job, plan)
        failed += row["status"] != "ok"
        table = _replace_rows(table, pd.DataFrame([row]), COLUMNS)
        history = _replace_rows(history, pd.DataFrame(epochs, columns=list(HISTORY_COLUMNS)), HISTORY_COLUMNS, keys=[key])
        write_table(history, plan.history_path)
        write_table(table, plan.out)
        done.add(key)
        print(f"{prefix}: {_outcome(row)}", flush=True)
    print(f"compare: done in {_clock(time.perf_counter() - started)}; {plan.out}", flush=True)
    if plan.plots:
        for path in write_plots(table, history, plan):
            print(f"compare: wrote {path}", flush=True)
    selected = {(j.model, j.backend, plan.dataset) for j in plan.jobs}
    mine = table[[k in selected for k in zip(*(table[c].astype(str) for c in KEY))]] if len(table) else table
    if len(mine):
        print(summary_markdown(mine))
    return 1 if failed else 0


def run_job(job: Job, plan: Plan):
    """Train ``job`` in a worker process; returns its CSV row and its per-epoch history rows."""
    spec = {
        "model": job.model, "input_size": job.input_size, "dataset": plan.dataset, "epochs": plan.epochs,
        "batch_size": plan.batch_size, "seed": plan.seed, "learning_rate": plan.learning_rate,
        "schedule": plan.schedule, "warmup_epochs": plan.warmup_epochs, "bn_momentum": plan.bn_momentum,
    }
    row = {
        "model": job.model, "backend": job.backend, "dataset": plan.dataset, "input_size": job.input_size,
        "epochs": plan.epochs, "batch_size": plan.batch_size, "seed": plan.seed,
        "optimizer": f"adam(lr={plan.learning_rate:g})", "schedule": f"{plan.schedule}, warm-up {plan.warmup_epochs:g} epochs",
        "bn_momentum": plan.bn_momentum, "cpu_count": os.cpu_count(),
        "load_avg_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else math.nan,
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    env = dict(os.environ, KERAS_BACKEND=job.backend, PYTHONUNBUFFERED="1")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with tempfile.TemporaryDirectory(prefix="compare-") as scratch:
        spec_path, result_path, log_path = (os.path.join(scratch, n) for n in ("spec.json", "result.json", "stderr.log"))
        with open(spec_path, "w") as f:
            json.dump({**spec, "launched": time.time()}, f)
        command = [sys.executable, "-c", WORKER_COMMAND, spec_path, result_path]
        launched = time.perf_counter()
        with open(log_path, "w") as log:
            process = subprocess.Popen(command, env=env, stderr=log)
            try:
                code = process.wait(timeout=plan.timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                code = None
            except BaseException:
                process.kill()
                process.wait()
                raise
        row["wall_s"] = round(time.perf_counter() - launched, 2)
        result = {}
        if os.path.exists(result_path):
            with open(result_path) as f:
                result = json.load(f)
        row.update(result.get("row", {}))
        if code is None:
            row.update(status="error", error=f"timed out after {plan.timeout:g} s (--timeout)")
        elif code in (-signal.SIGINT, -signal.SIGTERM):  # stopped by the user: not a result, run it again on resume
            raise KeyboardInterrupt
        elif "status" not in row:  # killed (out of memory?) or crashed in native code
            cause = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
            row.update(status="error", error=f"worker {cause} before reporting (out of memory?): {_last_line(log_path)}")
            _print_tail(log_path)
    epochs = [
        {"model": job.model, "backend": job.backend, "dataset": plan.dataset, "epoch": i + 1, **values}
        for i, values in enumerate(result.get("history", []))
    ]
    return row, epochs


WORKER_COMMAND = "import sys; from keras_classics.compare import worker_main; sys.exit(worker_main(sys.argv[1:]))"


def _outcome(row) -> str:
    if row["status"] != "ok":
        return f"FAILED: {row.get('error')}"
    parts = [f"test accuracy {row['test_accuracy']:.3f}", f"{row['seconds_per_epoch']:.1f} s/epoch",
             f"{row['latency_ms_b1']:.1f} ms at batch 1", f"peak {row['peak_rss_mb']:.0f} MB", f"{row['wall_s']:.0f} s in all"]
    return ", ".join(parts)


# --------------------------------------------------------------------------- the worker


def worker_main(argv) -> int:
    """Entry point of a worker process: ``spec.json result.json``; the backend is ``$KERAS_BACKEND``."""
    spec_path, result_path = argv
    with open(spec_path) as f:
        spec = json.load(f)
    try:
        result = measure(**spec)
        code = 0
    except Exception as err:  # recorded as the model's error row; the run goes on
        traceback.print_exc()
        message = " ".join(str(err).split()) or type(err).__name__
        result = {"row": {"status": "error", "error": f"{type(err).__name__}: {message}"[:500]}}
        code = 1
    tmp = result_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.replace(tmp, result_path)
    return code


def measure(
    *, model, input_size, dataset, epochs, batch_size, seed, learning_rate,
    schedule=DEFAULT_SCHEDULE, warmup_epochs=DEFAULT_WARMUP_EPOCHS, bn_momentum=DEFAULT_BN_MOMENTUM, launched=None,
) -> dict:
    """Build, train, evaluate and time one registry model in this process; returns ``{"row", "history"}``.

    ``launched`` is the ``time.time()`` at which the parent started this process,
    so ``startup_s`` counts the backend import too.
    """
    began = time.time() if launched is None else launched
    from keras_classics.datasets import load_dataset
    from keras_classics.registry import model_info
    from keras_classics.training import Recipe, make_optimizer

    row = {"keras_version": keras.__version__, "backend_version": _library_version(keras.backend.backend())}
    info = model_info(model)
    keras.utils.set_random_seed(seed)
    channels_last = keras.config.image_data_format() == "channels_last"
    shape = (input_size, input_size, info.channels) if channels_last else (info.channels, input_size, input_size)
    splits = load_dataset(dataset, input_shape=shape, batch_size=batch_size, seed=seed)
    row.update(
        channels=info.channels, classes=splits.num_classes, train_size=splits.train_size,
        validation_size=splits.validation_size, test_size=splits.test_size,
        baseline_rss_mb=peak_rss_mb(), startup_s=round(time.time() - began, 2),
    )

    net = build_single_output(info, shape, splits.num_classes)
    row["keras_size_mb"] = keras_file_mb(net)  # before compile: config and weights, no optimizer state
    top5 = splits.num_classes > 5
    metrics = ["accuracy"] + ([keras.metrics.SparseTopKCategoricalAccuracy(k=5, name="top5")] if top5 else [])
    set_bn_momentum(net, bn_momentum)
    recipe = Recipe("adam", learning_rate, momentum=0.0, schedule=schedule, warmup_epochs=warmup_epochs)
    optimizer = make_optimizer(recipe, steps_per_epoch=math.ceil(splits.train_size / batch_size), epochs=epochs)
    net.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=metrics)
    row["params"] = int(net.count_params())
    row["gmacs"], note = _gmacs(net)

    timer = EpochTimer()
    fit = net.fit(
        splits.train, validation_data=splits.validation, epochs=epochs, callbacks=[timer],
        verbose=1 if sys.stdout.isatty() else 2,
    )
    logs = fit.history
    validation = net.evaluate(splits.validation, verbose=0, return_dict=True)
    test = net.evaluate(splits.test, verbose=0, return_dict=True)
    steady = timer.train_s[1:] or timer.train_s
    row.update(
        train_accuracy=logs["accuracy"][-1], train_loss=logs["loss"][-1],
        validation_accuracy=validation["accuracy"], validation_loss=validation["loss"],
        test_accuracy=test["accuracy"], test_loss=test["loss"],
        validation_top5=validation.get("top5", math.nan), test_top5=test.get("top5", math.nan),
        first_epoch_s=round(timer.epoch_s[0], 3),
        seconds_per_epoch=round(statistics.mean(timer.epoch_s[1:] or timer.epoch_s), 3),
        train_images_per_s=round(splits.train_size / statistics.mean(steady), 1),
    )
    row.update(inference_speed(net, shape))
    row["peak_rss_mb"] = peak_rss_mb()
    row["cpu_s"] = cpu_seconds()
    row["status"], row["error"], row["note"] = "ok", "", note
    history = [
        {
            "accuracy": logs["accuracy"][i], "val_accuracy": logs.get("val_accuracy", [math.nan] * epochs)[i],
            "loss": logs["loss"][i], "val_loss": logs.get("val_loss", [math.nan] * epochs)[i], "epoch_s": timer.epoch_s[i],
        }
        for i in range(len(logs["loss"]))
    ]
    return {"row": {k: _plain(v) for k, v in row.items()}, "history": [{k: _plain(v) for k, v in h.items()} for h in history]}


def build_single_output(info, input_shape, classes):
    """The registry model for ``classes`` classes at ``input_shape``, untrained, with one output.

    Networks with auxiliary classifiers (GoogLeNet, Inception v3) are built
    without them where the builder has an ``aux_logits`` switch; otherwise only
    the main output (``outputs[0]``) is kept.
    """
    kwargs = {"input_shape": input_shape, "classes": classes, "weights": None, "classifier_activation": "softmax"}
    if "aux_logits" in inspect.signature(info.builder).parameters:
        kwargs["aux_logits"] = False
    net = info.build(**kwargs)
    if len(net.outputs) > 1:
        net = keras.Model(net.inputs, net.outputs[0], name=net.name)
    return net


def set_bn_momentum(net, momentum) -> int:
    """Set the moving-average momentum of every ``BatchNormalization`` layer in ``net`` (nested ones too); returns how many."""
    # weighted_layers flattens nested models, and a batch norm always has weights.
    layers = [layer for layer in weighted_layers(net) if isinstance(layer, keras.layers.BatchNormalization)]
    for layer in layers:
        layer.momentum = momentum
    return len(layers)


def _gmacs(net):
    try:
        from keras_classics.cost import total_macs
    except ImportError as err:
        return math.nan, f"GMACs unavailable ({err})"
    return round(total_macs(net) / 1e9, 6), ""


class EpochTimer(keras.callbacks.Callback):
    """Wall time of each epoch (``epoch_s``, validation included) and of its training batches alone (``train_s``).

    The loss is read at the end of every batch, which waits for the backend's
    asynchronous work (JAX dispatches ahead), so the times are honest.
    """

    def __init__(self):
        super().__init__()
        self.epoch_s, self.train_s = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self._begin = self._last_batch = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if logs and "loss" in logs:
            float(logs["loss"])
        self._last_batch = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.train_s.append(self._last_batch - self._begin)
        self.epoch_s.append(time.perf_counter() - self._begin)


def inference_speed(net, input_shape, *, budget_s=2.0) -> dict:
    """Median latency of ``predict_on_batch`` at batch 1 (ms) and throughput at batch 64 (images/s)."""
    import numpy as np

    rng = np.random.default_rng(0)
    one = rng.uniform(0, 1, size=(1, *input_shape)).astype("float32")
    batch = rng.uniform(0, 1, size=(64, *input_shape)).astype("float32")
    latency = time_calls(lambda: net.predict_on_batch(one), warmup=3, min_repeats=5, max_repeats=100, budget_s=budget_s)
    per_batch = time_calls(lambda: net.predict_on_batch(batch), warmup=2, min_repeats=3, max_repeats=20, budget_s=budget_s)
    return {"latency_ms_b1": round(latency * 1e3, 3), "images_per_s_b64": round(64 / per_batch, 1)}


def time_calls(fn, *, warmup, min_repeats, max_repeats, budget_s) -> float:
    """Median seconds of ``fn()``, after ``warmup`` calls; at least ``min_repeats`` calls, more while within ``budget_s``."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_repeats and (len(times) < min_repeats or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def keras_file_mb(net) -> float:
    """Size in MiB of ``net`` saved as ``.keras`` (call it before ``compile`` to leave optimizer state out)."""
    with tempfile.TemporaryDirectory(prefix="compare-save-") as folder:
        path = os.path.join(folder, "model.keras")
        net.save(path)
        return round(os.path.getsize(path) / 2**20, 3)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (``ru_maxrss``), in MiB; NaN where unavailable."""
    try:
        import resource
    except ImportError:  # Windows
        return math.nan
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def cpu_seconds() -> float:
    """User plus system CPU time of this process so far; against ``wall_s`` it shows how contended the CPU was."""
    try:
        import resource
    except ImportError:
        return math.nan
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 2)


def _library_version(backend: str) -> str:
    from importlib import metadata

    try:
        return f"{BACKEND_LIBRARY[backend]} {metadata.version(BACKEND_LIBRARY[backend])}"
    except (KeyError, metadata.PackageNotFoundError):
        return backend


# --------------------------------------------------------------------------- tables


def read_table(path, columns):
    import pandas as pd

    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame(columns=list(columns))
    try:
        table = pd.read_csv(path, keep_default_na=True)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise bad_argument("--out", str(path), f"a new path or a readable CSV written by compare ({err})") from None
    for key in KEY:
        if key in table.columns:
            table[key] = table[key].astype(str)
    return table


def write_table(table, path) -> None:
    """Write ``table`` to ``path`` atomically (a temporary file, then a rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    table.to_csv(tmp, index=False)
    os.replace(tmp, path)


def _replace_rows(table, new, columns, keys=None):
    """``table`` without the rows whose key is in ``keys`` (default: ``new``'s keys), then ``new``; columns in order."""
    import pandas as pd

    keys = set(keys if keys is not None else zip(*(new[c].astype(str) for c in KEY)))
    if len(table):
        keep = [k not in keys for k in zip(*(table[c].astype(str) for c in KEY))]
        table = table[keep]
    extra = [c for c in table.columns if c not in columns]
    frames = [f for f in (table, new) if len(f)]
    merged = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return merged.reindex(columns=[*columns, *extra])


SUMMARY = (
    ("model", "model"), ("backend", "backend"), ("input_size", "input"), ("params", "params"), ("gmacs", "GMACs"),
    ("test_accuracy", "test acc"), ("seconds_per_epoch", "s/epoch"), ("train_images_per_s", "train img/s"),
    ("latency_ms_b1", "ms @1"), ("images_per_s_b64", "img/s @64"), ("peak_rss_mb", "peak MB"), ("status", "status"),
)


def summary_table(table):
    """The headline columns of a results table, formatted for reading."""
    import pandas as pd

    out = pd.DataFrame()
    for column, label in SUMMARY:
        values = table[column] if column in table.columns else pd.Series([math.nan] * len(table), index=table.index)
        out[label] = [_format(column, v) for v in values]
    return out


def summary_markdown(table) -> str:
    from keras_classics.tables import to_markdown

    return to_markdown(summary_table(table))


def _format(column, value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column == "params":
        return f"{int(value):,}"
    if column == "input_size":
        return f"{int(value)}px"
    if column == "gmacs":
        return f"{value:.3g}"
    if column in ("test_accuracy",):
        return f"{value:.3f}"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"
    return str(value)


# --------------------------------------------------------------------------- plots


def write_plots(table, history, plan) -> list:
    """The two PNGs beside the CSV; without matplotlib, a message saying how to get them."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: F401
    except ImportError:
        print(
            "compare: matplotlib is not installed, so no plots; the CSV is complete. "
            "`pip install 'keras-classics[plots]'` (or `pip install matplotlib`) and run the same command again to draw them.",
            flush=True,
        )
        return []
    ok = table[table["status"] == "ok"] if len(table) else table
    paths = []
    if len(ok):
        plot_accuracy_vs_gmacs(ok, plan.accuracy_plot_path)
        paths.append(plan.accuracy_plot_path)
    if len(history):
        plot_curves(history, plan.curves_plot_path)
        paths.append(plan.curves_plot_path)
    return paths


def plot_accuracy_vs_gmacs(table, path) -> None:
    """Test accuracy against GMACs (log scale), bubble area by parameter count, colour by backend."""
    import matplotlib.pyplot as plt
    import numpy as np

    from matplotlib.lines import Line2D

    table = table.dropna(subset=["gmacs", "test_accuracy"])
    fig, ax = plt.subplots(figsize=(10, 6), dpi=120)
    if len(table):
        largest = float(table["params"].max())
        area = lambda params: 30 + 2500 * np.asarray(params, dtype=float) / largest  # noqa: E731  (points^2)
        colours = dict(zip(sorted(table["backend"].unique()), plt.rcParams["axes.prop_cycle"].by_key()["color"]))
        several_datasets = table["dataset"].nunique() > 1
        labels = {}  # one label per (model, dataset), not per backend
        for backend, rows in table.groupby("backend"):
            sizes = area(rows["params"])
            ax.scatter(rows["gmacs"], rows["test_accuracy"] * 100, s=sizes, alpha=0.45,
                       color=colours[backend], edgecolors="black", linewidths=0.6)
            for size, (_, r) in zip(sizes, rows.iterrows()):
                label = f"{r['model']} ({r['dataset']})" if several_datasets else r["model"]
                labels.setdefault((r["model"], r["dataset"]), (f"{label}\n{_millions(r['params'])}, {int(r['input_size'])}px",
                                                               r["gmacs"], r["test_accuracy"] * 100, size))
        handles = [Line2D([], [], marker="o", ls="", ms=8, alpha=0.6, color=c, markeredgecolor="black", label=b) for b, c in colours.items()]
        handles += [ax.scatter([], [], s=area([p]), color="grey", alpha=0.3, edgecolors="black", linewidths=0.6, label=f"{_millions(p)} params")
                    for p in _round_sizes(largest)]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, labelspacing=2.2, borderpad=1.2, frameon=False)
        ax.set_xscale("log")
        low, high = table["gmacs"].min(), table["gmacs"].max()
        ax.set_xlim(low / 2, high * 6)  # room on the right for the labels
        accuracy = table["test_accuracy"] * 100
        ax.set_ylim(max(0, accuracy.min() - 8), min(102, accuracy.max() + 5))
        _place_labels(fig, ax, list(labels.values()))
    epochs = ", ".join(sorted({str(_int(e)) for e in table["epochs"]})) if len(table) else "?"
    datasets = ", ".join(sorted(table["dataset"].unique())) if len(table) else ""
    ax.set_title(f"Test accuracy against cost on {datasets} (epochs: {epochs}); bubble area: parameters")
    ax.set_xlabel("GMACs per image at the input size used (log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _place_labels(fig, ax, labels) -> None:
    """Annotate each bubble beside it, right or left, moving a label up or down until it overlaps no other bubble or label.

    ``labels``: ``(text, x, y, bubble area in points^2)``. Greedy, in order of
    decreasing y; where no place is free the last candidate stays. Label boxes
    are measured by the renderer, so this runs once the axis limits are final.
    """
    from matplotlib.transforms import Bbox

    renderer = fig.canvas.get_renderer()
    pixels_per_point = fig.dpi / 72

    def bubble(x, y, size):  # the bubble's bounding box in display pixels
        cx, cy = ax.transData.transform((x, y))
        r = math.sqrt(size / math.pi) * pixels_per_point
        return Bbox.from_extents(cx - r, cy - r, cx + r, cy + r)

    bubbles = [bubble(x, y, size) for _, x, y, size in labels]
    placed = []
    for index, (text, x, y, size) in sorted(enumerate(labels), key=lambda item: -item[1][2]):
        obstacles = placed + [b for i, b in enumerate(bubbles) if i != index]
        radius = math.sqrt(size / math.pi) + 3
        candidates = [(side * radius, dy, "left" if side > 0 else "right") for dy in (0, 12, -12, 24, -24) for side in (1, -1)]
        for dx, dy, ha in candidates:
            note = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va="center", fontsize=8)
            box = note.get_window_extent(renderer).expanded(1.04, 1.08)
            if not any(box.overlaps(other) for other in obstacles):
                break
            if (dx, dy, ha) != candidates[-1]:
                note.remove()
        placed.append(box)


def plot_curves(history, path) -> None:
    """One panel per model: training (solid) and validation (dashed) accuracy per epoch, one colour per backend."""
    import matplotlib.pyplot as plt

    groups = list(history.groupby(["model", "dataset"], sort=False))
    columns = min(4, len(groups))
    rows = math.ceil(len(groups) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.9 * rows), dpi=110, squeeze=False, sharey=True)
    colours = dict(zip(sorted(history["backend"].unique()), plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    several_datasets = history["dataset"].nunique() > 1
    for ax, ((model, dataset), frame) in zip(axes.flat, groups):
        for backend, curve in frame.groupby("backend"):
            curve = curve.sort_values("epoch")
            ax.plot(curve["epoch"], curve["accuracy"] * 100, "-o", ms=3, color=colours[backend], label=f"{backend} train")
            ax.plot(curve["epoch"], curve["val_accuracy"] * 100, "--s", ms=3, color=colours[backend], label=f"{backend} validation")
        ax.set_title(f"{model} ({dataset})" if several_datasets else model, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylim(0, 102)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy (%)")
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=8, frameon=False)
    fig.suptitle("Training curves: training (solid) and validation (dashed) accuracy")
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    fig.savefig(path)
    plt.close(fig)


# --------------------------------------------------------------------------- small helpers


def _round_sizes(largest):
    sizes = [10**k for k in range(4, 10) if 10**k <= largest]
    return sizes[-3:] or [largest]


def _millions(params) -> str:
    params = float(params)
    return f"{params / 1e6:.1f}M" if params >= 1e5 else f"{params / 1e3:.0f}K"


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _plain(value):
    """JSON-safe Python scalars (NumPy and backend scalars become floats or ints)."""
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return number


def _clock(seconds) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}m{seconds:02d}s"


def _last_line(path) -> str:
    try:
        lines = [line.strip() for line in Path(path).read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else "(no output)"


def _print_tail(path, lines=15) -> None:
    try:
        text = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return
    tail = [line for line in text if line.strip()][-lines:]
    if tail:
        print("    | " + "\n    | ".join(tail), file=sys.stderr, flush=True)
