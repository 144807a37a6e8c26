"""A generated toy language with five aligned tasks and a knob for how related the tasks are.

Nothing is downloaded: sentences of a small made-up language (pronounceable CV-syllable words) are
sampled from a tiny grammar, and every sentence carries labels for five tasks at once:

* ``topic``       -- sentence class, one of ``TOPICS`` (food, sea, sport, trade),
* ``sentiment``   -- ``pos`` / ``neg``,
* ``ner``         -- BIO tags over names: PER, LOC, ORG (names are Capitalized, 1-2 tokens),
* ``roles``       -- BIO tags "who did what to whom": ARG0 (subject), V (verb), ARG1 (object),
  ARG2 (prepositional phrase, preposition included); everything else is ``O``,
* ``translation`` -- the sentence in a second toy language (own words: they end in a consonant).

Grammar of the source language (SVO, adjectives before the noun, prepositions)::

    [ADJUNCT_PREP NP ,]  NP(arg0)  VERB  NP(arg1)  [PREP NP](arg2)  [ADVERB]  .
    NP = DET [ADJ] NOUN  |  NAME (1-2 capitalized tokens)

Translation rule (target is SOV, adjectives after the noun, postpositions, names copied)::

    [NP' ADJUNCT_PREP' ,]  NP'(arg0)  NP'(arg1)  [NP' PREP'](arg2)  [ADVERB']  VERB'  .
    NP' = DET' NOUN' [ADJ']  |  NAME

where ``X'`` is the word-by-word lexicon entry ``LEXICON.target[X]``. ``translate`` applies it.

Cues. The topic is signalled by the verb and the nouns (each topic has its own: 40 nouns and 12
verbs, more than a few dozen labelled sentences cover), the sentiment by polar adjectives and adverbs,
entities by the names, roles by word order.

The ``relatedness`` knob r in [0, 1]. Every sentence draws a shared latent theme z (one of the four
topics) and a coin ``coupled ~ Bernoulli(r)``:

* coupled sentence (probability r): all tasks read their labels from the SAME latent features.
  topic = z; sentiment = ``POLARITY[z]``, and the sentence carries *no* polar word: its sentiment
  can only be read through its topic words, which the topic task, with its many labels, learns and
  a sentiment model with few labels mostly never sees (the lesson of "eavesdropping"); names only
  fill argument slots and their type is fixed by the role (ARG0 -> PER, ARG1 -> ORG, ARG2 -> LOC), so
  entities are the role arguments.
* independent sentence (probability 1 - r): each task draws its own latent variable. The topic is an
  independent draw, the sentiment an independent coin signalled by *generic* polar words (shared by
  all topics); names get a random type whatever their slot, and may also sit in the sentence-initial
  adjunct, which is no role argument.

So at r = 1 topic determines sentiment (mutual information ln 2), entity types determine roles, and a
shared representation of the theme/argument features serves every task; at r = 0 every pair of labels
is independent (mutual information ~ 0) and the tasks compete for the encoder's capacity. In between
the mutual information falls monotonically.
Translation is a deterministic function of the sentence and does not depend on r.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from numbers import Integral, Real

import numpy as np

from mtl_helpers.tasks import Split, TaskData

TOY_TASKS: tuple[str, ...] = ("toy_topic", "toy_sentiment", "toy_ner", "toy_roles", "toy_translate")
TOPICS: tuple[str, ...] = ("food", "sea", "sport", "trade")
POLARITY: dict[str, str] = {"food": "pos", "sea": "neg", "sport": "pos", "trade": "neg"}
ENTITY_TYPES: tuple[str, ...] = ("PER", "LOC", "ORG")
ROLE_OF_ENTITY: dict[str, str] = {"PER": "arg0", "ORG": "arg1", "LOC": "arg2"}  # coupled sentences
NER_TAGS: list[str] = sorted(["O"] + [f"{b}-{t}" for t in ENTITY_TYPES for b in "BI"])
ROLE_TAGS: list[str] = sorted(["O", "B-V"] + [f"{b}-ARG{i}" for i in range(3) for b in "BI"])

_SOURCE_CONSONANTS = "bdfgklmnprstvz"
_TARGET_CONSONANTS = "bcdfghjklmnprstvwxz"
_VOWELS = "aeiou"
_FINALS = "klmnrst"  # every target word ends in one of these, every source word in a vowel
_LEXICON_SEED = 20240917  # the language is the same for every corpus seed; only sentences differ


@dataclass(frozen=True)
class Lexicon:
    """Source words by class, their translations and the type of every name token."""

    det: tuple[str, ...]
    prep: tuple[str, ...]  # introduces the ARG2 phrase
    adjunct_prep: tuple[str, ...]  # introduces the sentence-initial adjunct (no role)
    adjunct_noun: tuple[str, ...]  # topic-neutral nouns of the adjunct
    neutral_adj: tuple[str, ...]
    noun: dict[str, tuple[str, ...]]  # topic -> nouns
    verb: dict[str, tuple[str, ...]]  # topic -> verbs
    generic_adj: dict[str, tuple[str, ...]]  # "pos"/"neg" -> polar adjectives of no topic
    generic_adv: dict[str, tuple[str, ...]]
    first: dict[str, tuple[str, ...]]  # entity type -> first name tokens
    second: dict[str, tuple[str, ...]]  # entity type -> optional second tokens (surname / suffix)
    target: dict[str, str]  # source word -> target word (names are copied, not listed)
    word_class: dict[str, str]  # source word -> det|prep|adjunct_prep|noun|verb|adj|adv|name|punct
    entity_type: dict[str, str]  # name token -> PER|LOC|ORG


def _word_maker(rng: np.random.Generator, used: set[str]):
    """Return make(n, syllables, target=False, capital=False) drawing unique pronounceable words."""

    def make(n: int, syllables: tuple[int, int], *, target: bool = False, capital: bool = False):
        consonants = _TARGET_CONSONANTS if target else _SOURCE_CONSONANTS
        words: list[str] = []
        while len(words) < n:
            k = int(rng.integers(syllables[0], syllables[1] + 1))
            word = "".join(consonants[rng.integers(len(consonants))] + _VOWELS[rng.integers(5)] for _ in range(k))
            if target:
                word += _FINALS[rng.integers(len(_FINALS))]
            if word not in used:
                used.add(word)
                words.append(word.capitalize() if capital else word)
        return tuple(words)

    return make


def _build_lexicon() -> Lexicon:
    """Draw the toy language's words once, from a fixed seed."""
    make = _word_maker(np.random.default_rng(_LEXICON_SEED), set())
    lex = dict(
        det=make(3, (1, 1)), prep=make(3, (1, 1)), adjunct_prep=make(2, (1, 1)),
        adjunct_noun=make(5, (2, 3)), neutral_adj=make(6, (2, 2)),
        noun={t: make(40, (2, 3)) for t in TOPICS}, verb={t: make(12, (2, 3)) for t in TOPICS},
        generic_adj={p: make(5, (2, 3)) for p in ("pos", "neg")},
        generic_adv={p: make(2, (3, 3)) for p in ("pos", "neg")},
        first={"PER": make(12, (2, 3), capital=True), "LOC": make(10, (2, 3), capital=True),
               "ORG": make(8, (2, 3), capital=True)},
        second={"PER": make(8, (2, 3), capital=True), "LOC": make(3, (2, 2), capital=True),
                "ORG": make(3, (2, 2), capital=True)},
    )
    classes = {
        "det": lex["det"], "prep": lex["prep"], "adjunct_prep": lex["adjunct_prep"],
        "noun": lex["adjunct_noun"] + sum(lex["noun"].values(), ()),
        "verb": sum(lex["verb"].values(), ()),
        "adj": lex["neutral_adj"] + sum(lex["generic_adj"].values(), ()),
        "adv": sum(lex["generic_adv"].values(), ()),
    }
    word_class = {w: c for c, words in classes.items() for w in words}
    word_class.update({",": "punct", ".": "punct"})
    target_make = _word_maker(np.random.default_rng(_LEXICON_SEED + 1), set())
    target = {w: target_make(1, (1, 1) if c in ("det", "prep", "adjunct_prep") else (1, 2), target=True)[0]
              for c, words in classes.items() for w in words}
    target.update({",": ",", ".": "."})
    entity_type = {w: t for part in ("first", "second") for t, words in lex[part].items() for w in words}
    word_class.update({w: "name" for w in entity_type})
    return Lexicon(**lex, target=target, word_class=word_class, entity_type=entity_type)


LEXICON: Lexicon = _build_lexicon()


@dataclass
class ToyCorpus:
    """Aligned sentences and labels of all five toy tasks (index i = sentence i everywhere)."""

    tokens: list[list[str]]
    topic: list[str]
    sentiment: list[str]
    ner: list[list[str]]
    roles: list[list[str]]
    translation: list[list[str]]
    coupled: list[bool] = field(default_factory=list)  # True where the labels came from the shared latent

    def __len__(self) -> int:
        return len(self.tokens)


# A phrase is (role, words of the source phrase); role is adjunct|arg0|v|arg1|arg2|adv|end.
# An NP is (det, adj, head): det/adj are a word or None, head a list of noun or name tokens.
_NP = tuple[str | None, str | None, list[str]]


class _Draws:
    """Uniform numbers of one sentence, consumed in order (one row of a seeded matrix)."""

    def __init__(self, row: list[float]):
        self.row, self.i = row, 0

    def u(self) -> float:
        self.i += 1
        return self.row[self.i - 1]

    def chance(self, p: float) -> bool:
        return self.u() < p

    def pick(self, items):
        return items[int(self.u() * len(items))]


_DRAWS_PER_SENTENCE = 48  # upper bound on draws one sentence consumes (about 35 at most)


def _name(d: _Draws, etype: str) -> list[str]:
    words = [d.pick(LEXICON.first[etype])]
    if d.chance(0.4):
        words.append(d.pick(LEXICON.second[etype]))
    return words


def _common_np(d: _Draws, nouns: tuple[str, ...], polar: tuple[str, ...] | None) -> _NP:
    """DET [ADJ] NOUN; the adjective is polar (if polar words are given) or neutral."""
    adj = None
    if d.chance(0.6):
        adj = d.pick(polar) if polar and d.chance(0.7) else d.pick(LEXICON.neutral_adj)
    return d.pick(LEXICON.det), adj, [d.pick(nouns)]


def _sample(d: _Draws, relatedness: float) -> tuple[str, str, bool, list[tuple[str, _NP | str]]]:
    """Sample one sentence: topic, sentiment, coupled flag and its phrases (source order)."""
    coupled = d.chance(relatedness)
    z = d.pick(TOPICS)
    own_topic, own_sentiment = d.pick(TOPICS), d.pick(("pos", "neg"))
    topic, sentiment = (z, POLARITY[z]) if coupled else (own_topic, own_sentiment)
    polar_adj = None if coupled else LEXICON.generic_adj[sentiment]  # coupled: the topic words are the cue

    def slot(role: str) -> _NP:
        is_name, own_type = d.chance(0.5), d.pick(ENTITY_TYPES)
        if is_name:
            etype = next(t for t, r in ROLE_OF_ENTITY.items() if r == role) if coupled else own_type
            return None, None, _name(d, etype)
        return _common_np(d, LEXICON.noun[topic], polar_adj)

    phrases: list[tuple[str, _NP | str]] = []
    if d.chance(0.3):
        if not coupled and d.chance(0.5):
            head: _NP = (None, None, _name(d, d.pick(ENTITY_TYPES)))
        else:
            head = (d.pick(LEXICON.det), None, [d.pick(LEXICON.adjunct_noun)])
        phrases.append(("adjunct", (d.pick(LEXICON.adjunct_prep), head)))
    phrases += [("arg0", slot("arg0")), ("v", d.pick(LEXICON.verb[topic])), ("arg1", slot("arg1"))]
    if d.chance(0.5):
        phrases.append(("arg2", (d.pick(LEXICON.prep), slot("arg2"))))
    has_polar_adj = polar_adj is not None and any(np_[1] in polar_adj for _, np_ in _noun_phrases(phrases))
    if not coupled and (d.chance(0.4) or not has_polar_adj):  # every independent sentence has a polar word
        phrases.append(("adv", d.pick(LEXICON.generic_adv[sentiment])))
    phrases.append(("end", "."))
    return topic, sentiment, coupled, phrases


def _noun_phrases(phrases) -> list[tuple[str, _NP]]:
    """(role, NP) of every noun phrase, the ones inside adjunct and ARG2 included."""
    out = []
    for role, p in phrases:
        if role in ("arg0", "arg1"):
            out.append((role, p))
        elif role in ("adjunct", "arg2"):
            out.append((role, p[1]))
    return out


def _np_source(np_: _NP) -> list[str]:
    det, adj, head = np_
    return [w for w in (det, adj) if w] + head


def _np_target(np_: _NP) -> list[str]:
    det, adj, head = np_
    if det is None:  # a name: copied as is
        return list(head)
    return [LEXICON.target[det], LEXICON.target[head[0]]] + ([LEXICON.target[adj]] if adj else [])


def _np_entities(np_: _NP) -> list[str]:
    det, adj, head = np_
    if det is not None:
        return ["O"] * len(_np_source(np_))
    etype = LEXICON.entity_type[head[0]]
    return [f"B-{etype}"] + [f"I-{etype}"] * (len(head) - 1)


def _render(phrases) -> tuple[list[str], list[str], list[str], list[str]]:
    """Source tokens, NER tags, role tags and target tokens of a parsed/sampled sentence."""
    tokens: list[str] = []
    ner: list[str] = []
    roles: list[str] = []
    parts: dict[str, list[str]] = {}
    for role, p in phrases:
        if role in ("adjunct", "arg2"):
            prep, np_ = p
            words, tags = [prep] + _np_source(np_), ["O"] + _np_entities(np_)
            parts[role] = _np_target(np_) + [LEXICON.target[prep]]
            if role == "adjunct":
                words, tags = words + [","], tags + ["O"]
                parts[role].append(",")
        elif role in ("arg0", "arg1"):
            words, tags, parts[role] = _np_source(p), _np_entities(p), _np_target(p)
        else:
            words, tags, parts[role] = [p], ["O"], [LEXICON.target[p]]
        tokens += words
        ner += tags
        if role in ("arg0", "arg1", "arg2"):
            label = role.upper()
            roles += [f"B-{label}"] + [f"I-{label}"] * (len(words) - 1)
        else:
            roles += ["B-V" if role == "v" else "O"] * len(words)
    target_order = ("adjunct", "arg0", "arg1", "arg2", "adv", "v", "end")
    return tokens, ner, roles, [w for role in target_order for w in parts.get(role, [])]


def _check_relatedness(relatedness: float) -> float:
    if isinstance(relatedness, bool) or not isinstance(relatedness, Real) or not 0.0 <= relatedness <= 1.0:
        raise ValueError(f"relatedness must be a number in [0, 1], got {relatedness!r}; pass 0 for "
                         "independent tasks, 1 for tasks that share their cues, or a value in between.")
    return float(relatedness)


def generate(n_sentences: int, *, relatedness: float = 1.0, seed: int = 0) -> ToyCorpus:
    """Sample ``n_sentences`` toy sentences with labels for all five tasks (deterministic for a seed).

    Sentence i depends only on (i, relatedness, seed), so a larger corpus extends a smaller one.
    """
    if isinstance(n_sentences, bool) or not isinstance(n_sentences, Integral) or n_sentences < 1:
        raise ValueError(f"n_sentences must be a positive integer, got {n_sentences!r}; pass e.g. 3000.")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}; pass e.g. seed=0.")
    relatedness = _check_relatedness(relatedness)
    uniforms = np.random.default_rng(int(seed)).random((int(n_sentences), _DRAWS_PER_SENTENCE)).tolist()
    corpus = ToyCorpus([], [], [], [], [], [], [])
    for row in uniforms:
        topic, sentiment, coupled, phrases = _sample(_Draws(row), relatedness)
        tokens, ner, roles, translation = _render(phrases)
        corpus.tokens.append(tokens)
        corpus.topic.append(topic)
        corpus.sentiment.append(sentiment)
        corpus.ner.append(ner)
        corpus.roles.append(roles)
        corpus.translation.append(translation)
        corpus.coupled.append(coupled)
    return corpus


def _parse(tokens: list[str]) -> list[tuple[str, _NP | str]]:
    """Phrases of a sentence of the toy grammar; ValueError naming the first token that does not fit."""
    cls = [LEXICON.word_class.get(w, "unknown") for w in tokens]
    i = 0

    def fail(expected: str):
        got = repr(tokens[i]) if i < len(tokens) else "the end of the sentence"
        raise ValueError(f"not a toy-language sentence: expected {expected} at position {i}, got {got}; "
                         "translate only accepts sentences of the toy grammar, e.g. from toy.generate().")

    def noun_phrase() -> _NP:
        nonlocal i
        if i < len(tokens) and cls[i] == "name":
            start = i
            while i < len(tokens) and cls[i] == "name":
                i += 1
            return None, None, tokens[start:i]
        if i >= len(tokens) or cls[i] != "det":
            fail("a determiner or a name")
        det, adj = tokens[i], None
        i += 1
        if i < len(tokens) and cls[i] == "adj":
            adj, i = tokens[i], i + 1
        if i >= len(tokens) or cls[i] != "noun":
            fail("a noun")
        i += 1
        return det, adj, [tokens[i - 1]]

    def word(kind: str) -> str:
        nonlocal i
        if i >= len(tokens) or cls[i] != kind:
            fail(f"a {kind}")
        i += 1
        return tokens[i - 1]

    phrases: list[tuple[str, _NP | str]] = []
    if cls and cls[0] == "adjunct_prep":
        prep = word("adjunct_prep")
        phrases.append(("adjunct", (prep, noun_phrase())))
        if i >= len(tokens) or tokens[i] != ",":
            fail("','")
        i += 1
    phrases.append(("arg0", noun_phrase()))
    phrases.append(("v", word("verb")))
    phrases.append(("arg1", noun_phrase()))
    if i < len(tokens) and cls[i] == "prep":
        prep = word("prep")
        phrases.append(("arg2", (prep, noun_phrase())))
    if i < len(tokens) and cls[i] == "adv":
        phrases.append(("adv", word("adv")))
    if i != len(tokens) - 1 or tokens[i] != ".":
        fail("'.' closing the sentence")
    phrases.append(("end", "."))
    return phrases


def translate(tokens: list[str]) -> list[str]:
    """Translate a toy sentence word by word (``LEXICON.target``) and reorder it SVO -> SOV."""
    return _render(_parse(tokens))[3]


@lru_cache(maxsize=8)
def _corpus_and_split(size: int, relatedness: float, seed: int) -> tuple[ToyCorpus, dict[str, list[int]]]:
    """The shared corpus of all toy tasks and its seeded 80/10/10 split (cached: five tasks, one corpus)."""
    corpus = generate(size, relatedness=relatedness, seed=seed)
    order = np.random.default_rng([seed, 1]).permutation(size).tolist()
    n_train, n_dev = int(0.8 * size), int(0.1 * size)
    return corpus, {"train": order[:n_train], "dev": order[n_train:n_train + n_dev],
                    "test": order[n_train + n_dev:]}


_TASK_INFO: dict[str, tuple[str, str, list[str], str]] = {  # name -> kind, corpus field, labels, description
    "toy_topic": ("classification", "topic", sorted(TOPICS), "Toy language: topic of a sentence (4 classes)"),
    "toy_sentiment": ("classification", "sentiment", ["neg", "pos"], "Toy language: sentiment, pos/neg"),
    "toy_ner": ("tagging", "ner", NER_TAGS, "Toy language: named entities, BIO over PER/LOC/ORG"),
    "toy_roles": ("tagging", "roles", ROLE_TAGS, "Toy language: semantic roles, BIO over ARG0/V/ARG1/ARG2"),
    "toy_translate": ("seq2seq", "translation", [], "Toy language: translation into an SOV toy language"),
}


def make_task(name: str, *, size: int = 3000, relatedness: float = 1.0, seed: int = 0) -> TaskData:
    """One toy task; all toy tasks of the same (size, relatedness, seed) share sentences and split.

    Label inventories are the full fixed tag sets of the toy language (a superset of the tags seen).
    """
    if name not in _TASK_INFO:
        raise ValueError(f"unknown toy task {name!r}; use one of {', '.join(TOY_TASKS)}.")
    if isinstance(size, bool) or not isinstance(size, Integral) or size < 10:
        raise ValueError(f"size must be an integer >= 10 so every split gets a sentence, got {size!r}; "
                         "pass e.g. size=3000.")
    kind, attr, labels, description = _TASK_INFO[name]
    corpus, split = _corpus_and_split(int(size), _check_relatedness(relatedness), int(seed))
    values = getattr(corpus, attr)

    def part(indices: list[int]) -> Split:
        return Split(tokens=[list(corpus.tokens[i]) for i in indices],
                     labels=[values[i] if kind == "classification" else list(values[i]) for i in indices])

    return TaskData(name=name, kind=kind, corpus="toy", labels=list(labels), train=part(split["train"]),
                    dev=part(split["dev"]), test=part(split["test"]), description=description)
