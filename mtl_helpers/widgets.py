"""Widget UIs for the notebooks: pure logic functions and thin ipywidgets builders on top."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mtl_helpers.playground import (  # noqa: F401 - re-exported: the notebooks call widgets.playground_…
    BASELINE,
    PLAYGROUND_SAMPLINGS,
    SHARING_MODES,
    PlaygroundResult,
    PlaygroundSettings,
    playground_compare,
    playground_run,
    playground_sweep,
    playground_tasks,
    sweep_gains,
    sweep_table,
)

# --- Parameter counts ---
if TYPE_CHECKING:
    import ipywidgets
    import pandas as pd

PARAMETER_SETUPS: tuple[str, ...] = ("single-task (T models)", "hard sharing", "soft sharing")


def bilstm_layer_parameters(layer: int, embedding_dim: int, hidden_units: int) -> int:
    """Parameters of BiLSTM layer ``layer`` (1-based) of models.EncoderConfig(kind="bilstm").

    Each direction is a Keras LSTM: kernel [d, 4u], recurrent kernel [u, 4u], bias [4u]. Layer 1 reads
    the embedding (d = embedding_dim); a higher layer's forward LSTM reads only the forward half of the
    layer below (d = u), and the backward LSTM the backward half (ELMo-style stacks, see models.py)."""
    d = embedding_dim if layer == 1 else hidden_units
    return 2 * (4 * hidden_units * (d + hidden_units) + 4 * hidden_units)


def _check_counts_arguments(num_tasks: int, num_layers: int, shared_layers: int, values: dict[str, int]) -> None:
    for name, value in {"num_tasks": num_tasks, "num_layers": num_layers, **values}.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if isinstance(shared_layers, bool) or not isinstance(shared_layers, int) or not 0 <= shared_layers <= num_layers:
        raise ValueError(f"shared_layers={shared_layers!r} must be in 0..num_layers={num_layers} "
                         "(0 = only the embedding is shared); lower it or raise num_layers.")


def parameter_counts(num_tasks: int, num_layers: int = 2, shared_layers: int = 2, embedding_dim: int = 64,
                     hidden_units: int = 64, vocab_size: int = 10_000, num_classes: int = 2) -> pd.DataFrame:
    """Exact parameter counts of T classification tasks under three setups (BiLSTM encoder, models.py).

    Rows: T single-task models, one hard-shared model (embedding + lowest ``shared_layers`` layers
    shared), one soft-shared model (T full towers; the coupling λ·Ω adds no parameters).
    Columns: setup, shared (|θ_sh|), task_specific (Σ_t |θ_t|), total, saving (vs the T single models).
    The formulas are checked against built Keras models in tests/test_plots_00_02.py.
    """
    _check_counts_arguments(num_tasks, num_layers, shared_layers, {
        "embedding_dim": embedding_dim, "hidden_units": hidden_units, "vocab_size": vocab_size,
        "num_classes": num_classes})
    import pandas as pd

    layers = [bilstm_layer_parameters(n, embedding_dim, hidden_units) for n in range(1, num_layers + 1)]
    head = 2 * hidden_units * num_classes + num_classes  # Dense on the pooled [forward | backward] states
    single = vocab_size * embedding_dim + sum(layers) + head
    shared = vocab_size * embedding_dim + sum(layers[:shared_layers])
    per_task_hard = sum(layers[shared_layers:]) + head
    rows = [
        (PARAMETER_SETUPS[0], 0, num_tasks * single),
        (PARAMETER_SETUPS[1], shared, num_tasks * per_task_hard),
        (PARAMETER_SETUPS[2], 0, num_tasks * single),
    ]
    frame = pd.DataFrame(rows, columns=["setup", "shared", "task_specific"])
    frame["total"] = frame["shared"] + frame["task_specific"]
    frame["saving"] = num_tasks * single - frame["total"]
    return frame


def parameter_counts_from_models(num_tasks: int, num_layers: int = 2, shared_layers: int = 2,
                                 embedding_dim: int = 64, hidden_units: int = 64, vocab_size: int = 10_000,
                                 num_classes: int = 2) -> pd.DataFrame:
    """The table of :func:`parameter_counts`, counted on REAL built Keras models (slower: builds T + 2
    models) through models.theta_partition, so the formulas can be checked against Keras."""
    _check_counts_arguments(num_tasks, num_layers, shared_layers, {
        "embedding_dim": embedding_dim, "hidden_units": hidden_units, "vocab_size": vocab_size,
        "num_classes": num_classes})
    import pandas as pd

    from mtl_helpers import models

    encoder = models.EncoderConfig(vocab_size, embedding_dim=embedding_dim, hidden_units=hidden_units,
                                   num_layers=num_layers)
    specs = [models.TaskSpec(f"task{t + 1}", "classification", num_classes) for t in range(num_tasks)]
    single = sum(models.build_single_task(spec, encoder).count_params() for spec in specs)
    rows = [(PARAMETER_SETUPS[0], 0, single)]
    for setup, kwargs in ((PARAMETER_SETUPS[1], {"sharing": "hard", "shared_layers": shared_layers}),
                          (PARAMETER_SETUPS[2], {"sharing": "soft"})):
        table = models.theta_partition(models.build_model(specs, encoder, **kwargs)).set_index("group")
        shared = int(table.loc["shared", "parameters"])
        rows.append((setup, shared, int(table["parameters"].sum()) - shared))
    frame = pd.DataFrame(rows, columns=["setup", "shared", "task_specific"])
    frame["total"] = frame["shared"] + frame["task_specific"]
    frame["saving"] = single - frame["total"]
    return frame


def parameter_count_figure(counts: pd.DataFrame, title: str = ""):
    """Stacked bars (shared + task-specific parameters) of a :func:`parameter_counts` table."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.5, 3.4))
    plt.close(figure)
    axis.bar(counts["setup"], counts["shared"], label="shared θ_sh", color="tab:orange")
    axis.bar(counts["setup"], counts["task_specific"], bottom=counts["shared"], label="task-specific Σ θ_t",
             color="tab:blue")
    for position, total in enumerate(counts["total"]):
        axis.text(position, total, f"{total:,}", ha="center", va="bottom", fontsize=8)
    axis.set_ylabel("parameters")
    axis.set_title(title or "Parameters of T tasks")
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def parameter_count_widget(num_tasks: int = 3, num_layers: int = 2, shared_layers: int = 2,
                           embedding_dim: int = 64, hidden_units: int = 64, vocab_size: int = 10_000,
                           num_classes: int = 2) -> ipywidgets.Widget:
    """Sliders for T, depth, shared depth and sizes; shows the :func:`parameter_counts` table and bars."""
    import ipywidgets as w
    from IPython.display import display

    style = {"description_width": "150px"}
    controls = {
        "num_tasks": w.IntSlider(num_tasks, 1, 10, description="tasks T", style=style),
        "num_layers": w.IntSlider(num_layers, 1, 4, description="encoder layers", style=style),
        "shared_layers": w.IntSlider(shared_layers, 0, num_layers, description="shared layers (hard)", style=style),
        "embedding_dim": w.IntSlider(embedding_dim, 8, 512, step=8, description="embedding dim", style=style),
        "hidden_units": w.IntSlider(hidden_units, 8, 512, step=8, description="LSTM units", style=style),
        "vocab_size": w.IntSlider(vocab_size, 1_000, 100_000, step=1_000, description="vocabulary size",
                                  style=style),
        "num_classes": w.IntSlider(num_classes, 2, 50, description="classes per task", style=style),
    }

    def follow_depth(change: dict) -> None:  # shared depth can never exceed the depth
        controls["shared_layers"].max = change["new"]

    controls["num_layers"].observe(follow_depth, names="value")

    def show(**values: int) -> None:
        counts = parameter_counts(**values)
        display(counts.style.format({c: "{:,}" for c in ("shared", "task_specific", "total", "saving")}))
        display(parameter_count_figure(counts, title=f"T = {values['num_tasks']} tasks"))

    output = w.interactive_output(show, controls)
    return w.VBox([w.VBox(list(controls.values())), output])


# --- Reading every head of one model, and the soft-sharing λ ---


def tokenize(sentence: str) -> list[str]:
    """Penn-Treebank tokens of a typed sentence (NLTK's TreebankWordTokenizer: no punkt model needed,
    and it splits "don't" and punctuation the way the CoNLL-2000 corpus does)."""
    from nltk.tokenize import TreebankWordTokenizer

    if not isinstance(sentence, str):
        raise ValueError(f"sentence must be a string, got {type(sentence).__name__}; pass e.g. 'The cat sat .'.")
    return TreebankWordTokenizer().tokenize(sentence)


def predict_all_heads(model: Any, vocab: Any, tasks: Mapping[str, Any], sentence: str) -> pd.DataFrame:
    """Every head's prediction for one typed sentence, from one shared model, as a tidy table.

    Columns head, kind, position, token, prediction: a tagging head gives one row per token, a
    classification head one row for the whole sentence (position -1, token "<sentence>").
    ``tasks`` maps head names of ``model`` to their TaskData (for the label inventories).
    """
    import pandas as pd

    from mtl_helpers import training

    tokens = tokenize(sentence)
    if not tokens:
        raise ValueError("the sentence is empty; type at least one word, e.g. 'The market fell sharply .'.")
    unknown = [name for name in tasks if name not in model.task_names]
    if unknown:
        raise ValueError(f"heads {unknown} are not in this model (it has {model.task_names}); pass only its tasks.")
    rows = []
    for name, task in tasks.items():
        if task.kind not in ("classification", "tagging"):
            raise ValueError(f"{name} is a {task.kind} task; predict_all_heads shows classification and tagging heads.")
        prediction = training.predict(model, task, [tokens], vocab)[0]
        if task.kind == "tagging":
            rows += [(name, task.kind, i, token, tag) for i, (token, tag) in enumerate(zip(tokens, prediction))]
        else:
            rows.append((name, task.kind, -1, "<sentence>", prediction))
    return pd.DataFrame(rows, columns=["head", "kind", "position", "token", "prediction"])


def heads_side_by_side(predictions: pd.DataFrame) -> pd.DataFrame:
    """predict_all_heads' table as one row per token (a column per tagging head), then one row per
    sentence-level head: easier to read in a notebook."""
    import pandas as pd

    tags = predictions[predictions["kind"] == "tagging"]
    wide = tags.pivot(index=["position", "token"], columns="head", values="prediction").reset_index("token")
    wide.columns.name = None
    labels = predictions[predictions["kind"] == "classification"]
    sentence_rows = pd.DataFrame({"token": [f"<sentence: {h}>" for h in labels["head"]],
                                  "sentence label": labels["prediction"].to_numpy()})
    return pd.concat([wide.reset_index(drop=True), sentence_rows], ignore_index=True).fillna("")


def sentence_box(models_and_tasks: Sequence[tuple[Any, Any, Mapping[str, Any]]],
                 example: str = "The company said profits rose sharply in the third quarter .") -> ipywidgets.VBox:
    """A Text box + Output: on Enter, every head of every (model, vocab, tasks) triple predicts the sentence."""
    import ipywidgets
    import pandas as pd
    from IPython.display import display

    text = ipywidgets.Text(value=example, description="Sentence:", continuous_update=False,
                           layout=ipywidgets.Layout(width="90%"))
    output = ipywidgets.Output()

    def show(_: Any = None) -> None:
        output.clear_output()
        with output:
            try:
                tables = [predict_all_heads(model, vocab, tasks, text.value)
                          for model, vocab, tasks in models_and_tasks]
                display(heads_side_by_side(pd.concat(tables, ignore_index=True)))
            except ValueError as error:
                print(f"⚠ {error}")

    text.observe(show, names="value")
    show()
    return ipywidgets.VBox([text, output])


def lambda_sweep(tasks: Mapping[str, Any], vocab: Any, encoder: Any, lambdas: Sequence[float],
                 train_config: Any, *, coupling: str = "l2", split: str = "dev", seed: int = 0) -> pd.DataFrame:
    """Train one soft-shared model per coupling weight λ and record tower distance and scores.

    λ = 0 gives independent towers, a large λ pulls the towers together (towards hard sharing). Returns
    columns coupling_weight, task, metric, value (each task's main metric on ``split``), distance (the
    total ‖θ_a − θ_b‖ over encoder units, first task pair), penalty (λ·Ω after training).
    """
    import pandas as pd

    from mtl_helpers import metrics, models, training

    if not lambdas or any((not isinstance(lam, (int, float))) or lam < 0 for lam in lambdas):
        raise ValueError(f"lambdas must be a non-empty list of numbers >= 0, got {lambdas!r}; pass e.g. [0, 0.01, 1].")
    if len(tasks) < 2:
        raise ValueError(f"soft sharing couples two or more towers; got tasks {list(tasks)}. Pass at least two.")
    specs = [models.TaskSpec.from_task(task, vocab) for task in tasks.values()]
    rows = []
    for lam in sorted(set(float(x) for x in lambdas)):
        model = models.build_model(specs, encoder, sharing="soft", coupling=coupling, coupling_weight=lam, seed=seed)
        training.train(model, tasks, vocab, train_config)
        scores = training.evaluate(model, tasks, vocab, split)
        distances = models.tower_distance(model)
        distance = float(distances.loc[distances["layer"] == "total", "distance"].iloc[0])
        penalty = float(model.penalty())
        for name, task in tasks.items():
            metric, _ = metrics.main_metric(task.kind, task.labels)
            value = scores.loc[(scores["task"] == name) & (scores["metric"] == metric), "value"]
            rows.append({"coupling_weight": lam, "task": name, "metric": metric,
                         "value": float(value.iloc[0]) if len(value) else float("nan"),
                         "distance": distance, "penalty": penalty})
    return pd.DataFrame(rows, columns=["coupling_weight", "task", "metric", "value", "distance", "penalty"])


def lambda_slider(sweep: pd.DataFrame) -> ipywidgets.VBox:
    """A slider over the λ values of a precomputed sweep; shows its figure with the chosen λ marked,
    and that λ's rows of the table."""
    import ipywidgets
    from IPython.display import display

    from mtl_helpers import plots

    lambdas = sorted(sweep["coupling_weight"].unique())
    if not lambdas:
        raise ValueError("the sweep is empty; run widgets.lambda_sweep(...) with at least one λ first.")
    slider = ipywidgets.SelectionSlider(options=[(f"{lam:g}", lam) for lam in lambdas], value=lambdas[0],
                                        description="λ", continuous_update=False)
    output = ipywidgets.Output()

    def show(_: Any = None) -> None:
        output.clear_output(wait=True)
        with output:
            display(plots.lambda_sweep_figure(sweep, selected=slider.value))
            display(sweep[sweep["coupling_weight"] == slider.value].round(4))

    slider.observe(show, names="value")
    show()
    return ipywidgets.VBox([slider, output])


# --- The playground ---
# Retrain a small multi-task model and its single-task baseline on toy data for every change of
# a control, and explore a precomputed relatedness × sharing sweep. The training logic lives in
# mtl_helpers.playground (re-exported here for the notebooks); this part only reads controls and draws.


# CSS classes the browser test (tests/test_browser.py) looks for: the slider it moves, the output it reads.
PROBE_SLIDER_CLASS = "playground-probe-slider"
PROBE_OUTPUT_CLASS = "playground-probe-output"
FRACTIONS: tuple[float, ...] = (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)  # the main-task data slider


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


def playground_figure(result: PlaygroundResult, figure: Any = None):
    """Left: the main task's dev score per epoch, chosen setting against the single-task baseline (mean line,
    a band from the lowest to the highest seed); right: the final score of each seed, paired by a line.
    With ``figure`` (an earlier one) it is cleared and redrawn in place, keeping its layout: the cheap redraw
    while training (tight_layout is most of a redraw's cost, so only a new figure computes it)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    main = result.curves[result.curves.task == result.main_task]
    fresh = figure is None
    if fresh:
        figure = plt.figure(figsize=(9, 3.4))
        plt.close(figure)
    layout = {k: getattr(figure.subplotpars, k) for k in ("left", "right", "bottom", "top", "wspace", "hspace")}
    figure.clear()  # also resets the layout: put it back
    figure.subplots_adjust(**layout)
    lines, seeds = figure.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    colors = {"chosen": "tab:orange", "baseline": "tab:blue"}
    names = {"chosen": f"sharing={result.settings.sharing}", "baseline": "single-task (none)"}
    for setup in ("baseline", "chosen"):
        part = main[main.setup == setup]
        if part.empty:  # a partial result: this setup is still training
            continue
        rows = part.groupby("epoch").value
        mean, low, high = rows.mean(), rows.min(), rows.max()
        lines.plot(mean.index, mean.values, marker="o", color=colors[setup], label=names[setup])
        if part.seed.nunique() > 1:
            lines.fill_between(mean.index, low.values, high.values, color=colors[setup], alpha=0.2)
    lines.xaxis.set_major_locator(MaxNLocator(integer=True))
    values = main.value
    lines.set_ylim(max(0.0, values.min() - 0.05), min(1.0, values.max() + 0.05))
    lines.set_xlabel("epoch", fontsize=11)
    lines.set_ylabel(f"{result.main_task} dev {main.metric.iloc[0]}", fontsize=11)
    lines.set_title("main task, during training", fontsize=11)
    lines.legend(fontsize=9, loc="lower right")
    for seed in result.paired_seeds:
        pair = [result.scores["baseline"][seed], result.scores["chosen"][seed]]
        seeds.plot([0, 1], pair, color="grey", alpha=0.6, marker="o")
    seeds.set_xticks([0, 1], ["none", result.settings.sharing])
    seeds.set_xlim(-0.4, 1.4)
    seeds.set_ylim(*lines.get_ylim())
    seeds.set_title("final score, per seed", fontsize=11)
    figure.suptitle(result.settings.describe(), fontsize=9)
    if fresh:
        figure.tight_layout()
    return figure


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


def build_playground(settings: PlaygroundSettings | None = None,
                     run: Callable[[PlaygroundSettings], pd.DataFrame] = playground_run) -> ipywidgets.Widget:
    """Controls for every PlaygroundSettings knob; each change retrains the chosen setting AND its
    single-task baseline on the same seeds (playground_compare) and redraws after every epoch of every run
    (one figure, redrawn in place; a ``run`` without an ``on_epoch`` keyword redraws after each run).

    "new seed" moves to seeds never shown (a fresh initialisation and subsample); the settings string
    under the controls (PlaygroundSettings.to_query) restores the whole state when pasted back.
    ``widget.settings()`` reads the controls, ``widget.last`` is the last PlaygroundResult."""
    import ipywidgets as w
    from IPython.display import display

    settings = settings or PlaygroundSettings()
    settings.validate()
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
    code = w.Output()
    controls["fraction"].add_class(PROBE_SLIDER_CLASS)
    output = w.Output()
    output.add_class(PROBE_OUTPUT_CLASS)
    status = w.HTML()
    query = w.Text(value=settings.to_query(), description="settings", style={"description_width": "60px"},
                   layout=w.Layout(width="85%"), continuous_update=False)
    syncing = {"on": False}  # True while the settings string and the controls write each other: one retrain
    state = {"base": settings, "figure": None}  # base: what the controls do not show (epochs, sizes, …)

    def current() -> PlaygroundSettings:
        values = {name: control.value for name, control in controls.items()}
        values["task_weights"] = tuple(float(s.value) for s in weights)
        return dataclasses.replace(state["base"], **values)

    def draw(result: PlaygroundResult) -> None:
        box.last = result
        state["figure"] = playground_figure(result, state["figure"])
        output.clear_output(wait=True)
        with output:
            print(score_line(result))
            print(result.gain_line())
            display(state["figure"])

    def retrain(change: dict | None = None) -> None:
        if syncing["on"]:
            return
        try:
            chosen = current()
            chosen.validate()
        except ValueError as error:  # e.g. all task weights 0: say so instead of a traceback
            status.value = f"<b>cannot train:</b> {error}"
            return
        controls["coupling_weight"].disabled = chosen.sharing != "soft"
        controls["shared_layers"].disabled = chosen.sharing != "hard"
        syncing["on"] = True  # showing the string must not restore from it
        query.value = chosen.to_query()
        syncing["on"] = False
        status.value = "<i>training…</i>"
        result = playground_compare(chosen, run=run, progress=draw)
        draw(result)
        status.value = score_line(result).rsplit(" | ", 1)[-1]

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

    for control in [*controls.values(), *weights]:
        control.observe(retrain, names="value")
    query.observe(restore, names="value")
    new_seed.on_click(fresh_seed)

    def print_code(_: Any = None) -> None:
        code.clear_output()
        with code:
            print(current().code())

    show_code.on_click(print_code)
    box = w.VBox([controls["sharing"], w.HBox([w.VBox([controls["coupling_weight"], controls["shared_layers"],
                                                       controls["sampling"], controls["relatedness"]]),
                                               w.VBox([controls["fraction"], *weights, controls["seeds"],
                                                       w.HBox([controls["seed"], new_seed])])]),
                  status, w.HBox([query, show_code], layout=w.Layout(width="95%")), code, output])
    box.controls, box.weight_sliders, box.settings, box.last = controls, weights, current, None
    box.query, box.new_seed, box.status, box.show_code, box.code = query, new_seed, status, show_code, code
    retrain()
    return box


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
