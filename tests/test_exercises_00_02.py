"""Checkers of notebooks 01-02: they accept the right answer (computed from their arguments) and
reject typical wrong ones."""
import itertools

import numpy as np
import pytest

from mtl_helpers import exercises, models


def test_proportional_share():
    sizes = {"sentiment": 300, "subjectivity": 100}
    assert exercises.check_proportional_share(0.75, sizes, "sentiment", quiet=True)
    assert not exercises.check_proportional_share(0.5, sizes, "sentiment", quiet=True)
    with pytest.raises(ValueError, match="pos"):
        exercises.check_proportional_share(0.5, sizes, "pos", quiet=True)


def test_l2_penalty_matches_model_penalty():
    specs = [models.TaskSpec(n, "classification", 2) for n in ("a", "b", "c")]
    encoder = models.EncoderConfig(50, embedding_dim=4, hidden_units=3, num_layers=1)
    model = models.build_model(specs, encoder, sharing="soft", coupling_weight=0.01)
    towers = [[w.numpy() for unit in ("embedding", "layer_1") for w in model.tower_units(n)[unit].trainable_weights]
              for n in model.task_names]
    penalty = float(model.penalty())
    assert exercises.check_l2_penalty(penalty, towers, 0.01, quiet=True)
    all_pairs = 0.01 * sum(np.sum((np.asarray(a) - b) ** 2) for ti, tj in itertools.permutations(towers, 2)
                           for a, b in zip(ti, tj))
    assert not exercises.check_l2_penalty(all_pairs, towers, 0.01, quiet=True)


def test_cross_stitch_matches_the_layer():
    alpha = np.array([[0.8, 0.2], [0.3, 0.7]], dtype="float32")
    x_a, x_b = np.arange(6, dtype="float32").reshape(2, 3), np.ones((2, 3), "float32")
    layer = models.CrossStitch(2)
    layer.build(None)
    layer.alpha.assign(alpha)
    mixed = [np.asarray(t) for t in layer([x_a, x_b])]
    assert exercises.check_cross_stitch(mixed[0], alpha, [x_a, x_b], 0, quiet=True)
    assert exercises.check_cross_stitch(mixed[1], alpha, [x_a, x_b], 1, quiet=True)
    column = alpha[0, 0] * x_a + alpha[1, 0] * x_b
    assert not exercises.check_cross_stitch(column, alpha, [x_a, x_b], 0, quiet=True)
    assert not exercises.check_cross_stitch("x", alpha, [x_a, x_b], 0, quiet=True)


def test_checkers_print_a_hint(capsys):
    exercises.check_cross_stitch("x", np.eye(2), [np.ones(2), np.ones(2)], 0)
    assert "✗ Exercise 2.4" in capsys.readouterr().out
