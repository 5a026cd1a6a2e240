"""Run claims: for each, a CSV of what was measured, a PNG and a verdict (JSON), all beside each other in ``out``.

Files, for claim ``ID`` (``ID-quick.*`` for the quick size):

- ``ID.csv``: training claims one row per arm, seed and epoch (key: backend,
  dataset, label, seed, epoch); cost and exact claims one row per quantity.
  Written through :class:`keras_classics.utils.results.ResultsTable` after every
  finished run, so a killed run resumes where it stopped; ``force`` runs again.
- ``ID.png``: the curves or bars, with the verdict in the title.
- ``ID.json``: the verdict, its line, the criterion and the source statement.
- ``verdicts.csv``: one row per claim, size, backend and dataset.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from keras_classics.lab.claim import Claim, Verdict
from keras_classics.lab.measures import COLUMNS as QUANTITY_COLUMNS
from keras_classics.lab.train import RESULT_COLUMNS

DEFAULT_OUT = "results/lab"
MIN_SEEDS = 3
TRAINING_KEY = ("backend", "dataset", "label", "seed", "epoch")
TRAINING_COLUMNS = ("claim", *TRAINING_KEY[:3], "model", *TRAINING_KEY[3:], *RESULT_COLUMNS)
VERDICT_KEY = ("claim", "size", "backend", "dataset")
VERDICT_COLUMNS = (*VERDICT_KEY, "kind", "status", "line", "seconds")


@dataclass(frozen=True)
class Outcome:
    """What running one claim produced."""

    claim: Claim
    verdict: Verdict
    csv: Path
    png: Path
    json: Path
    seconds: float


def check_request(claims, *, seeds=None, dataset=None, seeds_argument="--seeds", dataset_argument="--dataset") -> None:
    """``ValueError`` naming the flag for seeds below :data:`MIN_SEEDS` with a training claim, or an unknown dataset."""
    training = [c.id for c in claims if c.kind == "training"]
    if seeds is not None and training and (isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < MIN_SEEDS):
        raise ValueError(f"`{seeds_argument}`: received {seeds!r}; allowed: an integer >= {MIN_SEEDS} "
                         f"(training claims compare seeds: {', '.join(training)}).")
    if dataset is not None:
        import os

        from keras_classics.datasets import DATASETS

        if dataset not in DATASETS and not os.path.isdir(str(dataset)):
            raise ValueError(f"`{dataset_argument}`: received {dataset!r}; allowed: one of {', '.join(DATASETS)} "
                             "or a folder of images with one sub-folder per class.")


def _stem(out, claim, quick) -> Path:
    return Path(out) / (claim.id + ("-quick" if quick else ""))


def _table(path, columns, key):
    from keras_classics.utils.results import ResultsTable

    table = ResultsTable(path, columns, key, argument="--out", owner="keras-classics lab")
    table.check()
    return table


def _training_results(claim, *, stem, quick, dataset, seeds, force, log):
    import keras

    from keras_classics.lab.train import train_arm

    experiment = claim.experiment
    size = experiment.size(quick)
    dataset = dataset or experiment.dataset
    seeds = seeds or size.seeds
    backend = keras.backend.backend()
    table = _table(stem.with_suffix(".csv"), TRAINING_COLUMNS, TRAINING_KEY)

    def mine(frame):
        if not len(frame):
            return frame
        return frame[(frame["backend"] == backend) & (frame["dataset"] == str(dataset))]

    finished = {(r.label, str(r.seed)) for r in mine(table.read()).itertuples() if str(r.epoch) == str(size.epochs)}
    arms = experiment.arms(quick)
    for arm in arms:
        for seed in range(seeds):
            if not force and (arm.label, str(seed)) in finished:
                log(f"  {claim.id}: {arm.label}, seed {seed}: in the CSV already")
                continue
            rows = train_arm(arm, experiment=experiment, size=size, seed=seed, dataset=dataset)
            model = arm.build + "".join(f" {k}={v}" for k, v in arm.knobs.items())
            table.update([{"claim": claim.id, "backend": backend, "dataset": str(dataset), "label": arm.label, "model": model,
                           "seed": seed, **row} for row in rows])
            last = rows[-1]
            log(f"  {claim.id}: {arm.label}, seed {seed}: training loss {last['train_loss']:.3f}, "
                f"test accuracy {last['test_accuracy'] * 100:.1f}%, {last['seconds']:.1f}s")
    results = mine(table.read())
    labels = {arm.label for arm in arms}
    results = results[results["label"].isin(labels) & results["seed"].astype(int).lt(seeds)]
    return results.reset_index(drop=True), backend, str(dataset)


def _quantity_results(claim, *, stem, force, log):
    import keras
    import pandas as pd

    table = _table(stem.with_suffix(".csv"), ("claim", *QUANTITY_COLUMNS), ("quantity",))
    results = table.read()
    if force or not len(results):
        measured = claim.measure()
        results = pd.concat([pd.DataFrame({"claim": [claim.id] * len(measured)}), measured], axis=1)
        table.write(results)
        log(f"  {claim.id}: measured {len(results)} quantities")
    else:
        log(f"  {claim.id}: in the CSV already")
    results = results.copy()
    for column in ("value", "expected"):
        results[column] = results[column].astype(float)
    return results, keras.backend.backend(), ""


def run_claim(claim: Claim, *, out=DEFAULT_OUT, quick: bool = False, dataset=None, seeds=None, force: bool = False,
              log: Callable = print) -> Outcome:
    """Measure ``claim`` (resuming from its CSV unless ``force``), decide it, draw it; returns the :class:`Outcome`."""
    from keras_classics.lab import plots
    from keras_classics.utils.files import write_json

    check_request([claim], seeds=seeds, dataset=dataset, seeds_argument="seeds", dataset_argument="dataset")
    start = time.perf_counter()
    stem = _stem(out, claim, quick)
    stem.parent.mkdir(parents=True, exist_ok=True)
    size_name = "quick" if quick else "full"
    log(f"lab: {claim.id} ({claim.kind}, {size_name}): {claim.title}")
    if claim.kind == "training":
        results, backend, dataset = _training_results(claim, stem=stem, quick=quick, dataset=dataset, seeds=seeds, force=force, log=log)
        draw = plots.training_plot
    else:
        results, backend, dataset = _quantity_results(claim, stem=stem, force=force, log=log)
        draw = plots.quantity_plot
    verdict = claim.criterion(results)
    png, json_path = stem.with_suffix(".png"), stem.with_suffix(".json")
    draw(results, claim, verdict, png)
    seconds = round(time.perf_counter() - start, 2)
    write_json(json_path, {
        "claim": claim.id, "title": claim.title, "kind": claim.kind, "status": verdict.status, "line": verdict.line,
        "criterion": claim.criterion_text, "measured": claim.measured, "source": claim.source,
        "source_original": claim.source_original, "seed_file": claim.seed_file, "size": size_name, "backend": backend,
        "dataset": dataset, "seconds": seconds, "csv": stem.with_suffix(".csv").name, "png": png.name,
    })
    _table(Path(out) / "verdicts.csv", VERDICT_COLUMNS, VERDICT_KEY).update([{
        "claim": claim.id, "size": size_name, "backend": backend, "dataset": dataset, "kind": claim.kind,
        "status": verdict.status, "line": verdict.line, "seconds": seconds}])
    log(f"lab: {claim.id}: {verdict.status.upper()}: {verdict.line} ({seconds:.1f}s)")
    return Outcome(claim, verdict, stem.with_suffix(".csv"), png, json_path, seconds)


def run_claims(claims, **options) -> list[Outcome]:
    """:func:`run_claim` for each claim in order."""
    return [run_claim(claim, **options) for claim in claims]
