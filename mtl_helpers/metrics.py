"""Evaluation metrics for the mtl-nlp notebooks: one small, readable function per idea.

Classification (accuracy, macro/micro P/R/F1, per-class tables, confusion matrices), tagging
(token accuracy and conlleval-style span F1, written by hand so the notebooks can show how it works;
the tests check it agrees exactly with ``seqeval``), language modelling (perplexity), translation
(corpus BLEU, exact match), and the statistics used to compare runs (t-based confidence intervals,
tidy run summaries and LibMTL's Δ_MTL).

Pure numpy / pandas / scikit-learn (no TensorFlow) so that it imports fast.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "classification_scores", "per_class_report", "confusion", "token_accuracy", "spans", "span_scores",
    "span_report", "perplexity", "bleu", "exact_match", "mean_ci", "summarize_runs", "delta_mtl",
    "main_metric", "LOWER_IS_BETTER",
]

#: Metric names for which a smaller value is better (used by ``delta_mtl`` when no direction is given).
LOWER_IS_BETTER: frozenset[str] = frozenset({"perplexity", "loss", "nll", "error", "error_rate"})


# ----------------------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------------------
def _check_pair(y_true: Sequence, y_pred: Sequence, what: str = "labels") -> None:
    """Raise ValueError unless ``y_true`` and ``y_pred`` are non-empty and equally long."""
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true has {len(y_true)} {what} but y_pred has {len(y_pred)}; "
            f"pass exactly one prediction per gold item (same order)."
        )
    if len(y_true) == 0:
        raise ValueError(f"no {what} to score (empty inputs); evaluate on a non-empty split.")


def _check_sentences(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> None:
    """Same number of sentences, and the same number of tags in each sentence."""
    _check_pair(y_true, y_pred, "sentences")
    for i, (t, p) in enumerate(zip(y_true, y_pred)):
        if isinstance(t, str) or isinstance(p, str):
            raise ValueError(
                f"sentence {i} is a string, not a list of tags; pass list[list[str]] (one list per sentence)."
            )
        if len(t) != len(p):
            raise ValueError(
                f"sentence {i}: {len(t)} gold tags but {len(p)} predicted tags; "
                f"predict exactly one tag per token (strip padding before scoring)."
            )


# ----------------------------------------------------------------------------------------------
# classification
# ----------------------------------------------------------------------------------------------
def classification_scores(y_true: Sequence, y_pred: Sequence,
                          labels: Sequence | None = None) -> dict[str, float]:
    """Accuracy plus macro and micro precision/recall/F1 (sklearn, zero_division=0).

    Keys: accuracy, precision_macro, recall_macro, f1_macro, precision_micro, recall_micro, f1_micro.
    ``labels`` restricts the averaged classes (e.g. to leave out a majority class); with every label
    included, micro P = R = F1 = accuracy for single-label data.
    """
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    _check_pair(y_true, y_pred)
    scores = {"accuracy": float(accuracy_score(y_true, y_pred))}
    for avg in ("macro", "micro"):
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=avg, zero_division=0
        )
        scores.update({f"precision_{avg}": float(p), f"recall_{avg}": float(r), f"f1_{avg}": float(f)})
    return scores


def _label_order(y_true: Sequence, y_pred: Sequence, labels: Sequence | None) -> list:
    """The given labels, or the sorted union of gold and predicted labels."""
    return list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))


def per_class_report(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> pd.DataFrame:
    """One row per class: label, precision, recall, f1, support (number of gold items)."""
    from sklearn.metrics import precision_recall_fscore_support

    _check_pair(y_true, y_pred)
    order = _label_order(y_true, y_pred, labels)
    p, r, f, s = precision_recall_fscore_support(
        y_true, y_pred, labels=order, average=None, zero_division=0
    )
    return pd.DataFrame({"label": order, "precision": p, "recall": r, "f1": f, "support": s.astype(int)})


def confusion(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> pd.DataFrame:
    """Confusion matrix as a DataFrame: rows = true label, columns = predicted label, cells = counts.

    Every label that occurs must be listed in ``labels`` (default: all that occur, sorted), so that no
    count silently disappears.
    """
    _check_pair(y_true, y_pred)
    order = _label_order(y_true, y_pred, labels)
    missing = sorted(map(str, (set(y_true) | set(y_pred)) - set(order)))
    if missing:
        raise ValueError(f"labels {missing} occur in y_true/y_pred but not in `labels`; add them to `labels`.")
    index = {label: k for k, label in enumerate(order)}
    counts = np.zeros((len(order), len(order)), dtype=int)
    for t, p in zip(y_true, y_pred):
        counts[index[t], index[p]] += 1
    return pd.DataFrame(
        counts, index=pd.Index(order, name="true"), columns=pd.Index(order, name="predicted")
    )


# ----------------------------------------------------------------------------------------------
# tagging
# ----------------------------------------------------------------------------------------------
def token_accuracy(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> float:
    """Fraction of tokens (over all sentences, flattened) whose predicted tag equals the gold tag."""
    _check_sentences(y_true, y_pred)
    total = sum(len(t) for t in y_true)
    if total == 0:
        raise ValueError("all sentences are empty (no tokens to score); evaluate on sentences with tokens.")
    correct = sum(a == b for t, p in zip(y_true, y_pred) for a, b in zip(t, p))
    return correct / total


def _split_tag(tag: str, position: int) -> tuple[str, str]:
    """'B-PER' → ('B', 'PER'); 'O' → ('O', ''). Anything else is a ValueError."""
    if tag == "O":
        return "O", ""
    if len(tag) > 2 and tag[:2] in ("B-", "I-"):
        return tag[0], tag[2:]
    raise ValueError(
        f"tag {tag!r} at position {position} is not a BIO tag; use 'O', 'B-<type>' or 'I-<type>' "
        f"(span metrics need BIO labels; use token_accuracy for other tag sets)."
    )


def spans(tags: Sequence[str]) -> set[tuple[str, int, int]]:
    """The labelled spans in one BIO-tagged sentence, as {(type, start, end_exclusive)}.

    conlleval's rules, so IOB1 input works too:
      * ``B-X`` always starts a new span (and ends the current one);
      * ``I-X`` continues the current span only if it has type X; otherwise (after ``O``, after
        another type, or at the start of the sentence) it starts a new span of type X;
      * ``O`` ends the current span; the end of the sentence ends it too.
    """
    found: set[tuple[str, int, int]] = set()
    current: tuple[str, int] | None = None  # (type, start) of the open span
    for i, tag in enumerate(tags):
        prefix, kind = _split_tag(tag, i)
        if current is not None and (prefix != "I" or kind != current[0]):
            found.add((current[0], current[1], i))
            current = None
        if prefix != "O" and current is None:
            current = (kind, i)
    if current is not None:
        found.add((current[0], current[1], len(tags)))
    return found


def _span_sets(y_true, y_pred) -> tuple[set, set]:
    """All gold and predicted spans, each tagged with its sentence index: (sentence, type, start, end)."""
    _check_sentences(y_true, y_pred)
    gold = {(i, *s) for i, tags in enumerate(y_true) for s in spans(tags)}
    pred = {(i, *s) for i, tags in enumerate(y_pred) for s in spans(tags)}
    return gold, pred


def _prf(correct: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    """Precision, recall, F1 from counts; 0 where a denominator is 0 (as conlleval and seqeval do)."""
    precision = correct / n_pred if n_pred else 0.0
    recall = correct / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def span_scores(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> dict[str, float]:
    """Micro precision, recall and F1 over exact-match spans (type and both boundaries must agree).

    Equals conlleval.pl and seqeval's default mode. Keys: precision, recall, f1, plus the counts
    correct, predicted, gold (so the notebooks can show where the numbers come from).
    """
    gold, pred = _span_sets(y_true, y_pred)
    correct = len(gold & pred)
    precision, recall, f1 = _prf(correct, len(pred), len(gold))
    return {"precision": precision, "recall": recall, "f1": f1,
            "correct": correct, "predicted": len(pred), "gold": len(gold)}


def span_report(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> pd.DataFrame:
    """Span scores per entity type: type, precision, recall, f1, support (gold spans), sorted by type."""
    gold, pred = _span_sets(y_true, y_pred)
    rows = []
    for kind in sorted({s[1] for s in gold | pred}):
        g = {s for s in gold if s[1] == kind}
        p = {s for s in pred if s[1] == kind}
        rows.append((kind, *_prf(len(g & p), len(p), len(g)), len(g)))
    return pd.DataFrame(rows, columns=["type", "precision", "recall", "f1", "support"])


# ----------------------------------------------------------------------------------------------
# language modelling and translation
# ----------------------------------------------------------------------------------------------
def perplexity(mean_nll: float) -> float:
    """exp(mean negative log-likelihood per token, in nats); ``inf`` instead of an overflow error.

    NaN (a diverged run) is passed through as NaN so that a results table can still be built.
    """
    mean_nll = float(mean_nll)
    if mean_nll < 0:
        raise ValueError(
            f"mean_nll={mean_nll} is negative; pass the mean cross-entropy per token in nats (>= 0)."
        )
    if math.isnan(mean_nll):
        return math.nan
    return math.exp(mean_nll) if mean_nll < math.log(np.finfo(float).max) else math.inf


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    """Counts of the n-grams (as tuples) in one token list."""
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def bleu(references: Sequence[Sequence[str]], hypotheses: Sequence[Sequence[str]], max_n: int = 4,
         smooth: bool = True) -> float:
    """Corpus BLEU (Papineni et al. 2002) in [0, 1], one reference per hypothesis.

    BLEU = BP · exp(mean_n log p_n) for n = 1..max_n, where p_n = (clipped n-gram matches summed over the
    corpus) / (hypothesis n-grams summed over the corpus) and BP = exp(1 − r/c) if the hypotheses are
    shorter in total (c) than the references (r), else 1.

    ``smooth=True`` adds one to the numerator and the denominator of p_n for n ≥ 2 (Lin & Och 2004;
    nltk's ``SmoothingFunction().method2``), so that a small corpus without any 4-gram match does not
    score 0. Unigram precision is never smoothed: no word matches at all → 0. Without smoothing any
    p_n = 0 gives 0. (Unlike nltk, a hypothesis shorter than n contributes 0 n-grams, not 1.)
    """
    _check_pair(references, hypotheses, "sentences")
    if max_n < 1:
        raise ValueError(f"max_n={max_n}; use max_n >= 1 (4 is standard BLEU).")
    matches, totals = [0] * max_n, [0] * max_n
    for ref, hyp in zip(references, hypotheses):
        ref, hyp = list(ref), list(hyp)
        for n in range(1, max_n + 1):
            hyp_counts, ref_counts = _ngrams(hyp, n), _ngrams(ref, n)
            matches[n - 1] += sum(min(c, ref_counts[g]) for g, c in hyp_counts.items())
            totals[n - 1] += sum(hyp_counts.values())
    hyp_len = sum(len(h) for h in hypotheses)
    ref_len = sum(len(r) for r in references)
    if matches[0] == 0:
        return 0.0
    log_p = 0.0
    for n in range(max_n):
        m, t = matches[n], totals[n]
        if smooth and n > 0:
            m, t = m + 1, t + 1
        if m == 0:
            return 0.0
        log_p += math.log(m / t) / max_n
    brevity = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return brevity * math.exp(log_p)


def exact_match(references: Sequence[Sequence[str]], hypotheses: Sequence[Sequence[str]]) -> float:
    """Fraction of hypotheses identical to their reference (token by token)."""
    _check_pair(references, hypotheses, "sentences")
    return sum(list(r) == list(h) for r, h in zip(references, hypotheses)) / len(references)


# ----------------------------------------------------------------------------------------------
# comparing runs
# ----------------------------------------------------------------------------------------------
def mean_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, std, low, high): sample std (ddof=1) and a Student-t confidence interval for the mean.

    With a single value there is no spread to estimate: std, low and high are NaN (not a fake
    zero-width interval).
    """
    from scipy.stats import t as student_t

    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence} is outside (0, 1); use e.g. 0.95 for a 95% interval.")
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("no values; pass at least one (better: 3+ seeds) to compute a mean and interval.")
    if np.isnan(x).any():
        raise ValueError("values contain NaN; drop or fix the failed runs before summarising.")
    mean = float(x.mean())
    if x.size == 1:
        return mean, math.nan, math.nan, math.nan
    std = float(x.std(ddof=1))
    half = float(student_t.ppf((1 + confidence) / 2, df=x.size - 1)) * std / math.sqrt(x.size)
    return mean, std, mean - half, mean + half


def summarize_runs(df: pd.DataFrame, by: Sequence[str], value: str = "value",
                   confidence: float = 0.95) -> pd.DataFrame:
    """Group a tidy results table and give mean, std, n, ci_low, ci_high of ``value`` per group."""
    by = list(by)
    missing = [c for c in [*by, value] if c not in df.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the table (it has {list(df.columns)}); "
                         f"pass existing column names as `by` / `value`.")
    if len(df) == 0:
        raise ValueError("the results table is empty; run the experiment before summarising it.")
    rows = []
    for key, group in df.groupby(by, sort=True):
        mean, std, low, high = mean_ci(group[value].to_numpy(), confidence)
        rows.append((*key, mean, std, len(group), low, high))
    return pd.DataFrame(rows, columns=[*by, "mean", "std", "n", "ci_low", "ci_high"])


def _lower_is_better(key: str) -> bool:
    """Guess the direction from a metric name such as 'perplexity' or 'lm/perplexity'."""
    name = key.replace(".", "/").split("/")[-1].lower()
    return name in LOWER_IS_BETTER


def delta_mtl(mtl: Mapping[str, float], single: Mapping[str, float],
              higher_is_better: Mapping[str, bool] | None = None) -> float:
    """Δ_MTL in percent (Maninis et al. 2019; LibMTL): mean over metrics of
    (−1)^l · (M_mtl − M_single) / M_single · 100, with l = 1 where lower is better.

    Positive = multi-task learning helps on average. Without ``higher_is_better``, a key is taken as
    lower-is-better when its last part (after '/' or '.') is in ``LOWER_IS_BETTER`` (e.g. 'perplexity').
    """
    if set(mtl) != set(single):
        raise ValueError(
            f"mtl and single must score the same metrics; only in mtl: {sorted(set(mtl) - set(single))}, "
            f"only in single: {sorted(set(single) - set(mtl))}. Use the same keys in both."
        )
    if not mtl:
        raise ValueError("no metrics given; pass at least one task/metric in mtl and single.")
    if higher_is_better is not None and set(higher_is_better) != set(mtl):
        raise ValueError(
            f"higher_is_better must give a direction for exactly the scored keys; missing: "
            f"{sorted(set(mtl) - set(higher_is_better))}, extra: {sorted(set(higher_is_better) - set(mtl))}."
        )
    terms = []
    for key in sorted(mtl):
        m, s = float(mtl[key]), float(single[key])
        if s == 0 or not math.isfinite(s) or not math.isfinite(m):
            raise ValueError(f"{key}: single={s}, mtl={m}; Δ_MTL needs finite values "
                             f"and a non-zero single-task baseline.")
        higher = higher_is_better[key] if higher_is_better is not None else not _lower_is_better(key)
        sign = 1.0 if higher else -1.0
        terms.append(sign * (m - s) / s * 100.0)
    return float(np.mean(terms))


def main_metric(kind: str, labels: Sequence[str] = ()) -> tuple[str, bool]:
    """(metric name, higher_is_better) used to select and compare models for a task.

    classification → accuracy; tagging → span f1 if the label inventory is BIO (any label starts with
    'B-'), else token accuracy; lm → perplexity (lower is better); seq2seq → bleu.
    """
    if kind == "classification":
        return "accuracy", True
    if kind == "tagging":
        return ("f1", True) if any(str(label).startswith("B-") for label in labels) else ("accuracy", True)
    if kind == "lm":
        return "perplexity", False
    if kind == "seq2seq":
        return "bleu", True
    raise ValueError(f"unknown task kind {kind!r}; use one of classification, tagging, lm, seq2seq.")
