"""The playground app (notebook 08): controls that retrain live, the figure they redraw, and the instant explorer.

Every change of a control trains the chosen setting AND its single-task baseline on the same seeds
(mtl_helpers.playground.playground_compare), side by side, and redraws the figure at every dev point while
they train. In a Jupyter kernel the training runs in a worker thread, so the kernel keeps reading the
controls: a change made during a run stops it at its next point and starts the new one. The figure is a PNG
in an ``ipywidgets.Image``, which a worker thread may update. The instant explorer reads a precomputed grid
(mtl_helpers.playground_grid) and trains nothing. The logic lives in mtl_helpers.playground; here controls
are read and figures drawn.
"""
from __future__ import annotations

import dataclasses
import io
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mtl_helpers.playground import (
    BASELINE,
    PLAYGROUND_SAMPLINGS,
    SHARING_MODES,
    PlaygroundResult,
    PlaygroundSettings,
    playground_compare,
    sweep_gains,
    sweep_table,
)

if TYPE_CHECKING:
    import ipywidgets
    import pandas as pd

# CSS classes the browser tests look for: the slider they move, the output (score text + plot) they read.
PROBE_SLIDER_CLASS = "playground-probe-slider"
PROBE_OUTPUT_CLASS = "playground-probe-output"
FRACTIONS: tuple[float, ...] = (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)  # the main-task data slider
REDRAW_SECONDS = 0.5  # a redraw at least this often while training (a redraw costs about 0.15 s) ...
REDRAW_POINTS = 4  # ... and after every this many new dev points, so a fast retrain also redraws as it goes
COLORS = {"chosen": "tab:orange", "baseline": "tab:blue"}


def score_line(result: PlaygroundResult) -> str:
    """The one-line summary the playground prints: the main task's final dev score of the chosen setting
    and of its baseline (mean over the seeds), the settings, the time taken."""
    chosen, baseline = (f"{sum(result.scores[s].values()) / len(result.scores[s]):.3f}" if result.scores[s] else "…"
                        for s in ("chosen", "baseline"))
    when = ("training…" if not result.complete else "cached result" if result.cached
            else f"trained in {result.seconds:.1f} s")
    seeds = result.settings.seed_list
    seed_words = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}-{seeds[-1]}"
    return (f"{result.main_task} dev score {chosen} (baseline none {baseline}) | "
            f"{result.settings.describe()} {seed_words} | {when}")


def playground_figure(result: PlaygroundResult, figure: Any = None, *, full_range: bool = False):
    """Left: the main task's dev score during training, chosen setting against the single-task baseline (mean
    line, a band from the lowest to the highest seed); right: the final score of each seed, paired by a line.

    The y-axis is zoomed to the data (``full_range=True``: 0 to 1). With ``figure`` (an earlier one) it is
    cleared and redrawn in place, keeping its layout: the cheap redraw while training. A plain
    ``matplotlib.figure.Figure`` (not pyplot), so a worker thread may draw it."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    main = result.curves[result.curves.task == result.main_task]
    fresh = figure is None
    if fresh:
        figure = Figure(figsize=(9.5, 3.6))
    layout = {k: getattr(figure.subplotpars, k) for k in ("left", "right", "bottom", "top", "wspace", "hspace")}
    figure.clear()  # also resets the layout: put it back
    figure.subplots_adjust(**layout)
    lines, seeds = figure.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    names = {"chosen": f"sharing={result.settings.sharing}", "baseline": "single-task (none)"}
    for setup in ("baseline", "chosen"):
        part = main[main.setup == setup]
        if part.empty:  # a partial result: this setup has no point yet
            continue
        rows = part.groupby("epoch").value
        mean, low, high = rows.mean(), rows.min(), rows.max()
        lines.plot(mean.index, mean.values, marker="o", markersize=3, color=COLORS[setup], label=names[setup])
        if part.seed.nunique() > 1:
            lines.fill_between(mean.index, low.values, high.values, color=COLORS[setup], alpha=0.2)
    lines.set_xlim(0, result.settings.epochs)
    lines.xaxis.set_major_locator(MaxNLocator(integer=True))
    values = main.value
    if full_range or values.empty:
        lines.set_ylim(0.0, 1.02)
    else:
        lines.set_ylim(max(0.0, values.min() - 0.05), min(1.02, values.max() + 0.05))
    lines.set_xlabel("epoch", fontsize=12)
    lines.set_ylabel(f"{result.main_task} dev {main.metric.iloc[0] if len(main) else 'score'}", fontsize=12)
    lines.set_title("main task, during training", fontsize=12)
    lines.tick_params(labelsize=11)
    if len(main):
        lines.legend(fontsize=10, loc="upper left", bbox_to_anchor=(0.0, -0.2), ncol=2, frameon=False)
    for seed in result.paired_seeds:
        pair = [result.scores["baseline"][seed], result.scores["chosen"][seed]]
        seeds.plot([0, 1], pair, color="grey", alpha=0.6, marker="o")
    seeds.set_xticks([0, 1], ["none", result.settings.sharing], fontsize=11)
    seeds.set_xlim(-0.4, 1.4)
    seeds.set_ylim(*lines.get_ylim())
    seeds.set_title("final score, per seed", fontsize=12)
    figure.suptitle(result.settings.describe(), fontsize=10)
    if fresh:
        figure.tight_layout()
    return figure


def figure_png(figure: Any, dpi: int = 90) -> bytes:
    """The figure as PNG bytes (for an ``ipywidgets.Image``)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def sweep_figure(sweep: pd.DataFrame, task: str | None = None):
    """Dev score against relatedness, one line per sharing mode (task=None: mean over tasks), mean over seeds."""
    import matplotlib.pyplot as plt

    table = sweep_table(sweep, task)
    figure, axis = plt.subplots(figsize=(5.5, 3.4))
    plt.close(figure)
    for sharing in table.columns:
        axis.plot(table.index, table[sharing], marker="o", label=sharing)
    axis.set_xlabel("relatedness of the toy tasks", fontsize=11)
    axis.set_ylabel("final dev score", fontsize=11)
    axis.set_title(f"{task or 'mean over tasks'}: score vs relatedness", fontsize=11)
    axis.legend(fontsize=9, title="sharing", loc="best")
    figure.tight_layout()
    return figure


class _Restart(Exception):
    """Raised inside a run's progress callback when a newer change asks for a restart."""


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def build_playground(settings: PlaygroundSettings | None = None, run: Callable[..., pd.DataFrame] | None = None,
                     *, background: bool | None = None) -> ipywidgets.Widget:
    """Controls for every PlaygroundSettings knob; each change retrains the chosen setting and its single-task
    baseline on the same seeds and redraws while they train (every REDRAW_SECONDS or REDRAW_POINTS new points).

    background: train in a worker thread (default: when running inside a Jupyter kernel), so a change during
    a run restarts it; ``widget.wait()`` blocks until the current run is drawn. run: a stand-in for one run
    (tests); None trains the real models side by side. "new seed" moves to seeds never shown; the settings
    string under the controls (PlaygroundSettings.to_query) restores the whole state when pasted back.
    ``widget.settings()`` reads the controls, ``widget.last`` is the last complete PlaygroundResult."""
    import ipywidgets as w

    settings = settings or PlaygroundSettings()
    settings.validate()
    background = _in_kernel() if background is None else background
    style, layout = {"description_width": "130px"}, w.Layout(width="420px")

    def slider(kind, value, low, high, step, description, fmt=None):
        extra = {"readout_format": fmt} if fmt else {}
        return kind(value=value, min=low, max=high, step=step, description=description, style=style,
                    layout=layout, continuous_update=False, **extra)

    fractions = sorted(set(FRACTIONS) | {settings.fraction})
    controls: dict[str, w.Widget] = {
        "sharing": w.ToggleButtons(options=SHARING_MODES, value=settings.sharing, description="sharing",
                                   style={**style, "button_width": "95px"}),
        "coupling_weight": w.FloatLogSlider(value=max(settings.coupling_weight, 1e-4), base=10, min=-4, max=0,
                                            step=0.5, description="λ (soft)", style=style, layout=layout,
                                            continuous_update=False, readout_format=".0e"),
        "shared_layers": slider(w.IntSlider, settings.shared_layers, 0, settings.num_layers, 1,
                                "shared layers (hard)"),
        "sampling": w.Dropdown(options=PLAYGROUND_SAMPLINGS, value=settings.sampling, description="task sampling",
                               style=style, layout=layout),
        "fraction": w.SelectionSlider(options=[(f"{f:g}", f) for f in fractions], value=settings.fraction,
                                      description=f"{settings.tasks[0]} data", style=style, layout=layout,
                                      continuous_update=False),
        "relatedness": slider(w.FloatSlider, settings.relatedness, 0.0, 1.0, 0.25, "relatedness", ".2f"),
        "seed": w.BoundedIntText(value=settings.seed, min=0, max=10**6, description="first seed", style=style,
                                 layout=w.Layout(width="220px")),
        "seeds": slider(w.IntSlider, settings.seeds, 1, 5, 1, "seeds (band)"),
    }
    weights = [slider(w.FloatSlider, value, 0.0, 2.0, 0.25, f"weight {task}", ".2f")
               for task, value in zip(settings.tasks, settings.task_weights)]
    new_seed = w.Button(description="new seed", tooltip="train again from a fresh initialisation and subsample")
    show_code = w.Button(description="show code", tooltip="print a snippet that reproduces this run")
    full_range = w.Checkbox(value=False, description="y from 0 to 1", indent=False)
    code = w.Output()
    controls["fraction"].add_class(PROBE_SLIDER_CLASS)
    text, plot = w.HTML(), w.Image(format="png")
    output = w.VBox([text, plot])
    output.add_class(PROBE_OUTPUT_CLASS)
    status = w.HTML()
    query = w.Text(value=settings.to_query(), description="settings", style={"description_width": "60px"},
                   layout=w.Layout(width="85%"), continuous_update=False)
    syncing = {"on": False}  # True while the settings string and the controls write each other: one retrain
    # base: what the controls do not show (epochs, sizes, …); worker: the training thread, if any
    state: dict[str, Any] = {"base": settings, "figure": None, "restart": False, "busy": False, "worker": None,
                             "drawn": 0.0, "redraws": 0, "points": 0}
    lock = threading.Lock()  # a change and the end of a run must not cross: a restart is never lost

    def current() -> PlaygroundSettings:
        values = {name: control.value for name, control in controls.items()}
        values["task_weights"] = tuple(float(s.value) for s in weights)
        return dataclasses.replace(state["base"], **values)

    def draw(result: PlaygroundResult) -> None:
        state["figure"] = playground_figure(result, state["figure"], full_range=full_range.value)
        lines = [score_line(result), result.gain_line()]
        text.value = "<pre style='margin:0'>" + "\n".join(lines) + "</pre>"
        plot.value = figure_png(state["figure"], dpi=90 if result.complete else 72)  # while training: cheaper
        state["drawn"], state["redraws"], state["points"] = time.perf_counter(), state["redraws"] + 1, 0

    def progress(result: PlaygroundResult) -> None:
        if state["restart"]:
            raise _Restart
        state["points"] += 1
        if time.perf_counter() - state["drawn"] >= REDRAW_SECONDS or state["points"] >= REDRAW_POINTS:
            draw(result)

    def train_once() -> None:
        chosen = current()
        controls["coupling_weight"].disabled = chosen.sharing != "soft"
        controls["shared_layers"].disabled = chosen.sharing != "hard"
        syncing["on"] = True  # showing the string must not restore from it
        query.value = chosen.to_query()
        syncing["on"] = False
        status.value = "<i>training…</i>"
        state["drawn"] = 0.0  # the first point of a new run is drawn at once
        result = playground_compare(chosen, run=run, progress=progress)
        draw(result)
        box.last = result
        status.value = score_line(result).rsplit(" | ", 1)[-1]

    def loop() -> None:
        while True:
            state["restart"] = False
            try:
                train_once()
            except _Restart:
                continue
            except Exception as error:  # a worker thread's error would vanish: show it
                status.value = f"<b>training failed:</b> {type(error).__name__}: {error}"
                if not background:
                    state["busy"] = False
                    raise
            with lock:
                if not state["restart"]:
                    state["busy"] = False
                    return

    def retrain(change: dict | None = None) -> None:
        if syncing["on"]:
            return
        try:
            current().validate()
        except ValueError as error:  # e.g. all task weights 0: say so instead of a traceback
            status.value = f"<b>cannot train:</b> {error}"
            return
        with lock:
            if state["busy"]:
                state["restart"] = True  # the run stops at its next point and the loop starts the new one
                return
            state["busy"] = True
        if not background:
            loop()
            return
        state["worker"] = threading.Thread(target=loop, name="playground-training", daemon=True)
        state["worker"].start()

    def restore(change: dict) -> None:
        if syncing["on"]:
            return
        try:
            chosen = PlaygroundSettings.from_query(change["new"])
            if chosen.tasks != settings.tasks:
                raise ValueError(f"this playground trains {settings.tasks}, the string names {chosen.tasks}; "
                                 "build a new one: build_playground(PlaygroundSettings.from_query(...)).")
        except ValueError as error:
            status.value = f"<b>cannot read the settings:</b> {error}"
            return
        syncing["on"] = True
        try:
            state["base"] = chosen
            controls["seeds"].max = max(controls["seeds"].max, chosen.seeds)
            controls["shared_layers"].max = chosen.num_layers
            for name, control in controls.items():
                value = getattr(chosen, name)
                if name == "fraction" and value not in [v for _, v in control.options]:
                    control.options = [(f"{f:g}", f) for f in sorted({*(v for _, v in control.options), value})]
                control.value = max(value, 1e-4) if name == "coupling_weight" else value
            for control, value in zip(weights, chosen.task_weights):
                control.value = value
        finally:
            syncing["on"] = False
        retrain()

    def fresh_seed(_: Any = None) -> None:
        controls["seed"].value = controls["seed"].value + controls["seeds"].value

    def redraw_range(_: Any = None) -> None:
        if box.last is not None:
            draw(box.last)

    def wait(timeout: float | None = None) -> None:
        worker = state["worker"]
        if worker is not None:
            worker.join(timeout)

    for control in [*controls.values(), *weights]:
        control.observe(retrain, names="value")
    query.observe(restore, names="value")
    full_range.observe(redraw_range, names="value")
    new_seed.on_click(fresh_seed)

    def print_code(_: Any = None) -> None:
        code.clear_output()
        with code:
            chosen = current()
            print("# with mtl_helpers: this run, the setting and its baseline on the same seeds\n" + chosen.code())
            print("# the same model in plain Keras, one seed (notebook 03 builds it step by step)\n"
                  + chosen.keras_code())

    show_code.on_click(print_code)
    box = w.VBox([controls["sharing"], w.HBox([w.VBox([controls["coupling_weight"], controls["shared_layers"],
                                                       controls["sampling"], controls["relatedness"]]),
                                               w.VBox([controls["fraction"], *weights, controls["seeds"],
                                                       w.HBox([controls["seed"], new_seed])])]),
                  status, w.HBox([query, show_code], layout=w.Layout(width="95%")), code, full_range, output])
    box.controls, box.weight_sliders, box.settings, box.last, box.wait = controls, weights, current, None, wait
    box.query, box.new_seed, box.status, box.show_code, box.code = query, new_seed, status, show_code, code
    box.full_range, box.plot, box.text, box.redraws = full_range, plot, text, lambda: state["redraws"]
    retrain()
    return box


def voila_query() -> str:
    """The page's URL query string in a Voilà app ("" elsewhere). In a preheated kernel (``voila
    --preheat_kernel=True``) the notebook runs before anyone visits: this waits for the visitor's request,
    so call it after the expensive cells, which then run ahead of the visit."""
    import os

    try:
        from voila.utils import get_query_string
    except ImportError:  # not served by Voilà: no query string
        return os.environ.get("QUERY_STRING", "")
    return get_query_string() or ""


def apply_query(playground: ipywidgets.Widget, query: str) -> bool:
    """Set a built playground to the settings of ``query`` (PlaygroundSettings.from_query), retraining only if
    they differ from what it shows; True when it retrains. A bad string is reported in its status line."""
    if not query:
        return False
    try:
        if PlaygroundSettings.from_query(query) == playground.settings():
            return False
    except ValueError:
        playground.query.value = query  # the settings box says what is wrong with it; nothing retrains
        return False
    playground.query.value = query  # the settings box restores every control, then retrains once
    return True


def build_sweep_explorer(sweep: pd.DataFrame) -> ipywidgets.Widget:
    """Pick a task (or the mean) to see its score-vs-relatedness lines and table; nothing is retrained. With
    several seeds and a 'none' column it also prints the paired gain of each sharing mode per relatedness."""
    import ipywidgets as w
    from IPython.display import display

    choice = w.Dropdown(options=[("mean over tasks", None), *[(t, t) for t in dict.fromkeys(sweep.task)]],
                        description="task")
    output = w.Output()

    def redraw(change: dict | None = None) -> None:
        output.clear_output(wait=True)
        with output:
            display(sweep_table(sweep, choice.value).round(3))
            display(sweep_figure(sweep, choice.value))
            if choice.value is not None and sweep.seed.nunique() >= 2 and BASELINE in set(sweep.sharing):
                for sharing in [s for s in SHARING_MODES if s != BASELINE and s in set(sweep.sharing)]:
                    for r, comparison in sweep_gains(sweep, choice.value, sharing).items():
                        print(f"r = {r:g}: {comparison.sentence()}")

    choice.observe(redraw, names="value")
    redraw()
    box = w.VBox([choice, output])
    box.choice, box.output = choice, output
    return box


def grid_figure(grid: pd.DataFrame, task: str, sharing: str = "hard",
                picked: tuple[float, float] | None = None, figure: Any = None):
    """The gain of ``sharing`` over the single-task baseline on ``task`` against the main task's data, one line
    per relatedness, with each cell's 95% interval (paired over the grid's seeds); ``picked`` (relatedness,
    fraction) is ringed. Above the dashed zero line sharing helps, below it hurts."""
    from matplotlib.figure import Figure

    from mtl_helpers.playground_grid import grid_gains

    gains = grid_gains(grid, task, sharing)
    figure = figure or Figure(figsize=(7.5, 3.8))
    figure.clear()
    axis = figure.add_subplot()
    colors = {r: color for r, color in zip(sorted({r for r, _ in gains}), ("tab:red", "tab:grey", "tab:green",
                                                                          "tab:purple", "tab:brown"))}
    for r in sorted(colors):
        cells = sorted((f, c) for (rr, f), c in gains.items() if rr == r)
        xs = [f for f, _ in cells]
        means = [c.interval[0] for _, c in cells]
        errors = [[c.interval[0] - c.interval[1] for _, c in cells], [c.interval[2] - c.interval[0]
                                                                         for _, c in cells]]
        axis.errorbar(xs, means, yerr=errors, marker="o", capsize=4, color=colors.get(r), label=f"relatedness {r:g}")
    ring = picked if picked is not None and picked in gains else next(iter(gains))
    axis.plot([ring[1]], [gains[ring].interval[0]], marker="o", markersize=16, markerfacecolor="none",
              markeredgecolor="black", markeredgewidth=2, gid="picked", visible=picked in gains)
    axis.axhline(0.0, color="black", linestyle="--", linewidth=1)
    axis.set_xscale("log")
    fractions = sorted({f for _, f in gains})
    axis.set_xticks(fractions, [f"{f:g}" for f in fractions])
    axis.set_xlabel(f"share of {task}'s training data", fontsize=12)
    axis.set_ylabel(f"gain of {sharing} over none", fontsize=12)
    axis.set_title(f"{task}: when does {sharing} sharing help? (mean, 95% interval)", fontsize=12)
    axis.tick_params(labelsize=11)
    axis.legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    figure.tight_layout()
    return figure


def _blit_ready(figure: Any) -> tuple[Any, Any, Any]:
    """(canvas, background pixels without the ring, ring) of a grid figure, drawn once at 72 dpi."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure.set_dpi(72)
    canvas = FigureCanvasAgg(figure)
    ring = next(line for line in figure.axes[0].lines if line.get_gid() == "picked")
    ring.set_visible(False)
    canvas.draw()
    return canvas, canvas.copy_from_bbox(figure.bbox), ring


def _blit_ring(canvas: Any, background: Any, ring: Any, x: float, y: float) -> bytes:
    """The figure's kept pixels with the ring drawn at (x, y), as PNG bytes."""
    from PIL import Image

    canvas.restore_region(background)
    ring.set_data([x], [y])
    ring.set_visible(True)
    ring.axes.draw_artist(ring)
    buffer = io.BytesIO()
    Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).save(buffer, format="png",
                                                                                  compress_level=1)
    return buffer.getvalue()


def build_grid_explorer(grid: pd.DataFrame) -> ipywidgets.Widget:
    """Pick a sharing mode and a cell (relatedness, main-task data) of the precomputed grid: the figure of all
    gains redraws with the cell ringed, and the cell's paired comparison is printed. Nothing is trained."""
    import ipywidgets as w

    from mtl_helpers.playground_grid import grid_gains

    task = str(grid.task.iloc[0])  # the main task: the first task of every run
    sharings = [s for s in SHARING_MODES if s != BASELINE and s in set(grid.sharing)]
    style = {"description_width": "110px"}
    sharing = w.ToggleButtons(options=sharings, value="hard" if "hard" in sharings else sharings[0],
                              description="sharing", style=style)
    relatedness = w.SelectionSlider(options=sorted(set(grid.relatedness)), value=max(grid.relatedness),
                                    description="relatedness", style=style, continuous_update=False)
    fractions = sorted(set(grid.fraction))
    fraction = w.SelectionSlider(options=[(f"{f:g}", f) for f in fractions], value=fractions[0],
                                 description=f"{task} data", style=style, continuous_update=False)
    text, plot = w.HTML(), w.Image(format="png")
    state: dict[str, Any] = {"seconds": float("nan")}
    # per sharing mode: its figure drawn once here without the ring (its pixels kept), so that a pick only
    # restores those pixels, draws the ring on them and encodes the PNG: a few ms instead of a full redraw
    drawn = {mode: _blit_ready(grid_figure(grid, task, mode)) for mode in sharings}
    gains = {mode: grid_gains(grid, task, mode) for mode in sharings}

    def redraw(_: Any = None) -> None:
        start = time.perf_counter()
        cell = (float(relatedness.value), float(fraction.value))
        comparison = gains[sharing.value][cell]
        plot.value = _blit_ring(*drawn[sharing.value], cell[1], comparison.interval[0])
        per_seed = ", ".join(f"seed {s}: {b:.3f} → {t:.3f}" for s, b, t in
                             zip(comparison.seeds, comparison.baseline_scores, comparison.treatment_scores))
        text.value = (f"<b>r = {cell[0]:g}, {task} data {cell[1]:g}:</b> {comparison.sentence()}<br>"
                      f"<small>{per_seed}</small>")
        state["seconds"] = time.perf_counter() - start

    for control in (sharing, relatedness, fraction):
        control.observe(redraw, names="value")
    redraw()
    box = w.VBox([sharing, relatedness, fraction, text, plot])
    box.sharing, box.relatedness, box.fraction, box.text, box.plot = sharing, relatedness, fraction, text, plot
    box.last_redraw_seconds = lambda: state["seconds"]
    return box
