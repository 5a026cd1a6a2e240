"""The results of a comparison: the CSV's columns, its resumable tables, and the summary printed at the end.

The tables themselves are :class:`keras_classics.utils.results.ResultsTable`:
read, merged by key and rewritten atomically after each model, so a run that is
stopped resumes from them.
"""

from __future__ import annotations

import math

from keras_classics.utils.results import ResultsTable

KEY = ("model", "backend", "dataset")
COLUMNS = (
    "model", "backend", "dataset", "status", "error",
    "input_size", "channels", "classes", "epochs", "batch_size", "optimizer", "schedule", "bn_momentum", "seed",
    "deterministic", "params", "gmacs",
    "train_accuracy", "validation_accuracy", "test_accuracy", "validation_top5", "test_top5",
    "train_loss", "validation_loss", "test_loss",
    "first_epoch_s", "seconds_per_epoch", "train_images_per_s",
    "latency_ms_b1", "images_per_s_b64",
    "peak_rss_mb", "baseline_rss_mb", "keras_size_mb",
    "train_size", "validation_size", "test_size",
    "startup_s", "wall_s", "cpu_s", "load_avg_1min", "cpu_count",
    "keras_version", "backend_version", "timestamp", "note",
)
HISTORY_COLUMNS = (*KEY, "epoch", "accuracy", "val_accuracy", "loss", "val_loss", "epoch_s")


def results_table(path) -> ResultsTable:
    """The results CSV at ``path``: one row per (model, backend, dataset)."""
    return ResultsTable(path, COLUMNS, KEY, argument="--out", owner="compare")


def history_table(path) -> ResultsTable:
    """The per-epoch history CSV at ``path``: one row per epoch, replaced per (model, backend, dataset)."""
    return ResultsTable(path, HISTORY_COLUMNS, KEY, argument="--out", owner="compare")


SUMMARY = (
    ("model", "model"), ("backend", "backend"), ("input_size", "input"), ("params", "params"), ("gmacs", "GMACs"),
    ("test_accuracy", "test acc"), ("seconds_per_epoch", "s/epoch"), ("train_images_per_s", "train img/s"),
    ("latency_ms_b1", "ms @1"), ("images_per_s_b64", "img/s @64"), ("peak_rss_mb", "peak MB"), ("status", "status"),
)


def summary_table(table):
    """The headline columns of a results table, formatted for reading."""
    import pandas as pd

    out = pd.DataFrame()
    for column, label in SUMMARY:
        values = table[column] if column in table.columns else pd.Series([math.nan] * len(table), index=table.index)
        out[label] = [_format(column, v) for v in values]
    return out


def summary_markdown(table) -> str:
    from keras_classics.tables import to_markdown

    return to_markdown(summary_table(table))


def outcome(row) -> str:
    """One line for a finished row: its headline figures, or why it failed."""
    if row["status"] != "ok":
        return f"FAILED: {row.get('error')}"
    parts = [f"test accuracy {row['test_accuracy']:.3f}", f"{row['seconds_per_epoch']:.1f} s/epoch",
             f"{row['latency_ms_b1']:.1f} ms at batch 1", f"peak {row['peak_rss_mb']:.0f} MB", f"{row['wall_s']:.0f} s in all"]
    return ", ".join(parts)


def _format(column, value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column == "params":
        return f"{int(value):,}"
    if column == "input_size":
        return f"{int(value)}px"
    if column == "gmacs":
        return f"{value:.3g}"
    if column in ("test_accuracy",):
        return f"{value:.3f}"
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 10 else f"{value:.2f}"
    return str(value)


def as_int(value):
    """``int(value)`` where it is a number (CSV columns read back as floats), else ``value`` unchanged."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value
