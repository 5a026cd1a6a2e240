"""Datasets: train / validation / test pipelines that any registry model can take.

``load_dataset(name, input_shape=...)`` returns :class:`Splits` whose ``train``,
``validation`` and ``test`` are batched ``tf.data.Dataset`` objects of
``(images, labels)``. Keras 3 accepts them in ``model.fit`` / ``model.evaluate``
on every backend (TensorFlow, JAX, PyTorch), and TensorFlow's distribution
strategies shard them across replicas. The pipelines

1. scale pixels to [0, 1],
2. convert the channel count (grey -> RGB by repetition, RGB -> grey by luminance),
3. resize to the requested height and width (bilinear, antialiased),
4. augment the training batches (:mod:`keras_classics.augment`), and
5. normalise each channel by the training split's mean and standard deviation,

so the user never has to. Labels are integers (``label_mode="int"``, for
``sparse_categorical_crossentropy``), or one-hot (``label_mode="categorical"``)
with ``one_hot=True`` or label-mixing augmentation (MixUp, CutMix).

Datasets (``DATASETS``):

- ``digits``: scikit-learn's 1,797 handwritten digits, 8x8 grey (UCI ML
  hand-written digits), shipped inside the package as ``data/digits.npz``; no
  download, no scikit-learn needed. It has no official test split: a fixed
  stratified 20 % (360 images) is the test split whatever ``seed`` says.
- ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100`` (fine labels): through
  ``keras.datasets``, which downloads them once into Keras's cache
  (``$KERAS_HOME/datasets``, ``~/.keras/datasets``; ``data_dir`` overrides it).
  Their own test splits are the test splits.
- a path to a folder with one sub-folder of images per class (as
  ``keras.utils.image_dataset_from_directory`` lists them): every image is
  decoded once up front; unreadable or corrupt ones are reported by path
  (``Splits.skipped`` and a warning) and left out, so an epoch never crashes on
  one. A fixed stratified 20 % is the test split.

The validation split is a stratified ``validation_split`` of what remains for
training, drawn with ``seed``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, NamedTuple

import keras
import numpy as np

from keras_classics._validate import bad_argument, check_fraction, check_int

DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10", "cifar100")
TEST_FRACTION = 0.2  # the test split carved out of datasets that have none (digits, folders)
TEST_SEED = 1234  # fixed, so every run and every engineer evaluates on the same images
STATS_SAMPLE = 2000  # images used to estimate the channel statistics of large datasets
_LUMINANCE = np.array([0.2989, 0.5870, 0.1140], "float32")  # as tf.image.rgb_to_grayscale


class SplitSizes(NamedTuple):
    train_size: int
    validation_size: int
    test_size: int


@dataclass
class Splits:
    """What :func:`load_dataset` returns.

    ``train``, ``validation`` and ``test`` are batched ``tf.data.Dataset``
    objects (``validation`` is ``None`` when ``validation_split=0``);
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

    @property
    def train_size(self) -> int:
        return self.sizes.train_size

    @property
    def validation_size(self) -> int:
        return self.sizes.validation_size

    @property
    def test_size(self) -> int:
        return self.sizes.test_size


# --------------------------------------------------------------------------- sources


@dataclass
class _Source:
    """A dataset before it becomes pipelines: arrays in memory, or image files."""

    class_names: list
    train: tuple  # (images or paths, labels)
    test: tuple
    scale: float = 1.0 / 255.0  # multiplies the stored pixel values into [0, 1]
    files: bool = False
    skipped: list = field(default_factory=list)


def _digits(data_dir):
    with resources.files("keras_classics.data").joinpath("digits.npz").open("rb") as f, np.load(f) as arrays:
        images, labels = arrays["images"], arrays["labels"].astype("int64")
    train_idx, test_idx = _stratified_split(labels, TEST_FRACTION, TEST_SEED)
    return _Source([str(d) for d in range(10)], (images[train_idx], labels[train_idx]), (images[test_idx], labels[test_idx]), scale=1.0 / 16.0)


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
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
    image.set_shape((None, None, channels))
    return image


def _folder(path, channels):
    """Index an image folder with keras.utils, then decode every image once to find bad ones."""
    import tensorflow as tf

    folder = os.fspath(path)
    allowed = "a folder with one sub-folder of images per class, at least 2 classes"
    classes = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
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
    if (counts > 0).sum() < 2:
        raise bad_argument("name", folder, f"{allowed} with readable images (readable images per class: {dict(zip(class_names, counts.tolist()))})")
    train_idx, test_idx = _stratified_split(labels, TEST_FRACTION, TEST_SEED)
    return _Source(class_names, (paths[train_idx], labels[train_idx]), (paths[test_idx], labels[test_idx]), files=True, skipped=skipped)


# --------------------------------------------------------------------------- helpers


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


def _convert_channels_np(images, channels):
    images = images if images.ndim == 4 else images[..., None]
    if images.shape[-1] == channels:
        return images
    if images.shape[-1] == 1:
        return np.repeat(images, channels, axis=-1)
    if channels == 1 and images.shape[-1] == 3:
        return (images @ _LUMINANCE)[..., None]
    raise bad_argument("input_shape", channels, f"1 or 3 channels, or the dataset's own {images.shape[-1]}")


def _pixel_statistics(images, channels):
    """Per-channel mean and std, and the eigen-decomposition of the channel covariance, in [0, 1] units."""
    pixels = images.reshape(-1, channels).astype("float64")
    mean = pixels.mean(axis=0)
    cov = np.atleast_2d(np.cov(pixels, rowvar=False))
    std = np.sqrt(np.maximum(np.diag(cov), 1e-12))
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    eigenvalues = np.maximum(eigenvalues, 0.0)
    return tuple(mean.tolist()), tuple(std.tolist()), tuple(eigenvalues.tolist()), tuple(map(tuple, eigenvectors.tolist()))


def _statistics(source, train_idx, channels, seed):
    rng = np.random.default_rng(seed)
    pick = train_idx if len(train_idx) <= STATS_SAMPLE else rng.choice(train_idx, STATS_SAMPLE, replace=False)
    images, _ = source.train
    if source.files:
        pixels = [np.asarray(_decode(p, channels), "float32").reshape(-1, channels) * source.scale for p in images[pick]]
        return _pixel_statistics(np.concatenate(pixels), channels)
    sample = _convert_channels_np(np.asarray(images[pick], "float32") * source.scale, channels)
    return _pixel_statistics(sample, channels)


def _parse_input_shape(input_shape):
    channels_last = keras.config.image_data_format() == "channels_last"
    if not (isinstance(input_shape, (tuple, list)) and len(input_shape) == 3 and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in input_shape)):
        raise bad_argument("input_shape", input_shape, "(height, width, channels) of positive integers (channels first under channels_first)")
    height, width, channels = input_shape if channels_last else (input_shape[1], input_shape[2], input_shape[0])
    if channels not in (1, 3):
        raise bad_argument("input_shape", tuple(input_shape), "1 (grey) or 3 (RGB) channels")
    return height, width, channels, channels_last


# --------------------------------------------------------------------------- pipelines


def _pipeline(source, indices, *, kind, batch_size, height, width, channels, channels_last, mean, std, one_hot, num_classes, seed, augmentation):
    """A batched tf.data pipeline over ``indices`` of ``source.train`` (or all of the test split)."""
    import tensorflow as tf

    images, labels = source.test if kind == "test" else source.train
    if indices is not None:
        images, labels = images[indices], labels[indices]
    if source.files:
        images = np.array([str(p) for p in images])
    ds = tf.data.Dataset.from_tensor_slices((images, labels.astype("int32")))
    if kind == "train":
        ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    scale = np.float32(source.scale)

    if source.files:
        # files differ in size: decode and resize one by one, then batch
        def load(path, label):
            image = tf.image.resize(tf.cast(_decode(path, channels), tf.float32) * scale, (height, width), antialias=True)
            return image, label

        ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
    else:
        stored = images.shape[1:3]

        def load(image, label):
            x = tf.cast(image, tf.float32) * scale
            if len(x.shape) == 3:
                x = x[..., None]
            if x.shape[-1] != channels:
                x = tf.repeat(x, channels, axis=-1) if x.shape[-1] == 1 else tf.tensordot(x, tf.constant(_LUMINANCE), axes=1)[..., None]
            if tuple(stored) != (height, width):
                x = tf.image.resize(x, (height, width), antialias=True)
            return x, label

        ds = ds.batch(batch_size).map(load, num_parallel_calls=tf.data.AUTOTUNE)

    mean_t, std_t = tf.constant(mean, tf.float32), tf.constant(std, tf.float32)

    def finish(x, y):
        if one_hot:
            y = tf.one_hot(y, num_classes)
        return x, y

    ds = ds.map(finish)
    if kind == "train" and augmentation is not None and augmentation.names:
        ds = ds.map(augmentation, num_parallel_calls=tf.data.AUTOTUNE)

    def normalise(x, y):
        x = (x - mean_t) / std_t
        if not channels_last:
            x = tf.transpose(x, (0, 3, 1, 2))
        return x, y

    ds = ds.map(normalise, num_parallel_calls=tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.deterministic = True
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)


def load_dataset(
    name="digits",
    *,
    input_shape,
    batch_size=64,
    validation_split=0.1,
    seed=0,
    augment=None,
    data_dir=None,
    one_hot=False,
) -> Splits:
    """Train / validation / test pipelines for ``name``, shaped for a model taking ``input_shape``.

    Args:
        name: one of ``DATASETS`` or a path to an image folder (one sub-folder per class).
        input_shape: the model's input, ``(height, width, channels)`` (channels
            first under ``channels_first``); 1 or 3 channels.
        batch_size: the global batch size (split across replicas when distributed).
        validation_split: fraction of the training data held out for validation (0 for none).
        seed: shuffling, the validation split and augmentation draw from it.
        augment: ``None`` or names for :func:`keras_classics.augment.augmentation`
            (``"crop,flip"``, ``["pca"]``), applied to the training split only.
        data_dir: Keras's cache folder for the ``keras.datasets`` ones (it holds
            ``datasets/``); default ``$KERAS_HOME`` or ``~/.keras``.
        one_hot: one-hot labels (for label smoothing); forced by MixUp/CutMix.

    Raises ``ValueError`` for an unknown name, an empty or one-class folder, a
    batch larger than the training split, or a bad shape.
    """
    from keras_classics.augment import LABEL_MIXING, augmentation as build_augmentation, parse_augment

    height, width, channels, channels_last = _parse_input_shape(input_shape)
    check_int("batch_size", batch_size, minimum=1)
    check_fraction("validation_split", validation_split)
    check_int("seed", seed, minimum=0)
    names = parse_augment(augment)
    one_hot = bool(one_hot) or any(n in LABEL_MIXING for n in names)

    if isinstance(name, (str, os.PathLike)) and os.fspath(name) in DATASETS:
        source = _digits(data_dir) if name == "digits" else _keras_dataset(os.fspath(name), data_dir)
    elif isinstance(name, (str, os.PathLike)) and os.path.isdir(os.fspath(name)):
        source = _folder(name, channels)
    else:
        raise bad_argument("name", name, "one of " + ", ".join(repr(d) for d in DATASETS) + " or a path to an image folder with one sub-folder per class")

    num_classes = len(source.class_names)
    train_labels = source.train[1]
    train_idx, val_idx = _stratified_split(train_labels, validation_split, seed) if validation_split > 0 else (np.arange(len(train_labels)), np.array([], "int64"))
    if batch_size > len(train_idx):
        raise bad_argument("batch_size", batch_size, f"at most {len(train_idx)}, the size of the training split")
    mean, std, eigenvalues, eigenvectors = _statistics(source, train_idx, channels, seed)
    aug = build_augmentation(names, height=height, width=width, channels=channels, seed=seed, eigenvalues=eigenvalues, eigenvectors=eigenvectors) if names else None

    common = dict(batch_size=batch_size, height=height, width=width, channels=channels, channels_last=channels_last, mean=mean, std=std,
                  one_hot=one_hot, num_classes=num_classes, seed=seed)
    train = _pipeline(source, train_idx, kind="train", augmentation=aug, **common)
    validation = _pipeline(source, val_idx, kind="validation", augmentation=None, **common) if len(val_idx) else None
    test = _pipeline(source, None, kind="test", augmentation=None, **common)
    return Splits(
        train=train,
        validation=validation,
        test=test,
        num_classes=num_classes,
        class_names=list(source.class_names),
        sizes=SplitSizes(len(train_idx), len(val_idx), len(source.test[1])),
        input_shape=tuple(input_shape),
        batch_size=batch_size,
        label_mode="categorical" if one_hot else "int",
        mean=mean,
        std=std,
        eigenvalues=eigenvalues,
        eigenvectors=eigenvectors,
        augment=names,
        skipped=list(source.skipped),
    )
