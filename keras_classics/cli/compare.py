"""``keras-classics compare [flags]``: the same run as ``python apps/compare.py``.

Train, measure and compare registry models side by side and write a results
CSV and plots; every flag is :mod:`keras_classics.compare`'s (docs/compare.md).
"""

from __future__ import annotations


def add_parser(subparsers):
    from keras_classics.compare import DESCRIPTION, add_arguments

    p = subparsers.add_parser("compare", help="train and compare models side by side: a results CSV and plots", description=DESCRIPTION)
    return add_arguments(p)


def run(args) -> int:
    from keras_classics.compare import plan_from_args, run_plan

    return run_plan(plan_from_args(args))  # bad input: ValueError, one line and exit 2 from the CLI
