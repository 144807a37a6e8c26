"""Evaluating a multi-task model (notebooks 01, 06, 08): Δ_MTL, span F1, seed intervals, selection optimism."""
from __future__ import annotations

import math
from typing import Any

from mtl_helpers.exercises.core import _same_interval, attempt_first, close, not_attempted, report


@attempt_first("1.3")
def check_delta_mtl_pair(answer: Any, mtl: dict[str, float], single: dict[str, float], *,
                         quiet: bool = False) -> bool:
    """Exercise 1.3: Δ_MTL in percent (mean relative gain of the multi-task model over single-task)."""
    from mtl_helpers.metrics import delta_mtl

    expected = delta_mtl(mtl, single)
    return report(close(answer, expected, rel=1e-3, abs_=1e-6), exercise="1.3", quiet=quiet,
                  hint="for each task compute (M_mtl − M_single) / M_single · 100 (higher-is-better "
                       "metrics), then average over the tasks; the result is in percent, not a fraction.")


@attempt_first("6.1")
def check_span_f1(answer: Any, gold: list[list[str]], predicted: list[list[str]], *, quiet: bool = False) -> bool:
    """Exercise 6.1: span-level F1 (exact type and boundaries) of ``predicted`` against ``gold``."""
    from mtl_helpers.metrics import span_scores

    expected = span_scores(gold, predicted)["f1"]
    return report(close(answer, expected, rel=1e-3, abs_=1e-6), exercise="6.1", quiet=quiet,
                  hint="list the spans (type, start, end) of gold and prediction; a span is correct only if type "
                       "AND both boundaries match. P = correct / predicted, R = correct / gold, F1 = 2PR / (P + R).")


@attempt_first("6.2")
def check_confidence_interval(answer: Any, values: list[float], confidence: float = 0.95, *,
                              quiet: bool = False) -> bool:
    """Exercise 6.2: (low, high) of the Student-t confidence interval of the mean of ``values``."""
    from mtl_helpers.metrics import mean_ci

    _, _, low, high = mean_ci(values, confidence)
    ok = _same_interval(answer, low, high)
    return report(ok, exercise="6.2", quiet=quiet,
                  hint="mean ± t · s / √n with the SAMPLE standard deviation s (ddof=1) and t the "
                       f"{(1 + confidence) / 2:.3f} quantile of Student's t with n − 1 degrees of freedom "
                       "(scipy.stats.t.ppf), not the normal 1.96.")


@attempt_first("6.3")
def check_delta_mtl_with_directions(answer: Any, mtl: dict[str, float], single: dict[str, float],
                                    higher_is_better: dict[str, bool], *, quiet: bool = False) -> bool:
    """Exercise 6.3: Δ_MTL (percent) when some metrics are lower-is-better."""
    from mtl_helpers.metrics import delta_mtl

    expected = delta_mtl(mtl, single, higher_is_better)
    return report(close(answer, expected, rel=1e-3, abs_=1e-6), exercise="6.3", quiet=quiet,
                  hint="for a lower-is-better metric (perplexity) flip the sign: a DROP is a gain. Average "
                       "(−1)^l (M_mtl − M_single) / M_single · 100 over the metrics.")


@attempt_first("6.4")
def check_best_tag_sequence(answer: Any, emissions: Any, transitions: Any, labels: list[str], *,
                            quiet: bool = False) -> bool:
    """Exercise 6.4: the tag sequence with the highest score Σ_t E[t, y_t] + Σ_t T[y_{t-1}, y_t]."""
    import numpy as np

    from mtl_helpers import crf

    emissions, transitions = np.asarray(emissions, float), np.asarray(transitions, float)
    if emissions.ndim != 2 or emissions.shape[1] != len(labels) or transitions.shape != (len(labels),) * 2:
        raise ValueError(f"emissions must be words × {len(labels)} tags and transitions {len(labels)} × "
                         f"{len(labels)}, got {emissions.shape} and {transitions.shape}.")
    best = [labels[i] for i in crf.viterbi(emissions[None], [len(emissions)], transitions)[0]]
    ok = isinstance(answer, (list, tuple)) and [str(a) for a in answer] == best
    return report(ok, exercise="6.4", quiet=quiet,
                  hint="score whole sequences, not single words: the per-word best tags can be a poor sequence "
                       "once the transition scores are added. Try all len(labels) ** len(words) sequences "
                       "(itertools.product) and keep the highest total.")


@attempt_first("6.5")
def check_selection_optimism(answer: Any, candidates: int, test_items: int, accuracy: float, *,
                             quiet: bool = False) -> bool:
    """Exercise 6.5: by how many points, on average, the best test score of ``candidates`` equally good models
    (true ``accuracy``, each scored on ``test_items`` items) beats their true accuracy: 100 · c_K · √(p(1−p)/n),
    with c_K the expected maximum of K standard normal draws (here by numerical integration)."""
    import numpy as np
    from scipy import integrate, stats

    if int(candidates) != candidates or candidates < 1 or int(test_items) != test_items or test_items < 1:
        raise ValueError(f"candidates and test_items must be integers >= 1, got {candidates!r} and {test_items!r}.")
    if not 0.0 < accuracy < 1.0:
        raise ValueError(f"accuracy must lie strictly between 0 and 1, got {accuracy!r}.")
    c_k = integrate.quad(lambda x: x * candidates * stats.norm.pdf(x) * stats.norm.cdf(x) ** (candidates - 1),
                         -np.inf, np.inf)[0]
    expected = 100 * c_k * math.sqrt(accuracy * (1 - accuracy) / test_items)
    return report(close(answer, expected, rel=0.03), exercise="6.5", quiet=quiet,  # 3%: a simulated c_K will do
                  hint="the best of K scores beats the truth by c_K standard errors on average. The standard error "
                       "of an accuracy on n items is √(p(1−p)/n); c_K is the mean of the maximum of K standard "
                       "normal draws (simulate it: rng.standard_normal((100_000, K)).max(axis=1).mean()). "
                       "Give points: × 100.")


@attempt_first("8.3")
def check_sharing_gain(answer: Any, sweep: Any, *, sharing: str = "hard", task: str | None = None,
                       quiet: bool = False) -> bool:
    """8.3: per relatedness, the MAIN task's mean dev score (over seeds) with ``sharing`` minus with 'none' (a
    Series). task: the main task (default: the sweep's first task, the one with little data)."""
    import pandas as pd

    task = str(sweep.task.iloc[0]) if task is None else task
    if task not in set(sweep.task):
        raise ValueError(f"task {task!r} is not in the sweep; use one of {sorted(set(sweep.task))}.")
    table = sweep[sweep.task == task].pivot_table(index="relatedness", columns="sharing", values="value",
                                                  aggfunc="mean")
    if sharing not in table.columns or "none" not in table.columns:
        raise ValueError(f"the sweep needs the sharing modes 'none' and {sharing!r}; it has "
                         f"{list(table.columns)}. Run playground_sweep with both.")
    expected = (table[sharing] - table["none"]).astype(float)
    ok = False
    if isinstance(answer, pd.Series) and len(answer) == len(expected):
        given = answer.astype(float)
        same_index = sorted(float(i) for i in given.index) == sorted(float(i) for i in expected.index)
        ok = same_index and all(close(given.loc[i], expected.loc[i], rel=1e-6, abs_=1e-9) for i in expected.index)
    return report(ok, exercise="8.3", quiet=quiet,
                  hint=f"the gain of sharing is score({sharing}) − score(none) of the main task {task!r} at the SAME "
                       "relatedness, averaged over the seeds: keep only its rows, pivot to relatedness × sharing, "
                       "then subtract the 'none' column. Not the mean over both tasks: the auxiliary task, which "
                       "every mode learns well, dilutes the gain.")


@attempt_first("6.6")
def check_paired_interval(answer: Any, baseline_scores: Any, treatment_scores: Any, confidence: float = 0.95, *,
                          quiet: bool = False) -> bool:
    """Exercise 6.6: (low, high) of the paired Student-t interval of the mean difference treatment − baseline,
    seed by seed (both given in the same seed order): mean(d) ± t_{(1+c)/2, n−1} · sd(d, ddof=1) / √n."""
    from mtl_helpers.metrics import mean_ci

    a, b = [float(v) for v in baseline_scores], [float(v) for v in treatment_scores]
    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"a paired interval needs the two setups' scores on the same 2+ seeds, got {len(a)} and "
                         f"{len(b)} scores; pass them in the same seed order.")
    _, _, low, high = mean_ci([y - x for x, y in zip(a, b)], confidence)
    ok = _same_interval(answer, low, high)
    return report(ok, exercise="6.6", quiet=quiet,
                  hint="pair the runs: d = treatment − baseline seed by seed, then d.mean() ± t · d.std(ddof=1) / √n "
                       f"with t = scipy.stats.t.ppf({(1 + confidence) / 2:.3f}, n − 1). Not the two setups' own "
                       "spreads (that is the unpaired interval, wider: it keeps the noise the seeds share), not "
                       "ddof=0, not the normal 1.96.")


# Exercise 6.8: the cases a span scorer must get right, each (gold, predicted): partial overlap, a wrong type
# with the right boundaries, a span at the end of a sentence, and a prediction with no span at all.
SPAN_F1_CASES: tuple[tuple[list[list[str]], list[list[str]]], ...] = (
    ([["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "I-ORG", "I-ORG", "O"]],
     [["B-PER", "I-PER", "O", "B-ORG"], ["O", "B-ORG", "I-ORG", "O", "O"]]),
    ([["B-PER", "I-PER", "O"], ["B-LOC", "O"]], [["B-LOC", "I-LOC", "O"], ["B-LOC", "O"]]),
    ([["B-NP", "I-NP", "I-NP", "O", "B-NP"]], [["B-NP", "I-NP", "O", "O", "B-NP"]]),
    ([["O", "B-LOC", "I-LOC"], ["B-PER"]], [["O", "B-LOC", "I-LOC"], ["B-PER"]]),
    ([["B-PER", "O", "B-LOC"]], [["O", "O", "O"]]),
)


def _token_f1(gold: list[list[str]], predicted: list[list[str]], typed: bool = True) -> float:
    """F1 over tokens tagged as part of an entity: the usual slip of scoring tags instead of spans."""
    strip = (lambda t: t) if typed else (lambda t: "ENT" if t != "O" else t)
    pairs = [(strip(g), strip(p)) for gs, ps in zip(gold, predicted) for g, p in zip(gs, ps)]
    correct = sum(g == p != "O" for g, p in pairs)
    n_gold, n_pred = sum(g != "O" for g, _ in pairs), sum(p != "O" for _, p in pairs)
    return 0.0 if correct == 0 else 2 * correct / (n_gold + n_pred)


def _untyped(sentences: list[list[str]]) -> list[list[str]]:
    return [[t if t == "O" else t[:2] + "ENT" for t in tags] for tags in sentences]


def _f1_without_final_spans(gold: list[list[str]], predicted: list[list[str]]) -> float:
    """Span F1 when a span still open at the end of its sentence is never closed, so never counted."""
    from mtl_helpers.metrics import spans

    def kept(sentences: list[list[str]]) -> set[tuple[int, str, int, int]]:
        return {(i, *span) for i, tags in enumerate(sentences) for span in spans(tags) if span[2] < len(tags)}

    g, p = kept(gold), kept(predicted)
    return 0.0 if not g & p else 2 * len(g & p) / (len(g) + len(p))


@attempt_first("6.8")
def check_span_f1_function(answer: Any, *, quiet: bool = False) -> bool:
    """Exercise 6.8 (build): the student's ``span_f1(gold, predicted) -> float`` on SPAN_F1_CASES, against
    metrics.span_scores (which agrees with seqeval); the hint names the slip the failing case exposes."""
    from mtl_helpers.metrics import span_scores

    if not callable(answer):
        raise ValueError(f"pass your function itself (span_f1, not span_f1(...)); got {type(answer).__name__}.")
    for number, (gold, predicted) in enumerate(SPAN_F1_CASES, start=1):
        expected = span_scores(gold, predicted)["f1"]
        try:
            given = answer([list(s) for s in gold], [list(s) for s in predicted])
        except Exception as error:  # noqa: BLE001 - the student's code may raise anything; say on which case
            return report(False, exercise="6.8", quiet=quiet,
                          hint=f"case {number} (gold {gold}, predicted {predicted}) raised {type(error).__name__}: "
                               f"{error}. A sentence with no predicted span must give F1 = 0, not a division by zero.")
        if given is None and number == 1:
            return not_attempted("6.8", quiet=quiet, todo="Fill in span_f1 and run the cell again.")
        if close(given, expected, rel=1e-6, abs_=1e-9):
            continue
        if close(given, _token_f1(gold, predicted), rel=1e-6, abs_=1e-9):
            slip = "that is the F1 over entity TOKENS; a span counts only when all its tokens and its type match"
        elif close(given, span_scores(_untyped(gold), _untyped(predicted))["f1"], rel=1e-6, abs_=1e-9):
            slip = "that is what you get when the types are ignored: a span is correct only if its type matches too"
        elif close(given, _f1_without_final_spans(gold, predicted), rel=1e-6, abs_=1e-9):
            slip = "a span that runs to the last word must still be closed and counted when the sentence ends"
        else:
            slip = "list the spans (type, start, end) of each sentence, then P = correct / predicted, R = correct / gold"
        return report(False, exercise="6.8", quiet=quiet,
                      hint=f"case {number}: gold {gold}, predicted {predicted}: expected F1 {expected:.4f}, your "
                           f"function gave {given!r}; {slip}.")
    return report(True, exercise="6.8", quiet=quiet, hint="")
