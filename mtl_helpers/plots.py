"""Figures for the notebooks: each function returns a matplotlib Figure."""
from __future__ import annotations

# --- 00-02 ---
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from mtl_helpers.data import TaskData


def _grid(count: int, columns: int, size: tuple[float, float] = (3.6, 2.6)):
    """A figure with ``count`` panels on a grid (spare panels hidden); closed for pyplot, so a notebook
    shows it once (as the returned value) and not twice."""
    import matplotlib.pyplot as plt

    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(size[0] * columns, size[1] * rows), squeeze=False)
    plt.close(figure)
    flat = axes.ravel()
    for axis in flat[count:]:
        axis.set_visible(False)
    return figure, flat[:count]


def _check_tasks(tasks: Mapping[str, TaskData], split: str) -> None:
    if not tasks:
        raise ValueError("no tasks given; pass e.g. data.load_tasks(['sentiment', 'pos']).")
    if split not in ("train", "dev", "test"):
        raise ValueError(f"unknown split {split!r}; use 'train', 'dev' or 'test'.")


def label_distribution(tasks: Mapping[str, TaskData], split: str = "train", top: int = 10,
                       columns: int = 4) -> Figure:
    """Share of each label (classification) or tag (tagging, the ``top`` most frequent) per task.

    Tasks without labels (lm, seq2seq) are skipped; ValueError when none has labels."""
    _check_tasks(tasks, split)
    labelled = {n: t for n, t in tasks.items() if t.kind in ("classification", "tagging")}
    if not labelled:
        raise ValueError("none of the tasks has labels (lm and seq2seq have none); pass classification or "
                         "tagging tasks.")
    figure, axes = _grid(len(labelled), columns)
    for axis, (name, task) in zip(axes, labelled.items()):
        labels = task.split(split).labels
        counts = Counter(labels if task.kind == "classification" else (tag for tags in labels for tag in tags))
        total = sum(counts.values()) or 1
        common = counts.most_common(top)
        axis.barh([label for label, _ in common][::-1], [n / total for _, n in common][::-1], color="tab:blue")
        axis.set_title(f"{name} ({len(counts)} labels)", fontsize=10)
        axis.tick_params(labelsize=7)
        axis.set_xlabel("share of " + ("sentences" if task.kind == "classification" else "tokens"), fontsize=8)
    figure.suptitle(f"Label distribution ({split} split)")
    figure.tight_layout()
    return figure


def length_histograms(tasks: Mapping[str, TaskData], split: str = "train", bins: int = 30,
                      columns: int = 4) -> Figure:
    """Histogram of sentence lengths (tokens) per task, with the mean and the maximum marked."""
    _check_tasks(tasks, split)
    figure, axes = _grid(len(tasks), columns)
    for axis, (name, task) in zip(axes, tasks.items()):
        lengths = np.array([len(s) for s in task.split(split).tokens])
        if lengths.size:
            axis.hist(lengths, bins=bins, color="tab:green")
            axis.axvline(lengths.mean(), color="black", linestyle="--", label=f"mean {lengths.mean():.1f}")
            axis.axvline(lengths.max(), color="tab:red", linestyle=":", label=f"max {lengths.max()}")
            axis.legend(fontsize=7)
        axis.set_title(name, fontsize=10)
        axis.tick_params(labelsize=7)
        axis.set_xlabel("tokens per sentence", fontsize=8)
    figure.suptitle(f"Sentence lengths ({split} split)")
    figure.tight_layout()
    return figure


def padding_waste_curves(waste: pd.DataFrame) -> Figure:
    """Padding share against batch size, one line per task, solid with bucketing and dashed without.

    ``waste``: columns task, batch_size, bucket (bool), waste (0..1) — e.g. from data.padding_waste."""
    import matplotlib.pyplot as plt

    missing = {"task", "batch_size", "bucket", "waste"} - set(waste.columns)
    if missing:
        raise ValueError(f"waste is missing columns {sorted(missing)}; give task, batch_size, bucket, waste.")
    figure, axis = plt.subplots(figsize=(7, 4))
    plt.close(figure)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, (task, rows) in enumerate(waste.groupby("task", sort=False)):
        color = colors[index % len(colors)]
        for bucket, style in ((False, "--"), (True, "-")):
            part = rows[rows["bucket"] == bucket].sort_values("batch_size")
            axis.plot(part["batch_size"], part["waste"], style, marker="o", color=color,
                      label=f"{task} ({'bucketed' if bucket else 'random'})")
    axis.set_xscale("log", base=2)
    axis.set_xlabel("batch size")
    axis.set_ylabel("share of padded positions that are padding")
    axis.set_title("Padding waste: random batches (dashed) vs length bucketing (solid)")
    axis.legend(fontsize=7, ncol=2)
    figure.tight_layout()
    return figure


def grouped_bars(frame: pd.DataFrame, *, x: str, y: str, hue: str, title: str = "",
                 ylabel: str | None = None, log: bool = False) -> Figure:
    """Grouped bar chart of ``frame[y]``: one group per value of ``x``, one bar per value of ``hue``
    (e.g. score per task and setup, parameters per model). NaN values are drawn as missing bars."""
    import matplotlib.pyplot as plt

    missing = {x, y, hue} - set(frame.columns)
    if missing:
        raise ValueError(f"frame has no columns {sorted(missing)}; its columns are {list(frame.columns)}.")
    table = frame.pivot_table(index=x, columns=hue, values=y, aggfunc="mean", sort=False)
    figure, axis = plt.subplots(figsize=(max(5.0, 1.6 * len(table.index) + 2), 3.8))
    plt.close(figure)
    width = 0.8 / max(1, len(table.columns))
    positions = np.arange(len(table.index))
    for offset, column in enumerate(table.columns):
        bars = axis.bar(positions + offset * width - 0.4 + width / 2, table[column].to_numpy(dtype=float),
                        width, label=str(column))
        axis.bar_label(bars, fmt="%.3g", fontsize=7)
    axis.set_xticks(positions, [str(i) for i in table.index])
    axis.set_ylabel(ylabel or y)
    if log:
        axis.set_yscale("log")
    axis.set_title(title)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure
