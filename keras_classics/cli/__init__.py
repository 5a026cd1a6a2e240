"""The ``keras-classics`` command line.

Each subcommand is a module of this package exposing ``add_parser(subparsers)``
(which returns the parser it added) and ``run(args) -> int``; they are found by
name, so a new command is a new file. A command module imports the library (and so
Keras and its backend) inside ``run()`` only: ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys


def _commands():
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
        yield importlib.import_module(f"{__name__}.{module}")


def _preparse_backend(argv):
    """``--backend`` must be applied before Keras is imported anywhere."""
    for i, arg in enumerate(argv):
        if arg == "--backend" and i + 1 < len(argv):
            os.environ["KERAS_BACKEND"] = argv[i + 1]
        elif arg.startswith("--backend="):
            os.environ["KERAS_BACKEND"] = arg.split("=", 1)[1]


def build_parser():
    parser = argparse.ArgumentParser(prog="keras-classics", description="The classic CNNs for Keras 3.")
    parser.add_argument("--backend", choices=("tensorflow", "jax", "torch"), help="Keras backend (default: $KERAS_BACKEND or tensorflow)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _commands():
        sub = module.add_parser(subparsers)
        sub.set_defaults(run=module.run, command_parser=sub)
    return parser


def main(argv=None) -> int:
    """``keras-classics [--backend B] COMMAND ...``: 0 on success, 2 on bad input or an unusable file (one line, see cli._errors)."""
    from keras_classics.cli._errors import run_main

    return run_main(argv, _parse)


def _parse(argv):
    argv = [*(sys.argv[1:] if argv is None else argv)]
    _preparse_backend(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    return f"keras-classics {args.command}", args.command_parser, args, lambda: args.run(args)


if __name__ == "__main__":
    sys.exit(main())
