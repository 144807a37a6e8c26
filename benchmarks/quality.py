"""Benchmark 7: quality table — single-task / hard / soft / hard with LM pretraining / single-task after a related
task, mean ± std over seeds, beside published results.
How: four task pairs (GROUPS) each train in the VARIANTS over ``Settings.seeds`` seeds. Every (group, variant,
seed) is one :func:`run_one`, a call of ``experiments.run_experiment`` with the group's inputs and outputs, scored
on dev and test (SPLITS). :func:`run_quality` starts the runs tier by tier (TIERS: single-task and hard sharing
first, as the gain row needs pairs) until ``Settings.budget_s``, on worker processes with one TensorFlow thread
each, and lists the runs left out. Each run stores its setup in words (``Settings.setup`` / ``variant_setup``)
beside its scores in quality_runs.csv: :func:`earlier_runs` keeps the cells a partial re-run does not repeat, and
the paired gains compare only runs of the same seed and the same setup before " | " (:func:`base_setup`).
:func:`quality_table`, :func:`gains_frame`, :func:`setups_frame` and :func:`dev_choices` make RESULTS.md's
tables; :func:`quality_rows` the PASS/FAIL rows: the cell a choice on dev picks for each target task (TARGETS),
scored on test, and whether a multi-task setup chosen on dev gains over single-task with a 95% interval above
zero (a task without dev scores: any of its variants). Everything after this first paragraph is quoted in RESULTS.md's
quality section (benchmarks/report.py); benchmarks/LOG.md has the setups of earlier runs.

Our corpora and splits (mtl_helpers.data): MR = nltk sentence_polarity, SUBJ = nltk subjectivity, both a
seeded 80/10/10 split (the papers use 10-fold cross-validation); chunk and pos = conll2000 official test
set (dev = 10% of train); its POS column was produced by a tagger (Brill), so pos accuracy here is NOT
the WSJ POS benchmark; NER = conll2002 es / nl, trained on train, early stopping on testa, scored on testb.
Each group trains its two tasks together (the second task is the auxiliary one; in the tagging groups
its head reads the first BiLSTM layer, the low-level supervision of Søgaard & Goldberg 2016 and notebook
03). Every run is scored on dev and test; the table reports test.

Inputs: the English groups start their word embeddings from PPMI-SVD vectors counted on unlabelled NLTK
text (movie_reviews + brown, about 2.7M tokens; mtl_helpers.embeddings), the NER groups from random ones (no
Spanish or Dutch text is available offline). The tagging groups add a character CNN and word dropout (0.1 of
the word ids become <unk> in training while the CNN still reads the word). Outputs: the span task of each
tagging group (chunk, NER) has a CRF output layer (mtl_helpers.crf); the sentence heads max-pool the BiLSTM
states. Training: a 2-layer BiLSTM with 64 units per direction (128 for chunk + pos and for Dutch NER),
dropout 0.5, up to 12 epochs with early stopping after 3 without a better dev score, Adam at 5e-3 for the
tagging groups and 1e-3 for the sentence groups, except Dutch: 2e-3, with up to 25 epochs and patience 5.
Earlier runs used other setups; each cell's own setup is stored beside it in quality_runs.csv and named in
RESULTS.md's table of setups.

LM pretraining (lm_hard) reads the tasks' own train text for one epoch, with the LM head on the BiLSTM's
forward half over the whole vocabulary (each lm_hard setup ends with its LM; benchmarks/README.md gives what
bidirectional LMs on 2.4M tokens of movie_reviews + brown did instead). Sequential transfer ("single-task after
a related task", sentence group only) first trains each single-task model, with a second head, on review
polarity: the 52k training sentences of NLTK's movie_reviews, each labelled with its review's polarity (up to 5
epochs, early stopping on that task's dev accuracy), then on its own task. Nothing is downloaded beyond NLTK
corpora. The published "static" numbers use word2vec trained on 100 billion words, and Collobert et al. an LM
trained on 852 million words.
"""
from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mtl_helpers import data, experiments, lessons, metrics

from .common import Row, check

GROUPS: tuple[tuple[str, str], ...] = (("sentiment", "subjectivity"), ("chunk", "pos"),
                                       ("ner_es", "pos_es"), ("ner_nl", "pos_nl"))
VARIANTS: tuple[str, ...] = ("none", "hard", "soft", "lm_hard", "transfer")
VARIANT_NAMES = lessons.FULL_SCALE_NAMES  # the names a notebook's lessons.full_scale prints too
#: Sequential transfer ("transfer"): the related labelled task each single-task model of a group first trains on
#: (experiments.run_experiment's pretrain_on). Only the sentence group has one: review polarity, 52k training
#: sentences of IMDb reviews labelled with their review's polarity (more, noisier sentiment labels in MR's
#: domain). The tagging groups' related task is their POS task, which hard and soft sharing already use.
PRETRAIN_TASKS: dict[tuple[str, str], str] = {("sentiment", "subjectivity"): "review_polarity"}
#: Sampling of every quality run: "all" = one batch of each task per step, joint batches for tasks on the same
#: sentences (chunk + pos), so the shared encoder runs once for both heads. The optimizer is Adam, at a
#: learning rate per group (Settings.learning_rate_in).
TRAIN = {"sampling": "all"}
#: Every run is scored on both: the table reports test, and dev says which setting a fair choice would take
#: (runs before 2026-11-30 21:00 stored test only).
SPLITS: tuple[str, ...] = ("dev", "test")
#: Targets (main metric in %, higher is better) for the best of our settings.
TARGETS = {"sentiment": 78.0, "subjectivity": 92.0, "chunk": 93.0, "ner_es": 78.0, "ner_nl": 75.0}
PUBLISHED = {
    "sentiment": "Kim 2014 (EMNLP) CNN-rand 76.1, CNN-static 81.0 (MR, 10-fold CV)",
    "subjectivity": "Kim 2014 CNN-rand 89.6, CNN-static 93.0; Liu, Qiu & Huang 2016 (IJCAI) best multi-task 94.1",
    "chunk": "Collobert et al. 2011 (JMLR) 93.63 with LM pretraining, 94.10 + multi-task; "
             "Søgaard & Goldberg 2016 (ACL) 95.56; Hashimoto et al. 2017 (EMNLP) 95.77 (conll2000 test F1)",
    "pos": "no published figure: conll2000's POS column is automatic (Brill tagger), not the WSJ benchmark",
    "ner_es": "conll2002 shared task (Tjong Kim Sang 2002) best system 81.39 F1 (es testb)",
    "ner_nl": "conll2002 shared task (Tjong Kim Sang 2002) best system 77.05 F1 (nl testb)",
    "pos_es": "no target (auxiliary task; conll2002 es POS column)",
    "pos_nl": "no target (auxiliary task; conll2002 nl POS column)",
}


#: The group each task belongs to.
GROUP_OF: dict[str, tuple[str, str]] = {task: group for group in GROUPS for task in group}


def run_label(started: datetime.datetime) -> str:
    """How quality_runs.csv and RESULTS.md name a benchmark run: its start, to the minute."""
    return f"{started:%Y-%m-%d %H:%M}"


#: Input features per group. English groups start their word embeddings from PPMI-SVD vectors of
#: unlabelled NLTK text (mtl_helpers.embeddings: movie_reviews + brown; no Spanish or Dutch text is
#: available offline, so the NER groups start from random embeddings). Tagging groups add a character CNN
#: (case kept: capitals are the strongest NER cue, and the word vocabulary is lower-cased).
VECTOR_GROUPS: tuple[tuple[str, str], ...] = (("sentiment", "subjectivity"), ("chunk", "pos"))
CHAR_GROUPS: tuple[tuple[str, str], ...] = (("chunk", "pos"), ("ner_es", "pos_es"), ("ner_nl", "pos_nl"))


#: BiLSTM units per direction of the default encoder (models.EncoderConfig), which most groups keep; a setup
#: names its width only where it differs, so the setups stored before widths could differ still pair.
DEFAULT_UNITS = 64


#: Run order under a budget: single-task and hard sharing first (every seed; the gain row needs pairs),
#: then soft sharing, then sequential transfer, then LM pretraining (its full-vocabulary softmax makes it the
#: costliest run).
TIERS: tuple[tuple[str, ...], ...] = (("none", "hard"), ("soft",), ("transfer",), ("lm_hard",))


@dataclass
class Settings:
    """Sizes of the quality runs (the full run states them in RESULTS.md)."""

    seeds: int = 3
    epochs: int = 12
    patience: int = 3  # early stopping: epochs without a better dev score; the best dev epoch is kept
    dropout: float = 0.5  # on the embeddings and between layers (EncoderConfig.dropout)
    max_sentences: int | None = None
    groups: tuple[tuple[str, str], ...] = GROUPS
    variants: tuple[str, ...] = VARIANTS
    lm_epochs: int = 1
    pretrain_epochs: int = 5  # "transfer": most epochs on the related task (early stopping after 1 without gain)
    budget_s: float = 3600.0
    jobs: int = 2  # worker processes, one TensorFlow thread each: independent runs side by side
    features: bool = True  # word vectors + character CNN (+ CRF) per VECTOR_GROUPS / CHAR_GROUPS
    crf: bool = True  # tagging groups: a CRF output layer on the span task (with features)
    pooling: str = "max"  # sentence groups: the classification heads pool the BiLSTM states by max (models.POOLINGS)
    #: tagging groups, training only: share of word ids turned into <unk> while the char CNN still sees the
    #: word (EncoderConfig.word_dropout), so unseen test words are read from their characters
    word_dropout: float = 0.1
    #: Adam's learning rate for the tagging groups (1e-3 leaves the BiLSTM taggers near the majority tag for
    #: epochs) and for the sentence groups (5e-3 overfits the 10k-sentence tasks within a few epochs)
    learning_rate: float = 5e-3
    sentence_learning_rate: float = 1e-3
    #: Adam's learning rate where a group departs from the two above: 5e-3 was chosen on the English and
    #: Spanish taggers and is too fast for the Dutch one (benchmarks/README: 2e-3 gave Dutch NER 2-3 points more)
    group_learning_rates: dict[tuple[str, str], float] = field(default_factory=lambda: {("ner_nl", "pos_nl"): 2e-3})
    #: (epochs, patience) where a group departs from ``epochs`` / ``patience``: the slower Dutch tagger still
    #: improves after 12 epochs; a quick run or an explicit --quality-epochs empties this
    group_epochs: dict[tuple[str, str], tuple[int, int]] = field(
        default_factory=lambda: {("ner_nl", "pos_nl"): (25, 5)})
    #: BiLSTM units per direction where a group departs from the default encoder's 64: the chunker and, at Adam
    #: 2e-3, the Dutch tagger scored higher with 128 (benchmarks/README); the Spanish tagger and the sentence
    #: classifiers did not
    hidden_units: dict[tuple[str, str], int] = field(
        default_factory=lambda: {("chunk", "pos"): 128, ("ner_nl", "pos_nl"): 128})

    def hidden_units_in(self, group: tuple[str, str]) -> int:
        """BiLSTM units per direction of the runs of ``group`` (DEFAULT_UNITS unless ``hidden_units`` names it)."""
        return self.hidden_units.get(group, DEFAULT_UNITS)

    def word_dropout_in(self, group: tuple[str, str]) -> float:
        """The word dropout runs of ``group`` train with: only where a char CNN reads the dropped words."""
        return self.word_dropout if self.features and group in CHAR_GROUPS else 0.0

    def learning_rate_in(self, group: tuple[str, str]) -> float:
        """Adam's learning rate for the runs of ``group``: taggers and sentence classifiers train best apart."""
        default = self.learning_rate if group in CHAR_GROUPS else self.sentence_learning_rate
        return self.group_learning_rates.get(group, default)

    def epochs_in(self, group: tuple[str, str]) -> tuple[int, int]:
        """(most epochs, early-stopping patience) of the runs of ``group``."""
        return self.group_epochs.get(group, (self.epochs, self.patience))

    def departures(self) -> str:
        """The per-group learning rates, epoch caps and widths of the run's groups that depart from the defaults,
        for the reports ("" if none)."""
        parts = []
        for group in self.groups:
            changes = ([f"Adam {self.group_learning_rates[group]:g}"] if group in self.group_learning_rates else [])
            if group in self.group_epochs:
                changes.append("at most {} epochs, patience {}".format(*self.group_epochs[group]))
            if group in self.hidden_units:
                changes.append(f"{self.hidden_units[group]} BiLSTM units")
            if changes:
                parts.append(f"{'+'.join(group)}: {', '.join(changes)}")
        return "; ".join(parts)

    def setup(self, group: tuple[str, str]) -> str:
        """What a run of ``group`` trains with, in words (stored beside every run in quality_runs.csv)."""
        tagging = group in CHAR_GROUPS
        inputs = ["PPMI-SVD word vectors" if self.features and group in VECTOR_GROUPS else "random embeddings"]
        if self.features and tagging:
            inputs.append("char CNN")
        if tagging:
            outputs = (f"{'CRF' if self.features and self.crf else 'softmax'} on {group[0]} (BIO-constrained "
                       f"Viterbi), softmax on {group[1]}")
        else:
            outputs = f"softmax over {self.pooling} pooling"
        size = f"max {self.max_sentences} sentences/split" if self.max_sentences else "full corpora"
        most, patience = self.epochs_in(group)
        epochs = f"{most} epoch{'s' if most != 1 else ''}"
        word_dropout = self.word_dropout_in(group)
        regular = f"dropout {self.dropout:g}" + (f", word dropout {word_dropout:g}" if word_dropout else "")
        units = self.hidden_units_in(group)
        width = f", {units} BiLSTM units" if units != DEFAULT_UNITS else ""  # the default stays unnamed
        return (f"{epochs} (patience {patience}), Adam {self.learning_rate_in(group):g}, {regular}, "
                f"{' + '.join(inputs)}, {outputs}, {size}{width}")

    def variant_setup(self, group: tuple[str, str], variant: str) -> str:
        """setup(group), plus after " | " what the variant adds (lm_hard: the LM pretraining). A multi-task run
        pairs with the single-task run of the same seed and the same part before " | " (base_setup)."""
        if variant == "transfer":
            return (f"{self.setup(group)} | first trained on {PRETRAIN_TASKS[group]}: up to {self.pretrain_epochs} "
                    "epochs (patience 1)")
        if variant != "lm_hard":
            return self.setup(group)
        epochs = f"{self.lm_epochs} epoch{'s' if self.lm_epochs != 1 else ''}"
        return f"{self.setup(group)} | LM: {epochs}, forward half only, on the tasks' train text, whole vocabulary"


def applies(group: tuple[str, str], variant: str) -> bool:
    """Whether ``group`` has ``variant``: "transfer" needs a related task in PRETRAIN_TASKS."""
    return variant != "transfer" or group in PRETRAIN_TASKS


def base_setup(setup: str) -> str:
    """The part of a stored setup that single-task and multi-task runs share (before " | ")."""
    return str(setup).split(" | ")[0]


def run_one(group: tuple[str, str], variant: str, seed: int, s: Settings) -> pd.DataFrame:
    """One (group, variant, seed) run scored on the dev and test splits (SPLITS), as experiments.COLUMNS rows.

    experiments.run_experiment with this group's inputs: "none" trains one single-task model per task,
    "hard" / "soft" one joint model, "lm_hard" a hard-shared model whose encoder first reads the tasks'
    train text as a language model (lm_epochs), "transfer" single-task models that first train on the group's
    PRETRAIN_TASKS task (pretrain_epochs). Every model of a group gets the same inputs and outputs.
    """
    tagging = group in CHAR_GROUPS
    span_crf = [group[0]] if s.features and tagging and s.crf else False  # CRF on the span task (chunk, NER)
    sharing = {"lm_hard": "hard", "transfer": "none"}.get(variant, variant)
    epochs, patience = s.epochs_in(group)
    table = experiments.run_experiment(
        list(group), [sharing], seeds=[seed], epochs=epochs,
        max_sentences=s.max_sentences, chars=s.features and tagging,
        word_vectors=s.features and group in VECTOR_GROUPS, crf=span_crf,
        read_layers={group[1]: 1} if tagging else None,  # tagging: the auxiliary POS head reads layer 1
        lm_pretraining=s.lm_epochs if variant == "lm_hard" else 0, dropout=s.dropout,
        pooling=s.pooling, word_dropout=s.word_dropout_in(group),
        early_stopping_patience=patience if epochs > patience else None,
        learning_rate=s.learning_rate_in(group), hidden_units=s.hidden_units_in(group),
        pretrain_on=PRETRAIN_TASKS[group] if variant == "transfer" else None, pretrain_epochs=s.pretrain_epochs,
        split=SPLITS, **TRAIN)
    return table.assign(sharing=variant, setup=s.variant_setup(group, variant))


def _worker_start() -> None:
    """Each worker process: one TensorFlow thread (set before any op runs), quiet C++ logs."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def _job(group: tuple[str, str], variant: str, seed: int, s: Settings, deadline: float) -> tuple[str, object, float]:
    """("done", frame, seconds) | ("skipped", None, 0) past the deadline | ("missing", message, 0)."""
    if time.time() > deadline:
        return "skipped", None, 0.0
    start = time.perf_counter()
    try:
        return "done", run_one(group, variant, seed, s), time.perf_counter() - start
    except data.CorpusMissingError as error:
        return "missing", str(error).splitlines()[0], 0.0


def run_quality(s: Settings, log=print) -> tuple[pd.DataFrame, list[str]]:
    """All (seed, group, variant) runs that start within the budget, on ``s.jobs`` worker processes (1: in
    this process). Order: the TIERS one after the other, seeds outermost within a tier, so the paired
    single-task / hard comparison gets every seed before the costlier variants start. Returns the tidy
    table (in job order, whichever worker finished first) and the runs left out."""
    import concurrent.futures
    import multiprocessing

    jobs = [(g, v, seed) for tier in TIERS for seed in range(s.seeds) for g in s.groups for v in s.variants
            if v in tier and applies(g, v)]
    deadline = time.time() + s.budget_s
    outcomes: dict[tuple, tuple[str, object, float]] = {}

    def label(job: tuple) -> str:
        return f"seed {job[2]} {'+'.join(job[0])} {job[1]}"

    def finished(job: tuple, outcome: tuple[str, object, float]) -> None:
        outcomes[job] = outcome
        if outcome[0] == "done":
            log(f"  quality: {label(job)}: {outcome[2]:.0f} s")

    if s.jobs <= 1:
        for job in jobs:
            finished(job, _job(*job, s, deadline))
    else:
        with concurrent.futures.ProcessPoolExecutor(s.jobs, mp_context=multiprocessing.get_context("spawn"),
                                                    initializer=_worker_start) as pool:
            futures = {pool.submit(_job, *job, s, deadline): job for job in jobs}
            for future in concurrent.futures.as_completed(futures):
                finished(futures[future], future.result())
    frames = [outcomes[j][1] for j in jobs if outcomes[j][0] == "done"]
    skipped = [label(j) + (f" (corpus missing: {outcomes[j][1]})" if outcomes[j][0] == "missing" else "")
               for j in jobs if outcomes[j][0] != "done"]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(experiments.COLUMNS))
    return table, skipped


def _main(task: str) -> str:
    loaded = data.load_task(task, max_sentences=50, full=True)
    return metrics.main_metric(loaded.kind, loaded.labels)[0]


def from_earlier_run(cell: pd.DataFrame, current_run: str | None) -> bool:
    """True when a cell's runs come from an earlier benchmark run than ``current_run``."""
    return current_run is not None and "run" in cell and len(cell) > 0 and (cell.run != current_run).any()


def quality_table(table: pd.DataFrame, current_run: str | None = None) -> pd.DataFrame:
    """Markdown-ready table: task, metric, one 'mean ± std (n)' column per variant (a † marks cells kept from
    an earlier run than ``current_run``), published results."""
    rows = []
    for group in GROUPS:
        for task in group:
            metric = _main(task)
            scores, cells = _scores(table, task, metric), {}
            for variant in VARIANTS:
                if not applies(group, variant):
                    cells[VARIANT_NAMES[variant]] = "—"
                    continue
                cell = scores[scores.sharing == variant]
                values = 100 * cell.value.to_numpy(float)
                mark = " †" if from_earlier_run(cell, current_run) else ""
                cells[VARIANT_NAMES[variant]] = (f"{values.mean():.2f} ± {values.std(ddof=1):.2f} (n={len(values)})"
                                                 if len(values) > 1 else f"{values[0]:.2f} (n=1)" if len(values)
                                                 else "not run") + mark
            rows.append({"task": task, "metric": metric, **cells, "published": PUBLISHED[task]})
    return pd.DataFrame(rows)


def _scores(table: pd.DataFrame, task: str, metric: str, split: str = "test") -> pd.DataFrame:
    """The rows of ``task``'s ``metric`` on ``split`` (a table without a split column holds test scores)."""
    on_split = table.split == split if "split" in table else split == "test"
    return table[(table.task == task) & (table.metric == metric) & on_split]


def _paired_differences(table: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """Every multi-task cell as (task, variant, its test score minus single-task's in points, one per seed and
    base setup both sides share); the array is empty when no single-task run has the same seed and base setup."""
    out = []
    table = table.assign(setup=[base_setup(x) for x in table.setup] if "setup" in table else "")
    for task in sorted(set(table.task)):
        scores = _scores(table, task, _main(task))
        single = scores[scores.sharing == "none"].set_index(["seed", "setup"]).value
        for variant in VARIANTS[1:]:
            other = scores[scores.sharing == variant].set_index(["seed", "setup"]).value
            if len(other):
                common = sorted(set(single.index) & set(other.index))
                out.append((task, variant, 100 * (other[common] - single[common]).to_numpy(float)))
    return out


def _gains(table: pd.DataFrame) -> list[tuple[str, str, float, float, float, int]]:
    """Paired (same seed, same setup) gain of each multi-task variant over single-task: task, variant, mean,
    low, high, n."""
    out = []
    for task, variant, diff in _paired_differences(table):
        if len(diff):
            mean, _, low, high = metrics.mean_ci(diff)
            out.append((task, variant, mean, low, high, len(diff)))
    return out


def unpaired_cells(table: pd.DataFrame) -> list[str]:
    """Multi-task cells that no single-task run shares a seed and setup with (e.g. a partial re-run changed
    the setup of one side): the gain table leaves them out, so RESULTS.md names them."""
    return [f"{task} {VARIANT_NAMES[variant]}" for task, variant, diff in _paired_differences(table) if not len(diff)]


def quality_rows(table: pd.DataFrame, skipped: list[str], budget_note: str,
                 groups: tuple[tuple[str, str], ...] = GROUPS, current_run: str | None = None,
                 reduced: str | None = None) -> list[Row]:
    """PASS/FAIL rows: per target task the cell a choice on dev picks (dev_choice), scored on test; where not
    every cell has dev scores, the best cell on test, INFO (a pick on test is not judged); and 'a multi-task
    gain has a CI above 0', counting for a task chosen on dev only the setup dev picked. A cell kept from an earlier run (its ``run`` is not ``current_run``) says so.
    ``reduced``: the settings of a run too small to reach the targets (``--quick``: 300 sentences, one epoch,
    one seed, so no interval either), in words; its rows that miss a target are INFO, with that reason, not FAIL."""
    rows = []
    selected = {t for g in groups for t in g}
    for task, goal in TARGETS.items():
        metric = _main(task)
        scores = _scores(table, task, metric) if len(table) else table
        if scores.empty:
            why = "not started within the budget " if task in selected else "group not selected in this run "
            rows.append(check("quality", f"7. {task} {metric} (chosen on dev, %)", None, at_least=goal,
                              note=why + budget_note))
            continue
        means = scores.groupby("sharing").value.agg(["mean", "count"])
        best = str(means["mean"].idxmax())
        choice = dev_choice(table, task)
        chosen = best if choice is None else choice[0]
        cell = scores[scores.sharing == chosen]
        where = f"[earlier run {cell.run.iloc[0]}]" if from_earlier_run(cell, current_run) else budget_note
        count = f"n={int(means.loc[chosen, 'count'])} {where}"
        if choice is not None:  # the headline: the cell a choice on dev picks, scored on test
            beside = ("also the best on test" if best == chosen else
                      f"best on test: {VARIANT_NAMES[best]} {100 * means.loc[best, 'mean']:.1f}")
            rows.append(check("quality", f"7. {task} {metric} (chosen on dev, %)", choice[2], at_least=goal,
                              note=f"{VARIANT_NAMES[chosen]} (dev {choice[1]:.1f}), {count}; {beside}"))
            continue
        row = check("quality", f"7. {task} {metric} (best on test, %)", 100 * means.loc[best, "mean"],
                    at_least=goal, note=f"{VARIANT_NAMES[best]}, {count}")
        if row.verdict in ("PASS", "FAIL"):  # a pick on test flatters: reported, never judged
            row.verdict = "INFO"
            row.note = (f"not judged: picked on test, as not every cell of {task} stored dev scores (re-run its "
                        f"group: --only quality --quality-groups {'+'.join(GROUP_OF[task])}); {row.note}")
        rows.append(row)
    gains = _gains(table)
    # a task chosen on dev counts the gain of its chosen setup only (none if dev chose single-task); a task
    # without dev scores counts every variant, the older optimistic rule the note then names
    chosen = {task: c[0] for task in {g[0] for g in gains} if (c := dev_choice(table, task)) is not None}
    gains = [g for g in gains if chosen.get(g[0], g[1]) == g[1]]
    positive = [g for g in gains if g[5] > 1 and np.isfinite(g[3]) and g[3] > 0]
    best = max(gains, key=lambda g: g[3] if np.isfinite(g[3]) else -np.inf, default=None)
    note = ("none measured" if best is None else
            f"best: {best[1]} on {best[0]}: {best[2]:+.2f} points, 95% CI [{best[3]:.2f}, {best[4]:.2f}], n={best[5]}")
    if positive:
        note = "; ".join(f"{g[1]} on {g[0]}: {g[2]:+.2f} points, 95% CI [{g[3]:.2f}, {g[4]:.2f}], n={g[5]}"
                         for g in positive[:4]) + (" ..." if len(positive) > 4 else "")
    if chosen:
        note += "; the setups chosen on dev"
        if unchosen := sorted({g[0] for g in gains} - set(chosen)):
            note += f", and every variant of {', '.join(unchosen)} (no dev scores)"
    row = check("quality", "7. a multi-task gain over single-task with 95% CI above 0",
                float(len(positive)), at_least=1, note=note)
    row.unit = " settings"
    rows.append(row)
    if skipped:
        rows.append(check("quality", "7. runs left out for the budget", float(len(skipped)),
                          note="; ".join(skipped[:6]) + (" ..." if len(skipped) > 6 else "")))
    if reduced:  # the targets are for full corpora, full epochs and several seeds: reported, not judged
        for row in rows:
            if row.verdict == "FAIL":
                row.verdict = "INFO"
                row.note = f"not judged: {reduced} cannot reach this target; {row.note}"
    return rows


def dev_choice(table: pd.DataFrame, task: str) -> tuple[str, float, float] | None:
    """The variant a choice on dev takes for ``task``: (variant, its dev mean, its test mean), in %; None unless
    every variant in the table for the task has dev scores. The best test cell is an optimistic pick; this is not."""
    if table.empty:
        return None
    metric = _main(task)
    test, dev = _scores(table, task, metric), _scores(table, task, metric, "dev")
    if dev.empty or set(dev.sharing) != set(test.sharing):
        return None
    means = dev.groupby("sharing").value.mean()
    best = str(means.idxmax())
    return best, 100 * float(means[best]), 100 * float(test[test.sharing == best].value.mean())


def dev_choices(table: pd.DataFrame) -> list[str]:
    """dev_choice of every target task that has one, in words, for RESULTS.md."""
    out = []
    for task in TARGETS:
        choice = dev_choice(table, task)
        if choice is not None:
            out.append(f"{task}: {VARIANT_NAMES[choice[0]]} (dev {choice[1]:.2f}, test {choice[2]:.2f})")
    return out


def gains_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The paired gains as a table for RESULTS.md."""
    return pd.DataFrame(_gains(table), columns=["task", "variant", "gain (points)", "ci_low", "ci_high", "n"])


def earlier_runs(path: Path, s: Settings) -> pd.DataFrame:
    """The runs of an earlier quality_runs.csv that this run does not repeat (other groups, other variants),
    so that re-running one group keeps the rest of the table; each keeps its own ``setup`` and ``run``."""
    if not path.exists():
        return pd.DataFrame()
    frame = pd.read_csv(path)
    repeated = [GROUP_OF.get(t) in s.groups and v in s.variants for t, v in zip(frame.task, frame.sharing)]
    return frame[[not r for r in repeated]].reset_index(drop=True)


def setups_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Which setup and run each (group, variant) cell of the table comes from, for RESULTS.md."""
    frame = table.assign(group=["+".join(GROUP_OF[t]) for t in table.task])
    rows = [{"group": g, "setup": setup, "run": run,
             "variants": ", ".join(v for v in VARIANTS if v in set(cell.sharing)), "seeds": cell.seed.nunique()}
            for (g, setup, run), cell in frame.groupby(["group", "setup", "run"], sort=False)]
    return pd.DataFrame(rows)
