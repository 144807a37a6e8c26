"""Text to text (notebook 10): a task written as text, the causal mask, and a constrained answer."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mtl_helpers.exercises.core import attempt_first, report

FORMAT_CASES: tuple[tuple[list[str], str], ...] = (
    (["vi", "buno", "topa", "firara", "Mobano", "."], "pos"),
    (["Kalo", "sele", "du", "mira", "."], "neg"),
)


@attempt_first("10.1")
def check_sentiment_format(answer: Any, *, quiet: bool = False) -> bool:
    """10.1: a function (tokens, label) -> (source words, answer words) writing a sentiment example as text."""
    from mtl_helpers import text_to_text as tt

    if not callable(answer):
        return report(False, exercise="10.1", quiet=quiet,
                      hint="answer is a function: def to_text(tokens, label): return source_words, answer_words.")
    hint = ""
    for tokens, label in FORMAT_CASES:
        expected = tt.format_example("toy_sentiment", tokens, label)
        try:
            source, target = answer(list(tokens), label)
            source, target = list(source), list(target)
        except Exception as error:  # noqa: BLE001 -- any failure of the student's function is a wrong answer
            hint = f"calling it on {tokens} raised {type(error).__name__}: {error}."
            break
        if source == list(tokens):
            hint = "the source has no task prefix: the model cannot tell which task to do. Start it with 'sentiment:'."
        elif source[1:] == list(tokens) and source[0] != expected[0][0]:
            hint = f"the prefix is {source[0]!r}; the model was trained with {expected[0][0]!r} (colon included)."
        elif source != expected[0]:
            hint = "the source is the prefix followed by the sentence's words, unchanged and in order."
        elif target == [label, *tokens] or target == list(tokens):
            hint = "the answer is only what the model must write: the label, not the sentence again."
        elif target != expected[1]:
            hint = f"the answer is a list of one word, the label itself: {[label]}, not {target!r}."
        if hint:
            break
    return report(not hint, exercise="10.1", quiet=quiet, hint=hint)


@attempt_first("10.2")
def check_causal_mask(answer: Any, length: int, *, quiet: bool = False) -> bool:
    """10.2: the (length, length) boolean mask where position i may attend to position j exactly when j <= i."""
    if length < 2:
        raise ValueError(f"length must be >= 2 so that a mask can be wrong, got {length}.")
    expected = np.tril(np.ones((length, length), bool))
    try:
        given = np.asarray(answer)
    except (TypeError, ValueError):
        given = np.zeros(0)
    if given.shape != expected.shape:
        hint = f"the mask has shape {given.shape}; it is (length, length) = {expected.shape}: queries × keys."
    elif given.dtype != bool:
        hint = "make it a bool array (True = may attend): np.tril(np.ones((n, n), bool))."
    elif (given == expected.T).all():
        hint = "this lets each position see the FUTURE (upper triangle); a decoder sees itself and the past."
    elif (given == np.tril(expected, -1)).all():
        hint = "the diagonal is missing: a position may attend to itself (the first one has nothing else)."
    elif (given == expected).all():
        hint = ""
    else:
        hint = "row i is True in columns 0..i and False after: a lower triangle, diagonal included."
    return report(not hint, exercise="10.2", quiet=quiet, hint=hint)


@attempt_first("10.3")
def check_constrained_choice(answer: Any, vocab_tokens: Sequence[str], *, quiet: bool = False) -> bool:
    """10.3: a function (logits, allowed words) -> the allowed word with the highest logit."""
    if not callable(answer):
        return report(False, exercise="10.3", quiet=quiet,
                      hint="answer is a function: def choose(logits, allowed): return the best allowed word.")
    tokens = list(vocab_tokens)
    rng = np.random.default_rng(0)
    hint = ""
    for _ in range(5):
        logits = rng.normal(size=len(tokens)).astype(np.float32)
        allowed = [tokens[i] for i in rng.choice(np.arange(4, len(tokens)), size=2, replace=False)]
        expected = max(allowed, key=lambda w: logits[tokens.index(w)])
        best_any = tokens[int(np.argmax(logits))]
        try:
            got = answer(logits, allowed)
        except Exception as error:  # noqa: BLE001 -- any failure of the student's function is a wrong answer
            hint = f"it raised {type(error).__name__}: {error}."
            break
        if got == expected:
            continue
        if isinstance(got, (int, np.integer)):
            hint = "return the word (a string from allowed), not its id."
        elif got == best_any:
            hint = "that is the best word of the whole vocabulary; take the maximum over the allowed words only."
        else:
            hint = "of the allowed words, return the one whose logit (logits[vocab index]) is largest."
        break
    return report(not hint, exercise="10.3", quiet=quiet, hint=hint)
