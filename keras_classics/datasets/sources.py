"""The sources: the embedded digits, the keras.datasets ones and image folders, as arrays or files before any pipeline."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from importlib import resources

import keras
import numpy as np

from keras_classics._validate import bad_argument
from keras_classics.datasets.splits import TEST_FRACTION, TEST_SEED, _stratified_split

_LUMINANCE = np.array([0.2989, 0.5870, 0.1140], "float32")  # RGB -> grey, as tf.image.rgb_to_grayscale


@dataclass
class _Source:
    """A dataset before it becomes pipelines: arrays in memory, or image files."""

    class_names: list
    train: tuple  # (images or paths, labels)
    test: tuple
    scale: float = 1.0 / 255.0  # multiplies the stored pixel values into [0, 1]
    files: bool = False
    skipped: list = field(default_factory=list)
    validation_start: int | None = None  # train[validation_start:] is a fixed validation split (a folder's val/)


def _digits(data_dir):
    with resources.files("keras_classics.data").joinpath("digits.npz").open("rb") as f, np.load(f) as arrays:
        images, labels = arrays["images"], arrays["labels"].astype("int64")
    train_idx, test_idx = _stratified_split(labels, TEST_FRACTION, TEST_SEED)
    return _Source([str(d) for d in range(10)], (images[train_idx], labels[train_idx]), (images[test_idx], labels[test_idx]), scale=1.0 / 16.0)


def digits_arrays():
    """The embedded digits as arrays, ``((train images, labels), (test images, labels))``: 8x8 pixels in 0-16, the library's fixed test split."""
    source = _digits(None)
    return source.train, source.test


_KERAS_DATASETS = {
    "mnist": ("mnist", [str(d) for d in range(10)]),
    "fashion_mnist": ("fashion_mnist", ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]),
    "cifar10": ("cifar10", ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]),
    "cifar100": ("cifar100", [str(c) for c in range(100)]),  # fine labels
}


class _KerasHome:
    """Points ``keras.utils.get_file``'s cache at ``data_dir`` for the duration of a load."""

    def __init__(self, data_dir):
        self.data_dir = data_dir

    def __enter__(self):
        from keras.src.backend import config

        self._config, self._saved = config, config._KERAS_DIR
        if self.data_dir is not None:
            config._KERAS_DIR = os.fspath(self.data_dir)

    def __exit__(self, *exc):
        self._config._KERAS_DIR = self._saved


def _keras_dataset(name, data_dir):
    module, class_names = _KERAS_DATASETS[name]
    loader = getattr(keras.datasets, module)
    try:
        with _KerasHome(data_dir):
            (x_train, y_train), (x_test, y_test) = loader.load_data()
    except Exception as err:  # no internet, a corrupt cache: one clear line
        where = os.path.join(os.fspath(data_dir) if data_dir else "$KERAS_HOME or ~/.keras", "datasets")
        raise bad_argument("name", name, f"a dataset keras.datasets can load (it failed: {str(err).splitlines()[0][:200]}; "
                           f"without internet, place its files in {where})") from None
    y_train, y_test = np.asarray(y_train).reshape(-1).astype("int64"), np.asarray(y_test).reshape(-1).astype("int64")
    return _Source(class_names, (x_train, y_train), (x_test, y_test))


def _decode(path, channels):
    """An image file as float32 ``(height, width, channels)`` in its stored range (0-255).

    TensorFlow decodes GIF and BMP to RGB only (``channels=1`` fails on them):
    those become grey by luminance, as RGB datasets do (:data:`_LUMINANCE`).
    """
    import tensorflow as tf

    contents = tf.io.read_file(path)

    def stored():
        return tf.cast(tf.io.decode_image(contents, channels=channels, expand_animations=False), tf.float32)

    if channels == 1:
        def from_rgb():
            rgb = tf.cast(tf.io.decode_image(contents, channels=3, expand_animations=False), tf.float32)
            return tf.tensordot(rgb, tf.constant(_LUMINANCE), axes=1)[..., None]

        rgb_only = tf.logical_or(tf.strings.substr(contents, 0, 3) == "GIF", tf.strings.substr(contents, 0, 2) == "BM")
        image = tf.cond(rgb_only, from_rgb, stored)
    else:
        image = stored()
    image.set_shape((None, None, channels))
    return image


SPLIT_FOLDERS = ("train", "val", "test")


def split_folders(folder) -> dict:
    """``{"train": path, "test": path, ["val": path]}`` when ``folder`` holds ``train/`` and ``test/`` (each one sub-folder per class), else ``{}``."""
    folder = os.fspath(folder)
    found = {name: os.path.join(folder, name) for name in SPLIT_FOLDERS if os.path.isdir(os.path.join(folder, name))}
    return found if {"train", "test"} <= set(found) else {}


def _class_folders(folder) -> list:
    """The class sub-folders of an image folder, sorted (as keras.utils lists them); of its ``train/`` if it has splits."""
    folder = split_folders(folder).get("train", os.fspath(folder))
    return sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))


def _folder(path, channels):
    """An image folder: one sub-folder per class, or ``train/``, ``test/`` (and ``val/``) each holding one per class.

    Without split folders, a fixed stratified 20 % is the test split; with them, they
    are the splits (``val/``, if there, the validation split instead of a fraction of ``train/``).
    """
    splits = split_folders(path)
    if not splits:
        paths, labels, class_names, skipped = _index_folder(path, channels)
        train_idx, test_idx = _stratified_split(labels, TEST_FRACTION, TEST_SEED)
        return _Source(class_names, (paths[train_idx], labels[train_idx]), (paths[test_idx], labels[test_idx]), files=True, skipped=skipped)
    indexed = {name: _index_folder(where, channels) for name, where in splits.items()}
    class_names = indexed["train"][2]
    for name, (_, _, names, _) in indexed.items():
        if names != class_names:
            raise bad_argument("name", os.fspath(path), f"train/, test/ (and val/) holding the same class folders ({os.path.join(os.fspath(path), name)} has "
                                                         f"{names}, train/ has {class_names})")
    train_paths, train_labels, _, skipped = indexed["train"]
    validation_start = None
    if "val" in indexed:
        validation_start = len(train_labels)
        train_paths = np.concatenate([train_paths, indexed["val"][0]])
        train_labels = np.concatenate([train_labels, indexed["val"][1]])
    test_paths, test_labels = indexed["test"][:2]
    skipped = [p for part in indexed.values() for p in part[3]]
    return _Source(class_names, (train_paths, train_labels), (test_paths, test_labels), files=True, skipped=skipped, validation_start=validation_start)


def _index_folder(path, channels):
    """Index an image folder with keras.utils, then decode every image once to find bad ones: ``(paths, labels, class_names, skipped)``."""
    import tensorflow as tf

    folder = os.fspath(path)
    allowed = "a folder with one sub-folder of images per class, at least 2 classes"
    classes = _class_folders(folder)
    if len(classes) < 2:
        raise bad_argument("name", folder, f"{allowed} (found {len(classes)} sub-folder{'s' * (len(classes) != 1)})")
    try:
        listing = keras.utils.image_dataset_from_directory(folder, labels="inferred", batch_size=None, shuffle=False, verbose=False)
    except ValueError as err:
        raise bad_argument("name", folder, f"{allowed} ({str(err).splitlines()[0]})") from None
    class_names = list(listing.class_names)
    paths = list(listing.file_paths)
    labels = np.array([class_names.index(os.path.relpath(p, folder).split(os.sep)[0]) for p in paths], "int64")
    good, skipped = [], []
    for i, p in enumerate(paths):
        try:
            image = _decode(p, channels)
            if image.shape[0] == 0 or image.shape[1] == 0:
                raise ValueError("empty image")
            good.append(i)
        except (tf.errors.OpError, ValueError) as err:
            skipped.append(p)
            warnings.warn(f"keras_classics.datasets: skipping unreadable image {p}: {str(err).splitlines()[0][:120]}", stacklevel=3)
    labels = labels[good]
    paths = np.array(paths, dtype=object)[good]
    counts = np.bincount(labels, minlength=len(class_names))
    empty = [os.path.join(folder, c) for c, n in zip(class_names, counts) if n == 0]
    if empty:  # a class without images would still be a class (an output no label ever trains)
        raise bad_argument("name", folder, f"{allowed}, each holding readable images (no readable image in the class folder "
                           f"{', '.join(empty)}; readable images per class: {dict(zip(class_names, counts.tolist()))})")
    return paths, labels, class_names, skipped
