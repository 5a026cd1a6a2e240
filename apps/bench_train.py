"""Bench (not a test): LeNet-5's digits test accuracy per backend, and the seconds it took to reach it.

    python apps/bench_train.py [--epochs 10] [--batch-size 32] [--backends tensorflow,jax,torch] [--out bench_train.csv]

Each backend trains in its own process (``keras-classics train lenet5 --dataset digits``,
the paper recipe, seed 0). ``seconds`` is the wall time of ``model.fit`` (compilation
included, process start-up and data loading not); ``first_epoch_at_95`` is the first
epoch whose *validation* accuracy reached 95 %, from the run's log.csv. The CSV is
written and printed at the end.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

FIELDS = ("backend", "model", "dataset", "epochs", "batch_size", "test_accuracy", "seconds", "first_epoch_at_95", "wall_s", "status")


def bench(backend: str, *, epochs: int, batch_size: int, workdir: str) -> dict:
    out = os.path.join(workdir, backend)
    command = [sys.executable, "-m", "keras_classics.cli", "--backend", backend, "train", "lenet5", "--dataset", "digits",
               "--epochs", str(epochs), "--batch-size", str(batch_size), "--out", out, "--quiet"]
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    row = {"backend": backend, "model": "lenet5", "dataset": "digits", "epochs": epochs, "batch_size": batch_size,
           "wall_s": round(time.perf_counter() - start, 1)}
    if proc.returncode != 0:
        return row | {"status": "error: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:200]}
    results = json.load(open(os.path.join(out, "results.json")))
    with open(os.path.join(out, "log.csv")) as f:
        reached = [int(r["epoch"]) + 1 for r in csv.DictReader(f) if float(r["val_accuracy"]) >= 0.95]
    return row | {"test_accuracy": round(results["test"]["accuracy"], 4), "seconds": round(results["seconds"], 1),
                  "first_epoch_at_95": reached[0] if reached else "", "status": "ok"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--backends", default="tensorflow,jax,torch")
    parser.add_argument("--out", default="bench_train.csv")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-train-") as workdir:
        for backend in args.backends.split(","):
            rows.append(bench(backend.strip(), epochs=args.epochs, batch_size=args.batch_size, workdir=workdir))
            print(rows[-1], file=sys.stderr)
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    with open(args.out) as f:
        print(f.read(), end="")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
