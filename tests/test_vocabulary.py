"""mtl_helpers.vocabulary: words and characters to ids, from the TRAIN splits only."""
from __future__ import annotations

import json

import numpy as np

from mtl_helpers import data
from mtl_helpers.data import CharVocabulary, Vocabulary


def test_vocabulary_uses_train_words_only():
    tasks = data.load_tasks(["chunk", "sentiment"], max_sentences=300)
    vocab = Vocabulary.from_tasks(tasks)
    train_words = {w.lower() for t in tasks.values() for s in t.train.tokens for w in s}
    assert set(vocab.tokens[4:]) == train_words
    unseen = {w for t in tasks.values() for s in t.dev.tokens + t.test.tokens for w in s} - train_words
    unseen = {w for w in unseen if w.lower() not in train_words}
    assert unseen, "dev/test of these corpora do contain words not in train"
    assert all(w not in vocab for w in unseen)
    assert vocab.encode(sorted(unseen)[:5]) == [Vocabulary.OOV] * 5
    assert any(any(c.isupper() for w in s for c in w) for s in tasks["chunk"].train.tokens)  # case kept


def test_vocabulary_order_specials_min_count_and_config():
    sentences = [["b", "a", "A", "c"], ["a", "b", "d"]]
    vocab = Vocabulary.build(sentences)
    assert vocab.tokens == ["<pad>", "<unk>", "<s>", "</s>", "a", "b", "c", "d"]  # count desc, then alphabetical
    assert (Vocabulary.PAD, Vocabulary.OOV, Vocabulary.BOS, Vocabulary.EOS) == (0, 1, 2, 3)
    assert vocab.encode(["A", "zzz", "d"]) == [4, 1, 7] and vocab.decode([4, 1]) == ["a", "<unk>"]
    assert Vocabulary.build(sentences, min_count=2).tokens[4:] == ["a", "b"]
    cased = Vocabulary.build(sentences, lowercase=False)
    assert "A" in cased and "a" in cased and cased.encode(["A"]) != cased.encode(["a"])
    assert Vocabulary.build(sentences, max_size=1).tokens[4:] == ["a"]
    again = Vocabulary.from_config(json.loads(json.dumps(vocab.to_config())))
    assert again.tokens == vocab.tokens and len(again) == 8 and "<pad>" not in again


def test_char_vocabulary():
    chars = CharVocabulary.build([["Ab", "abc"]], max_word_length=3)
    assert chars.chars[:2] == ["<pad>", "<unk>"] and len(chars) == 6  # A, a, b, c: case kept
    ids = chars.encode(["abcd", "Z"])
    assert ids.shape == (2, 3) and ids.dtype == np.int32
    assert ids[1].tolist() == [CharVocabulary.OOV, 0, 0]
    assert CharVocabulary.from_config(chars.to_config()).chars == chars.chars


# ------------------------------------------------------------------------------------------ batching
