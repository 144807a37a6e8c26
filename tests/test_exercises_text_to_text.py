"""Checkers of notebook 10 accept the right answer and reject the usual wrong ones."""
import numpy as np

from mtl_helpers import exercises


def test_sentiment_format():
    check = exercises.check_sentiment_format
    assert check(lambda tokens, label: (["sentiment:", *tokens], [label]), quiet=True)
    assert not check(None, quiet=True)
    assert not check(lambda tokens, label: (list(tokens), [label]), quiet=True)  # no prefix
    assert not check(lambda tokens, label: (["sentiment", *tokens], [label]), quiet=True)  # no colon
    assert not check(lambda tokens, label: (["sentiment:", *tokens], label), quiet=True)  # a string, not a list
    assert not check(lambda tokens, label: (["sentiment:", *tokens], [label, *tokens]), quiet=True)
    assert not check(lambda tokens: tokens, quiet=True)  # raises
    assert not check("sentiment:", quiet=True)


def test_sentiment_format_hints(capsys):
    exercises.check_sentiment_format(lambda tokens, label: (list(tokens), [label]))
    assert "prefix" in capsys.readouterr().out


def test_causal_mask():
    check = exercises.check_causal_mask
    right = np.tril(np.ones((5, 5), bool))
    assert check(right, 5, quiet=True)
    assert not check(None, 5, quiet=True)
    for wrong in (right.T, np.tril(right, -1), right.astype(int), right[:4, :4], np.ones((5, 5), bool)):
        assert not check(wrong, 5, quiet=True)


def test_constrained_choice():
    tokens = ["<pad>", "<unk>", "<s>", "</s>", "pos", "neg", "sea", "food", "a", "b"]
    check = exercises.check_constrained_choice
    assert check(lambda logits, allowed: max(allowed, key=lambda w: logits[tokens.index(w)]), tokens, quiet=True)
    assert not check(None, tokens, quiet=True)
    assert not check(lambda logits, allowed: tokens[int(np.argmax(logits))], tokens, quiet=True)  # whole vocabulary
    assert not check(lambda logits, allowed: allowed[0], tokens, quiet=True)
    assert not check(lambda logits, allowed: tokens.index(max(allowed, key=lambda w: logits[tokens.index(w)])),
                     tokens, quiet=True)  # an id, not the word
