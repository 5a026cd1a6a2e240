"""The claims lab: criteria on crafted results, cost and exact claims against hand counts, quick runs, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from conftest import BACKEND
from keras_classics.cli import main
from keras_classics.lab import CLAIMS, MIN_SEEDS, run_claim
from keras_classics.lab import criteria as cr
from keras_classics.utils.results import ResultsTable

TRAINING = [c.id for c in CLAIMS.values() if c.kind == "training"]
MEASURED = [c.id for c in CLAIMS.values() if c.kind != "training"]

# per claim, a "goodness" g per arm (high test accuracy, low training loss, small train-test gap) that makes it hold;
# reflected (1.4 - g: the good arms become the bad ones) it must not hold.
HOLDS = {
    "relu-vs-tanh": {"relu": 0.9, "tanh": 0.5, "sigmoid": 0.5},
    "relu-deep-stack": {"relu": 0.9, "sigmoid": 0.5},
    "dropout": {"dropout": 0.9, "none": 0.5},
    "augmentation": {"crop": 0.9, "none": 0.5},
    "overlapping-pooling": {"overlapping": 0.9, "non-overlapping": 0.5},
    "lrn-not-useful": {"lrn": 0.5, "none": 0.9},
    "gap-overfitting": {"gap": 0.9, "fc": 0.5},
    "aux-classifiers": {"aux": 0.9, "no aux": 0.5},
    "bn-large-lr": {"bn": 0.9, "plain": 0.5},
    "bn-init": {"bn": 0.9, "bn small init": 0.9, "plain": 0.9, "plain small init": 0.1},
    "bn-small-batch": {"bn batch 64": 0.9, "bn batch 2": 0.5, "gn batch 64": 0.9, "gn batch 2": 0.9},
    "plain-vs-residual": {"plain shallow": 0.9, "plain deep": 0.5, "residual shallow": 0.9, "residual deep": 0.9},
}
FAILS = {claim_id: {label: round(1.4 - g, 6) for label, g in arms.items()} for claim_id, arms in HOLDS.items()}


def crafted(goodness, seeds=3, epochs=3, noise=None):
    """A results table in the lab's CSV layout: each arm's figures follow its goodness g (plus per-seed noise)."""
    rows = []
    for label, g in goodness.items():
        for seed in range(seeds):
            value = g + (noise[label][seed] if noise else 0.001 * seed)
            for epoch in range(1, epochs + 1):
                rows.append({"label": label, "seed": str(seed), "epoch": str(epoch), "train_loss": 1 - value + 0.1 * (epochs - epoch),
                             "train_accuracy": 1.0, "val_accuracy": value,
                             "test_accuracy": value if epoch == epochs else np.nan})
    return pd.DataFrame(rows)


def test_every_training_claim_has_crafted_cases():
    assert set(HOLDS) == set(TRAINING)
    for claim_id, arms in HOLDS.items():
        assert set(arms) == {arm.label for arm in CLAIMS[claim_id].experiment.models}, claim_id


@pytest.mark.parametrize("claim_id", TRAINING)
def test_criterion_flips_with_the_numbers(claim_id):
    criterion = CLAIMS[claim_id].criterion
    assert criterion(crafted(HOLDS[claim_id])).status == "holds"
    assert criterion(crafted(FAILS[claim_id])).status == "does not hold"


def test_mixed_seeds_are_inconclusive():
    noise = {"dropout": [0.3, -0.3, 0.3], "none": [0.0, 0.0, 0.0]}
    verdict = CLAIMS["dropout"].criterion(crafted({"dropout": 0.5, "none": 0.5}, noise=noise))
    assert verdict.status == "inconclusive"
    assert "mixed" in verdict.line
    level = CLAIMS["lrn-not-useful"].criterion(crafted({"lrn": 0.5, "none": 0.5}))  # no effect at all: LRN is not useful
    assert level.status == "holds" and "level" in level.line


def test_compare_rule():
    assert cr.compare([0.02, 0.03, 0.01], 0.005) == cr.AHEAD
    assert cr.compare([-0.02, -0.03, -0.01], 0.005) == cr.BEHIND
    assert cr.compare([0.001, -0.002, 0.0], 0.005) == cr.LEVEL
    assert cr.compare([0.02, -0.03, 0.01], 0.005) == cr.MIXED
    assert cr.compare([0.02, 0.03], 0.005) == cr.MIXED  # fewer than 3 seeds decide nothing


def test_cost_claims_match_hand_counts():
    q = lambda claim_id, name: cr.quantity(CLAIMS[claim_id].measure(), name)  # noqa: E731
    kernels = CLAIMS["small-kernels"].measure()
    assert cr.quantity(kernels, "params 5x5, 1 channel") == 26 and cr.quantity(kernels, "params 2x 3x3, 1 channel") == 20
    assert cr.quantity(kernels, "params 5x5, 64 channels") == 102_400 and cr.quantity(kernels, "params 2x 3x3, 64 channels") == 73_728
    assert cr.quantity(kernels, "receptive field 5x5") == cr.quantity(kernels, "receptive field 2x 3x3") == 5
    assert q("bottleneck-tenfold", "MACs 5x5 direct") == 120_422_400
    assert q("bottleneck-tenfold", "MACs 1x1 to 16, then 5x5") == 2_408_448 + 10_035_200
    grouped = CLAIMS["grouped-conv"].measure()
    assert cr.quantity(grouped, "params ungrouped") == 147_456 and cr.quantity(grouped, "params 32 groups") == 4_608
    assert cr.quantity(grouped, "MACs reduction factor") == 32
    gap = CLAIMS["gap-params"].measure()
    trunk = (9 * 1 * 32 + 32) + (9 * 32 * 64 + 64)
    assert cr.quantity(gap, "params, GAP head") == trunk + 64 * 10 + 10
    assert cr.quantity(gap, "params, FC head") == trunk + 4 * 4 * 64 * 128 + 128 + 128 * 10 + 10
    for claim_id, frame in (("small-kernels", kernels), ("grouped-conv", grouped), ("gap-params", gap)):
        measured = frame.dropna(subset=["expected"])
        assert np.allclose(measured["value"], measured["expected"]), claim_id


@pytest.mark.parametrize("claim_id", MEASURED)
def test_measured_claims_hold_and_flip(claim_id):
    claim = CLAIMS[claim_id]
    results = claim.measure()
    assert claim.criterion(results).status == "holds"
    broken = results.copy()
    broken["value"] = broken["value"].where(~broken["quantity"].str.contains("factor"), 1.0)  # cost: no saving
    broken.loc[broken["quantity"].str.contains(r"^(?:BN over|v1 block, input a ReLU)", regex=True), "value"] = 1.0  # exact: a mismatch
    broken.loc[broken["quantity"].str.startswith("params 2x 3x3"), "value"] = 1e9
    assert claim.criterion(broken).status == "does not hold"


def test_exact_claims_figures():
    axes = CLAIMS["norm-axes"].measure()
    for name in ("BN over N,H,W", "LN over C,H,W", "IN over H,W", "GN over C/G,H,W (G=4)"):
        assert cr.quantity(axes, name) < 1e-4, name
    assert cr.quantity(axes, "BN differs from LN") > 0.1
    identity = CLAIMS["residual-identity"].measure()
    assert cr.quantity(identity, "v1 block, input a ReLU output: max |out - in|") == 0
    assert cr.quantity(identity, "v2 (pre-activation) block, any input: max |out - in|") == 0


def _check_outcome(outcome):
    claim = outcome.claim
    assert outcome.csv.exists() and outcome.png.exists() and outcome.json.exists()
    assert outcome.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    record = json.loads(outcome.json.read_text())
    assert record["status"] == outcome.verdict.status and record["claim"] == claim.id
    key = ("backend", "dataset", "label", "seed", "epoch") if claim.kind == "training" else ("quantity",)
    table = ResultsTable(outcome.csv, (), key).read()
    if claim.kind == "training":
        size = claim.experiment.quick
        mine = table[table["backend"] == BACKEND]
        assert len(mine) == len(claim.experiment.arms(True)) * size.seeds * size.epochs
        assert mine["test_accuracy"].notna().sum() == len(claim.experiment.arms(True)) * size.seeds
    else:
        mine = table
    assert claim.criterion(mine.reset_index(drop=True)) == outcome.verdict  # the verdict follows from the CSV's numbers


# Every training claim's quick run is covered on one backend per CI run (the CI budget: 45 minutes for
# the three suites); `keras-classics lab run --all --quick` runs them all on any backend.
QUICK_ON = {
    "jax": ("bn-large-lr",),  # JAX's cheapest quick run (dropout's: 33-93 s on 2 cores)
    "torch": ("plain-vs-residual",),  # aux-classifiers and bn-small-batch: 55-65 s each on PyTorch, 17-27 s on TensorFlow
}
QUICK_ON["tensorflow"] = tuple(c for c in TRAINING if c not in {c for claims in QUICK_ON.values() for c in claims})
QUICK_HERE = list(QUICK_ON.get(BACKEND, ()))


def one_seed(claim):
    """``claim`` with its quick size at one seed: the same arms, data and code path, a third of the builds (the CI
    budget). Whatever the verdict (one seed is too few for most criteria), it must follow from the CSV."""
    if claim.kind != "training":
        return claim
    return replace(claim, experiment=replace(claim.experiment, quick=replace(claim.experiment.quick, seeds=1)))


@pytest.mark.parametrize("claim_id", QUICK_HERE + MEASURED)
def test_quick_run_writes_csv_png_and_verdict(claim_id, tmp_path):
    lines = []
    claim = one_seed(CLAIMS[claim_id])
    outcome = run_claim(claim, out=tmp_path, quick=True, log=lines.append)
    _check_outcome(outcome)
    assert outcome.csv.name == f"{claim_id}-quick.csv"
    assert any(claim_id in line and outcome.verdict.status.upper() in line for line in lines)
    again = run_claim(claim, out=tmp_path, quick=True, log=lines.append)  # resumes: nothing is measured again
    assert again.verdict == outcome.verdict
    assert any("in the CSV already" in line for line in lines)
    assert (tmp_path / "verdicts.csv").exists()


def test_cli_list(capsys):
    assert main(["lab", "list"]) == 0
    out = capsys.readouterr().out
    for claim in CLAIMS.values():
        assert claim.id in out and claim.seed_file in out
    assert "criterion:" in out and "measured:" in out


def test_cli_run_writes_files(tmp_path, capsys):
    assert main(["lab", "run", "bottleneck-tenfold", "--quick", "--out", str(tmp_path)]) == 0
    assert "HOLDS" in capsys.readouterr().out
    assert (tmp_path / "bottleneck-tenfold-quick.png").exists()


@pytest.mark.parametrize("argv, flag, fragment", [
    (["lab", "run", "relu-vs-tan"], "`CLAIM`", "Did you mean relu-vs-tanh"),
    (["lab", "run", "dropout", "--seeds", "2"], "`--seeds`", f">= {MIN_SEEDS}"),
    (["lab", "run", "--all", "dropout"], "`--all`", "not both"),
    (["lab", "run"], "`CLAIM`", "--all"),
    (["lab", "run", "dropout", "--dataset", "/no/such/folder"], "`--dataset`", "digits"),
])
def test_cli_bad_input(argv, flag, fragment, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path)] if argv[1:] != ["run"] else argv) == 2
    err = capsys.readouterr().err
    assert flag in err and fragment in err and "received" in err
    assert not list(tmp_path.iterdir())  # nothing ran


def test_seeds_are_not_checked_for_measured_claims(tmp_path):
    assert main(["lab", "run", "grouped-conv", "--seeds", "1", "--out", str(tmp_path)]) == 0


def test_cli_module_imports_no_backend():
    code = "import sys, keras_classics.cli.lab; assert 'keras' not in sys.modules and 'keras_classics.lab' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
