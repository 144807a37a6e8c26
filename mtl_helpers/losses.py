"""The per-head losses the trainer minimises: token cross-entropy, a CRF head's sentence −log p(tags | x), and
the next-word cross-entropy of a language-model head (both directions for a bidirectional one).

Every loss comes as (Σ loss · weight, Σ weight) over the real (non-padding) positions, so the trainer can
divide by the token count of the global batch (summed over replicas).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import keras
import tensorflow as tf

from . import crf, data

if TYPE_CHECKING:
    from .models import MultiTaskModel


def _weighted_sums(logits: tf.Tensor, targets: tf.Tensor, weights: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    ce = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    weights = tf.cast(weights, ce.dtype)
    return tf.reduce_sum(ce * weights), tf.reduce_sum(weights)


def lm_targets(targets: Any, num_outputs: int) -> Any:
    """Next-word ids for an lm head with ``num_outputs`` outputs: ids it cannot predict (rarer words than
    its top ``num_outputs``; the vocabulary is ordered by frequency) become <unk>."""
    return tf.where(targets >= num_outputs, tf.cast(data.Vocabulary.OOV, targets.dtype), targets)


def _previous_words(targets: tf.Tensor, weights: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Targets and weights of the backward LM from the forward ones. Input x = <s> w_1..w_n and forward
    target y = w_1..w_n </s>, so the word before position t is x_{t-1}: <s> at t = 1, y_{t-2} from t = 2 on;
    position 0 (<s>) has no previous word and weight 0."""
    first = tf.zeros_like(targets[:, :1])
    previous = tf.concat([first, first + data.Vocabulary.BOS, targets[:, :-2]], axis=1)[:, : tf.shape(targets)[1]]
    return previous, tf.concat([tf.zeros_like(weights[:, :1]), weights[:, 1:]], axis=1)


def _head_sums(model: MultiTaskModel, task: str, logits: tf.Tensor, targets: tf.Tensor,
               weights: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(Σ loss · weight, Σ weight) of one head: token cross-entropy, or for a CRF head the sentence-level
    −log p(tags | x), weighted by the sentence's first-token weight. Both are divided by the same token
    count, so a CRF loss reads as "per token" too. A bidirectional lm head adds the previous-word
    cross-entropy of its backward half (the loss is then the mean over both directions' predictions)."""
    head = model.task_heads[model.task_names.index(task)]
    if model.specs[task].kind == "lm":
        targets = lm_targets(targets, head.num_outputs)
        if not getattr(head, "bidirectional", False):
            return _weighted_sums(logits, targets, weights)
        previous, previous_weights = _previous_words(targets, weights)
        # one cross-entropy over [B, L, 2, V]: slicing each direction out first copies the logits twice
        return _weighted_sums(logits, tf.stack([targets, previous], axis=2),
                              tf.stack([weights, tf.cast(previous_weights, weights.dtype)], axis=2))
    if not getattr(head, "crf", False):
        return _weighted_sums(logits, targets, weights)
    weights = tf.cast(weights, logits.dtype)
    nll = crf.sequence_nll(logits, targets, weights > 0, head.transitions, head.start, head.end)
    return tf.reduce_sum(nll * weights[:, 0]), tf.reduce_sum(weights)


def _loss_sums(model: MultiTaskModel, task: str, batch: tuple, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
    """(Σ loss · sample_weight, Σ sample_weight) of one batch for one head."""
    inputs, targets, weights = batch
    return _head_sums(model, task, model.task_call(inputs, task, training=training), targets, weights)


def _joint_loss_sums(model: MultiTaskModel, tasks: Sequence[str], batch: tuple, training: bool) -> list[tuple]:
    """_loss_sums of several heads on one joint batch (same sentences): shared layers run once."""
    inputs, targets, weights = batch
    logits = model.tasks_call(inputs, tasks, training=training)
    return [_head_sums(model, *args) for args in zip(tasks, logits, targets, weights)]
