"""Multi-task models whose weights map one-to-one onto θ = (θ_sh, θ_1..θ_T).

One class, :class:`MultiTaskModel`, covers every sharing scheme of the course:

* ``"none"``: one encoder (embedding + layers) and one head per task, nothing shared: T single-task models.
* ``"hard"``: one shared embedding + the lowest ``shared_layers`` encoder layers (θ_sh); above that every task
  has its own remaining layers and its head (θ_t). ``TaskSpec.read_layer`` lets a head read a lower layer
  (Søgaard & Goldberg 2016).
* ``"soft"``: one encoder per task, coupled by a penalty λ·Ω added to the loss (:meth:`MultiTaskModel.penalty`):
  ``"l2"`` Σ_l Σ_{i<j} ‖W_l^(i) − W_l^(j)‖² (Duong et al. 2015), ``"l2_mean"`` Σ_l Σ_i ‖W_l^(i) − mean_l‖²,
  ``"trace_norm"`` Σ_l ‖[vec W_l^(1); …; vec W_l^(T)]‖_* (Yang & Hospedales 2017).
* ``"cross_stitch"``: one encoder per task; after every layer a learned T×T matrix α mixes the tasks'
  outputs, out_i = Σ_j α_ij x_j (Misra et al. 2016). α = I gives exactly independent towers.

Encoders: stacked BiLSTM (default; Keras LSTM weights run through TensorFlow's fused LSTM kernel, see
:func:`fused_lstm`) or a small Transformer (learned positions, padding mask). Padding is the
token id 0; masks are derived explicitly as ``tokens != 0`` and passed to every layer (no implicit Keras mask
propagation, so the reader can see where padding is handled).

No peeking for the language model: the BiLSTM keeps its two directions as two separate stacks (as in ELMo,
Peters et al. 2018): layer l's forward LSTM reads only the forward half of layer l−1. So the forward half of
every layer at position t has seen tokens 0..t only, and the LM head reads just that half (a bidirectional
head also predicts the previous word from the backward half, which has seen tokens t..n only). With the
Transformer the LM task runs the (shared) layers with a causal mask. Targets are next words: input
[BOS]+w, target w+[EOS].

All heads return LOGITS. Layers and the model are registered Keras serializables and survive ``.keras``
save/load. This module does not need ``mtl_helpers.data`` (only the CLI and ``TaskSpec.from_task`` use it).
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import random
import re
import sys
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator, Sequence

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import ops

from mtl_helpers.config import is_integer, is_number

KINDS = ("classification", "tagging", "lm", "seq2seq")  # same as mtl_helpers.data.KINDS
#: an lm head predicts at least the four special ids (padding, <unk>, <s>, </s>) and one word
LM_MIN_OUTPUTS = 5
ENCODER_KINDS = ("bilstm", "transformer")
UNK_ID, FIRST_WORD_ID = 1, 4  # token ids: 0..3 = <pad>, <unk>, <s>, </s> (data.Vocabulary.SPECIALS), then words
POOLINGS = ("mean", "max", "mean_max")  # ClassificationHead: sentence vector = mean, max, or both side by side
SHARINGS = ("none", "hard", "soft", "cross_stitch")
COUPLINGS = ("l2", "l2_mean", "trace_norm")
RESERVED_GROUPS = ("shared", "coupling")
_register = keras.saving.register_keras_serializable(package="mtl_helpers")


# --------------------------------------------------------------------------------------------- configs
@dataclass
class EncoderConfig:
    """Sizes of the encoder (embedding + layers); one config serves every tower of a model."""

    vocab_size: int
    kind: str = "bilstm"  # or "transformer"
    embedding_dim: int = 64
    hidden_units: int = 64  # BiLSTM units per direction; transformer feed-forward width (model width = embedding_dim)
    num_layers: int = 2
    dropout: float = 0.1
    word_dropout: float = 0.0  # training only: chance that a word's id becomes <unk> (its characters stay)
    num_heads: int = 2  # transformer only
    max_length: int = 160  # transformer learned positions
    char_vocab_size: int = 0  # >0 turns on character features (inputs["chars"]: int32 [B, L, W])
    char_embedding_dim: int = 16  # character features: char embedding size
    char_filters: int = 32  # character features: CNN filters = size of a word's char vector

    def __post_init__(self) -> None:
        if self.kind not in ENCODER_KINDS:
            raise ValueError(f"EncoderConfig.kind={self.kind!r} is unknown; use one of {ENCODER_KINDS}.")
        for name in ("vocab_size", "embedding_dim", "hidden_units", "num_layers", "num_heads", "max_length",
                     "char_embedding_dim", "char_filters"):
            value = getattr(self, name)
            if not is_integer(value) or value < 1:
                raise ValueError(f"EncoderConfig.{name} must be a positive integer, got {value!r} "
                                 f"({type(value).__name__}); pass e.g. {name}="
                                 f"{getattr(EncoderConfig, name, 'len(vocab)')}.")
        if not is_integer(self.char_vocab_size) or self.char_vocab_size < 0:
            raise ValueError(f"EncoderConfig.char_vocab_size must be an integer >= 0 (0 = no character features), "
                             f"got {self.char_vocab_size!r}; pass e.g. char_vocab_size=len(char_vocab).")
        for name in ("dropout", "word_dropout"):
            value = getattr(self, name)
            if not is_number(value) or not 0.0 <= value < 1.0:
                raise ValueError(f"EncoderConfig.{name} must be a number in [0, 1), got {value!r} "
                                 f"({type(value).__name__}); pass e.g. {name}=0.1.")
        for name in ("vocab_size", "embedding_dim", "hidden_units", "num_layers", "num_heads", "max_length",
                     "char_vocab_size", "char_embedding_dim", "char_filters"):
            setattr(self, name, int(getattr(self, name)))  # numpy ints would not serialize to JSON
        self.dropout, self.word_dropout = float(self.dropout), float(self.word_dropout)
        if self.kind == "transformer" and self.embedding_dim % self.num_heads:
            raise ValueError(f"transformer: embedding_dim={self.embedding_dim} must be divisible by "
                             f"num_heads={self.num_heads}; change one of them.")

    @property
    def output_dim(self) -> int:
        """Width of one encoder layer's output (2·units for the BiLSTM: forward half, then backward half)."""
        return 2 * self.hidden_units if self.kind == "bilstm" else self.embedding_dim


@dataclass
class TaskSpec:
    """What a head needs to know about a task: its kind and output size."""

    name: str
    kind: str  # one of KINDS
    num_outputs: int  # classes / tags / vocab size (lm) / target vocab size (seq2seq)
    read_layer: int | None = None  # encoder layer (1-based) the head reads from; None = top layer
    crf: bool = False  # tagging only: a linear-chain CRF output layer (mtl_helpers.crf) instead of per-token softmax
    pooling: str = "mean"  # classification only: how token states become one sentence vector (POOLINGS)
    #: lm only (BiLSTM): the backward half also predicts the PREVIOUS word, so pretraining trains both halves
    bidirectional: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not re.fullmatch(r"[A-Za-z0-9_]+", self.name):
            raise ValueError(f"task name {self.name!r} must be a non-empty string of letters, digits and _ "
                             f"(e.g. 'toy_ner').")
        if self.name in RESERVED_GROUPS:
            raise ValueError(f"task name {self.name!r} is reserved for θ accounting; rename the task.")
        if self.kind not in KINDS:
            raise ValueError(f"task {self.name!r}: unknown kind {self.kind!r}; use one of {KINDS}.")
        if not is_integer(self.num_outputs) or self.num_outputs < 1:
            raise ValueError(f"task {self.name!r}: num_outputs must be a positive integer, got {self.num_outputs!r} "
                             f"({type(self.num_outputs).__name__}); pass e.g. num_outputs=len(task.labels).")
        if self.read_layer is not None and (not is_integer(self.read_layer) or self.read_layer < 1):
            raise ValueError(f"task {self.name!r}: read_layer must be None (top) or a 1-based layer number, "
                             f"got {self.read_layer!r}; pass e.g. read_layer=1.")
        if self.crf and self.kind != "tagging":
            raise ValueError(f"task {self.name!r}: crf=True needs a tagging task (it scores tag sequences), "
                             f"not kind={self.kind!r}; drop crf or use kind='tagging'.")
        if self.pooling not in POOLINGS:
            raise ValueError(f"task {self.name!r}: unknown pooling {self.pooling!r}; use one of {POOLINGS}.")
        if self.pooling != "mean" and self.kind != "classification":
            raise ValueError(f"task {self.name!r}: pooling={self.pooling!r} needs a classification task (it "
                             f"pools a sentence into one vector), not kind={self.kind!r}; drop pooling.")
        if self.bidirectional and self.kind != "lm":
            raise ValueError(f"task {self.name!r}: bidirectional=True needs an lm task (it predicts the previous "
                             f"word too), not kind={self.kind!r}; drop bidirectional.")
        self.crf, self.bidirectional = bool(self.crf), bool(self.bidirectional)
        self.num_outputs = int(self.num_outputs)
        self.read_layer = None if self.read_layer is None else int(self.read_layer)

    @classmethod
    def from_task(cls, task: Any, vocab: Any, target_vocab: Any = None, read_layer: int | None = None,
                  crf: bool = False, pooling: str = "mean") -> "TaskSpec":
        """Spec for a ``data.TaskData``: labels for classification/tagging, vocabulary sizes for lm/seq2seq."""
        if task.kind in ("classification", "tagging"):
            num_outputs = len(task.labels)
        elif task.kind == "lm":
            num_outputs = len(vocab)
        elif task.kind == "seq2seq":
            if target_vocab is None:
                raise ValueError(f"task {task.name!r} is seq2seq: pass target_vocab= (the target-language "
                                 f"Vocabulary) so the decoder knows its output size.")
            num_outputs = len(target_vocab)
        else:
            raise ValueError(f"task {task.name!r}: unknown kind {task.kind!r}; use one of {KINDS}.")
        return cls(task.name, task.kind, int(num_outputs), read_layer, crf, pooling)


# --------------------------------------------------------------------------------------------- layers
def masked_mean(states: tf.Tensor, padding_mask: tf.Tensor) -> tf.Tensor:
    """Mean of ``states`` [B, L, D] over real tokens only (padding never counts) → [B, D]."""
    weights = ops.cast(padding_mask, states.dtype)[..., None]
    return ops.sum(states * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1.0)


def masked_max(states: tf.Tensor, padding_mask: tf.Tensor) -> tf.Tensor:
    """Feature-wise max of ``states`` [B, L, D] over real tokens only → [B, D] (0 for an empty sentence).

    Max pooling keeps the strongest evidence anywhere in the sentence (a single "dull" decides a review),
    where the mean dilutes it by the sentence length (Kim 2014; Conneau et al. 2017: BiLSTM-max)."""
    mask = ops.cast(padding_mask, "bool")[..., None]
    pooled = ops.max(ops.where(mask, states, ops.full_like(states, -1e9)), axis=1)
    return ops.where(ops.any(mask, axis=1), pooled, ops.zeros_like(pooled))


@_register
class EmbeddingBlock(keras.layers.Layer):
    """Word embedding (+ char-CNN word features, + learned positions for the transformer), then dropout.

    ``word_dropout`` (training only) turns that share of real word ids into <unk>, keeping their characters:
    the <unk> vector is trained, and the model learns to read unseen words from their characters (test-time
    words missing from the train vocabulary all map to <unk>; Lample et al. 2016 replace singletons)."""

    def __init__(self, vocab_size: int, embedding_dim: int, dropout: float = 0.0, max_length: int = 0,
                 char_vocab_size: int = 0, char_embedding_dim: int = 16, char_filters: int = 32,
                 project_chars: bool = False, word_dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vocab_size, self.embedding_dim, self.rate = vocab_size, embedding_dim, dropout
        self.word_dropout = word_dropout
        self.unk_seed = keras.random.SeedGenerator() if word_dropout > 0 else None
        self.max_length, self.char_vocab_size = max_length, char_vocab_size
        self.char_embedding_dim, self.char_filters, self.project_chars = char_embedding_dim, char_filters, project_chars
        self.word = keras.layers.Embedding(vocab_size, embedding_dim)
        self.position = keras.layers.Embedding(max_length, embedding_dim) if max_length > 0 else None
        self.char = keras.layers.Embedding(char_vocab_size, char_embedding_dim) if char_vocab_size > 0 else None
        self.char_conv = (keras.layers.Conv1D(char_filters, 3, padding="same", activation="relu")
                          if char_vocab_size > 0 else None)
        self.projection = keras.layers.Dense(embedding_dim) if char_vocab_size > 0 and project_chars else None
        self.drop = keras.layers.Dropout(dropout)

    def build(self, *input_shapes: Any) -> None:
        self.built = True  # sublayers build on their first call: no symbolic trace of the whole block

    def call(self, tokens: tf.Tensor, chars: tf.Tensor | None = None, training: bool = False) -> tf.Tensor:
        if training and self.word_dropout > 0:
            dropped = (keras.random.uniform(ops.shape(tokens), seed=self.unk_seed) < self.word_dropout) & (
                tokens >= FIRST_WORD_ID)
            tokens = ops.where(dropped, ops.full_like(tokens, UNK_ID), tokens)
        x = self.word(tokens)
        if self.char is not None:
            if chars is None:
                raise ValueError("EncoderConfig.char_vocab_size > 0 but inputs has no 'chars' (int32 [B, L, W]); "
                                 "add them or set char_vocab_size=0.")
            shape = ops.shape(chars)
            flat = ops.reshape(chars, (-1, shape[2]))  # one row per word
            h = self.char_conv(self.char(flat))  # [B·L, W, F], ReLU ≥ 0
            h = h * ops.cast(flat > 0, h.dtype)[..., None]  # padding characters contribute 0 to the max
            h = ops.reshape(ops.max(h, axis=1), (shape[0], shape[1], self.char_filters))
            x = ops.concatenate([x, h], axis=-1)
            if self.projection is not None:
                x = self.projection(x)
        if self.position is not None:
            length = tokens.shape[1]
            if length is not None and length > self.max_length:
                raise ValueError(f"sequence length {length} > EncoderConfig.max_length={self.max_length}; "
                                 f"raise max_length or cut sentences.")
            x = x + self.position(ops.arange(ops.shape(tokens)[1]))[None]
        return self.drop(x, training=training)

    def get_config(self) -> dict:
        return {**super().get_config(), "vocab_size": self.vocab_size, "embedding_dim": self.embedding_dim,
                "dropout": self.rate, "max_length": self.max_length, "char_vocab_size": self.char_vocab_size,
                "char_embedding_dim": self.char_embedding_dim, "char_filters": self.char_filters,
                "project_chars": self.project_chars, "word_dropout": self.word_dropout}


def fused_lstm(lstm: keras.layers.LSTM, x: tf.Tensor, padding_mask: tf.Tensor, *, reverse: bool = False,
               initial_state: tuple[tf.Tensor, tf.Tensor] | None = None) -> tf.Tensor:
    """Run a Keras ``LSTM`` layer's weights through TensorFlow's fused ``BlockLSTM`` kernel.

    Same numbers as ``lstm(x, mask=padding_mask)`` (and, with ``reverse``, as a ``go_backwards`` LSTM
    flipped back) for right-padded batches, outputs zero at padding; but one op per sequence instead of
    Keras' masked ``while`` loop, so a training step traces about 3x faster and runs faster on CPU.
    The Keras layer keeps owning the variables (kernel, recurrent_kernel, bias: gate order i, f, c, o), so
    θ tables, checkpoints and ``.keras`` files are unchanged. ``padding_mask`` must be a prefix mask
    (bool [B, L], True for the real tokens at the start of each row), as ``mtl_helpers.data`` makes it.
    """
    if not lstm.built:
        lstm.build((None, None, x.shape[-1]))
    cell = lstm.cell
    lengths = tf.reduce_sum(tf.cast(padding_mask, tf.int64), axis=1)
    if reverse:  # reverse each row within its length: padding stays at the end
        x = tf.reverse_sequence(x, lengths, seq_axis=1, batch_axis=0)
    units, batch = cell.units, tf.shape(x)[0]
    # BlockLSTM wants one [inputs + units, 4·units] matrix with the gates in the order i, c, f, o.
    weights = tf.concat([cell.kernel, cell.recurrent_kernel], axis=0)
    gate_i, gate_f, gate_c, gate_o = tf.split(weights, 4, axis=1)
    bias_i, bias_f, bias_c, bias_o = tf.split(cell.bias, 4)
    if initial_state is None:
        h0 = c0 = tf.zeros([batch, units], x.dtype)
    else:
        h0, c0 = initial_state
    no_peephole = tf.zeros([units], x.dtype)
    # (BlockLSTMV2 takes Keras' gate order directly, but its registered gradient is the V1 one: wrong.)
    outputs = tf.raw_ops.BlockLSTM(
        seq_len_max=tf.cast(tf.shape(x)[1], tf.int64), x=tf.transpose(x, [1, 0, 2]), cs_prev=c0, h_prev=h0,
        w=tf.concat([gate_i, gate_c, gate_f, gate_o], axis=1), wci=no_peephole, wcf=no_peephole, wco=no_peephole,
        b=tf.concat([bias_i, bias_c, bias_f, bias_o], axis=0), forget_bias=0.0, cell_clip=-1.0, use_peephole=False)
    hidden = tf.transpose(outputs.h, [1, 0, 2]) * tf.cast(padding_mask, x.dtype)[..., None]
    if reverse:
        hidden = tf.reverse_sequence(hidden, lengths, seq_axis=1, batch_axis=0)
    return hidden


@_register
class BiLSTMLayer(keras.layers.Layer):
    """One BiLSTM layer whose directions stay separate stacks (ELMo style): output [forward | backward].

    With ``split_input`` (every layer above the first) the forward LSTM reads only the forward half of its
    input and the backward LSTM only the backward half, so forward states never see later tokens.
    """

    def __init__(self, units: int, dropout: float = 0.0, split_input: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units, self.rate, self.split_input = units, dropout, split_input
        self.forward_lstm = keras.layers.LSTM(units, return_sequences=True)
        self.backward_lstm = keras.layers.LSTM(units, return_sequences=True, go_backwards=True)
        self.drop = keras.layers.Dropout(dropout)

    def build(self, *input_shapes: Any) -> None:
        self.built = True  # sublayers build on their first call: no symbolic trace of the whole block

    def call(self, x: tf.Tensor, padding_mask: tf.Tensor, causal: bool = False, training: bool = False) -> tf.Tensor:
        # ``causal`` is accepted for a common layer interface: the forward half is causal by construction.
        if self.split_input:
            x_forward, x_backward = x[..., : self.units], x[..., self.units:]
        else:
            x_forward = x_backward = x
        forward = fused_lstm(self.forward_lstm, x_forward, padding_mask)
        backward = fused_lstm(self.backward_lstm, x_backward, padding_mask, reverse=True)
        return self.drop(ops.concatenate([forward, backward], axis=-1), training=training)

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "dropout": self.rate, "split_input": self.split_input}


@_register
class TransformerBlock(keras.layers.Layer):
    """Post-norm Transformer encoder block: self-attention (padding mask, optionally causal) + feed-forward."""

    def __init__(self, model_dim: int, num_heads: int, ff_dim: int, dropout: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model_dim, self.num_heads, self.ff_dim, self.rate = model_dim, num_heads, ff_dim, dropout
        self.attention = keras.layers.MultiHeadAttention(num_heads, key_dim=model_dim // num_heads, dropout=dropout)
        self.norm_attention = keras.layers.LayerNormalization(epsilon=1e-6)
        self.norm_ff = keras.layers.LayerNormalization(epsilon=1e-6)
        self.ff_in = keras.layers.Dense(ff_dim, activation="relu")
        self.ff_out = keras.layers.Dense(model_dim)
        self.drop = keras.layers.Dropout(dropout)

    def build(self, *input_shapes: Any) -> None:
        self.built = True  # sublayers build on their first call: no symbolic trace of the whole block

    def call(self, x: tf.Tensor, padding_mask: tf.Tensor, causal: bool = False, training: bool = False) -> tf.Tensor:
        length = ops.shape(x)[1]
        mask = ops.logical_and(padding_mask[:, None, :], ops.ones((length, length), dtype="bool")[None])  # keys only
        if causal:  # position t attends to positions <= t
            mask = ops.logical_and(mask, ops.cast(ops.tril(ops.ones((length, length))), "bool")[None])
        attended = self.attention(x, x, attention_mask=mask, training=training)
        x = self.norm_attention(x + self.drop(attended, training=training))
        return self.norm_ff(x + self.drop(self.ff_out(self.ff_in(x)), training=training))

    def get_config(self) -> dict:
        return {**super().get_config(), "model_dim": self.model_dim, "num_heads": self.num_heads,
                "ff_dim": self.ff_dim, "dropout": self.rate}


@_register
class CrossStitch(keras.layers.Layer):
    """Cross-stitch unit (Misra et al. 2016): out_i = Σ_j α_ij · x_j with a learned T×T matrix α."""

    def __init__(self, num_tasks: int, diagonal: float = 0.9, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_tasks, self.diagonal = num_tasks, diagonal
        off = (1.0 - diagonal) / (num_tasks - 1) if num_tasks > 1 else 0.0
        init = np.full((num_tasks, num_tasks), off, dtype="float32")
        np.fill_diagonal(init, diagonal)
        self.alpha = self.add_weight(shape=(num_tasks, num_tasks), name="alpha",
                                     initializer=keras.initializers.Constant(init))
        self.built = True

    def call(self, xs: list[tf.Tensor]) -> list[tf.Tensor]:
        # an explicit sum (not a matmul) so that α = I returns every x_i bit for bit
        return [sum(self.alpha[i, j] * xs[j] for j in range(self.num_tasks)) for i in range(self.num_tasks)]

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tasks": self.num_tasks, "diagonal": self.diagonal}


class _Head(keras.layers.Layer):
    """Common head interface: ``call(states, padding_mask, decoder_tokens=None, training=False)`` → logits."""

    def __init__(self, num_outputs: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.num_outputs = num_outputs

    def get_config(self) -> dict:
        return {**super().get_config(), "num_outputs": self.num_outputs}


@_register
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


@_register
class TaggingHead(_Head):
    """Per-token Dense → tag logits [B, L, C]. With ``crf=True`` the logits are a CRF's emission scores and
    the head also owns the transition scores (C × C, from → to) and start/end scores (mtl_helpers.crf)."""

    def __init__(self, num_outputs: int, crf: bool = False, **kwargs: Any) -> None:
        super().__init__(num_outputs, **kwargs)
        self.crf = crf
        self.out = keras.layers.Dense(num_outputs)
        if crf:
            self.transitions = self.add_weight(shape=(num_outputs, num_outputs), initializer="zeros",
                                               name="transitions")
            self.start = self.add_weight(shape=(num_outputs,), initializer="zeros", name="start")
            self.end = self.add_weight(shape=(num_outputs,), initializer="zeros", name="end")

    def call(self, states: tf.Tensor, padding_mask: tf.Tensor, decoder_tokens: tf.Tensor | None = None,
             training: bool = False) -> tf.Tensor:
        return self.out(states)

    def get_config(self) -> dict:
        return {**super().get_config(), "crf": self.crf}


@_register
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


@_register
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


# --------------------------------------------------------------------------------------------- model
@dataclass
class _Layout:
    """Which blocks belong to whom (kept outside Keras' attribute tracking on purpose)."""

    embedding: dict[str, int] = field(default_factory=dict)  # owner ("shared" or task) → index in embedding_blocks
    layers: dict[str, list[int]] = field(default_factory=dict)  # owner → indices in encoder_layers (bottom up)
    depth: dict[str, int] = field(default_factory=dict)  # task → the layer (1-based) its head reads


@contextlib.contextmanager
def _python_seed(seed: int) -> Iterator[None]:
    """Keras draws initializer/dropout seeds from Python's ``random``: seed it locally, then restore it."""
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def _validate(tasks: list[TaskSpec], encoder: EncoderConfig, sharing: str, shared_layers: int | None,
              coupling: str, coupling_weight: float, stitch_diagonal: float) -> None:
    if not tasks:
        raise ValueError("the task list is empty; pass at least one TaskSpec, e.g. [TaskSpec('pos', 'tagging', 12)].")
    names = [t.name for t in tasks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate task names {duplicates}; give every TaskSpec a unique name.")
    if sharing not in SHARINGS:
        raise ValueError(f"unknown sharing {sharing!r}; use one of {SHARINGS}.")
    if coupling not in COUPLINGS:
        raise ValueError(f"unknown coupling {coupling!r}; use one of {COUPLINGS}.")
    if not isinstance(coupling_weight, (int, float, np.floating)) or not coupling_weight >= 0:
        raise ValueError(f"coupling_weight λ must be >= 0, got {coupling_weight!r}; use 0 for no coupling.")
    if not 0.0 <= stitch_diagonal <= 1.0:
        raise ValueError(f"stitch_diagonal must be in [0, 1] (1 = α starts as the identity), got {stitch_diagonal!r}.")
    if sharing == "cross_stitch" and len(tasks) < 2:
        raise ValueError("cross_stitch mixes tasks and needs at least 2 tasks; use sharing='none' for one task.")
    if shared_layers is not None:
        if sharing != "hard":
            raise ValueError(f"shared_layers only applies to sharing='hard' (got sharing={sharing!r}); "
                             f"drop shared_layers or use sharing='hard'.")
        if not isinstance(shared_layers, (int, np.integer)) or not 0 <= shared_layers <= encoder.num_layers:
            raise ValueError(f"shared_layers={shared_layers!r} but the encoder has {encoder.num_layers} layers; "
                             f"use 0..{encoder.num_layers} or raise EncoderConfig.num_layers.")
    for task in tasks:
        if task.read_layer is not None and task.read_layer > encoder.num_layers:
            raise ValueError(f"task {task.name!r}: read_layer={task.read_layer} is outside 1..{encoder.num_layers} "
                             f"(EncoderConfig.num_layers); use 1..{encoder.num_layers} or None for the top layer.")
        if task.kind == "lm" and not LM_MIN_OUTPUTS <= task.num_outputs <= encoder.vocab_size:
            raise ValueError(f"lm task {task.name!r} predicts input words: num_outputs ({task.num_outputs}) must be "
                             f"{LM_MIN_OUTPUTS}..EncoderConfig.vocab_size ({encoder.vocab_size}): the vocabulary's "
                             f"most frequent ids, specials included (rarer next words count as <unk>).")
        if task.bidirectional and encoder.kind != "bilstm":
            raise ValueError(f"lm task {task.name!r}: bidirectional=True needs the BiLSTM encoder (its backward half "
                             f"predicts the previous word), not kind={encoder.kind!r}; drop bidirectional.")


@_register
class MultiTaskModel(keras.Model):
    """All sharing variants in one class; every weight belongs to exactly one θ group (see theta_partition)."""

    def __init__(self, tasks: Sequence[TaskSpec | dict], encoder: EncoderConfig | dict, sharing: str = "hard",
                 shared_layers: int | None = None, coupling: str = "l2", coupling_weight: float = 1e-3,
                 stitch_diagonal: float = 0.9, seed: int = 0, **kwargs: Any) -> None:
        tasks = [t if isinstance(t, TaskSpec) else TaskSpec(**t) for t in tasks]
        encoder = encoder if isinstance(encoder, EncoderConfig) else EncoderConfig(**encoder)
        _validate(tasks, encoder, sharing, shared_layers, coupling, coupling_weight, stitch_diagonal)
        super().__init__(**kwargs)
        self.encoder_config, self.sharing, self.coupling = encoder, sharing, coupling
        self.shared_layers = shared_layers
        self.coupling_weight, self.stitch_diagonal, self.seed = float(coupling_weight), float(stitch_diagonal), seed
        self.task_names = [t.name for t in tasks]
        self.specs = {t.name: t for t in tasks}
        self._layout = _Layout()
        with _python_seed(seed):
            self._create_blocks()
            self.call(self._dummy_inputs())  # creates every weight now, under the same seed
        self.built = True

    # ---- construction
    def _create_blocks(self) -> None:
        enc, layout = self.encoder_config, self._layout
        layout.depth = {n: s.read_layer or enc.num_layers for n, s in self.specs.items()}
        self.embedding_blocks: list[EmbeddingBlock] = []
        self.encoder_layers: list[keras.layers.Layer] = []
        self.stitches: list[CrossStitch] = []

        def add_tower(owner: str, first: int, last: int) -> None:  # layers first..last (1-based), inclusive
            layout.layers[owner] = []
            for number in range(first, last + 1):
                layout.layers[owner].append(len(self.encoder_layers))
                self.encoder_layers.append(self._encoder_layer(number, f"{owner}_layer{number}"))

        def add_embedding(owner: str) -> None:
            layout.embedding[owner] = len(self.embedding_blocks)
            self.embedding_blocks.append(EmbeddingBlock(
                enc.vocab_size, enc.embedding_dim, enc.dropout,
                max_length=enc.max_length if enc.kind == "transformer" else 0,
                char_vocab_size=enc.char_vocab_size, char_embedding_dim=enc.char_embedding_dim,
                char_filters=enc.char_filters, project_chars=enc.kind == "transformer",
                word_dropout=enc.word_dropout, name=f"{owner}_embedding"))

        if self.sharing == "hard":
            shared = enc.num_layers if self.shared_layers is None else self.shared_layers
            add_embedding("shared")
            add_tower("shared", 1, shared)
            for name in self.task_names:
                add_tower(name, shared + 1, layout.depth[name])
        else:
            top = max(layout.depth.values())
            for name in self.task_names:
                add_embedding(name)
                add_tower(name, 1, top if self.sharing == "cross_stitch" else layout.depth[name])
            if self.sharing == "cross_stitch":
                self.stitches = [CrossStitch(len(self.task_names), self.stitch_diagonal, name=f"cross_stitch{n}")
                                 for n in range(1, top + 1)]
        self.task_heads = [self._head(self.specs[n]) for n in self.task_names]

    def _encoder_layer(self, number: int, name: str) -> keras.layers.Layer:
        enc = self.encoder_config
        if enc.kind == "bilstm":
            return BiLSTMLayer(enc.hidden_units, enc.dropout, split_input=number > 1, name=name)
        return TransformerBlock(enc.embedding_dim, enc.num_heads, enc.hidden_units, enc.dropout, name=name)

    def _head(self, spec: TaskSpec) -> _Head:
        enc, name = self.encoder_config, f"{spec.name}_head"
        if spec.kind == "classification":
            return ClassificationHead(spec.num_outputs, pooling=spec.pooling, name=name)
        if spec.kind == "tagging":
            return TaggingHead(spec.num_outputs, crf=spec.crf, name=name)
        if spec.kind == "lm":
            return LanguageModelHead(spec.num_outputs, enc.hidden_units if enc.kind == "bilstm" else 0,
                                     bidirectional=spec.bidirectional, name=name)
        return Seq2SeqHead(spec.num_outputs, enc.embedding_dim, enc.hidden_units, enc.dropout, name=name)

    def _dummy_inputs(self) -> dict[str, np.ndarray]:
        inputs = {"tokens": np.ones((1, 3), "int32")}
        if self.encoder_config.char_vocab_size:
            inputs["chars"] = np.ones((1, 3, 2), "int32")
        if any(s.kind == "seq2seq" for s in self.specs.values()):
            inputs["decoder_tokens"] = np.ones((1, 3), "int32")
        return inputs

    # ---- forward
    def call(self, inputs: dict, training: bool = False) -> dict[str, tf.Tensor]:
        """Logits of every head (shared computation is done once per call)."""
        inputs, cache = self._check_inputs(inputs), {}
        return {name: self._forward(inputs, name, training, cache) for name in self.task_names}

    def tasks_call(self, inputs: dict, tasks: Sequence[str], training: bool = False) -> list[tf.Tensor]:
        """Logits of several tasks on the same inputs; parts they share are computed once."""
        unknown = [t for t in tasks if t not in self.specs]
        if unknown:
            raise ValueError(f"unknown tasks {unknown}; this model has {self.task_names}.")
        inputs, cache = self._check_inputs(inputs), {}
        return [self._forward(inputs, t, training, cache) for t in tasks]

    def task_call(self, inputs: dict, task: str, training: bool = False) -> tf.Tensor:
        """Logits of one task, running only the blocks that task needs (its tower, shared parts, head)."""
        return self.tasks_call(inputs, [task], training)[0]

    def _check_inputs(self, inputs: dict) -> dict:
        if not isinstance(inputs, dict) or "tokens" not in inputs:
            raise ValueError("inputs must be a dict with 'tokens' (int32 [B, L], 0 = padding); "
                             "optional 'chars' [B, L, W] and 'decoder_tokens' [B, Lt].")
        return {k: ops.cast(ops.convert_to_tensor(v), "int32") for k, v in inputs.items()}

    def _causal(self, task: str) -> bool:
        return self.encoder_config.kind == "transformer" and self.specs[task].kind == "lm"

    def _forward(self, inputs: dict, task: str, training: bool, cache: dict) -> tf.Tensor:
        mask = ops.not_equal(inputs["tokens"], 0)
        states = self._encode(inputs, mask, task, training, cache)
        head = self.task_heads[self.task_names.index(task)]
        return head(states, padding_mask=mask, decoder_tokens=inputs.get("decoder_tokens"), training=training)

    def _embed(self, owner: str, inputs: dict, training: bool) -> tf.Tensor:
        block = self.embedding_blocks[self._layout.embedding[owner]]
        return block(inputs["tokens"], chars=inputs.get("chars"), training=training)

    def _run(self, index: int, x: tf.Tensor, mask: tf.Tensor, causal: bool, training: bool) -> tf.Tensor:
        return self.encoder_layers[index](x, padding_mask=mask, causal=causal, training=training)

    def _encode(self, inputs: dict, mask: tf.Tensor, task: str, training: bool, cache: dict) -> tf.Tensor:
        """States of the layer ``task`` reads (its read_layer). ``cache`` holds per-call stage outputs."""
        layout, depth, causal = self._layout, self._layout.depth[task], self._causal(task)
        if self.sharing == "hard":
            stages = cache.setdefault(("shared", causal), [])
            shared = layout.layers["shared"]
            while len(stages) <= min(depth, len(shared)):  # only as deep as this task needs
                stages.append(self._embed("shared", inputs, training) if not stages else
                              self._run(shared[len(stages) - 1], stages[-1], mask, causal, training))
            x = stages[min(depth, len(shared))]
            for index in layout.layers[task]:
                x = self._run(index, x, mask, causal, training)
            return x
        if self.sharing == "cross_stitch":
            stages = cache.setdefault(("stitch", causal), [])
            while len(stages) <= depth:
                if not stages:
                    stages.append([self._embed(n, inputs, training) for n in self.task_names])
                else:
                    level = len(stages)
                    outs = [self._run(layout.layers[n][level - 1], x, mask, causal, training)
                            for n, x in zip(self.task_names, stages[-1])]
                    stages.append(self.stitches[level - 1](outs))
            return stages[depth][self.task_names.index(task)]
        x = self._embed(task, inputs, training)
        for index in layout.layers[task]:
            x = self._run(index, x, mask, causal, training)
        return x

    # ---- θ groups
    def _group_layers(self) -> dict[str, list[keras.layers.Layer]]:
        """group ("shared", each task, "coupling") → the blocks whose weights form that part of θ."""
        groups: dict[str, list[keras.layers.Layer]] = {"shared": [], **{n: [] for n in self.task_names}, "coupling": []}
        for owner, index in self._layout.embedding.items():
            groups[owner].append(self.embedding_blocks[index])
        for owner, indices in self._layout.layers.items():
            groups[owner].extend(self.encoder_layers[i] for i in indices)
        for name, head in zip(self.task_names, self.task_heads):
            groups[name].append(head)
        groups["coupling"].extend(self.stitches)
        return groups

    def _group_variables(self, group: str, trainable: bool = True) -> list:
        found, seen = [], set()
        for layer in self._group_layers()[group]:
            for v in layer.trainable_weights if trainable else layer.weights:
                if id(v) not in seen:
                    seen.add(id(v))
                    found.append(v)
        return found

    def shared_variables(self) -> list:
        """θ_sh: trainable weights used by every task (empty for none/soft/cross_stitch)."""
        return self._group_variables("shared")

    def task_variables(self, task: str) -> list:
        """θ_t: the task's own trainable weights (its tower and head), bottom up."""
        if task not in self.specs:
            raise ValueError(f"unknown task {task!r}; this model has {self.task_names}.")
        return self._group_variables(task)

    def coupling_variables(self) -> list:
        """The cross-stitch matrices α (empty for other sharing schemes)."""
        return self._group_variables("coupling")

    def tower_units(self, task: str) -> dict[str, keras.layers.Layer | None]:
        """Comparable encoder units of a task: "embedding", "layer_1", ... → its own block, or None if shared."""
        layout, units = self._layout, {}
        units["embedding"] = self.embedding_blocks[layout.embedding[task]] if task in layout.embedding else None
        shared = layout.layers.get("shared", [])
        for number in range(1, len(shared) + 1):
            units[f"layer_{number}"] = None
        own_start = len(shared) + 1
        for offset, index in enumerate(layout.layers[task]):
            units[f"layer_{own_start + offset}"] = self.encoder_layers[index]
        return units

    # ---- coupling penalty
    def omega(self) -> tf.Tensor:
        """Ω(θ_1..θ_T) of the model's ``coupling`` over the task-owned encoder units (no λ)."""
        total = tf.constant(0.0)
        units = {n: self.tower_units(n) for n in self.task_names}
        names = sorted({u for per_task in units.values() for u in per_task}, key=_unit_order)
        for unit in names:
            blocks = [units[n][unit] for n in self.task_names if units[n].get(unit) is not None]
            if len(blocks) < 2:
                continue
            # same architecture → same variable order; read each variable as a tensor (the tape still sees it)
            weights = [[tf.convert_to_tensor(v) for v in b.trainable_weights] for b in blocks]
            if self.coupling == "l2":
                for a, b in itertools.combinations(weights, 2):
                    total += sum(ops.sum(ops.square(va - vb)) for va, vb in zip(a, b))
            elif self.coupling == "l2_mean":
                for group in zip(*weights):
                    mean = ops.mean(ops.stack(group), axis=0)
                    total += sum(ops.sum(ops.square(v - mean)) for v in group)
            else:
                stacked = ops.stack([ops.concatenate([ops.reshape(v, (-1,)) for v in w]) for w in weights])
                singular, _, _ = tf.linalg.svd(stacked, full_matrices=False, compute_uv=True)
                total += ops.sum(singular)
        return total

    def penalty(self) -> tf.Tensor:
        """λ·Ω(θ_1..θ_T) to add to the loss; 0.0 for none/hard/cross_stitch and for λ = 0."""
        if self.sharing != "soft" or self.coupling_weight == 0.0:
            return tf.constant(0.0)
        return self.coupling_weight * self.omega()

    # ---- serialization
    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable,
                "tasks": [asdict(self.specs[n]) for n in self.task_names],
                "encoder": asdict(self.encoder_config), "sharing": self.sharing, "shared_layers": self.shared_layers,
                "coupling": self.coupling, "coupling_weight": self.coupling_weight,
                "stitch_diagonal": self.stitch_diagonal, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> "MultiTaskModel":
        return cls(**config)


def _unit_order(unit: str) -> tuple[int, int]:
    return (0, 0) if unit == "embedding" else (1, int(unit.split("_")[1]))


def build_model(tasks: Sequence[TaskSpec], encoder: EncoderConfig, *, sharing: str = "hard",
                shared_layers: int | None = None, coupling: str = "l2", coupling_weight: float = 1e-3,
                stitch_diagonal: float = 0.9, seed: int = 0) -> MultiTaskModel:
    """A multi-task model; ``sharing`` in none|hard|soft|cross_stitch (see the module docstring).

    ``stitch_diagonal`` (cross_stitch only): initial α_ii; off-diagonal entries are (1 − d)/(T − 1).
    """
    return MultiTaskModel(list(tasks), encoder, sharing=sharing, shared_layers=shared_layers, coupling=coupling,
                          coupling_weight=coupling_weight, stitch_diagonal=stitch_diagonal, seed=seed)


def build_single_task(task: TaskSpec, encoder: EncoderConfig, seed: int = 0) -> MultiTaskModel:
    """Single-task baseline: the same encoder and head for one task (θ = θ_t, nothing shared)."""
    return build_model([task], encoder, sharing="none", seed=seed)


# --------------------------------------------------------------------------------------------- θ accounting
def theta_partition(model: MultiTaskModel) -> pd.DataFrame:
    """Every weight of ``model`` in exactly one group: "shared", each task, "coupling" (α).

    Columns: group, parameters, weights (number of tensors), share (of all parameters). The parameters add
    up to ``model.count_params()``.
    """
    rows, seen = [], set()
    for group in ["shared", *model.task_names, "coupling"]:
        variables = model._group_variables(group, trainable=False)
        seen.update(id(v) for v in variables)
        rows.append({"group": group, "parameters": int(sum(np.prod(v.shape) for v in variables)),
                     "weights": len(variables)})
    missing = [v.path for v in model.weights if id(v) not in seen]
    if missing:
        raise RuntimeError(f"weights outside every θ group (a bug in models.py): {missing}")
    table = pd.DataFrame(rows, columns=["group", "parameters", "weights"])
    total = int(table["parameters"].sum())
    table["share"] = table["parameters"] / total if total else 0.0
    return table


def variable_numpy(variable: keras.Variable) -> np.ndarray:
    """A weight's current values as a numpy array (a copy; works for mirrored / distributed variables too)."""
    return tf.convert_to_tensor(variable).numpy()


def tower_distance(model: MultiTaskModel) -> pd.DataFrame:
    """‖W_a − W_b‖ (Frobenius, over all weights of a unit) per encoder unit and task pair, plus a "total"
    row per pair (√ of the summed squares). Shared units (hard sharing) are listed with distance 0."""
    rows = []
    units = {n: model.tower_units(n) for n in model.task_names}
    for a, b in itertools.combinations(model.task_names, 2):
        squares = 0.0
        for unit in sorted(set(units[a]) & set(units[b]), key=_unit_order):
            block_a, block_b = units[a][unit], units[b][unit]
            if block_a is None or block_b is None:
                distance = 0.0
            else:
                distance = float(np.sqrt(sum(np.sum((variable_numpy(va) - variable_numpy(vb)) ** 2)
                                             for va, vb in zip(block_a.weights, block_b.weights))))
            squares += distance**2
            rows.append({"layer": unit, "task_a": a, "task_b": b, "distance": distance})
        rows.append({"layer": "total", "task_a": a, "task_b": b, "distance": float(np.sqrt(squares))})
    return pd.DataFrame(rows, columns=["layer", "task_a", "task_b", "distance"])


# --------------------------------------------------------------------------------------------- CLI
def _specs_from_names(names: list[str], vocab_size: int) -> list[TaskSpec]:
    """TaskSpecs for named tasks, with label counts read from ``mtl_helpers.data``."""
    try:
        from mtl_helpers import data
    except ImportError as error:
        raise ValueError(f"looking up the labels of {names} needs mtl_helpers.data ({error}).") from error
    specs = []
    for name in names:
        task = data.load_task(name)
        if task.kind == "lm":
            num_outputs = vocab_size
        elif task.kind == "seq2seq":
            num_outputs = len(data.Vocabulary.build(task.train.labels))
        else:
            num_outputs = len(task.labels)
        specs.append(TaskSpec(name, task.kind, num_outputs))
    return specs


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: print the θ partition of a small illustrative model for the given tasks."""
    parser = argparse.ArgumentParser(prog="python -m mtl_helpers.models", description=main.__doc__)
    parser.add_argument("--tasks", required=True, help="comma-separated task names, e.g. pos,chunk or toy_ner,toy_topic")
    parser.add_argument("--sharing", default="hard", choices=SHARINGS)
    parser.add_argument("--format", default="table", choices=("table", "csv"))
    parser.add_argument("--encoder", default="bilstm", choices=ENCODER_KINDS)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--hidden-units", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--shared-layers", type=int, default=None, help="hard sharing: shared lower layers")
    parser.add_argument("--vocab-size", type=int, default=5000, help="illustrative input vocabulary size")
    parser.add_argument("--coupling", default="l2", choices=COUPLINGS)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.tasks.split(",") if n.strip()]
    try:
        specs = _specs_from_names(names, args.vocab_size)
        encoder = EncoderConfig(args.vocab_size, args.encoder, args.embedding_dim, args.hidden_units, args.layers)
        model = build_model(specs, encoder, sharing=args.sharing, shared_layers=args.shared_layers,
                            coupling=args.coupling)
    except (ValueError, LookupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    table = theta_partition(model)
    if args.format == "csv":
        print(table.to_csv(index=False), end="")
    else:
        print(f"sharing={args.sharing} encoder={args.encoder} tasks={','.join(names)}")
        print(table.to_string(index=False, formatters={"share": "{:.1%}".format}))
        print(f"total parameters: {model.count_params():,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
