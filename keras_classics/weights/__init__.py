"""Trained weights for our graphs: Keras files, keras.applications' ImageNet weights, torchvision and timm checkpoints.

- :mod:`~keras_classics.weights.applications`: keras.applications' ImageNet files
  (``weights="imagenet"`` where Keras has them) and Keras weight files, by graph order.
- :mod:`~keras_classics.weights.catalogue`: every named checkpoint (source, URL or hub
  repository, hash, preprocessing, published accuracy), read from
  ``keras_classics/data/checkpoints.csv``; ``available_weights(name)``.
- :mod:`~keras_classics.weights.convert`: a torchvision/timm state_dict into a model,
  tensor by tensor by name (:func:`~keras_classics.weights.convert.load_state_dict`).
- :mod:`~keras_classics.weights.rules`: per family, our layer names -> the source's keys.
- :mod:`~keras_classics.weights.download`: fetching a named checkpoint into the cache,
  its hash checked.
- :mod:`~keras_classics.weights.loading`: what a builder's ``weights=`` means.

Importing this package does not import Keras (``keras-classics weights`` prints the
catalogue at once).
"""

from __future__ import annotations

from typing import Optional

# Where downloads are cached; ``None`` means Keras's own default (``~/.keras``, or
# ``$KERAS_HOME``). Read at download time, so tests can point it at a temporary folder.
CACHE_DIR: Optional[str] = None

from keras_classics.weights.applications import (  # noqa: E402  (reads CACHE_DIR above at call time)
    PRETRAINED,
    Pretrained,
    WeightFile,
    fetch,
    load_file,
    load_imagenet,
    transfer_weights,
    weighted_layers,
)
from keras_classics.weights.catalogue import available_weights, preprocessing  # noqa: E402

__all__ = [
    "CACHE_DIR", "PRETRAINED", "Pretrained", "WeightFile", "available_weights", "fetch", "load_file",
    "load_imagenet", "preprocessing", "transfer_weights", "weighted_layers",
]
