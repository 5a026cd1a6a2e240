"""The named checkpoints: one row of ``keras_classics/data/checkpoints.csv`` per weight set.

A row names the registry network it fits exactly (same layers, same parameter
count), its source (``keras`` = keras.applications, ``torchvision``, ``timm``) and
tag, where it comes from (a URL whose file name carries the first hex digits of
its SHA-256, as torchvision publishes them; ``hf-hub:<repo>`` for timm's
safetensors; ``keras.applications.<Builder>``), the preprocessing it was trained
with and the accuracy its source reports. Everything else (``weights=``, the
``keras-classics weights`` table, the docs) reads these rows. This module imports
no backend.

A ``weights=`` string names a row: ``"torchvision"`` / ``"timm"`` (that source's
default row for the network), ``"torchvision:IMAGENET1K_V2"``, ``"timm:resnet50.a1_in1k"``,
or ``"imagenet"`` (keras.applications' weights where they exist, else torchvision's
default, else timm's).
"""

from __future__ import annotations

import csv
import difflib
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Optional

SOURCES = ("keras", "torchvision", "timm")  # in the order "imagenet" prefers them


@dataclass(frozen=True)
class Preprocessing:
    """How the images were prepared in training: ``(resize -> center crop -> x / 255 -> (x - mean) / std)``.

    ``resize`` is the shorter side before the center crop to ``size``; ``mean`` and
    ``std`` apply to RGB pixels scaled to [0, 1]; ``channels`` is the order the
    network expects (``"BGR"`` for keras.applications' caffe-mode networks).
    ``mode`` is keras.applications' name for the scheme (``"torch"``, ``"tf"``, ``"caffe"``).
    """

    size: int
    resize: int
    interpolation: str
    mean: tuple
    std: tuple
    channels: str
    mode: str


@dataclass(frozen=True)
class Checkpoint:
    name: str  # the registry network it fits
    source: str  # "keras", "torchvision" or "timm"
    tag: str  # "IMAGENET1K_V1", "resnet50.a1_in1k", "imagenet"
    default: bool  # the source's default for this network
    location: str  # URL, "hf-hub:<repo>" or "keras.applications.<Builder>"
    sha256: str  # the hash (or, for torchvision, its published prefix); "" where the client checks it
    size_mb: Optional[float]
    top1: Optional[float]  # the source's reported ImageNet-1k validation accuracy, %
    top5: Optional[float]
    recipe: str
    license: str
    preprocessing: Preprocessing

    @property
    def key(self) -> str:
        """What ``weights=`` takes for this row: ``"torchvision:IMAGENET1K_V1"`` (``"imagenet"`` for keras.applications)."""
        return "imagenet" if self.source == "keras" else f"{self.source}:{self.tag}"


def _number(text, kind=float):
    return kind(text) if text.strip() else None


def _floats(text):
    return tuple(float(v) for v in text.split())


@functools.lru_cache(maxsize=1)
def checkpoints() -> tuple[Checkpoint, ...]:
    """Every row of ``checkpoints.csv``."""
    text = resources.files("keras_classics.data").joinpath("checkpoints.csv").read_text(encoding="utf-8")
    return tuple(
        Checkpoint(
            name=row["name"], source=row["source"], tag=row["tag"], default=row["default"] == "1", location=row["location"],
            sha256=row["sha256"], size_mb=_number(row["size_mb"]), top1=_number(row["top1"]), top5=_number(row["top5"]),
            recipe=row["recipe"], license=row["license"],
            preprocessing=Preprocessing(
                size=int(row["input_size"]), resize=int(row["resize"]), interpolation=row["interpolation"],
                mean=_floats(row["mean"]), std=_floats(row["std"]), channels=row["channels"], mode=row["mode"],
            ),
        )
        for row in csv.DictReader(text.splitlines())
    )


def available_weights(name: str = "*") -> list[Checkpoint]:
    """The checkpoints of the registry network ``name`` (or of every network matching a pattern such as ``"resnet*"``).

    Each record has the string ``weights=`` takes (``record.key``), its source, URL,
    reported top-1/top-5 and its :class:`Preprocessing`. A name with no weights gives
    an empty list; an unknown name raises ``ValueError``.
    """
    from keras_classics._validate import bad_argument

    if not isinstance(name, str):
        raise bad_argument("name", name, "a registry name or a shell-style pattern")
    from keras_classics.tables import stored_figures  # the registry's names, without importing Keras

    pattern = name.lower()
    known = [row["name"] for row in stored_figures(pattern)]
    if not known:
        close = difflib.get_close_matches(pattern, [row["name"] for row in stored_figures()], n=5)
        raise bad_argument("name", name, "a registry name or a pattern matching one" + (f" (did you mean {', '.join(close)}?)" if close else ""))
    return [row for row in checkpoints() if row.name in known]


def find(name: str, weights: str) -> Optional[Checkpoint]:
    """The row ``weights`` names for network ``name`` (``"imagenet"``, ``"torchvision"``, ``"timm:<tag>"``), or ``None``."""
    rows = [row for row in checkpoints() if row.name == name]
    source, _, tag = weights.partition(":")
    if source == "imagenet" and not tag:
        return next((row for src in SOURCES for row in rows if row.source == src and row.default), None)
    return next((row for row in rows if row.source == source and (row.tag == tag if tag else row.default)), None)


def names(name: Optional[str]) -> list[str]:
    """Every string ``weights=`` accepts for network ``name`` besides None and a file path."""
    rows = [row for row in checkpoints() if row.name == name]
    out = ["imagenet"] if rows else []
    for source in SOURCES[1:]:
        tags = [row.key for row in rows if row.source == source]
        out += [source] * bool(tags) + tags
    return out


def is_checkpoint_name(weights) -> bool:
    """Whether ``weights`` is spelled as a checkpoint name rather than a path."""
    return isinstance(weights, str) and (weights == "imagenet" or weights.partition(":")[0] in SOURCES[1:])


def preprocessing(name: str, weights: str = "imagenet") -> Preprocessing:
    """The preprocessing the checkpoint ``weights`` of network ``name`` was trained with (see :class:`Preprocessing`)."""
    from keras_classics._validate import bad_argument

    row = find(name.lower(), weights) if isinstance(name, str) and isinstance(weights, str) else None
    if row is None:
        allowed = names(name.lower() if isinstance(name, str) else None)
        raise bad_argument("weights", weights, ("one of " + ", ".join(map(repr, allowed))) if allowed else f"nothing: {name!r} has no named checkpoint")
    return row.preprocessing
