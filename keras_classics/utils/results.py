"""A results table on disk: one CSV row per key, rewritten atomically after each new result.

Long runs (``compare``, ``apps/export_registry.py``, benchmarks) write here after
every finished item, so a run killed at any moment loses at most the item in
progress, and the same command resumes by skipping the keys already present.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence


class ResultsTable:
    """The CSV at ``path`` whose rows are identified by the ``key`` columns; ``columns`` come first, in order.

    ``argument`` is the flag named in errors about this file; ``owner`` (e.g.
    ``"compare"``), where given, is the command errors say the file must come from.
    """

    def __init__(self, path, columns: Sequence[str], key: Sequence[str], *, argument: str = "--out", owner: str = ""):
        self.path = Path(path)
        self.columns = tuple(columns)
        self.key = tuple(key)
        self.argument = argument
        self.owner = owner

    @property
    def _kind(self) -> str:
        return f"CSV written by {self.owner}" if self.owner else "results CSV"

    def read(self):
        """The table on disk as a DataFrame (empty, with ``columns``, when there is none); key columns as strings."""
        import pandas as pd

        from keras_classics._validate import bad_argument

        if not self.path.exists() or self.path.stat().st_size == 0:
            return pd.DataFrame(columns=list(self.columns))
        try:
            table = pd.read_csv(self.path, keep_default_na=True)
        except (pd.errors.ParserError, UnicodeDecodeError) as err:
            raise bad_argument(self.argument, str(self.path), f"a new path or a readable {self._kind} ({err})") from None
        for key in self.key:
            if key in table.columns:
                table[key] = table[key].astype(str)
        return table

    def check(self) -> None:
        """Raise unless the file is absent or a table with this one's key columns (so it is ours to resume)."""
        from keras_classics._validate import bad_argument

        if self.path.exists() and not set(self.key) <= set(self.read().columns):
            raise bad_argument(self.argument, str(self.path), f"a new path or a {self._kind} with the columns " + ", ".join(self.key))

    def check_destination(self, beside: str = "the chart is written") -> Path:
        """Raise unless ``path`` can hold this table: a ``.csv`` path in a folder that can be created and written,
        and, if the file exists, a writable table of this kind (to resume). ``beside`` says what else goes in that folder."""
        import os
        import tempfile

        from keras_classics._validate import bad_argument

        text = str(self.path)
        if self.path.suffix.lower() != ".csv":
            raise bad_argument(self.argument, text, f"a path ending in .csv ({beside} beside it)")
        if self.path.is_dir():
            raise bad_argument(self.argument, text, "a CSV file path, not a folder")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.path.parent, prefix=".write-test-"):
                pass
        except OSError as err:
            raise bad_argument(self.argument, text, f"a path in a folder that can be created and written ({err.strerror or err})") from None
        if self.path.exists():
            if not os.access(self.path, os.W_OK):
                raise bad_argument(self.argument, text, "a CSV file that can be written")
            self.check()
        return self.path

    def keys(self, table=None) -> set:
        """The keys present (tuples of strings)."""
        table = self.read() if table is None else table
        if not len(table) or not set(self.key) <= set(table.columns):
            return set()
        return set(zip(*(table[c].astype(str) for c in self.key)))

    def merge(self, table, new, keys: Iterable | None = None):
        """``table`` without the rows whose key is in ``keys`` (default: ``new``'s keys), then ``new``; columns in order."""
        import pandas as pd

        new = pd.DataFrame(new) if not isinstance(new, pd.DataFrame) else new
        keys = set(keys if keys is not None else (self.keys(new) if len(new) else ()))
        if len(table) and keys:
            keep = [k not in keys for k in zip(*(table[c].astype(str) for c in self.key))]
            table = table[keep]
        extra = [c for c in (*table.columns, *new.columns) if c not in self.columns]
        extra = list(dict.fromkeys(extra))
        frames = [f for f in (table, new) if len(f)]
        merged = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return merged.reindex(columns=[*self.columns, *extra])

    def write(self, table) -> None:
        """Write ``table`` to the file atomically."""
        from keras_classics.utils.files import atomic_write

        atomic_write(self.path, lambda tmp: table.to_csv(tmp, index=False))

    def update(self, rows) -> object:
        """Read, replace the rows with ``rows``' keys, write; returns the new table."""
        table = self.merge(self.read(), rows)
        self.write(table)
        return table
