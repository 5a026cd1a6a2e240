"""How fast is each network, on each backend, against native PyTorch and ``keras.applications``?

``keras-classics benchmark`` or ``python apps/benchmark.py`` (:mod:`keras_classics.cli.benchmark`
turns the flags into the calls below), with timm's ``benchmark.py`` as the model:
for registry patterns, Keras backends, input size, batch, precision and compile
setting, it measures inference images/s, latency at batch 1 and training
images/s (one SGD step), each the median over timed repeats after a warm-up,
and the peak memory. In the same run and on the same input it times the same
network in native PyTorch (torchvision's model, NCHW and channels_last) and,
where it exists, in ``keras.applications``, and writes the ratios. From Python::

    from keras_classics.benchmark import make_plan, run_plan
    run_plan(make_plan(models=["resnet18:32:64"], backends="tensorflow,torch", out="results/benchmark.csv"))

How it runs (the machinery is compare's, :mod:`keras_classics.compare`):

* :func:`make_plan` (:mod:`.plan`) checks every argument before anything runs and
  expands the models into jobs, one per runner (:mod:`.references` says which
  torchvision model and ``keras.applications`` builder match a registry name).
  ``gpu_suite=True`` is the GPU suite: ResNet-50 training at batch 256 in
  mixed_float16 on every backend and in native PyTorch, 60 s of timed steps each;
  it refuses to start without a GPU.
* Each job runs in its own worker process (:mod:`.worker`, ``KERAS_BACKEND`` fixed
  for it), so a crash costs one row and ``peak_rss_mb`` is that job's alone. The
  worker times the network (:mod:`.measure` for Keras, :mod:`.native` for PyTorch).
  Out of memory, the job runs again at a smaller batch (:mod:`.runner`).
  :mod:`.torch_profile` shows where a torch-backend step's time goes against native PyTorch.
* After each job the CSV is rewritten atomically with the ratios
  (:mod:`.results`); the same command skips the rows already there (``force``
  runs them again). The chart is :mod:`.plots`.

The names below load their module on first use, so importing this package (and
the CLI's ``--help``) imports no backend.
"""

from __future__ import annotations

from keras_classics.utils.lazy import lazy_names

_MODULES = {
    "plan": (
        "NATIVE", "REFERENCES", "PRECISIONS", "COMPILE", "MEASURES", "DEFAULT_MODELS", "DEFAULT_BATCH_SIZE", "DEFAULT_CLASSES",
        "DEFAULT_WARMUP", "DEFAULT_REPEATS", "DEFAULT_BUDGET_S", "DEFAULT_OUT", "GPU_SUITE", "Job", "Plan", "make_plan",
        "resolve_models", "check_output", "gpu_available",
    ),
    "references": ("TORCHVISION", "APPLICATIONS", "import_torchvision", "torchvision_model", "applications_model"),
    "results": ("KEY", "COLUMNS", "RATIOS", "results_table", "add_ratios", "summary_markdown", "outcome"),
    "plots": ("write_plot", "plot_images_per_s"),
    "runner": ("run_plan", "run", "run_job", "job_key"),
    "worker": ("WORKER_COMMAND", "worker_main"),
    # (the function ``measure`` is ``keras_classics.benchmark.measure.measure``: the module holds the name here)
    "measure": ("measure_steps", "timings", "sample_batch", "build_keras", "is_out_of_memory", "peak_memory"),
    "native": ("measure_native",),
    "torch_profile": ("compare_torch_step", "profile_steps"),
}
__getattr__, __dir__, __all__ = lazy_names(__name__, _MODULES, globals())
