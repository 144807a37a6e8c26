"""Tests of mtl_helpers.baselines: the trivial taggers and classifiers, and the count-based LM perplexities."""
import math

import pytest

from mtl_helpers import baselines, data

BOS, EOS = data.Vocabulary.BOS, data.Vocabulary.EOS


def test_unigram_perplexity_is_add_one_counts_by_hand():
    train, dev = [[4, 5, 6], [4, 5, 7]], [[4, 6]]
    outcomes = 8
    counts = {4: 2, 5: 2, 6: 1, 7: 1, EOS: 2}  # every word, then </s> once per sentence
    total = sum(counts.values())
    nll = -sum(math.log((counts.get(w, 0) + 1) / (total + outcomes)) for w in (4, 6, EOS)) / 3
    assert baselines.ngram_perplexity(train, dev, outcomes, order=1) == pytest.approx(math.exp(nll))


def test_bigram_uses_the_previous_word_and_backs_off_to_the_unigram():
    train = [[4, 5], [4, 5], [6, 7]] * 20
    unigram = baselines.ngram_perplexity(train, [[4, 5]], 8, order=1)
    bigram = baselines.ngram_perplexity(train, [[4, 5]], 8, order=2)
    assert bigram < unigram / 2  # "5" always follows "4": the bigram is nearly sure of it
    # a context never seen in training (5 -> 6) falls back to the unigram: still a finite perplexity
    assert math.isfinite(baselines.ngram_perplexity(train, [[7, 4]], 8, order=2))
    # Witten-Bell by hand for the first pair (<s>, 4): <s> seen 60 times, followed by 2 different ids
    counts_total = 60 * 2 + 60  # words + one </s> per sentence
    p_unigram = (40 + 1) / (counts_total + 8)
    trust = 60 / (60 + 2)
    p = trust * 40 / 60 + (1 - trust) * p_unigram
    p5 = 40 / 40 * (40 / 41) + (1 / 41) * (40 + 1) / (counts_total + 8)  # "4" seen 40 times, always then "5"
    p_end = (40 / 41) * 40 / 40 + (1 / 41) * (60 + 1) / (counts_total + 8)  # "5" then </s>
    assert bigram == pytest.approx(math.exp(-(math.log(p) + math.log(p5) + math.log(p_end)) / 3))


@pytest.mark.parametrize(("args", "message"), [
    (([[4]], [[4]], 8, 3), "order must be 1"),
    (([], [[4]], 8, 2), "needs training and dev"),
    (([[9]], [[4]], 8, 2), "outside 0..7"),
])
def test_ngram_perplexity_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        baselines.ngram_perplexity(*args)
