"""Language models (notebook 07): perplexity and its baselines, and the next-word loss."""
from __future__ import annotations

import math
from typing import Any

from mtl_helpers.exercises.core import attempt_first, close, report

#: data.Vocabulary.SPECIALS: <pad>, <unk>, <s>, </s> are ids 0..3 of every vocabulary
NUM_SPECIALS = 4


@attempt_first("7.1")
def check_perplexity(answer: Any, total_nll: float, tokens: float, *, quiet: bool = False) -> bool:
    """Exercise 7.1: perplexity from a summed negative log-likelihood (nats) and a token count."""
    if tokens <= 0:
        raise ValueError("tokens must be > 0; pass the number of predicted tokens.")
    expected = math.exp(total_nll / tokens)
    return report(close(answer, expected, rel=1e-3), exercise="7.1", quiet=quiet,
                  hint="perplexity = exp(mean negative log-likelihood per token): divide the summed nll by the "
                       "number of tokens first, then take exp (in nats, so math.exp, not 2 **).")


@attempt_first("7.2")
def check_uniform_perplexity(answer: Any, vocab_size: int, *, quiet: bool = False) -> bool:
    """Exercise 7.2: the perplexity of a model that gives every one of ``vocab_size`` ids (specials included)
    the same probability. Exact to a quarter of a word: leaving out the special tokens is wrong."""
    hint = ("each token has probability 1/V, so the mean nll is log V and perplexity = exp(log V): "
            "a perplexity of k means 'as unsure as a fair choice among k words'.")
    if close(answer, vocab_size - NUM_SPECIALS, rel=0, abs_=0.25):
        hint = (f"{vocab_size - NUM_SPECIALS:,} leaves out the {NUM_SPECIALS} special tokens: the model's softmax "
                "also gives <pad>, <unk>, <s> and </s> a share, so V = len(vocab). " + hint)
    return report(close(answer, vocab_size, rel=0, abs_=0.25), exercise="7.2", quiet=quiet, hint=hint)


def _fixed_lm_batch(seed: int = 0) -> tuple[Any, Any]:
    """Padded id sequences <s> w_1 … w_n </s> 0 … [B, L+1] and logits [B, L, V] for the inputs ids[:, :-1]."""
    import numpy as np

    rng = np.random.default_rng(seed)
    vocab_size, lengths = 12, (6, 3, 1)
    ids = np.zeros((len(lengths), max(lengths) + 2), dtype="int32")
    for row, n in enumerate(lengths):
        ids[row, : n + 2] = [2, *rng.integers(NUM_SPECIALS, vocab_size, size=n), 3]
    logits = rng.normal(size=(len(lengths), ids.shape[1] - 1, vocab_size)).astype("float32")
    return ids, logits


def next_word_loss_reference(ids: Any, logits: Any) -> Any:
    """Mean next-word NLL: position t predicts ids[:, t + 1]; padding targets (id 0) are left out. The same
    loss as the trainer's on data.make_dataset batches (input [BOS]+w, target w+[EOS], weight 0 on padding)."""
    import keras
    import tensorflow as tf

    targets = ids[:, 1:]
    weights = tf.cast(targets != 0, "float32")
    token_nll = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    return tf.reduce_sum(token_nll * weights) / tf.reduce_sum(weights)


@attempt_first("7.4")
def check_next_word_loss(answer: Any, *, quiet: bool = False) -> bool:
    """Exercise 7.4 (build): ``answer(ids, logits)`` returns the mean next-word NLL of a padded batch. Run on a
    fixed batch against :func:`next_word_loss_reference`; compares the value and the gradient with respect to
    the logits, and names the usual slips (no shift, padding counted, a sum instead of a mean, NumPy inside)."""
    import keras
    import numpy as np
    import tensorflow as tf

    if not callable(answer):
        raise ValueError("answer_7_4 must be your function next_word_loss(ids, logits), not a "
                         f"{type(answer).__name__}: assign the function itself (no call, no quotes).")
    ids, logits = _fixed_lm_batch()
    logits = tf.Variable(logits)
    with tf.GradientTape(persistent=True) as tape:
        given = answer(tf.constant(ids), logits)
        if given is None or given is Ellipsis:
            return attempt_first("7.4")(lambda *_, **__: False)(None, quiet=quiet)
        expected = next_word_loss_reference(tf.constant(ids), logits)
    try:
        value = float(np.asarray(given))
    except (TypeError, ValueError):
        return report(False, exercise="7.4", quiet=quiet, hint=f"return one number (a scalar tensor), got an "
                      f"array of shape {np.shape(given)}: average the token losses over the real targets.")
    if close(value, float(expected), rel=1e-4, abs_=1e-6):
        gradient = tape.gradient(given, logits) if tf.is_tensor(given) else None
        if gradient is None:
            return report(False, exercise="7.4", quiet=quiet, hint="the value is right, but no gradient reaches the "
                          "logits: compute it with keras.ops / tf (not NumPy or float()), so that training can use it.")
        if not np.allclose(gradient, tape.gradient(expected, logits), rtol=1e-4, atol=1e-7):
            return report(False, exercise="7.4", quiet=quiet, hint="the value is right but the gradient differs: "
                          "is some part of the loss wrapped in tf.stop_gradient?")
        return report(True, exercise="7.4", quiet=quiet, hint="")
    targets, real = ids[:, 1:], ids[:, 1:] != 0
    token_nll = np.asarray(keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True))
    unshifted = np.asarray(keras.losses.sparse_categorical_crossentropy(ids[:, :-1], logits, from_logits=True))
    slips = {float(token_nll.mean()): "the padding positions are averaged in: give targets with id 0 weight 0.",
             float(token_nll[real].sum()): "that is the SUM over tokens: divide by the number of real targets.",
             float(unshifted[ids[:, :-1] != 0].mean()): "your targets are not shifted: position t must predict the "
                                                        "NEXT id, ids[:, t + 1], not the one it reads."}
    hint = next((slip for number, slip in slips.items() if close(value, number, rel=1e-4, abs_=1e-6)),
                f"your loss is {value:.4f}, the next-word NLL of this batch is {float(expected):.4f}.")
    return report(False, exercise="7.4", quiet=quiet, hint=hint + " targets = ids[:, 1:], weight = (targets != 0), "
                  "sparse_categorical_crossentropy(from_logits=True), then Σ(loss·weight)/Σ weight.")
