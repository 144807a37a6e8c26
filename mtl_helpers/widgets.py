"""Widget UIs for the notebooks: pure logic functions and thin ipywidgets builders on top."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from mtl_helpers.playground_ui import (  # noqa: F401 - re-exported: notebook 08 calls widgets.build_playground
    FRACTIONS,
    PROBE_OUTPUT_CLASS,
    PROBE_SLIDER_CLASS,
    build_grid_explorer,
    build_playground,
    build_sweep_explorer,
    playground_figure,
    score_line,
    sweep_figure,
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
