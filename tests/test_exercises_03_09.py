"""Checkers of notebooks 03, 04 and 09: right answers (computed from the arguments) pass, typical wrong ones fail."""
import numpy as np
import pandas as pd
import pytest

from mtl_helpers import exercises, models


@pytest.fixture(scope="module")
def encoder():
    return models.EncoderConfig(vocab_size=30, embedding_dim=8, hidden_units=4, num_layers=2)


def _built(model):
    model({"tokens": np.array([[5, 6, 0]], "int32")})
    return model


def test_broken_output_shape():
    assert exercises.check_broken_output_shape((8, 3), 8, 3, quiet=True)
    assert not exercises.check_broken_output_shape((8, 12, 3), 8, 3, quiet=True)
    assert not exercises.check_broken_output_shape(None, 8, 3, quiet=True)


def test_shared_fraction(encoder):
    model = _built(models.build_model([models.TaskSpec("a", "tagging", 3), models.TaskSpec("b", "tagging", 4)],
                                      encoder, sharing="hard"))
    table = models.theta_partition(model)
    share = float(table.loc[table.group == "shared", "share"].iloc[0])
    assert exercises.check_shared_fraction(share, model, quiet=True)
    assert not exercises.check_shared_fraction(share * 100, model, quiet=True)


def test_read_layers(encoder):
    specs = [models.TaskSpec("chunk", "tagging", 3, read_layer=1), models.TaskSpec("pos", "tagging", 4)]
    model = models.build_model(specs, encoder, sharing="hard")
    assert exercises.check_read_layers({"chunk": 1, "pos": 2}, model, quiet=True)
    assert not exercises.check_read_layers({"chunk": 1, "pos": None}, model, quiet=True)
    assert not exercises.check_read_layers({"chunk": 2, "pos": 1}, model, quiet=True)


def test_soft_penalty_from_tower_distance(encoder):
    specs = [models.TaskSpec("a", "tagging", 3), models.TaskSpec("b", "tagging", 3)]
    model = _built(models.build_model(specs, encoder, sharing="soft", coupling_weight=0.01))
    distances = models.tower_distance(model)
    by_hand = 0.01 * float((distances.loc[distances.layer != "total", "distance"] ** 2).sum())
    assert exercises.check_soft_penalty(by_hand, model, quiet=True)
    assert not exercises.check_soft_penalty(by_hand / 0.01, model, quiet=True)
    with pytest.raises(ValueError, match="soft"):
        exercises.check_soft_penalty(0.0, models.build_model(specs, encoder, sharing="hard"), quiet=True)


def test_independent_alpha():
    assert exercises.check_independent_alpha(np.eye(2), 2, quiet=True)
    assert not exercises.check_independent_alpha(np.full((2, 2), 0.5), 2, quiet=True)
    assert not exercises.check_independent_alpha(np.eye(3), 2, quiet=True)


def test_best_lambda_accepts_any_tie():
    sweep = pd.DataFrame({"coupling_weight": [0.0, 0.1, 1.0], "task": ["a"] * 3, "value": [0.5, 0.7, 0.7]})
    assert exercises.check_best_lambda(0.1, sweep, "a", quiet=True)
    assert exercises.check_best_lambda(1.0, sweep, "a", quiet=True)
    assert not exercises.check_best_lambda(0.0, sweep, "a", quiet=True)
    with pytest.raises(ValueError, match="b"):
        exercises.check_best_lambda(0.0, sweep, "b", quiet=True)


def test_task_parameters(encoder):
    model = _built(models.build_model([models.TaskSpec("a", "tagging", 3), models.TaskSpec("b", "classification", 2)],
                                      encoder, sharing="hard"))
    head_b = (2 * encoder.hidden_units) * 2 + 2  # dense on the top BiLSTM states
    assert exercises.check_task_parameters(head_b, model, "b", quiet=True)
    assert not exercises.check_task_parameters(model.count_params(), model, "b", quiet=True)


def test_padding_mask_and_global_batch():
    tokens = np.array([[4, 5, 0], [6, 0, 0]])
    assert exercises.check_padding_mask(tokens != 0, tokens, quiet=True)
    assert not exercises.check_padding_mask((tokens != 0).astype(int), tokens, quiet=True)
    assert not exercises.check_padding_mask(tokens == 0, tokens, quiet=True)
    assert exercises.check_global_batch(64, 32, 2, quiet=True)
    assert not exercises.check_global_batch(32, 32, 2, quiet=True)
