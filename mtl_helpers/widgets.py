"""Widget UIs for the notebooks: pure logic functions and thin ipywidgets builders on top."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mtl_helpers.models import parameter_counts_from_models  # noqa: F401 - re-exported for notebook 02
from mtl_helpers.theta import (  # noqa: F401 - re-exported: notebook 02 calls widgets.parameter_counts
    PARAMETER_SETUPS,
    bilstm_layer_parameters,
    parameter_counts,
)

# --- Parameter counts ---
if TYPE_CHECKING:
    import ipywidgets
    import pandas as pd

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


def lambda_slider(sweep: pd.DataFrame) -> ipywidgets.VBox:
    """A slider over the λ values of a precomputed sweep; shows its figure with the chosen λ marked,
    and that λ's rows of the table."""
    import ipywidgets
    from IPython.display import display

    from mtl_helpers import plots

    lambdas = sorted(sweep["coupling_weight"].unique())
    if not lambdas:
        raise ValueError("the sweep is empty; run experiments.lambda_sweep(...) with at least one λ first.")
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
