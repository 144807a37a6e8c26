"""Checkers of exercises 5.x-7.x accept the right answer and reject typical wrong ones."""
import math

import numpy as np
import pandas as pd
import pytest

from mtl_helpers import exercises, metrics, models


def test_temperature_sampling():
    sizes = {"a": 100, "b": 900}
    right = {"a": 10 / 40, "b": 30 / 40}  # square roots 10 and 30
    assert exercises.check_temperature_sampling(right, sizes, 2.0, quiet=True)
    assert not exercises.check_temperature_sampling({"a": 0.1, "b": 0.9}, sizes, 2.0, quiet=True)
    assert not exercises.check_temperature_sampling("nonsense", sizes, 2.0, quiet=True)
    with pytest.raises(ValueError):
        exercises.check_temperature_sampling(right, sizes, 0.0)


def test_pcgrad_projection_only_on_conflict():
    assert exercises.pcgrad_pair([1.0, 0.0], [0.0, 1.0]) == [1.0, 0.0]  # orthogonal: unchanged
    projected = np.array(exercises.pcgrad_pair([1.0, -1.0], [0.0, 1.0]))
    assert np.allclose(projected, [1.0, 0.0])
    assert exercises.check_pcgrad_projection([1.0, 0.0], [1.0, -1.0], [0.0, 1.0], quiet=True)
    assert not exercises.check_pcgrad_projection([1.0, -1.0], [1.0, -1.0], [0.0, 1.0], quiet=True)


def test_dwa_weights_sum_to_the_number_of_tasks():
    last, earlier = {"a": 1.0, "b": 0.5}, {"a": 1.0, "b": 1.0}
    z = np.exp(np.array([1.0, 0.5]) / 2.0)
    right = dict(zip(["a", "b"], 2 * z / z.sum()))
    assert sum(right.values()) == pytest.approx(2.0)
    assert exercises.check_dwa_weights(right, last, earlier, quiet=True)
    assert not exercises.check_dwa_weights({"a": 1.0, "b": 1.0}, last, earlier, quiet=True)


def test_most_conflicting_pair_ignores_the_diagonal():
    names = ["a", "b", "c"]
    cosine = pd.DataFrame([[1, 0.2, -0.5], [0.2, 1, 0.1], [-0.5, 0.1, 1]], index=names, columns=names)
    assert exercises.check_most_conflicting_pair(("c", "a"), cosine, quiet=True)
    assert not exercises.check_most_conflicting_pair(("a", "b"), cosine, quiet=True)
    assert not exercises.check_most_conflicting_pair(3, cosine, quiet=True)


def test_span_f1_confidence_interval_and_delta():
    gold, predicted = [["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]]
    assert exercises.check_span_f1(0.0, gold, predicted, quiet=True)
    assert not exercises.check_span_f1(2 / 3, gold, predicted, quiet=True)
    values = [0.5, 0.6, 0.7]
    _, _, low, high = metrics.mean_ci(values)
    assert exercises.check_confidence_interval((low, high), values, quiet=True)
    assert not exercises.check_confidence_interval((0.4, 0.8), values, quiet=True)
    mtl, single = {"f1": 0.6, "ppl": 90.0}, {"f1": 0.5, "ppl": 100.0}
    directions = {"f1": True, "ppl": False}
    assert exercises.check_delta_mtl_with_directions(15.0, mtl, single, directions, quiet=True)
    assert not exercises.check_delta_mtl_with_directions(5.0, mtl, single, directions, quiet=True)


def test_perplexity_checkers():
    assert exercises.check_perplexity(math.exp(2.0), 20.0, 10, quiet=True)
    assert not exercises.check_perplexity(math.exp(20.0), 20.0, 10, quiet=True)
    with pytest.raises(ValueError):
        exercises.check_perplexity(1.0, 1.0, 0)
    assert exercises.check_uniform_perplexity(50, 50, quiet=True)
    assert not exercises.check_uniform_perplexity(math.log(50), 50, quiet=True)


def test_trainable_when_frozen_counts_everything_but_the_shared_encoder():
    specs = [models.TaskSpec("lm", "lm", 30), models.TaskSpec("ner", "tagging", 5)]
    model = models.build_model(specs, models.EncoderConfig(vocab_size=30, embedding_dim=8, hidden_units=8,
                                                           num_layers=1))
    for variable in model.shared_variables():
        variable.trainable = False
    trained = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    assert exercises.check_trainable_when_frozen(trained, model, quiet=True)
    assert not exercises.check_trainable_when_frozen(model.count_params(), model, quiet=True)


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
    assert not exercises.check_best_tag_sequence(["O", "I-NP", "O"], emissions, transitions, tags, quiet=True)
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
