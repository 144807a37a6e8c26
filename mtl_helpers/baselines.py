"""Trivial baselines that every results table sets beside its models.

A model's score means little until it is set beside what no learning at all gets: the majority class
of a classification task, and the most frequent tag of each word (the majority tag for words never
seen in training) for a tagging task. A BiLSTM that scores below these has not learned the task yet.
A language model has its own: the uniform model (perplexity = the number of outcomes), and the count-based
unigram and bigram models of :func:`ngram_perplexity`.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

from . import data, metrics

TRIVIAL: tuple[str, ...] = ("majority", "most_frequent_tag")


def majority_class(task: data.TaskData, split: str = "test") -> list:
    """Predict the most frequent training label for every sentence of ``split``."""
    _check(task, split, "classification")
    label = Counter(task.train.labels).most_common(1)[0][0]
    return [label] * len(getattr(task, split).labels)


def most_frequent_tag(task: data.TaskData, split: str = "test") -> list[list[str]]:
    """Tag every word of ``split`` with its most frequent training tag; unseen words get the tag that is
    most frequent overall (the usual first baseline of POS tagging and chunking)."""
    _check(task, split, "tagging")
    counts: dict[str, Counter] = defaultdict(Counter)
    overall: Counter = Counter()
    for tokens, tags in zip(task.train.tokens, task.train.labels):
        for word, tag in zip(tokens, tags):
            counts[word][tag] += 1
            overall[tag] += 1
    fallback = overall.most_common(1)[0][0]
    best = {word: c.most_common(1)[0][0] for word, c in counts.items()}
    return [[best.get(word, fallback) for word in tokens] for tokens in getattr(task, split).tokens]


def score(task: data.TaskData, split: str = "test") -> tuple[str, float]:
    """(baseline name, its score on the task's main metric) for ``split``: majority class for a
    classification task, most frequent tag per word for a tagging task."""
    metric, _ = metrics.main_metric(task.kind, task.labels)
    gold = getattr(task, split).labels
    if task.kind == "classification":
        return "majority", metrics.classification_scores(gold, majority_class(task, split))[metric]
    if task.kind == "tagging":
        predicted = most_frequent_tag(task, split)
        value = (metrics.span_scores(gold, predicted)["f1"] if metric == "f1"
                 else metrics.token_accuracy(gold, predicted))
        return "most_frequent_tag", value
    raise ValueError(f"task {task.name!r} is a {task.kind} task; trivial baselines exist for classification "
                     "and tagging tasks only.")


def _check(task: data.TaskData, split: str, kind: str) -> None:
    if task.kind != kind:
        raise ValueError(f"task {task.name!r} is a {task.kind} task, not {kind}; use "
                         f"{'majority_class' if task.kind == 'classification' else 'most_frequent_tag'} instead.")
    if split not in data.SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(data.SPLITS)}.")
    if not task.train.labels:
        raise ValueError(f"task {task.name!r} has no training sentences; a baseline needs some.")


def table(tasks: Sequence[data.TaskData], split: str = "test") -> list[dict]:
    """One row per task: its trivial baseline's name, metric and score (for a results table)."""
    rows = []
    for task in tasks:
        name, value = score(task, split)
        rows.append({"task": task.name, "baseline": name, "metric": metrics.main_metric(task.kind, task.labels)[0],
                     "value": value})
    return rows


def ngram_perplexity(train: Sequence[Sequence[int]], dev: Sequence[Sequence[int]], num_outcomes: int,
                     order: int = 2) -> float:
    """Dev perplexity of a count-based next-word model over ``num_outcomes`` ids, for sentences of word ids.

    Each sentence is scored as a language model is: every word, then the end id (data.Vocabulary.EOS), each
    given what came before (the start id, data.Vocabulary.BOS, first). order=1: the unigram model, counts + 1
    (add-one); order=2: the bigram model, Witten-Bell interpolated with that unigram (a context seen c times,
    followed by t different ids, trusts its own counts with weight c / (c + t)). Nothing is tuned on dev.
    """
    if order not in (1, 2):
        raise ValueError(f"order must be 1 (unigram) or 2 (bigram), got {order!r}.")
    if not train or not dev:
        raise ValueError("ngram_perplexity needs training and dev sentences; pass lists of id lists.")
    bos, eos = data.Vocabulary.BOS, data.Vocabulary.EOS

    def pairs(sentences: Sequence[Sequence[int]]) -> list[tuple[int, int]]:
        found = [(prev, word) for s in sentences for prev, word in zip([bos, *s], [*s, eos])]
        if any(not 0 <= w < num_outcomes for _, w in found):
            raise ValueError(f"an id lies outside 0..{num_outcomes - 1}; map rarer ids to <unk> first.")
        return found

    counts, follows = Counter(w for _, w in pairs(train)), Counter(pairs(train))
    total = sum(counts.values())
    context, types = Counter(), Counter()
    for (prev, _), c in follows.items():
        context[prev] += c
        types[prev] += 1
    nll, n = 0.0, 0
    for prev, word in pairs(dev):
        p = (counts[word] + 1.0) / (total + num_outcomes)
        if order == 2 and context[prev]:
            trust = context[prev] / (context[prev] + types[prev])
            p = trust * follows[(prev, word)] / context[prev] + (1.0 - trust) * p
        nll, n = nll - math.log(p), n + 1
    return math.exp(nll / n)
