"""The pieces every criterion is made of: per-seed figures from a results table, and one rule to compare them.

The rule (:func:`compare`), for paired per-seed differences ``d`` where a
positive ``d`` is what the claim predicts, and a ``margin`` fixed with the claim:

- ``ahead``: the mean of ``d`` exceeds the margin and every seed has ``d > 0``;
- ``behind``: the mean of ``d`` is below minus the margin and every seed has ``d < 0``;
- ``level``: every seed's ``|d|`` is within the margin (consistently no effect);
- ``mixed``: anything else (the seeds disagree, or the spread exceeds the margin).

Each claim maps these outcomes to ``holds`` / ``does not hold`` / ``inconclusive``.
All functions are pure: they read DataFrames and return numbers or words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from keras_classics.lab.claim import Verdict

AHEAD, BEHIND, LEVEL, MIXED = "ahead", "behind", "level", "mixed"


def per_seed(results: pd.DataFrame, metric: str, *, over: str = "final") -> pd.DataFrame:
    """A table seed x label of ``metric``: at each run's last epoch (``over="final"``) or its mean over epochs (``"mean"``)."""
    rows = results.dropna(subset=[metric]).copy()
    if not len(rows):
        return pd.DataFrame()
    rows["epoch"] = rows["epoch"].astype(int)
    if over == "final":
        last = rows.groupby(["label", "seed"])["epoch"].transform("max")
        rows = rows[rows["epoch"] == last]
        values = rows.groupby(["seed", "label"])[metric].last()
    else:
        values = rows.groupby(["seed", "label"])[metric].mean()
    return values.astype(float).unstack("label")


def difference(table: pd.DataFrame, plus: str, minus: str) -> np.ndarray:
    """``table[plus] - table[minus]`` over the seeds that have both (empty when either arm is missing)."""
    if not len(table) or plus not in table or minus not in table:
        return np.array([])
    return (table[plus] - table[minus]).dropna().to_numpy(dtype=float)


def compare(d, margin: float, *, min_seeds: int = 3) -> str:
    """``ahead``, ``behind``, ``level`` or ``mixed`` for the per-seed differences ``d`` (see the module)."""
    d = np.asarray(d, dtype=float)
    if len(d) < min_seeds:
        return MIXED
    mean = float(d.mean())
    if mean > margin and (d > 0).all():
        return AHEAD
    if mean < -margin and (d < 0).all():
        return BEHIND
    if (np.abs(d) <= margin).all():
        return LEVEL
    return MIXED


def describe(d, *, scale: float = 1.0, unit: str = "", digits: int = 2) -> str:
    """``"+1.23 (seeds: +1.00, +1.50, +1.20)"``; ``scale=100`` with ``unit=" pts"`` for accuracies."""
    d = np.asarray(d, dtype=float) * scale
    if not len(d):
        return "no paired runs"
    seeds = ", ".join(f"{v:+.{digits}f}" for v in d)
    return f"{d.mean():+.{digits}f}{unit} (seeds: {seeds})"


def mean_of(table: pd.DataFrame, label: str, *, scale: float = 1.0, digits: int = 2) -> str:
    """The mean and range of one arm over the seeds, e.g. ``"97.2 [96.9, 97.5]"``."""
    if not len(table) or label not in table:
        return "n/a"
    v = table[label].dropna().to_numpy(dtype=float) * scale
    return f"{v.mean():.{digits}f} [{v.min():.{digits}f}, {v.max():.{digits}f}]" if len(v) else "n/a"


def outcome_verdict(outcome: str, line: str, *, holds=(AHEAD,), fails=(BEHIND, LEVEL)) -> Verdict:
    """The verdict for one :func:`compare` outcome: ``holds`` if in ``holds``, ``does not hold`` if in ``fails``."""
    if outcome in holds:
        return Verdict("holds", line)
    if outcome in fails:
        return Verdict("does not hold", line)
    return Verdict("inconclusive", line)


def better_arm(results, *, claimed: str, other: str, metric: str, margin: float, higher: bool = True, over: str = "final",
               what: str = "", scale: float = 100.0, unit: str = " pts") -> Verdict:
    """The common criterion: arm ``claimed`` beats arm ``other`` on ``metric`` (higher or lower is better) beyond ``margin``."""
    table = per_seed(results, metric, over=over)
    d = difference(table, claimed, other) if higher else difference(table, other, claimed)
    outcome = compare(d, margin)
    line = (
        f"{what or metric}{' averaged over the epochs' if over == 'mean' else ''}: {claimed} {mean_of(table, claimed, scale=scale)} vs {other} {mean_of(table, other, scale=scale)}; "
        f"advantage of {claimed} {describe(d, scale=scale, unit=unit)}, margin {margin * scale:g}{unit}: {outcome}"
    )
    return outcome_verdict(outcome, line)


def combine(parts, line: str) -> Verdict:
    """Several outcomes that must all go the claim's way: ``(outcome, holds_on, fails_on)`` triples.

    ``does not hold`` if any outcome is in its ``fails_on``; ``holds`` if every one is in its ``holds_on``;
    ``inconclusive`` otherwise.
    """
    parts = list(parts)
    if any(outcome in fails for outcome, _, fails in parts):
        return Verdict("does not hold", line)
    if all(outcome in holds for outcome, holds, _ in parts):
        return Verdict("holds", line)
    return Verdict("inconclusive", line)


def check_quantities(results: pd.DataFrame, checks, line: str) -> Verdict:
    """Cost and exact claims: ``checks`` are booleans computed from ``results``; all true -> holds, else does not hold."""
    if not len(results):
        return Verdict("inconclusive", "nothing was measured")
    return Verdict("holds" if all(bool(c) for c in checks) else "does not hold", line)


def quantity(results: pd.DataFrame, name: str) -> float:
    """The ``value`` of the row whose ``quantity`` is ``name`` (cost and exact claims' tables)."""
    row = results[results["quantity"].astype(str) == name]
    if not len(row):
        raise KeyError(f"the results have no quantity {name!r}")
    return float(row["value"].iloc[0])
