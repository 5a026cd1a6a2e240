"""The claims lab: the lecture notes' claims about the classic CNNs, measured and decided.

Each claim (:class:`Claim`) quotes its source in the notes (``/work/shared/seeds``),
says what is measured and states its criterion in words before anything runs; a
pure function ``criterion(results) -> Verdict`` decides it from the measured
table. Three kinds:

- ``cost``: parameters and multiply-accumulates by :func:`keras_classics.profile`;
- ``exact``: numerical identities checked on a tensor;
- ``training``: a declarative :class:`Experiment` (arms that differ in one knob,
  the data, at least three seeds, a ``quick`` and a ``full`` size).

``run_claim(CLAIMS["dropout"], quick=True)`` writes ``results/lab/dropout-quick.{csv,png,json}``;
``keras-classics lab`` is the command line. One concern per module: :mod:`.claim`
(records), :mod:`.criteria` (the comparison rule), :mod:`.claims_training` and
:mod:`.claims_measured` (the claims, data), :mod:`.measures` (cost and exact
measurements), :mod:`.models` and :mod:`.train` (the experiments' networks and
training), :mod:`.runner` (files), :mod:`.plots` (PNGs), :mod:`.registry` (lookup).
"""

from keras_classics.lab.claim import KINDS, VERDICTS, Claim, Experiment, Model, Size, Verdict
from keras_classics.lab.registry import CLAIMS, claim_ids, get_claim
from keras_classics.lab.runner import DEFAULT_OUT, MIN_SEEDS, Outcome, check_request, run_claim, run_claims

__all__ = [
    "CLAIMS", "DEFAULT_OUT", "KINDS", "MIN_SEEDS", "VERDICTS",
    "Claim", "Experiment", "Model", "Outcome", "Size", "Verdict",
    "check_request", "claim_ids", "get_claim", "run_claim", "run_claims",
]
