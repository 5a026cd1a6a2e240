"""The benchmark's chart beside the CSV: images/s per network, one bar per runner (training, and inference below).

matplotlib is optional (``pip install 'keras-classics[plots]'``): without it
:func:`write_plot` says how to get the chart and the CSV is still complete.
"""

from __future__ import annotations


def write_plot(table, path) -> list:
    """The PNG at ``path`` (a list with it, or empty when there is nothing to draw or no matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: F401
    except ImportError:
        print("benchmark: matplotlib is not installed, so no chart; the CSV is complete. "
              "`pip install 'keras-classics[plots]'` and run the same command again to draw it.", flush=True)
        return []
    ok = table[table["status"] == "ok"] if len(table) else table
    kinds = [k for k in ("train", "infer") if k + "_images_per_s" in ok.columns and ok[k + "_images_per_s"].notna().any()]
    if not len(ok) or not kinds:
        return []
    plot_images_per_s(ok, path, kinds)
    return [path]


def plot_images_per_s(table, path, kinds=("train", "infer")) -> None:
    """One panel per (network, size, batch, precision) and kind, each on its own scale, one bar per runner."""
    import matplotlib.pyplot as plt
    import numpy as np

    table = table.copy()
    table["setting"] = [
        f"{r['model']}, {int(float(r['input_size']))} px, batch {int(float(r['batch_used']))}\n{r['precision']}"
        + (", deterministic" if str(r["deterministic"]) == "True" else "") + ("" if r["compile"] == "auto" else f", compile {r['compile']}")
        for _, r in table.iterrows()
    ]
    settings = list(dict.fromkeys(table["setting"]))
    runners = list(dict.fromkeys(table["runner"]))
    colours = dict(zip(runners, [plt.rcParams["axes.prop_cycle"].by_key()["color"][i % 10] for i in range(len(runners))]))
    fig, axes = plt.subplots(len(kinds), len(settings), figsize=(1.2 + 0.55 * len(runners) * len(settings) + 2.5, 3.6 * len(kinds)),
                             dpi=120, squeeze=False)
    for row, kind in enumerate(kinds):
        column = f"{kind}_images_per_s"
        for col, setting in enumerate(settings):
            ax = axes[row, col]
            rows = table[(table["setting"] == setting) & table[column].notna()]
            names = [r for r in runners if r in set(rows["runner"])]
            values = [float(rows[rows["runner"] == r][column].iloc[0]) for r in names]
            bars = ax.bar(np.arange(len(names)), values, color=[colours[r] for r in names])
            ax.bar_label(bars, fmt="%.3g", fontsize=7, padding=1)
            ax.set_xticks([])
            ax.grid(axis="y", alpha=0.3)
            if row == 0:
                ax.set_title(setting, fontsize=9)
            if col == 0:
                ax.set_ylabel(f"{'training' if kind == 'train' else 'inference'} images/s")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[r]) for r in runners]
    fig.legend(handles, runners, loc="center right", fontsize=8, title="runner")
    fig.suptitle("Images per second, one bar per runner (higher is better)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1 - 2.3 / fig.get_figwidth(), 1))
    fig.savefig(path)
    plt.close(fig)
