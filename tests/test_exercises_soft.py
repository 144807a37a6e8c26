"""Checkers of notebook 04 (soft sharing, cross-stitch): the right build passes; the usual mistakes fail, each
with the hint that names it; placeholders print "not attempted yet" and no hint."""
import itertools

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from mtl_helpers import exercises, models


def penalty(tower_weights, coupling_weight):
    first, second = tower_weights
    return coupling_weight * tf.add_n([tf.reduce_sum(tf.square(a - b)) for a, b in zip(first, second)])


def pairs(tower_weights):
    return list(zip(*tower_weights))


WRONG_PENALTIES = {
    "λ is missing": lambda t, lam: tf.add_n([tf.reduce_sum(tf.square(a - b)) for a, b in pairs(t)]),
    "not squared": lambda t, lam: lam * tf.add_n([tf.norm(a - b) for a, b in pairs(t)]),
    "root of the total": lambda t, lam: lam * tf.sqrt(tf.add_n([tf.reduce_sum(tf.square(a - b)) for a, b in pairs(t)])),
    "averaged": lambda t, lam: lam * tf.add_n([tf.reduce_mean(tf.square(a - b)) for a, b in pairs(t)]),
    "absolute differences": lambda t, lam: lam * tf.add_n([tf.reduce_sum(tf.abs(a - b)) for a, b in pairs(t)]),
    "only the first pair": lambda t, lam: lam * tf.reduce_sum(tf.square(t[0][0] - t[1][0])),
    "only the last pair": lambda t, lam: lam * tf.reduce_sum(tf.square(t[0][-1] - t[1][-1])),
    "halved": lambda t, lam: lam / 2 * tf.add_n([tf.reduce_sum(tf.square(a - b)) for a, b in pairs(t)]),
    "ONE number": lambda t, lam: tf.stack([lam * tf.reduce_sum(tf.square(a - b)) for a, b in pairs(t)]),
    "no gradient": lambda t, lam: lam * sum(float(np.sum((a.numpy() - b.numpy()) ** 2)) for a, b in pairs(t)),
    "cut off from the tape": lambda t, lam: penalty(t, lam) + tf.stop_gradient(penalty(t, lam)) - penalty(t, lam),
    "raised": lambda t, lam: t["first"],
}


def test_coupling_penalty_accepts_the_formula(capsys):
    assert exercises.check_coupling_penalty(penalty)
    assert "✓ Exercise 4.1" in capsys.readouterr().out


@pytest.mark.parametrize("mistake", WRONG_PENALTIES)
def test_coupling_penalty_names_the_mistake(mistake, capsys):
    assert not exercises.check_coupling_penalty(WRONG_PENALTIES[mistake])
    assert mistake in capsys.readouterr().out


def test_coupling_penalty_rejects_a_fixed_number():
    """4.1 used to accept the helper's own number; a function that ignores its weights must fail."""
    assert not exercises.check_coupling_penalty(lambda t, lam: 1.7451, quiet=True)


def test_coupling_penalty_placeholders(capsys):
    assert not exercises.check_coupling_penalty(None)
    assert not exercises.check_coupling_penalty(lambda t, lam: None)
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 2 and "Hint" not in out
    with pytest.raises(ValueError, match="FUNCTION"):
        exercises.check_coupling_penalty(0.5)


def stitch(alpha, stacked):
    return tf.einsum("ij,j...->i...", alpha, stacked)


WRONG_STITCHES = {
    "COLUMNS": lambda alpha, stacked: tf.einsum("ji,j...->i...", alpha, stacked),
    "tensordot puts the task axis": lambda alpha, stacked: tf.tensordot(stacked, alpha, axes=[[0], [1]]),
    "one mixed stream per task": lambda alpha, stacked: tf.einsum("ij,j...->...", alpha, stacked),
    "differ from models.CrossStitch": lambda alpha, stacked: tf.einsum("ij,j...->i...", tf.nn.softmax(alpha), stacked),
    "gradient with respect to α": lambda alpha, stacked: tf.einsum("ij,j...->i...", alpha.numpy(), stacked),
    "raised": lambda alpha, stacked: alpha @ stacked,
}


def test_stitch_mix_accepts_einsum_and_a_loop():
    assert exercises.check_stitch_mix(stitch, quiet=True)
    loop = lambda alpha, s: tf.stack([sum(alpha[i, j] * s[j] for j in range(s.shape[0])) for i in range(s.shape[0])])
    assert exercises.check_stitch_mix(loop, quiet=True)


@pytest.mark.parametrize("mistake", WRONG_STITCHES)
def test_stitch_mix_names_the_mistake(mistake, capsys):
    assert not exercises.check_stitch_mix(WRONG_STITCHES[mistake])
    assert mistake in capsys.readouterr().out


def test_stitch_mix_placeholders(capsys):
    assert not exercises.check_stitch_mix(None)
    assert not exercises.check_stitch_mix(lambda alpha, stacked: None)
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 2 and "Hint" not in out
    with pytest.raises(ValueError, match="FUNCTION"):
        exercises.check_stitch_mix(np.eye(2))


def test_best_lambda_accepts_any_tie():
    sweep = pd.DataFrame({"coupling_weight": [0.0, 0.1, 1.0], "task": ["a"] * 3, "value": [0.5, 0.7, 0.7]})
    assert exercises.check_best_lambda(0.1, sweep, "a", quiet=True)
    assert exercises.check_best_lambda(1.0, sweep, "a", quiet=True)
    assert not exercises.check_best_lambda(0.0, sweep, "a", quiet=True)
    assert not exercises.check_best_lambda(0.5, sweep, "a", quiet=True)  # not a λ of the sweep
    assert not exercises.check_best_lambda(None, sweep, "a", quiet=True)
    with pytest.raises(ValueError, match="b"):
        exercises.check_best_lambda(0.0, sweep, "b", quiet=True)


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
