"""The benchmark's table: its columns, its resumable CSV, the ratios between runners, the summary printed at the end.

A row is one (network, runner, input size, requested batch, precision, compile,
determinism). The ratios compare runners measured in the same table on the same
setting and are written as *time* ratios, so 1.10 reads "takes 10 % longer":

* ``train_time_vs_torch`` / ``infer_time_vs_torch``: this row's step time over
  the faster native PyTorch memory format's (torchvision, NCHW or channels_last);
* ``train_time_vs_applications`` / ``infer_time_vs_applications``: for our
  network on a backend, its step time over ``keras.applications``' on that backend.
"""

from __future__ import annotations

import math

from keras_classics.utils.results import ResultsTable

KEY = ("model", "runner", "input_size", "batch_size", "precision", "compile", "deterministic")
RATIOS = ("train_time_vs_torch", "infer_time_vs_torch", "train_time_vs_applications", "infer_time_vs_applications")
COLUMNS = (
    *KEY, "status", "error", "library", "backend", "batch_used", "classes", "params",
    "train_images_per_s", "infer_images_per_s", "latency_ms_b1", *RATIOS,
    "train_step_s", "infer_step_s", "train_repeats", "infer_repeats", "latency_repeats", "train_spread",
    "peak_rss_mb", "baseline_rss_mb", "peak_gpu_mb", "startup_s", "wall_s", "load_avg_1min", "cpu_count",
    "keras_version", "backend_version", "device", "timestamp",
)
SETTING = ("model", "input_size", "batch_size", "precision", "compile", "deterministic")  # rows compared with one another


def results_table(path) -> ResultsTable:
    """The benchmark CSV at ``path``: one row per :data:`KEY`."""
    return ResultsTable(path, COLUMNS, KEY, argument="--out", owner="benchmark")


def add_ratios(table):
    """``table`` with :data:`RATIOS` computed from its measured images/s (NaN where a side is missing)."""
    import pandas as pd

    table = table.copy()
    for column in RATIOS:
        table[column] = math.nan
    if not len(table):
        return table
    ok = table["status"] == "ok"
    for _, rows in table[ok].groupby([table.loc[ok, c].astype(str) for c in SETTING]):
        runners = dict(zip(rows["runner"], rows.index))
        for kind in ("train", "infer"):
            speed = pd.to_numeric(rows[f"{kind}_images_per_s"], errors="coerce")
            native = speed[rows["runner"].str.startswith("torchvision")].max()
            for index in rows.index:
                mine = speed[index]
                if not mine > 0:
                    continue
                if native > 0:
                    table.loc[index, f"{kind}_time_vs_torch"] = round(native / mine, 3)
                runner = table.loc[index, "runner"]
                twin = runners.get(f"applications/{runner}")
                if twin is not None and speed[twin] > 0:
                    table.loc[index, f"{kind}_time_vs_applications"] = round(speed[twin] / mine, 3)
    return table


SUMMARY = (
    ("model", "model"), ("input_size", "px"), ("batch_used", "batch"), ("runner", "runner"), ("params", "params"),
    ("train_images_per_s", "train img/s"), ("infer_images_per_s", "infer img/s"), ("latency_ms_b1", "ms @1"),
    ("train_time_vs_torch", "train time / torch"), ("train_time_vs_applications", "train time / applications"),
    ("infer_time_vs_applications", "infer time / applications"), ("peak_rss_mb", "peak RSS MB"), ("status", "status"),
)


def summary_markdown(table) -> str:
    """The headline columns as a markdown table."""
    import pandas as pd

    from keras_classics.tables import to_markdown

    out = pd.DataFrame()
    for column, label in SUMMARY:
        values = table[column] if column in table.columns else [math.nan] * len(table)
        out[label] = [_format(column, v) for v in values]
    return to_markdown(out)


def outcome(row) -> str:
    """One progress line for a finished row: its figures, or why it failed."""
    if row.get("status") != "ok":
        return f"FAILED: {row.get('error')}"
    parts = []
    if _number(row.get("train_images_per_s")):
        parts.append(f"train {row['train_images_per_s']:,.1f} img/s ({row['train_step_s']:.3f} s/step)")
    if _number(row.get("infer_images_per_s")):
        parts.append(f"infer {row['infer_images_per_s']:,.1f} img/s")
    if _number(row.get("latency_ms_b1")):
        parts.append(f"{row['latency_ms_b1']:.1f} ms at batch 1")
    if row.get("batch_used") != row.get("batch_size"):
        parts.append(f"batch {row['batch_used']} (out of memory at {row['batch_size']})")
    parts.append(f"peak {row.get('peak_rss_mb', math.nan):.0f} MB, {row.get('wall_s', math.nan):.0f} s in all")
    return ", ".join(parts)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value))


def _format(column, value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column == "params":
        return f"{int(value) / 1e6:.2f} M"
    if column in ("input_size", "batch_used"):
        return str(int(value))
    if column.endswith(("_vs_torch", "_vs_applications")):
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)
