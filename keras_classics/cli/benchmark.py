"""``keras-classics benchmark [flags]`` and ``python apps/benchmark.py [flags]``: the flags of a benchmark.

Time registry networks on each Keras backend against native PyTorch and
``keras.applications``, and write a CSV and a chart (docs/performance.md). The
flags become the keyword arguments of :func:`keras_classics.benchmark.make_plan`;
the run is :func:`keras_classics.benchmark.run_plan`. Nothing here imports a
backend until the run starts, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse

DESCRIPTION = ("Time the classic CNNs (inference, batch-1 latency, one training step) on each Keras backend, "
               "against native PyTorch and keras.applications on the same input; write a CSV and a chart.")


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the benchmark's flags to ``parser``; their defaults are :mod:`keras_classics.benchmark.plan`'s."""
    from keras_classics.benchmark import plan  # the defaults; no backend

    parser.add_argument(
        "--models", nargs="+", metavar="NAME",
        help="registry names or shell patterns, space- or comma-separated; NAME:SIZE or NAME:SIZE:BATCH fix that model's "
        f"input size and batch (default: {' '.join(plan.DEFAULT_MODELS)})",
    )
    parser.add_argument("--backends", metavar="LIST", help="comma-separated Keras backends, one worker process per job (default: every installed one)")
    parser.add_argument(
        "--references", default="all", metavar="LIST",
        help=f"the same network elsewhere, timed in the same run: comma-separated {', '.join(plan.REFERENCES)}; 'all' (default) or 'none'",
    )
    parser.add_argument("--input-size", type=int, metavar="N", help="input height and width for every model (default: NAME:SIZE, else the model's default size)")
    parser.add_argument("--batch-size", type=int, metavar="N", help=f"batch for every model (default: NAME:SIZE:BATCH, else {plan.DEFAULT_BATCH_SIZE}); "
                        "smaller batches are tried on out-of-memory")
    parser.add_argument("--classes", type=int, default=plan.DEFAULT_CLASSES, help=f"classifier outputs (default: {plan.DEFAULT_CLASSES})")
    parser.add_argument("--precision", choices=plan.PRECISIONS, default="float32", help="float32 (default), mixed_bfloat16, or mixed_float16 (GPU only)")
    parser.add_argument(
        "--compile", choices=plan.COMPILE, default="auto",
        help="Keras's jit_compile: auto (Keras's choice: XLA on a TF GPU, jit on JAX, eager torch), on (XLA / jit / torch.compile, "
        "and torch.compile for native PyTorch), off (default: auto)",
    )
    parser.add_argument("--deterministic", action="store_true", help="TensorFlow op determinism on in the Keras workers (as training has it)")
    parser.add_argument("--measures", default="all", metavar="LIST", help=f"comma-separated {', '.join(plan.MEASURES)}, or 'all' (default)")
    parser.add_argument("--warmup", type=int, default=plan.DEFAULT_WARMUP, help=f"untimed calls before timing (default: {plan.DEFAULT_WARMUP})")
    parser.add_argument("--repeats", type=int, default=plan.DEFAULT_REPEATS, help=f"timed calls at least, more while --budget lasts (default: {plan.DEFAULT_REPEATS})")
    parser.add_argument("--budget", type=float, default=plan.DEFAULT_BUDGET_S, metavar="SECONDS",
                        help=f"seconds of timed calls per measurement (default: {plan.DEFAULT_BUDGET_S:g})")
    parser.add_argument("--out", default=plan.DEFAULT_OUT, help=f"results CSV; the chart goes beside it (default: {plan.DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true", help="run jobs again even if their row is already in the CSV")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="give up on a job after this long (recorded as its error)")
    parser.add_argument("--no-plots", action="store_true", help="write the CSV only")
    parser.add_argument(
        "--gpu-suite", action="store_true",
        help=f"the GPU suite: ResNet-50 training at batch 256 in mixed_float16 on every backend and native PyTorch, "
        f"{plan.GPU_SUITE['budget_s']:g} s of timed steps each, CSV {plan.GPU_SUITE['out']} (refused without a GPU)",
    )
    return parser


def add_parser(subparsers):
    p = subparsers.add_parser("benchmark", help="time networks per backend against native PyTorch and keras.applications",
                              description=DESCRIPTION)
    return add_arguments(p)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python apps/benchmark.py``."""
    parser = argparse.ArgumentParser(
        prog="benchmark.py", description=DESCRIPTION,
        epilog="Examples: `python apps/benchmark.py` (the default set); "
        "`python apps/benchmark.py --models resnet50:224:16 --backends tensorflow --references applications`; "
        "`python apps/benchmark.py --gpu-suite`.",
    )
    return add_arguments(parser)


def plan_from_args(args):
    """The checked plan for parsed flags; ``ValueError`` naming the flag on bad input, before anything runs."""
    from keras_classics.benchmark import make_plan

    return make_plan(
        models=args.models, backends=args.backends, references=args.references, input_size=args.input_size,
        batch_size=args.batch_size, classes=args.classes, precision=args.precision, compile=args.compile,
        deterministic=args.deterministic, measures=args.measures, warmup=args.warmup, repeats=args.repeats,
        budget_s=args.budget, out=args.out, force=args.force, timeout=args.timeout, plots=not args.no_plots,
        gpu_suite=args.gpu_suite,
    )


def run(args) -> int:
    from keras_classics.benchmark import run_plan

    return run_plan(plan_from_args(args))


def main(argv=None) -> int:
    """``python apps/benchmark.py [flags]``. Returns 0, 1 if a job failed, 2 on bad input, 130 when interrupted."""
    from keras_classics.cli._errors import run_main

    def parse(argv):
        parser = build_parser()
        args = parser.parse_args(argv)
        return "benchmark", parser, args, lambda: run(args)

    return run_main(argv, parse)
