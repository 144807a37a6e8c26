"""Tests of the per-head losses: the backward LM's previous-word targets, and a bidirectional top-k LM loss
computed by hand."""
import numpy as np
from tiny_runs import quick

from mtl_helpers import data, losses, models, training


def test_previous_words_shift_the_forward_targets():
    # input <s> a b c, forward targets a b c </s> (ids 2 | 5 6 7 | 3); one padded row
    targets = np.array([[5, 6, 7, 3], [8, 3, 0, 0]], "int32")
    weights = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], "float32")
    previous, previous_weights = losses._previous_words(targets, weights)
    np.testing.assert_array_equal(np.asarray(previous)[:, 1:], [[2, 5, 6], [2, 8, 3]])
    np.testing.assert_array_equal(previous_weights, [[0, 1, 1, 1], [0, 1, 0, 0]])
    np.testing.assert_array_equal(losses.lm_targets(targets, 7), [[5, 6, 1, 3], [1, 3, 0, 0]])


def test_bidirectional_top_k_lm_loss_is_both_directions_cross_entropy(toy):
    """Loss of a bidirectional head predicting the 9 most frequent ids: forward cross-entropy on the next word
    and backward cross-entropy on the previous word, rarer words as <unk>, computed here by hand."""
    tasks, vocab = toy
    lm = training.lm_task_from(tasks)
    encoder = models.EncoderConfig(len(vocab), embedding_dim=8, hidden_units=8, num_layers=1)
    model = models.build_model([models.TaskSpec("lm", "lm", 9, bidirectional=True)], encoder, seed=0)
    inputs, targets, weights = next(iter(data.make_dataset(lm, vocab, "dev", batch_size=4)))
    total, count = losses._loss_sums(model, "lm", (inputs, targets, weights), training=False)
    logits = np.asarray(model.task_call(inputs, "lm"))
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    x, y, w = np.asarray(inputs["tokens"]), np.asarray(targets), np.asarray(weights)
    y, x = np.where(y >= 9, 1, y), np.where(x >= 9, 1, x)
    rows, cols = np.nonzero(w)
    expected = -log_p[rows, cols, 0, y[rows, cols]].sum()
    back = cols > 0
    expected -= log_p[rows[back], cols[back], 1, x[rows[back], cols[back] - 1]].sum()
    np.testing.assert_allclose(float(total), expected, rtol=1e-4)
    assert float(count) == w.sum() + (w[:, 1:]).sum()
    before = training.evaluate(model, {"lm": lm}, vocab, "dev").set_index("metric").value
    result = training.train(model, {"lm": lm}, vocab, quick(steps_per_epoch=20, batch_size=32, learning_rate=2e-2))
    after = training.evaluate(model, {"lm": lm}, vocab, "dev").set_index("metric").value
    assert after["perplexity"] < before["perplexity"] <= 9 * 1.5  # forward perplexity over 9 outputs
    assert result.history.loss.iloc[-1] < result.history.loss.iloc[0]
    assert all(len(p) == len(s) + 1 for p, s in zip(training.predict(model, lm, [["a", "b"], ["c"]], vocab),
                                               [["a", "b"], ["c"]]))
