"""One model for many tasks, all as text: T5-style prefixes, a tiny decoder-only Transformer, constrained decoding.

Every task becomes "read a text, write a text" (Raffel et al. 2020, T5):

    sentiment: the cold fish ...   ->  neg
    topic: the cold fish ...       ->  sea
    ner: Mobano sold the fish .    ->  B-ORG O O O O      (one tag per word: the entities with their types)

A decoder-only model reads ``prefix sentence <s> answer </s>`` left to right under a causal mask and is trained
to predict the answer tokens only; multi-task learning is then nothing but mixing the tasks' examples in the
batches. Greedy decoding may write anything in the vocabulary; *constrained* decoding keeps each answer token
in the task's label set and, for tagging, writes exactly one tag per word. The real corpora have prefixes too
(``sentiment:``, ``review:``, ``subjectivity:``, ...); ``truncate`` and ``build_vocabulary(max_size=...)`` fit
them to a model of fixed length and a small output layer. ``pretrain`` first trains the same model to predict the
next word of unlabelled NLTK text (one checkpoint, saved in build/text_pretrained/), as GPT and T5 learn the
language before the tasks.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import data, metrics

PREFIXES: dict[str, str] = {"toy_sentiment": "sentiment:", "toy_topic": "topic:", "toy_ner": "ner:",
                            "toy_roles": "roles:", "sentiment": "sentiment:", "subjectivity": "subjectivity:",
                            "review_polarity": "review:", "pos": "tags:", "chunk": "chunks:"}  # not "pos:": the label
# Another wording of each instruction, never used in training. It is no word of the vocabulary (built from the
# train text, the prefixes and the labels), so the model reads <unk>, whose embedding no step trained: without
# pretraining, an unseen wording is an unknown word. Instruction tuning (FLAN, T0) trains on many wordings.
PARAPHRASES: dict[str, str] = {"toy_sentiment": "polarity:", "toy_topic": "subject:", "toy_ner": "entities:",
                               "toy_roles": "agents:", "sentiment": "polarity:", "subjectivity": "opinion:",
                               "review_polarity": "verdict:", "pos": "categories:", "chunk": "phrases:"}
CACHE_DIR = Path(__file__).resolve().parents[1] / "build" / "text_pretrained"  # git-ignored checkpoints
SEP, END = data.Vocabulary.SPECIALS[data.Vocabulary.BOS], data.Vocabulary.SPECIALS[data.Vocabulary.EOS]
Example = tuple[list[str], list[str]]  # (source words with the prefix, answer words)


def _check_task(task: data.TaskData) -> None:
    if task.name not in PREFIXES:
        raise ValueError(f"task {task.name!r} has no text prefix; use one of {sorted(PREFIXES)} or add it to "
                         "text_to_text.PREFIXES.")


def format_example(task_name: str, tokens: Sequence[str], label: str | Sequence[str],
                   prefix: str | None = None) -> Example:
    """The example as text: (``prefix`` + sentence words, answer words). A class label is one answer word; a
    tag sequence is one tag per word. ``prefix`` overrides the task's own (paraphrased instructions)."""
    if task_name not in PREFIXES:
        raise ValueError(f"unknown task {task_name!r}; use one of {sorted(PREFIXES)}.")
    if not tokens:
        raise ValueError("tokens is empty; pass the words of one sentence, e.g. ['the', 'fish', '.'].")
    answer = [label] if isinstance(label, str) else list(label)
    if not isinstance(label, str) and len(answer) != len(tokens):
        raise ValueError(f"a tag sequence needs one tag per word: {len(tokens)} words, {len(answer)} tags.")
    return [prefix or PREFIXES[task_name], *tokens], answer


def examples(task: data.TaskData, split: str = "train", prefix: str | None = None) -> list[Example]:
    """Every sentence of one split of ``task`` as a text-to-text example."""
    _check_task(task)
    part = getattr(task, split)
    return [format_example(task.name, t, y, prefix) for t, y in zip(part.tokens, part.labels)]


def build_vocabulary(tasks: Sequence[data.TaskData], max_size: int | None = None) -> data.Vocabulary:
    """One vocabulary for inputs and answers: the train words, every toy prefix, the prefix of every task given
    and every label (case kept).
    ``max_size``: keep only that many of the most frequent train words (rarer ones read as ``<unk>``), then add the prefixes
    and labels: a real corpus brings some 20,000 words, most too rare to learn, each a row of the embedding and
    a column of the output layer."""
    if not tasks:
        raise ValueError("tasks is empty; pass the tasks whose text the model reads, e.g. [sentiment, topic].")
    words = [w for t in tasks for s in t.train.tokens for w in s]
    labels = [lab for t in tasks for lab in t.labels]
    toy = [prefix for name, prefix in PREFIXES.items() if name in data.TOY_TASK_NAMES]  # counted as words, as ever
    if max_size is None:
        built = data.Vocabulary.build([words, toy + labels], lowercase=False)
    else:
        built = data.Vocabulary.build([words], max_size=max_size, lowercase=False)
    own = [PREFIXES[t.name] for t in tasks if t.name in PREFIXES]
    return _with_answers(built, toy + labels + own)


def _with_answers(built: data.Vocabulary, extra: Sequence[str]) -> data.Vocabulary:
    """``built`` with every token of ``extra`` (prefixes, labels) it lacks appended: answers are never <unk>."""
    missing = [e for e in dict.fromkeys(extra) if e not in built]
    return data.Vocabulary(built.tokens[len(data.Vocabulary.SPECIALS):] + missing, lowercase=False)


def truncate(task: data.TaskData, max_words: int) -> data.TaskData:
    """A copy of ``task`` whose sentences (and, for tagging, their tags) keep their first ``max_words`` words:
    the model has a fixed length, and a few long sentences should not set it for all."""
    if isinstance(max_words, bool) or not isinstance(max_words, int) or max_words < 1:
        raise ValueError(f"max_words must be a positive integer, got {max_words!r}; pass e.g. 40.")
    tagging = task.kind == "tagging"

    def cut(split: data.Split) -> data.Split:
        return data.Split([s[:max_words] for s in split.tokens],
                          [y[:max_words] for y in split.labels] if tagging else list(split.labels))

    return data.TaskData(task.name, task.kind, task.corpus, list(task.labels), cut(task.train), cut(task.dev),
                         cut(task.test), task.description)


def encode(batch: Sequence[Example], vocab: data.Vocabulary, max_len: int) -> tuple[np.ndarray, ...]:
    """(inputs, next-token targets, weights): ``source <s> answer </s>`` shifted by one; the weight is 1
    exactly where the target is an answer token or ``</s>``, so the model is never trained to write inputs."""
    x = np.zeros((len(batch), max_len), np.int32)
    y = np.zeros((len(batch), max_len), np.int32)
    w = np.zeros((len(batch), max_len), np.float32)
    for i, (source, answer) in enumerate(batch):
        ids = vocab.encode([*source, SEP, *answer, END])
        if len(ids) > max_len + 1:
            raise ValueError(f"example {i} has {len(ids)} tokens, more than max_len + 1 = {max_len + 1}; "
                             "raise max_len.")
        x[i, :len(ids) - 1], y[i, :len(ids) - 1] = ids[:-1], ids[1:]
        w[i, len(source):len(ids) - 1] = 1.0
    return x, y, w


def causal_mask(length: int) -> np.ndarray:
    """(length, length) bool: position i may attend to j exactly when j <= i (itself and the past)."""
    if not isinstance(length, int) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}.")
    return np.tril(np.ones((length, length), bool))


def build_model(vocab_size: int, max_len: int, *, dim: int = 64, heads: int = 2, seed: int = 0):
    """A one-block decoder-only Transformer: token + position embeddings, causal self-attention and a
    feed-forward layer (each with a residual and LayerNorm), then logits over the whole vocabulary."""
    import keras

    if vocab_size < 5 or max_len < 2 or dim < 1 or heads < 1:
        raise ValueError(f"need vocab_size >= 5, max_len >= 2, dim >= 1, heads >= 1; got {vocab_size}, {max_len}, "
                         f"{dim}, {heads}.")
    keras.utils.set_random_seed(seed)
    tokens = keras.Input((max_len,), dtype="int32", name="tokens")
    h = keras.layers.Embedding(vocab_size, dim, name="token_embedding")(tokens)
    positions = keras.ops.cumsum(keras.ops.ones_like(tokens), axis=1) - 1  # 0, 1, 2, ... in every row
    h = h + keras.layers.Embedding(max_len, dim, name="position_embedding")(positions)
    attended = keras.layers.MultiHeadAttention(heads, dim // heads, name="attention")(
        h, h, attention_mask=causal_mask(max_len)[None])
    h = keras.layers.LayerNormalization(name="norm_1")(h + attended)
    ff = keras.layers.Dense(2 * dim, activation="relu", name="ff_in")(h)
    h = keras.layers.LayerNormalization(name="norm_2")(h + keras.layers.Dense(dim, name="ff_out")(ff))
    logits = keras.layers.Dense(vocab_size, name="logits")(h)
    return keras.Model(tokens, logits, name="text_to_text")


def mixing_weights(sizes: Mapping[str, int], temperature: float = math.inf) -> dict[str, float]:
    """Task sampling probabilities p_t ∝ n_t^(1/T): T = 1 mixes in proportion to size, T = inf uniformly."""
    if not sizes or any(n < 1 for n in sizes.values()):
        raise ValueError(f"sizes must map each task to a positive count, got {dict(sizes)}.")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0 (1: proportional, math.inf: uniform), got {temperature}.")
    raw = {t: 1.0 if math.isinf(temperature) else n ** (1.0 / temperature) for t, n in sizes.items()}
    total = sum(raw.values())
    return {t: v / total for t, v in raw.items()}


def _split(model) -> tuple:
    """(the model up to its ``logits`` layer, that layer): to score only the positions that are needed."""
    import keras

    output = model.get_layer("logits")
    return keras.Model(model.input, output.input), output


def decode(model, vocab: data.Vocabulary, sources: Sequence[Sequence[str]], *, max_answer: int,
           allowed: Sequence[str] | None = None, lengths: Sequence[int] | None = None) -> list[list[str]]:
    """Greedy answers to ``sources``. Unconstrained, any token may come until ``</s>`` (at most ``max_answer``).
    ``allowed``: every answer token is the best-scoring label of this set; ``lengths``: then exactly that
    many tokens per answer (one tag per word; 1 for a class). Each step scores only the one position per source
    that writes the next token (the model's layers up to ``logits``, then ``logits`` on those positions): the
    same numbers as the whole model, without sources x positions x vocabulary floats."""
    if lengths is not None and (allowed is None or len(lengths) != len(sources)):
        raise ValueError("lengths needs allowed (the label set) and one length per source.")
    max_len = int(model.input_shape[1])
    starts = np.array([len(s) + 1 for s in sources])  # the first answer token is predicted at position start - 1
    n_steps = max(lengths) if lengths is not None else max_answer
    if starts.max() + n_steps > max_len + 1:
        raise ValueError(f"prompts plus answers need {starts.max() + n_steps} positions; the model has {max_len}.")
    body, output = _split(model)
    x = np.zeros((len(sources), max_len), np.int32)
    for i, s in enumerate(sources):
        x[i, :starts[i]] = vocab.encode([*s, SEP])
    mask = np.zeros(len(vocab), np.float32)
    if allowed is not None:
        mask[:] = -np.inf
        mask[vocab.encode(list(allowed))] = 0.0
    answers: list[list[str]] = [[] for _ in sources]
    done = np.zeros(len(sources), bool)
    for step in range(n_steps):
        rows = np.flatnonzero(~done)
        positions = starts[rows] + step - 1
        hidden = np.asarray(body(x[rows], training=False))[np.arange(len(rows)), positions]
        tokens = np.argmax(np.asarray(output(hidden)) + mask, axis=1)
        for i, pos, token in zip(rows, positions, tokens):
            if allowed is None and token == data.Vocabulary.EOS:
                done[i] = True
                continue
            answers[i].append(vocab.tokens[token])
            if pos + 1 < max_len:
                x[i, pos + 1] = token
            if lengths is not None and len(answers[i]) == lengths[i]:
                done[i] = True
        if done.all():
            break
    return answers


def predict(model, vocab: data.Vocabulary, task: data.TaskData, split: str = "test", *,
            constrained: bool = True, prefix: str | None = None) -> list[list[str]]:
    """The model's answers on one split of ``task``: constrained (label set, one tag per word) or free."""
    batch = examples(task, split, prefix)
    sources = [s for s, _ in batch]
    tagging = task.kind == "tagging"
    if not constrained:
        return decode(model, vocab, sources, max_answer=max(len(s) for s in sources) + 2 if tagging else 3)
    lengths = [len(s) - 1 if tagging else 1 for s in sources]
    return decode(model, vocab, sources, max_answer=max(lengths), allowed=task.labels, lengths=lengths)


def invalid_share(task: data.TaskData, answers: Sequence[Sequence[str]], split: str = "test") -> float:
    """Share of answers that are no valid label (a class) or no valid tag sequence of the sentence's length."""
    labels = set(task.labels)
    words = getattr(task, split).tokens
    bad = [not a or any(t not in labels for t in a) or (len(a) != len(w) if task.kind == "tagging" else len(a) != 1)
           for a, w in zip(answers, words)]
    return float(np.mean(bad))


def score(task: data.TaskData, answers: Sequence[Sequence[str]], split: str = "test") -> float:
    """Accuracy (a class task: an invalid answer counts wrong) or span F1 (tagging: invalid sequences are cut
    or padded with ``O`` to the sentence's length, so a wrong length costs its spans, not the whole run)."""
    gold = getattr(task, split).labels
    if len(answers) != len(gold):
        raise ValueError(f"{len(answers)} answers for {len(gold)} sentences of {task.name} {split}.")
    if task.kind == "classification":
        return float(np.mean([len(a) == 1 and a[0] == g for a, g in zip(answers, gold)]))
    fixed = [[t if t in task.labels else "O" for t in a[:len(g)]] + ["O"] * (len(g) - len(a))
             for a, g in zip(answers, gold)]
    return metrics.span_scores(gold, fixed)["f1"]


def train(model, vocab: data.Vocabulary, tasks: Sequence[data.TaskData], *, target: data.TaskData,
          epochs: int = 20, steps_per_epoch: int = 30, batch_size: int = 32, temperature: float = math.inf,
          learning_rate: float = 3e-3, patience: int = 4, seed: int = 0) -> dict[str, list[float]]:
    """Train on ``tasks`` mixed by ``mixing_weights`` (each batch draws a task per example), keep the epoch
    whose constrained dev score on ``target`` is best, stop after ``patience`` epochs without a gain. The
    loss, the mean over answer tokens, is computed from logits at those positions only (a class answer is 2
    of some 40 positions), which makes a step several times cheaper than scoring every position.
    Returns {"loss": per epoch, "dev": per epoch}."""
    import keras
    import tensorflow as tf

    if target.name not in [t.name for t in tasks]:
        raise ValueError(f"target {target.name!r} is not among the trained tasks {[t.name for t in tasks]}.")
    max_len = int(model.input_shape[1])
    encoded = {t.name: encode(examples(t, "train"), vocab, max_len) for t in tasks}
    weights = mixing_weights({n: len(e[0]) for n, e in encoded.items()}, temperature)
    names = list(encoded)
    rng = np.random.default_rng(seed)
    optimizer = keras.optimizers.Adam(learning_rate)

    body, output = _split(model)

    @tf.function
    def step(x, y, w):
        answer = tf.where(w > 0)  # the loss is the mean over answer positions: only these need logits
        with tf.GradientTape() as tape:
            logits = output(tf.gather_nd(body(x, training=True), answer))
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(tf.gather_nd(y, answer), logits,
                                                                               from_logits=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    history: dict[str, list[float]] = {"loss": [], "dev": []}
    best, best_weights, waited = -1.0, model.get_weights(), 0
    for _ in range(epochs):
        losses = []
        for _ in range(steps_per_epoch):
            picks = rng.choice(len(names), size=batch_size, p=[weights[n] for n in names])
            rows = [[rng.integers(len(encoded[names[k]][0]))] for k in picks]
            x, y, w = (np.concatenate([encoded[names[k]][j][r] for k, r in zip(picks, rows)]) for j in range(3))
            losses.append(float(step(x, y, w)))
        dev = score(target, predict(model, vocab, target, "dev"), "dev")
        history["loss"].append(float(np.mean(losses)))
        history["dev"].append(dev)
        if dev > best:
            best, best_weights, waited = dev, model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.set_weights(best_weights)
    return history


@dataclass(frozen=True)
class Pretraining:
    """Everything a pretrained text model depends on: the unlabelled corpora (lower-cased, cut to ``max_words``),
    the vocabulary (their ``vocabulary_size`` most frequent words, then every prefix and the labels of
    ``tasks``), the model's length and the budget. One checkpoint serves every fine-tuning seed, as a public
    checkpoint does; the seeds of a comparison then vary the target's split and batches, not the pretraining."""

    corpora: tuple[str, ...] = data.TEXT_CORPORA
    tasks: tuple[str, ...] = ("sentiment", "review_polarity", "subjectivity")
    max_words: int = 32
    vocabulary_size: int = 2000
    max_len: int = 36
    steps: int = 1500
    batch_size: int = 64
    learning_rate: float = 3e-3
    dev_sentences: int = 2000
    max_sentences: int | None = None  # keep only this many training sentences (fast mode)
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.corpora or any(c not in data.TEXT_CORPORA for c in self.corpora):
            raise ValueError(f"corpora {list(self.corpora)} must be some of {data.TEXT_CORPORA}; pass e.g. "
                             "corpora=('movie_reviews',).")
        if unknown := [t for t in self.tasks if t not in PREFIXES]:
            raise ValueError(f"tasks {unknown} have no text prefix; use some of {sorted(PREFIXES)}.")
        if self.max_len < self.max_words + 1 or self.steps < 1 or self.batch_size < 1:
            raise ValueError(f"need max_len > max_words (a sentence and its </s>), steps >= 1 and batch_size >= 1; "
                             f"got {self.max_len}, {self.max_words}, {self.steps}, {self.batch_size}.")

    def key(self) -> str:
        """The checkpoint's file name: it changes with every field."""
        return "text_" + hashlib.sha1(json.dumps(dataclasses.asdict(self), sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class Pretrained:
    """A pretrained text model, its vocabulary, the dev perplexity by step and where it came from."""

    model: object
    vocab: data.Vocabulary
    history: dict[str, list[float]]  # {"step": ..., "dev perplexity": ...}
    source: str  # "trained here" or "loaded from <path>"


@functools.cache
def pretraining_text(setting: Pretraining) -> tuple[tuple[tuple[str, ...], ...], tuple[tuple[str, ...], ...]]:
    """(train, dev) sentences of the unlabelled corpora: lower-cased as the task corpora are, cut to
    ``max_words``; a seeded ``dev_sentences`` held out to measure perplexity. Built once per setting."""
    sentences = [tuple(w.lower() for w in s[:setting.max_words]) for s in data.unlabeled_sentences(setting.corpora)]
    order = np.random.default_rng(setting.seed).permutation(len(sentences))
    train = tuple(sentences[i] for i in order[setting.dev_sentences:])
    return train[:setting.max_sentences], tuple(sentences[i] for i in order[:setting.dev_sentences])


@functools.cache
def pretraining_vocabulary(setting: Pretraining) -> data.Vocabulary:
    """The checkpoint's vocabulary, the same whatever split a seed draws: the text's most frequent words, then
    every prefix and the labels of ``setting.tasks``."""
    train, _ = pretraining_text(setting)
    built = data.Vocabulary.build(train, max_size=setting.vocabulary_size, lowercase=False)
    labels = [lab for name in setting.tasks for lab in data.load_task(name, max_sentences=2).labels]
    return _with_answers(built, [*PREFIXES.values(), *labels])


def encode_text(sentences: Sequence[Sequence[str]], vocab: data.Vocabulary, max_len: int) -> tuple[np.ndarray, ...]:
    """(inputs, next-token targets, weights) for next-word prediction on plain text: ``sentence </s>`` shifted
    by one, every real position a target (pretraining learns the language, no task)."""
    x = np.zeros((len(sentences), max_len), np.int32)
    y = np.zeros((len(sentences), max_len), np.int32)
    for i, sentence in enumerate(sentences):
        ids = vocab.encode([*sentence[:max_len], END])
        x[i, :len(ids) - 1], y[i, :len(ids) - 1] = ids[:-1], ids[1:]
    return x, y, (y > 0).astype(np.float32)


def perplexity(model, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """exp(mean next-token cross-entropy) over the weighted positions (``<unk>`` counts as a word). Batch by
    batch: the logits of 2,000 sentences over the whole vocabulary would be some 600 MB at once."""
    import keras

    total = 0.0
    for i in range(0, len(x), 256):
        logits = model(x[i:i + 256], training=False)
        loss = np.asarray(keras.losses.sparse_categorical_crossentropy(y[i:i + 256], logits, from_logits=True))
        total += float(np.sum(loss * w[i:i + 256]))
    return float(np.exp(total / np.sum(w)))


def unigram_perplexity(y_train: np.ndarray, w_train: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """The baseline a language model must beat: every next token from its training frequency (add-one)."""
    counts = np.bincount(y_train[w_train > 0], minlength=int(max(y_train.max(), y.max())) + 1) + 1.0
    log_p = np.log(counts / counts.sum())
    return float(np.exp(-np.sum(log_p[y] * w) / np.sum(w)))


def pretrain(setting: Pretraining = Pretraining(), cache_dir: Path | str | None = CACHE_DIR) -> Pretrained:
    """The text model trained on next-word prediction over ``setting.corpora`` (``steps`` batches), or loaded
    from ``cache_dir`` when a run with the same setting saved it (``python -m mtl_helpers.text_to_text``)."""
    import keras
    import tensorflow as tf

    vocab = pretraining_vocabulary(setting)
    model = build_model(len(vocab), setting.max_len, seed=setting.seed)
    path = Path(cache_dir) / f"{setting.key()}.npz" if cache_dir is not None else None
    if path is not None and path.exists():
        with np.load(path) as saved:
            model.set_weights([saved[f"w{i}"] for i in range(len(saved.files) - 1)])
            return Pretrained(model, vocab, json.loads(str(saved["history"])), f"loaded from {path}")
    train_text, dev_text = pretraining_text(setting)
    x, y, w = encode_text(train_text, vocab, setting.max_len)
    dev = encode_text(dev_text, vocab, setting.max_len)
    optimizer = keras.optimizers.Adam(setting.learning_rate)

    @tf.function
    def step(xb, yb, wb):
        with tf.GradientTape() as tape:
            losses = keras.losses.sparse_categorical_crossentropy(yb, model(xb, training=True), from_logits=True)
            loss = tf.reduce_sum(losses * wb) / tf.reduce_sum(wb)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))

    rng = np.random.default_rng(setting.seed)
    history: dict[str, list[float]] = {"step": [0], "dev perplexity": [perplexity(model, *dev)]}
    every = max(1, setting.steps // 6)
    for k in range(1, setting.steps + 1):
        rows = rng.integers(len(x), size=setting.batch_size)
        step(x[rows], y[rows], w[rows])
        if k % every == 0 or k == setting.steps:
            history["step"].append(k)
            history["dev perplexity"].append(perplexity(model, *dev))
    history["unigram dev perplexity"] = [unigram_perplexity(y, w, *dev[1:])]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **{f"w{i}": v for i, v in enumerate(model.get_weights())}, history=json.dumps(history))
    return Pretrained(model, vocab, history, "trained here")


FAST_PRETRAINING: dict[str, int] = dict(steps=20, dev_sentences=200, max_sentences=2000)
_CHECKPOINTS: dict[Pretraining, list[np.ndarray]] = {}


def _checkpoint(setting: Pretraining) -> list[np.ndarray]:
    """The pretrained weights of ``setting``, pretrained (or loaded) once per process. Fast mode pretrains
    ``FAST_PRETRAINING`` instead (the same vocabulary size and length: it checks that the code runs) and saves nothing."""
    from . import config

    if config.FAST:
        setting = dataclasses.replace(setting, **FAST_PRETRAINING)
    if setting not in _CHECKPOINTS:
        _CHECKPOINTS[setting] = pretrain(setting, None if config.FAST else CACHE_DIR).model.get_weights()
    return _CHECKPOINTS[setting]


def run_and_score(target: str, tasks: Sequence[str], *, seed: int, vocabulary_tasks: Sequence[str],
                  toy_size: int = 10000, fractions: Mapping[str, float] | None = None, relatedness: float = 1.0,
                  max_len: int = 36, epochs: int = 15, steps_per_epoch: int = 25,
                  early_stopping_patience: int | None = 4, test_prefix: str | None = None,
                  max_words: int | None = None, vocabulary_size: int | None = None,
                  pretraining: Mapping[str, object] | None = None, pretrained: bool = False,
                  **train_options: float) -> float:
    """One seed of a text-to-text setup, as the lesson ledger runs it: load ``vocabulary_tasks`` (the seed
    decides corpus and split; ``fractions`` subsample training sets), build one vocabulary over all of them,
    so both sides of a comparison read the same tokens, train on ``tasks``, and score ``target`` on test with
    constrained decoding. ``test_prefix``: ask the test questions with this wording instead of the trained
    one (e.g. PARAPHRASES[target]). Real corpora: ``max_words`` cuts every sentence to its first words
    (``truncate``; max_len must hold them), ``vocabulary_size`` keeps the most frequent train words.
    ``pretraining`` (Pretraining fields): both sides read that checkpoint's vocabulary and length instead;
    ``pretrained``: start from its weights (pretrained once, for every seed) instead of random ones."""
    if target not in tasks or not set(tasks) <= set(vocabulary_tasks):
        raise ValueError(f"target {target!r} must be one of tasks {list(tasks)}, and tasks a subset of "
                         f"vocabulary_tasks {list(vocabulary_tasks)}.")
    fractions = dict(fractions or {})
    loaded = {name: data.load_task(name, toy_size=toy_size, fraction=fractions.get(name, 1.0), seed=seed,
                                   relatedness=relatedness) for name in vocabulary_tasks}
    if max_words is not None:
        loaded = {name: truncate(task, max_words) for name, task in loaded.items()}
    if pretraining is None:
        if pretrained:
            raise ValueError("pretrained=True needs pretraining (the Pretraining fields of the checkpoint).")
        vocab = build_vocabulary(list(loaded.values()), max_size=vocabulary_size)
        model = build_model(len(vocab), max_len, seed=seed)
    else:
        setting = Pretraining(**{k: tuple(v) if isinstance(v, list) else v for k, v in pretraining.items()})
        vocab = pretraining_vocabulary(setting)
        model = build_model(len(vocab), setting.max_len, seed=seed)
        if pretrained:
            model.set_weights(_checkpoint(setting))
    patience = epochs if early_stopping_patience is None else early_stopping_patience
    train(model, vocab, [loaded[name] for name in tasks], target=loaded[target], epochs=epochs,
          steps_per_epoch=steps_per_epoch, patience=patience, seed=seed, **train_options)
    return score(loaded[target], predict(model, vocab, loaded[target], prefix=test_prefix))


def main(argv: Sequence[str] | None = None) -> None:
    """CLI: pretrain the default Pretraining into build/text_pretrained/ (notebook 10 and the ledger load it)."""
    import argparse

    parser = argparse.ArgumentParser(description="Pretrain notebook 10's text model on the unlabelled NLTK text.")
    parser.add_argument("--steps", type=int, default=Pretraining.steps, help="batches of next-word prediction")
    done = pretrain(Pretraining(steps=parser.parse_args(argv).steps))
    print(f"{done.source}; dev perplexity by step {dict(zip(done.history['step'], done.history['dev perplexity']))}, "
          f"unigram {done.history['unigram dev perplexity'][0]:.1f}")


if __name__ == "__main__":
    main()
