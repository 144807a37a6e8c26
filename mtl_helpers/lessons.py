"""The lesson ledger: every effect the series claims, as a paired comparison that anyone can rerun.

Each ``Claim`` names its notebook, the sentence it supports, the two setups and the direction it
expects. ``measure`` trains both setups on the same seeds (mtl_helpers.evidence) and ``ledger_verdict``
says whether the claim ``holds``, is ``contradicted``, or ``cannot tell`` with those seeds. The
notebooks print what ``measure`` computes; ``python -m benchmarks --only lessons`` measures the whole
ledger over five seeds and writes benchmarks/lessons.csv. A claim that did not hold was restated as
what was measured (expected ``"cannot tell"``), never dropped.

Fair by construction, in every toy claim:
* each model trains until the *target* task's dev score stops improving (patience 5, at most 40
  epochs of 50 steps) and keeps its best epoch, so neither side is cut short: the single-task model
  sees as many target updates as it can use;
* multi-task models sample tasks uniformly, so the small target task is not starved of updates;
* the target is low-resource (40 labelled sentences, dev and test 1,000 each), where sharing can matter.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from . import baselines, config, data, evidence, metrics

NEGLIGIBLE = "negligible"  # expected: the whole interval inside ±margin, an effect too small to matter
EXPECTED: tuple[str, ...] = (evidence.HELPS, evidence.HURTS, evidence.CANNOT_TELL, NEGLIGIBLE)
LEDGER_VERDICTS: tuple[str, ...] = ("holds", "contradicted", "cannot tell")


@dataclass(frozen=True)
class Setup:
    """One side of a comparison: a run_experiment call, or a trivial baseline (``trivial=True``).

    options: run_experiment keyword arguments that override the claim's common ones. tune: a small dev
    grid ({option: [values]}); each seed trains every combination and keeps the one best on dev, so a
    method and the static weighting it is compared with get the same search.
    """

    name: str
    sharing: str = "none"
    tasks: tuple[str, ...] | None = None  # default: the claim's tasks
    options: Mapping[str, Any] = field(default_factory=dict)
    tune: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    trivial: bool = False


@dataclass(frozen=True)
class Claim:
    """An effect the series states, with what measures it."""

    id: str
    notebook: str
    statement: str
    tasks: tuple[str, ...]
    target: str  # the task whose main metric (test split) is compared
    baseline: Setup
    treatment: Setup
    expected: str  # "helps" / "hurts": the treatment against the baseline; "cannot tell": no sign shown;
    #                "negligible": the whole interval inside ±margin
    common: Mapping[str, Any] = field(default_factory=dict)
    cheap: bool = True  # toy-sized: rerun with other seeds in minutes
    seeds: int = 5  # how many seeds the benchmark measures it with: 10 for effects near their noise
    margin: float | None = None  # for expected "negligible": the smallest difference that would matter

    def __post_init__(self) -> None:
        if self.expected not in EXPECTED:
            raise ValueError(f"claim {self.id}: expected {self.expected!r} is not one of {EXPECTED}.")
        if (self.expected == NEGLIGIBLE) != (self.margin is not None):
            raise ValueError(f"claim {self.id}: a margin goes with expected {NEGLIGIBLE!r}, and only with it.")
        if not config.is_integer(self.seeds) or self.seeds < 2:
            raise ValueError(f"claim {self.id}: seeds must be an integer >= 2 (an interval needs two), got "
                             f"{self.seeds!r}; pass e.g. seeds=5.")
        if self.margin is not None and (not config.is_number(self.margin) or not self.margin > 0):
            raise ValueError(f"claim {self.id}: margin must be a number > 0, got {self.margin!r}; pass e.g. "
                             "margin=0.01.")


# The toy regime where sharing effects exist (mtl_helpers.toy): a low-resource target, a big auxiliary task,
# and a narrow encoder (8 units per direction), so that unrelated tasks compete for its capacity.
TOY: dict[str, Any] = dict(toy_size=10000, epochs=40, early_stopping_patience=5, steps_per_epoch=50,
                           sampling="uniform", embedding_dim=32, hidden_units=8, num_layers=1)
LOW = {"toy_sentiment": 0.005}  # 40 of 8,000 training sentences
PAIR = ("toy_sentiment", "toy_topic")
# Real tagging corpora, capped so that five seeds fit in minutes: 2,000 sentences a split, a 10% target.
REAL: dict[str, Any] = dict(max_sentences=2000, epochs=30, early_stopping_patience=3, steps_per_epoch=50,
                            learning_rate=5e-3, embedding_dim=64, hidden_units=32, num_layers=1, sampling="uniform")

SINGLE, HARD = Setup("single-task"), Setup("hard sharing", "hard")
# Low-resource LM transfer (mtl_helpers.language_models): Spanish NER with 5% of its labels, the LM on its whole
# training text; the other fields (sizes, budgets) are language_models.Transfer's defaults.
LM_LOW: dict[str, Any] = dict(fraction=0.05, max_sentences=None, epochs=30, steps_per_epoch=20,
                              early_stopping_patience=5)


def _toy(r: float, **extra: Any) -> dict[str, Any]:
    return {**TOY, "relatedness": r, "fractions": LOW, "monitor": ["toy_sentiment"], **extra}


LEDGER: tuple[Claim, ...] = (
    Claim("01-related-helps", "01", "At relatedness 1, hard sharing with the topic task lifts a sentiment task that "
          "has 40 labelled sentences.", PAIR, "toy_sentiment", SINGLE, HARD, "helps", _toy(1.0)),
    Claim("01-unrelated-hurts", "01", "At relatedness 0, with a narrow encoder, hard sharing with the topic task "
          "costs the sentiment task accuracy (negative transfer).", PAIR, "toy_sentiment", SINGLE, HARD, "hurts",
          _toy(0.0), seeds=10),
    Claim("01-augmentation-2x", "01", "Implicit data augmentation: hard sharing with 40 sentiment labels beats "
          "single-task learning with twice as many (80).", PAIR, "toy_sentiment",
          Setup("single-task, 80 labels", options={"fractions": {"toy_sentiment": 0.01}}),
          Setup("hard sharing, 40 labels", "hard"), "helps", _toy(1.0)),
    Claim("01-augmentation-4x", "01", "With four times as many labels (160), single-task learning catches up with "
          "hard sharing on 40: over 10 seeds the two cannot be told apart (5 seeds once showed hard sharing ahead, "
          "+0.04).", PAIR, "toy_sentiment",
          Setup("single-task, 160 labels", options={"fractions": {"toy_sentiment": 0.02}}),
          Setup("hard sharing, 40 labels", "hard"), evidence.CANNOT_TELL, _toy(1.0), seeds=10),
    Claim("01-beats-majority", "01", "The single-task model with 40 labels has learned something: it beats "
          "the majority class.", PAIR, "toy_sentiment", Setup("majority class", trivial=True), SINGLE, "helps",
          _toy(1.0)),
    Claim("04-soft-coupling", "04", "Soft sharing: coupling two towers with λ·‖θ₁ − θ₂‖² (λ = 0.01) beats the same "
          "towers uncoupled (λ = 0) on the low-resource task.", PAIR, "toy_sentiment",
          Setup("soft sharing, λ = 0", "soft", options={"coupling_weight": 0.0}),
          Setup("soft sharing, λ = 0.01", "soft", options={"coupling_weight": 0.01}), "helps", _toy(1.0)),
    Claim("04-overcoupling", "04", "Strong coupling (λ = 1) trains more slowly but, trained to convergence, ends where "
          "λ = 0.01 does: the two cannot be told apart (stopped after 3 epochs without progress, λ = 1 looked 0.5 "
          "worse).", PAIR, "toy_sentiment",
          Setup("soft sharing, λ = 0.01", "soft", options={"coupling_weight": 0.01}),
          Setup("soft sharing, λ = 1", "soft", options={"coupling_weight": 1.0}), evidence.CANNOT_TELL, _toy(1.0)),
    Claim("04-cross-stitch", "04", "Cross-stitch units beat single-task learning on the low-resource task.",
          PAIR, "toy_sentiment", SINGLE, Setup("cross-stitch", "cross_stitch"), "helps", _toy(1.0)),
    Claim("05-sampling", "05", "For the small task of an imbalanced pair, uniform task sampling beats "
          "proportional sampling at the same number of steps (10 epochs of 50, no early stopping).", PAIR,
          "toy_sentiment", Setup("hard, proportional", "hard", options={"sampling": "proportional"}),
          Setup("hard, uniform", "hard"), "helps", _toy(1.0, epochs=10, early_stopping_patience=None), seeds=10),
    Claim("05-uncertainty-vs-tuned", "05", "Uncertainty weighting does not beat a static weighting tuned on dev "
          "with the same grid (Kurin et al. 2022; Xin et al. 2022).", PAIR, "toy_sentiment",
          Setup("static, tuned on dev", "hard", tune={"learning_rate": [1e-3, 3e-3, 1e-2]}),
          Setup("uncertainty weighting", "hard", options={"weighting": "uncertainty"},
                tune={"learning_rate": [1e-3, 3e-3, 1e-2]}), evidence.CANNOT_TELL, _toy(0.5)),
    Claim("05-dwa-vs-tuned", "05", "Dynamic weight averaging does not beat a static weighting tuned on dev with "
          "the same grid.", PAIR, "toy_sentiment",
          Setup("static, tuned on dev", "hard", tune={"learning_rate": [1e-3, 3e-3, 1e-2]}),
          Setup("DWA", "hard", options={"weighting": "dwa"}, tune={"learning_rate": [1e-3, 3e-3, 1e-2]}),
          evidence.CANNOT_TELL, _toy(0.5)),
    Claim("06-gain-at-ten-times-data", "06", "With 400 labels instead of 40 the gain of sharing is gone: "
          "under one point of accuracy either way (the interval inside ±0.01).", PAIR, "toy_sentiment", SINGLE,
          HARD, NEGLIGIBLE, _toy(1.0, fractions={"toy_sentiment": 0.05}), margin=0.01),
    Claim("06-related-0.25", "06", "A quarter related (r = 0.25), hard sharing still costs the low-resource task.",
          PAIR, "toy_sentiment", SINGLE, HARD, "hurts", _toy(0.25)),
    Claim("06-half-related", "06", "Halfway related (r = 0.5), what sharing gives and what it takes cancel out: "
          "hard sharing and single-task cannot be told apart.", PAIR, "toy_sentiment", SINGLE, HARD,
          evidence.CANNOT_TELL, _toy(0.5)),
    Claim("06-related-0.75", "06", "Three quarters related (r = 0.75), hard sharing already helps the low-resource "
          "task.", PAIR, "toy_sentiment", SINGLE, HARD, "helps", _toy(0.75)),
    Claim("09-multitype-toy", "09", "Semantic roles with 40 labels LOSE from sharing the narrow encoder with entity "
          "tagging and topic classification (relatedness 1): roles are read from word order, which the other "
          "tasks do not teach, and they take the encoder's few units.", ("toy_roles", "toy_ner", "toy_topic"),
          "toy_roles", SINGLE, HARD, "hurts", {**TOY, "relatedness": 1.0, "fractions": {"toy_roles": 0.005},
                                               "monitor": ["toy_roles"]}),
    Claim("10-text-to-text", "10", "One text-to-text model trained on every toy task as text (sentiment:, topic: "
          "and ner: prefixes, the same vocabulary and steps) lifts the 40-label sentiment task over the same model "
          "trained on sentiment alone.", ("toy_sentiment", "toy_topic", "toy_ner"), "toy_sentiment",
          Setup("sentiment alone, as text", tasks=("toy_sentiment",)), Setup("all tasks as text"), "helps",
          {"text_to_text": True, "toy_size": 10000, "fractions": LOW, "relatedness": 1.0, "epochs": 15,
           "steps_per_epoch": 25, "early_stopping_patience": 4}),
    Claim("10-paraphrase", "10", "Asked with a wording never seen in training (polarity: instead of sentiment:, "
          "which the model reads as <unk>), the text-to-text model trained on every toy task still answers the "
          "40-label sentiment task better than the same model trained on sentiment alone.",
          ("toy_sentiment", "toy_topic", "toy_ner"), "toy_sentiment",
          Setup("sentiment alone, asked polarity:", tasks=("toy_sentiment",)), Setup("all tasks, asked polarity:"),
          "helps", {"text_to_text": True, "test_prefix": "polarity:", "toy_size": 10000, "fractions": LOW,
                    "relatedness": 1.0, "epochs": 15, "steps_per_epoch": 25, "early_stopping_patience": 4}),
    Claim("10-mixing", "10", "Mixing the tasks' examples uniformly (temperature ∞) lifts the 40-label sentiment task of "
          "the text-to-text model over mixing them in proportion to their sizes (temperature 1), which draws a "
          "sentiment example about once in 400.", ("toy_sentiment", "toy_topic", "toy_ner"), "toy_sentiment",
          Setup("all tasks, proportional mixing", options={"temperature": 1.0}), Setup("all tasks, uniform mixing"),
          "helps", {"text_to_text": True, "toy_size": 10000, "fractions": LOW, "relatedness": 1.0, "epochs": 15,
                    "steps_per_epoch": 25, "early_stopping_patience": 4},
          seeds=10),  # proportional mixing swings from seed to seed: 10-14 alone gave +0.27 [-0.03, +0.57]
    Claim("10-real-corpus-text-to-text", "10", "On real corpora written as text (sentiment:, review: and "
          "subjectivity:, every sentence cut to 32 words, one vocabulary of the 2,000 most frequent words), one "
          "text-to-text model trained on all three lifts movie-review sentiment trained on 4% of its sentences (341) "
          "over the same model trained on sentiment alone (both the whole 15 epochs, each keeping its best dev "
          "epoch).", ("sentiment", "review_polarity", "subjectivity"),
          "sentiment", Setup("sentiment alone, as text", tasks=("sentiment",)), Setup("all three corpora as text"),
          "helps", {"text_to_text": True, "fractions": {"sentiment": 0.04, "review_polarity": 0.154}, "max_words": 32,
                    "vocabulary_size": 2000, "max_len": 36, "epochs": 15, "steps_per_epoch": 25,
                    "early_stopping_patience": None}, cheap=False),  # a mixed model can idle at chance for epochs
    Claim("10-pretrained-text-to-text", "10", "Next-word pretraining of the text model on 120,000 unlabelled sentences "
          "(movie_reviews and Brown, one checkpoint, its 2,000-word vocabulary on both sides) does not lift "
          "movie-review sentiment trained on 4% of its sentences as text over the same model from random weights: "
          "the two cannot be told apart.",
          ("sentiment",), "sentiment", Setup("random weights", tasks=("sentiment",)),
          Setup("pretrained on next words", tasks=("sentiment",), options={"pretrained": True}), evidence.CANNOT_TELL,
          {"text_to_text": True, "fractions": {"sentiment": 0.04}, "max_words": 32, "pretraining": {}, "epochs": 15,
           "steps_per_epoch": 25, "early_stopping_patience": None}, cheap=False),
    Claim("03-pos-helps-chunk", "03", "POS tagging as an auxiliary task lifts chunking trained on 10% of its "
          "sentences (hard sharing, both trained to convergence on chunk dev F1).", ("chunk", "pos"), "chunk",
          SINGLE, HARD, "helps", {**REAL, "fractions": {"chunk": 0.1}, "monitor": ["chunk"]}, cheap=False),
    Claim("03-pos-beats-lookup", "03", "A single-task BiLSTM trained to convergence on 10% of the POS sentences "
          "beats the most-frequent-tag lookup built from the same sentences.", ("pos",), "pos",
          Setup("most frequent tag", trivial=True), SINGLE, "helps", {**REAL, "fractions": {"pos": 0.1}},
          cheap=False),
    Claim("07-lm-pretraining", "07", "One epoch of LM pretraining on the tasks' own text does not lift chunking "
          "trained on 10% of its sentences.", ("chunk", "pos"), "chunk", HARD,
          Setup("hard + LM pretraining", "hard", options={"lm_pretraining": 1}), evidence.CANNOT_TELL,
          {**REAL, "fractions": {"chunk": 0.1}, "monitor": ["chunk"]}, cheap=False),
    Claim("07-lm-low-resource-pretraining", "07", "A bidirectional LM pretrained on the whole training text of "
          "Spanish NER (its labels unread), then fine-tuned on 5% of the labelled sentences, beats training from "
          "scratch on that 5% (same vocabulary, MLP head and budget).", ("ner_es",), "ner_es",
          Setup("scratch", options={"lm_transfer": "scratch"}),
          Setup("LM pretrained, fine-tuned", options={"lm_transfer": "fine-tuned"}), "helps", LM_LOW, cheap=False),
    Claim("07-lm-low-resource-auxiliary", "07", "The same LM objective on the same text as an auxiliary task, "
          "trained jointly with NER on 5% of its labelled sentences (one batch of each per step), cannot be told "
          "apart from training from scratch on that 5% (it was expected to help, as pretraining does).", ("ner_es",),
          "ner_es", Setup("scratch", options={"lm_transfer": "scratch"}),
          Setup("LM auxiliary", options={"lm_transfer": "auxiliary"}), evidence.CANNOT_TELL, LM_LOW, cheap=False),
    Claim("09-cross-lingual", "09", "Spanish NER as a second task lifts Dutch NER trained on 10% of its sentences "
          "(hard sharing, one vocabulary).", ("ner_nl", "ner_es"), "ner_nl",
          Setup("single-task", tasks=("ner_nl",)), HARD, "helps",
          {**REAL, "fractions": {"ner_nl": 0.1}, "monitor": ["ner_nl"]}, cheap=False),
)
CLAIMS: dict[str, Claim] = {c.id: c for c in LEDGER}

# Fast mode (MTL_FAST=1) shrinks every measurement to check that it runs, not to judge it.
_FAST: dict[str, Any] = dict(toy_size=2000, max_sentences=200, epochs=2, steps_per_epoch=10)


def claim(claim_id: str) -> Claim:
    """The ledger entry ``claim_id``; ValueError listing the ids when it is unknown."""
    if claim_id not in CLAIMS:
        raise ValueError(f"unknown claim {claim_id!r}; the ledger holds: {', '.join(CLAIMS)}.")
    return CLAIMS[claim_id]


def _options(entry: Claim, setup: Setup, fast: bool) -> dict[str, Any]:
    options = {**entry.common, **setup.options}
    if fast:
        options.update({k: v for k, v in _FAST.items() if k in options})
        options.update(epochs=_FAST["epochs"], steps_per_epoch=_FAST["steps_per_epoch"], early_stopping_patience=None)
    return options


def _target_metric(entry: Claim) -> str:
    task = data.load_task(entry.target, max_sentences=2, toy_size=10)
    return metrics.main_metric(task.kind, task.labels)[0]


_SCORES: dict[str, float] = {}  # one training per distinct (setup, seed): claims that share a side reuse it


def score(entry: Claim, setup: Setup, seed: int, fast: bool | None = None) -> float:
    """The test score of one setup of a claim for one seed (choosing on dev when the setup has a grid).

    Remembered for this Python session: another claim with the very same side (tasks, sharing, options,
    grid) and seed gets the same number without training again."""
    fast = config.FAST if fast is None else fast
    options = _options(entry, setup, fast)
    key = repr((entry.target, setup.tasks or entry.tasks, setup.sharing, setup.trivial, sorted(options.items()),
                sorted(setup.tune.items()), seed, fast))
    if key not in _SCORES:
        _SCORES[key] = _train_and_score(entry, setup, seed, options)
    return _SCORES[key]


def _train_and_score(entry: Claim, setup: Setup, seed: int, options: dict[str, Any]) -> float:
    from . import experiments

    if options.get("text_to_text"):  # one decoder-only model reading every task as text (notebook 10)
        from . import text_to_text

        rest = {k: v for k, v in options.items() if k != "text_to_text"}
        return text_to_text.run_and_score(entry.target, setup.tasks or entry.tasks, seed=seed,
                                          vocabulary_tasks=entry.tasks, **rest)
    if options.get("lm_transfer"):  # LM pretraining / auxiliary LM on a low-resource target (notebook 07)
        from . import language_models

        rest = {k: v for k, v in options.items() if k != "lm_transfer"}
        return language_models.run_and_score(entry.target, seed, options["lm_transfer"], **rest)
    if setup.trivial:
        fraction = options.get("fractions", {}).get(entry.target, 1.0)
        task = data.load_task(entry.target, seed=seed, fraction=fraction, max_sentences=options.get("max_sentences"),
                              toy_size=options.get("toy_size"), relatedness=options.get("relatedness", 1.0))
        return baselines.score(task, "test")[1]
    metric = _target_metric(entry)
    best: tuple[float, float] | None = None
    for values in itertools.product(*setup.tune.values()):
        run = experiments.run_experiment(list(setup.tasks or entry.tasks), [setup.sharing], seeds=[seed],
                                         split=("dev", "test"), **{**options, **dict(zip(setup.tune, values))})
        rows = run[(run.task == entry.target) & (run.metric == metric)].set_index("split").value
        if best is None or rows["dev"] > best[0]:
            best = (float(rows["dev"]), float(rows["test"]))
    assert best is not None
    return best[1]


def measure(claim_id: str, seeds: int | Sequence[int] = 5, fast: bool | None = None) -> evidence.Comparison:
    """Train both setups of a claim on the same seeds; the paired comparison of their test scores."""
    entry = claim(claim_id)
    return evidence.compare(lambda s: score(entry, entry.baseline, s, fast),
                            lambda s: score(entry, entry.treatment, s, fast), seeds,
                            baseline=entry.baseline.name, treatment=entry.treatment.name,
                            metric=f"{entry.target} {_target_metric(entry)}")


LEDGER_CSV = Path(__file__).resolve().parents[1] / "benchmarks" / "lessons.csv"


def measured(claim_id: str, path: Path = LEDGER_CSV) -> str:
    """The committed measurement of a claim (benchmarks/lessons.csv) as one line, for a notebook that cannot
    afford to train it; says so when the claim was never measured."""
    entry = claim(claim_id)
    rows = pd.read_csv(path, dtype={"seeds": str}) if path.exists() else pd.DataFrame(columns=["claim"])
    match = rows[rows.claim == entry.id]
    if match.empty:
        return (f"[{entry.id}] not measured yet: run `python -m benchmarks --only lessons --claims {entry.id}`.")
    row = match.iloc[0]
    return (f"[{entry.id}] {entry.statement}\n  measured by the benchmark, seeds {row.seeds}: {row.metric} paired "
            f"difference {row['diff']:+.3f} [{row.ci_low:+.3f}, {row.ci_high:+.3f}]; the claim {row.verdict}.")


QUALITY_CSV = LEDGER_CSV.with_name("quality_runs.csv")
#: How the benchmark's quality table names its variants (benchmarks/quality.py VARIANT_NAMES).
FULL_SCALE_NAMES = {"none": "single-task", "hard": "hard sharing", "soft": "soft sharing",
                    "lm_hard": "hard + LM pretraining", "transfer": "single-task after a related task"}


def full_scale(task: str, treatment: str, baseline: str = "none", path: Path = QUALITY_CSV) -> evidence.Comparison:
    """The committed full-corpus measurement of ``treatment`` against ``baseline`` on ``task`` (benchmarks/
    quality_runs.csv: 3 seeds, test split, paired by seed), so that a notebook quotes the benchmark's current
    number instead of a copy that a re-run can contradict."""
    if baseline not in FULL_SCALE_NAMES or treatment not in FULL_SCALE_NAMES:
        raise ValueError(f"unknown variant {baseline!r} or {treatment!r}; use one of {sorted(FULL_SCALE_NAMES)}.")
    if not path.exists():
        raise ValueError(f"{path} is missing; run `python -m benchmarks --only quality` to measure the table.")
    runs = pd.read_csv(path)
    if task not in set(runs.task):
        raise ValueError(f"the quality table has no task {task!r}; it has {sorted(set(runs.task))}.")
    runs = runs[runs.sharing.isin([baseline, treatment])].assign(sharing=lambda f: f.sharing.map(FULL_SCALE_NAMES))
    comparison = evidence.from_table(runs, FULL_SCALE_NAMES[baseline], FULL_SCALE_NAMES[treatment], task=task,
                                     split="test")
    return replace(comparison, metric=f"{task} {comparison.metric}, full corpus")


def seeds_for(entry: Claim, seeds: Sequence[int]) -> list[int]:
    """The given seeds, continued upward from the last one when the claim needs more (``Claim.seeds``):
    seeds 0-4 become 0-9 for a 10-seed claim, and 10-14 become 10-19, so two runs never share a seed."""
    chosen = evidence.seed_list(list(seeds))
    while len(chosen) < entry.seeds:
        chosen.append(max(chosen) + 1)
    return chosen


def ledger_verdict(entry: Claim, comparison: evidence.Comparison) -> str:
    """"holds" when the measured verdict is the expected one, "contradicted" when it is the opposite
    direction (or any direction, for a claim of no effect), else "cannot tell". A "negligible" claim holds
    when the interval lies inside ±margin and is contradicted when it lies wholly beyond it."""
    if entry.expected == NEGLIGIBLE:
        assert entry.margin is not None
        _, low, high = comparison.interval
        if comparison.within(entry.margin):
            return "holds"
        return "contradicted" if low >= entry.margin or high <= -entry.margin else "cannot tell"
    measured = comparison.verdict
    if measured == entry.expected:
        return "holds"
    if entry.expected == evidence.CANNOT_TELL or measured != evidence.CANNOT_TELL:
        return "contradicted"
    return "cannot tell"


def report(claim_id: str, comparison: evidence.Comparison) -> str:
    """The lines a notebook prints: the claim, what was measured, and whether the claim holds."""
    entry = claim(claim_id)
    verdict = ledger_verdict(entry, comparison)
    said = {"holds": "holds", "contradicted": "is contradicted", "cannot tell": "cannot be told with these seeds"}
    mode = " (fast mode: a check that it runs, not a result)" if config.FAST else ""
    return (f"[{entry.id}] {entry.statement}\n  measured: {comparison.sentence()}\n"
            f"  the claim {said[verdict]}{mode}.")
