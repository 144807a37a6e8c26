"""Tests for mtl_helpers.embeddings: PPMI-SVD vectors from unlabelled text, copied into a model."""
from __future__ import annotations

import nltk
import numpy as np
import pytest

from mtl_helpers import config, data, embeddings
from mtl_helpers.data import CorpusMissingError
from mtl_helpers.models import EncoderConfig, TaskSpec, build_model

# Two families of words that share contexts: animals that sit and sleep, vehicles that drive and park.
_TEXT = [s.split() for s in ("the cat sat down", "the dog sat down", "a cat sleeps here", "a dog sleeps here",
                             "my car drove off", "my truck drove off", "one car parks there",
                             "one truck parks there")] * 20


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_ppmi_svd_puts_words_with_shared_contexts_together():
    words = ["cat", "dog", "car", "truck", "zebra"]
    vectors, found = embeddings.ppmi_svd(_TEXT, words, dim=4, window=2, contexts=30)
    assert vectors.shape == (5, 4) and vectors.dtype == np.float32
    assert found.tolist() == [True, True, True, True, False]  # zebra never occurs
    assert np.allclose(np.linalg.norm(vectors[:4], axis=1), 1.0, atol=1e-5) and not vectors[4].any()
    assert _cos(vectors[0], vectors[1]) > 0.9 > _cos(vectors[0], vectors[2]) + 0.5
    assert _cos(vectors[2], vectors[3]) > 0.9
    again, _ = embeddings.ppmi_svd(_TEXT, words, dim=4, window=2, contexts=30)
    assert np.array_equal(vectors, again)  # seeded SVD: the same vectors every time


def test_ppmi_svd_rejects_bad_sizes():
    with pytest.raises(ValueError, match="fewer than dim"):
        embeddings.ppmi_svd(_TEXT, ["cat"], dim=100)
    with pytest.raises(ValueError, match="contexts >= dim"):
        embeddings.ppmi_svd(_TEXT, ["cat"], dim=8, contexts=4)
    with pytest.raises(ValueError, match="no words"):
        embeddings.ppmi_svd(_TEXT, [], dim=2)


def test_set_word_vectors_fills_every_tower_and_keeps_unfound_rows():
    specs = [TaskSpec("a", "classification", 2), TaskSpec("b", "tagging", 3)]
    model = build_model(specs, EncoderConfig(10, embedding_dim=4, hidden_units=3, num_layers=1), sharing="soft")
    before = [np.array(b.word.embeddings.numpy()) for b in model.embedding_blocks]
    vectors = np.arange(40, dtype=np.float32).reshape(10, 4)
    found = np.zeros(10, bool)
    found[[4, 7]] = True
    assert embeddings.set_word_vectors(model, vectors, found, scale=0.5) == 2
    assert len(model.embedding_blocks) == 2  # soft sharing: one embedding per task tower
    for block, old in zip(model.embedding_blocks, before):
        table = block.word.embeddings.numpy()
        assert np.array_equal(table[[4, 7]], 0.5 * vectors[[4, 7]])
        assert np.array_equal(table[~found], old[~found])
    with pytest.raises(ValueError, match="do not match the embedding"):
        embeddings.set_word_vectors(model, vectors[:, :3], found)


def test_word_vectors_from_nltk_text_know_movie_words():
    vocab = data.Vocabulary(["good", "great", "bad", "table", "qqqzzz"])
    vectors, found = embeddings.word_vectors(vocab, dim=32)
    ids = {w: vocab.tokens.index(w) for w in ("good", "great", "bad", "table", "qqqzzz")}
    assert not found[: len(data.Vocabulary.SPECIALS)].any() and not found[ids["qqqzzz"]]
    assert found[[ids["good"], ids["great"], ids["table"]]].all()
    assert _cos(vectors[ids["good"]], vectors[ids["great"]]) > _cos(vectors[ids["good"]], vectors[ids["table"]])
    with pytest.raises(ValueError, match="lowercase=True"):
        embeddings.word_vectors(data.Vocabulary(["Good"], lowercase=False), dim=8)


def test_missing_text_corpus_names_the_download_command(tmp_path, monkeypatch):
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(CorpusMissingError, match="mtl_helpers.data download"):
        data.unlabeled_sentences.__wrapped__(("movie_reviews",))  # past the per-process cache
    with pytest.raises(ValueError, match="unknown unlabelled corpus"):
        data.unlabeled_sentences.__wrapped__(("gutenberg",))


def test_notebook_setup_reports_a_missing_text_corpus_at_the_top(tmp_path, monkeypatch, capsys):
    config.notebook_setup(seed=0, text_corpora=["movie_reviews"])
    assert "Data present for: movie_reviews" in capsys.readouterr().out
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(RuntimeError, match="(?s)movie_reviews.*mtl_helpers.data download"):
        config.notebook_setup(seed=0, text_corpora=["movie_reviews"])
