"""Word vectors from unlabelled text (PPMI + truncated SVD), to start a model's word embeddings.

Why: the labelled corpora are small (MR has 8,530 training sentences), so most words occur there only a
few times and a randomly initialised embedding learns little about them. Counting which words occur near
which in a few million words of *unlabelled* text gives every word a vector before training starts: the
count-based distributional recipe (positive PMI, then SVD; Levy, Goldberg & Dagan 2015), which needs no
download beyond NLTK corpora and runs in about 20 seconds on a laptop. It is the cheap cousin of the
pretrained word2vec vectors in Kim (2014) and of Collobert et al.'s (2011) language-model embeddings.

    vectors, found = word_vectors(vocab, dim=64)      # [len(vocab), 64], bool [len(vocab)]
    set_word_vectors(model, vectors, found)           # every embedding block of the model
"""
from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import data

#: NLTK corpora whose text we read: movie reviews (IMDb, the domain of MR) and the Brown corpus
#: (15 genres of general English), about 2.7 million tokens together.
UNLABELED_CORPORA: tuple[str, ...] = data.TEXT_CORPORA
MIN_COUNT: int = 2  # words rarer than this in the text get no vector (too few contexts to place them)


def ppmi_svd(sentences: Sequence[Sequence[str]], words: Sequence[str], *, dim: int = 64, window: int = 5,
             contexts: int = 20000, alpha: float = 0.75, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Vectors for ``words`` from co-occurrence counts in ``sentences``.

    Counts each (word, context word) pair within ``window`` tokens (weighted 1/distance) against the
    ``contexts`` most frequent words, turns counts into positive PMI (context probabilities smoothed by
    ``alpha``), and keeps the top ``dim`` SVD directions (U·√S). Returns (vectors [len(words), dim] with
    unit-length rows, found [len(words)]: False for words never seen in the text, whose rows are 0).
    """
    from scipy import sparse
    from sklearn.utils.extmath import randomized_svd

    if dim < 1 or window < 1 or contexts < dim:
        raise ValueError(f"need dim >= 1, window >= 1 and contexts >= dim; got dim={dim}, window={window}, "
                         f"contexts={contexts}.")
    if not words:
        raise ValueError("no words to embed; pass the vocabulary's tokens.")
    counts = Counter(w for s in sentences for w in s)
    if len(counts) < dim:
        raise ValueError(f"the text has {len(counts)} distinct words, fewer than dim={dim}; give more text.")
    row = {w: i for i, w in enumerate(words)}
    col = {w: i for i, (w, _) in enumerate(counts.most_common(contexts))}
    gap = [None] * window  # padding between sentences: no pair crosses a sentence boundary
    stream = [w for s in sentences for w in (*s, *gap)]
    rows = np.fromiter((row.get(w, -1) for w in stream), np.int64, len(stream))
    cols = np.fromiter((col.get(w, -1) for w in stream), np.int64, len(stream))
    r_parts, c_parts, v_parts = [], [], []
    for distance in range(1, window + 1):
        for a, b in ((rows[:-distance], cols[distance:]), (rows[distance:], cols[:-distance])):
            ok = (a >= 0) & (b >= 0)
            r_parts.append(a[ok])
            c_parts.append(b[ok])
            v_parts.append(np.full(int(ok.sum()), 1.0 / distance))
    shape = (len(words), len(col))
    cooc = sparse.coo_matrix((np.concatenate(v_parts), (np.concatenate(r_parts), np.concatenate(c_parts))),
                             shape=shape).tocsr().tocoo()  # tocsr sums duplicate pairs
    total = cooc.data.sum()
    p_word = np.bincount(cooc.row, cooc.data, minlength=shape[0]) / total
    p_context = np.bincount(cooc.col, cooc.data, minlength=shape[1]) ** alpha
    p_context /= p_context.sum()
    pmi = np.log(cooc.data / total / (p_word[cooc.row] * p_context[cooc.col]))
    keep = pmi > 0
    ppmi = sparse.csr_matrix((pmi[keep], (cooc.row[keep], cooc.col[keep])), shape=shape)
    u, s, _ = randomized_svd(ppmi, dim, random_state=seed)
    vectors = u * np.sqrt(s)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    found = norms[:, 0] > 0
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32), found


@functools.lru_cache(maxsize=4)
def _text_vectors(corpora: tuple[str, ...], dim: int, seed: int) -> tuple[dict[str, int], np.ndarray]:
    """PPMI-SVD vectors of every word seen at least MIN_COUNT times in the lower-cased text of ``corpora``
    (once per process)."""
    sentences = [tuple(w.lower() for w in s) for s in data.unlabeled_sentences(corpora)]
    counts = Counter(w for s in sentences for w in s)
    words = sorted(w for w, n in counts.items() if n >= MIN_COUNT)
    vectors, found = ppmi_svd(sentences, words, dim=dim, seed=seed)
    return {w: i for i, w in enumerate(words) if found[i]}, vectors


def word_vectors(vocab: data.Vocabulary, dim: int, *, corpora: tuple[str, ...] = UNLABELED_CORPORA,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Vectors [len(vocab), dim] for the ids of ``vocab`` from the text of ``corpora`` (ppmi_svd over the
    text's own words, so a word's vector does not depend on the task), and found [len(vocab)]: False
    (row 0) for words the text has fewer than MIN_COUNT times and for padding / <unk> / <s> / </s>.
    The vocabulary must be lower-cased, like the text.
    """
    if not vocab.lowercase:
        raise ValueError("word_vectors reads lower-cased text; build the Vocabulary with lowercase=True.")
    index, table = _text_vectors(tuple(corpora), int(dim), int(seed))
    vectors, found = np.zeros((len(vocab), dim), np.float32), np.zeros(len(vocab), bool)
    for i, word in enumerate(vocab.tokens):
        if i >= len(data.Vocabulary.SPECIALS) and word in index:
            vectors[i], found[i] = table[index[word]], True
    return vectors, found


def set_word_vectors(model: Any, vectors: np.ndarray, found: np.ndarray, scale: float = 1.0) -> int:
    """Copy ``scale``·vectors into the rows marked ``found`` of every word embedding of ``model`` (one per
    tower under soft sharing); the other rows keep their random start. Returns how many rows were set."""
    vectors, found = np.asarray(vectors), np.asarray(found, bool)
    for block in model.embedding_blocks:
        table = block.word.embeddings
        if vectors.shape != tuple(table.shape) or found.shape != (table.shape[0],):
            raise ValueError(f"vectors {vectors.shape} / found {found.shape} do not match the embedding "
                             f"{tuple(table.shape)}; build them from the model's vocabulary with "
                             f"dim=EncoderConfig.embedding_dim.")
        current = np.array(table.numpy())
        current[found] = scale * vectors[found]
        table.assign(current)
    return int(found.sum())
