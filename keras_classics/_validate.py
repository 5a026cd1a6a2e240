"""Argument checks shared by every public entry point.

Every bad argument raises ``ValueError`` whose message names the argument, what
was received and what is allowed, so users never see a backend stack trace.
"""

from __future__ import annotations

import math
from typing import Any, Iterable


def bad_argument(argument: str, received: Any, allowed: str) -> ValueError:
    """The one error format: ``argument: received X; allowed: Y``."""
    return ValueError(f"`{argument}`: received {received!r}; allowed: {allowed}.")


def check_choice(argument: str, value: Any, choices: Iterable[Any]) -> Any:
    choices = list(choices)
    if value not in choices:
        raise bad_argument(argument, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def check_int(argument: str, value: Any, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_argument(argument, value, "an integer" + (f" >= {minimum}" if minimum is not None else ""))
    if minimum is not None and value < minimum:
        raise bad_argument(argument, value, f"an integer >= {minimum}")
    return value


def check_fraction(argument: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise bad_argument(argument, value, "a number in [0, 1)")
    return float(value)


def check_nonnegative(argument: str, value: Any, what: str = "a number") -> float:
    """A finite real number >= 0 (not a bool); ``what`` words the allowed value, e.g. ``"a number of epochs"``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise bad_argument(argument, value, f"{what} >= 0")
    return float(value)


def check_bool(argument: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise bad_argument(argument, value, "True or False")
    return value


def normalise_name(name: str) -> str:
    """``"BatchNorm"``, ``"batch_norm"``, ``"batch-norm"`` -> ``"batchnorm"``."""
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")
