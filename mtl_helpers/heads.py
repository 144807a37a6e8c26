"""Task heads: what turns encoder states into one task's logits (all heads return LOGITS).

Every head has the same call, ``head(states, padding_mask, decoder_tokens=None, training=False)``, so the
model treats them alike; :func:`build_head` picks the head of a :class:`~mtl_helpers.specs.TaskSpec`.
"""
from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf
from keras import ops

from mtl_helpers.layers import fused_lstm, masked_max, masked_mean, serializable
from mtl_helpers.specs import EncoderConfig, TaskSpec


class _Head(keras.layers.Layer):
    """Common head interface: ``call(states, padding_mask, decoder_tokens=None, training=False)`` → logits."""

    def __init__(self, num_outputs: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_outputs = num_outputs

    def get_config(self) -> dict:
        return {**super().get_config(), "num_outputs": self.num_outputs}


@serializable
class ClassificationHead(_Head):
    """Pooling over real tokens (mean, max, or both concatenated), then Dense → class logits [B, C]."""

    def __init__(self, num_outputs: int, pooling: str = "mean", **kwargs: Any) -> None:
        super().__init__(num_outputs, **kwargs)
        self.pooling = pooling
        self.out = keras.layers.Dense(num_outputs)

    def build(self, *input_shapes: Any) -> None:
        self.built = True  # sublayers build on their first call: no symbolic trace of the whole block

    def call(self, states: tf.Tensor, padding_mask: tf.Tensor, decoder_tokens: tf.Tensor | None = None,
             training: bool = False) -> tf.Tensor:
        if self.pooling == "mean_max":
            return self.out(ops.concatenate([masked_mean(states, padding_mask), masked_max(states, padding_mask)], -1))
        return self.out((masked_max if self.pooling == "max" else masked_mean)(states, padding_mask))

    def get_config(self) -> dict:
        return {**super().get_config(), "pooling": self.pooling}


@serializable
class TaggingHead(_Head):
    """Per-token Dense → tag logits [B, L, C]. With ``crf=True`` the logits are a CRF's emission scores and
    the head also owns the transition scores (C × C, from → to) and start/end scores (mtl_helpers.crf).
    ``hidden`` > 0 puts a ReLU layer of that width first (an MLP head: a probe of frozen features that can
    combine them, where a linear one may only find the majority tag)."""

    def __init__(self, num_outputs: int, crf: bool = False, hidden: int = 0, **kwargs: Any) -> None:
        super().__init__(num_outputs, **kwargs)
        self.crf, self.hidden_units = crf, int(hidden)
        self.hidden = keras.layers.Dense(self.hidden_units, activation="relu") if self.hidden_units else None
        self.out = keras.layers.Dense(num_outputs)
        if crf:
            self.transitions = self.add_weight(shape=(num_outputs, num_outputs), initializer="zeros",
                                               name="transitions")
            self.start = self.add_weight(shape=(num_outputs,), initializer="zeros", name="start")
            self.end = self.add_weight(shape=(num_outputs,), initializer="zeros", name="end")

    def call(self, states: tf.Tensor, padding_mask: tf.Tensor, decoder_tokens: tf.Tensor | None = None,
             training: bool = False) -> tf.Tensor:
        return self.out(states if self.hidden is None else self.hidden(states))

    def get_config(self) -> dict:
        return {**super().get_config(), "crf": self.crf, "hidden": self.hidden_units}


@serializable
class LanguageModelHead(_Head):
    """Next-word logits [B, L, V] from causal states: the first ``forward_units`` features (BiLSTM forward
    half), or all features (0, for a causally-masked transformer). V may be smaller than the vocabulary:
    the head then predicts the V most frequent ids, and rarer next words count as <unk> (training.py).

    ``bidirectional`` (BiLSTM only): logits [B, L, 2, V], direction 0 = next word from the forward half,
    direction 1 = previous word from the backward half, through the same output layer (tied, as in ELMo),
    so LM pretraining trains both halves of every layer instead of leaving the backward half random.
    """

    def __init__(self, num_outputs: int, forward_units: int = 0, bidirectional: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(num_outputs, **kwargs)
        if bidirectional and not forward_units:
            raise ValueError("a bidirectional language-model head needs the BiLSTM's forward_units (its states "
                             "hold a forward and a backward half); use bidirectional=False with a transformer.")
        self.forward_units, self.bidirectional = forward_units, bool(bidirectional)
        self.out = keras.layers.Dense(num_outputs)

    def call(self, states: tf.Tensor, padding_mask: tf.Tensor, decoder_tokens: tf.Tensor | None = None,
             training: bool = False) -> tf.Tensor:
        if not self.forward_units:
            return self.out(states)
        forward = self.out(states[..., : self.forward_units])
        if not self.bidirectional:
            return forward
        return ops.stack([forward, self.out(states[..., self.forward_units:])], axis=2)

    def get_config(self) -> dict:
        return {**super().get_config(), "forward_units": self.forward_units, "bidirectional": self.bidirectional}


@serializable
class Seq2SeqHead(_Head):
    """Small attentional decoder: LSTM over target embeddings, initial state from the pooled encoder,
    dot-product attention over encoder states (Luong), Dense → target-vocabulary logits [B, Lt, V]."""

    def __init__(self, num_outputs: int, embedding_dim: int = 32, units: int = 32, dropout: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(num_outputs, **kwargs)
        self.embedding_dim, self.units, self.rate = embedding_dim, units, dropout
        self.embedding = keras.layers.Embedding(num_outputs, embedding_dim)
        self.init_state = keras.layers.Dense(2 * units, activation="tanh")
        self.lstm = keras.layers.LSTM(units, return_sequences=True)
        self.keys = keras.layers.Dense(units, use_bias=False)
        self.combine = keras.layers.Dense(units, activation="tanh")
        self.drop = keras.layers.Dropout(dropout)
        self.out = keras.layers.Dense(num_outputs)

    def call(self, states: tf.Tensor, padding_mask: tf.Tensor, decoder_tokens: tf.Tensor | None = None,
             training: bool = False) -> tf.Tensor:
        if decoder_tokens is None:
            raise ValueError("a seq2seq head needs inputs['decoder_tokens'] (int32 [B, Lt]: [BOS]+target).")
        h0, c0 = ops.split(self.init_state(masked_mean(states, padding_mask)), 2, axis=-1)
        decoded = fused_lstm(self.lstm, self.embedding(decoder_tokens), ops.not_equal(decoder_tokens, 0),
                             initial_state=(h0, c0))
        keys = self.keys(states)
        scores = ops.einsum("btd,bsd->bts", decoded, keys)
        scores = ops.where(padding_mask[:, None, :], scores, ops.full_like(scores, -1e9))
        context = ops.einsum("bts,bsd->btd", ops.softmax(scores, axis=-1), keys)
        hidden = self.combine(ops.concatenate([decoded, context], axis=-1))
        return self.out(self.drop(hidden, training=training))

    def get_config(self) -> dict:
        return {**super().get_config(), "embedding_dim": self.embedding_dim, "units": self.units, "dropout": self.rate}


def build_head(spec: TaskSpec, encoder: EncoderConfig) -> _Head:
    """The head of ``spec``'s kind, sized for ``encoder``'s states, named ``<task>_head``."""
    name = f"{spec.name}_head"
    if spec.kind == "classification":
        return ClassificationHead(spec.num_outputs, pooling=spec.pooling, name=name)
    if spec.kind == "tagging":
        return TaggingHead(spec.num_outputs, crf=spec.crf, hidden=spec.hidden, name=name)
    if spec.kind == "lm":
        return LanguageModelHead(spec.num_outputs, encoder.hidden_units if encoder.kind == "bilstm" else 0,
                                 bidirectional=spec.bidirectional, name=name)
    return Seq2SeqHead(spec.num_outputs, encoder.embedding_dim, encoder.hidden_units, encoder.dropout, name=name)
