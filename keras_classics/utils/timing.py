"""Timing: the median of repeated calls after a warm-up (medians resist the outliers of a shared machine)."""

from __future__ import annotations

import statistics
import time
from typing import Callable


def timed_calls(fn: Callable[[], object], *, warmup: int = 1, min_repeats: int = 5, max_repeats: int = 100,
                budget_s: float = 2.0) -> list[float]:
    """Seconds of each timed ``fn()``, after ``warmup`` untimed calls.

    At least ``min_repeats`` calls are timed, then more while the timed calls so
    far took less than ``budget_s`` in all, up to ``max_repeats``.
    """
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_repeats and (len(times) < min_repeats or time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def median_seconds(fn: Callable[[], object], **kwargs) -> float:
    """The median of :func:`timed_calls` (same arguments)."""
    return statistics.median(timed_calls(fn, **kwargs))
