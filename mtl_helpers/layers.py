"""The encoder's building blocks: word (+ character) embeddings, the BiLSTM layer on TensorFlow's fused LSTM
kernel, the Transformer block, the cross-stitch unit, and pooling over real tokens.

Padding is the token id 0; every block takes an explicit ``padding_mask`` (bool [B, L], ``tokens != 0``)
instead of Keras' implicit mask propagation, so the reader can see where padding is handled. Every block is a
registered Keras serializable (``.keras`` files name them ``mtl_helpers>ClassName``).
"""
from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from mtl_helpers.specs import FIRST_WORD_ID, UNK_ID

#: class decorator: a Keras serializable of this package (saved and loaded as ``mtl_helpers>ClassName``)
serializable = keras.saving.register_keras_serializable(package="mtl_helpers")


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


@serializable
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


@serializable
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


@serializable
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


@serializable
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

