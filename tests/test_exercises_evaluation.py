"""Checkers of notebooks 01, 06, 08 and 09 (reasons, evaluation, batching, and the parameter formula of 1.1): the
right answer passes, the usual wrong answers fail, and a placeholder answer prints no hint."""
import numpy as np
import pandas as pd
import pytest

from mtl_helpers import exercises, metrics, models


def right_formula(vocab_size, embedding_dim, hidden_units, num_classes):
    lstm = 4 * hidden_units * (embedding_dim + hidden_units + 1)      # one direction: 4 gates
    return vocab_size * embedding_dim + 2 * lstm + sum((2 * hidden_units + 1) * c for c in num_classes)


def test_hard_shared_parameters_formula_matches_the_model():
    specs = [models.TaskSpec("a", "classification", 2), models.TaskSpec("b", "classification", 3)]
    encoder = models.EncoderConfig(100, embedding_dim=8, hidden_units=4, num_layers=1)
    assert right_formula(100, 8, 4, [2, 3]) == models.build_model(specs, encoder, sharing="hard").count_params()
    assert exercises.check_hard_shared_parameters(right_formula, quiet=True)


@pytest.mark.parametrize("wrong", [
    lambda V, E, u, C: V * E + 4 * u * (E + u + 1) + sum((2 * u + 1) * c for c in C),          # one direction
    lambda V, E, u, C: V * E + 8 * u * (E + u + 1),                                             # no heads
    lambda V, E, u, C: V * E + 8 * u * (E + u + 1) + sum((u + 1) * c for c in C),               # head reads u
    lambda V, E, u, C: V * E + 8 * u * (E + u) + sum((2 * u + 1) * c for c in C),               # no LSTM bias
    lambda V, E, u, C: 8 * u * (E + u + 1) + sum((2 * u + 1) * c for c in C),                   # no embedding
    lambda V, E, u, C: sum(V * E + 8 * u * (E + u + 1) + (2 * u + 1) * c for c in C),           # single-task sum
    lambda V, E, u, C: 1261,                                                                    # one model's count
    lambda V, E, u, C: "1261",
])
def test_hard_shared_parameters_rejects_the_usual_mistakes(wrong, capsys):
    assert not exercises.check_hard_shared_parameters(wrong)
    assert "Hint" in capsys.readouterr().out


def test_hard_shared_parameters_says_what_differs(capsys):
    exercises.check_hard_shared_parameters(lambda V, E, u, C: right_formula(V, E, u, C) - 4 * u * (E + u + 1))
    assert "one direction short" in capsys.readouterr().out
    exercises.check_hard_shared_parameters(lambda V, E, u, C: 1 / 0)
    assert "ZeroDivisionError" in capsys.readouterr().out


def test_hard_shared_parameters_stub_and_bad_input(capsys):
    def hard_shared_parameters(vocab_size, embedding_dim, hidden_units, num_classes):
        return None

    assert not exercises.check_hard_shared_parameters(hard_shared_parameters)
    out = capsys.readouterr().out
    assert "not attempted yet" in out and "Hint" not in out
    with pytest.raises(ValueError, match="pass the function itself"):
        exercises.check_hard_shared_parameters(1261)


def test_delta_mtl_pair_in_percent():
    mtl, single = {"a": 0.66, "b": 0.9}, {"a": 0.6, "b": 0.9}
    assert exercises.check_delta_mtl_pair(5.0, mtl, single, quiet=True)
    assert exercises.check_delta_mtl_pair(metrics.delta_mtl(mtl, single), mtl, single, quiet=True)
    assert not exercises.check_delta_mtl_pair(0.05, mtl, single, quiet=True)   # a fraction, not percent
    assert not exercises.check_delta_mtl_pair(4.0, mtl, single, quiet=True)    # relative change of the mean scores
    assert not exercises.check_delta_mtl_pair(3.0, mtl, single, quiet=True)    # absolute points, not relative


def test_mtl_reasons():
    right = {k: reason for k, (_, reason) in exercises.MTL_REASON_SCENARIOS.items()}
    assert set(right.values()) <= set(exercises.MTL_REASONS)
    assert exercises.check_mtl_reasons(right, quiet=True)
    assert exercises.check_mtl_reasons({k.lower(): v.upper() for k, v in right.items()}, quiet=True)
    assert exercises.check_mtl_reasons({**right, "E": "regularization"}, quiet=True)
    assert not exercises.check_mtl_reasons({**right, "A": "regularisation"}, quiet=True)
    assert not exercises.check_mtl_reasons({**right, "B": right["A"], "A": right["B"]}, quiet=True)  # swapped
    assert not exercises.check_mtl_reasons({k: v for k, v in right.items() if k != "C"}, quiet=True)  # one missing
    assert not exercises.check_mtl_reasons("eavesdropping", quiet=True)


def test_span_f1_of_the_notebook_example():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "I-ORG", "I-ORG", "O"]]
    predicted = [["B-PER", "I-PER", "O", "B-ORG"], ["O", "B-ORG", "I-ORG", "O", "O"]]
    assert exercises.check_span_f1(1 / 3, gold, predicted, quiet=True)            # 1 of 3 spans, both ways
    assert not exercises.check_span_f1(7 / 9, gold, predicted, quiet=True)        # token accuracy
    assert not exercises.check_span_f1(2 / 3, gold, predicted, quiet=True)        # the cut ORG counted as right
    assert not exercises.check_span_f1(2 / 3, [["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]], quiet=True)
    assert exercises.check_span_f1(0.0, [["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]], quiet=True)


def test_confidence_interval_needs_t_and_the_sample_deviation():
    from scipy import stats

    values = np.array([0.5, 0.6, 0.7, 0.65])
    n, mean = len(values), values.mean()
    t = stats.t.ppf(0.975, n - 1)
    assert exercises.check_confidence_interval((mean - t * values.std(ddof=1) / n ** 0.5,
                                                mean + t * values.std(ddof=1) / n ** 0.5), list(values), quiet=True)
    for wrong in [(mean - 1.96 * values.std(ddof=1) / n ** 0.5, mean + 1.96 * values.std(ddof=1) / n ** 0.5),
                  (mean - t * values.std(ddof=0) / n ** 0.5, mean + t * values.std(ddof=0) / n ** 0.5),
                  (mean - t * values.std(ddof=1), mean + t * values.std(ddof=1)),   # no √n
                  (0.4, 0.8), mean]:
        assert not exercises.check_confidence_interval(wrong, list(values), quiet=True)


def test_delta_mtl_with_directions_flips_lower_is_better():
    mtl, single = {"f1": 0.6, "ppl": 90.0}, {"f1": 0.5, "ppl": 100.0}
    directions = {"f1": True, "ppl": False}
    assert exercises.check_delta_mtl_with_directions(15.0, mtl, single, directions, quiet=True)
    assert not exercises.check_delta_mtl_with_directions(5.0, mtl, single, directions, quiet=True)   # no flip
    assert not exercises.check_delta_mtl_with_directions(0.15, mtl, single, directions, quiet=True)  # a fraction


def test_selection_optimism_is_c_k_standard_errors():
    # c_5 = 1.16296 (the expected maximum of five standard normals), standard error √(0.09 / 2000)
    assert exercises.check_selection_optimism(0.7801, 5, 2000, 0.9, quiet=True)
    assert exercises.check_selection_optimism(0.0, 1, 2000, 0.9, quiet=True)  # one candidate: no selection
    assert not exercises.check_selection_optimism(0.6708, 5, 2000, 0.9, quiet=True)  # one standard error
    assert not exercises.check_selection_optimism(0.0078, 5, 2000, 0.9, quiet=True)  # a fraction, not points
    assert not exercises.check_selection_optimism(None, 5, 2000, 0.9, quiet=True)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        exercises.check_selection_optimism(0.5, 5, 2000, 1.0)
    with pytest.raises(ValueError, match="integers >= 1"):
        exercises.check_selection_optimism(0.5, 0, 2000, 0.9)


def test_best_tag_sequence_needs_the_transitions():
    tags = ["O", "B-NP", "I-NP"]
    emissions = np.array([[2.0, 1.0, 0.5], [0.2, 0.5, 1.5], [1.2, 0.3, 1.0]])
    transitions = np.array([[0.0, 0.0, -3.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.5]])
    assert exercises.check_best_tag_sequence(["B-NP", "I-NP", "I-NP"], emissions, transitions, tags, quiet=True)
    assert not exercises.check_best_tag_sequence(["O", "I-NP", "O"], emissions, transitions, tags, quiet=True)  # per word
    assert not exercises.check_best_tag_sequence(None, emissions, transitions, tags, quiet=True)
    with pytest.raises(ValueError, match="emissions"):
        exercises.check_best_tag_sequence(["O"], np.zeros((2, 2)), transitions, tags)


def test_paired_interval_rejects_unpaired_ddof0_and_z():
    from scipy import stats

    a = np.array([0.70, 0.62, 0.75, 0.66, 0.71])
    b = np.array([0.73, 0.64, 0.79, 0.67, 0.74])
    d, n = b - a, len(a)
    t = stats.t.ppf(0.975, n - 1)
    right = (d.mean() - t * d.std(ddof=1) / np.sqrt(n), d.mean() + t * d.std(ddof=1) / np.sqrt(n))
    assert exercises.check_paired_interval(right, a, b, quiet=True)
    assert exercises.check_paired_interval(right, list(a), list(b), quiet=True)
    unpaired_se = np.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
    unpaired = (d.mean() - t * unpaired_se, d.mean() + t * unpaired_se)
    ddof0 = (d.mean() - t * d.std(ddof=0) / np.sqrt(n), d.mean() + t * d.std(ddof=0) / np.sqrt(n))
    normal = (d.mean() - 1.96 * d.std(ddof=1) / np.sqrt(n), d.mean() + 1.96 * d.std(ddof=1) / np.sqrt(n))
    reversed_sign = (-right[1], -right[0])  # baseline − treatment
    for wrong in (unpaired, ddof0, normal, reversed_sign, "nonsense", 0.5):
        assert not exercises.check_paired_interval(wrong, a, b, quiet=True)
    with pytest.raises(ValueError):
        exercises.check_paired_interval(right, a, b[:3])


def _sweep() -> pd.DataFrame:
    rows = [(0.0, "none", "main", 0.70), (0.0, "none", "aux", 0.90), (0.0, "hard", "main", 0.60),
            (0.0, "hard", "aux", 0.92), (1.0, "none", "main", 0.70), (1.0, "none", "aux", 0.90),
            (1.0, "hard", "main", 0.90), (1.0, "hard", "aux", 0.94)]
    return pd.DataFrame([{"relatedness": r, "sharing": s, "task": t, "metric": "accuracy", "value": v, "seconds": 1.0}
                         for r, s, t, v in rows])


def test_sharing_gain_is_the_main_tasks_difference_of_means():
    sweep = _sweep()
    main = sweep[sweep.task == "main"].pivot_table(index="relatedness", columns="sharing", values="value")
    assert exercises.check_sharing_gain(main["hard"] - main["none"], sweep, quiet=True)
    both = sweep.pivot_table(index="relatedness", columns="sharing", values="value", aggfunc="mean")
    for wrong in (main["none"] - main["hard"],                      # sign flipped
                  both["hard"] - both["none"],                      # the mean over both tasks: diluted by aux
                  main["hard"] / main["none"],                      # a ratio
                  (main["hard"] - main["none"]).to_dict(),          # not a Series
                  2 * (main["hard"] - main["none"])):               # doubled
        assert not exercises.check_sharing_gain(wrong, sweep, quiet=True)
    aux = sweep[sweep.task == "aux"].pivot_table(index="relatedness", columns="sharing", values="value")
    assert exercises.check_sharing_gain(aux["hard"] - aux["none"], sweep, task="aux", quiet=True)


def test_padding_mask():
    tokens = np.array([[4, 5, 0], [6, 0, 0]])
    assert exercises.check_padding_mask(tokens != 0, tokens, quiet=True)
    assert not exercises.check_padding_mask((tokens != 0).astype(int), tokens, quiet=True)   # not bool
    assert not exercises.check_padding_mask(tokens == 0, tokens, quiet=True)                 # inverted
    assert not exercises.check_padding_mask((tokens != 0)[:1], tokens, quiet=True)           # wrong shape


def test_global_batch_with_four_replicas(capsys):
    assert exercises.check_global_batch(128, per_replica_batch=32, num_replicas=4, quiet=True)
    assert exercises.check_global_batch(64, 32, 2, quiet=True)
    assert not exercises.check_global_batch(32, per_replica_batch=32, num_replicas=4)   # the per-replica batch
    assert "ONE replica" in capsys.readouterr().out
    assert not exercises.check_global_batch(8, per_replica_batch=32, num_replicas=4)    # split, not multiplied
    assert "not split" in capsys.readouterr().out
    with pytest.raises(ValueError, match="num_replicas must be an integer >= 2"):
        exercises.check_global_batch(32, per_replica_batch=32, num_replicas=1)


@pytest.mark.parametrize("check, args", [
    (exercises.check_hard_shared_parameters, ()),
    (exercises.check_mtl_reasons, ()),
    (exercises.check_delta_mtl_pair, ({"a": 0.6}, {"a": 0.5})),
    (exercises.check_span_f1, ([["O"]], [["O"]])),
    (exercises.check_confidence_interval, ([0.5, 0.6],)),
    (exercises.check_delta_mtl_with_directions, ({"a": 0.6}, {"a": 0.5}, {"a": True})),
    (exercises.check_best_tag_sequence, (np.zeros((1, 1)), np.zeros((1, 1)), ["O"])),
    (exercises.check_selection_optimism, (5, 2000, 0.9)),
    (exercises.check_paired_interval, ([0.5, 0.6], [0.6, 0.7])),
    (exercises.check_sharing_gain, (_sweep(),)),
    (exercises.check_padding_mask, (np.array([[1, 0]]),)),
    (exercises.check_global_batch, (32, 4)),
])
@pytest.mark.parametrize("placeholder", [None, {}, ...])
def test_a_placeholder_prints_no_hint(check, args, placeholder, capsys):
    assert not check(placeholder, *args)
    out = capsys.readouterr().out
    assert "not attempted yet" in out and "Hint" not in out


def _spans(sentences):
    return {(i, *span) for i, tags in enumerate(sentences) for span in metrics.spans(tags)}


def right_span_f1(gold, predicted):
    g, p = _spans(gold), _spans(predicted)
    return 0.0 if not g & p else 2 * len(g & p) / (len(g) + len(p))


def token_f1(gold, predicted):
    pairs = [(a, b) for gs, ps in zip(gold, predicted) for a, b in zip(gs, ps)]
    correct = sum(a == b != "O" for a, b in pairs)
    return 0.0 if not correct else 2 * correct / (sum(a != "O" for a, _ in pairs) + sum(b != "O" for _, b in pairs))


def untyped_f1(gold, predicted):
    strip = lambda s: [[t if t == "O" else t[:2] + "X" for t in tags] for tags in s]
    return right_span_f1(strip(gold), strip(predicted))


def unclosed_f1(gold, predicted):  # spans open at the end of a sentence are never counted
    keep = lambda s: {x for x in _spans(s) if x[3] < len(s[x[0]])}
    g, p = keep(gold), keep(predicted)
    return 0.0 if not g & p else 2 * len(g & p) / (len(g) + len(p))


def divides_by_zero(gold, predicted):
    g, p = _spans(gold), _spans(predicted)
    precision, recall = len(g & p) / len(p), len(g & p) / len(g)
    return 2 * precision * recall / (precision + recall)


def test_span_f1_function_right_and_usual_slips(capsys):
    assert exercises.check_span_f1_function(right_span_f1)
    for wrong, words in [(token_f1, "TOKENS"), (untyped_f1, "types are ignored"), (unclosed_f1, "end"),
                         (divides_by_zero, "division by zero"), (lambda g, p: 1.0, "expected F1")]:
        assert not exercises.check_span_f1_function(wrong)
        out = capsys.readouterr().out
        assert "Hint" in out and words in out, (wrong, out)
    assert not exercises.check_span_f1_function(lambda g, p: None)
    assert "not attempted" in capsys.readouterr().out
    with pytest.raises(ValueError, match="function itself"):
        exercises.check_span_f1_function(0.5)
    assert all(right_span_f1(g, p) == metrics.span_scores(g, p)["f1"] for g, p in exercises.SPAN_F1_CASES)
