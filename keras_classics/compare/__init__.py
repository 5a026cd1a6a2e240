"""Train, measure and compare the classic networks side by side.

``python apps/compare.py`` or ``keras-classics compare`` (:mod:`keras_classics.cli.compare`
turns the flags into the calls below) trains every selected registry model on
one dataset, on one or more backends, and writes one CSV row per
(model, backend, dataset) with its accuracy, cost, speed and memory, plus two
PNG charts beside the CSV: accuracy against GMACs (bubble area by parameters)
and the training curves of every model. From Python::

    from keras_classics.compare import make_plan, run_plan
    run_plan(make_plan(models=["lenet5", "resnet*"], epochs=2, out="results/compare.csv"))

How it runs:

* :func:`make_plan` (:mod:`.plan`) checks every argument first (model patterns,
  backends, dataset, output path), so a typo fails in a second, before any training.
* Each (model, backend) pair is trained in its own worker process (:mod:`.worker`,
  ``KERAS_BACKEND`` set for it). That isolates a crash or an out-of-memory kill
  to one row, and makes the peak-memory figure honest: ``peak_rss_mb`` is the
  worker's ``resource.getrusage(RUSAGE_SELF).ru_maxrss``, the largest resident
  set the process ever had, backend library included; ``baseline_rss_mb`` is the
  same figure just before the model is built (imports and dataset loaded), so
  their difference is what the model's weights, activations and optimizer cost.
  The price is one backend import per model (``startup_s``, 5-15 s on 2 cores).
  What the worker measures, and how, is :mod:`.measure`.
* After each model the CSV is rewritten atomically (:mod:`.runner`, :mod:`.results`),
  so an interrupted run loses at most the model in progress; running the same
  command again skips the rows already in the CSV (``force`` runs them again). A
  model that fails to build or train is recorded with ``status="error"`` and its
  error, and the run goes on. The charts are :mod:`.plots`.

The recipe is the same for every network, so the comparison is of
architectures, not of tuning: Adam (learning rate ``learning_rate``) through
:func:`keras_classics.training.compile_model`, sparse categorical
cross-entropy, batch ``batch_size``, no augmentation, the model's default
dropout and weight init, Keras seeds set from ``seed``.

The names below load their module on first use, so importing this package
(and the CLI's ``--help``) imports no backend.
"""

from __future__ import annotations

from keras_classics.utils.lazy import lazy_names

_MODULES = {
    "plan": (
        "BACKENDS", "BACKEND_LIBRARY", "DEFAULT_MODELS", "DEFAULT_DATASET", "DEFAULT_EPOCHS", "DEFAULT_INPUT_SIZE",
        "DEFAULT_BATCH_SIZE", "DEFAULT_SEED", "DEFAULT_OUT", "DEFAULT_LEARNING_RATE", "SCHEDULES", "DEFAULT_SCHEDULE",
        "DEFAULT_WARMUP_EPOCHS", "DEFAULT_BN_MOMENTUM", "Job", "Plan", "make_plan", "resolve_backends", "resolve_models",
        "check_dataset", "check_output",
    ),
    "results": ("KEY", "COLUMNS", "HISTORY_COLUMNS", "SUMMARY", "results_table", "history_table", "summary_table", "summary_markdown"),
    "plots": ("write_plots", "plot_accuracy_vs_gmacs", "plot_curves"),
    "runner": ("run_plan", "run", "run_job"),
    "worker": ("WORKER_COMMAND", "worker_env", "worker_main"),
    "measure": (
        "measure", "build_single_output", "set_bn_momentum", "EpochTimer", "inference_speed", "keras_file_mb",
        "peak_rss_mb", "cpu_seconds", "library_version",
    ),
}
__getattr__, __dir__, __all__ = lazy_names(__name__, _MODULES, globals())
