"""Export every registry model at its default size to every format and report the verification.

    KERAS_BACKEND=tensorflow python apps/export_registry.py ['alexnet,resnet*'] [--formats keras,saved_model,tflite,onnx]

Too slow for the test suite (VGG19 alone writes four 550 MB artifacts): run it
by hand. Prints one line per model and format (max |diff| against Keras, top-1
agreement, size, how it was written) and rewrites the CSV after every model
(default ``results/export_registry_<backend>.csv``), so an interrupted run
resumes where it stopped: models already in the CSV are skipped unless
``--force``. At the end it writes the whole CSV as a Markdown table, one row
per model, beside it (``.md``; the table in docs/export.md). The artifacts go
to a temporary folder and are deleted; the figures are the finding.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time

import keras
import pandas as pd

import keras_classics as kc
from keras_classics._validate import bad_argument
from keras_classics.export import ExportError
from keras_classics.utils.results import ResultsTable

COLUMNS = ("model", "format", "passed", "max_abs_diff", "top1_agreement", "size_mb", "via", "seconds", "error")
KEY = ("model",)  # a model's rows (one per format) are replaced together


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patterns", nargs="?", default="*", help="comma-separated name patterns, e.g. 'alexnet,resnet*'")
    parser.add_argument("--formats", default="keras,saved_model,tflite,onnx")
    parser.add_argument("--out", help="results CSV (default: results/export_registry_<backend>.csv)")
    parser.add_argument("--force", action="store_true", help="export models already in the CSV again")
    args = parser.parse_args(argv)
    out = args.out or os.path.join("results", f"export_registry_{keras.backend.backend()}.csv")
    names = sorted({name for pattern in args.patterns.split(",") for name in kc.list_models(pattern.strip())})
    if not names:
        print(f"export_registry: error: {bad_argument('patterns', args.patterns, 'patterns matching registry names')}", file=sys.stderr)
        return 2
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    results = ResultsTable(out, COLUMNS, KEY)
    table = results.read()
    done = results.keys(table)
    started = time.perf_counter()
    for index, name in enumerate(names, 1):
        if (name,) in done and not args.force:
            print(f"[{index}/{len(names)}] {name}: in {out} already, skipped", flush=True)
            continue
        start = time.perf_counter()
        rows = []
        with tempfile.TemporaryDirectory() as workdir:
            try:
                report = kc.export(name, formats=args.formats, out_dir=workdir)
                artifacts, error = list(report), ""
            except ExportError as err:  # keep going: the failure is the finding
                artifacts, error = [], " ".join(str(err).split())[:300]
        seconds = round(time.perf_counter() - start, 1)
        for artifact in artifacts:
            rows.append({"model": name, "format": artifact.format, "passed": artifact.passed, "max_abs_diff": artifact.max_abs_diff,
                         "top1_agreement": artifact.top1_agreement, "size_mb": round(artifact.size_bytes / 2**20, 1),
                         "via": artifact.via, "seconds": seconds, "error": ""})
        if error:
            rows.append({"model": name, "format": args.formats, "passed": False, "seconds": seconds, "error": error})
        for row in rows:
            shown = ", ".join(f"{k} {row[k]}" for k in ("format", "passed", "max_abs_diff", "top1_agreement", "size_mb", "via", "error") if row.get(k) not in (None, ""))
            print(f"[{index}/{len(names)}] {name}: {shown}", flush=True)
        table = results.merge(table, pd.DataFrame(rows, columns=list(COLUMNS)), keys=[(name,)])
        results.write(table)
        print(f"    {seconds:.0f} s; elapsed {time.perf_counter() - started:.0f} s", flush=True)
        keras.backend.clear_session()
        gc.collect()
    passed = verified(table)
    summary = os.path.splitext(out)[0] + ".md"
    with open(summary, "w") as f:
        f.write(markdown_table(table))
    print(f"{int(passed.sum())} of {len(table)} artifacts verified; {out}, {summary}")
    return 0 if passed.all() else 1


def verified(rows: pd.DataFrame) -> pd.Series:
    """The ``passed`` column as booleans (a reloaded CSV may hold them as text)."""
    return rows["passed"].astype(str) == "True"


def markdown_table(table: pd.DataFrame) -> str:
    """One row per model: the .keras size, each format's max |diff|, the worst top-1 agreement, whether all passed."""
    formats = [f for f in ("saved_model", "tflite", "onnx") if f in set(table["format"])]
    titles = {"saved_model": "SavedModel", "tflite": "TFLite", "onnx": "ONNX"}
    header = ["model", ".keras MB", *(f"{titles[f]} max abs diff" for f in formats), "top-1 agreement (min)", "all verified", "seconds (all formats)"]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for name, rows in table.groupby("model", sort=True):
        by_format = {row["format"]: row for _, row in rows.iterrows()}
        keras_mb = f"{by_format['keras']['size_mb']:.1f}" if "keras" in by_format else "-"
        diffs = [f"{by_format[f]['max_abs_diff']:.1e}" if f in by_format else "failed" for f in formats]
        ok = verified(rows).all()
        cells = [name, keras_mb, *diffs, f"{pd.to_numeric(rows['top1_agreement']).min():g}", "yes" if ok else "no", f"{rows['seconds'].max():.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
