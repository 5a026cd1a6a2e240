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
  decoded once up front (PNG, JPEG, GIF, BMP; GIF and BMP become grey by
  luminance when one channel is asked); unreadable or corrupt ones are reported
  by path (``Splits.skipped`` and a warning) and left out, so an epoch never
  crashes on one. A class folder without a readable image is an error naming it.
  A fixed stratified 20 % is the test split. A folder holding ``train/`` and
  ``test/`` (and optionally ``val/``), each with one sub-folder per class (the
  same classes), gives its own splits instead: ``val/`` replaces ``validation_split``.

The validation split is a stratified ``validation_split`` of what remains for
training, drawn with ``seed``.
"""

from keras_classics.datasets.load import DATASETS, check_data_dir, check_dataset, dataset_classes, load_dataset
from keras_classics.datasets.pipeline import STATS_SAMPLE
from keras_classics.datasets.sources import digits_arrays
from keras_classics.datasets.splits import TEST_FRACTION, TEST_SEED, Splits, SplitSizes

__all__ = ["load_dataset", "check_data_dir", "check_dataset", "dataset_classes", "DATASETS", "Splits", "SplitSizes", "TEST_FRACTION", "TEST_SEED", "STATS_SAMPLE", "digits_arrays"]
