"""``keras-classics explain MODEL_OR_FILE IMAGE... --out DIR``: one Grad-CAM overlay PNG per image.

MODEL_OR_FILE is a registry name (built at its canonical configuration with random
weights, or with ``--weights FILE``) or a ``.keras`` file. Each image is read with
Keras's PIL loader, in grey for a grey model, resized to the model's input as the
datasets' pipelines resize (bilinear, antialiased), scaled to
[0, 1] (for the ``model.keras`` of a ``keras-classics train`` run, then normalised
with the mean and std its ``run.json`` records, as in training, and its classes named
as there), and explained with :func:`keras_classics.explain.explain_gradcam`. The PNG
(``DIR/<image stem>_gradcam.png``) shows the image with the heatmap blended over it
and the top classes with their probabilities in the title. Every argument and every
output path is checked before the model is built; an existing PNG is replaced only
with ``--force``.
"""

from __future__ import annotations

import sys


def add_parser(subparsers):
    parser = subparsers.add_parser("explain", help="Grad-CAM overlays (PNG) of a model's predictions on image files")
    parser.add_argument("model", metavar="MODEL_OR_FILE", help="a registry name (random weights unless --weights) or a .keras file")
    parser.add_argument("images", metavar="IMAGE", nargs="+", help="image files (PNG, JPEG, BMP, GIF: what PIL reads)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the PNGs (<image stem>_gradcam.png; created if needed)")
    parser.add_argument("--layer", metavar="NAME", help="the layer to explain (default: the last stage end, see docs/features.md)")
    parser.add_argument("--class-index", type=int, metavar="K", help="explain class K in every image (default: each image's top class)")
    parser.add_argument("--top", type=int, default=3, metavar="N", help="classes listed in each title (default 3)")
    parser.add_argument("--weights", metavar="FILE", help="weights for a registry model (.weights.h5 or .keras)")
    parser.add_argument("--force", action="store_true", help="replace existing PNGs")
    return parser


def run(args) -> int:
    import os

    from keras_classics._validate import bad_argument, check_int, check_output_file, check_output_folder
    from keras_classics.utils.models import is_model_file

    check_output_folder("--out", args.out)
    check_int("--top", args.top, minimum=1)
    if args.class_index is not None:
        check_int("--class-index", args.class_index, minimum=0)
    if args.weights is not None:
        if is_model_file(args.model):
            raise bad_argument("--weights", args.weights, "no --weights with a .keras file (it holds its weights)")
        if not os.path.isfile(args.weights):
            raise bad_argument("--weights", args.weights, "an existing weights file (.weights.h5 or .keras)")
    stems = {}
    for path in args.images:
        if not os.path.isfile(path):
            raise bad_argument("images", path, "an existing image file")
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem in stems:
            raise bad_argument("images", path, f"image files with distinct names ({stems[stem]} would write the same PNG)")
        stems[stem] = path
    outputs = [os.path.join(args.out, f"{stem}_gradcam.png") for stem in stems]
    for path in outputs:
        check_output_file("--out", path, force=args.force)
    try:
        plt = _pyplot()  # matplotlib brings PIL, which keras.utils.load_img reads with
    except ImportError:
        print("keras-classics explain: error: matplotlib is needed to draw the overlays: pip install 'keras-classics[plots]'", file=sys.stderr)
        return 2

    model, name, random_weights = _model(args)
    images = _read_images(args.images, model)
    from keras_classics.explain import explain_gradcam

    inputs, class_names = _as_trained(args.model, images)
    result = explain_gradcam(model, inputs, class_index=args.class_index, layer=args.layer)
    os.makedirs(args.out, exist_ok=True)
    title = f"{name}{' (random weights)' if random_weights else ''}: Grad-CAM at {result.layer}"
    for image, heatmap, chosen, probabilities, path in zip(images, result.heatmaps, result.class_index, result.probabilities, outputs):
        _draw(plt, image, heatmap, title, chosen, probabilities, args.top, path, class_names)
        print(f"wrote {path}")
    return 0


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _model(args):
    """``(model, name, random_weights)``: a registry name is built (weights from ``--weights``), a file is loaded."""
    from keras_classics.utils.models import is_model_file, load_weights_file, model_from_spec

    model, name = model_from_spec(args.model, argument="MODEL_OR_FILE", compile=False)
    if args.weights is not None:
        load_weights_file(model, args.weights, argument="--weights")
    return model, name, not is_model_file(args.model) and args.weights is None


def _as_trained(model_path, images):
    """``(model inputs, class names)``: a ``train`` run's model (``model.keras`` beside its ``run.json``) sees
    its images normalised as in training (run.json's per-channel mean and std) and names its classes."""
    import os

    import numpy as np

    from keras_classics.utils.files import read_json
    from keras_classics.utils.shapes import channels_last

    record = os.path.join(os.path.dirname(os.path.abspath(model_path)), "run.json")
    if not model_path.endswith(".keras") or not os.path.isfile(record):
        return images, None
    try:
        run = read_json(record)
        mean, std = (np.asarray(run[k], "float32") for k in ("mean", "std"))
    except (OSError, ValueError, KeyError, TypeError):
        return images, None  # not a readable run record: the images as they are
    shape = (1, 1, 1, -1) if channels_last() else (1, -1, 1, 1)
    return (images - mean.reshape(shape)) / std.reshape(shape), run.get("class_names")


def _read_images(paths, model):
    """The images as one float32 batch in [0, 1], grey or RGB as the model takes them, at its input size (or the first image's)."""
    import keras
    import numpy as np

    from keras_classics._validate import bad_argument
    from keras_classics.utils.shapes import channel_count, channels_last, spatial_size

    shape = tuple(model.inputs[0].shape[1:])
    channels = channel_count(shape)
    if channels not in (1, 3):
        raise bad_argument("MODEL_OR_FILE", model.name, f"a model taking grey (1) or RGB (3) images, not {channels} channels")
    size = spatial_size(shape)
    batch = []
    for path in paths:
        try:
            image = keras.utils.load_img(path, color_mode="grayscale" if channels == 1 else "rgb")
        except Exception as err:  # PIL's UnidentifiedImageError, a truncated file
            raise bad_argument("images", path, f"an image file PIL can read ({type(err).__name__}: {' '.join(str(err).split())[:200]})") from None
        if None in size:
            size = (image.height, image.width)
        array = keras.utils.img_to_array(image, data_format="channels_last", dtype="float32") / 255.0
        if array.shape[:2] != tuple(size):  # resized as the datasets' pipelines resize (bilinear, antialiased)
            array = keras.ops.convert_to_numpy(keras.ops.image.resize(array, size, interpolation="bilinear", antialias=True, data_format="channels_last"))
        batch.append(array if channels_last() else np.moveaxis(array, -1, 0))
    return np.stack(batch)


def _draw(plt, image, heatmap, title, chosen, probabilities, top, path, class_names=None):
    import numpy as np

    from keras_classics.utils.files import atomic_write
    from keras_classics.utils.shapes import channels_last

    picture = image if channels_last() else np.moveaxis(image, 0, -1)
    ranked = np.argsort(probabilities)[::-1][:top]
    fig, ax = plt.subplots(figsize=(5, 5.6), dpi=100)
    if picture.shape[-1] == 1:
        ax.imshow(picture[..., 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(np.clip(picture, 0, 1))
    ax.imshow(heatmap, cmap="jet", alpha=0.45, vmin=0, vmax=1)
    ax.axis("off")
    label = (lambda k: class_names[k]) if class_names and len(class_names) == len(probabilities) else int
    ranking = ", ".join(f"{label(k)}: {probabilities[k]:.3g}" for k in ranked)
    ax.set_title(f"{title}\nclass {label(int(chosen))} explained; top classes {ranking}", fontsize=9)
    fig.tight_layout()
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)
