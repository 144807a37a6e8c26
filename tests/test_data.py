"""Tests of mtl_helpers.data: real corpus facts, splits, vocabulary, batching, errors and the CLI."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import nltk
import pytest

from mtl_helpers import config, data
from mtl_helpers.data import CorpusMissingError, Split, TaskData, Vocabulary

CHUNK_TYPES = ["ADJP", "ADVP", "CONJP", "INTJ", "LST", "NP", "PP", "PRT", "SBAR", "UCP", "VP"]
NER_TAGS = sorted(["O"] + [f"{b}-{t}" for t in ("LOC", "MISC", "ORG", "PER") for b in "BI"])


def _counter(*splits: Split) -> Counter:
    return Counter(tuple(s) for split in splits for s in split.tokens)


# ------------------------------------------------------------------------------------------ corpora
def test_task_names_follow_the_spec():
    assert data.TASK_NAMES == ("sentiment", "subjectivity", "pos", "chunk", "ner_es", "ner_nl", "pos_es",
                               "pos_nl", "review_polarity", "lm", "toy_topic", "toy_sentiment", "toy_ner", "toy_roles",
                               "toy_translate")
    assert str(data.PROJECT_NLTK_DATA) in nltk.data.path


@pytest.mark.parametrize("name, sizes, kind, corpus", [
    ("sentiment", (8530, 1066, 1066), "classification", "sentence_polarity"),
    ("subjectivity", (8000, 1000, 1000), "classification", "subjectivity"),
    ("pos", (8042, 894, 2012), "tagging", "conll2000"),
    ("chunk", (8042, 894, 2012), "tagging", "conll2000"),
    ("ner_es", (8323, 1915, 1517), "tagging", "conll2002"),
    ("pos_nl", (15806, 2895, 5195), "tagging", "conll2002"),
    ("review_polarity", (52046, 6572, 6102), "classification", "movie_reviews"),  # 1,600 / 200 / 200 reviews
])
def test_full_corpus_sizes(name, sizes, kind, corpus):
    task = data.load_task(name, full=True)
    assert (len(task.train), len(task.dev), len(task.test)) == sizes
    assert (task.kind, task.corpus, task.name) == (kind, corpus, name)


def test_review_polarity_labels_each_sentence_with_its_review_and_splits_by_review():
    from nltk.corpus import movie_reviews

    task = data.load_task("review_polarity", full=True, seed=2)
    assert task.labels == ["neg", "pos"]
    everything = _counter(task.train, task.dev, task.test)
    assert everything == Counter(data.unlabeled_sentences(("movie_reviews",)))  # every sentence, once
    where = {}
    for name, split in (("train", task.train), ("dev", task.dev), ("test", task.test)):
        for sentence, label in zip(split.tokens, split.labels):
            where.setdefault(tuple(sentence), set()).add((name, label))
    for fileid in movie_reviews.fileids()[::50]:  # 40 reviews: their unique sentences share a split and a label
        lines = [tuple(line.split()) for line in movie_reviews.raw(fileid).splitlines() if line.strip()]
        homes = {next(iter(where[s])) for s in lines if everything[s] == 1}
        assert homes and len(homes) == 1 and next(iter(homes))[1] == fileid.split("/")[0]
    other = data.load_task("review_polarity", full=True, seed=3)
    assert other.train.tokens != task.train.tokens and len(other.train) + len(other.dev) + len(other.test) == sum(
        everything.values())


def test_label_inventories():
    assert data.load_task("sentiment").labels == ["neg", "pos"]
    assert data.load_task("subjectivity").labels == ["obj", "subj"]
    chunk = data.load_task("chunk", full=True)
    assert chunk.labels == sorted(["O"] + [f"{b}-{t}" for t in CHUNK_TYPES for b in "BI"])  # 11 types, BIO
    assert data.load_task("ner_nl", full=True).labels == NER_TAGS
    assert data.load_task("ner_es", full=True).labels == NER_TAGS
    pos = data.load_task("pos", full=True)
    assert {"NN", "VBZ", "DT", "IN", "."} <= set(pos.labels) and len(pos.labels) == 44
    assert len(data.load_task("pos_nl", full=True).labels) == 12
    for task in (pos, chunk):  # every tag of every split is in the inventory, sorted
        assert task.labels == sorted(task.labels)
        assert {t for sp in (task.train, task.dev, task.test) for tags in sp.labels for t in tags} == set(task.labels)


def test_conll2002_has_no_docstart_or_empty_sentences():
    task = data.load_task("ner_nl", full=True)
    for split in (task.train, task.dev, task.test):
        assert all(len(s) > 0 and "-DOCSTART-" not in s for s in split.tokens)
        assert all(len(s) == len(t) for s, t in zip(split.tokens, split.labels))


def test_splits_partition_the_corpus():
    from nltk.corpus import conll2000, sentence_polarity

    senti = data.load_task("sentiment", full=True, seed=3)
    assert _counter(senti.train, senti.dev, senti.test) == Counter(tuple(s) for s in sentence_polarity.sents())
    chunk = data.load_task("chunk", full=True, seed=3)
    assert _counter(chunk.train, chunk.dev) == Counter(tuple(s) for s in conll2000.sents("train.txt"))
    assert _counter(chunk.test) == Counter(tuple(s) for s in conll2000.sents("test.txt"))
    # no sentence is in two splits (unless the corpus itself repeats it)
    corpus_counts = Counter(tuple(s) for s in conll2000.sents("train.txt"))
    shared = set(_counter(chunk.train)) & set(_counter(chunk.dev))
    assert all(corpus_counts[s] > 1 for s in shared)


def test_splits_are_seeded():
    a, b = data.load_task("sentiment", seed=1, full=True), data.load_task("sentiment", seed=1, full=True)
    c = data.load_task("sentiment", seed=2, full=True)
    assert a.dev.tokens == b.dev.tokens and a.dev.labels == b.dev.labels
    assert _counter(a.dev) != _counter(c.dev)
    chunk1, chunk2 = data.load_task("chunk", seed=1, full=True), data.load_task("chunk", seed=2, full=True)
    assert _counter(chunk1.dev) != _counter(chunk2.dev)
    assert _counter(chunk1.test) == _counter(chunk2.test)  # official test set, only its order is seeded


def test_pos_and_chunk_share_sentences_as_do_ner_and_pos_per_language():
    pos, chunk = data.load_task("pos", seed=5), data.load_task("chunk", seed=5)
    for split in data.SPLITS:
        assert pos.split(split).tokens == chunk.split(split).tokens
    assert data.load_task("ner_es", seed=5).dev.tokens == data.load_task("pos_es", seed=5).dev.tokens
    assert pos.labels != chunk.labels


def test_fast_mode_caps_and_fraction():
    assert config.FAST  # tests/conftest.py
    chunk = data.load_task("chunk")
    assert (len(chunk.train), len(chunk.dev), len(chunk.test)) == data.FAST_CAPS
    small = data.load_task("chunk", max_sentences=50)
    assert (len(small.train), len(small.dev), len(small.test)) == (50, 50, 50)
    assert small.train.tokens == chunk.train.tokens[:50]
    part = data.load_task("chunk", fraction=0.25)
    assert len(part.train) == 200 and part.train.tokens == chunk.train.tokens[:200]
    assert part.dev.tokens == chunk.dev.tokens  # fraction touches train only


def test_load_task_returns_independent_copies():
    a = data.load_task("sentiment")
    a.train.tokens.clear()
    a.labels.append("x")
    b = data.load_task("sentiment")
    assert len(b.train) == 800 and b.labels == ["neg", "pos"]


def test_lm_reads_train_text_of_its_sources_only():
    lm = data.load_task("lm", lm_sources=("sentiment", "pos"), max_sentences=100)
    assert lm.kind == "lm" and lm.labels == [] and lm.train.labels == []
    senti, pos = data.load_task("sentiment", max_sentences=100), data.load_task("pos", max_sentences=100)
    assert set(_counter(lm.train)) <= set(_counter(senti.train, pos.train))
    assert set(_counter(lm.dev)) <= set(_counter(senti.dev, pos.dev))
    assert len(lm.train) == 100 and lm.corpus == "sentence_polarity+conll2000"


def test_lm_reads_unlabelled_text_corpora_case_kept():
    lm = data.load_task("lm", lm_sources=("brown", "movie_reviews"), max_sentences=300, seed=1)
    assert lm.corpus == "brown+movie_reviews" and len(lm.train) == len(lm.dev) == 300
    text = {tuple(s) for s in data.unlabeled_sentences(("brown", "movie_reviews"))}
    assert all(tuple(s) in text for s in lm.train.tokens + lm.dev.tokens)
    assert not {tuple(s) for s in lm.train.tokens} & {tuple(s) for s in lm.dev.tokens}
    assert any(w[0].isupper() for s in lm.train.tokens for w in s)  # Brown keeps its capitals (char features)
    assert data.load_task("lm", lm_sources=("brown", "movie_reviews"), max_sentences=300, seed=1).train.tokens \
        == lm.train.tokens
    mixed = data.load_task("lm", lm_sources=("sentiment", "movie_reviews"), max_sentences=50)
    assert mixed.corpus == "sentence_polarity+movie_reviews"
    with pytest.raises(ValueError, match="or text corpora"):
        data.load_task("lm", lm_sources=("gutenberg",))


def test_toy_tasks_through_load_task():
    tasks = data.load_tasks(data.TOY_TASK_NAMES, toy_size=200, relatedness=0.5, seed=1)
    assert list(tasks) == list(data.TOY_TASK_NAMES)
    assert {t.kind for t in tasks.values()} == {"classification", "tagging", "seq2seq"}
    assert all(t.corpus == "toy" and len(t.train) + len(t.dev) + len(t.test) == 200 for t in tasks.values())
    assert tasks["toy_ner"].train.tokens == tasks["toy_roles"].train.tokens
    assert len(data.load_task("toy_ner").train) == int(0.8 * data.TOY_SIZE_FAST)
    with pytest.raises(ValueError, match="size"):
        data.load_task("toy_ner", toy_size=2.5)


# ------------------------------------------------------------------------------------------ vocabulary
def test_bad_input_raises_value_error_naming_the_fix():
    with pytest.raises(ValueError, match="unknown task 'posx'.*chunk"):
        data.load_task("posx")
    for bad in (0, 0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\]"):
            data.load_task("pos", fraction=bad)
    with pytest.raises(ValueError, match="max_sentences"):
        data.load_task("pos", max_sentences=0)
    with pytest.raises(ValueError, match="no words"):
        Vocabulary.build([])
    with pytest.raises(ValueError, match="one tag per token"):
        TaskData("t", "tagging", "x", ["O"], Split([["a", "b"]], [["O"]]), Split([]), Split([]))
    task = TaskData("t", "tagging", "x", ["O"], Split([["a", "b"]], [["O", "O"]]), Split([]), Split([]))
    vocab = Vocabulary.from_tasks([task])
    with pytest.raises(ValueError, match="is empty"):
        data.make_dataset(task, vocab, "dev")
    with pytest.raises(ValueError, match="batch_size"):
        data.make_dataset(task, vocab, batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        data.padding_waste([3, 4], 0, bucket=True)
    task.train.labels[0] = ["O"]  # broken after construction: encoding still refuses
    with pytest.raises(ValueError, match="1 tags"):
        data.encode_task(task, vocab, "train")
    with pytest.raises(ValueError, match="unknown split"):
        data.encode_task(task, vocab, "validation")


def test_missing_corpus_names_the_download_command(tmp_path, monkeypatch):
    monkeypatch.setenv("NLTK_DATA", str(tmp_path))
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(CorpusMissingError) as err:
        data.load_task("chunk")  # even though chunk was read (and cached) before
    assert isinstance(err.value, LookupError)
    message = str(err.value)
    assert "conll2000" in message and "python -m mtl_helpers.data download" in message
    assert "nltk.download('conll2000'" in message
    assert data.main(["check"]) == 1


def test_a_truncated_corpus_zip_names_the_corpus_and_the_download_command(tmp_path, monkeypatch, capsys):
    good = Path(data._locate("subjectivity")[0])  # the real corpora/subjectivity.zip
    damaged = tmp_path / "corpora" / "subjectivity.zip"
    damaged.parent.mkdir()
    damaged.write_bytes(good.read_bytes()[:1000])  # an interrupted download
    monkeypatch.setenv("NLTK_DATA", str(tmp_path))
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    data._read_corpus.cache_clear()
    data._build_task.cache_clear()
    try:
        with pytest.raises(data.CorpusDamagedError) as err:
            data.load_task("subjectivity")
    finally:  # the other tests read the real corpora again
        data._read_corpus.cache_clear()
        data._build_task.cache_clear()
    assert isinstance(err.value, CorpusMissingError)  # reported wherever a missing corpus is
    message = str(err.value)
    assert "'subjectivity' is damaged" in message and str(damaged) in message
    assert "python -m mtl_helpers.data download" in message and "BadZipFile" not in message
    assert err.value.path == str(damaged)
    assert data.main(["check"]) == 1
    assert f"subjectivity       DAMAGED  {damaged}" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ CLI
def test_cli_list_csv_shows_full_sizes(capsys):
    assert data.main(["list", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "task,kind,corpus,labels,train,dev,test"
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert list(rows) == list(data.TASK_NAMES)
    assert rows["chunk"] == ["chunk", "tagging", "conll2000", "23", "8042", "894", "2012"]
    assert rows["toy_translate"][1:4] == ["seq2seq", "toy", "0"]
    assert data.main(["check"]) == 0
    assert data.main(["download"]) == 0  # everything present: nothing is fetched
    assert "already present" in capsys.readouterr().out


def test_conll_reader_drops_docstart_rows_and_empty_sentences(monkeypatch):
    folder = Path(__file__).parent / "fixtures" / "data_nltk"  # an unzipped corpora/conll2002 folder
    monkeypatch.setattr(nltk.data, "path", [str(folder)])
    location = data._locate("conll2002")
    assert location == (str(folder / "corpora" / "conll2002"), "")
    raw = data._read_corpus("conll2002", location)
    assert raw == {"esp.train": [(["Hola", "Madrid"], ["NC", "NP"], ["O", "B-LOC"]), (["Adios"], ["NC"], ["O"])]}
