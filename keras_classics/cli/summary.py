"""``keras-classics summary MODEL [--input-size N] [--csv FILE [--force]]``: the per-layer cost of a model.

MODEL is a registry name (built at its canonical configuration, or at N x N) or a
``.keras`` file. The table is :func:`keras_classics.profile`'s; the columns are
explained in docs/cost.md. An existing ``--csv`` file is replaced only with
``--force``; both are checked before the model is built.
"""

from __future__ import annotations


def add_parser(subparsers):
    parser = subparsers.add_parser("summary", help="per-layer params, MACs, FLOPs, activation memory and receptive field of a model")
    parser.add_argument("model", help="a registry name (see `keras-classics list --names-only`) or a .keras file")
    parser.add_argument("--input-size", type=int, metavar="N", help="profile at N x N (a registry model is built at that size)")
    parser.add_argument("--csv", metavar="FILE", help="also write every column of the profile to FILE (a new file; its folder is created)")
    parser.add_argument("--force", action="store_true", help="replace the --csv file if it exists")
    return parser


def run(args) -> int:
    import os

    from keras_classics._validate import check_int, check_output_file
    from keras_classics.cost import format_table, profile
    from keras_classics.utils.files import atomic_write
    from keras_classics.utils.models import is_model_file, model_from_spec

    if args.input_size is not None:
        check_int("--input-size", args.input_size, minimum=1)
    if args.csv is not None:
        check_output_file("--csv", args.csv, force=args.force)
    model, _ = model_from_spec(args.model, argument="MODEL", input_size=args.input_size, compile=False)
    # A registry model is built at N x N; a file's model is profiled at N x N.
    frame = profile(model, args.input_size if is_model_file(args.model) else None)
    inputs = frame.loc[frame["type"] == "InputLayer", "output_shape"]
    print(f"{model.name}: input {', '.join('x'.join(map(str, s)) for s in inputs)}")
    print(format_table(frame))
    if args.csv is not None:
        os.makedirs(os.path.dirname(os.path.abspath(args.csv)), exist_ok=True)
        atomic_write(args.csv, lambda tmp: frame.to_csv(tmp, index=False))
        print(f"wrote {args.csv}")
    return 0
