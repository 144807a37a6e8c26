"""Text to text: formatting, encoding weights, the causal mask, mixing, constrained decoding, training."""
import math

import numpy as np
import pytest

from mtl_helpers import data
from mtl_helpers import text_to_text as tt


@pytest.fixture(scope="module")
def tasks():
    return [data.load_task(n, toy_size=200, seed=0) for n in ("toy_sentiment", "toy_topic", "toy_ner")]


def test_format_example_prefixes_the_task_and_keeps_the_answer():
    assert tt.format_example("toy_sentiment", ["a", "b"], "pos") == (["sentiment:", "a", "b"], ["pos"])
    assert tt.format_example("toy_ner", ["Ka", "b"], ["B-PER", "O"]) == (["ner:", "Ka", "b"], ["B-PER", "O"])
    assert tt.format_example("toy_topic", ["a"], "sea", prefix="subject:")[0] == ["subject:", "a"]


@pytest.mark.parametrize("args", [("nope", ["a"], "pos"), ("toy_ner", ["a", "b"], ["O"]), ("toy_topic", [], "sea")])
def test_format_example_rejects_bad_input(args):
    with pytest.raises(ValueError):
        tt.format_example(*args)


def test_encode_weights_only_the_answer(tasks):
    vocab = tt.build_vocabulary(tasks)
    x, y, w = tt.encode([(["sentiment:", "x"], ["pos"])], vocab, 6)
    assert vocab.decode(x[0, :3]) == ["sentiment:", "<unk>", tt.SEP]
    assert vocab.decode(y[0, :4]) == ["<unk>", tt.SEP, "pos", tt.END]
    assert w[0].tolist() == [0, 0, 1, 1, 0, 0]
    with pytest.raises(ValueError, match="max_len"):
        tt.encode([(["sentiment:", "x"], ["pos"])], vocab, 3)


def test_vocabulary_holds_prefixes_and_labels(tasks):
    vocab = tt.build_vocabulary(tasks)
    toy = [p for name, p in tt.PREFIXES.items() if name in data.TOY_TASK_NAMES]
    assert all(p in vocab for p in toy) and "B-PER" in vocab and "pos" in vocab
    assert "review:" not in vocab  # a real task's prefix only comes with that task
    with pytest.raises(ValueError):
        tt.build_vocabulary([])


def test_a_capped_vocabulary_keeps_the_frequent_words_and_every_answer(tasks):
    full = tt.build_vocabulary(tasks)
    capped = tt.build_vocabulary(tasks, max_size=10)
    words = capped.tokens[len(data.Vocabulary.SPECIALS):]
    assert words[:10] == [w for w in full.tokens[len(data.Vocabulary.SPECIALS):] if w not in
                          set(tt.PREFIXES.values()) | {lab for t in tasks for lab in t.labels}][:10]
    assert all(p in capped for p in ("sentiment:", "topic:", "ner:", "B-PER", "sea", "neg"))
    assert len(capped) < len(full)


def test_truncate_cuts_words_and_tags_alike(tasks):
    _, topic, ner = tasks
    cut = tt.truncate(ner, 3)
    assert all(len(s) <= 3 for s in cut.train.tokens + cut.test.tokens)
    assert all(len(s) == len(y) for s, y in zip(cut.dev.tokens, cut.dev.labels))
    assert cut.train.tokens[0] == ner.train.tokens[0][:3] and cut.train.labels[0] == ner.train.labels[0][:3]
    assert tt.truncate(topic, 2).train.labels == topic.train.labels
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="max_words"):
            tt.truncate(ner, bad)


def test_real_corpora_have_prefixes_of_their_own():
    assert {"sentiment", "subjectivity", "review_polarity", "pos", "chunk"} <= set(tt.PREFIXES)
    assert tt.PREFIXES["pos"] != "pos:"  # "pos" is the sentiment label
    sentiment = data.load_task("sentiment", max_sentences=20, seed=0)
    source, answer = tt.examples(sentiment, "dev")[0]
    assert source[0] == "sentiment:" and answer[0] in ("pos", "neg")


def test_causal_mask_is_lower_triangular():
    assert tt.causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    with pytest.raises(ValueError):
        tt.causal_mask(0)


def test_model_never_looks_ahead(tasks):
    model = tt.build_model(30, 8, dim=8, heads=2, seed=0)
    x = np.arange(1, 9)[None].astype("int32")
    changed = x.copy()
    changed[0, 5] = 20
    diff = np.abs(np.asarray(model(x)) - np.asarray(model(changed))).max(axis=(0, 2))
    assert diff[:5].max() < 1e-6 and diff[5] > 0
    np.testing.assert_allclose(model(x), tt.build_model(30, 8, dim=8, heads=2, seed=0)(x), atol=1e-6)


def test_mixing_weights():
    assert tt.mixing_weights({"a": 10, "b": 40}, 1.0) == pytest.approx({"a": 0.2, "b": 0.8})
    assert tt.mixing_weights({"a": 10, "b": 40}, math.inf) == pytest.approx({"a": 0.5, "b": 0.5})
    assert tt.mixing_weights({"a": 1, "b": 4}, 2.0) == pytest.approx({"a": 1 / 3, "b": 2 / 3})
    for bad in (({"a": 0}, 1.0), ({"a": 3}, 0.0), ({}, 1.0)):
        with pytest.raises(ValueError):
            tt.mixing_weights(*bad)


def test_constrained_decoding_stays_in_the_label_set(tasks):
    sentiment, _, ner = tasks
    vocab = tt.build_vocabulary(tasks)
    model = tt.build_model(len(vocab), 36, dim=8, heads=1, seed=0)  # untrained: free answers are mostly junk
    free = tt.predict(model, vocab, ner, "dev", constrained=False)
    kept = tt.predict(model, vocab, ner, "dev")
    assert tt.invalid_share(ner, kept, "dev") == 0.0
    assert [len(a) for a in kept] == [len(s) for s in ner.dev.tokens]
    assert tt.invalid_share(ner, free, "dev") > 0.5
    classes = tt.predict(model, vocab, sentiment, "dev")
    assert all(len(a) == 1 and a[0] in ("pos", "neg") for a in classes)
    assert 0.0 <= tt.score(ner, free, "dev") <= 1.0


def test_decoding_scores_only_the_answer_positions_as_the_whole_model_would(tasks):
    _, _, ner = tasks
    vocab = tt.build_vocabulary(tasks)
    model = tt.build_model(len(vocab), 36, dim=8, heads=1, seed=3)
    sources = [s for s, _ in tt.examples(ner, "dev")[:6]]
    x = np.zeros((len(sources), 36), np.int32)  # greedy decoding by whole-model passes, the plain way
    for i, s in enumerate(sources):
        x[i, :len(s) + 1] = vocab.encode([*s, tt.SEP])
    expected, done = [[] for _ in sources], [False] * len(sources)
    for step in range(4):
        logits = np.asarray(model(x))
        for i, s in enumerate(sources):
            token = int(np.argmax(logits[i, len(s) + step]))
            if done[i] or token == data.Vocabulary.EOS:
                done[i] = True
                continue
            expected[i].append(vocab.tokens[token])
            x[i, len(s) + step + 1] = token
    assert tt.decode(model, vocab, sources, max_answer=4) == expected


def test_score_counts_invalid_answers_wrong(tasks):
    sentiment = tasks[0]
    gold = sentiment.dev.labels
    assert tt.score(sentiment, [[g] for g in gold], "dev") == 1.0
    assert tt.score(sentiment, [["sea"] for _ in gold], "dev") == 0.0
    assert tt.invalid_share(sentiment, [["sea"] for _ in gold], "dev") == 1.0
    with pytest.raises(ValueError):
        tt.score(sentiment, [], "dev")


def test_train_is_seeded_and_checks_the_target(tasks):
    sentiment, topic, _ = tasks
    vocab = tt.build_vocabulary(tasks)
    runs = []
    for _ in range(2):
        model = tt.build_model(len(vocab), 36, dim=8, heads=1, seed=1)
        runs.append(tt.train(model, vocab, [sentiment, topic], target=sentiment, epochs=2, steps_per_epoch=3,
                             batch_size=8, seed=1))
    assert runs[0] == runs[1] and len(runs[0]["dev"]) == 2
    with pytest.raises(ValueError, match="target"):
        tt.train(model, vocab, [topic], target=sentiment)


def test_a_paraphrased_instruction_is_an_unseen_word(tasks):
    vocab = tt.build_vocabulary(tasks)
    unk = vocab.encode(["no-such-word"])[0]
    assert set(tt.PARAPHRASES) == set(tt.PREFIXES)
    for task in tasks:
        assert vocab.encode([tt.PARAPHRASES[task.name]])[0] == unk != vocab.encode([tt.PREFIXES[task.name]])[0]
    model = tt.build_model(len(vocab), 36, dim=8, heads=1, seed=0)
    sentiment = tasks[0]
    asked = tt.predict(model, vocab, sentiment, "dev", prefix=tt.PARAPHRASES[sentiment.name])
    assert all(len(a) == 1 and a[0] in ("pos", "neg") for a in asked)  # constrained: still a label
    source, _ = tt.examples(sentiment, "dev", prefix="polarity:")[0]
    assert source[0] == "polarity:"


def test_run_and_score_reads_real_corpora_cut_and_capped():
    kw = dict(seed=0, vocabulary_tasks=["sentiment", "subjectivity"], fractions={"sentiment": 0.1}, max_words=8,
              vocabulary_size=50, max_len=12, epochs=1, steps_per_epoch=2)
    accuracy = tt.run_and_score("sentiment", ["sentiment", "subjectivity"], **kw)
    assert 0.0 <= accuracy <= 1.0
    with pytest.raises(ValueError, match="max_len"):  # 8 words do not fit a model of length 6
        tt.run_and_score("sentiment", ["sentiment"], **{**kw, "max_len": 6})


SMALL = dict(corpora=("movie_reviews",), steps=30, dev_sentences=100, max_sentences=400, vocabulary_size=300,
             max_words=10, max_len=14, batch_size=16)


def test_encode_text_targets_every_next_word_then_the_end():
    vocab = data.Vocabulary(["the", "fish", "swims"], lowercase=False)
    x, y, w = tt.encode_text([["the", "fish", "swims"]], vocab, max_len=5)
    assert vocab.decode(x[0][:3]) == ["the", "fish", "swims"]
    assert vocab.decode(y[0][:3]) == ["fish", "swims", tt.END]
    assert w[0].tolist() == [1, 1, 1, 0, 0]  # a sentence of 3 words has 3 next tokens; padding none


def test_pretraining_vocabulary_is_the_texts_and_holds_every_answer():
    vocab = tt.pretraining_vocabulary(tt.Pretraining(**SMALL))
    assert "the" in vocab and "," in vocab
    assert all(p in vocab for p in tt.PREFIXES.values())
    assert all(lab in vocab for lab in ("pos", "neg", "subj", "obj"))
    assert not any(p in vocab for p in tt.PARAPHRASES.values())  # an unseen wording stays unseen
    assert len(vocab) <= 300 + len(data.Vocabulary.SPECIALS) + len(tt.PREFIXES) + 4


def test_pretraining_lowers_perplexity_below_the_unigram_model_and_is_saved(tmp_path):
    setting = tt.Pretraining(**{**SMALL, "steps": 200})
    done = tt.pretrain(setting, tmp_path)
    curve = done.history["dev perplexity"]
    assert done.source == "trained here" and curve[-1] < 0.5 * curve[0]
    assert curve[-1] < done.history["unigram dev perplexity"][0]  # it learned more than word frequencies
    again = tt.pretrain(setting, tmp_path)
    assert again.source.startswith("loaded from") and again.history == done.history
    assert all(np.array_equal(a, b) for a, b in zip(done.model.get_weights(), again.model.get_weights()))


def test_unigram_perplexity_counts_training_frequencies_with_add_one():
    y = np.array([[1, 2, 3, 4]])
    w = np.ones_like(y, dtype=np.float32)
    # ids 0..4 counted once more each: 1, 2, 2, 2, 2 of 9; every dev token has p = 2/9
    assert math.isclose(tt.unigram_perplexity(y, w, y, w), 4.5)
    skewed = np.array([[1, 1, 1, 2]])
    assert tt.unigram_perplexity(skewed, w, np.array([[1]]), np.ones((1, 1))) < 4.5  # the frequent word is cheap


def test_pretraining_rejects_bad_settings():
    with pytest.raises(ValueError, match="corpora"):
        tt.Pretraining(corpora=("wikipedia",))
    with pytest.raises(ValueError, match="prefix"):
        tt.Pretraining(tasks=("ner_xx",))
    with pytest.raises(ValueError, match="max_len"):
        tt.Pretraining(max_words=40, max_len=36)


def test_run_and_score_starts_from_the_checkpoint_only_when_asked(monkeypatch):
    setting = tt.Pretraining(**SMALL)
    kw = dict(seed=0, vocabulary_tasks=["sentiment"], fractions={"sentiment": 0.05}, max_words=10,
              epochs=1, steps_per_epoch=1, pretraining={**SMALL})
    loads = []
    monkeypatch.setattr(tt, "_checkpoint", lambda s: loads.append(s) or tt.build_model(
        len(tt.pretraining_vocabulary(setting)), setting.max_len, seed=7).get_weights())
    tt.run_and_score("sentiment", ["sentiment"], **kw)
    assert loads == []
    tt.run_and_score("sentiment", ["sentiment"], **kw, pretrained=True)
    assert loads == [setting]
    with pytest.raises(ValueError, match="pretraining"):
        tt.run_and_score("sentiment", ["sentiment"], **{**kw, "pretraining": None}, pretrained=True)
