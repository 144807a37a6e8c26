"""Tests for mtl_helpers.metrics: hand-computed values, sklearn / seqeval / nltk agreement, bad input."""
import math
import random
import warnings

import numpy as np
import pandas as pd
import pytest
from seqeval.metrics import classification_report as seqeval_report
from seqeval.metrics import f1_score, precision_score, recall_score

from mtl_helpers import metrics as M


# ---------------------------------------------------------------- classification
def test_classification_scores_hand_computed():
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["a", "a", "b", "b", "c", "c"]
    s = M.classification_scores(y_true, y_pred)
    assert s["accuracy"] == pytest.approx(4 / 6)
    # per class: a P=1 R=2/3, b P=1/2 R=1/2, c P=1/2 R=1
    assert s["precision_macro"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert s["recall_macro"] == pytest.approx((2 / 3 + 0.5 + 1) / 3)
    f1s = [2 * 1 * (2 / 3) / (1 + 2 / 3), 0.5, 2 * 0.5 / 1.5]
    assert s["f1_macro"] == pytest.approx(np.mean(f1s))
    for k in ("precision_micro", "recall_micro", "f1_micro"):
        assert s[k] == pytest.approx(4 / 6)
    assert all(isinstance(v, float) for v in s.values())


def test_classification_scores_zero_division_and_label_subset():
    s = M.classification_scores(["a", "a"], ["b", "b"], labels=["a", "b"])
    assert s["accuracy"] == 0.0 and s["precision_macro"] == 0.0  # no warning-driven NaNs
    s = M.classification_scores(["a", "b", "b"], ["a", "b", "a"], labels=["b"])
    assert s["precision_micro"] == 1.0 and s["recall_micro"] == 0.5


def test_per_class_report():
    df = M.per_class_report(["a", "a", "b", "c"], ["a", "b", "b", "b"])
    assert list(df.columns) == ["label", "precision", "recall", "f1", "support"]
    assert list(df["label"]) == ["a", "b", "c"]
    row = df.set_index("label").loc["b"]
    assert row["precision"] == pytest.approx(1 / 3) and row["recall"] == 1.0 and row["support"] == 1
    assert df.set_index("label").loc["c", "f1"] == 0.0
    assert df["support"].sum() == 4


def test_confusion_labelled():
    df = M.confusion(["a", "a", "b"], ["a", "b", "b"], labels=["b", "a"])
    assert df.index.name == "true" and df.columns.name == "predicted"
    assert list(df.index) == ["b", "a"] and list(df.columns) == ["b", "a"]
    assert df.loc["a", "b"] == 1 and df.loc["a", "a"] == 1 and df.loc["b", "b"] == 1 and df.loc["b", "a"] == 0
    assert M.confusion(["x", "y"], ["y", "y"]).to_numpy().sum() == 2
    with pytest.raises(ValueError, match=r"\['c'\].*add them"):
        M.confusion(["a", "c"], ["a", "a"], labels=["a"])


# ---------------------------------------------------------------- tagging
def test_token_accuracy():
    assert M.token_accuracy([["A", "B"], ["C"]], [["A", "X"], ["C"]]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="sentence 1"):
        M.token_accuracy([["A"], ["B", "C"]], [["A"], ["B"]])
    with pytest.raises(ValueError, match="1 sentences but y_pred has 2"):
        M.token_accuracy([["A"]], [["A"], ["B"]])
    with pytest.raises(ValueError, match="empty"):
        M.token_accuracy([], [])
    with pytest.raises(ValueError, match="no tokens"):
        M.token_accuracy([[]], [[]])


@pytest.mark.parametrize("tags, expected", [
    (["B-PER", "I-PER", "O", "B-LOC"], {("PER", 0, 2), ("LOC", 3, 4)}),
    (["I-PER", "I-PER", "O"], {("PER", 0, 2)}),                        # I- without B- starts a span
    (["O", "I-LOC", "B-LOC", "I-LOC"], {("LOC", 1, 2), ("LOC", 2, 4)}),  # IOB1: B- separates same type
    (["B-PER", "I-LOC", "I-LOC"], {("PER", 0, 1), ("LOC", 1, 3)}),      # type change ends a span
    (["B-PER", "B-PER"], {("PER", 0, 1), ("PER", 1, 2)}),
    (["O", "O", "B-ORG", "I-ORG"], {("ORG", 2, 4)}),                    # span at sentence end
    (["O", "O"], set()),
    ([], set()),
])
def test_spans(tags, expected):
    assert M.spans(tags) == expected


def test_spans_rejects_non_bio_tags():
    with pytest.raises(ValueError, match="'NN' at position 1.*BIO"):
        M.spans(["O", "NN"])


def _seqeval(y_true, y_pred):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # seqeval warns on undefined precision/recall
        return (precision_score(y_true, y_pred, zero_division=0),
                recall_score(y_true, y_pred, zero_division=0),
                f1_score(y_true, y_pred, zero_division=0))


FIXTURES = {
    "wrong boundary": ([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "O", "O", "B-LOC"]]),
    "wrong type": ([["B-PER", "I-PER", "O"]], [["B-ORG", "I-ORG", "O"]]),
    "I without B": ([["O", "B-LOC", "I-LOC", "O"]], [["O", "I-LOC", "I-LOC", "O"]]),
    "I without B, wrong start": ([["B-LOC", "I-LOC", "O"]], [["O", "I-LOC", "O"]]),
    "span at sentence end": ([["O", "B-MISC", "I-MISC"], ["B-PER"]], [["O", "B-MISC", "I-MISC"], ["O"]]),
    "spans do not cross sentences": ([["O", "B-PER"], ["I-PER", "O"]], [["O", "B-PER"], ["B-PER", "O"]]),
    "empty predictions": ([["B-PER", "O"], ["B-LOC"]], [["O", "O"], ["O"]]),
    "all O": ([["O", "O"], ["O"]], [["O", "O"], ["O"]]),
    "spurious only": ([["O", "O"]], [["B-PER", "O"]]),
    "nested mistakes": ([["B-PER", "I-PER", "I-PER", "O", "B-LOC", "I-LOC", "B-ORG", "O"]],
                        [["B-PER", "I-PER", "B-PER", "O", "B-LOC", "I-ORG", "I-ORG", "O"]]),
    "empty sentence": ([[], ["B-PER"]], [[], ["B-PER"]]),
}


@pytest.mark.parametrize("name", FIXTURES)
def test_span_scores_agree_with_seqeval(name):
    y_true, y_pred = FIXTURES[name]
    s = M.span_scores(y_true, y_pred)
    assert (s["precision"], s["recall"], s["f1"]) == pytest.approx(_seqeval(y_true, y_pred), abs=1e-9)


def test_span_scores_hand_computed():
    y_true, y_pred = FIXTURES["nested mistakes"]
    # gold: PER[0,3) LOC[4,6) ORG[6,7); pred: PER[0,2) PER[2,3) LOC[4,5) ORG[5,7) → nothing matches
    s = M.span_scores(y_true, y_pred)
    assert (s["correct"], s["predicted"], s["gold"]) == (0, 4, 3) and s["f1"] == 0.0
    s = M.span_scores(*FIXTURES["wrong boundary"])
    assert (s["precision"], s["recall"]) == (0.5, 0.5)


def test_span_scores_randomized_against_seqeval():
    rng = random.Random(1234)
    tags = ["O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "I-ORG", "B-MISC"]
    for _ in range(200):
        y_true = [[rng.choice(tags) for _ in range(rng.randint(0, 10))] for _ in range(rng.randint(1, 5))]
        y_pred = [[t if rng.random() < 0.6 else rng.choice(tags) for t in sent] for sent in y_true]
        s = M.span_scores(y_true, y_pred)
        assert (s["precision"], s["recall"], s["f1"]) == pytest.approx(_seqeval(y_true, y_pred), abs=1e-9)


def test_span_report_matches_seqeval_per_type():
    y_true, y_pred = FIXTURES["nested mistakes"]
    y_true = y_true + [["B-PER", "O", "B-LOC"]]
    y_pred = y_pred + [["B-PER", "O", "B-LOC"]]
    df = M.span_report(y_true, y_pred)
    assert list(df.columns) == ["type", "precision", "recall", "f1", "support"]
    ref = seqeval_report(y_true, y_pred, output_dict=True, zero_division=0)
    assert list(df["type"]) == ["LOC", "ORG", "PER"]
    for row in df.itertuples():
        assert row.precision == pytest.approx(ref[row.type]["precision"])
        assert row.recall == pytest.approx(ref[row.type]["recall"])
        assert row.f1 == pytest.approx(ref[row.type]["f1-score"])
        assert row.support == ref[row.type]["support"]


def test_span_scores_bad_input():
    with pytest.raises(ValueError, match="sentence 0: 2 gold tags but 1"):
        M.span_scores([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match="string"):
        M.span_scores(["B-PER"], ["B-PER"])
    with pytest.raises(ValueError, match="empty"):
        M.span_scores([], [])


# ---------------------------------------------------------------- lm and seq2seq
def test_perplexity():
    assert M.perplexity(0.0) == 1.0
    assert M.perplexity(math.log(50)) == pytest.approx(50)
    assert M.perplexity(1e6) == math.inf
    assert math.isnan(M.perplexity(float("nan")))
    with pytest.raises(ValueError, match="negative"):
        M.perplexity(-1.0)


REF = "the cat is on the mat".split()
HYP = "the cat the mat".split()


def test_bleu_hand_computed():
    # unigram 4/4, bigram 2/3 ("the cat", "the mat"), trigram 0/2, 4-gram 0/1; c=4, r=6 → BP = exp(-1/2)
    bp = math.exp(1 - 6 / 4)
    assert M.bleu([REF], [HYP], max_n=2, smooth=False) == pytest.approx(bp * math.sqrt(2 / 3))
    assert M.bleu([REF], [HYP], max_n=2) == pytest.approx(bp * math.sqrt(3 / 4))
    assert M.bleu([REF], [HYP]) == pytest.approx(bp * (1 * 3 / 4 * 1 / 3 * 1 / 2) ** 0.25)
    assert M.bleu([REF], [HYP], smooth=False) == 0.0


def test_bleu_identical_and_disjoint():
    refs = [REF, "a b c d e".split()]
    assert M.bleu(refs, refs) == pytest.approx(1.0)
    assert M.bleu(refs, refs, smooth=False) == pytest.approx(1.0)
    assert M.bleu([REF], [["x", "y", "z", "w"]]) == 0.0
    assert M.bleu([REF], [[]]) == 0.0
    # longer hypothesis: no brevity penalty
    assert M.bleu([["a", "b"]], [["a", "b", "c"]], max_n=1) == pytest.approx(2 / 3)


def test_bleu_agrees_with_nltk():
    from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu

    rng = random.Random(7)
    words = "a b c d e f".split()
    for _ in range(30):
        refs = [[rng.choice(words) for _ in range(rng.randint(4, 9))] for _ in range(rng.randint(1, 4))]
        hyps = [[w if rng.random() < 0.7 else rng.choice(words) for w in r[: rng.randint(4, len(r))]]
                for r in refs]
        ours = M.bleu(refs, hyps)
        theirs = corpus_bleu([[r] for r in refs], hyps, smoothing_function=SmoothingFunction().method2)
        assert ours == pytest.approx(theirs, abs=1e-9)
        ours = M.bleu(refs, hyps, smooth=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nltk warns when an n-gram order has no match
            theirs = corpus_bleu([[r] for r in refs], hyps)
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_bleu_bad_input():
    with pytest.raises(ValueError, match="1 sentences but y_pred has 2"):
        M.bleu([REF], [HYP, HYP])
    with pytest.raises(ValueError, match="max_n"):
        M.bleu([REF], [HYP], max_n=0)


def test_exact_match():
    assert M.exact_match([["a", "b"], ["c"]], [["a", "b"], ["d"]]) == 0.5
    assert M.exact_match([("a",)], [["a"]]) == 1.0
    with pytest.raises(ValueError, match="empty"):
        M.exact_match([], [])


# ---------------------------------------------------------------- comparing runs
def test_mean_ci():
    mean, std, low, high = M.mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0 and std == 1.0
    half = 4.302652729911275 / math.sqrt(3)  # t_{0.975, df=2}
    assert (low, high) == pytest.approx((2 - half, 2 + half))
    m90 = M.mean_ci([1.0, 2.0, 3.0], confidence=0.9)
    assert low < m90[2] < m90[3] < high
    assert M.mean_ci([5.0, 5.0]) == (5.0, 0.0, 5.0, 5.0)


def test_mean_ci_single_value_is_honest():
    mean, std, low, high = M.mean_ci([0.7])
    assert mean == 0.7 and math.isnan(std) and math.isnan(low) and math.isnan(high)


@pytest.mark.parametrize("kwargs, match", [
    ({"values": [1.0, 2.0], "confidence": 1.0}, "outside"),
    ({"values": [1.0, 2.0], "confidence": 0.0}, "outside"),
    ({"values": []}, "no values"),
    ({"values": [1.0, float("nan")]}, "NaN"),
])
def test_mean_ci_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        M.mean_ci(**kwargs)


def test_summarize_runs():
    df = pd.DataFrame({
        "task": ["pos"] * 3 + ["chunk"] * 3 + ["pos"],
        "sharing": ["hard"] * 6 + ["none"],
        "seed": [0, 1, 2, 0, 1, 2, 0],
        "value": [1.0, 2.0, 3.0, 0.5, 0.5, 0.5, 0.9],
    })
    out = M.summarize_runs(df, by=["task", "sharing"])
    assert list(out.columns) == ["task", "sharing", "mean", "std", "n", "ci_low", "ci_high"]
    assert len(out) == 3
    pos = out[(out.task == "pos") & (out.sharing == "hard")].iloc[0]
    assert pos["mean"] == 2.0 and pos["n"] == 3
    assert (pos["ci_low"], pos["ci_high"]) == pytest.approx(M.mean_ci([1.0, 2.0, 3.0])[2:])
    assert math.isnan(out[out.sharing == "none"].iloc[0]["std"])
    one = M.summarize_runs(df, by=["task"])
    assert list(one["task"]) == ["chunk", "pos"]
    with pytest.raises(ValueError, match=r"\['score'\]"):
        M.summarize_runs(df, by=["task"], value="score")
    with pytest.raises(ValueError, match="empty"):
        M.summarize_runs(df.iloc[:0], by=["task"])


def test_delta_mtl():
    # +10% on accuracy, perplexity 100 → 90 is also +10% (lower is better)
    assert M.delta_mtl({"pos": 0.88, "lm": 90.0}, {"pos": 0.8, "lm": 100.0},
                       {"pos": True, "lm": False}) == pytest.approx(10.0)
    # direction guessed from the metric name
    assert M.delta_mtl({"lm/perplexity": 110.0}, {"lm/perplexity": 100.0}) == pytest.approx(-10.0)
    assert M.delta_mtl({"chunk/f1": 0.9, "pos/accuracy": 0.9}, {"chunk/f1": 1.0, "pos/accuracy": 0.9}) \
        == pytest.approx(-5.0)


def test_delta_mtl_bad_input():
    with pytest.raises(ValueError, match=r"only in mtl: \['ner'\], only in single: \['chunk'\]"):
        M.delta_mtl({"pos": 1.0, "ner": 1.0}, {"pos": 1.0, "chunk": 1.0})
    with pytest.raises(ValueError, match=r"missing: \['lm'\]"):
        M.delta_mtl({"pos": 1.0, "lm": 2.0}, {"pos": 1.0, "lm": 2.0}, {"pos": True})
    with pytest.raises(ValueError, match="non-zero"):
        M.delta_mtl({"pos": 1.0}, {"pos": 0.0})
    with pytest.raises(ValueError, match="no metrics"):
        M.delta_mtl({}, {})


def test_main_metric():
    assert M.main_metric("classification", ["neg", "pos"]) == ("accuracy", True)
    assert M.main_metric("tagging", ["B-NP", "I-NP", "O"]) == ("f1", True)
    assert M.main_metric("tagging", ["DT", "NN", "VB"]) == ("accuracy", True)
    assert M.main_metric("lm", []) == ("perplexity", False)
    assert M.main_metric("seq2seq", []) == ("bleu", True)
    with pytest.raises(ValueError, match="unknown task kind 'regression'"):
        M.main_metric("regression", [])


def test_no_tensorflow_import():
    import subprocess
    import sys

    code = "import sys, mtl_helpers.metrics; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
