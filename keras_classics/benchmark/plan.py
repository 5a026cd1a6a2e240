"""Planning a benchmark: the runners, the defaults, the GPU suite, and every argument checked before anything runs.

:func:`make_plan` takes plain keyword arguments (the CLI passes its flags
straight through) and raises ``ValueError`` naming the flag (``--batch-size``),
so a typo fails in a second. Nothing here imports a backend.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib.util
import os
from pathlib import Path

from keras_classics._validate import bad_argument, check_choice, check_int
from keras_classics.benchmark.references import APPLICATIONS, TORCHVISION
from keras_classics.compare.plan import BACKEND_LIBRARY, BACKENDS, resolve_backends

# A runner is one way of running a network: ours on a Keras backend, keras.applications' on a Keras
# backend, or torchvision's in native PyTorch (NCHW, or channels_last memory format).
NATIVE = ("torchvision", "torchvision/channels_last")
REFERENCES = ("torchvision", "torchvision/channels_last", "applications")
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")  # mixed_float16 on a GPU only
COMPILE = ("auto", "on", "off")  # Keras's jit_compile "auto"/True/False; torch.compile for native PyTorch when "on"
MEASURES = ("infer", "latency", "train")

# The default set: compare's size (ResNet-18, 32 px) and ImageNet's (ResNet-50, 224 px), each at a batch
# that one step of a 2-core CPU does in about a second or a few (NAME:SIZE:BATCH).
DEFAULT_MODELS = ("resnet18:32:64", "resnet50:224:16")
DEFAULT_BATCH_SIZE = 32  # for a --models item without :BATCH
DEFAULT_CLASSES = 1000
DEFAULT_WARMUP = 2  # untimed calls: the first traces and compiles (XLA, JAX), the second settles the allocator
DEFAULT_REPEATS = 3  # timed calls at least; more while the budget lasts
DEFAULT_BUDGET_S = 5.0  # seconds of timed calls per measurement
DEFAULT_OUT = os.path.join("results", "benchmark.csv")

# The GPU suite (issue 16): ResNet-50 training at batch 256 in mixed precision on every backend and in
# native PyTorch, 60 seconds of timed steps per runner.
GPU_SUITE = {
    "models": ("resnet50:224:256",), "precision": "mixed_float16", "measures": ("train",), "warmup": 5, "repeats": 10,
    "budget_s": 60.0, "references": NATIVE, "timeout": 900.0, "out": os.path.join("results", "benchmark_gpu.csv"),
}


@dataclasses.dataclass(frozen=True)
class Job:
    """One worker run: a network at one input size and batch, on one runner."""

    model: str
    input_size: int
    batch_size: int
    runner: str

    @property
    def library(self) -> str:
        return "torchvision" if self.runner in NATIVE else "keras.applications" if self.runner.startswith("applications/") else "keras_classics"

    @property
    def backend(self) -> str:
        """The ``KERAS_BACKEND`` of the worker (native PyTorch runs with Keras on torch, so the import is torch's)."""
        return "torch" if self.runner in NATIVE else self.runner.rpartition("/")[2]


@dataclasses.dataclass
class Plan:
    """Everything :func:`keras_classics.benchmark.run` needs, checked."""

    jobs: list
    classes: int
    precision: str
    compile: str
    deterministic: bool
    measures: tuple
    warmup: int
    repeats: int
    budget_s: float
    out: Path
    force: bool
    timeout: float | None
    plots: bool

    @property
    def plot_path(self) -> Path:
        return self.out.with_name(self.out.stem + ".png")

    def spec(self, job: Job, batch_size: int | None = None) -> dict:
        """What the worker is told (:func:`keras_classics.benchmark.worker.worker_main`)."""
        return {
            "model": job.model, "runner": job.runner, "input_size": job.input_size, "batch_size": batch_size or job.batch_size,
            "classes": self.classes, "precision": self.precision, "compile": self.compile, "deterministic": self.deterministic,
            "measures": list(self.measures), "warmup": self.warmup, "repeats": self.repeats, "budget_s": self.budget_s,
        }


def make_plan(
    *, models=None, backends=None, references="all", input_size=None, batch_size=None, classes=DEFAULT_CLASSES,
    precision="float32", compile="auto", deterministic=False, measures=None, warmup=DEFAULT_WARMUP,
    repeats=DEFAULT_REPEATS, budget_s=DEFAULT_BUDGET_S, out=DEFAULT_OUT, force=False, timeout=None, plots=True,
    gpu_suite=False, has_gpu=None,
) -> Plan:
    """Check every argument and expand the model patterns; raises ``ValueError`` before anything runs.

    ``models``: names, shell patterns or ``NAME:SIZE`` / ``NAME:SIZE:BATCH`` items (a list or one
    comma-separated string; ``None``: :data:`DEFAULT_MODELS`). ``backends``: comma-separated Keras
    backends (``None``: every installed one). ``references``: comma-separated :data:`REFERENCES`,
    ``"all"`` or ``"none"``. ``gpu_suite``: :data:`GPU_SUITE`'s settings replace the defaults
    (flags given explicitly still apply); it and ``mixed_float16`` need a GPU (``has_gpu``:
    ``None`` looks for one).
    """
    if gpu_suite:
        _require_gpu("--gpu-suite", has_gpu)
        suite = GPU_SUITE
        models = suite["models"] if models is None else models
        precision = suite["precision"] if precision == "float32" else precision
        measures = suite["measures"] if measures is None else measures
        warmup, repeats = (suite["warmup"], suite["repeats"]) if (warmup, repeats) == (DEFAULT_WARMUP, DEFAULT_REPEATS) else (warmup, repeats)
        budget_s = suite["budget_s"] if budget_s == DEFAULT_BUDGET_S else budget_s
        references = ",".join(suite["references"]) if references == "all" else references
        timeout = suite["timeout"] if timeout is None else timeout
        out = suite["out"] if out == DEFAULT_OUT else out
    if input_size is not None:
        check_int("--input-size", input_size, minimum=1)
    if batch_size is not None:
        check_int("--batch-size", batch_size, minimum=1)
    check_int("--classes", classes, minimum=2)
    check_int("--warmup", warmup, minimum=0)
    check_int("--repeats", repeats, minimum=1)
    if not (isinstance(budget_s, (int, float)) and budget_s >= 0):
        raise bad_argument("--budget", budget_s, "a number of seconds >= 0")
    if timeout is not None and not timeout > 0:
        raise bad_argument("--timeout", timeout, "a positive number of seconds")
    check_choice("--precision", precision, PRECISIONS)
    if precision == "mixed_float16":
        _require_gpu("--precision", has_gpu, precision)
    check_choice("--compile", compile, COMPILE)
    chosen_measures = _resolve_list("--measures", measures, MEASURES, default=MEASURES)
    chosen_backends = resolve_backends(backends) if backends is not None else [b for b in BACKENDS if importlib.util.find_spec(BACKEND_LIBRARY[b])]
    chosen_references = _resolve_list("--references", references, REFERENCES, default=REFERENCES)
    if any(r in NATIVE for r in chosen_references) and importlib.util.find_spec("torchvision") is None:
        raise bad_argument("--references", references, "'none' or 'applications' (torchvision is not installed: `pip install torchvision`)")
    selection = resolve_models(models, input_size, batch_size)
    out = check_output(out)
    jobs = []
    for name, size, batch in selection:
        runners = list(chosen_backends)
        if "applications" in chosen_references and name in APPLICATIONS:
            runners += [f"applications/{b}" for b in chosen_backends]
        if name in TORCHVISION:
            runners += [r for r in NATIVE if r in chosen_references]
        jobs += [Job(name, size, batch, runner) for runner in runners]
    return Plan(
        jobs=jobs, classes=classes, precision=precision, compile=compile, deterministic=bool(deterministic),
        measures=tuple(chosen_measures), warmup=warmup, repeats=repeats, budget_s=float(budget_s), out=out,
        force=bool(force), timeout=timeout, plots=bool(plots),
    )


def resolve_models(items, input_size=None, batch_size=None) -> list:
    """``[(name, input size, batch)]`` for the ``--models`` items, in order, no repeats.

    ``--input-size`` and ``--batch-size`` override every item's own; otherwise an item's size is
    its ``:SIZE`` or the model's default size, its batch its ``:BATCH`` or :data:`DEFAULT_BATCH_SIZE`.
    """
    from keras_classics.registry import list_models, model_info

    registered = list_models()
    if items is None:
        items = DEFAULT_MODELS
    if isinstance(items, str):
        items = [items]
    selection, seen = [], set()
    for item in (part.strip() for arg in items for part in str(arg).split(",")):
        if not item:
            continue
        pattern, *numbers = item.split(":")
        if len(numbers) > 2 or not all(n.isdigit() and int(n) >= 1 for n in numbers):
            raise bad_argument("--models", item, "NAME, NAME:SIZE or NAME:SIZE:BATCH with SIZE and BATCH positive integers")
        matches = list_models(pattern)
        if not matches:
            close = difflib.get_close_matches(pattern.lower(), registered, n=4)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise bad_argument("--models", pattern, f"a registry name or shell pattern, see `keras-classics list --names-only`{hint}")
        for name in matches:
            if name in seen:
                continue
            seen.add(name)
            size = input_size or (int(numbers[0]) if numbers else model_info(name).default_size)
            batch = batch_size or (int(numbers[1]) if len(numbers) > 1 else DEFAULT_BATCH_SIZE)
            selection.append((name, size, batch))
    if not selection:
        raise bad_argument("--models", items, "at least one registered model")
    return selection


def check_output(path_text) -> Path:
    """The CSV path: a .csv in a folder that can be written, and, if the file exists, a benchmark CSV (to resume)."""
    from keras_classics.benchmark.results import results_table

    return results_table(path_text).check_destination("the chart is written")


def gpu_available() -> bool:
    """Whether this machine has an NVIDIA GPU the driver sees (no backend imported)."""
    folder = "/proc/driver/nvidia/gpus"
    return os.path.isdir(folder) and bool(os.listdir(folder))


def _require_gpu(argument, has_gpu, value=True) -> None:
    if not (gpu_available() if has_gpu is None else has_gpu):
        raise bad_argument(argument, value, "only on a machine with an NVIDIA GPU (none is visible here: /proc/driver/nvidia/gpus is empty or absent)")


def _resolve_list(argument, text, choices, *, default) -> list:
    if text is None or text == "all":
        return list(default)
    if text == "none" and argument == "--references":
        return []
    items = [t.strip() for t in (text.split(",") if isinstance(text, str) else text) if t.strip()]
    for item in items:
        if item not in choices:
            raise bad_argument(argument, item, "a comma-separated list of " + ", ".join(choices) + ", or 'all'" + (", 'none'" if argument == "--references" else ""))
    return list(dict.fromkeys(items))
