"""Figures for the notebooks: each function returns a matplotlib Figure."""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
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
        axis.set_title(f"{name} ({len(task.labels)} labels)", fontsize=10)  # the inventory, as in data.list
        axis.tick_params(labelsize=7)
        axis.set_xlabel("share of " + ("sentences" if task.kind == "classification" else "tokens"), fontsize=8)
    figure.suptitle(f"Label distribution ({split} split)")
    figure.tight_layout()
    return figure


def length_histograms(tasks: Mapping[str, TaskData], split: str = "train", bins: int = 30,
                      columns: int = 4, log_x: bool = False) -> Figure:
    """Histogram of sentence lengths (tokens) per task, with the mean and the maximum marked.

    log_x: logarithmic length axis and bins, so that a few very long outliers do not squash the rest."""
    _check_tasks(tasks, split)
    figure, axes = _grid(len(tasks), columns)
    for axis, (name, task) in zip(axes, tasks.items()):
        lengths = np.array([len(s) for s in task.split(split).tokens])
        if lengths.size:
            edges = np.geomspace(max(1, lengths.min()), lengths.max() + 1, bins + 1) if log_x else bins
            axis.hist(lengths, bins=edges, color="tab:green")
            if log_x:
                axis.set_xscale("log")
            axis.axvline(lengths.mean(), color="black", linestyle="--", label=f"mean {lengths.mean():.1f}")
            axis.axvline(lengths.max(), color="tab:red", linestyle=":", label=f"max {lengths.max()}")
            axis.legend(fontsize=7)
        axis.set_title(name, fontsize=10)
        axis.tick_params(labelsize=7)
        axis.set_xlabel("tokens per sentence" + (" (log scale)" if log_x else ""), fontsize=8)
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


# --- Training and evaluation: sampling, task weights, gradients, curves, confusions, intervals ---
def _figure(width: float = 6.5, height: float = 3.8):
    """One figure with one axis, closed for pyplot so a notebook shows it once (as the returned value)."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(width, height))
    plt.close(figure)
    return figure, axis


def _require_columns(frame, columns, what: str) -> None:
    missing = sorted(set(columns) - set(frame.columns))
    if missing:
        raise ValueError(f"{what} is missing columns {missing}; it has {list(frame.columns)}.")


def sampling_probabilities(table) -> Figure:
    """Bar chart of p_t: one group per strategy, one bar per task. ``table``: columns strategy, task, probability."""
    import numpy as np

    _require_columns(table, {"strategy", "task", "probability"}, "table")
    wide = table.pivot_table(index="strategy", columns="task", values="probability", sort=False)
    figure, axis = _figure(7.5, 3.8)
    width = 0.8 / max(1, len(wide.columns))
    positions = np.arange(len(wide.index))
    for offset, task in enumerate(wide.columns):
        bars = axis.bar(positions + (offset + 0.5) * width - 0.4, wide[task].to_numpy(float), width, label=str(task))
        axis.bar_label(bars, fmt="%.2f", fontsize=7)
    axis.set_xticks(positions, [str(s) for s in wide.index])
    axis.set_ylabel("probability p_t of drawing the task")
    axis.set_title("Task sampling distributions")
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def task_schedule(draws, probabilities=None) -> Figure:
    """Running share of the steps that went to each task (solid), and the target p_t (dotted, optional).

    ``draws``: the task trained at each step, in order; ``probabilities``: {task: p_t}."""
    import numpy as np

    draws = list(draws)
    if not draws:
        raise ValueError("no draws; pass the list of tasks trained at each step (e.g. from TaskSampler.draw).")
    figure, axis = _figure()
    steps = np.arange(1, len(draws) + 1)
    for task in dict.fromkeys(draws if probabilities is None else list(probabilities) + draws):
        line, = axis.plot(steps, np.cumsum([d == task for d in draws]) / steps, label=str(task))
        if probabilities is not None and task in probabilities:
            axis.axhline(probabilities[task], color=line.get_color(), linestyle=":")
    axis.set_xlabel("training step")
    axis.set_ylabel("share of steps so far")
    axis.set_ylim(0, 1)
    axis.set_title("Empirical task schedule (dotted: p_t)")
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def weight_trajectories(weights) -> Figure:
    """Loss weight of every task against the step, one panel per run.

    ``weights``: {run name: DataFrame with columns step, epoch, then one column per task}
    (``TrainResult.weights``)."""
    import matplotlib.pyplot as plt

    if not weights:
        raise ValueError("no runs given; pass {name: result.weights}.")
    figure, axes = plt.subplots(1, len(weights), figsize=(3.4 * len(weights), 3.2), squeeze=False, sharey=False)
    plt.close(figure)
    for axis, (name, frame) in zip(axes[0], weights.items()):
        _require_columns(frame, {"step"}, f"weights[{name!r}]")
        for task in [c for c in frame.columns if c not in ("step", "epoch")]:
            axis.plot(frame["step"], frame[task], label=str(task))
        axis.set_title(str(name), fontsize=10)
        axis.set_xlabel("step", fontsize=8)
        axis.tick_params(labelsize=7)
    axes[0][0].set_ylabel("loss weight c_t")
    axes[0][0].legend(fontsize=7)
    figure.tight_layout()
    return figure


def _square_table(table, what: str, example: str) -> tuple[np.ndarray, list[str]]:
    """A square table's values (float array) and row names; ValueError naming ``what`` when it is not square."""
    values = np.asarray(table, dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(f"{what} must be a square {example} table, got shape {values.shape}.")
    return values, [str(n) for n in getattr(table, "columns", range(len(values)))]


def _square_heatmap(values, names: list[str], limit: float, size: tuple[float, float], title: str,
                    fontsize: int, rotation: int) -> tuple[Figure, Axes]:
    """Red-blue heatmap of a square table with a colour bar, symmetric colour range [-limit, limit]."""
    figure, axis = _figure(*size)
    image = axis.imshow(values, cmap="RdBu", vmin=-limit, vmax=limit)
    axis.set_xticks(range(len(names)), names, rotation=rotation, ha="right", fontsize=fontsize)
    axis.set_yticks(range(len(names)), names, fontsize=fontsize)
    figure.colorbar(image, ax=axis, shrink=0.8)
    axis.set_title(title, fontsize=10)
    return figure, axis


def cosine_heatmap(cosine, title: str = "Gradient cosine on the shared parameters") -> Figure:
    """Annotated task × task heatmap of cosines in [-1, 1] (red: conflict, blue: agreement)."""
    values, names = _square_table(cosine, "cosine", "task × task")
    size = (1.2 * len(values) + 2.5, 1.0 * len(values) + 1.8)
    figure, axis = _square_heatmap(values, names, 1.0, size, title, fontsize=9, rotation=30)
    for i in range(len(values)):
        for j in range(len(values)):
            axis.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=9)
    figure.tight_layout()
    return figure


def gradient_arrows(vectors, title: str = "Gradients in a 2-D parameter space") -> Figure:
    """Draw 2-D vectors as arrows from the origin. ``vectors``: {label: (x, y)}."""
    import numpy as np

    if not vectors:
        raise ValueError("no vectors; pass {label: (x, y)}.")
    points = {k: np.asarray(v, dtype=float).reshape(-1) for k, v in vectors.items()}
    bad = [k for k, v in points.items() if v.shape != (2,)]
    if bad:
        raise ValueError(f"vectors {bad} are not 2-D; pass two numbers (x, y) each.")
    figure, axis = _figure(5, 5)
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]
    for k, (label, v) in enumerate(points.items()):
        axis.annotate("", xy=v, xytext=(0, 0),
                      arrowprops={"arrowstyle": "->", "color": colors[k % len(colors)], "lw": 2})
        axis.plot([], [], color=colors[k % len(colors)], label=str(label))
    reach = max(1.0, max(float(np.abs(v).max()) for v in points.values())) * 1.15
    axis.set_xlim(-reach, reach)
    axis.set_ylim(-reach, reach)
    axis.axhline(0, color="grey", lw=0.5)
    axis.axvline(0, color="grey", lw=0.5)
    axis.set_aspect("equal")
    axis.legend(fontsize=8, loc="lower left")
    axis.set_title(title, fontsize=10)
    figure.tight_layout()
    return figure


def loss_curves(histories, window: int = 10) -> Figure:
    """Training loss (mean over the tasks of a step, rolling mean over ``window`` steps), one line per run.

    ``histories``: {run name: TrainResult.history} (columns step, loss)."""
    if not histories:
        raise ValueError("no runs given; pass {name: result.history}.")
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}.")
    figure, axis = _figure()
    for name, history in histories.items():
        _require_columns(history, {"step", "loss"}, f"histories[{name!r}]")
        per_step = history.groupby("step")["loss"].mean()
        axis.plot(per_step.index, per_step.rolling(window, min_periods=1).mean(), label=str(name))
    axis.set_xlabel("step")
    axis.set_ylabel(f"training loss (rolling mean, {window} steps)")
    axis.set_title("Training loss")
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def metric_by_epoch(dev_frames, task: str, metric: str) -> Figure:
    """Dev ``metric`` of ``task`` after every epoch, one line per run. ``dev_frames``: {run: TrainResult.dev}."""
    if not dev_frames:
        raise ValueError("no runs given; pass {name: result.dev}.")
    figure, axis = _figure()
    for name, dev in dev_frames.items():
        _require_columns(dev, {"epoch", "task", "metric", "value"}, f"dev_frames[{name!r}]")
        rows = dev[(dev["task"] == task) & (dev["metric"] == metric)]
        axis.plot(rows["epoch"], rows["value"], marker="o", label=str(name))
    axis.set_xlabel("epoch")
    axis.set_ylabel(f"dev {metric}")
    axis.set_title(f"{task}: dev {metric} by epoch")
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def confusion_heatmap(matrix, normalize: bool = True, title: str = "Confusion matrix") -> Figure:
    """Heatmap of a confusion table (rows: true, columns: predicted), as row shares when ``normalize``."""
    import numpy as np

    counts = np.asarray(matrix, dtype=float)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"matrix must be square (true × predicted), got shape {counts.shape}; use metrics.confusion.")
    values = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1) if normalize else counts
    names = [str(n) for n in getattr(matrix, "columns", range(len(counts)))]
    size = 0.45 * len(names) + 2.5
    figure, axis = _figure(size + 1, size)
    image = axis.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    axis.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=7)
    axis.set_yticks(range(len(names)), names, fontsize=7)
    if len(names) <= 12:
        for i in range(len(names)):
            for j in range(len(names)):
                axis.text(j, i, f"{values[i, j]:.2f}" if normalize else int(values[i, j]),
                          ha="center", va="center", fontsize=7)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    figure.colorbar(image, ax=axis, shrink=0.8)
    axis.set_title(title + (" (share of each true row)" if normalize else ""), fontsize=10)
    figure.tight_layout()
    return figure


def transition_heatmap(transitions, title: str = "CRF transition scores (row: from, column: to)") -> Figure:
    """Heatmap of a tag × tag table of transition scores (a CRF head's T), red negative, blue positive.
    Pass e.g. pd.DataFrame(head.transitions.numpy(), index=labels, columns=labels) to get tag names."""
    values, names = _square_table(transitions, "transitions", "tag × tag")
    size = 0.35 * len(names) + 2.5
    limit = float(np.abs(values).max()) or 1.0
    figure, axis = _square_heatmap(values, names, limit, (size + 1, size), title, fontsize=7, rotation=60)
    axis.set_xlabel("to (next tag)")
    axis.set_ylabel("from (tag)")
    figure.tight_layout()
    return figure


def score_curves(summary, x: str, hue: str, xlabel: str | None = None, ylabel: str = "score",
                 log_x: bool = False) -> Figure:
    """Mean score against ``x``, one line per ``hue``, with the confidence band (ci_low..ci_high) where known.

    ``summary``: columns x, hue, mean, ci_low, ci_high (as from metrics.summarize_runs)."""
    _require_columns(summary, {x, hue, "mean", "ci_low", "ci_high"}, "summary")
    figure, axis = _figure()
    for name, rows in summary.groupby(hue, sort=False):
        rows = rows.sort_values(x)
        line, = axis.plot(rows[x], rows["mean"], marker="o", label=str(name))
        axis.fill_between(rows[x], rows["ci_low"], rows["ci_high"], color=line.get_color(), alpha=0.2)
    if log_x:
        axis.set_xscale("log")
    axis.set_xlabel(xlabel or x)
    axis.set_ylabel(ylabel)
    axis.legend(fontsize=8, title=hue, title_fontsize=8)  # the lines' values need their name
    axis.set_title(f"{ylabel} against {xlabel or x} (band: confidence interval)", fontsize=10)
    figure.tight_layout()
    return figure


def interval_plot(summary, label: str, title: str = "Mean and confidence interval") -> Figure:
    """One row per ``label`` value: the mean as a dot, the interval ci_low..ci_high as a bar."""
    import numpy as np

    _require_columns(summary, {label, "mean", "ci_low", "ci_high"}, "summary")
    figure, axis = _figure(6, 0.6 * len(summary) + 1.5)
    positions = np.arange(len(summary))
    means = summary["mean"].to_numpy(float)
    low = np.nan_to_num(means - summary["ci_low"].to_numpy(float))
    high = np.nan_to_num(summary["ci_high"].to_numpy(float) - means)
    axis.errorbar(means, positions, xerr=[low, high], fmt="o", capsize=4)
    axis.set_yticks(positions, [str(v) for v in summary[label]])
    axis.set_xlabel("score")
    axis.set_title(title, fontsize=10)
    figure.tight_layout()
    return figure


# --- Comparing setups: scores, the λ sweep, cross-stitch α ---


def score_comparison(scores: pd.DataFrame, *, title: str = "") -> Figure:
    """Grouped bars: one group per task, one bar per model variant (columns task, model, value)."""
    missing = {"task", "model", "value"} - set(scores.columns)
    if missing:
        raise ValueError(f"score_comparison needs columns task, model, value; missing {sorted(missing)}. "
                         "Build the frame from training.evaluate rows (one main metric per task).")
    wide = scores.pivot_table(index="task", columns="model", values="value", sort=False)
    figure, axes = _grid(1, 1, size=(1.6 + 1.3 * len(wide) * max(1, len(wide.columns)) / 2, 3.0))
    axis = axes[0]
    width = 0.8 / max(1, len(wide.columns))
    positions = np.arange(len(wide))
    for offset, model_name in enumerate(wide.columns):
        values = wide[model_name].to_numpy(dtype=float)
        bars = axis.bar(positions + offset * width, np.nan_to_num(values), width, label=str(model_name))
        axis.bar_label(bars, labels=[f"{v:.2f}" if np.isfinite(v) else "n/a" for v in values], fontsize=7)
    axis.set_xticks(positions + width * (len(wide.columns) - 1) / 2, [str(t) for t in wide.index])
    axis.set_ylabel("main metric (test)")
    axis.set_ylim(0, max(1.0, float(np.nanmax(wide.to_numpy(dtype=float), initial=0.0)) * 1.15))
    axis.legend(fontsize=7, loc="lower right")
    axis.set_title(title)
    return figure


def lambda_sweep_figure(sweep: pd.DataFrame, selected: float | None = None) -> Figure:
    """Soft sharing against λ: tower distance (left) and each task's score (right), λ = 0 at the left.

    ``sweep`` is experiments.lambda_sweep's frame (columns coupling_weight, task, metric, value, distance);
    λ values are placed at equal steps so that λ = 0 (independent towers) fits on the axis.
    """
    missing = {"coupling_weight", "task", "value", "distance"} - set(sweep.columns)
    if missing:
        raise ValueError(f"lambda_sweep_figure needs experiments.lambda_sweep's frame; missing columns {sorted(missing)}.")
    lambdas = sorted(sweep["coupling_weight"].unique())
    positions = {lam: i for i, lam in enumerate(lambdas)}
    figure, (left, right) = _grid(2, 2, size=(4.2, 3.0))
    distances = sweep.groupby("coupling_weight")["distance"].first()
    left.plot([positions[lam] for lam in distances.index], distances.to_numpy(), marker="o")
    left.set_ylabel("tower distance ‖θ_a − θ_b‖")
    for task, rows in sweep.groupby("task", sort=False):
        rows = rows.sort_values("coupling_weight")
        right.plot([positions[lam] for lam in rows["coupling_weight"]], rows["value"], marker="o",
                   label=f"{task} ({rows['metric'].iloc[0]})" if "metric" in rows else str(task))
    right.set_ylabel("dev score")
    right.legend(fontsize=7)
    for axis in (left, right):
        axis.set_xticks(range(len(lambdas)), [f"{lam:g}" for lam in lambdas])
        axis.set_xlabel("λ (coupling weight)")
        if selected is not None and selected in positions:
            axis.axvline(positions[selected], color="grey", linestyle="--", linewidth=1)
    return figure


def cross_stitch_heatmaps(model: Any) -> Figure:
    """One annotated heatmap per cross-stitch unit: row i = task i's output, column j = how much it reads
    from task j (α_ij). A diagonal near 1 means the task keeps to itself; large off-diagonals, sharing."""
    units = [np.asarray(v) for v in model.coupling_variables()]
    if not units:
        raise ValueError("this model has no cross-stitch units; build it with models.build_model(..., "
                         "sharing='cross_stitch').")
    names = list(model.task_names)
    figure, axes = _grid(len(units), len(units), size=(2.2 + 0.6 * len(names), 2.0 + 0.5 * len(names)))
    for number, (axis, alpha) in enumerate(zip(axes, units), start=1):
        image = axis.imshow(alpha, cmap="viridis", vmin=min(0.0, alpha.min()), vmax=max(1.0, alpha.max()))
        for i, j in np.ndindex(alpha.shape):
            axis.text(j, i, f"{alpha[i, j]:.2f}", ha="center", va="center",
                      color="white" if alpha[i, j] < 0.5 else "black", fontsize=8)
        axis.set_xticks(range(len(names)), [f"from {n}" for n in names], fontsize=7)
        axis.set_yticks(range(len(names)), [f"{n} out" for n in names], fontsize=7)
        axis.set_title(f"α after layer {number}", fontsize=9)
        figure.colorbar(image, ax=axis, fraction=0.046)
    return figure
