"""``keras-classics summary MODEL [--input-size N] [--csv FILE]``: the per-layer cost of a model.

MODEL is a registry name (built at its canonical configuration, or at N x N) or a
``.keras`` file. The table is :func:`keras_classics.profile`'s; the columns are
explained in docs/cost.md.
"""

from __future__ import annotations

import os

from keras_classics._validate import bad_argument, check_int


def add_parser(subparsers):
    parser = subparsers.add_parser("summary", help="per-layer params, MACs, FLOPs, activation memory and receptive field of a model")
    parser.add_argument("model", help="a registry name (see `keras-classics list --names-only`) or a .keras file")
    parser.add_argument("--input-size", type=int, metavar="N", help="profile at N x N (a registry model is built at that size)")
    parser.add_argument("--csv", metavar="FILE", help="also write every column of the profile to FILE")
    return parser


def run(args) -> int:
    from keras_classics.cost import format_table, profile

    if args.input_size is not None:
        check_int("--input-size", args.input_size, minimum=1)
    model, input_shape = load(args.model, args.input_size)
    frame = profile(model, input_shape)
    inputs = frame.loc[frame["type"] == "InputLayer", "output_shape"]
    print(f"{model.name}: input {', '.join('x'.join(map(str, s)) for s in inputs)}")
    print(format_table(frame))
    if args.csv:
        frame.to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")
    return 0


def load(name: str, size):
    """``(model, input_shape for profile)`` for a registry name or a .keras file."""
    import keras

    from keras_classics.registry import model_info

    if name.endswith(".keras") or os.path.sep in name:
        if not os.path.isfile(name):
            raise bad_argument("MODEL", name, "a registry name or an existing .keras file")
        return keras.saving.load_model(name, compile=False), size
    info = model_info(name)
    if size is None:
        return info.build(), None
    channels_last = keras.config.image_data_format() == "channels_last"
    shape = (size, size, info.channels) if channels_last else (info.channels, size, size)
    return info.build(input_shape=shape), None
