"""The splits: what :func:`load_dataset` returns, and the stratified split that carves test and validation sets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

TEST_FRACTION = 0.2  # the test split carved out of datasets that have none (digits, folders)
TEST_SEED = 1234  # fixed, so every run and every engineer evaluates on the same images


class SplitSizes(NamedTuple):
    train_size: int
    validation_size: int
    test_size: int


@dataclass
class Splits:
    """What :func:`load_dataset` returns.

    ``train``, ``validation`` and ``test`` are batched ``tf.data.Dataset``
    objects (``validation`` is ``None`` when ``validation_split=0``); ``train``
    is one epoch reshuffled at each pass, ``train_epochs(first, last)`` the
    training split for epochs ``first`` to ``last - 1``, each in an order keyed on
    the seed and the epoch (what resumable training fits, with ``steps_per_epoch``);
    ``batch_size`` is the global batch size (see docs/training.md on replicas).
    ``mean`` and ``std`` are the per-channel statistics the pipelines normalise
    by; ``eigenvalues``/``eigenvectors`` those of the training pixels' covariance
    (in [0, 1] units, for PCA colour augmentation).
    """

    train: Any
    validation: Any
    test: Any
    num_classes: int
    class_names: list
    sizes: SplitSizes
    input_shape: tuple
    batch_size: int
    label_mode: str = "int"
    mean: tuple = ()
    std: tuple = ()
    eigenvalues: tuple = ()
    eigenvectors: tuple = ()
    augment: tuple = ()
    skipped: list = field(default_factory=list)
    train_epochs: Any = None  # (first, last, drop_remainder=False) -> epochs first..last-1 of the training split, each in its own order


    @property
    def train_size(self) -> int:
        return self.sizes.train_size

    @property
    def validation_size(self) -> int:
        return self.sizes.validation_size

    @property
    def test_size(self) -> int:
        return self.sizes.test_size


def _stratified_split(labels, fraction, seed):
    """Indices ``(kept, held_out)``, holding out ``fraction`` of each class (at least one of a class of 2+)."""
    rng = np.random.default_rng(seed)
    kept, held = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n = int(round(fraction * len(idx))) if fraction > 0 else 0
        if fraction > 0 and n == 0 and len(idx) > 1:
            n = 1
        held.append(idx[:n])
        kept.append(idx[n:])
    return np.sort(np.concatenate(kept)), np.sort(np.concatenate(held))
