"""Paired comparisons over seeds: the one way this collection says that one setup beats another.

Two setups trained with the same seed share their data split, subsample and initialisation, so the
seed-to-seed noise they have in common cancels in their difference. The verdict therefore comes from
the 95% Student-t interval of the mean *paired* difference (treatment − baseline, seed by seed):

* ``"helps"``  -- the whole interval lies on the better side of zero,
* ``"hurts"``  -- the whole interval lies on the worse side,
* ``"cannot tell with n seeds"`` -- the interval holds zero.

Whether the two setups' *own* intervals overlap decides nothing: they can overlap although every seed
agrees on the sign of the difference, because each of them carries the noise the pair shares.

    comparison = evidence.compare(lambda seed: score(single_task, seed), lambda seed: score(shared, seed),
                                  seeds=5, baseline="single-task", treatment="hard sharing", metric="accuracy")
    print(comparison.sentence())   # hard sharing vs single-task, accuracy: +0.34 [+0.31, +0.37] ... helps
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from . import metrics

HELPS, HURTS, CANNOT_TELL = "helps", "hurts", "cannot tell"
VERDICTS: tuple[str, ...] = (HELPS, HURTS, CANNOT_TELL)


@dataclass(frozen=True)
class Comparison:
    """Scores of two setups on the same seeds, and what their paired difference says."""

    baseline: str
    treatment: str
    metric: str
    seeds: tuple[int, ...]
    baseline_scores: tuple[float, ...]
    treatment_scores: tuple[float, ...]
    higher_is_better: bool = True
    confidence: float = 0.95

    @property
    def diffs(self) -> tuple[float, ...]:
        """treatment − baseline, seed by seed."""
        return tuple(b - a for a, b in zip(self.baseline_scores, self.treatment_scores))

    @property
    def interval(self) -> tuple[float, float, float]:
        """(mean, low, high) of the paired difference: a t-interval over the seeds. Seeds that all
        agree exactly (every diff the same) give a zero-width interval at that value."""
        mean, std, low, high = metrics.mean_ci(self.diffs, self.confidence)
        if std == 0:
            return mean, mean, mean
        return mean, low, high

    @property
    def diff(self) -> float:
        return self.interval[0]

    @property
    def verdict(self) -> str:
        """``"helps"``, ``"hurts"`` or ``"cannot tell"`` (the treatment against the baseline)."""
        mean, low, high = self.interval
        better, worse = (low > 0, high < 0) if self.higher_is_better else (high < 0, low > 0)
        return HELPS if better else HURTS if worse else CANNOT_TELL

    @property
    def verdict_words(self) -> str:
        """The verdict as a notebook prints it: "cannot tell with 5 seeds" names the seeds it had."""
        return f"cannot tell with {len(self.seeds)} seeds" if self.verdict == CANNOT_TELL else self.verdict

    def within(self, margin: float) -> bool:
        """True when the whole interval lies inside (−margin, +margin): the effect, whatever its sign, is
        smaller than ``margin``. This is what "no difference" can mean; a "cannot tell" alone does not."""
        if margin <= 0:
            raise ValueError(f"margin must be > 0, got {margin}; pass the smallest difference that would matter.")
        _, low, high = self.interval
        return -margin < low and high < margin

    def sentence(self, digits: int = 3) -> str:
        """One line that states the comparison with its interval; a notebook prints this, never prose
        that a rerun could contradict."""
        mean, low, high = self.interval
        a = sum(self.baseline_scores) / len(self.seeds)
        b = sum(self.treatment_scores) / len(self.seeds)
        return (f"{self.treatment} vs {self.baseline}, {self.metric}: {b:.{digits}f} vs {a:.{digits}f}, "
                f"paired difference {mean:+.{digits}f} [{low:+.{digits}f}, {high:+.{digits}f}] "
                f"({self.confidence:.0%} interval, {len(self.seeds)} seeds): {self.verdict_words}.")

    def table(self) -> pd.DataFrame:
        """One row per seed: both scores and their difference."""
        return pd.DataFrame({"seed": self.seeds, self.baseline: self.baseline_scores,
                             self.treatment: self.treatment_scores, "difference": self.diffs})


def paired(baseline_scores: Mapping[int, float], treatment_scores: Mapping[int, float], *,
           baseline: str = "baseline", treatment: str = "treatment", metric: str = "score",
           higher_is_better: bool = True, confidence: float = 0.95) -> Comparison:
    """A Comparison of scores already computed, each a {seed: score} mapping; runs pair by seed."""
    for name, scores in (("baseline_scores", baseline_scores), ("treatment_scores", treatment_scores)):
        if not isinstance(scores, Mapping):
            raise ValueError(f"{name} must map seed -> score, got {type(scores).__name__}; pass e.g. "
                             "{0: 0.81, 1: 0.79, 2: 0.83} so that runs pair by seed.")
        bad = [s for s, v in scores.items() if not isinstance(v, (int, float)) or math.isnan(v)]
        if bad:
            raise ValueError(f"{name} has no number for seeds {bad}; rerun or drop those seeds in both setups.")
    if set(baseline_scores) != set(treatment_scores):
        raise ValueError(f"the setups were run on different seeds ({sorted(baseline_scores)} against "
                         f"{sorted(treatment_scores)}); a paired comparison needs the same seeds in both.")
    if len(baseline_scores) < 2:
        raise ValueError(f"a paired interval needs at least 2 seeds, got {len(baseline_scores)}; "
                         "run 3 or more (5 for a claim in the lesson ledger).")
    seeds = tuple(sorted(baseline_scores))
    return Comparison(baseline, treatment, metric, seeds, tuple(float(baseline_scores[s]) for s in seeds),
                      tuple(float(treatment_scores[s]) for s in seeds), higher_is_better, confidence)


def seed_list(seeds: int | Sequence[int]) -> list[int]:
    """A seed count (5 -> seeds 0..4) or a list of distinct non-negative seeds, at least 2 for an interval."""
    from .experiments import _check_seeds

    chosen = _check_seeds(seeds)
    if len(chosen) < 2:
        raise ValueError(f"a paired interval needs at least 2 seeds, got seeds={seeds!r}; pass e.g. seeds=5 or "
                         "seeds=[10, 11, 12].")
    return chosen


def compare(baseline_run: Callable[[int], float], treatment_run: Callable[[int], float],
            seeds: int | Sequence[int] = 5, *, baseline: str = "baseline", treatment: str = "treatment",
            metric: str = "score", higher_is_better: bool = True, confidence: float = 0.95) -> Comparison:
    """Run both setups (each a function seed -> score) on the same seeds and pair the runs by seed."""
    for name, run in (("baseline_run", baseline_run), ("treatment_run", treatment_run)):
        if not callable(run):
            raise ValueError(f"{name} must be a function seed -> score, got {type(run).__name__}.")
    chosen = seed_list(seeds)
    a = {s: float(baseline_run(s)) for s in chosen}
    b = {s: float(treatment_run(s)) for s in chosen}
    return paired(a, b, baseline=baseline, treatment=treatment, metric=metric,
                  higher_is_better=higher_is_better, confidence=confidence)


def from_table(df: pd.DataFrame, baseline: str, treatment: str, *, task: str, metric: str | None = None,
               column: str = "sharing", split: str | None = None, confidence: float = 0.95) -> Comparison:
    """A Comparison read from a tidy run table (experiments.run_experiment): the rows of ``task`` whose
    ``column`` is ``baseline`` against those where it is ``treatment``, on ``metric`` (default: the
    task's main metric, when the table holds one metric for the task)."""
    need = {"task", "seed", "metric", "value", column}
    if missing := need - set(df.columns):
        raise ValueError(f"the table lacks columns {sorted(missing)}; pass a run_experiment table.")
    rows = df[df.task == task]
    if split is not None and "split" in rows:
        rows = rows[rows.split == split]
    if metric is None:
        names = sorted(set(rows.metric))
        metric = next((m for m in ("f1", "accuracy", "token_accuracy") if m in names), names[0] if names else None)
    rows = rows[rows.metric == metric]
    if "split" in rows and rows.split.nunique() > 1:
        raise ValueError(f"the rows of {task!r} hold several splits {sorted(set(rows.split))}; pass split='dev' "
                         "or split='test'.")
    scores = {}
    for name in (baseline, treatment):
        part = rows[rows[column] == name]
        if part.empty:
            raise ValueError(f"no rows with {column}={name!r} for task {task!r} and metric {metric!r}; "
                             f"the table has {column} values {sorted(set(df[column]))}.")
        if part.seed.duplicated().any():
            raise ValueError(f"{column}={name!r} has several rows per seed for {task!r}; filter the table to one "
                             "setting first.")
        scores[name] = dict(zip(part.seed.astype(int), part.value.astype(float)))
    return paired(scores[baseline], scores[treatment], baseline=baseline, treatment=treatment, metric=metric,
                  higher_is_better=not metrics._lower_is_better(metric), confidence=confidence)
