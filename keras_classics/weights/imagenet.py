"""What travels with ImageNet weights: their preprocessing and the 1,000 class names.

- :func:`preprocess_input` does to a batch of 0-255 RGB pixels what the checkpoint's
  source did in training (``keras.applications``' ``preprocess_input`` for its
  modes: ``torch`` = ``(x / 255 - mean) / std``, ``tf`` = ``x / 127.5 - 1``,
  ``caffe`` = RGB -> BGR and the BGR means subtracted), read from the checkpoint's
  row of the catalogue, so the same call is right for every network and source.
- :func:`load_images` reads image files the way the source evaluates: the shorter
  side resized to the row's ``resize``, a center crop of ``size``.
- :func:`decode_predictions` turns ``(N, 1000)`` scores into Keras's
  ``[(wordnet id, name, score), ...]`` per image, from
  ``keras_classics/data/imagenet_classes.csv``, shipped with the package (nothing to
  download): the WordNet ids in ImageNet-1k's class order as timm's
  ``imagenet_synsets.txt`` lists them, the short names as torchvision's weight
  metadata gives them.
"""

from __future__ import annotations

import csv
import functools
from importlib import resources

import numpy as np

from keras_classics._validate import bad_argument
from keras_classics.weights.catalogue import preprocessing


@functools.lru_cache(maxsize=1)
def imagenet_classes() -> tuple[tuple[str, str], ...]:
    """``((wordnet id, name), ...)`` of the 1,000 ImageNet-1k classes, in the order of the networks' outputs."""
    text = resources.files("keras_classics.data").joinpath("imagenet_classes.csv").read_text(encoding="utf-8")
    return tuple((row["wnid"], row["name"]) for row in csv.DictReader(text.splitlines()))


def preprocess_input(x, name: str, weights: str = "imagenet", data_format=None):
    """``x``: 0-255 RGB pixels ``(N, H, W, 3)`` (``(N, 3, H, W)`` under ``channels_first``), as the checkpoint ``weights`` of ``name`` takes them.

    Returns a new float32 array. ``weights`` names a checkpoint as a builder's
    ``weights=`` does (``"imagenet"``, ``"torchvision"``, ``"timm:resnet50.a1_in1k"``);
    ``keras-classics weights NAME`` lists them.
    """
    recipe = preprocessing(name, weights)
    channels_last = _channels_last(data_format)
    x = np.asarray(x, dtype="float32")
    axis = -1 if channels_last else (1 if x.ndim == 4 else 0)
    if x.ndim not in (3, 4) or x.shape[axis] != 3:
        raise bad_argument("x", f"an array of shape {x.shape}", f"RGB images (..., height, width, 3) in 0-255{'' if channels_last else ' (channels first: (..., 3, height, width))'}")
    shape = [1] * x.ndim
    shape[axis] = 3
    mean, std = np.reshape(recipe.mean, shape).astype("float32"), np.reshape(recipe.std, shape).astype("float32")
    out = (x / 255.0 - mean) / std
    if recipe.channels == "BGR":
        out = np.flip(out, axis=axis)
    return np.ascontiguousarray(out, dtype="float32")


def load_images(paths, name: str, weights: str = "imagenet", data_format=None) -> np.ndarray:
    """Image files as the checkpoint's source evaluates them: RGB, shorter side to ``resize``, center crop ``size``; 0-255, not normalised."""
    from PIL import Image

    recipe = preprocessing(name, weights)
    resample = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "nearest": Image.NEAREST}.get(recipe.interpolation, Image.BILINEAR)
    batch = []
    for path in paths:
        try:
            image = Image.open(path).convert("RGB")
        except Exception as err:  # PIL's UnidentifiedImageError, a truncated file, a folder
            raise bad_argument("images", str(path), f"an image file PIL can read ({type(err).__name__}: {' '.join(str(err).split())[:200]})") from None
        scale = recipe.resize / min(image.size)
        width, height = max(recipe.size, round(image.width * scale)), max(recipe.size, round(image.height * scale))
        image = image.resize((width, height), resample)
        left, top = (width - recipe.size) // 2, (height - recipe.size) // 2
        array = np.asarray(image.crop((left, top, left + recipe.size, top + recipe.size)), dtype="float32")
        batch.append(array if _channels_last(data_format) else np.moveaxis(array, -1, 0))
    return np.stack(batch)


def decode_predictions(preds, top: int = 5) -> list:
    """``[[(wordnet id, name, score), ...] per image]``, best first, as ``keras.applications``' ``decode_predictions``."""
    from keras_classics._validate import check_int

    check_int("top", top, minimum=1)
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise bad_argument("preds", f"an array of shape {preds.shape}", "scores of shape (samples, 1000): an ImageNet classifier's outputs")
    classes = imagenet_classes()
    return [[(*classes[i], float(row[i])) for i in np.argsort(row)[::-1][:top]] for row in preds]


def _channels_last(data_format) -> bool:
    if data_format is None:
        import keras

        data_format = keras.config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise bad_argument("data_format", data_format, "None, 'channels_last' or 'channels_first'")
    return data_format == "channels_last"
