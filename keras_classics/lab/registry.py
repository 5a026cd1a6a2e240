"""Every claim of the lab, by id: one record each, in the order the notes raise them."""

from __future__ import annotations

import difflib

from keras_classics.lab.claim import Claim
from keras_classics.lab.claims_measured import MEASURED_CLAIMS
from keras_classics.lab.claims_training import TRAINING_CLAIMS

CLAIMS: dict[str, Claim] = {claim.id: claim for claim in (*TRAINING_CLAIMS, *MEASURED_CLAIMS)}


def claim_ids() -> list[str]:
    return list(CLAIMS)


def get_claim(claim_id: str, *, argument: str = "claim") -> Claim:
    """The claim ``claim_id``; an unknown id raises ``ValueError`` naming ``argument`` and the closest ids."""
    if claim_id in CLAIMS:
        return CLAIMS[claim_id]
    close = difflib.get_close_matches(str(claim_id), list(CLAIMS), n=3, cutoff=0.4)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"`{argument}`: received {claim_id!r}; allowed: one of {', '.join(CLAIMS)}.{hint}")
