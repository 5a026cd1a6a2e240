"""The model registry: every network by a lowercase name, with its metadata.

``list_models("resnet*")`` and ``get_model(name, **kwargs)`` are the way in for
scripts and the command line. Each entry carries its paper, its default and
minimum input size, and the published reference it reproduces (a row of
``keras_classics/data/models.csv``, a copy of the project's reference table), so
tests and docs read one table and every number is written once.

A family writes those facts in its variant table (rows of :class:`Variant`),
which its builder reads and :func:`register_variants` registers. The families
register when ``keras_classics.models`` is imported, which the lookups here do
on first use; this module itself imports no backend.
"""

from __future__ import annotations

import csv
import difflib
import fnmatch
import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import Callable, Optional


@dataclass(frozen=True)
class Paper:
    title: str
    authors: str
    venue: str
    year: int
    url: str

    def cite(self) -> str:
        return f"{self.authors}, \"{self.title}\", {self.venue} {self.year}"


@dataclass(frozen=True)
class Reference:
    """One row of the reference table: what a registry entry must reproduce."""

    model: str
    config: str
    source: str
    params: Optional[int]
    trainable_params: Optional[int]
    gmacs: Optional[float]
    note: str
    approximate: bool = False

    @property
    def tolerance(self) -> int:
        """0 for exact counts; for a paper's rounded figure ("~0.27M"), half its last digit."""
        if not self.approximate:
            return 0
        count = self.trainable_params or self.params
        digits = str(count).rstrip("0")
        return 10 ** (len(str(count)) - len(digits)) // 2

    def mismatches(self, params: int, trainable_params: int) -> list[str]:
        """Human-readable differences between measured counts and this reference (empty if none)."""
        out = []
        for label, ref, got in (("params", self.params, params), ("trainable_params", self.trainable_params, trainable_params)):
            if ref is not None and abs(got - ref) > self.tolerance:
                out.append(f"{label}: measured {got:,}, reference {ref:,} ({self.source})")
        return out


def _parse_count(text: str) -> tuple[Optional[int], bool]:
    text = text.strip()
    if not text:
        return None, False
    approximate = text.startswith("~")
    return int(text.lstrip("~")), approximate


@functools.lru_cache(maxsize=1)
def reference_rows() -> tuple[Reference, ...]:
    """Every row of ``models.csv`` as a :class:`Reference`."""
    text = resources.files("keras_classics.data").joinpath("models.csv").read_text(encoding="utf-8")
    rows = []
    for row in csv.DictReader(text.splitlines()):
        params, approx_p = _parse_count(row["params"])
        trainable, approx_t = _parse_count(row["trainable_params"])
        rows.append(
            Reference(
                model=row["model"],
                config=row["config"],
                source=row["source"],
                params=params,
                trainable_params=trainable,
                gmacs=float(row["gmacs_224"]) if row["gmacs_224"].strip() else None,
                note=row["note"],
                approximate=approx_p or approx_t,
            )
        )
    return tuple(rows)


def find_reference(model: str, config: str = "") -> Reference:
    """The one row whose ``model`` equals ``model`` and whose ``config`` starts with ``config``."""
    matches = [r for r in reference_rows() if r.model == model and r.config.startswith(config)]
    if len(matches) != 1:
        raise LookupError(f"reference ({model!r}, {config!r}) matches {len(matches)} rows of models.csv, expected 1")
    return matches[0]


@dataclass(frozen=True, kw_only=True)
class Variant:
    """A row of a family's variant table: the facts its builder and the registry both read.

    A family subclasses it with its architecture fields (``ResNetVariant(branch=...,
    stage_depths=...)``); the builder reads the row it builds, and
    :func:`register_variants` registers every row, so each number is written once.
    """

    default_size: int
    min_size: int
    channels: int = 3
    classes: int = 1000
    pretrained: Optional[str] = None  # key of keras_classics.weights.PRETRAINED: keras.applications' ImageNet file
    reference: Optional[tuple[str, str] | str] = None  # the models.csv row: "model" or ("model", "config prefix")
    description: str = ""
    paper: Optional[Paper] = None  # where it differs from the family's
    registry_name: Optional[str] = None  # where it differs from the row's key
    defaults: dict = field(default_factory=dict)  # knob values the registry entry is built with
    top_defaults: dict = field(default_factory=dict)  # ... only with include_top=True (auxiliary classifiers)
    registered: bool = True  # False: a builder's row only (the registry harness builds every entry)


@dataclass(frozen=True)
class ModelInfo:
    """A registry entry. ``get_model(name)`` calls ``builder(**defaults)``."""

    name: str
    builder: Callable
    family: str
    paper: Paper
    default_size: int
    min_size: int
    channels: int = 3
    classes: int = 1000
    reference: Optional[Reference] = None
    defaults: dict = field(default_factory=dict)
    description: str = ""
    pretrained: Optional[str] = None
    top_defaults: dict = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """The canonical input shape (channels last)."""
        return (self.default_size, self.default_size, self.channels)

    def build(self, **kwargs):
        kwargs = {**self.defaults, **kwargs}
        if kwargs.get("include_top", True):
            kwargs = {**self.top_defaults, **kwargs}
        return self.builder(**kwargs)


_REGISTRY: dict[str, ModelInfo] = {}


def register_model(
    name: str,
    builder: Optional[Callable] = None,
    *,
    family: str,
    paper: Paper,
    default_size: int,
    min_size: int,
    channels: int = 3,
    classes: int = 1000,
    reference: Optional[tuple[str, str] | str] = None,
    defaults: Optional[dict] = None,
    description: str = "",
    pretrained: Optional[str] = None,
    top_defaults: Optional[dict] = None,
):
    """Register ``builder`` under ``name``; usable as a decorator. Raises on a duplicate name.

    ``reference`` is ``"model"`` or ``("model", "config prefix")``, naming one row of models.csv.
    """
    if name != name.lower():
        raise ValueError(f"`name`: received {name!r}; allowed: a lowercase registry name.")

    def decorate(fn):
        if name in _REGISTRY:
            taken_by = getattr(_REGISTRY[name].builder, "__name__", repr(_REGISTRY[name].builder))
            raise ValueError(f"`name`: received {name!r}; allowed: a name not yet registered (it is taken by {taken_by}).")
        ref = None
        if reference is not None:
            ref = find_reference(*((reference,) if isinstance(reference, str) else reference))
        _REGISTRY[name] = ModelInfo(
            name=name,
            builder=fn,
            family=family,
            paper=paper,
            default_size=default_size,
            min_size=min_size,
            channels=channels,
            classes=classes,
            reference=ref,
            defaults={"name": name, **(defaults or {})},
            description=description,
            pretrained=pretrained,
            top_defaults=dict(top_defaults or {}),
        )
        return fn

    return decorate(builder) if builder is not None else decorate


def register_variants(table: dict[str, Variant], builder: Callable, *, family: str, paper: Paper, key_argument: Optional[str] = None):
    """Register every row of ``table`` (key -> :class:`Variant`) as an entry built by ``builder``.

    ``key_argument`` names the builder's argument that selects the row (``"variant"``):
    the entry passes the row's key there. Rows with ``registered=False`` are skipped.
    """
    for key, row in table.items():
        if row.registered:
            register_model(
                row.registry_name or key, builder, family=family, paper=row.paper or paper,
                default_size=row.default_size, min_size=row.min_size, channels=row.channels, classes=row.classes,
                reference=row.reference, description=row.description, pretrained=row.pretrained,
                defaults={**({key_argument: key} if key_argument else {}), **row.defaults}, top_defaults=row.top_defaults,
            )


def _ensure_registered() -> None:
    """Importing the family modules fills the registry (``import keras_classics`` may not have yet)."""
    import keras_classics.models  # noqa: F401


def list_models(pattern: str = "*", family: Optional[str] = None) -> list[str]:
    """Registered names matching the shell-style ``pattern`` (``"vgg*"``), sorted."""
    _ensure_registered()
    return sorted(n for n, info in _REGISTRY.items() if fnmatch.fnmatch(n, pattern.lower()) and family in (None, info.family))


def model_info(name: str) -> ModelInfo:
    """The registry entry for ``name``; an unknown name raises ``ValueError`` with suggestions."""
    _ensure_registered()
    if not isinstance(name, str) or name.lower() not in _REGISTRY:
        close = difflib.get_close_matches(str(name).lower(), _REGISTRY, n=5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(
            f"`name`: received {name!r}; allowed: a registered model name (see keras_classics.list_models()).{hint}"
        )
    return _REGISTRY[name.lower()]


def get_model(name: str, *, features_only: bool = False, out_indices=None, **kwargs):
    """Build the registered model ``name``; ``kwargs`` override its defaults.

    With no other argument it builds exactly the configuration of its reference
    (input size, classes, variant), so ``get_model("vgg16").count_params()``
    equals the published count. ``features_only=True`` returns the stage features
    instead (timm's), as :func:`keras_classics.feature_extractor` with ``out_indices``.
    """
    from keras_classics._validate import bad_argument, check_bool

    info = model_info(name)
    if check_bool("features_only", features_only):
        from keras_classics.features import feature_extractor

        return feature_extractor(info.name, out_indices=out_indices, **kwargs)
    if out_indices is not None:
        raise bad_argument("out_indices", out_indices, "None unless features_only=True")
    return info.build(**kwargs)
