"""Export every registry model at its default size to every format and report the verification.

    KERAS_BACKEND=tensorflow python apps/export_registry.py ['alexnet,resnet*'] [--formats keras,saved_model,tflite,onnx]

Too slow for the test suite (VGG19 alone writes four 550 MB artifacts): run it
by hand. Prints one line per model and format (max |diff| against Keras, top-1
agreement, how it was written) and writes ``<out>/export_registry.csv``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import keras
import pandas as pd

import keras_classics as kc
from keras_classics.export import ExportError


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patterns", nargs="?", default="*", help="comma-separated name patterns, e.g. 'alexnet,resnet*'")
    parser.add_argument("--formats", default="keras,saved_model,tflite,onnx")
    parser.add_argument("--out", default="saved_models")
    args = parser.parse_args(argv)
    rows = []
    names = sorted({name for pattern in args.patterns.split(",") for name in kc.list_models(pattern)})
    for name in names:
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as workdir:
            try:
                report = kc.export(name, formats=args.formats, out_dir=workdir)
                artifacts, error = list(report), ""
            except ExportError as err:  # keep going: the failure is the finding
                artifacts, error = [], str(err).splitlines()[0]
        seconds = round(time.perf_counter() - start, 1)
        for artifact in artifacts:
            rows.append({"model": name, "format": artifact.format, "passed": artifact.passed, "max_abs_diff": artifact.max_abs_diff,
                         "top1_agreement": artifact.top1_agreement, "size_mb": round(artifact.size_bytes / 2**20, 1), "via": artifact.via, "seconds": seconds})
        if error:
            rows.append({"model": name, "format": args.formats, "passed": False, "error": error, "seconds": seconds})
        for row in rows[-max(1, len(artifacts)):]:
            print(row, flush=True)
    table = pd.DataFrame(rows)
    os.makedirs(args.out, exist_ok=True)
    table.to_csv(os.path.join(args.out, f"export_registry_{keras.backend.backend()}.csv"), index=False)
    print(f"{int(table['passed'].sum())} of {len(table)} artifacts verified")


if __name__ == "__main__":
    main()
