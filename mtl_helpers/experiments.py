"""Compare single-task learning with multi-task sharing over seeds and training fractions.

``run_experiment`` trains, for every seed and every setting of the training fractions, one model per
sharing scheme (``"none"`` = one single-task model per task with the same encoder, ``"hard"``,
``"soft"``, ``"cross_stitch"`` = one multi-task model for all tasks), scores every task on the test
split and returns one tidy table. ``summarize`` turns it into mean ± std and a 95% confidence
interval per task, sharing and metric; ``delta_mtl_table`` gives LibMTL's Δ_MTL of each sharing
against the single-task baselines, on each task's main metric.

    python -m mtl_helpers.experiments --tasks chunk,pos --sharing none,hard,soft --seeds 3 \\
        --fraction chunk=0.1 --epochs 5 --out results.csv

Why several seeds: on small data the difference between two seeds of the same model is often as
large as the difference between single-task and multi-task learning; only an interval tells them apart.
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import config, data, metrics
from .specs import SHARINGS

if TYPE_CHECKING:
    from .models import TaskSpec

#: Columns of the tidy table returned by run_experiment, in order.
COLUMNS: tuple[str, ...] = ("setting", "task", "sharing", "seed", "fraction", "split", "metric", "value",
                            "train_seconds")
_BUILD_OPTIONS = ("shared_layers", "coupling", "coupling_weight", "stitch_diagonal")


def _fast_encoder() -> dict[str, Any]:
    """Encoder sizes of a run: the models' defaults in class mode, a small encoder in fast mode."""
    return config.fast_or({}, {"embedding_dim": 32, "hidden_units": 32, "num_layers": 1})


def _check_seeds(seeds: int | Sequence[int]) -> list[int]:
    """``3`` → [0, 1, 2]; a list is kept (duplicates refused: they would fake a tighter interval)."""
    if isinstance(seeds, bool):
        raise ValueError(f"seeds must be a count >= 1 or a list of seeds, got {seeds!r}; pass e.g. seeds=3.")
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds={seeds}: need at least one seed (3+ for an interval); pass e.g. seeds=3.")
        return list(range(seeds))
    seeds = list(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of non-negative integers, got {seeds!r}; "
                         "pass e.g. seeds=[0, 1, 2].")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds {seeds} repeat a seed; a repeated run is not a new sample. Use distinct seeds.")
    return seeds


def _check_fractions(fractions: Mapping[str, float | Sequence[float]] | None,
                     tasks: Sequence[str]) -> list[dict[str, float]]:
    """Every combination ("setting") of the per-task training fractions; [{}] when none are given."""
    fractions = dict(fractions or {})
    unknown = [t for t in fractions if t not in tasks]
    if unknown:
        raise ValueError(f"fractions given for {unknown}, which are not among the tasks {list(tasks)}; "
                         "give fractions only for tasks you train (or add them to the tasks).")
    options: dict[str, list[float]] = {}
    for task, value in fractions.items():
        values = list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 < v <= 1.0:
                raise ValueError(f"fraction {v!r} for task {task!r} is outside (0, 1]; "
                                 f"pass e.g. {{{task!r}: 0.1}} for 10% of its training sentences.")
        if not values:
            raise ValueError(f"no fraction given for task {task!r}; pass e.g. {{{task!r}: 0.1}}.")
        options[task] = [float(v) for v in values]
    return [dict(zip(options, combo)) for combo in itertools.product(*options.values())]


def _setting_label(setting: Mapping[str, float]) -> str:
    """'chunk=0.1' for one reduced task, 'full' when every task trains on all its data."""
    return ",".join(f"{t}={f:g}" for t, f in setting.items()) or "full"


def _split_overrides(overrides: Mapping[str, Any]) -> tuple[dict, dict, dict]:
    """Route keyword overrides to EncoderConfig, build_model and TrainConfig by field name."""
    from .models import EncoderConfig
    from .training import TrainConfig

    encoder_fields = {f.name for f in dataclasses.fields(EncoderConfig)} - {"vocab_size"}
    train_fields = {f.name for f in dataclasses.fields(TrainConfig)} - {"seed", "epochs"}
    encoder, build, train = {}, {}, {}
    for key, value in overrides.items():
        if key in encoder_fields:
            encoder[key] = value
        elif key in _BUILD_OPTIONS:
            build[key] = value
        elif key in train_fields:
            train[key] = value
        else:
            raise ValueError(
                f"unknown option {key!r}; pass EncoderConfig fields ({', '.join(sorted(encoder_fields))}), "
                f"build_model options ({', '.join(_BUILD_OPTIONS)}) or TrainConfig fields "
                f"({', '.join(sorted(train_fields))}). seed, epochs and vocab_size are set by run_experiment.")
    return encoder, build, train


def run_experiment(tasks: Sequence[str], sharings: Sequence[str] = ("none", "hard", "soft"),
                   seeds: int | Sequence[int] = 3, fractions: Mapping[str, float | Sequence[float]] | None = None,
                   epochs: int | None = None, *, split: str | Sequence[str] = "test",
                   max_sentences: int | None = None,
                   toy_size: int | None = None, relatedness: float = 1.0, progress: bool = False, chars: bool = False,
                   word_vectors: bool = False, crf: bool | Sequence[str] = False,
                   read_layers: Mapping[str, int] | None = None, lm_pretraining: int = 0,
                   lm_sources: Sequence[str] | None = None, lm_outputs: int | None = None,
                   lm_bidirectional: bool = False, pooling: str = "mean", pretrain_on: str | None = None,
                   pretrain_epochs: int = 5, monitor: Sequence[str] | None = None, **overrides: Any) -> pd.DataFrame:
    """Train every sharing scheme on ``tasks`` for every seed and fraction setting; score on ``split``
    (a split name, or several, e.g. ("dev", "test"): each trained model is scored on each).

    tasks: task names (data.TASK_NAMES). sharings: any of "none" (single-task baselines: one
    build_single_task model per task, same encoder config), "hard", "soft", "cross_stitch".
    seeds: a count (3 → seeds 0, 1, 2) or a list. The seed decides the data split, the subsample and the
    initialisation, and is the same for every sharing, so the comparison is paired.
    fractions: {task: fraction or list of fractions} of that task's TRAIN split to keep (the others keep
    all); lists are crossed into settings (e.g. a learning curve {"chunk": [0.1, 0.5, 1.0]}).
    epochs: default 10 (2 in fast mode); training keeps the weights of the best dev epoch
    (early_stopping_patience=2 unless overridden).
    overrides: EncoderConfig fields (embedding_dim=32, kind="transformer", ...), build_model options
    (shared_layers, coupling, coupling_weight, stitch_diagonal) and TrainConfig fields (learning_rate,
    batch_size, sampling, weighting, ...). progress: print one line (time) per trained model.
    relatedness: the toy language's knob (toy tasks only; mtl_helpers.toy), the same for every model.
    Inputs and outputs, the same for every model of a run: chars (a character CNN on every word; case
    kept), word_vectors (word embeddings start from mtl_helpers.embeddings' PPMI-SVD vectors of unlabelled
    English text), crf (a CRF output layer: True = on every tagging task, or a list of task names),
    read_layers ({task: encoder layer its head reads}, e.g. {"pos": 1}), lm_pretraining (epochs of
    language-model pretraining of the shared encoder first; sharing "hard" only), lm_sources (what it reads:
    None = the tasks' train text, or data.load_task's lm_sources such as ("movie_reviews", "brown")),
    lm_outputs (the LM predicts the lm_outputs most frequent words, rarer ones as <unk>: a cheaper softmax;
    None = the whole vocabulary), lm_bidirectional (BiLSTM: the backward half predicts the previous word
    too, so both halves are pretrained; False = the forward half only, as in the benchmarks' table),
    pooling (how classification heads pool a sentence: "mean", "max" or "mean_max"; models.POOLINGS).
    pretrain_on (sequential transfer: a task name, e.g. "review_polarity"; its head joins every model on the
    shared encoder, and the model trains on that task alone first, for up to pretrain_epochs epochs with early
    stopping after one without a better dev score, before it trains on ``tasks``; sharings "none" and "hard".
    Its words outside the tasks' vocabulary read as <unk>).
    monitor (the tasks whose dev score picks the best epoch and stops training, e.g. the one target task of
    a comparison, so that a multi-task model is not stopped because its auxiliary task stopped improving;
    a single-task model of another task monitors itself; None = every task of the model).

    Returns the tidy table with columns COLUMNS: one row per (setting, task, sharing, seed, split, metric);
    ``fraction`` is the row's own task's train fraction, ``train_seconds`` the wall time of training the
    model that produced the row (for "none": that task's single-task model).
    """
    from . import embeddings, models, training

    if isinstance(tasks, str) or not tasks:
        raise ValueError(f"tasks must be a non-empty list of task names, got {tasks!r}; pass e.g. ['pos', 'chunk'].")
    tasks = list(tasks)
    unknown = [t for t in tasks if t not in data.TASK_NAMES]
    if unknown or len(set(tasks)) != len(tasks):
        raise ValueError(f"tasks {tasks} hold unknown or repeated names {unknown or 'repeated'}; "
                         f"use distinct names from: {', '.join(data.TASK_NAMES)}.")
    if isinstance(sharings, str) or not sharings:
        raise ValueError(f"sharings must be a non-empty list, got {sharings!r}; pass e.g. ['none', 'hard'].")
    bad = [s for s in sharings if s not in SHARINGS]
    if bad:
        raise ValueError(f"unknown sharing {bad}; use some of: {', '.join(SHARINGS)}.")
    if len(tasks) < 2 and any(s != "none" for s in sharings):
        raise ValueError(f"multi-task sharing {[s for s in sharings if s != 'none']} needs at least two tasks, "
                         f"got {tasks}; add a task or use sharings=['none'].")
    if read_layers is not None and (unknown := sorted(set(read_layers) - set(tasks))):
        raise ValueError(f"read_layers names {unknown}, which are not among the tasks {tasks}; "
                         "give read layers only for tasks you train, e.g. {'pos': 1}.")
    crf_tasks = set(tasks if crf is True else [] if crf is False else crf)
    if crf_tasks - set(tasks):
        raise ValueError(f"crf names {sorted(crf_tasks - set(tasks))}, which are not among the tasks {tasks}; "
                         "pass crf=True (every tagging task) or a list of tagging tasks you train.")
    if isinstance(lm_pretraining, bool) or not isinstance(lm_pretraining, int) or lm_pretraining < 0:
        raise ValueError(f"lm_pretraining must be a number of epochs >= 0, got {lm_pretraining!r}; pass e.g. 1.")
    if lm_outputs is not None and (isinstance(lm_outputs, bool) or not isinstance(lm_outputs, int)
                                   or lm_outputs < models.LM_MIN_OUTPUTS):
        raise ValueError(f"lm_outputs must be None (whole vocabulary) or an integer >= {models.LM_MIN_OUTPUTS}, "
                         f"got {lm_outputs!r}; pass e.g. lm_outputs=10000.")
    if lm_sources is not None and (isinstance(lm_sources, str) or not lm_sources):
        raise ValueError(f"lm_sources must be None (the tasks' own text) or a non-empty list, got {lm_sources!r}; "
                         "pass e.g. ['movie_reviews', 'brown'].")
    if (lm_sources is not None or lm_outputs is not None or lm_bidirectional) and not lm_pretraining:
        raise ValueError("lm_sources, lm_outputs and lm_bidirectional describe the LM pretraining, but "
                         "lm_pretraining=0; pass lm_pretraining=1 (epochs) or drop them.")
    if lm_pretraining and list(sharings) != ["hard"]:
        raise ValueError(f"lm_pretraining pretrains the shared encoder, so it needs sharings=['hard'] "
                         f"(got {list(sharings)}); run the other sharings in a separate call.")
    if pooling not in models.POOLINGS:
        raise ValueError(f"unknown pooling {pooling!r}; use one of {models.POOLINGS}.")
    _check_pretraining(pretrain_on, pretrain_epochs, tasks, sharings, lm_pretraining)
    if monitor is not None and (isinstance(monitor, str) or not monitor or set(monitor) - set(tasks)):
        raise ValueError(f"monitor must be None or a non-empty list of the tasks {tasks}, got {monitor!r}; "
                         f"pass e.g. monitor=['{tasks[0]}'].")
    seed_list = _check_seeds(seeds)
    settings = _check_fractions(fractions, tasks)
    if epochs is None:
        epochs = config.fast_or(10, 2)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1 or None (default), got {epochs!r}; pass e.g. epochs=3.")
    splits = [split] if isinstance(split, str) else list(split)
    if not splits or any(s not in data.SPLITS for s in splits) or len(set(splits)) != len(splits):
        raise ValueError(f"split must name one or more distinct splits of {', '.join(data.SPLITS)}, got {split!r}; "
                         "pass e.g. 'test' or ('dev', 'test').")
    encoder_kw, build_kw, train_kw = _split_overrides(overrides)
    encoder_kw = {**_fast_encoder(), **encoder_kw}
    train_kw = {"early_stopping_patience": 2 if epochs > 2 else None, "progress": False, **train_kw}
    if any(data.load_task(t, max_sentences=2, toy_size=toy_size or 10).kind == "seq2seq" for t in tasks):
        raise ValueError("seq2seq tasks (toy_translate) need a target vocabulary and are not part of these "
                         "comparisons; drop them from tasks.")

    rows: list[tuple] = []
    for setting, seed in itertools.product(settings, seed_list):
        loaded = {t: data.load_task(t, seed=seed, fraction=setting.get(t, 1.0), max_sentences=max_sentences,
                                    toy_size=toy_size, relatedness=relatedness) for t in tasks}
        vocab = data.Vocabulary.from_tasks(loaded)
        char_vocab = data.CharVocabulary.from_tasks(loaded) if chars else None
        encoder = models.EncoderConfig(vocab_size=len(vocab), char_vocab_size=len(char_vocab) if chars else 0,
                                       **encoder_kw)
        vectors = embeddings.word_vectors(vocab, encoder.embedding_dim) if word_vectors else None
        specs = {t: _head_spec(task, vocab, pooling, read_layer=(read_layers or {}).get(t),
                               crf=t in crf_tasks and task.kind == "tagging") for t, task in loaded.items()}
        lm_heads = [models.TaskSpec("lm", "lm", min(len(vocab), lm_outputs or len(vocab)),
                                    bidirectional=lm_bidirectional)] if lm_pretraining else []
        pre_task = (data.load_task(pretrain_on, seed=seed, max_sentences=max_sentences, toy_size=toy_size)
                    if pretrain_on else None)
        pre_heads = [_head_spec(pre_task, vocab, pooling)] if pre_task else []
        lm_text = ({"text": data.load_task("lm", seed=seed, max_sentences=max_sentences, lm_sources=tuple(lm_sources))}
                   if lm_pretraining and lm_sources else None)
        train_config = training.TrainConfig(epochs=epochs, seed=seed, **train_kw)
        for sharing in sharings:
            groups = [[t] for t in tasks] if sharing == "none" else [tasks]
            for group in groups:
                group_tasks = {t: loaded[t] for t in group}
                if sharing == "none" and not pre_heads:
                    model = models.build_single_task(specs[group[0]], encoder, seed=seed)
                else:  # "none" with pretrain_on: the task's head and the pretraining head on one encoder
                    model = models.build_model([*(specs[t] for t in group), *lm_heads, *pre_heads], encoder,
                                               sharing="hard" if sharing == "none" else sharing, seed=seed,
                                               **build_kw)
                if vectors is not None:
                    embeddings.set_word_vectors(model, *vectors)
                started = time.perf_counter()
                if lm_pretraining:
                    training.pretrain_language_model(model, lm_text or group_tasks, vocab, training.TrainConfig(
                        epochs=lm_pretraining, seed=seed, progress=False,
                        learning_rate=train_config.learning_rate), char_vocab=char_vocab)
                if pre_task is not None:
                    training.train(model, {pretrain_on: pre_task}, vocab, training.TrainConfig(
                        epochs=pretrain_epochs, seed=seed, progress=False, early_stopping_patience=1,
                        learning_rate=train_config.learning_rate), char_vocab=char_vocab)
                watched = tuple(t for t in group if t in (monitor or group)) or None
                training.train(model, group_tasks, vocab, dataclasses.replace(train_config, monitor=watched),
                               char_vocab=char_vocab)
                seconds = time.perf_counter() - started
                label = _setting_label(setting)
                for part in splits:
                    scores = training.evaluate(model, group_tasks, vocab, part, char_vocab=char_vocab)
                    rows += [(label, r.task, sharing, seed, setting.get(r.task, 1.0), part, r.metric, r.value,
                              seconds) for r in scores.itertuples()]
                if progress:
                    print(f"[{label}] seed {seed} {sharing:<12} {'+'.join(group)}: {seconds:.1f} s", flush=True)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _head_spec(task: data.TaskData, vocab: data.Vocabulary, pooling: str, **options: Any) -> TaskSpec:
    """The TaskSpec of ``task``'s head: classification heads pool with ``pooling``, the others average."""
    from . import models

    return models.TaskSpec.from_task(task, vocab, pooling=pooling if task.kind == "classification" else "mean",
                                     **options)


def _check_pretraining(pretrain_on: str | None, pretrain_epochs: int, tasks: Sequence[str], sharings: Sequence[str],
                       lm_pretraining: int) -> None:
    """ValueError naming the fix when run_experiment's pretrain_on / pretrain_epochs cannot work."""
    if isinstance(pretrain_epochs, bool) or not isinstance(pretrain_epochs, int) or pretrain_epochs < 1:
        raise ValueError(f"pretrain_epochs must be an integer >= 1, got {pretrain_epochs!r}; pass e.g. 5.")
    if pretrain_on is None:
        return
    kind = data.load_task(pretrain_on, max_sentences=2, toy_size=10).kind if pretrain_on in data.TASK_NAMES else None
    if kind not in ("classification", "tagging") or pretrain_on in tasks:
        raise ValueError(f"pretrain_on={pretrain_on!r} must be a classification or tagging task that is not among "
                         f"the tasks {list(tasks)}; pass e.g. pretrain_on='review_polarity'.")
    if lm_pretraining:
        raise ValueError("pretrain_on and lm_pretraining both pretrain the encoder; pass one of them.")
    if set(sharings) - {"none", "hard"}:
        raise ValueError(f"pretrain_on trains one shared encoder first, so it needs sharings among ['none', 'hard'] "
                         f"(got {list(sharings)}); run the other sharings in a separate call.")


def _check_table(df: pd.DataFrame) -> None:
    missing = [c for c in ("task", "sharing", "seed", "metric", "value") if c not in df.columns]
    if missing:
        raise ValueError(f"the table lacks columns {missing}; pass the output of run_experiment.")
    if df.empty:
        raise ValueError("the results table is empty; run run_experiment first.")


def _group_keys(df: pd.DataFrame) -> list[str]:
    """(setting,) task, sharing, (split,) metric — setting when the table has that column, split when it
    holds more than one (a run scored on dev and test)."""
    split = ["split"] if "split" in df.columns and df["split"].nunique() > 1 else []
    return [c for c in ("setting",) if c in df.columns] + ["task", "sharing", *split, "metric"]


def summarize(df: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """mean, std, n, ci_low, ci_high (Student t, over seeds) per (setting, task, sharing, metric)."""
    _check_table(df)
    return metrics.summarize_runs(df, _group_keys(df), "value", confidence)


def _main_metrics(tasks: Sequence[str]) -> dict[str, tuple[str, bool]]:
    """Each task's main metric and direction (metrics.main_metric, from its kind and labels)."""
    out = {}
    for t in tasks:
        task = data.load_task(t, max_sentences=50, toy_size=50) if t in data.TASK_NAMES else None
        if task is None:
            raise ValueError(f"unknown task {t!r} in the table; use names from {', '.join(data.TASK_NAMES)}.")
        out[t] = metrics.main_metric(task.kind, task.labels)
    return out


def delta_mtl_table(df: pd.DataFrame, baseline: str = "none") -> pd.DataFrame:
    """Δ_MTL (%) of every sharing against ``baseline`` on each task's main metric.

    Per seed: Δ_MTL over the tasks of (sharing's score vs the baseline's score of the same seed), then
    mean, std, n and 95% CI over seeds. Columns: (setting,) sharing, delta_mtl, std, n, ci_low,
    ci_high, plus one column per task with its main metric's mean for that sharing.
    """
    _check_table(df)
    if "split" in df.columns and df["split"].nunique() > 1:
        raise ValueError(f"the table holds several splits ({sorted(set(df['split']))}); pass one, e.g. "
                         "df[df.split == 'test'].")
    if baseline not in set(df["sharing"]):
        raise ValueError(f"the table has no {baseline!r} runs (sharings: {sorted(set(df['sharing']))}); "
                         f"run with sharing {baseline!r} included to compare against it.")
    main = _main_metrics(sorted(set(df["task"])))
    mask = pd.Series(False, index=df.index)
    for task, (metric, _) in main.items():
        mask |= (df["task"] == task) & (df["metric"] == metric)
    scores = df[mask]
    keys = [c for c in ("setting",) if c in df.columns]
    rows = []
    for key, group in scores.groupby(keys + ["sharing"], sort=False):
        key = key if isinstance(key, tuple) else (key,)
        base_rows = scores[(scores["sharing"] == baseline)]
        for col, value in zip(keys, key):
            base_rows = base_rows[base_rows[col] == value]
        deltas = []
        for seed, runs in group.groupby("seed"):
            base = base_rows[base_rows["seed"] == seed]
            mtl = dict(zip(runs["task"], runs["value"]))
            single = dict(zip(base["task"], base["value"]))
            if set(mtl) != set(single):
                raise ValueError(f"seed {seed}: {key[-1]!r} scored {sorted(mtl)} but {baseline!r} scored "
                                 f"{sorted(single)}; compare runs of the same tasks and seeds.")
            deltas.append(metrics.delta_mtl(mtl, single, {t: main[t][1] for t in mtl}))
        mean, std, low, high = metrics.mean_ci(deltas)
        per_task = group.groupby("task")["value"].mean()
        rows.append({**dict(zip(keys, key[:-1])), "sharing": key[-1], "delta_mtl": mean, "std": std,
                     "n": len(deltas), "ci_low": low, "ci_high": high,
                     **{f"{t} {main[t][0]}": per_task[t] for t in per_task.index}})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------
def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _fraction_arg(text: str) -> tuple[str, list[float]]:
    """'chunk=0.1' or 'chunk=0.1,0.5' → ('chunk', [0.1, 0.5])."""
    task, sep, values = text.partition("=")
    try:
        parsed = [float(v) for v in values.split(",")] if sep else []
    except ValueError:
        parsed = []
    if not task or not parsed:
        raise argparse.ArgumentTypeError(f"--fraction {text!r}: write TASK=FRACTION, e.g. chunk=0.1 "
                                         "(or chunk=0.1,0.5 for several).")
    return task.strip(), parsed


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer >= 1; pass e.g. 3.")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface (also used by the tests)."""
    parser = argparse.ArgumentParser(prog="python -m mtl_helpers.experiments",
                                     description="Single-task vs multi-task sharing over seeds: mean ± 95%% CI "
                                                 "per task and Δ_MTL. MTL_FAST=1 runs a small version.")
    parser.add_argument("--tasks", type=_names, required=True, help="comma-separated, e.g. chunk,pos")
    parser.add_argument("--sharing", type=_names, default=["none", "hard", "soft"],
                        help=f"comma-separated subset of {','.join(SHARINGS)} (default none,hard,soft)")
    parser.add_argument("--seeds", type=_positive_int, default=3, help="number of seeds (default 3)")
    parser.add_argument("--fraction", type=_fraction_arg, action="append", default=[],
                        help="TASK=FRACTION of its training data, repeatable (e.g. chunk=0.1)")
    parser.add_argument("--epochs", type=_positive_int, default=None, help="default 10 (2 in fast mode)")
    parser.add_argument("--max-sentences", type=_positive_int, default=None, help="cap every split (corpora)")
    parser.add_argument("--toy-size", type=_positive_int, default=None, help="toy tasks: sentences in all")
    parser.add_argument("--out", default=None, help="write the tidy table (CSV) here")
    parser.add_argument("--quiet", action="store_true", help="no per-model progress lines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment, print the summary of main metrics and Δ_MTL, optionally write the CSV."""
    parser = build_parser()
    args = parser.parse_args(argv)
    fractions: dict[str, list[float]] = {}
    for task, values in args.fraction:
        if task in fractions:
            parser.error(f"--fraction given twice for {task!r}; write it once, e.g. {task}=0.1,0.5.")
        fractions[task] = values
    try:
        started = time.perf_counter()
        df = run_experiment(args.tasks, args.sharing, args.seeds, fractions, args.epochs,
                            max_sentences=args.max_sentences, toy_size=args.toy_size, progress=not args.quiet)
    except ValueError as error:
        parser.error(str(error))
    print(config.mode_banner())
    main_metric = _main_metrics(args.tasks)
    summary = summarize(df)
    keep = pd.Series(False, index=summary.index)
    for task, (metric, _) in main_metric.items():
        keep |= (summary["task"] == task) & (summary["metric"] == metric)
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.precision", 4):
        print("\nTest scores (main metric per task), mean over seeds with 95% CI:")
        print(summary[keep].to_string(index=False))
        if "none" in args.sharing and len(args.sharing) > 1:
            print("\nΔ_MTL (%) against the single-task models (positive = multi-task helps):")
            print(delta_mtl_table(df).to_string(index=False))
    if args.out:
        df.to_csv(args.out, index=False)
        print(f"\nwrote {len(df)} rows to {args.out}")
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())


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
