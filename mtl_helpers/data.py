"""Tasks from corpora: every notebook gets its data through this module.

Real corpora are read with NLTK's corpus readers (nothing is copied into the repository); the toy
language comes from ``mtl_helpers.toy``. A task is a :class:`TaskData` (``mtl_helpers.tasks``) with three
:class:`Split` s of original tokens and string labels. The vocabulary (``mtl_helpers.vocabulary``) and the
length-bucketed batches (``mtl_helpers.batching``) are re-exported here, so ``data.Vocabulary`` and
``data.make_dataset`` work as before.

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
import os
import sys
import zipfile
from collections.abc import Sequence
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nltk
import numpy as np

from mtl_helpers import config, toy
from mtl_helpers.batching import (  # noqa: F401  (data.X for callers)
    BUCKET_WINDOW_BATCHES,
    Batches,
    EncodedSplit,
    encode_task,
    make_dataset,
    padding_waste,
    same_sentences,
)
from mtl_helpers.tasks import KINDS, SPLITS, Split, TaskData, check_split  # noqa: F401  (data.X for callers)
from mtl_helpers.vocabulary import MAX_WORD_LENGTH, CharVocabulary, Vocabulary  # noqa: F401  (data.X for callers)

if TYPE_CHECKING:
    pass


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
