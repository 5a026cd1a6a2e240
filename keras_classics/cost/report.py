"""A profile's totals and its plain-text table."""

from __future__ import annotations

import pandas as pd

from keras_classics.cost.walk import profile


def totals(frame: pd.DataFrame) -> dict:
    """The model's totals from a :func:`profile` frame (``gmacs`` is ``macs / 1e9``)."""
    out = {key: int(frame[key].sum()) for key in ("params", "trainable_params", "non_trainable_params", "macs", "flops_other", "activation_bytes")}
    out["gmacs"] = out["macs"] / 1e9
    return out


def total_macs(model, input_shape=None) -> int:
    """Multiply-accumulates of one forward pass of ``model`` (conv and dense only)."""
    return int(profile(model, input_shape)["macs"].sum())


def format_table(frame: pd.DataFrame) -> str:
    """The profile as a plain-text table with a totals line (what ``keras-classics summary`` prints)."""
    def shape(value):
        if isinstance(value, list):
            return ", ".join(shape(v) for v in value)
        return "x".join(str(d) for d in value) or "scalar"

    shown = pd.DataFrame({
        "name": frame["name"],
        "type": frame["type"],
        "output": frame["output_shape"].map(shape),
        "params": frame["params"].map("{:,}".format),
        "MACs": frame["macs"].map("{:,}".format),
        "other FLOPs": frame["flops_other"].map("{:,}".format),
        "activations": frame["activation_bytes"].map(format_bytes),
        "RF": frame["receptive_field"],
        "stride": frame["effective_stride"],
        "note": frame["note"],
    })
    total = totals(frame)
    lines = [
        shown.to_string(index=False),
        "",
        f"params: {total['params']:,} ({total['trainable_params']:,} trainable, {total['non_trainable_params']:,} non-trainable)",
        f"MACs: {total['macs']:,} ({total['gmacs']:.3f} G; conv and dense multiply-accumulates)",
        f"other FLOPs: {total['flops_other']:,} (biases, activations, normalization, pooling, merges)",
        f"activations: {format_bytes(total['activation_bytes'])} per example (sum of every layer's output)",
    ]
    return "\n".join(lines)


def format_bytes(count) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{int(count)} B"
