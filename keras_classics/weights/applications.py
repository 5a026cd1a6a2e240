"""keras.applications' ImageNet weights, and Keras weight files.

``transfer_weights(source, target)`` copies weights between two models of the
same architecture whatever their layer names: it pairs the layers that own
weights in graph order and checks every shape. That is how ``weights="imagenet"``
works (Keras's file is loaded into the matching ``keras.applications`` model,
then transferred) and how the fidelity tests prove our graphs equal Keras's.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

_KERAS_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclass(frozen=True)
class WeightFile:
    fname: str
    origin: str
    file_hash: str


@dataclass(frozen=True)
class Pretrained:
    """ImageNet weights published for a ``keras.applications`` model."""

    application: str  # the keras.applications builder, e.g. "VGG16"
    top: WeightFile
    notop: WeightFile

    def file(self, include_top: bool) -> WeightFile:
        return self.top if include_top else self.notop


def _keras_app_files(folder, stem, top_hash, notop_hash):
    top = f"{stem}_weights_tf_dim_ordering_tf_kernels.h5"
    notop = f"{stem}_weights_tf_dim_ordering_tf_kernels_notop.h5"
    return (
        WeightFile(top, _KERAS_APPLICATIONS + f"{folder}/{top}", top_hash),
        WeightFile(notop, _KERAS_APPLICATIONS + f"{folder}/{notop}", notop_hash),
    )


# registry key -> the files keras.applications downloads (names, origins and
# md5 hashes as in keras/src/applications/*.py).
PRETRAINED: dict[str, Pretrained] = {
    "vgg16": Pretrained("VGG16", *_keras_app_files("vgg16", "vgg16", "64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc")),
    "vgg19": Pretrained("VGG19", *_keras_app_files("vgg19", "vgg19", "cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6")),
    "inception_v3": Pretrained("InceptionV3", *_keras_app_files("inception_v3", "inception_v3", "9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")),
    "resnet50": Pretrained("ResNet50", *_keras_app_files("resnet", "resnet50", "2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626")),
    "resnet101": Pretrained("ResNet101", *_keras_app_files("resnet", "resnet101", "f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21")),
    "resnet152": Pretrained("ResNet152", *_keras_app_files("resnet", "resnet152", "100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c")),
    "resnet50_v2": Pretrained("ResNet50V2", *_keras_app_files("resnet", "resnet50v2", "3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917")),
    "resnet101_v2": Pretrained("ResNet101V2", *_keras_app_files("resnet", "resnet101v2", "6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5")),
    "resnet152_v2": Pretrained("ResNet152V2", *_keras_app_files("resnet", "resnet152v2", "a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33")),
    "densenet121": Pretrained("DenseNet121", *_keras_app_files("densenet", "densenet121", "9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738")),
    "densenet169": Pretrained("DenseNet169", *_keras_app_files("densenet", "densenet169", "d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b")),
    "densenet201": Pretrained("DenseNet201", *_keras_app_files("densenet", "densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1")),
}


def cache_dir():
    """``keras_classics.weights.CACHE_DIR``, read at call time (tests set it)."""
    return sys.modules["keras_classics.weights"].CACHE_DIR


def weighted_layers(model) -> list:
    """Layers that own weights, nested models flattened, in graph order."""
    import keras

    out = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out.extend(weighted_layers(layer))
        elif layer.weights:
            out.append(layer)
    return out


def transfer_weights(source, target) -> None:
    """Copy every weight of ``source`` into ``target``, pairing weighted layers in order.

    Raises ``ValueError`` naming the first pair whose weights differ in number or shape.
    """
    src_layers, dst_layers = weighted_layers(source), weighted_layers(target)
    if len(src_layers) != len(dst_layers):
        raise ValueError(
            f"`weights`: the source model has {len(src_layers)} layers with weights, the target has "
            f"{len(dst_layers)}; allowed: weights of the same architecture."
        )
    for src, dst in zip(src_layers, dst_layers):
        src_shapes = [tuple(w.shape) for w in src.weights]
        dst_shapes = [tuple(w.shape) for w in dst.weights]
        if src_shapes != dst_shapes:
            raise ValueError(
                f"`weights`: layer {src.name!r} has weight shapes {src_shapes} but our {dst.name!r} has "
                f"{dst_shapes}; allowed: weights of the same architecture."
            )
    for src, dst in zip(src_layers, dst_layers):
        dst.set_weights(src.get_weights())


def fetch(key: str, include_top: bool) -> str:
    """Path of the cached weight file for ``PRETRAINED[key]``, downloading it if needed."""
    import keras

    spec = PRETRAINED[key].file(include_top)
    try:
        return keras.utils.get_file(
            spec.fname, spec.origin, cache_subdir="models", file_hash=spec.file_hash, cache_dir=cache_dir()
        )
    except Exception as err:  # no network, bad hash: say what and where
        raise ValueError(
            f"`weights`: received 'imagenet' but {spec.fname} could not be fetched from {spec.origin} ({err}); "
            "allowed: 'imagenet' where that file can be downloaded or is already in Keras's cache, None, or a weights file path."
        ) from err


def load_imagenet(model, key: str, include_top: bool) -> None:
    """Load keras.applications' ImageNet weights for ``key`` into ``model`` (any layer names)."""
    import keras

    spec = PRETRAINED[key]
    path = fetch(key, include_top)
    application = getattr(keras.applications, spec.application)
    source = application(weights=None, include_top=include_top, input_shape=tuple(model.input_shape[1:]))
    source.load_weights(path)
    transfer_weights(source, model)


def load_file(model, path) -> None:
    """Load a ``.weights.h5`` / ``.h5`` file, or the weights of a ``.keras`` model, into ``model``."""
    import keras

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"`weights`: received {path!r}, which is not an existing file; allowed: None, 'imagenet' where available, or a path to a weights file.")
    try:
        if path.endswith(".keras"):
            transfer_weights(keras.saving.load_model(path, compile=False), model)
        else:
            model.load_weights(path)
    except Exception as err:
        if str(err).startswith("`weights`"):
            raise
        detail = str(err).split("\n", 1)[0][:300]
        raise ValueError(f"`weights`: could not load {path!r} into {model.name!r} ({detail}); allowed: a weights file saved from the same architecture.") from err
