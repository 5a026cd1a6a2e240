"""``keras-classics list [PATTERN]``: every registry model with its measured params, GMACs and paper."""

from __future__ import annotations


def add_parser(subparsers):
    parser = subparsers.add_parser("list", help="list the registry's models with measured params and GMACs")
    parser.add_argument("pattern", nargs="?", default="*", help="shell-style name pattern, e.g. 'resnet*'")
    parser.add_argument("--names-only", action="store_true", help="names only, without building the models")
    parser.add_argument("--markdown", action="store_true", help="print the README's models table")
    return parser


def run(args) -> int:
    from keras_classics import list_models
    from keras_classics.tables import models_table, to_markdown

    names = list_models(args.pattern)
    if not names:
        raise ValueError(f"`pattern`: received {args.pattern!r}, which matches no model; allowed: a pattern matching some of {', '.join(list_models())}")
    if args.names_only:
        print("\n".join(names))
        return 0
    table = models_table(names, progress=True)
    print(to_markdown(table) if args.markdown else table.to_string(index=False))
    return 0
