"""Size on disk and batch-1 latency of each export format, for LeNet-5, VGG16 and ResNet50.

    KERAS_BACKEND=tensorflow python apps/bench_export.py [--models lenet5,vgg16,resnet50] [--repeats 20]
                                                         [--threads default,1,2]

Each model (registry defaults: canonical input size, random weights) is exported
with :func:`keras_classics.export` (so every artifact is verified first), then
each artifact is loaded once in its runtime and timed on one image: the median
of ``--repeats`` calls after ``--warmup`` calls. "keras" is the Keras model
itself on the current backend (``predict_on_batch``); ``latency_vs_keras`` is
each format's median over the Keras one, measured in the same run.
``--threads`` lists the intra-op thread counts to time LiteRT and ONNX Runtime
at ("default": keras_classics's default, every usable core for LiteRT, ONNX
Runtime's own choice for ONNX): one row per setting, so the settings are
compared within one run. Keras and the SavedModel run on
TensorFlow's own thread pools (``threads`` is "TF default" in their rows). Writes
``<out>/bench_export.csv`` and ``.md`` and prints the markdown table.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import keras
import numpy as np
import pandas as pd

import keras_classics as kc
from keras_classics._validate import bad_argument
from keras_classics.export import runtimes
from keras_classics.tables import to_markdown
from keras_classics.utils.timing import median_seconds

FORMATS = ("keras", "saved_model", "tflite", "onnx")


def median_ms(predict, x, warmup, repeats):
    """Median milliseconds of ``predict(x)``: exactly ``repeats`` timed calls after ``warmup`` untimed ones."""
    return 1000 * median_seconds(lambda: predict(x), warmup=warmup, min_repeats=repeats, max_repeats=repeats, budget_s=0)


THREADED = ("tflite", "onnx")  # the runtimes whose intra-op threads we set; Keras and SavedModel use TF's pools


def parse_threads(text):
    """``"default,1,2"`` -> ``[None, 1, 2]`` (``None``: keras_classics's default for the runtime)."""
    settings = []
    for item in str(text).split(","):
        item = item.strip().lower()
        if item == "default":
            settings.append(None)
        elif item.isdigit() and int(item) >= 1:
            settings.append(int(item))
        else:
            raise bad_argument("--threads", text, "a comma-separated list of 'default' and integers >= 1, e.g. 'default,1,2'")
    return list(dict.fromkeys(settings))


def bench_model(name, workdir, warmup, repeats, threads=(None,)):
    model = kc.get_model(name)
    report = kc.export(model, formats=FORMATS, out_dir=os.path.join(workdir, name), overwrite=True)
    x = np.random.default_rng(0).uniform(-1, 1, size=(1, *model.inputs[0].shape[1:])).astype("float32")
    params, rows = model.count_params(), []
    for artifact in report:
        if artifact.format == "keras":
            predict, runtime = model.predict_on_batch, f"Keras predict_on_batch ({keras.backend.backend()})"
        else:
            runtime = {"saved_model": "TensorFlow", "tflite": "LiteRT interpreter", "onnx": "ONNX Runtime (CPU)"}[artifact.format]
        threaded = artifact.format in THREADED
        for setting in threads if threaded else [None]:
            if artifact.format != "keras":
                predict = runtimes.load_artifact(artifact.format, artifact.path, num_threads=setting)
            rows.append(
                {
                    "model": name,
                    "params": params,
                    "input": "x".join(map(str, x.shape[1:])),
                    "format": artifact.format,
                    "runtime": runtime,
                    "threads": ("default" if setting is None else setting) if threaded else "TF default",
                    "size_mb": round(artifact.size_bytes / 2**20, 2),
                    "latency_ms_median": round(median_ms(predict, x, warmup, repeats), 2),
                    "max_abs_diff": float(f"{artifact.max_abs_diff:.2g}"),
                    "written_via": artifact.via,
                }
            )
            print(rows[-1], flush=True)
    keras_ms = rows[0]["latency_ms_median"]  # the "keras" row comes first
    for row in rows:
        row["latency_vs_keras"] = round(row["latency_ms_median"] / keras_ms, 3) if keras_ms else float("nan")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=None, help="comma-separated registry names (default: LeNet-5, vgg16, resnet50)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", default="default",
                        help="comma-separated intra-op thread counts for LiteRT and ONNX Runtime, each timed in turn "
                             "('default': keras_classics's, see keras_classics.export.runtimes), e.g. default,1,2")
    parser.add_argument("--out", default="saved_models", help="folder for bench_export.csv and .md")
    args = parser.parse_args(argv)
    try:
        threads = parse_threads(args.threads)
    except ValueError as error:
        parser.error(str(error))
    names = args.models.split(",") if args.models else [*kc.list_models("lenet*")[:1], "vgg16", "resnet50"]
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            rows += bench_model(name, workdir, args.warmup, args.repeats, threads)
    table = pd.DataFrame(rows)
    os.makedirs(args.out, exist_ok=True)
    table.to_csv(os.path.join(args.out, "bench_export.csv"), index=False)
    markdown = to_markdown(table)
    with open(os.path.join(args.out, "bench_export.md"), "w", encoding="utf-8") as handle:
        handle.write(f"Backend {keras.backend.backend()}, {os.cpu_count()} CPU cores, batch 1, median of {args.repeats}.\n\n{markdown}\n")
    print(markdown)


if __name__ == "__main__":
    main()
