"""The PNG of each claim (matplotlib, Agg): the curves or bars that make its point, mean and spread over seeds."""

from __future__ import annotations

CURVES = (("train_loss", "training loss"), ("val_accuracy", "validation accuracy"))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def training_plot(results, claim, verdict, path) -> None:
    """Per arm, each curve's mean over seeds with the min-max band; a third panel: the final test accuracy per seed."""
    import numpy as np

    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), dpi=100)
    for ax, (column, title) in zip(axes[:2], CURVES):
        rows = results.dropna(subset=[column])
        for label, arm in rows.groupby("label", sort=False):
            by_epoch = arm.groupby(arm["epoch"].astype(int))[column]
            mean, low, high = by_epoch.mean(), by_epoch.min(), by_epoch.max()
            line, = ax.plot(mean.index, mean.values, marker="o", label=label)
            ax.fill_between(mean.index, low.values, high.values, color=line.get_color(), alpha=0.2)
        ax.set_xlabel("epoch")
        ax.set_title(title if len(rows) else f"{title} (not measured)")
        if len(rows):
            ax.legend(fontsize=8)
    ax = axes[2]
    final = results.dropna(subset=["test_accuracy"])
    labels = list(dict.fromkeys(final["label"]))
    for i, label in enumerate(labels):
        values = final.loc[final["label"] == label, "test_accuracy"].to_numpy(dtype=float) * 100
        ax.bar(i, values.mean(), color=f"C{i}", alpha=0.6)
        ax.scatter(np.full(len(values), i), values, color="black", s=12, zorder=3)
    ax.set_xticks(range(len(labels)), labels, rotation=20, fontsize=8)
    ax.set_title("test accuracy (%), bars: mean, dots: seeds")
    _finish(fig, claim, verdict, path)


def quantity_plot(results, claim, verdict, path) -> None:
    """Bars of the measured quantities beside the hand-computed ones (log scale when they span decades)."""
    import numpy as np

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(12, 5), dpi=100)
    x = np.arange(len(results))
    values = results["value"].to_numpy(dtype=float)
    expected = results["expected"].to_numpy(dtype=float)
    ax.bar(x - 0.2, values, 0.4, label="measured")
    ax.bar(x + 0.2, np.nan_to_num(expected), 0.4, label="by hand", alpha=0.6)
    positive = np.concatenate([values, expected])
    positive = positive[np.isfinite(positive) & (positive > 0)]
    if len(positive) and positive.max() / positive.min() > 100:
        ax.set_yscale("symlog", linthresh=max(positive.min(), 1e-9))
    ax.set_xticks(x, results["quantity"], rotation=25, ha="right", fontsize=8)
    ax.legend()
    _finish(fig, claim, verdict, path)


def _finish(fig, claim, verdict, path) -> None:
    import textwrap

    from keras_classics.utils.files import atomic_write

    plt = _pyplot()
    fig.suptitle(f"{claim.id}: {claim.title} -- {verdict.status}\n" + textwrap.fill(verdict.line, 170), fontsize=9)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)
