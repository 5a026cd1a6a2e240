"""``load_dataset``: a dataset's name or folder in, train / validation / test pipelines out."""

from __future__ import annotations

import os

import numpy as np

from keras_classics._validate import bad_argument, check_fraction, check_int
from keras_classics.datasets.pipeline import _parse_input_shape, _pipeline, _statistics
from keras_classics.datasets.sources import _KERAS_DATASETS, _class_folders, _digits, _folder, _keras_dataset
from keras_classics.datasets.splits import SplitSizes, Splits, _stratified_split

DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10", "cifar100")
_ALLOWED = "one of " + ", ".join(repr(d) for d in DATASETS) + " or a path to an image folder with one sub-folder per class"


def check_dataset(argument: str, name) -> str:
    """``name`` as a string if it is one of ``DATASETS`` or an existing folder; checked before anything is loaded."""
    if isinstance(name, (str, os.PathLike)) and (os.fspath(name) in DATASETS or os.path.isdir(os.fspath(name))):
        return os.fspath(name)
    raise bad_argument(argument, name, _ALLOWED)


def check_data_dir(argument: str, data_dir):
    """``None`` or a folder for Keras's download cache (it need not exist yet)."""
    if data_dir is not None and (not isinstance(data_dir, (str, os.PathLike)) or (os.path.exists(data_dir) and not os.path.isdir(data_dir))):
        raise bad_argument(argument, data_dir, "None or a folder (Keras's cache, holding datasets/)")
    return data_dir


def dataset_classes(name) -> int:
    """How many classes ``name`` has, without loading it (a folder: its sub-folders)."""
    name = check_dataset("name", name)
    if name == "digits":
        return 10
    if name in _KERAS_DATASETS:
        return len(_KERAS_DATASETS[name][1])
    return len(_class_folders(name))


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
        validation_split: fraction of the training data held out for validation (0 for none);
            a folder with ``train/``, ``val/`` and ``test/`` sub-folders uses its ``val/`` instead.
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

    path = check_dataset("name", name)
    if path in DATASETS:
        source = _digits(data_dir) if path == "digits" else _keras_dataset(path, data_dir)
    else:
        source = _folder(name, channels)

    num_classes = len(source.class_names)
    train_labels = source.train[1]
    if source.validation_start is not None:  # a folder's val/: the validation split as given
        train_idx, val_idx = np.arange(source.validation_start), np.arange(source.validation_start, len(train_labels))
    elif validation_split > 0:
        train_idx, val_idx = _stratified_split(train_labels, validation_split, seed)
    else:
        train_idx, val_idx = np.arange(len(train_labels)), np.array([], "int64")
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
        train_epochs=lambda first, last, drop_remainder=False: _pipeline(
            source, train_idx, kind="train", augmentation=aug, epochs=(first, last), drop_remainder=drop_remainder, **common),
    )
