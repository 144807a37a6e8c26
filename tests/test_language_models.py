"""Tests of mtl_helpers.language_models (LM pretraining and its transfer to a low-resource target), the MLP
tagging head it probes with, and the ledger's option path to it."""
import dataclasses

import numpy as np
import pytest

from mtl_helpers import heads, language_models, lessons, models, training

TINY = language_models.Transfer(max_sentences=60, fraction=0.5, vocab_size=300, lm_outputs=50, embedding_dim=8,
                                hidden_units=8, probe_units=8, dev_sentences=20, pretrain_epochs=1, epochs=1,
                                steps_per_epoch=2, early_stopping_patience=None)


@pytest.fixture(scope="module")
def stuff():
    return language_models.materials(TINY, seed=0)


def test_materials_read_the_whole_training_text_and_build_the_vocabulary_on_it(stuff):
    text = {tuple(s) for s in stuff.text.train.tokens}
    assert len(stuff.target.train) == 30 and all(tuple(s) in text for s in stuff.target.train.tokens)
    assert len(text) > len(stuff.target.train)  # the unlabelled text is more than the labelled sentences
    assert stuff.text.train.labels == [] and len(stuff.target.dev) <= 20 and len(stuff.text.dev) <= 20
    words = {w.lower() for s in stuff.text.train.tokens for w in s}
    assert all(w in words for w in stuff.vocab.tokens[4:]) and len(stuff.vocab) <= 304


def test_build_has_a_bidirectional_lm_head_and_an_mlp_tagging_head(stuff):
    model = language_models.build(TINY, stuff, seed=0)
    assert model.specs["lm"].bidirectional and model.specs["lm"].num_outputs == 50
    tagger = model.task_heads[model.task_names.index("ner_es")]
    assert tagger.hidden is not None and tagger.hidden.units == 8 and tagger.get_config()["hidden"] == 8
    again = language_models.build(TINY, stuff, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), again.get_weights()))


def test_pretrain_saves_then_loads_the_same_weights(stuff, tmp_path):
    first = language_models.pretrain(TINY, stuff, seed=0, cache_dir=tmp_path)
    assert first.source == "trained here" and set(first.dev.metric) == {"nll", "perplexity"}
    (saved,) = tmp_path.glob("*.npz")
    assert saved.name == f"{TINY.key(0)}.npz" and TINY.key(0) != TINY.key(1)
    assert TINY.key(0) == dataclasses.replace(TINY, fraction=0.1, epochs=7).key(0)  # the target's budget is not in it
    second = language_models.pretrain(TINY, stuff, seed=0, cache_dir=tmp_path)
    assert second.source.startswith("loaded from") and second.dev.equals(first.dev)
    assert all(np.array_equal(a, b) for a, b in zip(first.model.get_weights(), second.model.get_weights()))


def test_frozen_setup_trains_the_head_only_and_fine_tuning_trains_everything(stuff):
    pretrained = language_models.pretrain(TINY, stuff, seed=0, cache_dir=None)
    encoder = [v.numpy() for v in pretrained.model.shared_variables()]
    frozen, _ = language_models.train_setup(TINY, "pretrained, frozen", 0, stuff, pretrained)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(encoder, frozen.group_variables("shared", False)))
    tuned, _ = language_models.train_setup(TINY, "pretrained, fine-tuned", 0, stuff, pretrained)
    assert not all(np.array_equal(a, v.numpy()) for a, v in zip(encoder, tuned.shared_variables()))
    scores = language_models.scores(frozen, TINY, stuff)
    assert {"f1", "accuracy", "non-O predictions"} <= set(scores) and 0 <= scores["non-O predictions"] <= 1
    with pytest.raises(ValueError, match="needs the pretrained model"):
        language_models.train_setup(TINY, "pretrained, frozen", 0, stuff)
    with pytest.raises(ValueError, match="unknown setup"):
        language_models.train_setup(TINY, "frozen", 0, stuff)


@pytest.mark.parametrize(("fields", "message"), [
    ({"target": "sentiment"}, "must be a tagging task"),
    ({"fraction": 0.0}, "fraction must be in"),
    ({"text": ("wikipedia",)}, "not among the unlabelled corpora"),
])
def test_transfer_rejects_bad_settings(fields, message):
    with pytest.raises(ValueError, match=message):
        language_models.Transfer(**fields)


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "classification", "hidden": 8}, "only for a tagging task"),
    ({"kind": "tagging", "hidden": -1}, "integer >= 0"),
])
def test_mlp_head_width_is_checked(fields, message):
    with pytest.raises(ValueError, match=message):
        models.TaskSpec("t", num_outputs=3, **fields)


def test_mlp_tagging_head_applies_a_relu_layer_first():
    head = heads.TaggingHead(3, hidden=4)
    states = np.random.default_rng(0).normal(size=(2, 5, 6)).astype("float32")
    logits = head(states, padding_mask=np.ones((2, 5), bool))
    hidden = np.maximum(states @ head.hidden.kernel.numpy() + head.hidden.bias.numpy(), 0)
    np.testing.assert_allclose(logits, hidden @ head.out.kernel.numpy() + head.out.bias.numpy(), rtol=1e-5, atol=1e-6)
    assert heads.TaggingHead.from_config(head.get_config()).hidden_units == 4


def test_ledger_claims_dispatch_to_language_models():
    for claim_id in ("07-lm-low-resource-pretraining", "07-lm-low-resource-auxiliary"):
        entry = lessons.claim(claim_id)
        assert entry.target == "ner_es" and entry.baseline.options == {"lm_transfer": "scratch"}
    entry = lessons.claim("07-lm-low-resource-auxiliary")
    value = lessons.score(entry, entry.baseline, seed=0, fast=True)
    assert 0.0 <= value <= 1.0
    with pytest.raises(ValueError, match="unknown setup"):
        language_models.run_and_score("ner_es", 0, "probe")


def test_scores_match_the_trainers_evaluate(stuff):
    model, _ = language_models.train_setup(TINY, "scratch", 0, stuff)
    found = language_models.scores(model, TINY, stuff)
    expected = training.evaluate(model, {"ner_es": stuff.target}, stuff.vocab, "test").set_index("metric")["value"]
    for metric in ("accuracy", "precision", "recall", "f1"):
        assert found[metric] == pytest.approx(expected[metric])


def test_run_and_score_pretrains_for_the_pretrained_setups():
    fields = {k: v for k, v in dataclasses.asdict(TINY).items() if k != "target"}
    value = language_models.run_and_score("ner_es", 0, "fine-tuned", **fields)
    assert 0.0 <= value <= 1.0 and (TINY, 0) in language_models._PRETRAINED  # pretrained once, kept for the seed
