"""``keras-classics compare [flags]`` and ``python apps/compare.py [flags]``: the flags of a comparison.

Train, measure and compare registry models side by side and write a results
CSV and plots (docs/compare.md). The flags become the keyword arguments of
:func:`keras_classics.compare.make_plan`; the run is
:func:`keras_classics.compare.run_plan`. Nothing here imports a backend until
the run starts, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse

DESCRIPTION = "Train, measure and compare the classic CNNs side by side; write a CSV and plots."


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add compare's flags to ``parser``; their defaults are :mod:`keras_classics.compare.plan`'s."""
    from keras_classics.compare import plan  # the defaults; no backend

    parser.add_argument(
        "--models", nargs="+", metavar="NAME",
        help="registry names or shell patterns ('resnet*'), space- or comma-separated; NAME:SIZE fixes that "
        f"model's input size. Default: {' '.join(plan.DEFAULT_MODELS)}.",
    )
    parser.add_argument("--dataset", default=plan.DEFAULT_DATASET, help=f"dataset name or image folder (default: {plan.DEFAULT_DATASET}, embedded)")
    parser.add_argument("--epochs", type=int, default=plan.DEFAULT_EPOCHS, help=f"training epochs per model (default: {plan.DEFAULT_EPOCHS})")
    parser.add_argument(
        "--input-size", type=int, metavar="N",
        help=f"input height and width for every model (default: each model's minimum, at least {plan.DEFAULT_INPUT_SIZE}); "
        "a size below a model's minimum is recorded as that model's error",
    )
    parser.add_argument("--batch-size", type=int, default=plan.DEFAULT_BATCH_SIZE, help=f"training batch size (default: {plan.DEFAULT_BATCH_SIZE})")
    parser.add_argument(
        "--backends", metavar="LIST",
        help="comma-separated Keras backends, one worker process each (default: $KERAS_BACKEND or tensorflow)",
    )
    parser.add_argument("--seed", type=int, default=plan.DEFAULT_SEED, help=f"seed for data split, weights and dropout (default: {plan.DEFAULT_SEED})")
    parser.add_argument("--learning-rate", type=float, default=plan.DEFAULT_LEARNING_RATE, help=f"Adam's peak learning rate (default: {plan.DEFAULT_LEARNING_RATE:g})")
    parser.add_argument(
        "--schedule", choices=plan.SCHEDULES, default=plan.DEFAULT_SCHEDULE,
        help=f"learning rate after the warm-up: 'cosine' decays it to zero by the last step, 'constant' keeps it (default: {plan.DEFAULT_SCHEDULE})",
    )
    parser.add_argument(
        "--warmup-epochs", type=float, default=plan.DEFAULT_WARMUP_EPOCHS, metavar="E",
        help=f"linear warm-up from zero over the first E epochs, at most half the run; 0 for none (default: {plan.DEFAULT_WARMUP_EPOCHS:g})",
    )
    parser.add_argument(
        "--bn-momentum", type=float, default=plan.DEFAULT_BN_MOMENTUM, metavar="M",
        help=f"momentum of every batch-norm layer's moving averages (default: {plan.DEFAULT_BN_MOMENTUM:g}; Keras's own is 0.99, "
        "too slow to settle in a short run)",
    )
    parser.add_argument(
        "--no-deterministic", dest="deterministic", action="store_false",
        help="let TensorFlow pick its faster order-dependent kernels (default: op determinism on, so a seed repeats a run exactly)",
    )
    parser.add_argument("--out", default=plan.DEFAULT_OUT, help=f"results CSV; the plots go beside it (default: {plan.DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true", help="run models again even if their row is already in the CSV")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="give up on a model after this long (recorded as its error)")
    parser.add_argument("--no-plots", action="store_true", help="write the CSV only")
    return parser


def add_parser(subparsers):
    p = subparsers.add_parser("compare", help="train and compare models side by side: a results CSV and plots", description=DESCRIPTION)
    return add_arguments(p)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python apps/compare.py``."""
    parser = argparse.ArgumentParser(
        prog="compare.py",
        description=DESCRIPTION,
        epilog="Examples: `python apps/compare.py` (the default set on digits); "
        "`python apps/compare.py --models 'resnet*' alexnet:96 --epochs 3 --backends jax,torch`.",
    )
    return add_arguments(parser)


def plan_from_args(args):
    """The checked plan for parsed flags; ``ValueError`` naming the flag on bad input, before anything runs."""
    from keras_classics.compare import make_plan

    return make_plan(
        models=args.models, dataset=args.dataset, epochs=args.epochs, input_size=args.input_size,
        batch_size=args.batch_size, backends=args.backends, seed=args.seed, learning_rate=args.learning_rate,
        schedule=args.schedule, warmup_epochs=args.warmup_epochs, bn_momentum=args.bn_momentum, out=args.out,
        force=args.force, timeout=args.timeout, plots=not args.no_plots, deterministic=args.deterministic,
    )


def run(args) -> int:
    from keras_classics.compare import run_plan

    return run_plan(plan_from_args(args))  # bad input: ValueError, one line and exit 2 from the CLI


def main(argv=None) -> int:
    """``python apps/compare.py [flags]``. Returns 0, 1 if a model failed, 2 on bad input, 130 when interrupted."""
    from keras_classics.cli._errors import run_main

    def parse(argv):
        parser = build_parser()
        args = parser.parse_args(argv)
        return "compare", parser, args, lambda: run(args)

    return run_main(argv, parse)
