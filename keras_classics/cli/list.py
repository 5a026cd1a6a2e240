"""``keras-classics list [PATTERN]``: every registry model with its params, GMACs and paper.

The figures are read from ``keras_classics/data/figures.csv`` (measured by
:func:`keras_classics.tables.write_figures`, checked against the code by the
tests), so the table prints at once; ``--measure`` builds the models instead.
"""

from __future__ import annotations


def add_parser(subparsers):
    parser = subparsers.add_parser("list", help="list the registry's models with their params, GMACs and papers")
    parser.add_argument("pattern", nargs="?", default="*", help="shell-style name pattern, e.g. 'resnet*'")
    parser.add_argument("--names-only", action="store_true", help="names only")
    parser.add_argument("--markdown", action="store_true", help="print the README's models table")
    parser.add_argument("--measure", action="store_true", help="build the models and measure them instead of reading the stored figures (about a minute for all)")
    return parser


def run(args) -> int:
    from keras_classics.tables import measured_figures, stored_figures, table_rows, to_markdown, to_text

    if args.measure:
        from keras_classics.tables import registry_names

        names = registry_names(args.pattern)
    else:
        stored = stored_figures(args.pattern)
        names = [row["name"] for row in stored]
    if not names:
        every = ", ".join(row["name"] for row in stored_figures())
        raise ValueError(f"`pattern`: received {args.pattern!r}, which matches no model; allowed: a pattern matching some of {every}")
    if args.names_only:
        print("\n".join(names))
        return 0
    figures = measured_figures(names, progress=True) if args.measure else stored
    table = table_rows(figures)
    print(to_markdown(table) if args.markdown else to_text(table))
    return 0
