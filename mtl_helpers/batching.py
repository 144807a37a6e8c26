"""Encoding and batching: a task's split as id arrays, and length-bucketed batches of one task or of several
tasks that label the same sentences (numpy for the trainer, ``tf.data`` for ``fit``)."""
from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import TYPE_CHECKING

import numpy as np

from mtl_helpers.tasks import TaskData, check_split
from mtl_helpers.vocabulary import CharVocabulary, Vocabulary

if TYPE_CHECKING:
    import tensorflow as tf

BUCKET_WINDOW_BATCHES: int = 50  # length bucketing sorts within windows of this many batches


@dataclass
class EncodedSplit:
    """A split as id arrays (one array per sentence, ragged): what :func:`make_dataset` batches.

    classification: ``targets`` is an int32 array [N]; tagging/lm: one int32 array per sentence, as long
    as its ``token_ids``; seq2seq: ``decoder_ids`` = [BOS]+target, ``targets`` = target+[EOS].
    ``chars``: one int32 array [len, W] per sentence when a CharVocabulary was given.
    """

    token_ids: list[np.ndarray]
    targets: list[np.ndarray] | np.ndarray
    decoder_ids: list[np.ndarray] | None = None
    chars: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.token_ids)

    @property
    def lengths(self) -> np.ndarray:
        """Encoder input length of every sentence."""
        return np.array([len(t) for t in self.token_ids], dtype=np.int64)


def encode_task(task: TaskData, vocab: Vocabulary, split: str, *, target_vocab: Vocabulary | None = None,
                char_vocab: CharVocabulary | None = None) -> EncodedSplit:
    """Ids of one split. lm: input = [BOS]+ids, target = ids+[EOS] (the next word at every position);
    seq2seq: decoder input = [BOS]+target ids, decoder target = target ids+[EOS] (needs target_vocab)."""
    data = task.split(split)
    check_split(task, split)
    ids = [np.asarray(vocab.encode(s), dtype=np.int32) for s in data.tokens]
    chars = [char_vocab.encode(s) for s in data.tokens] if char_vocab is not None else None
    index = {label: i for i, label in enumerate(task.labels)}

    def label_id(label: str) -> int:
        if label not in index:
            raise ValueError(f"task {task.name!r}: label {label!r} is not in its inventory {task.labels[:10]}...; "
                             "add it to task.labels.")
        return index[label]

    if task.kind == "classification":
        return EncodedSplit(ids, np.array([label_id(c) for c in data.labels], dtype=np.int32), chars=chars)
    if task.kind == "tagging":
        return EncodedSplit(ids, [np.array([label_id(t) for t in tags], dtype=np.int32) for tags in data.labels],
                            chars=chars)
    bos, eos = np.array([Vocabulary.BOS], np.int32), np.array([Vocabulary.EOS], np.int32)
    if task.kind == "lm":
        if chars is not None:
            chars = [np.concatenate([np.zeros((1, char_vocab.max_word_length), np.int32), c]) for c in chars]
        return EncodedSplit([np.concatenate([bos, i]) for i in ids], [np.concatenate([i, eos]) for i in ids],
                            chars=chars)
    if target_vocab is None:
        raise ValueError(f"task {task.name!r} is seq2seq: pass target_vocab=Vocabulary.build(task.train.labels).")
    tgt = [np.asarray(target_vocab.encode(s), dtype=np.int32) for s in data.labels]
    return EncodedSplit(ids, [np.concatenate([t, eos]) for t in tgt],
                        decoder_ids=[np.concatenate([bos, t]) for t in tgt], chars=chars)


def _batch_plan(lengths: np.ndarray, batch_size: int, *, bucket: bool, shuffle: bool,
                rng: np.random.Generator, drop_remainder: bool = False) -> list[np.ndarray]:
    """Indices of every batch. Bucketing: sort by length within windows of BUCKET_WINDOW_BATCHES batches,
    cut into batches, then (when shuffling) shuffle the batches' order."""
    n = len(lengths)
    order = rng.permutation(n) if shuffle else np.arange(n)
    if bucket:
        window = batch_size * BUCKET_WINDOW_BATCHES
        order = np.concatenate([w[np.argsort(lengths[w], kind="stable")]
                                for w in np.array_split(order, max(1, math.ceil(n / window)))])
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    if drop_remainder and batches and len(batches[-1]) < batch_size:
        batches.pop()
    if bucket and shuffle:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def _check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}; pass e.g. batch_size=32.")


def padding_waste(lengths: Sequence[int], batch_size: int, bucket: bool, seed: int = 0) -> float:
    """Fraction (0..1) of the positions of padded training batches that are padding, when ``lengths`` are
    batched as make_dataset does for train (shuffled; with or without length bucketing)."""
    _check_batch_size(batch_size)
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size == 0:
        raise ValueError("padding_waste needs at least one length; pass the sentence lengths of a split.")
    batches = _batch_plan(lengths, batch_size, bucket=bucket, shuffle=True, rng=np.random.default_rng(seed))
    real = int(lengths.sum())
    padded = sum(int(lengths[b].max()) * len(b) for b in batches)
    return 1.0 - real / padded if padded else 0.0


def _pad(arrays: list[np.ndarray]) -> np.ndarray:
    """Stack 1-D or 2-D int arrays, zero-padded along the first axis."""
    width = max(len(a) for a in arrays)
    out = np.zeros((len(arrays), width) + arrays[0].shape[1:], dtype=np.int32)
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
    return out


def same_sentences(tasks: Sequence[TaskData], split: str = "train") -> bool:
    """True when the tasks label the very same sentences of ``split`` (e.g. pos and chunk, or the toy
    tasks), so one batch of inputs can feed all their heads; only tagging/classification tasks qualify."""
    first = tasks[0].split(split).tokens
    return all(t.kind in ("tagging", "classification") for t in tasks) and all(
        t.split(split).tokens is first or t.split(split).tokens == first for t in tasks[1:])


class Batches:
    """A split (of one task, or of several tasks on the same sentences) encoded once and cut into padded
    numpy batches ``(inputs, targets, sample_weight)``, one seeded epoch at a time.

    :func:`make_dataset` wraps it in a ``tf.data.Dataset``; the trainer iterates it directly (a Python
    generator behind ``tf.data`` costs milliseconds per batch, a step of a small model about as much).
    """

    def __init__(self, task: TaskData | Sequence[TaskData], vocab: Vocabulary, split: str = "train", *,
                 batch_size: int = 32, bucket: bool = True, target_vocab: Vocabulary | None = None,
                 drop_remainder: bool = False, char_vocab: CharVocabulary | None = None):
        _check_batch_size(batch_size)
        self.joint = not isinstance(task, TaskData)
        if self.joint:
            tasks = list(task)
            if not tasks or not all(isinstance(t, TaskData) for t in tasks):
                raise ValueError("make_dataset takes one TaskData or a non-empty list of them; got "
                                 f"{type(task).__name__}.")
            if not same_sentences(tasks, split):
                raise ValueError(f"tasks {[t.name for t in tasks]} do not label the same {split} sentences (or are "
                                 "not tagging/classification tasks); make one dataset per task instead.")
        else:
            tasks = [task]
        self.tasks, self.split, self.batch_size, self.bucket = tasks, split, batch_size, bucket
        self.drop_remainder, self.char_vocab = drop_remainder, char_vocab
        self.encodings = [encode_task(t, vocab, split, target_vocab=target_vocab, char_vocab=char_vocab)
                          for t in tasks]
        encoded, name = self.encodings[0], tasks[0].name
        if len(encoded) == 0:
            raise ValueError(f"split {split!r} of task {name!r} is empty; load more data "
                             "(larger max_sentences / fraction) or pick another split.")
        if drop_remainder and len(encoded) < batch_size:
            raise ValueError(f"split {split!r} of task {name!r} has {len(encoded)} sentences, fewer than "
                             f"batch_size={batch_size} with drop_remainder=True; use a smaller batch_size.")
        self.lengths = encoded.lengths

    def __len__(self) -> int:
        """Batches per epoch."""
        return len(_batch_plan(self.lengths, self.batch_size, bucket=self.bucket, shuffle=False,
                               rng=np.random.default_rng(0), drop_remainder=self.drop_remainder))

    def _labels(self, t: TaskData, enc: EncodedSplit, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if t.kind == "classification":
            return enc.targets[idx].astype(np.int32), np.ones(len(idx), dtype=np.float32)
        return (_pad([enc.targets[i] for i in idx]),
                _pad([np.ones(len(enc.targets[i]), np.int32) for i in idx]).astype(np.float32))

    def epoch(self, seed: int = 0, epoch: int = 0, shuffle: bool | None = None) -> Iterator[tuple]:
        """The batches of one pass; the order is seeded by (seed, epoch). shuffle defaults to True for train."""
        shuffle = (self.split == "train") if shuffle is None else bool(shuffle)
        encoded = self.encodings[0]
        rng = np.random.default_rng([seed, epoch])
        for idx in _batch_plan(self.lengths, self.batch_size, bucket=self.bucket, shuffle=shuffle, rng=rng,
                               drop_remainder=self.drop_remainder):
            inputs = {"tokens": _pad([encoded.token_ids[i] for i in idx])}
            if encoded.decoder_ids is not None:
                inputs["decoder_tokens"] = _pad([encoded.decoder_ids[i] for i in idx])
            if encoded.chars is not None:
                inputs["chars"] = _pad([encoded.chars[i] for i in idx])
            if self.joint:
                targets, weights = zip(*(self._labels(t, enc, idx) for t, enc in zip(self.tasks, self.encodings)))
                yield inputs, tuple(targets), tuple(weights)
            else:
                yield (inputs, *self._labels(self.tasks[0], encoded, idx))

    def signature(self) -> tuple:
        """``tf.TensorSpec`` structure of one batch (batch and length dimensions unknown)."""
        import tensorflow as tf

        matrix = tf.TensorSpec([None, None], tf.int32)
        encoded = self.encodings[0]
        input_spec = {"tokens": matrix}
        if encoded.decoder_ids is not None:
            input_spec["decoder_tokens"] = matrix
        if encoded.chars is not None:
            input_spec["chars"] = tf.TensorSpec([None, None, self.char_vocab.max_word_length], tf.int32)

        def label_spec(t: TaskData) -> tuple:
            shape = [None] if t.kind == "classification" else [None, None]
            return tf.TensorSpec(shape, tf.int32), tf.TensorSpec(shape, tf.float32)

        if self.joint:
            target_specs, weight_specs = zip(*(label_spec(t) for t in self.tasks))
            return input_spec, tuple(target_specs), tuple(weight_specs)
        return (input_spec, *label_spec(self.tasks[0]))


def make_dataset(task: TaskData | Sequence[TaskData], vocab: Vocabulary, split: str = "train", *,
                 batch_size: int = 32, shuffle: bool | None = None, seed: int = 0, bucket: bool = True,
                 repeat: bool = False, target_vocab: Vocabulary | None = None, drop_remainder: bool = False,
                 char_vocab: CharVocabulary | None = None) -> tf.data.Dataset:
    """Padded batches ``(inputs, targets, sample_weight)`` of one split (see SPEC for shapes).

    inputs["tokens"] int32 [B, L] (0 = PAD, mask = tokens != 0); seq2seq adds inputs["decoder_tokens"];
    with ``char_vocab`` inputs["chars"] int32 [B, L, W] (W = char_vocab.max_word_length).
    shuffle defaults to True for train. Every pass over the data (epoch) gets a new seeded order.
    bucket=True groups sentences of similar length (much less padding) and so CHANGES THE ORDER of
    sentences even without shuffling: pass bucket=False, shuffle=False to keep the split's order, e.g.
    to line predictions up with ``task.dev.labels``.

    A list of tasks that label the same sentences (:func:`same_sentences`, e.g. [pos, chunk]) gives joint
    batches ``(inputs, (targets per task), (sample_weight per task))``: one encoder pass serves every head.
    """
    import tensorflow as tf

    batches = Batches(task, vocab, split, batch_size=batch_size, bucket=bucket, target_vocab=target_vocab,
                      drop_remainder=drop_remainder, char_vocab=char_vocab)
    epochs = iter(range(sys.maxsize))
    ds = tf.data.Dataset.from_generator(lambda: batches.epoch(seed, next(epochs), shuffle),
                                        output_signature=batches.signature())
    ds = ds.apply(tf.data.experimental.assert_cardinality(len(batches)))
    if repeat:
        ds = ds.repeat()
    return ds.prefetch(tf.data.AUTOTUNE)
