"""The two charts of a comparison, drawn beside the CSV: accuracy against GMACs, and the training curves.

matplotlib is optional (``pip install 'keras-classics[plots]'``): without it
:func:`write_plots` says how to get the charts and the CSV is still complete.
"""

from __future__ import annotations

import math

from keras_classics.compare.results import as_int


def write_plots(table, history, plan) -> list:
    """The two PNGs beside the CSV; without matplotlib, a message saying how to get them."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: F401
    except ImportError:
        print(
            "compare: matplotlib is not installed, so no plots; the CSV is complete. "
            "`pip install 'keras-classics[plots]'` (or `pip install matplotlib`) and run the same command again to draw them.",
            flush=True,
        )
        return []
    ok = table[table["status"] == "ok"] if len(table) else table
    paths = []
    if len(ok):
        plot_accuracy_vs_gmacs(ok, plan.accuracy_plot_path)
        paths.append(plan.accuracy_plot_path)
    if len(history):
        plot_curves(history, plan.curves_plot_path)
        paths.append(plan.curves_plot_path)
    return paths


def plot_accuracy_vs_gmacs(table, path) -> None:
    """Test accuracy against GMACs (log scale), bubble area by parameter count, colour by backend."""
    import matplotlib.pyplot as plt
    import numpy as np

    from matplotlib.lines import Line2D

    table = table.dropna(subset=["gmacs", "test_accuracy"])
    fig, ax = plt.subplots(figsize=(10, 6), dpi=120)
    if len(table):
        largest = float(table["params"].max())
        area = lambda params: 30 + 2500 * np.asarray(params, dtype=float) / largest  # noqa: E731  (points^2)
        colours = dict(zip(sorted(table["backend"].unique()), plt.rcParams["axes.prop_cycle"].by_key()["color"]))
        several_datasets = table["dataset"].nunique() > 1
        labels = {}  # one label per (model, dataset), not per backend
        for backend, rows in table.groupby("backend"):
            sizes = area(rows["params"])
            ax.scatter(rows["gmacs"], rows["test_accuracy"] * 100, s=sizes, alpha=0.45,
                       color=colours[backend], edgecolors="black", linewidths=0.6)
            for size, (_, r) in zip(sizes, rows.iterrows()):
                label = f"{r['model']} ({r['dataset']})" if several_datasets else r["model"]
                labels.setdefault((r["model"], r["dataset"]), (f"{label}\n{_millions(r['params'])}, {int(r['input_size'])}px",
                                                               r["gmacs"], r["test_accuracy"] * 100, size))
        handles = [Line2D([], [], marker="o", ls="", ms=8, alpha=0.6, color=c, markeredgecolor="black", label=b) for b, c in colours.items()]
        handles += [ax.scatter([], [], s=area([p]), color="grey", alpha=0.3, edgecolors="black", linewidths=0.6, label=f"{_millions(p)} params")
                    for p in _round_sizes(largest)]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, labelspacing=2.2, borderpad=1.2, frameon=False)
        ax.set_xscale("log")
        low, high = table["gmacs"].min(), table["gmacs"].max()
        ax.set_xlim(low / 2, high * 6)  # room on the right for the labels
        accuracy = table["test_accuracy"] * 100
        ax.set_ylim(max(0, accuracy.min() - 8), min(102, accuracy.max() + 5))
        _place_labels(fig, ax, list(labels.values()))
    epochs = ", ".join(sorted({str(as_int(e)) for e in table["epochs"]})) if len(table) else "?"
    datasets = ", ".join(sorted(table["dataset"].unique())) if len(table) else ""
    ax.set_title(f"Test accuracy against cost on {datasets} (epochs: {epochs}); bubble area: parameters")
    ax.set_xlabel("GMACs per image at the input size used (log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _place_labels(fig, ax, labels) -> None:
    """Annotate each bubble beside it, right or left, moving a label up or down until it overlaps no other bubble or label.

    ``labels``: ``(text, x, y, bubble area in points^2)``. Greedy, in order of
    decreasing y; where no place is free the last candidate stays. Label boxes
    are measured by the renderer, so this runs once the axis limits are final.
    """
    from matplotlib.transforms import Bbox

    renderer = fig.canvas.get_renderer()
    pixels_per_point = fig.dpi / 72

    def bubble(x, y, size):  # the bubble's bounding box in display pixels
        cx, cy = ax.transData.transform((x, y))
        r = math.sqrt(size / math.pi) * pixels_per_point
        return Bbox.from_extents(cx - r, cy - r, cx + r, cy + r)

    bubbles = [bubble(x, y, size) for _, x, y, size in labels]
    placed = []
    for index, (text, x, y, size) in sorted(enumerate(labels), key=lambda item: -item[1][2]):
        obstacles = placed + [b for i, b in enumerate(bubbles) if i != index]
        radius = math.sqrt(size / math.pi) + 3
        candidates = [(side * radius, dy, "left" if side > 0 else "right") for dy in (0, 12, -12, 24, -24) for side in (1, -1)]
        for dx, dy, ha in candidates:
            note = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va="center", fontsize=8)
            box = note.get_window_extent(renderer).expanded(1.04, 1.08)
            if not any(box.overlaps(other) for other in obstacles):
                break
            if (dx, dy, ha) != candidates[-1]:
                note.remove()
        placed.append(box)


def plot_curves(history, path) -> None:
    """One panel per model: training (solid) and validation (dashed) accuracy per epoch, one colour per backend."""
    import matplotlib.pyplot as plt

    groups = list(history.groupby(["model", "dataset"], sort=False))
    columns = min(4, len(groups))
    rows = math.ceil(len(groups) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.9 * rows), dpi=110, squeeze=False, sharey=True)
    colours = dict(zip(sorted(history["backend"].unique()), plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    several_datasets = history["dataset"].nunique() > 1
    for ax, ((model, dataset), frame) in zip(axes.flat, groups):
        for backend, curve in frame.groupby("backend"):
            curve = curve.sort_values("epoch")
            ax.plot(curve["epoch"], curve["accuracy"] * 100, "-o", ms=3, color=colours[backend], label=f"{backend} train")
            ax.plot(curve["epoch"], curve["val_accuracy"] * 100, "--s", ms=3, color=colours[backend], label=f"{backend} validation")
        ax.set_title(f"{model} ({dataset})" if several_datasets else model, fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylim(0, 102)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy (%)")
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=8, frameon=False)
    fig.suptitle("Training curves: training (solid) and validation (dashed) accuracy")
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    fig.savefig(path)
    plt.close(fig)


def _round_sizes(largest):
    sizes = [10**k for k in range(4, 10) if 10**k <= largest]
    return sizes[-3:] or [largest]


def _millions(params) -> str:
    params = float(params)
    return f"{params / 1e6:.1f}M" if params >= 1e5 else f"{params / 1e3:.0f}K"
