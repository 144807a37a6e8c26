"""Vocabularies: words (and characters) to ids, built from the TRAIN splits only, so that a dev or test word the
model never saw becomes ``<unk>``, as it would for a real user's sentence."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np

from mtl_helpers.tasks import TaskData

MAX_WORD_LENGTH: int = 16  # characters kept per word for character features


def _train_sentences(tasks: Iterable[TaskData] | Mapping[str, TaskData]) -> list[list[str]]:
    """Input tokens of the TRAIN splits (seq2seq targets excluded)."""
    values = tasks.values() if isinstance(tasks, Mapping) else tasks
    return [s for task in values for s in task.train.tokens]


class Vocabulary:
    """Word <-> id map shared by the tasks of an experiment. Ids 0..3 are <pad>, <unk>, <s>, </s>."""

    PAD, OOV, BOS, EOS = 0, 1, 2, 3
    SPECIALS: tuple[str, ...] = ("<pad>", "<unk>", "<s>", "</s>")

    def __init__(self, tokens: list[str], lowercase: bool = True):
        """``tokens``: the real words in id order (they get ids 4, 5, ...)."""
        words = list(tokens)
        clash = [w for w in words if w in self.SPECIALS]
        if clash or len(set(words)) != len(words):
            raise ValueError(f"vocabulary words must be unique and not special tokens; found "
                             f"{clash or [w for w, c in Counter(words).items() if c > 1][:5]}; deduplicate them.")
        self.lowercase = bool(lowercase)
        self.tokens: list[str] = list(self.SPECIALS) + words
        self._ids = {w: i for i, w in enumerate(self.tokens)}

    @classmethod
    def build(cls, sentences: Iterable[list[str]], *, min_count: int = 1, max_size: int | None = None,
              lowercase: bool = True) -> Vocabulary:
        """Words seen at least ``min_count`` times, most frequent first (ties alphabetical).

        max_size: at most this many real words (the 4 specials come on top).
        """
        if isinstance(min_count, bool) or not isinstance(min_count, Integral) or min_count < 1:
            raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}; pass e.g. min_count=2.")
        if max_size is not None and (not isinstance(max_size, Integral) or max_size < 1):
            raise ValueError(f"max_size must be a positive integer or None, got {max_size!r}.")
        counts: Counter[str] = Counter()
        n_sentences = 0
        for sentence in sentences:
            n_sentences += 1
            counts.update(w.lower() if lowercase else w for w in sentence)
        if not counts:
            raise ValueError(f"cannot build a vocabulary from no words ({n_sentences} sentences); "
                             "pass the train tokens of at least one non-empty task.")
        for special in cls.SPECIALS:
            counts.pop(special, None)
        words = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
        return cls(words[:max_size] if max_size is not None else words, lowercase=lowercase)

    @classmethod
    def from_tasks(cls, tasks: Iterable[TaskData] | Mapping[str, TaskData], **kw: Any) -> Vocabulary:
        """Vocabulary of the TRAIN splits of ``tasks`` (dev/test and seq2seq targets are never read)."""
        return cls.build(_train_sentences(tasks), **kw)

    def _norm(self, word: str) -> str:
        return word.lower() if self.lowercase else word

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Ids of ``tokens``; unknown words -> OOV (1)."""
        return [self._ids.get(self._norm(w), self.OOV) for w in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Words of ``ids`` (specials included as "<pad>", "<unk>", ...)."""
        return [self.tokens[int(i)] for i in ids]

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, word: object) -> bool:
        """True for real vocabulary words (after lowercasing if the vocabulary does); False for specials."""
        return isinstance(word, str) and self._norm(word) in self._ids and self._norm(word) not in self.SPECIALS

    def to_config(self) -> dict:
        """JSON-able description, to save beside a model."""
        return {"tokens": self.tokens[len(self.SPECIALS):], "lowercase": self.lowercase}

    @classmethod
    def from_config(cls, d: dict) -> Vocabulary:
        return cls(d["tokens"], lowercase=d.get("lowercase", True))

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} ids, lowercase={self.lowercase})"


class CharVocabulary:
    """Character <-> id map for character features of words. Ids 0, 1 are <pad>, <unk>; case kept."""

    PAD, OOV = 0, 1
    SPECIALS: tuple[str, ...] = ("<pad>", "<unk>")

    def __init__(self, chars: list[str], max_word_length: int = MAX_WORD_LENGTH):
        """``chars``: single characters in id order (ids 2, 3, ...); words are cut at ``max_word_length``."""
        if any(len(c) != 1 for c in chars) or len(set(chars)) != len(chars):
            raise ValueError("chars must be unique single characters; deduplicate them.")
        if not isinstance(max_word_length, Integral) or max_word_length < 1:
            raise ValueError(f"max_word_length must be a positive integer, got {max_word_length!r}; e.g. 16.")
        self.max_word_length = int(max_word_length)
        self.chars: list[str] = list(self.SPECIALS) + list(chars)
        self._ids = {c: i for i, c in enumerate(self.chars)}

    @classmethod
    def build(cls, sentences: Iterable[list[str]], *, min_count: int = 1,
              max_word_length: int = MAX_WORD_LENGTH) -> CharVocabulary:
        """Characters seen at least ``min_count`` times, most frequent first (ties by code point)."""
        counts: Counter[str] = Counter(c for sentence in sentences for word in sentence for c in word)
        if not counts:
            raise ValueError("cannot build a character vocabulary from no words; pass non-empty train tokens.")
        chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
        return cls(chars, max_word_length=max_word_length)

    @classmethod
    def from_tasks(cls, tasks: Iterable[TaskData] | Mapping[str, TaskData], **kw: Any) -> CharVocabulary:
        """Character vocabulary of the TRAIN splits of ``tasks``."""
        return cls.build(_train_sentences(tasks), **kw)

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """int32 [len(tokens), max_word_length]: char ids of each word's first characters, 0-padded."""
        out = np.zeros((len(tokens), self.max_word_length), dtype=np.int32)
        for i, word in enumerate(tokens):
            ids = [self._ids.get(c, self.OOV) for c in word[: self.max_word_length]]
            out[i, : len(ids)] = ids
        return out

    def __len__(self) -> int:
        return len(self.chars)

    def to_config(self) -> dict:
        return {"chars": self.chars[len(self.SPECIALS):], "max_word_length": self.max_word_length}

    @classmethod
    def from_config(cls, d: dict) -> CharVocabulary:
        return cls(d["chars"], max_word_length=d.get("max_word_length", MAX_WORD_LENGTH))
