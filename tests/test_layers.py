"""Tests for mtl_helpers.layers: masked pooling, word dropout, the fused LSTM kernel against Keras' LSTM."""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from tiny_models import VOCAB

from mtl_helpers import layers
from mtl_helpers.specs import FIRST_WORD_ID, UNK_ID


def test_masked_max_on_a_hand_example():
    states = np.array([[[1.0, -2.0], [3.0, -5.0], [99.0, 99.0]],  # third position is padding
                       [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]], "float32")  # an empty sentence
    mask = np.array([[1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(np.asarray(layers.masked_max(states, mask)), [[3.0, -2.0], [0.0, 0.0]])


def test_word_dropout_turns_some_words_into_unk_in_training_only():
    from mtl_helpers import data

    assert data.Vocabulary.SPECIALS[UNK_ID] == "<unk>" and len(data.Vocabulary.SPECIALS) == FIRST_WORD_ID
    block = layers.EmbeddingBlock(VOCAB, 4, word_dropout=0.5)
    tokens = np.array([[0, 1, 2, 3] + list(range(4, VOCAB))] * 8, "int32")  # specials, then every word
    block(tokens)  # build
    block.word.embeddings.assign(np.arange(VOCAB, dtype="float32")[:, None].repeat(4, 1))  # row i holds i
    ids = np.asarray(block(tokens, training=True))[..., 0].astype(int)
    np.testing.assert_array_equal(ids[:, :4], tokens[:, :4])  # specials never change
    changed = ids[:, 4:] != tokens[:, 4:]
    assert (ids[:, 4:][changed] == UNK_ID).all() and 0.3 < changed.mean() < 0.7
    np.testing.assert_array_equal(np.asarray(block(tokens))[..., 0], tokens)  # inference: no change


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_fused_lstm_equals_keras_masked_lstm_values_and_gradients(reverse, with_state):
    """The fused BlockLSTM path gives Keras' masked LSTM numbers, forward and backward, and the same
    gradients for the weights, the inputs and the initial state (a wrong gate order would show here)."""
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(4, 7, 5)).astype("float32"))
    mask = tf.sequence_mask([7, 3, 1, 5], 7)
    lstm = keras.layers.LSTM(6, return_sequences=True, go_backwards=reverse)
    lstm.build((None, None, 5))
    lstm.cell.bias.assign(rng.normal(size=24).astype("float32"))  # non-zero in every gate
    state = (tf.constant(rng.normal(size=(4, 6)).astype("float32")),
             tf.constant(rng.normal(size=(4, 6)).astype("float32"))) if with_state else None
    weight = tf.constant(rng.normal(size=(4, 7, 6)).astype("float32"))  # a loss that sees every output
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        if state:
            tape.watch(list(state))
        fused = layers.fused_lstm(lstm, x, mask, reverse=reverse, initial_state=state)
        reference = lstm(x, mask=mask, initial_state=list(state) if state else None)
        if reverse:
            reference = tf.reverse(reference, [1])
        reference = reference * tf.cast(mask, tf.float32)[..., None]
        loss_fused, loss_reference = tf.reduce_sum(fused * weight), tf.reduce_sum(reference * weight)
    np.testing.assert_allclose(fused.numpy(), reference.numpy(), atol=1e-5)
    targets = lstm.trainable_variables + [x] + (list(state) if state else [])
    for got, want in zip(tape.gradient(loss_fused, targets), tape.gradient(loss_reference, targets)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-4)
