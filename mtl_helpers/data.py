"""Tasks, vocabulary and batching: every notebook gets its data through this module.

Real corpora are read with NLTK's corpus readers (nothing is copied into the repository); the toy
language comes from ``mtl_helpers.toy``. A task is a :class:`TaskData` with three :class:`Split` s of
original tokens and string labels; :class:`Vocabulary` turns words into ids (built from TRAIN splits
only, so dev/test words the model never saw become ``<unk>``); :func:`make_dataset` makes a
``tf.data.Dataset`` of padded, length-bucketed batches.

Where corpora are looked for (first hit wins): ``$NLTK_DATA``, the project folder
``<repo>/data/nltk_data`` (git-ignored, filled by ``python -m mtl_helpers.data download``), NLTK's
default folders.

Command line::

    python -m mtl_helpers.data list [--format table|csv]   # every task with its real (full) sizes
    python -m mtl_helpers.data download                    # fetch missing corpora into data/nltk_data
    python -m mtl_helpers.data check                       # which corpora are present, and where
"""
from __future__ import annotations

import argparse
import functools
import math
import os
import sys
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nltk
import numpy as np

from mtl_helpers import config, toy
from mtl_helpers.tasks import KINDS, SPLITS, Split, TaskData, check_split  # noqa: F401  (data.X for callers)

if TYPE_CHECKING:
    import tensorflow as tf


CORPUS_TASKS: tuple[str, ...] = ("sentiment", "subjectivity", "pos", "chunk", "ner_es", "ner_nl", "pos_es", "pos_nl",
                                 "review_polarity")
TOY_TASK_NAMES: tuple[str, ...] = ("toy_topic", "toy_sentiment", "toy_ner", "toy_roles", "toy_translate")
TASK_NAMES: tuple[str, ...] = CORPUS_TASKS + ("lm",) + TOY_TASK_NAMES

# NLTK package name of every corpus this module reads.
CORPORA: tuple[str, ...] = ("sentence_polarity", "subjectivity", "conll2000", "conll2002")
# Unlabelled English text for embeddings.word_vectors and language-model pretraining (lm_sources).
TEXT_CORPORA: tuple[str, ...] = ("movie_reviews", "brown")

PROJECT_NLTK_DATA: Path = Path(__file__).resolve().parents[1] / "data" / "nltk_data"
DOWNLOAD_COMMAND = "python -m mtl_helpers.data download"

FAST_CAPS: tuple[int, int, int] = (800, 200, 200)  # train/dev/test cap for corpora in fast mode
TOY_SIZE: int = 3000  # toy sentences (all splits) when toy_size is None ...
TOY_SIZE_FAST: int = 1000  # ... and in fast mode (unless full=True)
MAX_WORD_LENGTH: int = 16  # characters kept per word for character features
BUCKET_WINDOW_BATCHES: int = 50  # length bucketing sorts within windows of this many batches

# name -> (kind, corpus, description); lm and toy tasks are described where they are built.
_CORPUS_INFO: dict[str, tuple[str, str, str]] = {
    "sentiment": ("classification", "sentence_polarity", "Movie-review sentence polarity, pos/neg (Pang & Lee 2005)"),
    "subjectivity": ("classification", "subjectivity", "Subjective vs objective sentences, subj/obj (Pang & Lee 2004)"),
    "pos": ("tagging", "conll2000", "English part-of-speech tags, WSJ text (CoNLL-2000)"),
    "chunk": ("tagging", "conll2000", "English syntactic chunks, BIO over 11 phrase types (CoNLL-2000)"),
    "ner_es": ("tagging", "conll2002", "Spanish named entities, BIO over PER/LOC/ORG/MISC (CoNLL-2002)"),
    "ner_nl": ("tagging", "conll2002", "Dutch named entities, BIO over PER/LOC/ORG/MISC (CoNLL-2002)"),
    "pos_es": ("tagging", "conll2002", "Spanish part-of-speech tags (CoNLL-2002)"),
    "pos_nl": ("tagging", "conll2002", "Dutch part-of-speech tags (CoNLL-2002)"),
    "review_polarity": ("classification", "movie_reviews",
                        "Sentences of 2,000 IMDb movie reviews, each labelled with its review's polarity, pos/neg "
                        "(Pang & Lee 2004): more, noisier sentiment labels in the domain of MR"),
}


def _add_project_path() -> None:
    """Put <repo>/data/nltk_data into nltk.data.path right after the $NLTK_DATA folders."""
    project = str(PROJECT_NLTK_DATA)
    if project in nltk.data.path:
        return
    env = [p for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
    position = 0
    while position < len(nltk.data.path) and nltk.data.path[position] in env:
        position += 1
    nltk.data.path.insert(position, project)


_add_project_path()


class CorpusMissingError(LookupError):
    """An NLTK corpus that a task needs is not installed in any searched folder."""

    def __init__(self, corpus: str):
        self.corpus = corpus
        searched = "\n  ".join(str(p) for p in nltk.data.path)
        super().__init__(
            f"NLTK corpus {corpus!r} not found. Install it with:\n"
            f"    {DOWNLOAD_COMMAND}\n"
            f"(or in Python: import nltk; nltk.download({corpus!r}, download_dir={str(PROJECT_NLTK_DATA)!r}),\n"
            f"or point NLTK_DATA at a folder that holds corpora/{corpus}.zip). Searched:\n  {searched}"
        )


class CorpusDamagedError(CorpusMissingError):
    """A corpus zip that is there but cannot be read (an interrupted download leaves a truncated file).

    A CorpusMissingError too, so every place that reports a missing corpus reports this one, and
    ``python -m mtl_helpers.data download`` fetches it again."""

    def __init__(self, corpus: str, path: str | None):
        self.corpus, self.path = corpus, path
        where = path or f"corpora/{corpus}.zip in one of {[str(p) for p in nltk.data.path]}"
        LookupError.__init__(
            self,
            f"NLTK corpus {corpus!r} is damaged: {where} is not a readable zip file (an interrupted download?). "
            f"Fetch it again with:\n"
            f"    {DOWNLOAD_COMMAND}\n"
            f"(it replaces the damaged file; or delete that file and copy a good {corpus}.zip there)."
        )


def _damaged_zip(corpus: str) -> str | None:
    """The first corpora/<corpus>.zip on nltk.data.path that is not a readable zip file (None if none is)."""
    for folder in nltk.data.path:
        candidate = Path(folder) / "corpora" / f"{corpus}.zip"
        if candidate.is_file() and not zipfile.is_zipfile(candidate):
            return str(candidate)
    return None


# --------------------------------------------------------------------------------------------------
# Data classes (Split and TaskData: mtl_helpers.tasks)
# --------------------------------------------------------------------------------------------------
@dataclass
class EncodedSplit:
    """A split as id arrays (one array per sentence, ragged): what :func:`make_dataset` batches.

    classification: ``targets`` is an int32 array [N]; tagging/lm: one int32 array per sentence, as long
    as its ``token_ids``; seq2seq: ``decoder_ids`` = [BOS]+target, ``targets`` = target+[EOS].
    ``chars``: one int32 array [len, W] per sentence when a CharVocabulary was given.
    """

    token_ids: list[np.ndarray]
    targets: list[np.ndarray] | np.ndarray
    decoder_ids: list[np.ndarray] | None = None
    chars: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.token_ids)

    @property
    def lengths(self) -> np.ndarray:
        """Encoder input length of every sentence."""
        return np.array([len(t) for t in self.token_ids], dtype=np.int64)


# --------------------------------------------------------------------------------------------------
# Corpus reading (cached: a corpus takes seconds to parse)
# --------------------------------------------------------------------------------------------------
def _locate(corpus: str) -> tuple[str, str]:
    """Where ``corpus`` is: (zip file, entry) or (folder, ""); CorpusMissingError if nowhere."""
    try:
        pointer = nltk.data.find(f"corpora/{corpus}/")  # trailing / also finds corpora/<corpus>.zip
    except LookupError:
        raise CorpusMissingError(corpus) from None
    except zipfile.BadZipFile as error:  # nltk opens the zip it finds first: a truncated one ends here
        raise CorpusDamagedError(corpus, _damaged_zip(corpus)) from error
    if isinstance(pointer, nltk.data.ZipFilePathPointer):
        return pointer.zipfile.filename, pointer.entry
    return str(pointer.path), ""


def _root(location: tuple[str, str]) -> nltk.data.PathPointer:
    """An NLTK path pointer for a location from :func:`_locate`."""
    path, entry = location
    return nltk.data.ZipFilePathPointer(path, entry) if entry else nltk.data.FileSystemPathPointer(path)


Sentence = tuple[list[str], list[str], list[str]]  # tokens, POS tags, chunk/NER tags


@functools.cache
def _read_corpus(corpus: str, location: tuple[str, str]) -> dict[str, list]:
    """Parse a corpus once per process. Classification corpora -> {"all": [(tokens, label)]}; movie_reviews ->
    {"reviews": [(sentences, label)]}, one entry per review; CoNLL corpora -> {file id: [(tokens, pos, tags)]}
    without empty sentences and -DOCSTART- rows."""
    from nltk.corpus.reader import CategorizedSentencesCorpusReader, ConllChunkCorpusReader, PlaintextCorpusReader

    root = _root(location)
    if corpus in ("sentence_polarity", "subjectivity"):
        if corpus == "sentence_polarity":
            reader = CategorizedSentencesCorpusReader(root, r"rt-polarity\.(neg|pos)",
                                                      cat_pattern=r"rt-polarity\.(neg|pos)", encoding="utf-8")
        else:
            reader = CategorizedSentencesCorpusReader(
                root, r"(quote.tok.gt9|plot.tok.gt9)\.5000",
                cat_map={"quote.tok.gt9.5000": ["subj"], "plot.tok.gt9.5000": ["obj"]}, encoding="latin-1")
        return {"all": [(list(s), c) for c in sorted(reader.categories()) for s in reader.sents(categories=c)]}
    if corpus == "movie_reviews":  # a review per file, one tokenized sentence per line (sents() would need punkt)
        reader = PlaintextCorpusReader(root, r"(neg|pos)/.*\.txt", encoding="ascii")
        return {"reviews": [([line.split() for line in reader.raw(f).splitlines() if line.strip()], f.split("/")[0])
                            for f in reader.fileids()]}
    if corpus == "conll2000":
        reader = ConllChunkCorpusReader(root, ["train.txt", "test.txt"], ("NP", "VP", "PP"), encoding="ascii")
    elif corpus == "conll2002":
        reader = ConllChunkCorpusReader(root, r".*\.(test|train).*", ("LOC", "PER", "ORG", "MISC"), encoding="utf-8")
    else:
        raise ValueError(f"unknown corpus {corpus!r}; use one of {', '.join(CORPORA)}.")
    out: dict[str, list[Sentence]] = {}
    for fileid in reader.fileids():
        sentences = []
        for sent in reader.iob_sents(fileid):
            rows = [row for row in sent if row[0] != "-DOCSTART-"]
            if rows:
                words, pos, tags = (list(col) for col in zip(*rows))
                sentences.append((words, pos, tags))
        out[fileid] = sentences
    return out


@functools.cache
def unlabeled_sentences(corpora: tuple[str, ...] = TEXT_CORPORA) -> tuple[tuple[str, ...], ...]:
    """Token sentences of the unlabelled TEXT_CORPORA ``corpora``, case kept (read once per process; the
    reviews' labels are dropped). movie_reviews is lower-cased as shipped; Brown keeps its capitals.

    Raises CorpusMissingError (with the download command) when a corpus is not installed.
    """
    import nltk.corpus.reader as readers

    unknown = [c for c in corpora if c not in TEXT_CORPORA]
    if unknown:
        raise ValueError(f"unknown unlabelled corpus {unknown}; use some of {', '.join(TEXT_CORPORA)}.")
    sentences: list[tuple[str, ...]] = []
    for corpus in corpora:
        location = _locate(corpus)
        if corpus == "movie_reviews":  # the review sentences, without their reviews' labels
            sentences += [tuple(s) for review, _ in _read_corpus(corpus, location)["reviews"] for s in review]
        else:  # brown
            reader = readers.CategorizedTaggedCorpusReader(_root(location), r"c[a-z]\d\d", cat_file="cats.txt",
                                                           encoding="ascii")
            sentences += [tuple(s) for s in reader.sents()]
    return tuple(sentences)


# --------------------------------------------------------------------------------------------------
# Tasks
# --------------------------------------------------------------------------------------------------
def _permute(items: list, rng: np.random.Generator) -> list:
    return [items[i] for i in rng.permutation(len(items))]


def _shares(items: list, train: float, dev: float) -> dict[str, list]:
    """train / dev / test lists: the first ``train`` share of ``items``, the next ``dev`` share, the rest."""
    n_train, n_dev = round(train * len(items)), round(dev * len(items))
    return {"train": items[:n_train], "dev": items[n_train:n_train + n_dev], "test": items[n_train + n_dev:]}


def _corpus_splits(name: str, seed: int) -> dict[str, list]:
    """Seeded train/dev/test lists of raw items (before caps) for a corpus task."""
    corpus = _CORPUS_INFO[name][1]
    raw = _read_corpus(corpus, _locate(corpus))
    rng = np.random.default_rng(seed)
    if corpus in ("sentence_polarity", "subjectivity"):
        return _shares(_permute(raw["all"], rng), 0.8, 0.1)
    if corpus == "movie_reviews":  # split by review, so that no review has sentences in two splits
        parts = _shares(_permute(raw["reviews"], rng), 0.8, 0.1)
        return {split: _permute([(sentence, label) for sentences, label in part for sentence in sentences], rng)
                for split, part in parts.items()}
    if corpus == "conll2000":
        train = _permute(raw["train.txt"], rng)
        n_dev = round(0.1 * len(train))
        return {"train": train[n_dev:], "dev": train[:n_dev], "test": _permute(raw["test.txt"], rng)}
    lang = "esp" if name.endswith("_es") else "ned"
    return {"train": _permute(raw[f"{lang}.train"], rng), "dev": _permute(raw[f"{lang}.testa"], rng),
            "test": _permute(raw[f"{lang}.testb"], rng)}


def _corpus_task(name: str, seed: int) -> TaskData:
    """A corpus task with full splits."""
    kind, corpus, description = _CORPUS_INFO[name]
    parts = _corpus_splits(name, seed)
    if kind == "classification":
        splits = {s: Split([t for t, _ in items], [c for _, c in items]) for s, items in parts.items()}
    else:
        column = 1 if name.startswith("pos") else 2
        splits = {s: Split([it[0] for it in items], [it[column] for it in items]) for s, items in parts.items()}
    labels = sorted({c for sp in splits.values() for c in sp.labels} if kind == "classification"
                    else {t for sp in splits.values() for tags in sp.labels for t in tags})
    return TaskData(name, kind, corpus, labels, splits["train"], splits["dev"], splits["test"], description)


def _cap(task: TaskData, caps: tuple[int, int, int] | None, fraction: float) -> TaskData:
    """First ``caps`` sentences of each split, then the first ``fraction`` of train."""
    def cut(split: Split, n: int) -> Split:
        return Split(split.tokens[:n], split.labels[:n] if split.labels else [])

    train, dev, test = task.train, task.dev, task.test
    if caps is not None:
        train, dev, test = cut(train, caps[0]), cut(dev, caps[1]), cut(test, caps[2])
    if fraction < 1.0:
        train = cut(train, max(1, round(fraction * len(train))))
    return TaskData(task.name, task.kind, task.corpus, task.labels, train, dev, test, task.description)


@functools.lru_cache(maxsize=64)
def _build_task(name: str, seed: int, caps: tuple[int, int, int] | None, fraction: float,
                relatedness: float, toy_size: int, lm_sources: tuple[str, ...]) -> TaskData:
    """load_task without argument checks, cached on the (resolved) arguments."""
    if name in TOY_TASK_NAMES:
        task = toy.make_task(name, size=toy_size, relatedness=relatedness, seed=seed)
    elif name == "lm":
        sources = [_text_task(s, seed, caps) if s in TEXT_CORPORA else
                   _build_task(s, seed, caps, 1.0, relatedness, toy_size, ()) for s in lm_sources]
        rng = np.random.default_rng([seed, 7])
        splits = {s: Split(_permute([t for src in sources for t in src.split(s).tokens], rng)) for s in SPLITS}
        corpora = "+".join(dict.fromkeys(src.corpus for src in sources))
        task = TaskData("lm", "lm", corpora, [], splits["train"], splits["dev"], splits["test"],
                        f"Next-word prediction on the text of {', '.join(lm_sources)}")
    else:
        task = _corpus_task(name, seed)
    return _cap(task, caps, fraction)


def _text_task(corpus: str, seed: int, caps: tuple[int, int, int] | None) -> TaskData:
    """The sentences of an unlabelled text corpus as a label-free task: a seeded 90/5/5 split (the text is
    for training; dev follows the language model's perplexity)."""
    items = _permute(list(map(list, unlabeled_sentences((corpus,)))), np.random.default_rng(seed))
    parts = _shares(items, 0.9, 0.05)
    splits = [Split(parts[split]) for split in SPLITS]
    return _cap(TaskData(corpus, "lm", corpus, [], *splits, f"the text of {corpus}"), caps, 1.0)


def _copy(task: TaskData) -> TaskData:
    """A copy whose lists the caller may change without touching the cache."""
    def cp(split: Split) -> Split:
        return Split(list(split.tokens), list(split.labels))

    return TaskData(task.name, task.kind, task.corpus, list(task.labels), cp(task.train), cp(task.dev),
                    cp(task.test), task.description)


def _corpora_of(name: str, lm_sources: tuple[str, ...]) -> list[str]:
    if name in TEXT_CORPORA:
        return [name]
    if name == "lm":
        return [c for s in lm_sources for c in _corpora_of(s, ())]
    return [_CORPUS_INFO[name][1]] if name in _CORPUS_INFO else []


def load_task(name: str, *, seed: int = 0, fraction: float = 1.0, max_sentences: int | None = None,
              relatedness: float = 1.0, toy_size: int | None = None,
              lm_sources: tuple[str, ...] = ("sentiment", "subjectivity", "pos"), full: bool = False) -> TaskData:
    """Load task ``name`` (one of TASK_NAMES) with a seeded split.

    seed: decides the split and the order of every split (same seed -> same sentences).
    max_sentences: cap every split at its first N sentences (after the seeded shuffle). None means the
        run's default: in fast mode (MTL_FAST=1) corpora are capped at 800/200/200 (train/dev/test),
        otherwise nothing is cut.
    full: True ignores fast mode: with max_sentences=None nothing is cut (real corpus sizes) and toy
        tasks get TOY_SIZE sentences instead of TOY_SIZE_FAST.
    fraction: then keep this fraction (0, 1] of TRAIN only (its first sentences: nested across fractions).
    relatedness, toy_size: toy tasks only (toy_size = sentences over all splits; default TOY_SIZE,
        TOY_SIZE_FAST in fast mode). Toy tasks get no fast-mode cap (toy_size already makes them small).
    lm_sources: what the "lm" task reads: task names (train text for train, dev for dev, ...) and / or
        unlabelled TEXT_CORPORA ("movie_reviews", "brown"; a seeded 90/5/5 split of their sentences).
    Other tasks ignore the arguments that do not concern them, so load_tasks can pass the same to all.
    """
    if name not in TASK_NAMES:
        raise ValueError(f"unknown task {name!r}; use one of: {', '.join(TASK_NAMES)}.")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}; pass e.g. fraction=0.1 for 10% of train.")
    if max_sentences is not None and (isinstance(max_sentences, bool) or not isinstance(max_sentences, Integral)
                                      or max_sentences < 1):
        raise ValueError(f"max_sentences must be a positive integer or None, got {max_sentences!r}; "
                         "pass e.g. max_sentences=500, or None for the default.")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}; pass e.g. seed=0.")
    lm_sources = tuple(lm_sources)
    if name == "lm":
        bad = [s for s in lm_sources if s not in TASK_NAMES + TEXT_CORPORA or s == "lm"]
        if bad or not lm_sources:
            raise ValueError(f"lm_sources {lm_sources!r} must be a non-empty tuple of task names other than 'lm' "
                             f"or text corpora ({', '.join(TEXT_CORPORA)}); pass e.g. lm_sources=('sentiment', "
                             "'movie_reviews').")
    else:
        lm_sources = ()
    for corpus in _corpora_of(name, lm_sources):
        _locate(corpus)  # CorpusMissingError now, never a stale cached result
    is_toy = name in TOY_TASK_NAMES or any(s in TOY_TASK_NAMES for s in lm_sources)
    if max_sentences is not None:
        caps: tuple[int, int, int] | None = (int(max_sentences),) * 3
    elif config.FAST and not full and name not in TOY_TASK_NAMES:
        caps = FAST_CAPS
    else:
        caps = None
    if not is_toy:
        size = 0
    elif toy_size is not None:
        size = toy_size
    else:
        size = TOY_SIZE_FAST if config.FAST and not full else TOY_SIZE
    rel = float(relatedness) if is_toy else 1.0
    return _copy(_build_task(name, int(seed), caps, float(fraction), rel, size, lm_sources))


def load_tasks(names: Sequence[str], **kwargs: Any) -> dict[str, TaskData]:
    """load_task for every name, with the same keyword arguments; keeps the order of ``names``."""
    if isinstance(names, str):
        raise ValueError(f"names must be a sequence of task names, got the string {names!r}; "
                         f"pass e.g. [{names!r}].")
    return {name: load_task(name, **kwargs) for name in names}


def missing_corpora(tasks: Sequence[str] = (), text_corpora: Sequence[str] = (), *, seed: int = 0) -> list[str]:
    """The CorpusMissingError message of every task in ``tasks`` (loaded, and so cached, on the way) and every
    unlabelled corpus in ``text_corpora`` (TEXT_CORPORA) that cannot be read; empty when all are there."""
    missing = []
    for name in tasks:
        try:
            load_task(name, seed=seed)
        except CorpusMissingError as error:
            missing.append(str(error))
    for corpus in text_corpora:
        try:
            _locate(corpus)
        except CorpusMissingError as error:
            missing.append(str(error))
    return missing


# --------------------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------
# Encoding and batching
# --------------------------------------------------------------------------------------------------
def encode_task(task: TaskData, vocab: Vocabulary, split: str, *, target_vocab: Vocabulary | None = None,
                char_vocab: CharVocabulary | None = None) -> EncodedSplit:
    """Ids of one split. lm: input = [BOS]+ids, target = ids+[EOS] (the next word at every position);
    seq2seq: decoder input = [BOS]+target ids, decoder target = target ids+[EOS] (needs target_vocab)."""
    data = task.split(split)
    check_split(task, split)
    ids = [np.asarray(vocab.encode(s), dtype=np.int32) for s in data.tokens]
    chars = [char_vocab.encode(s) for s in data.tokens] if char_vocab is not None else None
    index = {label: i for i, label in enumerate(task.labels)}

    def label_id(label: str) -> int:
        if label not in index:
            raise ValueError(f"task {task.name!r}: label {label!r} is not in its inventory {task.labels[:10]}...; "
                             "add it to task.labels.")
        return index[label]

    if task.kind == "classification":
        return EncodedSplit(ids, np.array([label_id(c) for c in data.labels], dtype=np.int32), chars=chars)
    if task.kind == "tagging":
        return EncodedSplit(ids, [np.array([label_id(t) for t in tags], dtype=np.int32) for tags in data.labels],
                            chars=chars)
    bos, eos = np.array([Vocabulary.BOS], np.int32), np.array([Vocabulary.EOS], np.int32)
    if task.kind == "lm":
        if chars is not None:
            chars = [np.concatenate([np.zeros((1, char_vocab.max_word_length), np.int32), c]) for c in chars]
        return EncodedSplit([np.concatenate([bos, i]) for i in ids], [np.concatenate([i, eos]) for i in ids],
                            chars=chars)
    if target_vocab is None:
        raise ValueError(f"task {task.name!r} is seq2seq: pass target_vocab=Vocabulary.build(task.train.labels).")
    tgt = [np.asarray(target_vocab.encode(s), dtype=np.int32) for s in data.labels]
    return EncodedSplit(ids, [np.concatenate([t, eos]) for t in tgt],
                        decoder_ids=[np.concatenate([bos, t]) for t in tgt], chars=chars)


def _batch_plan(lengths: np.ndarray, batch_size: int, *, bucket: bool, shuffle: bool,
                rng: np.random.Generator, drop_remainder: bool = False) -> list[np.ndarray]:
    """Indices of every batch. Bucketing: sort by length within windows of BUCKET_WINDOW_BATCHES batches,
    cut into batches, then (when shuffling) shuffle the batches' order."""
    n = len(lengths)
    order = rng.permutation(n) if shuffle else np.arange(n)
    if bucket:
        window = batch_size * BUCKET_WINDOW_BATCHES
        order = np.concatenate([w[np.argsort(lengths[w], kind="stable")]
                                for w in np.array_split(order, max(1, math.ceil(n / window)))])
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    if drop_remainder and batches and len(batches[-1]) < batch_size:
        batches.pop()
    if bucket and shuffle:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def _check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}; pass e.g. batch_size=32.")


def padding_waste(lengths: Sequence[int], batch_size: int, bucket: bool, seed: int = 0) -> float:
    """Fraction (0..1) of the positions of padded training batches that are padding, when ``lengths`` are
    batched as make_dataset does for train (shuffled; with or without length bucketing)."""
    _check_batch_size(batch_size)
    lengths = np.asarray(lengths, dtype=np.int64)
    if lengths.size == 0:
        raise ValueError("padding_waste needs at least one length; pass the sentence lengths of a split.")
    batches = _batch_plan(lengths, batch_size, bucket=bucket, shuffle=True, rng=np.random.default_rng(seed))
    real = int(lengths.sum())
    padded = sum(int(lengths[b].max()) * len(b) for b in batches)
    return 1.0 - real / padded if padded else 0.0


def _pad(arrays: list[np.ndarray]) -> np.ndarray:
    """Stack 1-D or 2-D int arrays, zero-padded along the first axis."""
    width = max(len(a) for a in arrays)
    out = np.zeros((len(arrays), width) + arrays[0].shape[1:], dtype=np.int32)
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
    return out


def same_sentences(tasks: Sequence[TaskData], split: str = "train") -> bool:
    """True when the tasks label the very same sentences of ``split`` (e.g. pos and chunk, or the toy
    tasks), so one batch of inputs can feed all their heads; only tagging/classification tasks qualify."""
    first = tasks[0].split(split).tokens
    return all(t.kind in ("tagging", "classification") for t in tasks) and all(
        t.split(split).tokens is first or t.split(split).tokens == first for t in tasks[1:])


class Batches:
    """A split (of one task, or of several tasks on the same sentences) encoded once and cut into padded
    numpy batches ``(inputs, targets, sample_weight)``, one seeded epoch at a time.

    :func:`make_dataset` wraps it in a ``tf.data.Dataset``; the trainer iterates it directly (a Python
    generator behind ``tf.data`` costs milliseconds per batch, a step of a small model about as much).
    """

    def __init__(self, task: TaskData | Sequence[TaskData], vocab: Vocabulary, split: str = "train", *,
                 batch_size: int = 32, bucket: bool = True, target_vocab: Vocabulary | None = None,
                 drop_remainder: bool = False, char_vocab: CharVocabulary | None = None):
        _check_batch_size(batch_size)
        self.joint = not isinstance(task, TaskData)
        if self.joint:
            tasks = list(task)
            if not tasks or not all(isinstance(t, TaskData) for t in tasks):
                raise ValueError("make_dataset takes one TaskData or a non-empty list of them; got "
                                 f"{type(task).__name__}.")
            if not same_sentences(tasks, split):
                raise ValueError(f"tasks {[t.name for t in tasks]} do not label the same {split} sentences (or are "
                                 "not tagging/classification tasks); make one dataset per task instead.")
        else:
            tasks = [task]
        self.tasks, self.split, self.batch_size, self.bucket = tasks, split, batch_size, bucket
        self.drop_remainder, self.char_vocab = drop_remainder, char_vocab
        self.encodings = [encode_task(t, vocab, split, target_vocab=target_vocab, char_vocab=char_vocab)
                          for t in tasks]
        encoded, name = self.encodings[0], tasks[0].name
        if len(encoded) == 0:
            raise ValueError(f"split {split!r} of task {name!r} is empty; load more data "
                             "(larger max_sentences / fraction) or pick another split.")
        if drop_remainder and len(encoded) < batch_size:
            raise ValueError(f"split {split!r} of task {name!r} has {len(encoded)} sentences, fewer than "
                             f"batch_size={batch_size} with drop_remainder=True; use a smaller batch_size.")
        self.lengths = encoded.lengths

    def __len__(self) -> int:
        """Batches per epoch."""
        return len(_batch_plan(self.lengths, self.batch_size, bucket=self.bucket, shuffle=False,
                               rng=np.random.default_rng(0), drop_remainder=self.drop_remainder))

    def _labels(self, t: TaskData, enc: EncodedSplit, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if t.kind == "classification":
            return enc.targets[idx].astype(np.int32), np.ones(len(idx), dtype=np.float32)
        return (_pad([enc.targets[i] for i in idx]),
                _pad([np.ones(len(enc.targets[i]), np.int32) for i in idx]).astype(np.float32))

    def epoch(self, seed: int = 0, epoch: int = 0, shuffle: bool | None = None) -> Iterator[tuple]:
        """The batches of one pass; the order is seeded by (seed, epoch). shuffle defaults to True for train."""
        shuffle = (self.split == "train") if shuffle is None else bool(shuffle)
        encoded = self.encodings[0]
        rng = np.random.default_rng([seed, epoch])
        for idx in _batch_plan(self.lengths, self.batch_size, bucket=self.bucket, shuffle=shuffle, rng=rng,
                               drop_remainder=self.drop_remainder):
            inputs = {"tokens": _pad([encoded.token_ids[i] for i in idx])}
            if encoded.decoder_ids is not None:
                inputs["decoder_tokens"] = _pad([encoded.decoder_ids[i] for i in idx])
            if encoded.chars is not None:
                inputs["chars"] = _pad([encoded.chars[i] for i in idx])
            if self.joint:
                targets, weights = zip(*(self._labels(t, enc, idx) for t, enc in zip(self.tasks, self.encodings)))
                yield inputs, tuple(targets), tuple(weights)
            else:
                yield (inputs, *self._labels(self.tasks[0], encoded, idx))

    def signature(self) -> tuple:
        """``tf.TensorSpec`` structure of one batch (batch and length dimensions unknown)."""
        import tensorflow as tf

        matrix = tf.TensorSpec([None, None], tf.int32)
        encoded = self.encodings[0]
        input_spec = {"tokens": matrix}
        if encoded.decoder_ids is not None:
            input_spec["decoder_tokens"] = matrix
        if encoded.chars is not None:
            input_spec["chars"] = tf.TensorSpec([None, None, self.char_vocab.max_word_length], tf.int32)

        def label_spec(t: TaskData) -> tuple:
            shape = [None] if t.kind == "classification" else [None, None]
            return tf.TensorSpec(shape, tf.int32), tf.TensorSpec(shape, tf.float32)

        if self.joint:
            target_specs, weight_specs = zip(*(label_spec(t) for t in self.tasks))
            return input_spec, tuple(target_specs), tuple(weight_specs)
        return (input_spec, *label_spec(self.tasks[0]))


def make_dataset(task: TaskData | Sequence[TaskData], vocab: Vocabulary, split: str = "train", *,
                 batch_size: int = 32, shuffle: bool | None = None, seed: int = 0, bucket: bool = True,
                 repeat: bool = False, target_vocab: Vocabulary | None = None, drop_remainder: bool = False,
                 char_vocab: CharVocabulary | None = None) -> tf.data.Dataset:
    """Padded batches ``(inputs, targets, sample_weight)`` of one split (see SPEC for shapes).

    inputs["tokens"] int32 [B, L] (0 = PAD, mask = tokens != 0); seq2seq adds inputs["decoder_tokens"];
    with ``char_vocab`` inputs["chars"] int32 [B, L, W] (W = char_vocab.max_word_length).
    shuffle defaults to True for train. Every pass over the data (epoch) gets a new seeded order.
    bucket=True groups sentences of similar length (much less padding) and so CHANGES THE ORDER of
    sentences even without shuffling: pass bucket=False, shuffle=False to keep the split's order, e.g.
    to line predictions up with ``task.dev.labels``.

    A list of tasks that label the same sentences (:func:`same_sentences`, e.g. [pos, chunk]) gives joint
    batches ``(inputs, (targets per task), (sample_weight per task))``: one encoder pass serves every head.
    """
    import tensorflow as tf

    batches = Batches(task, vocab, split, batch_size=batch_size, bucket=bucket, target_vocab=target_vocab,
                      drop_remainder=drop_remainder, char_vocab=char_vocab)
    epochs = iter(range(sys.maxsize))
    ds = tf.data.Dataset.from_generator(lambda: batches.epoch(seed, next(epochs), shuffle),
                                        output_signature=batches.signature())
    ds = ds.apply(tf.data.experimental.assert_cardinality(len(batches)))
    if repeat:
        ds = ds.repeat()
    return ds.prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------
def task_table() -> list[dict[str, Any]]:
    """One row per task with its real (full, uncapped) sizes: task, kind, corpus, labels, train, dev, test."""
    rows = []
    for name in TASK_NAMES:
        task = load_task(name, full=True)
        rows.append({"task": name, "kind": task.kind, "corpus": task.corpus, "labels": len(task.labels),
                     "train": len(task.train), "dev": len(task.dev), "test": len(task.test)})
    return rows


def _cmd_list(fmt: str) -> int:
    import pandas as pd

    frame = pd.DataFrame(task_table(), columns=["task", "kind", "corpus", "labels", "train", "dev", "test"])
    print(frame.to_csv(index=False).rstrip("\n") if fmt == "csv" else frame.to_string(index=False))
    return 0


def _cmd_check() -> int:
    missing = 0
    for corpus in CORPORA + TEXT_CORPORA:
        try:
            print(f"{corpus:18} present  {_locate(corpus)[0]}")
        except CorpusDamagedError as error:
            missing += 1
            print(f"{corpus:18} DAMAGED  {error.path or ''} (run: {DOWNLOAD_COMMAND})")
        except CorpusMissingError:
            missing += 1
            print(f"{corpus:18} MISSING  (run: {DOWNLOAD_COMMAND})")
    return 1 if missing else 0


def _cmd_download() -> int:
    failed = []
    for corpus in CORPORA + TEXT_CORPORA:
        try:
            print(f"{corpus}: already present in {_locate(corpus)[0]}")
            continue
        except CorpusMissingError as error:  # a damaged zip is replaced where it lies: nltk finds that one first
            damaged = getattr(error, "path", None)
        target = Path(damaged).parents[1] if damaged else PROJECT_NLTK_DATA
        target.mkdir(parents=True, exist_ok=True)
        if not nltk.download(corpus, download_dir=str(target), quiet=True):
            failed.append(corpus)
            print(f"{corpus}: download FAILED (network?); retry, or copy {corpus}.zip into "
                  f"{PROJECT_NLTK_DATA / 'corpora'}")
        else:
            print(f"{corpus}: downloaded into {target}")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m mtl_helpers.data``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mtl_helpers.data", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="every task with kind, corpus, #labels and real split sizes")
    listing.add_argument("--format", choices=("table", "csv"), default="table")
    commands.add_parser("download", help=f"download missing corpora into {PROJECT_NLTK_DATA}")
    commands.add_parser("check", help="which corpora are present, and where")
    args = parser.parse_args(argv)
    if args.command == "list":
        return _cmd_list(args.format)
    if args.command == "download":
        return _cmd_download()
    return _cmd_check()


if __name__ == "__main__":
    from mtl_helpers.data import main as _main  # the package module, so toy.py and we share one TaskData class

    sys.exit(_main())
