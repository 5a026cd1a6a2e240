"""Argument checks shared by every public entry point.

Every bad argument raises ``ValueError`` whose message names the argument, what
was received and what is allowed, so users never see a backend stack trace.
"""

from __future__ import annotations

import math
import os
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


def check_positive(argument: str, value: Any, what: str = "a number") -> float:
    """A finite real number > 0 (not a bool): a learning rate, an epsilon."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise bad_argument(argument, value, f"{what} > 0")
    return float(value)


def check_bool(argument: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise bad_argument(argument, value, "True or False")
    return value


def normalise_name(name: str) -> str:
    """``"BatchNorm"``, ``"batch_norm"``, ``"batch-norm"`` -> ``"batchnorm"``."""
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


def _path(argument: str, value: Any) -> str:
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise bad_argument(argument, value, "a path")
    return os.fspath(value)


def _check_creatable(argument: str, path: str) -> None:
    """The nearest existing ancestor of ``path`` must be a folder this process can write in (checked, not created)."""
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise bad_argument(argument, path, f"a path that can be created ({parent} is a file, not a folder)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise bad_argument(argument, path, f"a path that can be created (the folder {parent} cannot be written)")


def check_output_folder(argument: str, value: Any) -> str:
    """An existing folder, or a path where one can be made; nothing is created (so a bad input writes nothing)."""
    path = _path(argument, value)
    if os.path.lexists(path):
        if not os.path.isdir(path):
            raise bad_argument(argument, path, "a folder (this is a file)")
        if not os.access(path, os.W_OK | os.X_OK):
            raise bad_argument(argument, path, "a folder that can be written")
    else:
        _check_creatable(argument, path)
    return path


def check_output_file(argument: str, value: Any, *, force: bool, force_flag: str = "--force") -> str:
    """A file path to write: not a folder, its folder creatable, and no existing file unless ``force``: nothing is overwritten silently."""
    path = _path(argument, value)
    if os.path.isdir(path):
        raise bad_argument(argument, path, "a file path (this is a folder)")
    if os.path.lexists(path):
        if not force:
            raise bad_argument(argument, path, f"a new file, or {force_flag} to replace this one")
        if not os.access(path, os.W_OK):
            raise bad_argument(argument, path, "a file that can be written")
    _check_creatable(argument, path)
    return path
