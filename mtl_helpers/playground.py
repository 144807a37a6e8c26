"""The playground's training logic (notebook 08): one run, a run beside its baseline, a sweep.

The settings are in mtl_helpers.playground_settings, the user interface in mtl_helpers.playground_ui
(``build_playground``), the precomputed grid in mtl_helpers.playground_grid; everything here is plain
Python that a script or a test can call without widgets.

The default regime is the one where the ledger (mtl_helpers.lessons, claims ``01-related-helps`` and
``01-unrelated-hurts``) measures real sharing effects, shrunk to seconds: a low-resource main task (40
labelled sentences), a full auxiliary task, a narrow BiLSTM (8 units per direction) that unrelated tasks
compete for, and uniform task sampling, so the single-task baseline (``sharing="none"``) gets as many
main-task updates as the shared model. Each setting is compared with that baseline on the same seeds (same
data, same initialisation, same budget: 6 epochs of 20 steps), and the gain is a paired interval
(mtl_helpers.evidence) once there are two seeds or more. All runs of a comparison train side by side in one
compiled step (:func:`train_together`, mtl_helpers.stacked), which is traced once per set of shapes and
reused by later changes.

Measured (the committed grid, seeds 0-4, main task's final dev accuracy, hard − none, 40 labels): r = 1:
+0.277 [+0.251, +0.302], helps; r = 0: −0.173 [−0.252, −0.094], hurts; with 500 labels (fraction 0.25)
both are near the ceiling: +0.003 [−0.003, +0.010] and −0.023 [−0.039, −0.007].
"""
from __future__ import annotations

import dataclasses
import inspect
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mtl_helpers.playground_settings import (  # noqa: F401 - re-exported: callers know them as playground.X
    BASELINE,
    PLAYGROUND_SAMPLINGS,
    SHARING_MODES,
    PlaygroundSettings,
)

if TYPE_CHECKING:
    import pandas as pd

    from mtl_helpers import evidence

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
_ENGINES: dict = {}  # one StackedTrainer per set of model shapes: its compiled step is traced once
_ENGINES_SIZE = 6
_INITIAL: dict = {}  # a fresh model's weights per (model shape, seed): a new run only assigns them
_INITIAL_SIZE = 256
_VOCAB_BLOCK = 128  # embedding rows are padded to a multiple of this, so a new relatedness keeps the shapes


def _remember(cache: dict, size: int, key: Any, value: Any) -> None:
    while len(cache) >= size:
        cache.pop(next(iter(cache)))
    cache[key] = value


def eval_every(settings: PlaygroundSettings) -> int:
    """Steps between two dev scores of a run: about 4 points per epoch (the largest divisor of
    steps_per_epoch that is at most a quarter of it), so the curves grow while a run trains."""
    target = max(1, settings.steps_per_epoch // 4)
    return max(d for d in range(1, target + 1) if settings.steps_per_epoch % d == 0)


def _model_key(settings: PlaygroundSettings, vocab_size: int) -> tuple:
    """What a model's shapes and compiled step depend on (not the seed, data or task weights)."""
    return (settings.sharing, settings.shared_layers if settings.sharing == "hard" else None,
            settings.coupling_weight if settings.sharing == "soft" else None, settings.tasks, settings.encoder,
            settings.num_layers, settings.units, settings.embedding_dim, vocab_size)


def _build(settings: PlaygroundSettings, tasks: dict, vocab_size: int, vocab: Any) -> Any:
    from mtl_helpers import models

    encoder = models.EncoderConfig(vocab_size=vocab_size, kind=settings.encoder, embedding_dim=settings.embedding_dim,
                                   hidden_units=settings.units, num_layers=settings.num_layers, dropout=0.0,
                                   num_heads=2)
    return models.build_model(
        [models.TaskSpec.from_task(task, vocab) for task in tasks.values()], encoder, sharing=settings.sharing,
        shared_layers=settings.shared_layers if settings.sharing == "hard" else None,
        coupling_weight=settings.coupling_weight if settings.sharing == "soft" else 0.0, seed=settings.seed)


def _train_config(settings: PlaygroundSettings) -> Any:
    from mtl_helpers import training

    return training.TrainConfig(
        epochs=settings.epochs, steps_per_epoch=settings.steps_per_epoch, learning_rate=settings.learning_rate,
        sampling=settings.sampling, task_weights=dict(zip(settings.tasks, map(float, settings.task_weights))),
        seed=settings.seed, progress=False)


def train_together(runs: Sequence[PlaygroundSettings],
                   on_eval: Callable[[list[pd.DataFrame]], None] | None = None) -> list[pd.DataFrame]:
    """Train every single-seed setting of ``runs`` side by side in one compiled step (mtl_helpers.stacked) and
    return their dev curves (columns epoch, task, metric, value; epoch is fractional: a point every
    :func:`eval_every` steps). ``on_eval`` gets the curves so far at every point.

    Runs must share the budget (epochs, steps_per_epoch) and sampling="all" or not. The compiled step, the
    models and their initial weights are kept between calls, so a second call with the same shapes trains at
    once; run k's numbers depend only on its own settings (the same as training it alone).
    """
    from mtl_helpers import data, stacked

    runs = list(runs)
    for one in runs:
        one.validate()
    tasks = [playground_tasks(one) for one in runs]
    vocabs = [data.Vocabulary.from_tasks(t) for t in tasks]
    sizes = [-(-len(v) // _VOCAB_BLOCK) * _VOCAB_BLOCK for v in vocabs]
    keys = [_model_key(one, size) for one, size in zip(runs, sizes)]
    engine_key = (tuple(keys), runs[0].sampling == "all", runs[0].learning_rate)
    fresh = None  # a new engine's models, untrained yet: their weights are their runs' initial weights
    if engine_key not in _ENGINES:
        fresh = [_build(one, task, size, vocab) for one, task, size, vocab in zip(runs, tasks, sizes, vocabs)]
        _remember(_ENGINES, _ENGINES_SIZE, engine_key, stacked.StackedTrainer(
            fresh, learning_rate=runs[0].learning_rate, joint=runs[0].sampling == "all"))
    engine = _ENGINES[engine_key]
    initial = []
    for k, (one, key, task, size, vocab) in enumerate(zip(runs, keys, tasks, sizes, vocabs)):
        if (key, one.seed) not in _INITIAL:  # each model is built once: a new engine's, else one for its weights
            model = fresh[k] if fresh is not None else _build(one, task, size, vocab)
            _remember(_INITIAL, _INITIAL_SIZE, (key, one.seed), model.get_weights())
        initial.append(_INITIAL[key, one.seed])
    copies = [stacked.Copy(model, task, _train_config(one), vocab)
              for model, task, one, vocab in zip(engine.models, tasks, runs, vocabs)]

    def curves(dev: pd.DataFrame) -> list[pd.DataFrame]:
        return [dev[dev.run == k][["epoch", "task", "metric", "value"]].reset_index(drop=True)
                for k in range(len(runs))]

    hook = None if on_eval is None else (lambda step, dev: on_eval(curves(dev)))
    out = curves(engine.run(copies, initial, eval_every=eval_every(runs[0]), on_eval=hook))
    for curve, one, task in zip(out, runs, tasks):
        curve.attrs.update(settings=one, train_sizes={name: len(t.train) for name, t in task.items()})
    return out


def playground_run(settings: PlaygroundSettings | None = None, *, use_cache: bool = True,
                   on_eval: Callable[[pd.DataFrame], None] | None = None) -> pd.DataFrame:
    """Train a small multi-task model with ``settings`` (on ``settings.seed``) and return its dev curve: the
    main metric of every task, a point every :func:`eval_every` steps (columns epoch, task, metric, value;
    epoch = steps / steps_per_epoch).

    ``on_eval`` is called with the curve so far at every point (it changes no number), so a plot can grow while
    the run trains; a cached result returns at once without calling it. ``frame.attrs`` holds ``seconds``
    (wall time of the run that computed it), ``settings``, ``train_sizes`` and ``cached``. Deterministic for
    a seed, so results are kept per settings (the last 64): going back to earlier settings is instant.
    """
    settings = settings or PlaygroundSettings()
    settings.validate()
    key = dataclasses.replace(settings, seeds=1)  # one run trains one seed
    if use_cache and key in _RUN_CACHE:
        frame = _RUN_CACHE[key].copy()
        frame.attrs["cached"] = True
        return frame
    start = time.perf_counter()
    frame = train_together([key], None if on_eval is None else (lambda curves: on_eval(curves[0])))[0]
    frame.attrs.update(seconds=time.perf_counter() - start, cached=False)
    if use_cache:
        _remember(_RUN_CACHE, _RUN_CACHE_SIZE, key, frame.copy())
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
    """Whether ``run`` takes an ``on_eval`` keyword (playground_run does; a plain ``run(settings)`` does not)."""
    try:
        parameters = inspect.signature(run).parameters.values()
    except (TypeError, ValueError):  # a builtin or C callable without a signature
        return False
    return any(p.name == "on_eval" or p.kind is p.VAR_KEYWORD for p in parameters)


_COLUMNS = ["setup", "seed", "epoch", "task", "metric", "value"]


def _runs_of(settings: PlaygroundSettings) -> list[tuple[int, str, PlaygroundSettings]]:
    """(seed, setup, one-seed settings) of a comparison: per seed the baseline, then the chosen setting."""
    return [(seed, setup, dataclasses.replace(settings, sharing=sharing, seed=seed, seeds=1))
            for seed in settings.seed_list for setup, sharing in (("baseline", BASELINE), ("chosen", settings.sharing))]


def _result(settings: PlaygroundSettings, runs: list, curves: Sequence[pd.DataFrame | None], done: Sequence[bool],
            seconds: float, cached: bool) -> PlaygroundResult:
    """The result so far: every run's curve so far; a score for the runs that are ``done``."""
    import pandas as pd

    frames = [c.assign(setup=setup, seed=seed) for (seed, setup, _), c in zip(runs, curves) if c is not None]
    scores: dict[str, dict[int, float]] = {"chosen": {}, "baseline": {}}
    for (seed, setup, _), curve, finished in zip(runs, curves, done):
        if finished and curve is not None:
            scores[setup][seed] = main_score(curve, settings.tasks[0])
    curves_frame = pd.concat(frames, ignore_index=True)[_COLUMNS] if frames else pd.DataFrame(columns=_COLUMNS)
    return PlaygroundResult(settings, curves_frame, scores, seconds, cached)


def playground_compare(settings: PlaygroundSettings | None = None,
                       run: Callable[..., pd.DataFrame] | None = None,
                       progress: Callable[[PlaygroundResult], None] | None = None) -> PlaygroundResult:
    """Train the single-task baseline (same settings, ``sharing="none"``) and ``settings`` on every seed of
    ``settings.seed_list``: all of them side by side in one compiled step (:func:`train_together`), or, with a
    ``run`` function (a stand-in in tests, or your own), one by one, baseline first.

    ``progress`` is called with a partial result at every dev point before the last (all runs' curves so
    far, side by side; with a ``run``, after each point of each run and after each finished run), so a UI
    redraws while training runs. Runs already in the cache are not trained again; when all are, the result
    comes at once. A ``run`` without an ``on_eval`` keyword reports only after each finished run.
    """
    settings = settings or PlaygroundSettings()
    settings.validate()
    runs = _runs_of(settings)
    if run is None:
        return _compare_together(settings, runs, progress)
    curves: list[pd.DataFrame | None] = [None] * len(runs)
    done = [False] * len(runs)
    spent = {"seconds": 0.0, "cached": True}
    streaming = progress is not None and _streams(run)
    for i, (_, _, one) in enumerate(runs):
        def point(curve: pd.DataFrame, i: int = i) -> None:
            if progress is not None and curve.epoch.max() < settings.epochs:  # the last comes with the score
                progress(_result(settings, runs, [*curves[:i], curve, *curves[i + 1:]], done, spent["seconds"],
                                 False))

        curve = run(one, on_eval=point) if streaming else run(one)
        spent["cached"] = spent["cached"] and bool(curve.attrs.get("cached"))
        spent["seconds"] += 0.0 if curve.attrs.get("cached") else float(curve.attrs.get("seconds", 0.0))
        curves[i], done[i] = curve, True
        if progress is not None and i < len(runs) - 1:
            progress(_result(settings, runs, curves, done, spent["seconds"], bool(spent["cached"])))
    return _result(settings, runs, curves, done, spent["seconds"], bool(spent["cached"]))


def _compare_together(settings: PlaygroundSettings, runs: list,
                      progress: Callable[[PlaygroundResult], None] | None) -> PlaygroundResult:
    """playground_compare's default: the cache, else every run side by side (then cached one by one)."""
    keys = [one for _, _, one in runs]
    if all(key in _RUN_CACHE for key in keys):
        curves = [_RUN_CACHE[key].copy() for key in keys]
        return _result(settings, runs, curves, [True] * len(runs), 0.0, True)
    start = time.perf_counter()

    def point(partial: list[pd.DataFrame]) -> None:
        if progress is not None and partial[0].epoch.max() < settings.epochs:
            progress(_result(settings, runs, list(partial), [False] * len(runs), time.perf_counter() - start, False))

    curves = train_together(keys, point)
    seconds = time.perf_counter() - start
    for key, curve in zip(keys, curves):
        curve.attrs.update(seconds=seconds / len(keys), cached=False)
        _remember(_RUN_CACHE, _RUN_CACHE_SIZE, key, curve.copy())
    return _result(settings, runs, curves, [True] * len(runs), seconds, False)


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
