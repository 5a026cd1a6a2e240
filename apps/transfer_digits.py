"""Fine-tuning against training from scratch, offline: digits 0-4 teach a network features that digits 5-9 reuse.

1. Writes two image folders from the embedded digits (PNG, 8x8 grey, upscaled by the pipeline):
   ``digits_0-4`` (every training image of 0-4; test: the library's test split) and
   ``digits_5-9_few`` (``--per-class`` training images of each of 5-9; the test split's 5-9
   halved into ``val/`` and ``test/``).
2. ``keras-classics train`` on digits 0-4 (the source), then the same network on the few
   5-9 images twice: fine-tuned from the source (``--freeze backbone`` for the first
   epochs, then ``--fine-tune-epochs`` on every layer but the batch normalizations at a
   tenth of the rate) and from
   scratch for as many epochs in all.
3. Writes ``curves.png`` (validation accuracy and training loss per epoch of both),
   ``gradcam.png`` (Grad-CAM of both on a few test digits) and ``summary.json``.

Every step resumes: a finished run is kept, an interrupted one continues.
Run: ``python apps/transfer_digits.py --out results/transfer`` (see docs/transfer.md).
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np


def write_folders(root, per_class, seed=0):
    """The two image folders (kept if already complete)."""
    from PIL import Image

    from keras_classics.datasets import digits_arrays
    from keras_classics.utils.files import atomic_write

    (train_x, train_y), (test_x, test_y) = digits_arrays()
    rng = np.random.default_rng(seed)

    def save(folder, images, labels):
        for i, (image, label) in enumerate(zip(images, labels)):
            path = os.path.join(folder, str(label), f"{i:04d}.png")
            if not os.path.exists(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
                pixels = Image.fromarray(np.clip(image * 16, 0, 255).astype("uint8"), mode="L")
                atomic_write(path, lambda tmp: pixels.save(tmp, format="PNG"))

    source = os.path.join(root, "digits_0-4")
    save(os.path.join(source, "train"), train_x[train_y < 5], train_y[train_y < 5])
    save(os.path.join(source, "test"), test_x[test_y < 5], test_y[test_y < 5])
    target = os.path.join(root, "digits_5-9_few")
    few = np.concatenate([rng.permutation(np.flatnonzero(train_y == c))[:per_class] for c in range(5, 10)])
    save(os.path.join(target, "train"), train_x[few], train_y[few])
    held = np.flatnonzero(test_y >= 5)
    held = held[rng.permutation(len(held))]
    half = len(held) // 2
    save(os.path.join(target, "val"), test_x[held[:half]], test_y[held[:half]])
    save(os.path.join(target, "test"), test_x[held[half:]], test_y[held[half:]])
    return source, target


def run(out, argv):
    """``keras-classics train ARGV --out OUT``, unless OUT holds a finished run (kept)."""
    from keras_classics.cli import main

    if os.path.exists(os.path.join(out, "results.json")):
        print(f"kept the finished run in {out}")
        return json.load(open(os.path.join(out, "results.json")))
    print("keras-classics " + " ".join(map(str, argv)) + f" --out {out}", flush=True)
    if main([*map(str, argv), "--out", out, "--quiet"]) != 0:
        raise SystemExit(f"training into {out} failed")
    return json.load(open(os.path.join(out, "results.json")))


def log(out):
    import csv

    with open(os.path.join(out, "log.csv"), newline="") as f:
        return list(csv.DictReader(f))


def plot_curves(runs, switch, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for label, folder in runs.items():
        rows = log(folder)
        epochs = [int(r["epoch"]) + 1 for r in rows]
        axes[0].plot(epochs, [100 * float(r["val_accuracy"]) for r in rows], marker="o", ms=3, label=label)
        axes[1].plot(epochs, [float(r["loss"]) for r in rows], marker="o", ms=3, label=label)
    for ax, title in zip(axes, ("validation accuracy (%)", "training loss")):
        ax.axvline(switch + 0.5, color="grey", ls=":", lw=1)
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[1].set_yscale("log")
    axes[0].legend(loc="lower right")
    fig.suptitle(f"digits 5-9 from few images: fine-tuned (backbone frozen for epochs 1-{switch}, dotted line) vs from scratch", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_gradcam(runs, test_folder, path, count=5):
    import keras
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from keras_classics.cli.explain import _as_trained, _read_images
    from keras_classics.explain import explain_gradcam

    classes = sorted(os.listdir(test_folder))
    files = [os.path.join(test_folder, c, sorted(os.listdir(os.path.join(test_folder, c)))[0]) for c in classes[:count]]
    fig, axes = plt.subplots(len(runs), len(files), figsize=(2.1 * len(files), 2.4 * len(runs)), squeeze=False)
    for row, (label, folder) in enumerate(runs.items()):
        model_path = os.path.join(folder, "model.keras")
        model = keras.saving.load_model(model_path, compile=False)
        images = _read_images(files, model)
        inputs, names = _as_trained(model_path, images)
        result = explain_gradcam(model, inputs)
        for col, (image, heatmap, chosen) in enumerate(zip(images, result.heatmaps, result.class_index)):
            ax = axes[row, col]
            ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
            ax.imshow(heatmap, cmap="jet", alpha=0.45, vmin=0, vmax=1)
            ax.set_title(f"{label}: {classes[col]} -> {names[int(chosen)] if names else int(chosen)}", fontsize=8)
            ax.axis("off")
    fig.suptitle(f"Grad-CAM at {result.layer}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="results/transfer")
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--input-size", type=int, default=32)
    parser.add_argument("--per-class", type=int, default=15, help="training images per class of 5-9 (default 15)")
    parser.add_argument("--source-epochs", type=int, default=10)
    parser.add_argument("--head-epochs", type=int, default=10, help="epochs with the backbone frozen")
    parser.add_argument("--fine-tune-epochs", type=int, default=10, help="then epochs on every layer (scratch trains head + these)")
    parser.add_argument("--recipe", default="adam")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--head-lr", type=float, default=0.01, help="learning rate of the frozen-backbone epochs (default 0.01; see docs/transfer.md)")
    parser.add_argument("--fine-tune-lr", type=float, help="learning rate of the fine-tuning epochs (default: head rate / 10)")
    args = parser.parse_args(argv)

    source_data, target_data = write_folders(os.path.join(args.out, "data"), args.per_class)
    common = ["--input-size", args.input_size, "--channels", 1, "--recipe", args.recipe, "--batch-size", args.batch_size]
    source = os.path.join(args.out, "source")
    source_results = run(source, ["train", args.model, "--dataset", source_data, "--epochs", args.source_epochs, *common])
    runs = {"fine-tuned": os.path.join(args.out, "fine_tuned"), "scratch": os.path.join(args.out, "scratch")}
    results = {
        "fine-tuned": run(runs["fine-tuned"], ["train", args.model, "--dataset", target_data, "--epochs", args.head_epochs, *common,
                                               "--weights", source, "--freeze", "backbone", "--fine-tune-epochs", args.fine_tune_epochs,
                                               *(["--learning-rate", args.head_lr] if args.head_lr else []),
                                               *(["--fine-tune-lr", args.fine_tune_lr] if args.fine_tune_lr else [])]),
        "scratch": run(runs["scratch"], ["train", args.model, "--dataset", target_data, "--epochs", args.head_epochs + args.fine_tune_epochs, *common]),
    }
    plot_curves(runs, args.head_epochs, os.path.join(args.out, "curves.png"))
    plot_gradcam(runs, os.path.join(target_data, "test"), os.path.join(args.out, "gradcam.png"))
    summary = {"model": args.model, "per_class": args.per_class, "source_test": source_results["test"],
               **{label: {"test": r["test"], "seconds": r["seconds"]} for label, r in results.items()}}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    for label, r in results.items():
        print(f"{label}: test accuracy {100 * r['test']['accuracy']:.1f} % ({r['seconds']:.0f} s of training)")
    print(f"wrote {args.out}/curves.png, gradcam.png, summary.json")


if __name__ == "__main__":
    main()
