"""Tests for mtl_helpers.heads: every head's logits shape, pooling over real tokens only, the bidirectional
language-model head and the decoder, neither of which peeks."""
from __future__ import annotations

import numpy as np
import pytest
from tiny_models import SMALL, VOCAB, batch, build_model, encoder, every_head_model, round_trip

from mtl_helpers.models import TaskSpec


@pytest.fixture(scope="module", params=["bilstm", "transformer"])
def every_head(request):
    return every_head_model(request.param)


def test_every_head_returns_logits_of_the_contract_shape(every_head):
    model, chars = every_head
    x = batch(chars=chars)
    out = model(x)
    assert out["cls"].shape == (3, 3)
    assert out["tag"].shape == (3, 6, 4)
    assert out["lm"].shape == (3, 6, VOCAB)
    assert out["mt"].shape == (3, 4, 7)
    for name in model.task_names:  # task_call gives the same numbers as the all-heads call
        np.testing.assert_allclose(model.task_call(x, name), out[name], atol=1e-6)


def test_masked_pooling_ignores_padding(every_head):
    model, chars = every_head
    x = batch(chars=chars)
    padded = {k: v.copy() for k, v in x.items()}
    padded["tokens"] = np.pad(x["tokens"], ((0, 0), (0, 4)))
    if chars:
        padded["chars"] = np.pad(x["chars"], ((0, 0), (0, 4), (0, 0)))
    for name in ("cls", "mt"):  # pooled classification; decoder init state + attention over encoder states
        np.testing.assert_allclose(model.task_call(x, name), model.task_call(padded, name), atol=1e-5)


@pytest.mark.parametrize("pooling", ["max", "mean_max"])
def test_max_pooling_heads_ignore_padding_andround_trip(pooling, tmp_path):
    tasks = [TaskSpec("cls", "classification", 3, pooling=pooling), TaskSpec("tag", "tagging", 4)]
    model = build_model(tasks, encoder(word_dropout=0.2), sharing="hard", seed=1)  # word dropout: saved too
    x = batch(decoder=False)
    padded = {"tokens": np.pad(x["tokens"], ((0, 0), (0, 4)))}
    np.testing.assert_allclose(model.task_call(x, "cls"), model.task_call(padded, "cls"), atol=1e-5)
    width = 2 * SMALL["hidden_units"] * (2 if pooling == "mean_max" else 1)
    assert model.task_heads[0].out.kernel.shape == (width, 3)
    round_trip(model, x, tmp_path / "pooled.keras")


@pytest.mark.parametrize("chars", [False, True])
def test_bidirectional_lm_sees_only_one_side_per_direction(chars, tmp_path):
    """Direction 0 (next word) reads tokens 0..t only, direction 1 (previous word) tokens t..n only, through
    two stacked layers; both use the same output layer, which may predict fewer ids than the vocabulary."""
    tasks = [TaskSpec("lm", "lm", 12, bidirectional=True), TaskSpec("tag", "tagging", 4)]
    model = build_model(tasks, encoder(num_layers=2, **({"char_vocab_size": 10} if chars else {})), seed=3)
    tokens = np.array([[2, 5, 6, 7, 8, 9, 10]], "int32")
    t = 3
    later, earlier = tokens.copy(), tokens.copy()
    later[0, t + 1:], earlier[0, 1:t] = [15, 16, 17], [18, 19]
    extra = {"chars": np.ones((1, 7, 2), "int32")} if chars else {}
    logits = {name: np.asarray(model.task_call({"tokens": x, **extra}, "lm"))
              for name, x in (("base", tokens), ("later", later), ("earlier", earlier))}
    assert logits["base"].shape == (1, 7, 2, 12)
    np.testing.assert_allclose(logits["base"][:, : t + 1, 0], logits["later"][:, : t + 1, 0], atol=1e-5)
    np.testing.assert_allclose(logits["base"][:, t:, 1], logits["earlier"][:, t:, 1], atol=1e-5)
    assert not np.allclose(logits["base"][:, t + 1:, 0], logits["later"][:, t + 1:, 0])
    assert not np.allclose(logits["base"][:, :t, 1], logits["earlier"][:, :t, 1])
    assert len(model.task_heads[0].trainable_weights) == 2  # one output layer (kernel, bias) for both directions
    round_trip(model, {"tokens": tokens, **extra}, tmp_path / "bidirectional.keras")


def test_decoder_does_not_peek_at_later_target_words(every_head):
    model, chars = every_head
    x = batch(chars=chars)
    y = {**x, "decoder_tokens": x["decoder_tokens"].copy()}
    y["decoder_tokens"][:, 2:] = 6
    a, b = np.asarray(model.task_call(x, "mt")), np.asarray(model.task_call(y, "mt"))
    np.testing.assert_allclose(a[:, :2], b[:, :2], atol=1e-6)
