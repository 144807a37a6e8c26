"""Trivial baselines that every results table sets beside its models.

A model's score means little until it is set beside what no learning at all gets: the majority class
of a classification task, and the most frequent tag of each word (the majority tag for words never
seen in training) for a tagging task. A BiLSTM that scores below these has not learned the task yet.
"""
from __future__ import annotations

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
