"""``keras-classics predict MODEL IMAGE... [--weights W] [--top 5]``: the top classes of each image.

MODEL is a registry name, built with ``--weights`` (default ``imagenet``: see
``keras-classics weights``); each image is read, resized and cropped as that
checkpoint's source evaluates, normalised with its preprocessing
(:func:`keras_classics.weights.imagenet.preprocess_input`), and its ImageNet
classes named (:func:`~keras_classics.weights.imagenet.decode_predictions`). MODEL
may also be the ``model.keras`` of a ``keras-classics train`` run (or its folder):
its images are read and normalised as in that run, its classes named as there.
"""

from __future__ import annotations


def add_parser(subparsers):
    parser = subparsers.add_parser("predict", help="top classes of image files: a registry model with trained weights, or a train run's model")
    parser.add_argument("model", metavar="MODEL", help="a registry name (with --weights), or a train run's folder or model.keras")
    parser.add_argument("images", metavar="IMAGE", nargs="+", help="image files (PNG, JPEG, BMP, GIF: what PIL reads)")
    parser.add_argument("--weights", default="imagenet", help="a named checkpoint (default imagenet; see `keras-classics weights MODEL`) "
                        "or a weights file of the network (then preprocessed as its default checkpoint)")
    parser.add_argument("--top", type=int, default=5, metavar="N", help="classes per image (default 5)")
    return parser


def run(args) -> int:
    import os

    from keras_classics._validate import bad_argument, check_int

    check_int("--top", args.top, minimum=1)
    for path in args.images:
        if not os.path.isfile(path):
            raise bad_argument("images", path, "an existing image file")
    path = os.path.join(args.model, "model.keras") if os.path.isdir(args.model) else args.model
    if path.endswith(".keras"):
        if not os.path.isfile(path):
            raise bad_argument("MODEL", args.model, "a registry name, a train run's folder holding model.keras, or a .keras file")
        rankings = _run_model(path, args.images, args.top)
    else:
        rankings = _registry_model(args.model, args.weights, args.images, args.top)
    for image, ranking in zip(args.images, rankings):
        print(f"{image}: " + "; ".join(f"{label} {score:.3f}" for label, score in ranking))
    return 0


def _registry_model(name, weights, images, top):
    from keras_classics.registry import model_info
    from keras_classics.weights.catalogue import is_checkpoint_name
    from keras_classics.weights.imagenet import decode_predictions, load_images, preprocess_input

    info = model_info(name)  # an unknown name: one line listing close ones
    # a named checkpoint's own preprocessing; a weights file (a .pth of torchvision's) takes the network's default one's
    recipe = weights if is_checkpoint_name(weights) else "imagenet"
    pixels = load_images(images, info.name, recipe)
    model = info.build(weights=weights, input_shape=pixels.shape[1:])
    scores = model.predict(preprocess_input(pixels, info.name, recipe), verbose=0)
    scores = scores[0] if isinstance(scores, (list, tuple)) else scores  # a model with auxiliary heads: the main one
    return [[(f"{wnid} {label}", score) for wnid, label, score in row] for row in decode_predictions(scores, top=top)]


def _run_model(path, images, top):
    import numpy as np

    from keras_classics.cli.explain import _as_trained, _read_images
    from keras_classics.utils.models import load_model_file

    model = load_model_file(path, argument="MODEL", compile=False)
    inputs, names = _as_trained(path, _read_images(images, model))
    scores = model.predict(inputs, verbose=0)
    scores = np.asarray(scores[0] if isinstance(scores, (list, tuple)) else scores)
    label = (lambda k: names[k]) if names and len(names) == scores.shape[1] else str
    return [[(label(int(k)), float(row[k])) for k in np.argsort(row)[::-1][:top]] for row in scores]
