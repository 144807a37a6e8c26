"""Linear-chain CRF for tagging heads: the sentence-level likelihood, Viterbi decoding, BIO constraints.

A softmax tagger picks every tag on its own, so nothing stops it from writing ``O I-PER`` (a name that
starts in its middle) or ``B-PER I-LOC``. A linear-chain CRF (Lafferty, McCallum & Pereira 2001; on
BiLSTM features: Huang, Xu & Yu 2015, Lample et al. 2016) scores a whole tag sequence y of a sentence x:

    s(x, y) = start[y_1] + Σ_t E[t, y_t] + Σ_{t>1} T[y_{t-1}, y_t] + end[y_n]

E are the head's per-token scores ("emissions", the logits a softmax tagger would use), T is a learned
C × C matrix of tag-to-tag transition scores. Training maximises log p(y | x) = s(x, y) − log Σ_y' exp s(x, y');
the forward algorithm sums over all C^n sequences in O(n·C²). Prediction is argmax_y s(x, y) by Viterbi.

For BIO tag sets :func:`bio_allowed` lists the transitions that cannot occur. Decoding forbids them for
every BIO tagger, CRF or not (a softmax tagger then decodes with zero transitions over its log-probabilities),
so every predicted span is well formed.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

#: Score given to forbidden transitions at decoding time (finite, so a sentence always has a path).
FORBIDDEN = -1e4


def sequence_nll(emissions: tf.Tensor, tags: tf.Tensor, mask: tf.Tensor, transitions: tf.Tensor,
                 start: tf.Tensor, end: tf.Tensor) -> tf.Tensor:
    """−log p(tags | x) per sentence, shape [B].

    emissions [B, L, C] float, tags [B, L] int, mask [B, L] (true/non-zero on real tokens; padding only at
    the end of a row, every row at least one token), transitions [C, C] (from, to), start and end [C].
    """
    emissions = tf.convert_to_tensor(emissions)
    dtype = emissions.dtype
    tags = tf.cast(tags, tf.int32)
    real = tf.cast(mask, tf.bool)
    weight = tf.cast(real, dtype)
    transitions, start, end = (tf.cast(v, dtype) for v in (transitions, start, end))
    # score of the gold path
    gold = tf.reduce_sum(tf.gather(emissions, tags, batch_dims=2) * weight, axis=1)
    pairs = tf.stack([tags[:, :-1], tags[:, 1:]], axis=-1)
    gold += tf.reduce_sum(tf.gather_nd(transitions, pairs) * weight[:, 1:], axis=1)
    lengths = tf.reduce_sum(tf.cast(real, tf.int32), axis=1)
    last = tf.gather(tags, tf.maximum(lengths - 1, 0), batch_dims=1)
    gold += tf.gather(start, tags[:, 0]) + tf.gather(end, last)

    # log Σ over all paths: the forward algorithm, one step per position (padding keeps alpha unchanged)
    def step(alpha: tf.Tensor, inputs: tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
        emit, is_real = inputs  # [B, C], [B]
        moved = tf.reduce_logsumexp(alpha[:, :, None] + transitions[None], axis=1) + emit
        return tf.where(is_real[:, None], moved, alpha)

    alpha = start[None, :] + emissions[:, 0]
    alpha = tf.foldl(step, (tf.transpose(emissions[:, 1:], [1, 0, 2]), tf.transpose(real[:, 1:])),
                     initializer=alpha)
    return tf.reduce_logsumexp(alpha + end[None, :], axis=1) - gold


def bio_allowed(labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(allowed [C, C] from → to, allowed_start [C]) for a BIO tag set: I-X only after B-X or I-X.

    Tags that are not I-X (B-X, O, anything else) may follow any tag and may start a sentence.
    """
    labels = [str(label) for label in labels]
    allowed = np.ones((len(labels), len(labels)), bool)
    allowed_start = np.ones(len(labels), bool)
    for j, tag in enumerate(labels):
        if tag.startswith("I-"):
            kind = tag[2:]
            allowed[:, j] = [prev in (f"B-{kind}", f"I-{kind}") for prev in labels]
            allowed_start[j] = False
    return allowed, allowed_start


def is_bio(labels: Sequence[str]) -> bool:
    """True for a BIO (IOB2) tag set: some B-X tag, and every I-X has its B-X."""
    labels = {str(label) for label in labels}
    inside = {label[2:] for label in labels if label.startswith("I-")}
    return any(label.startswith("B-") for label in labels) and all(f"B-{kind}" in labels for kind in inside)


def viterbi(emissions: np.ndarray, lengths: Sequence[int], transitions: np.ndarray | None = None,
            start: np.ndarray | None = None, end: np.ndarray | None = None,
            allowed: tuple[np.ndarray, np.ndarray] | None = None) -> list[np.ndarray]:
    """The best tag sequence of every sentence, argmax_y s(x, y), as a list of int arrays (one per length).

    emissions [B, L, C]; transitions/start/end default to zeros (then, without ``allowed``, this is the
    per-token argmax); ``allowed`` = bio_allowed(labels) scores forbidden moves FORBIDDEN.
    """
    emissions = np.asarray(emissions, np.float64)
    batch, length, classes = emissions.shape
    lengths = np.asarray(lengths, int)
    if lengths.shape != (batch,) or np.any(lengths < 1) or np.any(lengths > length):
        raise ValueError(f"lengths must give 1..{length} tokens for each of the {batch} sentences, got {lengths}.")
    trans = np.zeros((classes, classes)) if transitions is None else np.asarray(transitions, np.float64).copy()
    first = np.zeros(classes) if start is None else np.asarray(start, np.float64).copy()
    final = np.zeros(classes) if end is None else np.asarray(end, np.float64)
    if allowed is not None:
        trans[~allowed[0]] += FORBIDDEN
        first[~allowed[1]] += FORBIDDEN
    score = first[None, :] + emissions[:, 0]
    back = np.zeros((batch, length, classes), int)
    for t in range(1, length):
        candidates = score[:, :, None] + trans[None]  # [B, from, to]
        back[:, t] = candidates.argmax(axis=1)
        moved = candidates.max(axis=1) + emissions[:, t]
        score = np.where((t < lengths)[:, None], moved, score)
    paths = []
    for b in range(batch):
        n = lengths[b]
        tag = int(np.argmax(score[b] + final))
        path = [tag]
        for t in range(n - 1, 0, -1):
            tag = int(back[b, t, tag])
            path.append(tag)
        paths.append(np.array(path[::-1]))
    return paths
