"""The records of the lab: a :class:`Claim`, the :class:`Experiment` that tests it, and its :class:`Verdict`.

A claim is data. Its criterion is written in words (``criterion_text``) before
anything runs, and as a pure function ``criterion(results) -> Verdict`` of the
measured table, so a test can feed it crafted numbers. Nothing here imports a
backend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

KINDS = ("cost", "exact", "training")
VERDICTS = ("holds", "does not hold", "inconclusive")


@dataclass(frozen=True)
class Verdict:
    """``status`` is one of :data:`VERDICTS`; ``line`` quotes the measured figures it follows from."""

    status: str
    line: str

    def __post_init__(self):
        if self.status not in VERDICTS:
            raise ValueError(f"`status`: received {self.status!r}; allowed: one of {', '.join(VERDICTS)}.")


@dataclass(frozen=True)
class Model:
    """One arm of an experiment: the role ``label`` its criterion names it by, and how to build and train it.

    ``build`` is ``"registry:<name>"`` (``keras_classics.get_model(name, **knobs)``) or a
    builder of :mod:`keras_classics.lab.models` (``"stack"``, ``"inception"``).
    ``train`` overrides the experiment's training settings for this arm only:
    ``learning_rate``, ``batch_size``, ``augment``.
    """

    label: str
    build: str
    knobs: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)

    def describe(self) -> str:
        knobs = ", ".join(f"{k}={v!r}" for k, v in self.knobs.items())
        extra = ", ".join(f"{k}={v!r}" for k, v in self.train.items())
        return f"{self.label}: {self.build}({knobs})" + (f" trained with {extra}" if extra else "")


@dataclass(frozen=True)
class Size:
    """How big a run is: epochs, batch, training steps per epoch (``None``: the whole split), input size, seeds,
    base learning rate.

    ``models`` optionally replaces the experiment's arms at this size (same labels,
    smaller networks: the quick size of the depth claim).
    """

    epochs: int
    batch_size: int = 32
    steps: Optional[int] = None
    input_size: int = 32
    learning_rate: float = 1e-3
    seeds: int = 3
    models: Optional[tuple] = None
    validate: bool = True  # evaluate the validation split after every epoch (quick sizes skip it: seconds)
    eager: bool = False  # run_eagerly: no graph tracing or XLA compilation, faster for a handful of steps (quick sizes)


@dataclass(frozen=True)
class Experiment:
    """A training claim's declarative experiment: the arms, the data, the optimizer and two sizes."""

    models: tuple
    quick: Size
    full: Size
    dataset: str = "digits"
    optimizer: str = "adam"
    metric: str = "test_accuracy"  # the column the criterion reads (documentation; the criterion is the truth)

    def size(self, quick: bool) -> Size:
        return self.quick if quick else self.full

    def arms(self, quick: bool) -> tuple:
        return self.size(quick).models or self.models


@dataclass(frozen=True)
class Claim:
    """A claim of the lecture notes, what is measured, and how the measurement decides it.

    ``source`` is the notes' statement translated into English (the original in
    ``source_original``), from ``seed_file`` in ``/work/shared/seeds``.
    ``measure`` (cost and exact claims) returns the table of quantities;
    ``experiment`` (training claims) says what to train.
    """

    id: str
    title: str
    source: str
    source_original: str
    seed_file: str
    measured: str
    criterion_text: str
    kind: str
    criterion: Callable
    experiment: Optional[Experiment] = None
    measure: Optional[Callable] = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"`kind`: received {self.kind!r}; allowed: one of {', '.join(KINDS)}.")
        if (self.kind == "training") != (self.experiment is not None) or (self.kind != "training") != (self.measure is not None):
            raise ValueError(f"claim {self.id!r}: a training claim has an experiment, a cost or exact claim a measure function")
