"""The playground's training logic (notebook 08): its settings, one run, a run beside its baseline, a sweep.

The user interface lives in mtl_helpers.widgets (``build_playground``); everything here is plain Python
that a script or a test can call without widgets.

The default regime is the one where the ledger (mtl_helpers.lessons, claims ``01-related-helps`` and
``01-unrelated-hurts``) measures real sharing effects, shrunk to seconds: a low-resource main task (40
labelled sentences), a full auxiliary task, a narrow BiLSTM (8 units per direction) that unrelated tasks
compete for, and uniform task sampling, so the single-task baseline (``sharing="none"``, trained in the same
loop) gets as many main-task updates as the shared model. Each setting is compared with that baseline on
the same seeds (same data, same initialisation, same budget: 6 epochs of 20 steps), and the gain is a
paired interval (mtl_helpers.evidence) once there are two seeds or more.

Measured when these defaults were chosen (class mode, seeds 0-4, ``playground_sweep`` + ``sweep_gains``, main
task's final dev accuracy, hard − none): r = 1: +0.277 [+0.251, +0.302], helps; r = 0: −0.173 [−0.252, −0.094],
hurts. With 8 epochs of 25 steps: +0.294 [+0.261, +0.328] and −0.190 [−0.274, −0.105].
"""
from __future__ import annotations

import dataclasses
import inspect
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from mtl_helpers import evidence

SHARING_MODES: tuple[str, ...] = ("none", "hard", "soft", "cross_stitch")
PLAYGROUND_SAMPLINGS: tuple[str, ...] = ("proportional", "uniform", "temperature", "annealed", "all")
BASELINE = "none"  # the single-task baseline: one model per task, trained in the same loop, same budget
# PlaygroundSettings' numeric fields besides task_weights: (name, integer only, an example for the message).
_PLAYGROUND_NUMBERS: tuple[tuple[str, bool, str], ...] = (
    ("coupling_weight", False, "0.01"), ("shared_layers", True, "1"), ("fraction", False, "0.02"),
    ("relatedness", False, "0.75"), ("num_layers", True, "1"), ("units", True, "8"), ("embedding_dim", True, "32"),
    ("toy_size", True, "2500"), ("epochs", True, "6"), ("steps_per_epoch", True, "20"), ("learning_rate", False, "5e-3"),
    ("seed", True, "0"), ("seeds", True, "3"))


def _fast_or(full: Any, fast: Any) -> Any:
    from mtl_helpers import config

    return config.fast_or(full, fast)


@dataclasses.dataclass(frozen=True)
class PlaygroundSettings:
    """Everything one playground run depends on (a frozen value, so equal settings give equal runs).

    tasks: the first task is the MAIN task; ``fraction`` shrinks only its training split (0.02 of the
    default 2,000 training sentences: 40 labels, the ledger's low-resource target). task_weights: one static
    loss weight per task, in the order of ``tasks``. shared_layers: hard sharing only (0 = only the
    embedding is shared). coupling_weight: λ of the soft-sharing penalty λ·Ω (soft only). seed: the first
    seed; seeds: how many seeds (seed, seed + 1, …) each run trains, for a seed band and a paired interval.
    """

    sharing: str = "hard"
    coupling_weight: float = 0.01
    shared_layers: int = 1
    task_weights: tuple[float, ...] = (1.0, 1.0)
    sampling: str = "uniform"
    fraction: float = 0.02
    relatedness: float = 1.0
    tasks: tuple[str, ...] = ("toy_sentiment", "toy_topic")
    encoder: str = "bilstm"
    num_layers: int = 1
    units: int = 8
    embedding_dim: int = 32
    toy_size: int = 2500
    epochs: int = dataclasses.field(default_factory=lambda: _fast_or(6, 2))
    steps_per_epoch: int = dataclasses.field(default_factory=lambda: _fast_or(20, 10))
    learning_rate: float = 5e-3
    seed: int = 0
    seeds: int = 1

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
        for name in ("num_layers", "units", "embedding_dim", "toy_size", "epochs", "steps_per_epoch", "seeds"):
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
            raise ValueError(f"fraction={self.fraction!r} must be in (0, 1]; e.g. 0.02 keeps 2% of "
                             "the main task's training sentences.")
        if not 0 <= self.shared_layers <= self.num_layers:
            raise ValueError(f"shared_layers={self.shared_layers!r} must be in 0..num_layers={self.num_layers}; "
                             "lower it or raise num_layers.")
        if not self.coupling_weight >= 0:
            raise ValueError(f"coupling_weight λ={self.coupling_weight!r} must be >= 0 (0 = no coupling).")

    @property
    def seed_list(self) -> list[int]:
        """The seeds a run trains: seed, seed + 1, …, seed + seeds − 1."""
        return list(range(self.seed, self.seed + self.seeds))

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

    def to_query(self) -> str:
        """The whole state as a URL query string (every field, tuples comma-separated, floats exact): paste it
        back into :meth:`from_query`, or append it to the Voilà address (``…/08_playground.ipynb?sharing=hard&…``)."""
        def text(value: Any) -> str:
            if isinstance(value, tuple):
                return ",".join(text(v) for v in value)
            return repr(value) if isinstance(value, float) else str(value)

        return urllib.parse.urlencode({f.name: text(getattr(self, f.name)) for f in dataclasses.fields(self)},
                                      safe=",")

    def code(self) -> str:
        """A runnable snippet that reproduces this run (the setting and its baseline on the same seeds)."""
        return ("from mtl_helpers.playground import PlaygroundSettings, playground_compare\n\n"
                f"settings = PlaygroundSettings.from_query({self.to_query()!r})\n"
                "result = playground_compare(settings)  # the setting and sharing='none', seed by seed\n"
                "print(result.gain_line())\n")

    @classmethod
    def from_query(cls, query: str) -> PlaygroundSettings:
        """Settings from :meth:`to_query`'s string (a leading ``?`` or a whole URL is fine). Fields it does not
        name keep their defaults; an unknown field or a bad value is a ValueError naming it."""
        if not isinstance(query, str):
            raise ValueError(f"query must be a string such as 'sharing=hard&relatedness=0', got {type(query).__name__}.")
        query = query.split("?", 1)[1] if "?" in query else query
        fields = {f.name: f for f in dataclasses.fields(cls)}
        defaults = cls()
        values: dict[str, Any] = {}
        for name, text in urllib.parse.parse_qsl(query, keep_blank_values=True):
            if name not in fields:
                raise ValueError(f"unknown playground setting {name!r} in the query; use only {', '.join(fields)}.")
            default = getattr(defaults, name)
            listed = isinstance(default, tuple)
            kind = type(default[0]) if listed else type(default)  # int, float or str
            try:
                values[name] = tuple(kind(part) for part in text.split(",") if part) if listed else kind(text)
            except ValueError:
                what = f"a comma-separated list of {kind.__name__}" if listed else f"an {kind.__name__}" \
                    if kind is int else f"a {kind.__name__}"
                example = ",".join(map(str, default)) if listed else default
                raise ValueError(f"setting {name}={text!r} in the query is not {what}; pass e.g. {name}={example}."
                                 ) from None
        settings = dataclasses.replace(defaults, **values)
        settings.validate()
        return settings


def playground_tasks(settings: PlaygroundSettings, seed: int | None = None) -> dict:
    """The toy tasks of a run: same seed and relatedness for all; only the main task's train is cut."""
    from mtl_helpers import data

    seed = settings.seed if seed is None else seed
    return {name: data.load_task(name, seed=seed, relatedness=float(settings.relatedness),
                                 toy_size=settings.toy_size,
                                 fraction=float(settings.fraction) if i == 0 else 1.0)
            for i, name in enumerate(settings.tasks)}


_RUN_CACHE: dict = {}
_RUN_CACHE_SIZE = 64


def _main_curve(dev: pd.DataFrame, main: dict[str, str]) -> pd.DataFrame:
    """The rows of a trainer's dev frame that hold each task's main metric: epoch, task, metric, value."""
    return dev[dev.metric == dev.task.map(main)][["epoch", "task", "metric", "value"]].reset_index(drop=True)


def playground_run(settings: PlaygroundSettings | None = None, *, use_cache: bool = True,
                   on_epoch: Callable[[pd.DataFrame], None] | None = None) -> pd.DataFrame:
    """Train a small multi-task model with ``settings`` (on ``settings.seed``) and return its dev curve, one
    row per epoch × task.

    ``on_epoch`` is called with the curve so far after every trained epoch (training.train's hook: it changes
    no number), so a plot can grow while the run trains; a cached result returns at once without calling it.
    Columns: epoch, task, metric (the task's main metric), value. ``frame.attrs`` holds ``seconds``
    (wall time of the run that computed it), ``settings``, ``train_sizes`` and ``cached``. Deterministic
    for a seed, so results are kept per settings (the last 64): going back to earlier settings is instant.
    Calls ``keras.backend.clear_session()`` first: without it every retrain in a long-lived kernel gets
    slower (Keras/TF global state grows with every model built).
    """
    import keras

    from mtl_helpers import data, metrics, models, training

    settings = settings or PlaygroundSettings()
    settings.validate()
    key = dataclasses.replace(settings, seeds=1)  # one run trains one seed
    if use_cache and key in _RUN_CACHE:
        frame = _RUN_CACHE[key].copy()
        frame.attrs["cached"] = True
        return frame
    keras.backend.clear_session()
    start = time.perf_counter()
    tasks = playground_tasks(settings)
    vocab = data.Vocabulary.from_tasks(tasks)
    encoder = models.EncoderConfig(vocab_size=len(vocab), kind=settings.encoder,
                                   embedding_dim=settings.embedding_dim, hidden_units=settings.units,
                                   num_layers=settings.num_layers, dropout=0.0, num_heads=2)
    model = models.build_model(
        [models.TaskSpec.from_task(task, vocab) for task in tasks.values()], encoder, sharing=settings.sharing,
        shared_layers=settings.shared_layers if settings.sharing == "hard" else None,
        coupling_weight=settings.coupling_weight if settings.sharing == "soft" else 0.0, seed=settings.seed)
    config = training.TrainConfig(
        epochs=settings.epochs, steps_per_epoch=settings.steps_per_epoch, learning_rate=settings.learning_rate,
        sampling=settings.sampling, task_weights=dict(zip(settings.tasks, map(float, settings.task_weights))),
        seed=settings.seed, progress=False)
    main = {name: metrics.main_metric(task.kind, task.labels)[0] for name, task in tasks.items()}
    hook = None if on_epoch is None else (lambda epoch, dev: on_epoch(_main_curve(dev, main)))
    frame = _main_curve(training.train(model, tasks, vocab, config, on_epoch=hook).dev, main)
    frame.attrs.update(seconds=time.perf_counter() - start, settings=key, cached=False,
                       train_sizes={name: len(task.train) for name, task in tasks.items()})
    if use_cache:
        while len(_RUN_CACHE) >= _RUN_CACHE_SIZE:
            _RUN_CACHE.pop(next(iter(_RUN_CACHE)))
        _RUN_CACHE[key] = frame.copy()
    return frame


def main_score(curve: pd.DataFrame, task: str) -> float:
    """A task's dev score after the last epoch: every setting and its baseline get the same budget (the
    same steps, and under uniform sampling the same expected main-task updates)."""
    rows = curve[curve.task == task]
    if rows.empty:
        raise ValueError(f"task {task!r} is not in this run; it has {sorted(set(curve.task))}.")
    return float(rows[rows.epoch == rows.epoch.max()].value.iloc[0])


@dataclasses.dataclass
class PlaygroundResult:
    """One playground change: the chosen setting and the single-task baseline, trained on the same seeds.

    curves: columns setup ("chosen" / "baseline"), seed, epoch, task, metric, value. scores: {setup: {seed:
    main-task score}} (:func:`main_score`). seconds: wall time of the runs that were not cached."""

    settings: PlaygroundSettings
    curves: pd.DataFrame
    scores: dict[str, dict[int, float]]
    seconds: float
    cached: bool

    @property
    def main_task(self) -> str:
        return self.settings.tasks[0]

    @property
    def paired_seeds(self) -> list[int]:
        """The seeds on which both the chosen setting and the baseline have finished."""
        return [s for s in self.settings.seed_list if s in self.scores["chosen"] and s in self.scores["baseline"]]

    @property
    def complete(self) -> bool:
        """False for a partial result that :func:`playground_compare` hands its ``progress`` callback."""
        return len(self.paired_seeds) == self.settings.seeds

    def comparison(self) -> evidence.Comparison | None:
        """The paired comparison chosen − baseline over the finished seeds (None below 2: no interval)."""
        from mtl_helpers import evidence

        seeds = self.paired_seeds
        if len(seeds) < 2:
            return None
        return evidence.paired({s: self.scores["baseline"][s] for s in seeds},
                               {s: self.scores["chosen"][s] for s in seeds}, baseline="single-task (none)",
                               treatment=f"sharing={self.settings.sharing}",
                               metric=f"{self.main_task} final dev {self.curves.metric.iloc[0]}")

    def gain_line(self) -> str:
        """The gain of the chosen setting over the baseline in words, with its interval once there are 2 seeds."""
        if self.settings.sharing == BASELINE:
            return "sharing=none is the baseline itself: pick hard, soft or cross_stitch to see a gain."
        more = "" if self.complete else " More seeds are training…"
        comparison = self.comparison()
        if comparison is not None:
            return comparison.sentence() + more
        if not self.paired_seeds:
            return f"sharing={self.settings.sharing} is training beside its baseline…"
        seed = self.paired_seeds[0]
        chosen, baseline = self.scores["chosen"][seed], self.scores["baseline"][seed]
        advice = ("set seeds to 3 for a band and a paired interval" if self.settings.seeds == 1
                  else "the interval comes with the second seed")
        return (f"sharing={self.settings.sharing} vs single-task (none), {self.main_task} final dev score, seed "
                f"{seed}: {chosen:.3f} vs {baseline:.3f}, gain {chosen - baseline:+.3f} (one seed: no verdict; "
                f"{advice}).{more}")


def _streams(run: Callable[..., pd.DataFrame]) -> bool:
    """Whether ``run`` takes an ``on_epoch`` keyword (playground_run does; a plain ``run(settings)`` does not)."""
    try:
        parameters = inspect.signature(run).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable without a signature
        return False
    return any(p.name == "on_epoch" or p.kind is p.VAR_KEYWORD for p in parameters)


def playground_compare(settings: PlaygroundSettings | None = None,
                       run: Callable[..., pd.DataFrame] = playground_run,
                       progress: Callable[[PlaygroundResult], None] | None = None) -> PlaygroundResult:
    """Train the single-task baseline (same settings, ``sharing="none"``) and ``settings`` on every seed of
    ``settings.seed_list``, seed by seed, baseline first (it is shared by every sharing mode, so after a
    change of mode it usually comes from the cache).

    ``progress`` is called with a partial result after every epoch of every run (the run in progress adds
    its curve so far; its score comes when it finishes), except after the last epoch of the last run, whose
    complete result is returned: a UI redraws while training runs. A ``run`` without an ``on_epoch``
    keyword (a plain ``run(settings)``) reports only after each finished run; a cached run reports once."""
    import pandas as pd

    settings = settings or PlaygroundSettings()
    settings.validate()
    frames: list[pd.DataFrame] = []
    scores: dict[str, dict[int, float]] = {"chosen": {}, "baseline": {}}
    seconds, cached = 0.0, True
    columns = ["setup", "seed", "epoch", "task", "metric", "value"]
    runs = [(seed, setup, sharing) for seed in settings.seed_list
            for setup, sharing in (("baseline", BASELINE), ("chosen", settings.sharing))]
    streaming = progress is not None and _streams(run)

    def partial(extra: list[pd.DataFrame]) -> PlaygroundResult:
        return PlaygroundResult(settings, pd.concat(frames + extra, ignore_index=True)[columns],
                                {k: dict(v) for k, v in scores.items()}, seconds, cached)

    result = None
    for i, (seed, setup, sharing) in enumerate(runs):
        def epoch_done(curve: pd.DataFrame, setup: str = setup, seed: int = seed) -> None:
            if curve.epoch.max() < settings.epochs:  # the last epoch is reported with the run's score
                progress(partial([curve.assign(setup=setup, seed=seed)]))

        one = dataclasses.replace(settings, sharing=sharing, seed=seed, seeds=1)
        curve = run(one, on_epoch=epoch_done) if streaming else run(one)
        cached = cached and bool(curve.attrs.get("cached"))
        seconds += 0.0 if curve.attrs.get("cached") else float(curve.attrs.get("seconds", 0.0))
        frames.append(curve.assign(setup=setup, seed=seed))
        scores[setup][seed] = main_score(curve, settings.tasks[0])
        result = partial([])
        if progress is not None and i < len(runs) - 1:
            progress(result)
    assert result is not None
    return result


def playground_sweep(relatedness: Sequence[float] = (0.0, 1.0), sharings: Sequence[str] = ("none", "hard"),
                     base: PlaygroundSettings | None = None,
                     run: Callable[[PlaygroundSettings], pd.DataFrame] = playground_run,
                     seeds: Sequence[int] | None = None) -> pd.DataFrame:
    """Run the playground for every relatedness × sharing × seed (other settings from ``base``; seeds
    default to ``base.seed_list``).

    Returns one row per run and task: relatedness, sharing, seed, task, metric, value (the task's final dev
    score after the last epoch, :func:`main_score`), seconds.
    """
    import pandas as pd

    base = base or PlaygroundSettings()
    rows = []
    for seed in (base.seed_list if seeds is None else list(seeds)):
        for r in relatedness:
            for sharing in sharings:
                curve = run(dataclasses.replace(base, relatedness=float(r), sharing=sharing, seed=int(seed), seeds=1))
                seconds = float("nan") if curve.attrs.get("cached") else curve.attrs.get("seconds", float("nan"))
                rows += [{"relatedness": float(r), "sharing": sharing, "seed": int(seed), "task": task,
                          "metric": curve[curve.task == task].metric.iloc[0], "value": main_score(curve, task),
                          "seconds": seconds}
                         for task in dict.fromkeys(curve.task)]
    return pd.DataFrame(rows, columns=["relatedness", "sharing", "seed", "task", "metric", "value", "seconds"])


def sweep_table(sweep: pd.DataFrame, task: str | None = None) -> pd.DataFrame:
    """relatedness × sharing table of the dev score of ``task`` (None: the mean over tasks), mean over seeds."""
    if task is not None and task not in set(sweep.task):
        raise ValueError(f"task {task!r} is not in the sweep; use one of {sorted(set(sweep.task))} or None.")
    rows = sweep if task is None else sweep[sweep.task == task]
    table = rows.pivot_table(index="relatedness", columns="sharing", values="value", aggfunc="mean")
    return table[[s for s in SHARING_MODES if s in table.columns]]


def sweep_gains(sweep: pd.DataFrame, task: str, sharing: str = "hard") -> dict[float, evidence.Comparison]:
    """Per relatedness, the paired comparison ``sharing`` − none on ``task`` over the sweep's seeds."""
    from mtl_helpers import evidence

    rows = sweep[sweep.task == task]
    if rows.empty or not {sharing, BASELINE} <= set(rows.sharing):
        raise ValueError(f"the sweep needs task {task!r} with sharing 'none' and {sharing!r}; it has tasks "
                         f"{sorted(set(sweep.task))} and sharing {sorted(set(sweep.sharing))}.")
    out = {}
    for r, part in rows.groupby("relatedness"):
        pick = {s: dict(zip(part[part.sharing == s].seed.astype(int), part[part.sharing == s].value))
                for s in (BASELINE, sharing)}
        out[float(r)] = evidence.paired(pick[BASELINE], pick[sharing], baseline="none", treatment=sharing,
                                        metric=f"{task} final dev {part.metric.iloc[0]}")
    return out
