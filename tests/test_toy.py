"""Tests of the generated toy language: determinism, aligned labels, translation rule, relatedness knob."""
import math

import pytest
from sklearn.metrics import mutual_info_score

from mtl_helpers import toy
from mtl_helpers.toy import LEXICON, NER_TAGS, POLARITY, ROLE_TAGS, TOPICS, TOY_TASKS, generate, make_task, translate


def _bio_valid(tags: list[str]) -> bool:
    """Every I-X follows a B-X or an I-X."""
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


def _entity_role_pairs(corpus: toy.ToyCorpus) -> tuple[list[str], list[str]]:
    """(entity type, role) at the first token of every entity."""
    types, roles = [], []
    for ner, role_tags in zip(corpus.ner, corpus.roles):
        for e, r in zip(ner, role_tags):
            if e.startswith("B-"):
                types.append(e[2:])
                roles.append(r[2:] if r != "O" else "O")
    return types, roles


def test_same_seed_same_corpus_different_seed_different():
    assert generate(300, seed=3, relatedness=0.5) == generate(300, seed=3, relatedness=0.5)
    assert generate(300, seed=3).tokens != generate(300, seed=4).tokens
    assert generate(300, seed=3).topic != generate(300, seed=4).topic


def test_larger_corpus_extends_smaller_one():
    small, large = generate(50, seed=2), generate(200, seed=2)
    assert large.tokens[:50] == small.tokens and large.roles[:50] == small.roles


def test_labels_are_aligned_and_valid_bio():
    corpus = generate(1000, relatedness=0.5, seed=1)
    assert len(corpus) == 1000
    for name in ("tokens", "topic", "sentiment", "ner", "roles", "translation", "coupled"):
        assert len(getattr(corpus, name)) == 1000, name
    for tokens, ner, roles in zip(corpus.tokens, corpus.ner, corpus.roles):
        assert 4 <= len(tokens) <= 17  # shortest: NAME VERB NAME . (a coupled sentence has no adverb)
        assert len(ner) == len(tokens) == len(roles)
        assert set(ner) <= set(NER_TAGS) and set(roles) <= set(ROLE_TAGS)
        assert _bio_valid(ner) and _bio_valid(roles), (tokens, ner, roles)
        assert roles.count("B-V") == roles.count("B-ARG0") == roles.count("B-ARG1") == 1
        assert tokens[-1] == "." and tokens[roles.index("B-V")] in LEXICON.word_class
        for token, tag in zip(tokens, ner):  # names, and only names, are entities
            assert (tag != "O") == (token in LEXICON.entity_type)
    assert set(corpus.topic) == set(TOPICS) and set(corpus.sentiment) == {"pos", "neg"}


def test_every_tag_of_the_inventories_occurs():
    corpus = generate(2000, relatedness=0.5)
    assert {t for tags in corpus.ner for t in tags} == set(NER_TAGS)
    assert {t for tags in corpus.roles for t in tags} == set(ROLE_TAGS)


def test_translation_of_a_hand_built_sentence():
    det, adj, verb, prep, adv = (LEXICON.det[0], LEXICON.generic_adj["pos"][0], LEXICON.verb["sea"][1],
                                 LEXICON.prep[2], LEXICON.generic_adv["pos"][0])
    noun, noun2 = LEXICON.noun["sea"][0], LEXICON.noun["sea"][3]
    name = [LEXICON.first["ORG"][0], LEXICON.second["ORG"][0]]
    # SVO, ADJ NOUN, PREP NP:  det adj noun  verb  Name Name  prep det noun2  adv .
    source = [det, adj, noun, verb, *name, prep, det, noun2, adv, "."]
    t = LEXICON.target
    # SOV, NOUN ADJ, NP POSTP, adverb right before the verb, names copied
    expected = [t[det], t[noun], t[adj], *name, t[det], t[noun2], t[prep], t[adv], t[verb], "."]
    assert translate(source) == expected
    assert all(w not in LEXICON.word_class for w in expected if w not in name and w != ".")  # own words


def test_translation_with_adjunct_and_without_optional_parts():
    aprep, det, anoun = LEXICON.adjunct_prep[0], LEXICON.det[1], LEXICON.adjunct_noun[0]
    per, verb, noun = LEXICON.first["PER"][0], LEXICON.verb["food"][0], LEXICON.noun["food"][0]
    t = LEXICON.target
    source = [aprep, det, anoun, ",", per, verb, det, noun, "."]
    assert translate(source) == [t[det], t[anoun], t[aprep], ",", per, t[det], t[noun], t[verb], "."]


def test_generated_translations_follow_the_rule():
    corpus = generate(500, relatedness=0.3, seed=5)
    for tokens, roles, target in zip(corpus.tokens, corpus.roles, corpus.translation):
        assert translate(tokens) == target
        verb = tokens[roles.index("B-V")]
        assert target[-2:] == [LEXICON.target[verb], "."]  # verb-final
        assert sorted(w for w in tokens if w in LEXICON.entity_type) == \
            sorted(w for w in target if w in LEXICON.entity_type)  # names copied


def test_translate_rejects_non_toy_sentences():
    with pytest.raises(ValueError, match="toy grammar"):
        translate(["the", "cat", "sat", "."])
    verb = LEXICON.verb["food"][0]
    with pytest.raises(ValueError, match="position 1"):
        translate([LEXICON.first["PER"][0], LEXICON.det[0], verb, "."])


def test_topic_and_sentiment_cues():
    """The verb always signals the topic. An independent sentence carries a generic polar word of its
    sentiment; a coupled one carries none, so its sentiment is readable only through its topic words."""
    generic = {p: set(LEXICON.generic_adj[p] + LEXICON.generic_adv[p]) for p in ("pos", "neg")}
    for r in (0.0, 1.0):
        corpus = generate(500, relatedness=r, seed=7)
        for tokens, roles, topic, sentiment in zip(corpus.tokens, corpus.roles, corpus.topic, corpus.sentiment):
            assert tokens[roles.index("B-V")] in LEXICON.verb[topic]
            if r == 1.0:
                assert not (generic["pos"] | generic["neg"]) & set(tokens), tokens
            else:
                assert generic[sentiment] & set(tokens), tokens
        if r == 1.0:
            assert all(POLARITY[t] == s for t, s in zip(corpus.topic, corpus.sentiment))


def test_a_few_labelled_sentences_miss_most_topic_words():
    """The eavesdropping regime: 40 sentences see well under half of the topic words a test set uses."""
    corpus = generate(1040, relatedness=1.0, seed=0)
    topic_words = {w for t in TOPICS for w in LEXICON.noun[t] + LEXICON.verb[t]}
    seen = {w for tokens in corpus.tokens[:40] for w in tokens} & topic_words
    used = {w for tokens in corpus.tokens[40:] for w in tokens} & topic_words
    assert len(seen) < 0.5 * len(used)


@pytest.mark.parametrize("seed", [0, 1])
def test_relatedness_controls_mutual_information(seed):
    mi_topic, mi_entity = [], []
    for r in (0.0, 0.5, 1.0):
        corpus = generate(3000, relatedness=r, seed=seed)
        assert abs(sum(corpus.coupled) / 3000 - r) < 0.05
        mi_topic.append(mutual_info_score(corpus.topic, corpus.sentiment))
        mi_entity.append(mutual_info_score(*_entity_role_pairs(corpus)))
    for mi in (mi_topic, mi_entity):
        assert mi[0] < 0.01 < 0.05 < mi[1] < mi[2]
    assert mi_topic[2] == pytest.approx(math.log(2), abs=0.01)  # r=1: sentiment is a function of topic
    assert mi_entity[2] > 1.0  # r=1: the entity type gives the role (PER->ARG0, ORG->ARG1, LOC->ARG2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_sentences=0), "n_sentences"), (dict(n_sentences=2.5), "n_sentences"),
    (dict(n_sentences=10, relatedness=1.5), "relatedness"), (dict(n_sentences=10, relatedness=-0.1), "relatedness"),
    (dict(n_sentences=10, relatedness=float("nan")), "relatedness"), (dict(n_sentences=10, relatedness="1"), "relatedness"),
    (dict(n_sentences=10, seed=-1), "seed"),
])
def test_generate_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        generate(**kwargs)


def test_make_task_rejects_bad_input():
    with pytest.raises(ValueError, match="toy_topic"):
        make_task("toy_pos")
    with pytest.raises(ValueError, match="size"):
        make_task("toy_topic", size=5)
    with pytest.raises(ValueError, match="relatedness"):
        make_task("toy_topic", size=100, relatedness=2)


def test_toy_tasks_share_sentences_and_split():
    tasks = {name: make_task(name, size=200, relatedness=0.5, seed=3) for name in TOY_TASKS}
    kinds = {"toy_topic": "classification", "toy_sentiment": "classification", "toy_ner": "tagging",
             "toy_roles": "tagging", "toy_translate": "seq2seq"}
    first = tasks["toy_topic"]
    assert (len(first.train), len(first.dev), len(first.test)) == (160, 20, 20)
    corpus = generate(200, relatedness=0.5, seed=3)
    for name, task in tasks.items():
        assert (task.name, task.kind, task.corpus) == (name, kinds[name], "toy") and task.description
        assert task.labels == sorted(task.labels)
        for split in ("train", "dev", "test"):
            part = getattr(task, split)
            assert part.tokens == getattr(first, split).tokens
            assert len(part.labels) == len(part.tokens)
            if task.kind == "classification":
                assert set(part.labels) <= set(task.labels)
            elif task.kind == "tagging":
                assert all(len(t) == len(s) and set(t) <= set(task.labels) for t, s in zip(part.labels, part.tokens))
            else:
                assert task.labels == []
                assert [translate(s) for s in part.tokens] == part.labels
    all_tokens = sorted(map(tuple, first.train.tokens + first.dev.tokens + first.test.tokens))
    assert all_tokens == sorted(map(tuple, corpus.tokens))  # a partition of the corpus
    assert make_task("toy_topic", size=200, seed=4).train.tokens != make_task("toy_topic", size=200).train.tokens
