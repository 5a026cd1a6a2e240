"""``keras-classics weights [PATTERN]``: the named checkpoints of each network, with their source's top-1.

Reads ``keras_classics/data/checkpoints.csv`` (no backend is imported), so the
table prints at once. The first column is what ``weights=`` takes.
"""

from __future__ import annotations


def add_parser(subparsers):
    parser = subparsers.add_parser("weights", help="list the trained weights each model can load (keras.applications, torchvision, timm)")
    parser.add_argument("pattern", nargs="?", default="*", help="shell-style model name pattern, e.g. 'resnet*'")
    parser.add_argument("--urls", action="store_true", help="show where each file comes from")
    return parser


def run(args) -> int:
    from keras_classics.weights.catalogue import available_weights

    rows = available_weights(args.pattern)
    if not rows:
        print(f"no named checkpoints for {args.pattern!r} (weights=None or a weights file)")
        return 0
    header = ["model", "weights=", "top-1", "top-5", "input", "resize", "interpolation", "mean", "std"] + (["from"] if args.urls else [])
    table = [
        [
            row.name, row.key + (" (default)" if row.default and row.source != "keras" else ""),
            f"{row.top1:.2f}" if row.top1 is not None else "", f"{row.top5:.2f}" if row.top5 is not None else "",
            str(row.preprocessing.size), str(row.preprocessing.resize), row.preprocessing.interpolation,
            " ".join(f"{v:g}" for v in row.preprocessing.mean) + ("" if row.preprocessing.channels == "RGB" else f" ({row.preprocessing.channels})"),
            " ".join(f"{v:.4g}" for v in row.preprocessing.std),
        ] + ([row.location] if args.urls else [])
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *table]) for i in range(len(header))]
    for line in [header, ["-" * w for w in widths], *table]:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
    print(f"\n{len({row.name for row in rows})} networks, {len(rows)} checkpoints; 'imagenet' means keras.applications' row where there is one, else the torchvision default. See docs/weights.md.")
    return 0
