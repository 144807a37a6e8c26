"""Widget UIs for the notebooks: pure logic functions and thin ipywidgets builders on top."""
from __future__ import annotations

# --- 02 ---
from typing import TYPE_CHECKING

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


# --- 03, 04 ---
from collections.abc import Mapping, Sequence
from typing import Any


def tokenize(sentence: str) -> list[str]:
    """Penn-Treebank tokens of a typed sentence (NLTK's TreebankWordTokenizer: no punkt model needed,
    and it splits "don't" and punctuation the way the CoNLL-2000 corpus does)."""
    from nltk.tokenize import TreebankWordTokenizer

    if not isinstance(sentence, str):
        raise ValueError(f"sentence must be a string, got {type(sentence).__name__}; pass e.g. 'The cat sat .'.")
    return TreebankWordTokenizer().tokenize(sentence)


def predict_all_heads(model: Any, vocab: Any, tasks: Mapping[str, Any], sentence: str) -> "pd.DataFrame":
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


def heads_side_by_side(predictions: "pd.DataFrame") -> "pd.DataFrame":
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
                 example: str = "The company said profits rose sharply in the third quarter .") -> "ipywidgets.VBox":
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
                 train_config: Any, *, coupling: str = "l2", split: str = "dev", seed: int = 0) -> "pd.DataFrame":
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


def lambda_slider(sweep: "pd.DataFrame") -> "ipywidgets.VBox":
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


# --- 08 playground ---
# Notebook 08: retrain a small multi-task model on toy data for every change of a control, and explore
# a precomputed relatedness × sharing sweep. Pure functions first (playground_run, playground_sweep,
# the figures); the ipywidgets builders only read controls, call them and draw.
import dataclasses
import time
from typing import Callable, Sequence

SHARING_MODES: tuple[str, ...] = ("none", "hard", "soft", "cross_stitch")
PLAYGROUND_SAMPLINGS: tuple[str, ...] = ("proportional", "uniform", "temperature", "annealed", "all")
# CSS classes the browser test (tests/test_browser.py) looks for: the slider it moves, the output it reads.
PROBE_SLIDER_CLASS = "playground-probe-slider"
PROBE_OUTPUT_CLASS = "playground-probe-output"
# PlaygroundSettings' numeric fields besides task_weights: (name, integer only, an example for the message).
_PLAYGROUND_NUMBERS: tuple[tuple[str, bool, str], ...] = (
    ("coupling_weight", False, "0.01"), ("shared_layers", True, "1"), ("fraction", False, "0.25"),
    ("relatedness", False, "0.75"), ("num_layers", True, "1"), ("units", True, "24"), ("toy_size", True, "1500"),
    ("epochs", True, "4"), ("steps_per_epoch", True, "20"), ("learning_rate", False, "5e-3"), ("seed", True, "0"))


def _fast_or(full, fast):
    from mtl_helpers import config

    return config.fast_or(full, fast)


@dataclasses.dataclass(frozen=True)
class PlaygroundSettings:
    """Everything one playground run depends on (a frozen value, so equal settings give equal runs).

    tasks: the first task is the MAIN task; ``fraction`` shrinks only its training split (a low-resource
    main task with a full auxiliary task is where sharing shows). task_weights: one static loss weight
    per task, in the order of ``tasks``. shared_layers: hard sharing only (0 = only the embedding is
    shared). coupling_weight: λ of the soft-sharing penalty λ·Ω (soft only). Sizes default to small
    values (smaller still in fast mode) so that one run takes seconds.
    """

    sharing: str = "hard"
    coupling_weight: float = 0.01
    shared_layers: int = 1
    task_weights: tuple[float, ...] = (1.0, 1.0)
    sampling: str = "proportional"
    fraction: float = 0.25
    relatedness: float = 0.75
    tasks: tuple[str, ...] = ("toy_sentiment", "toy_topic")
    encoder: str = "transformer"  # traces much faster than the BiLSTM: a retrain takes seconds, not tens
    num_layers: int = 1
    units: int = dataclasses.field(default_factory=lambda: _fast_or(24, 16))
    toy_size: int = dataclasses.field(default_factory=lambda: _fast_or(1500, 800))
    epochs: int = dataclasses.field(default_factory=lambda: _fast_or(4, 3))
    steps_per_epoch: int = dataclasses.field(default_factory=lambda: _fast_or(20, 10))
    learning_rate: float = 5e-3
    seed: int = 0

    def __post_init__(self) -> None:
        self.check_types()

    def check_types(self) -> None:
        """Raise ValueError naming the field and the fix for a numeric setting of the wrong type (a string such
        as "0.5", a bool, a float where a count goes). Runs on construction; :meth:`validate` checks the ranges."""
        from mtl_helpers.config import is_integer, is_number

        for name, integer, example in _PLAYGROUND_NUMBERS:
            value = getattr(self, name)
            if not (is_integer(value) if integer else is_number(value)):
                raise ValueError(f"PlaygroundSettings.{name} must be {'an integer' if integer else 'a number'}, "
                                 f"got {value!r} ({type(value).__name__}); pass e.g. {name}={example}.")
        if isinstance(self.task_weights, str) or not all(is_number(w) for w in self.task_weights):
            raise ValueError(f"PlaygroundSettings.task_weights must be a tuple of numbers, one per task, got "
                             f"{self.task_weights!r}; pass e.g. task_weights=(1.0, 0.5).")

    def validate(self) -> None:
        """Raise ValueError naming the bad setting and how to fix it."""
        self.check_types()
        for name in ("num_layers", "units", "toy_size", "epochs", "steps_per_epoch"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)!r} must be >= 1.")
        if self.seed < 0:
            raise ValueError(f"seed={self.seed!r} must be >= 0; pass e.g. seed=0.")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate={self.learning_rate!r} must be > 0; pass e.g. learning_rate=5e-3.")
        if self.sharing not in SHARING_MODES:
            raise ValueError(f"sharing={self.sharing!r} is unknown; use one of {SHARING_MODES}.")
        if self.sampling not in PLAYGROUND_SAMPLINGS:
            raise ValueError(f"sampling={self.sampling!r} is unknown; use one of {PLAYGROUND_SAMPLINGS}.")
        if len(self.tasks) < 2 or len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"tasks={self.tasks!r}: give at least two different task names, "
                             "e.g. ('toy_sentiment', 'toy_topic').")
        if len(self.task_weights) != len(self.tasks) or any(w < 0 for w in self.task_weights):
            raise ValueError(f"task_weights={self.task_weights!r}: give one weight >= 0 per task "
                             f"({len(self.tasks)} tasks: {self.tasks}).")
        if not 0 < sum(self.task_weights):
            raise ValueError("task_weights are all 0, so nothing would be trained; give some task a weight > 0.")
        if not 0.0 <= self.relatedness <= 1.0:
            raise ValueError(f"relatedness={self.relatedness!r} must be in [0, 1] (0 unrelated, 1 related).")
        if not 0.0 < self.fraction <= 1.0:
            raise ValueError(f"fraction={self.fraction!r} must be in (0, 1]; e.g. 0.25 keeps a quarter of "
                             "the main task's training sentences.")
        if not 0 <= self.shared_layers <= self.num_layers:
            raise ValueError(f"shared_layers={self.shared_layers!r} must be in 0..num_layers={self.num_layers}; "
                             "lower it or raise num_layers.")
        if not self.coupling_weight >= 0:
            raise ValueError(f"coupling_weight λ={self.coupling_weight!r} must be >= 0 (0 = no coupling).")

    def describe(self) -> str:
        """One line naming the settings that matter for this sharing mode (λ only for soft, …)."""
        parts = [f"sharing={self.sharing}"]
        if self.sharing == "soft":
            parts.append(f"λ={self.coupling_weight:g}")
        if self.sharing == "hard":
            parts.append(f"shared layers={self.shared_layers}/{self.num_layers}")
        weights = ",".join(f"{w:g}" for w in self.task_weights)
        parts += [f"weights=({weights})", f"sampling={self.sampling}", f"fraction={self.fraction:g}",
                  f"relatedness={self.relatedness:g}"]
        return " ".join(parts)


def playground_tasks(settings: PlaygroundSettings) -> dict:
    """The toy tasks of a run: same seed and relatedness for all; only the main task's train is cut."""
    from mtl_helpers import data

    return {name: data.load_task(name, seed=settings.seed, relatedness=float(settings.relatedness),
                                 toy_size=settings.toy_size,
                                 fraction=float(settings.fraction) if i == 0 else 1.0)
            for i, name in enumerate(settings.tasks)}


_RUN_CACHE: dict = {}
_RUN_CACHE_SIZE = 32


def playground_run(settings: PlaygroundSettings | None = None, *, use_cache: bool = True) -> pd.DataFrame:
    """Train a small multi-task model with ``settings`` and return its dev curve, one row per epoch × task.

    Columns: epoch, task, metric (the task's main metric), value. ``frame.attrs`` holds ``seconds``
    (wall time of the run that computed it), ``settings``, ``train_sizes`` and ``cached``. Deterministic
    for a seed, so results are kept per settings (the last 32): going back to earlier settings is instant.
    Calls ``keras.backend.clear_session()`` first: without it every retrain in a long-lived kernel gets
    slower (Keras/TF global state grows with every model built).
    """
    import keras

    from mtl_helpers import data, metrics, models, training

    settings = settings or PlaygroundSettings()
    settings.validate()
    if use_cache and settings in _RUN_CACHE:
        frame = _RUN_CACHE[settings].copy()
        frame.attrs["cached"] = True
        return frame
    keras.backend.clear_session()
    start = time.perf_counter()
    tasks = playground_tasks(settings)
    vocab = data.Vocabulary.from_tasks(tasks)
    encoder = models.EncoderConfig(vocab_size=len(vocab), kind=settings.encoder, embedding_dim=settings.units,
                                   hidden_units=settings.units, num_layers=settings.num_layers, dropout=0.0,
                                   num_heads=2)
    model = models.build_model(
        [models.TaskSpec.from_task(task, vocab) for task in tasks.values()], encoder, sharing=settings.sharing,
        shared_layers=settings.shared_layers if settings.sharing == "hard" else None,
        coupling_weight=settings.coupling_weight if settings.sharing == "soft" else 0.0, seed=settings.seed)
    config = training.TrainConfig(
        epochs=settings.epochs, steps_per_epoch=settings.steps_per_epoch, learning_rate=settings.learning_rate,
        sampling=settings.sampling, task_weights=dict(zip(settings.tasks, map(float, settings.task_weights))),
        seed=settings.seed, progress=False)
    dev = training.train(model, tasks, vocab, config).dev
    main = {name: metrics.main_metric(task.kind, task.labels)[0] for name, task in tasks.items()}
    frame = dev[dev.metric == dev.task.map(main)][["epoch", "task", "metric", "value"]].reset_index(drop=True)
    frame.attrs.update(seconds=time.perf_counter() - start, settings=settings, cached=False,
                       train_sizes={name: len(task.train) for name, task in tasks.items()})
    if use_cache:
        while len(_RUN_CACHE) >= _RUN_CACHE_SIZE:
            _RUN_CACHE.pop(next(iter(_RUN_CACHE)))
        _RUN_CACHE[settings] = frame.copy()
    return frame


def final_scores(curve: pd.DataFrame) -> pd.Series:
    """Last-epoch dev score per task (index: task, in the order of the run) of a playground_run frame."""
    last = curve[curve.epoch == curve.epoch.max()]
    return last.set_index("task")["value"]


def score_line(curve: pd.DataFrame) -> str:
    """The one-line summary the playground prints: mean dev score, the settings, the time taken."""
    settings = curve.attrs.get("settings")
    when = "cached result" if curve.attrs.get("cached") else f"trained in {curve.attrs.get('seconds', float('nan')):.1f} s"
    return f"mean dev score {final_scores(curve).mean():.3f} | {settings.describe() if settings else ''} | {when}"


def playground_figure(curve: pd.DataFrame):
    """Left: final dev score per task (bars); right: dev score per epoch and task (the learning curve)."""
    import matplotlib.pyplot as plt

    figure, (bars, lines) = plt.subplots(1, 2, figsize=(8, 3))
    plt.close(figure)
    scores = final_scores(curve)
    colors = [f"C{i}" for i in range(len(scores))]
    bars.bar(scores.index, scores.values, color=colors)
    for x, value in enumerate(scores.values):
        bars.text(x, value, f"{value:.2f}", ha="center", va="bottom", fontsize=8)
    bars.set_ylim(0, 1.05)
    bars.set_ylabel("dev score (main metric)")
    bars.set_title("final dev scores")
    for color, (task, rows) in zip(colors, curve.groupby("task", sort=False)):
        lines.plot(rows.epoch, rows.value, marker="o", color=color, label=f"{task} ({rows.metric.iloc[0]})")
    lines.set_ylim(0, 1.05)
    lines.set_xlabel("epoch")
    lines.set_title("dev score per epoch")
    lines.legend(fontsize=7)
    settings = curve.attrs.get("settings")
    if settings is not None:
        figure.suptitle(settings.describe(), fontsize=8)
    figure.tight_layout()
    return figure


def playground_sweep(relatedness: Sequence[float] = (0.0, 1.0), sharings: Sequence[str] = ("none", "hard"),
                     base: PlaygroundSettings | None = None,
                     run: Callable[[PlaygroundSettings], pd.DataFrame] = playground_run) -> pd.DataFrame:
    """Run the playground for every relatedness × sharing pair (other settings from ``base``).

    Returns one row per pair and task: relatedness, sharing, task, metric, value (final dev score), seconds.
    """
    import pandas as pd

    base = base or PlaygroundSettings()
    rows = []
    for r in relatedness:
        for sharing in sharings:
            curve = run(dataclasses.replace(base, relatedness=float(r), sharing=sharing))
            last = curve[curve.epoch == curve.epoch.max()]
            seconds = float("nan") if curve.attrs.get("cached") else curve.attrs.get("seconds", float("nan"))
            rows += [{"relatedness": float(r), "sharing": sharing, "task": row.task, "metric": row.metric,
                      "value": float(row.value), "seconds": seconds}
                     for row in last.itertuples()]
    return pd.DataFrame(rows, columns=["relatedness", "sharing", "task", "metric", "value", "seconds"])


def sweep_table(sweep: pd.DataFrame, task: str | None = None) -> pd.DataFrame:
    """relatedness × sharing table of the final dev score of ``task`` (None: the mean over tasks)."""
    if task is not None and task not in set(sweep.task):
        raise ValueError(f"task {task!r} is not in the sweep; use one of {sorted(set(sweep.task))} or None.")
    rows = sweep if task is None else sweep[sweep.task == task]
    table = rows.pivot_table(index="relatedness", columns="sharing", values="value", aggfunc="mean")
    return table[[s for s in SHARING_MODES if s in table.columns]]


def sweep_figure(sweep: pd.DataFrame, task: str | None = None):
    """Dev score against relatedness, one line per sharing mode (task=None: mean over tasks)."""
    import matplotlib.pyplot as plt

    table = sweep_table(sweep, task)
    figure, axis = plt.subplots(figsize=(5, 3))
    plt.close(figure)
    for sharing in table.columns:
        axis.plot(table.index, table[sharing], marker="o", label=sharing)
    axis.set_xlabel("relatedness of the toy tasks")
    axis.set_ylabel("final dev score")
    axis.set_title(f"{task or 'mean over tasks'}: score vs relatedness")
    axis.legend(fontsize=8, title="sharing")
    figure.tight_layout()
    return figure


def build_playground(settings: PlaygroundSettings | None = None,
                     run: Callable[[PlaygroundSettings], pd.DataFrame] = playground_run) -> ipywidgets.Widget:
    """Controls for every PlaygroundSettings knob; each change retrains once (continuous_update=False)
    and redraws the score line and figure. ``widget.settings()`` reads the controls, ``widget.last``
    is the last result (for tests and curious students)."""
    import ipywidgets as w
    from IPython.display import display

    settings = settings or PlaygroundSettings()
    settings.validate()
    style, layout = {"description_width": "130px"}, w.Layout(width="420px")

    def slider(kind, value, low, high, step, description, fmt=None):
        extra = {"readout_format": fmt} if fmt else {}
        return kind(value=value, min=low, max=high, step=step, description=description, style=style,
                    layout=layout, continuous_update=False, **extra)

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
        "fraction": slider(w.FloatSlider, settings.fraction, 0.05, 1.0, 0.05, f"{settings.tasks[0]} data",
                           ".2f"),
        "relatedness": slider(w.FloatSlider, settings.relatedness, 0.0, 1.0, 0.25, "relatedness", ".2f"),
    }
    weights = [slider(w.FloatSlider, value, 0.0, 2.0, 0.25, f"weight {task}", ".2f")
               for task, value in zip(settings.tasks, settings.task_weights)]
    controls["relatedness"].add_class(PROBE_SLIDER_CLASS)
    output = w.Output()
    output.add_class(PROBE_OUTPUT_CLASS)
    status = w.HTML()

    def current() -> PlaygroundSettings:
        values = {name: control.value for name, control in controls.items()}
        values["task_weights"] = tuple(float(s.value) for s in weights)
        return dataclasses.replace(settings, **values)

    def retrain(change: dict | None = None) -> None:
        chosen = current()
        controls["coupling_weight"].disabled = chosen.sharing != "soft"
        controls["shared_layers"].disabled = chosen.sharing != "hard"
        status.value = "<i>training…</i>"
        try:
            curve = run(chosen)
        except ValueError as error:  # e.g. all task weights 0: say so instead of a traceback
            status.value = f"<b>cannot train:</b> {error}"
            return
        box.last = curve
        figure = playground_figure(curve)
        output.clear_output(wait=True)
        with output:
            print(score_line(curve))
            display(figure)
        status.value = score_line(curve).rsplit(" | ", 1)[-1]

    for control in [*controls.values(), *weights]:
        control.observe(retrain, names="value")
    box = w.VBox([controls["sharing"], w.HBox([w.VBox([controls["coupling_weight"], controls["shared_layers"],
                                                       controls["sampling"], controls["relatedness"]]),
                                               w.VBox([controls["fraction"], *weights])]),
                  status, output])
    box.controls, box.weight_sliders, box.settings, box.last = controls, weights, current, None
    retrain()
    return box


def build_sweep_explorer(sweep: pd.DataFrame) -> ipywidgets.Widget:
    """Pick a task (or the mean) to see its score-vs-relatedness lines and table; nothing is retrained."""
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

    choice.observe(redraw, names="value")
    redraw()
    box = w.VBox([choice, output])
    box.choice, box.output = choice, output
    return box
