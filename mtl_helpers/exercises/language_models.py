"""Language models (notebook 07): perplexity and its baselines."""
from __future__ import annotations

import math
from typing import Any

from mtl_helpers.exercises.core import attempt_first, close, report


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
    """Exercise 7.2: the perplexity of a model that gives every one of ``vocab_size`` words the same probability."""
    return report(close(answer, vocab_size, rel=1e-3), exercise="7.2", quiet=quiet,
                  hint="each token has probability 1/V, so the mean nll is log V and perplexity = exp(log V): "
                       "a perplexity of k means 'as unsure as a fair choice among k words'.")
