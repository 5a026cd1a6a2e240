"""Atomic files: write under a temporary name in the same folder, then rename over the target.

A process killed at any instant (even by ``SIGKILL``) leaves either the old file
or the new one, never a truncated one: ``os.replace`` within one folder is atomic.
"""

from __future__ import annotations

import json
import os
from typing import Callable


def temporary_path(path) -> str:
    """A hidden sibling of ``path`` unique to this process; it keeps the extension (Keras checks ``.keras``, ``.weights.h5``)."""
    folder, base = os.path.split(os.fspath(path))
    stem, dot, ext = base.partition(".")
    return os.path.join(folder, f".{stem}.tmp-{os.getpid()}{dot}{ext}")


def atomic_write(path, write: Callable[[str], object]) -> None:
    """Call ``write(tmp_path)``, flush it to disk, then rename it over ``path``; the temporary file never stays behind."""
    tmp = temporary_path(path)
    try:
        write(tmp)
        if os.path.isfile(tmp):
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.isfile(tmp):
            os.remove(tmp)


def write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""

    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    atomic_write(path, write)


def write_json(path, data, *, indent: int | None = 2) -> None:
    """Write ``data`` as JSON to ``path`` atomically (keys sorted, so files diff well)."""
    write_text(path, json.dumps(data, indent=indent, sort_keys=True))


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)
