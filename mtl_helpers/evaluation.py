"""Evaluation and prediction: every task's scores on a split, and predictions for new sentences.

Tasks that label the same sentences run in one forward pass. Tagging decodes by Viterbi when the head is a
CRF or the tag set is BIO; seq2seq decodes greedily; a language model is scored by its perplexity.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from . import crf, data, metrics, models
from .compiled import _cached, _spec_of
from .losses import lm_targets
from .sampling import _joint_groups

if TYPE_CHECKING:
    from .models import MultiTaskModel


def _check_tasks(model: MultiTaskModel, tasks: Mapping[str, data.TaskData]) -> None:
    if not tasks:
        raise ValueError("no tasks given; pass a dict {head name: TaskData}, e.g. data.load_tasks(['toy_topic']).")
    unknown = [t for t in tasks if t not in model.task_names]
    if unknown:
        raise ValueError(f"tasks {unknown} are not heads of this model (it has {list(model.task_names)}); "
                         "build the model with a TaskSpec for each task you train.")



def _extra_inputs(target_vocab: data.Vocabulary | None, char_vocab: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if target_vocab is not None:
        extra["target_vocab"] = target_vocab
    if char_vocab is not None:
        extra["char_vocab"] = char_vocab
    return extra



def _logits_fn(model: MultiTaskModel, heads: tuple[str, ...], spec: Any) -> Callable:
    """Compiled forward pass giving the logits of ``heads`` (shared layers run once); cached on the model."""
    def make() -> Callable:
        return tf.function(lambda inputs: model.tasks_call(inputs, list(heads), training=False),
                           input_signature=[spec], autograph=False)
    return _cached(model, ("logits", heads, repr(spec)), make)


def _greedy_decode(model: MultiTaskModel, task: str, inputs: dict, max_length: int) -> np.ndarray:
    """Greedy seq2seq decoding: feed [BOS], append the argmax word until EOS (or max_length)."""
    fn = _logits_fn(model, (task,), _spec_of({**inputs, "decoder_tokens": inputs["tokens"]}))
    batch = int(inputs["tokens"].shape[0])
    decoded = np.full((batch, 1), data.Vocabulary.BOS, dtype=np.int32)
    finished = np.zeros(batch, dtype=bool)
    for _ in range(max_length):
        logits = fn({**inputs, "decoder_tokens": tf.constant(decoded)})[0].numpy()
        nxt = np.where(finished, data.Vocabulary.PAD, logits[:, -1].argmax(-1)).astype(np.int32)
        decoded = np.concatenate([decoded, nxt[:, None]], axis=1)
        finished |= nxt == data.Vocabulary.EOS
        if finished.all():
            break
    return decoded[:, 1:]


def _until_eos(ids: np.ndarray) -> list[int]:
    out = []
    for i in ids:
        if i in (data.Vocabulary.EOS, data.Vocabulary.PAD):
            break
        out.append(int(i))
    return out


def _decoder(model: MultiTaskModel, head: str, task: data.TaskData, bio_constraints: bool) -> dict[str, Any] | None:
    """How a tagging head turns logits into tags: None = per-token argmax; otherwise Viterbi arguments
    (a CRF head's learned transitions; BIO constraints for a BIO tag set when ``bio_constraints``)."""
    if task.kind != "tagging":
        return None
    layer = model.task_heads[model.task_names.index(head)]
    decoder: dict[str, Any] = {"crf": bool(getattr(layer, "crf", False))}
    if decoder["crf"]:
        decoder.update(transitions=models.variable_numpy(layer.transitions),
                       start=models.variable_numpy(layer.start), end=models.variable_numpy(layer.end))
    if bio_constraints and crf.is_bio(task.labels):
        decoder["allowed"] = crf.bio_allowed(task.labels)
    return decoder if len(decoder) > 1 else None


def _run_split(model: MultiTaskModel, heads: tuple[str, ...], tasks: list[data.TaskData], vocab: data.Vocabulary,
               split: str, extra: Mapping[str, Any], batch_size: int = 64,
               bio_constraints: bool = True) -> list[dict[str, Any]]:
    """Per task: predictions of one split in its original order (+ summed nll and token count for lm).
    Several ``tasks`` must label the same sentences; one forward pass then serves all their heads."""
    batches = data.Batches(tasks[0] if len(tasks) == 1 else tasks, vocab, split, batch_size=batch_size,
                           bucket=False, **extra)
    fn = _logits_fn(model, heads, _spec_of(batches.signature()[0]))
    runs = [{"predictions": [], "nll": 0.0, "count": 0.0,
             "decoder": _decoder(model, head, task, bio_constraints)} for head, task in zip(heads, tasks)]
    for inputs, targets, weights in batches.epoch(shuffle=False):
        if tasks[0].kind == "seq2seq":
            source = {k: v for k, v in inputs.items() if k != "decoder_tokens"}
            limit = min(2 * int(inputs["tokens"].shape[1]) + 5, 200)
            target_vocab = extra["target_vocab"]
            runs[0]["predictions"] += [target_vocab.decode(_until_eos(row))
                                       for row in _greedy_decode(model, heads[0], source, limit)]
            continue
        if len(tasks) == 1:
            targets, weights = (targets,), (weights,)
        for task, run, logits, target, weight in zip(tasks, runs, fn(inputs), targets, weights):
            _collect(task, split, vocab, run, logits, target, weight)
    return runs


def _collect(task: data.TaskData, split: str, vocab: data.Vocabulary, run: dict[str, Any], logits: tf.Tensor,
             targets: np.ndarray, weights: np.ndarray) -> None:
    """Add one batch's predictions (and lm likelihood) to ``run``."""
    preds = run["predictions"]
    if task.kind == "lm" and len(logits.shape) == 4:  # bidirectional head [B, L, 2, V]: the next-word direction
        logits = logits[:, :, 0]
    best = tf.argmax(logits, axis=-1).numpy()
    if task.kind == "classification":
        preds += [task.labels[int(i)] for i in best]
    elif task.kind == "tagging":
        sentences, start = task.split(split).tokens, len(preds)
        decoder = run["decoder"]
        if decoder is not None:
            lengths = [max(1, min(len(sentences[start + k]), best.shape[1])) for k in range(len(best))]
            emissions = logits if decoder["crf"] else tf.nn.log_softmax(logits, axis=-1)
            best = crf.viterbi(emissions.numpy(), lengths,
                               **{k: v for k, v in decoder.items() if k != "crf"})
        preds += [[task.labels[int(i)] for i in row[:len(sentences[start + k])]] for k, row in enumerate(best)]
    else:  # lm: next-word predictions and the likelihood of the real next words (forward direction)
        targets = lm_targets(tf.constant(targets), int(logits.shape[-1]))
        ce = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
        run["nll"] += float(tf.reduce_sum(ce * weights))
        run["count"] += float(np.sum(weights))
        lengths = weights.sum(axis=1).astype(int)
        preds += [vocab.decode(row[:n]) for row, n in zip(best, lengths)]


def _scores(task: data.TaskData, split: str, run: dict[str, Any], target_vocab: data.Vocabulary | None) -> dict:
    gold, preds = task.split(split).labels, run["predictions"]
    if task.kind == "classification":
        return metrics.classification_scores(gold, preds)
    if task.kind == "tagging":
        scores = {"accuracy": metrics.token_accuracy(gold, preds)}
        if any(str(label).startswith("B-") for label in task.labels):
            spans = metrics.span_scores(gold, preds)
            scores.update({k: spans[k] for k in ("precision", "recall", "f1")})
        return scores
    if task.kind == "lm":
        mean_nll = run["nll"] / max(run["count"], 1.0)
        return {"nll": mean_nll, "perplexity": metrics.perplexity(mean_nll)}
    lower = getattr(target_vocab, "lowercase", False)
    refs = [[w.lower() for w in ref] if lower else list(ref) for ref in gold]
    return {"bleu": metrics.bleu(refs, preds), "exact_match": metrics.exact_match(refs, preds)}


def evaluate(model: MultiTaskModel, tasks: Mapping[str, data.TaskData], vocab: data.Vocabulary,
             split: str = "test", target_vocab: data.Vocabulary | None = None, *,
             char_vocab: Any = None, bio_constraints: bool = True) -> pd.DataFrame:
    """Scores of every task on ``split`` as a tidy frame: task, split, metric, value.

    classification: accuracy, precision/recall/f1 macro and micro; tagging: token accuracy (+ span
    precision/recall/f1 for BIO tag sets); lm: nll and perplexity; seq2seq: greedy decoding, bleu and
    exact_match. Padding never counts. Tagging decodes by Viterbi when the head is a CRF or the tag set is
    BIO (``bio_constraints=False``: plain per-token argmax for softmax heads, which may write O I-X).
    """
    _check_tasks(model, tasks)
    if split not in data.SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(data.SPLITS)}.")
    if any(t.kind == "seq2seq" for t in tasks.values()) and target_vocab is None:
        raise ValueError("a seq2seq task needs target_vocab; pass target_vocab=Vocabulary.build(task.train.labels).")
    extra = _extra_inputs(target_vocab, char_vocab)
    runs: dict[str, dict[str, Any]] = {}
    for group in _joint_groups(tasks, split):  # tasks on the same sentences: one forward pass
        runs.update(zip(group, _run_split(model, group, [tasks[n] for n in group], vocab, split, extra,
                                          bio_constraints=bio_constraints)))
    rows = []
    for name, task in tasks.items():
        rows += [(name, split, metric, float(value))
                 for metric, value in _scores(task, split, runs[name], target_vocab).items()]
    return pd.DataFrame(rows, columns=["task", "split", "metric", "value"])


def predict(model: MultiTaskModel, task: data.TaskData | str, sentences: Sequence[Sequence[str] | str],
            vocab: data.Vocabulary, *, target_vocab: data.Vocabulary | None = None, char_vocab: Any = None,
            bio_constraints: bool = True) -> list:
    """Predictions for new sentences as strings: a label per sentence (classification), a tag per token
    (tagging; decoded as in :func:`evaluate`), the predicted next word at each position (lm) or the greedy
    translation (seq2seq).

    ``task``: the TaskData (for its label inventory) or a task name (then loaded with data.load_task).
    Sentences may be token lists or strings (split on whitespace).
    """
    task = data.load_task(task) if isinstance(task, str) else task
    _check_tasks(model, {task.name: task})
    if task.kind == "seq2seq" and target_vocab is None:
        raise ValueError("a seq2seq task needs target_vocab; pass target_vocab=Vocabulary.build(task.train.labels).")
    tokens = [s.split() if isinstance(s, str) else list(s) for s in sentences]
    if not tokens or any(len(s) == 0 for s in tokens):
        raise ValueError("predict needs at least one non-empty sentence; pass e.g. [['a', 'good', 'film']].")
    dummy = {"classification": [task.labels[0] if task.labels else ""] * len(tokens),
             "tagging": [[task.labels[0] if task.labels else ""] * len(s) for s in tokens],
             "lm": [], "seq2seq": [[] for _ in tokens]}[task.kind]
    probe = dataclasses.replace(task, test=data.Split(tokens=tokens, labels=dummy))
    return _run_split(model, (task.name,), [probe], vocab, "test", _extra_inputs(target_vocab, char_vocab),
                      bio_constraints=bio_constraints)[0]["predictions"]
