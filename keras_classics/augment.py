"""Training-time data augmentation, built from names, as Keras preprocessing layers.

``augmentation("crop,flip,pca", ...)`` returns an :class:`Augmentation`, a
function ``(images, labels) -> (images, labels)`` that
:func:`keras_classics.datasets.load_dataset` maps over the training batches
(inside ``tf.data``, so it runs on every backend and never on the accelerator
that trains). Images are channels-last floats in ``[0, 1]`` at this point, before
normalisation. The names, in the order they are applied:

- ``crop``: pad by 1/8 of the size on each side, then a random crop back to size
  (the CIFAR recipe of He et al. 2016; AlexNet's 224-of-256 crops at any size).
- ``flip``: random horizontal flip (AlexNet, VGG, GoogLeNet, ResNet).
- ``pca``: AlexNet's PCA colour augmentation (:class:`~keras_classics.layers.PCALighting`)
  with the eigen-decomposition of the training set's pixel covariance.
- ``randaugment``: ``keras.layers.RandAugment`` (Cubuk et al. 2020).
- ``cv_randaugment``, ``cv_augmix``, ``cv_gridmask``: keras-cv's policies, when
  the ``cv`` extra is installed (``pip install keras-classics[cv]``).
- ``mixup``: ``keras.layers.MixUp`` (Zhang et al. 2018), ``cutmix``:
  ``keras.layers.CutMix`` (Yun et al. 2019). Both mix labels, so they need
  one-hot labels: the datasets switch to them (``Splits.label_mode == "categorical"``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import keras

from keras_classics._validate import bad_argument

AUGMENTATIONS = ("crop", "flip", "pca", "randaugment", "cv_randaugment", "cv_augmix", "cv_gridmask", "mixup", "cutmix")
LABEL_MIXING = ("mixup", "cutmix")
_KERAS_CV_LAYERS = {"cv_randaugment": "RandAugment", "cv_augmix": "AugMix", "cv_gridmask": "GridMask"}


def parse_augment(spec) -> tuple[str, ...]:
    """``None``, ``"crop,flip"`` or ``["crop", "flip"]`` -> ``("crop", "flip")`` in the order applied."""
    if spec is None or spec == "" or spec == "none":
        return ()
    if isinstance(spec, str):
        names = [n.strip().lower().replace("-", "_") for n in spec.split(",") if n.strip()]
    elif isinstance(spec, (list, tuple)) and all(isinstance(n, str) for n in spec):
        names = [n.strip().lower().replace("-", "_") for n in spec]
    else:
        raise bad_argument("augment", spec, "None, a comma-separated string or a list of names from " + ", ".join(AUGMENTATIONS))
    unknown = [n for n in names if n not in AUGMENTATIONS]
    if unknown:
        raise bad_argument("augment", spec, "names from " + ", ".join(AUGMENTATIONS) + f" (unknown: {', '.join(unknown)})")
    return tuple(sorted(set(names), key=AUGMENTATIONS.index))


def _keras_cv_layer(name, seed):
    try:
        keras_cv = importlib.import_module("keras_cv")
    except ImportError:
        raise bad_argument("augment", name, "keras-cv policies only with the `cv` extra installed (pip install 'keras-classics[cv]')") from None
    layer_class = getattr(keras_cv.layers, _KERAS_CV_LAYERS[name])
    return layer_class(value_range=(0, 1), seed=seed) if name != "cv_gridmask" else layer_class(seed=seed)


@dataclass
class Augmentation:
    """The training-time transform: ``(images, labels) -> (images, labels)`` on batches."""

    names: tuple[str, ...]
    image_layers: list = field(default_factory=list)
    label_layers: list = field(default_factory=list)
    pad: tuple[int, int] = (0, 0)  # rows and columns added on each side before a random crop

    @property
    def mixes_labels(self) -> bool:
        return bool(self.label_layers)

    def __call__(self, images, labels):
        if any(self.pad):
            import tensorflow as tf  # runs inside tf.data

            images = tf.pad(images, [[0, 0], [self.pad[0]] * 2, [self.pad[1]] * 2, [0, 0]])
        for layer in self.image_layers:
            images = layer(images, training=True)
        for layer in self.label_layers:
            mixed = layer({"images": images, "labels": labels}, training=True)
            images, labels = mixed["images"], mixed["labels"]
        return images, labels


def augmentation(spec, *, height: int, width: int, channels: int, seed: int = 0, eigenvalues=None, eigenvectors=None) -> Augmentation:
    """Build the augmentation named by ``spec`` for ``height x width x channels`` images in [0, 1].

    ``eigenvalues`` and ``eigenvectors`` (of the training pixels' covariance) are
    needed by ``pca``; :func:`keras_classics.datasets.load_dataset` passes them.
    """
    from keras_classics.layers.pca_lighting import PCALighting

    names = parse_augment(spec)
    aug = Augmentation(names)
    for offset, name in enumerate(names):
        layer_seed = seed + 1000 * offset
        if name == "crop":
            aug.pad = (max(1, height // 8), max(1, width // 8))
            aug.image_layers.append(keras.layers.RandomCrop(height, width, seed=layer_seed, data_format="channels_last"))
        elif name == "flip":
            aug.image_layers.append(keras.layers.RandomFlip("horizontal", seed=layer_seed, data_format="channels_last"))
        elif name == "pca":
            if eigenvalues is None or eigenvectors is None:
                raise bad_argument("augment", "pca", "'pca' with the training set's eigenvalues and eigenvectors (load_dataset computes them)")
            aug.image_layers.append(PCALighting(eigenvalues, eigenvectors, seed=layer_seed))
        elif name in ("randaugment", "cv_randaugment") and channels != 3:
            raise bad_argument("augment", name, f"'{name}' on 3-channel images only (its colour operations need RGB)")
        elif name == "randaugment":
            aug.image_layers.append(keras.layers.RandAugment(value_range=(0, 1), seed=layer_seed, data_format="channels_last"))
        elif name in _KERAS_CV_LAYERS:
            aug.image_layers.append(_keras_cv_layer(name, layer_seed))
        elif name == "mixup":
            aug.label_layers.append(keras.layers.MixUp(seed=layer_seed, data_format="channels_last"))
        elif name == "cutmix":
            aug.label_layers.append(keras.layers.CutMix(seed=layer_seed, data_format="channels_last"))
    return aug
