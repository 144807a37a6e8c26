"""Checkers of notebook 09 (03: test_exercises_sharing.py, 04: test_exercises_soft.py): right answers (computed from the arguments) pass, typical wrong ones fail."""
import numpy as np
import pytest

from mtl_helpers import exercises, models


@pytest.fixture(scope="module")
def encoder():
    return models.EncoderConfig(vocab_size=30, embedding_dim=8, hidden_units=4, num_layers=2)


def _built(model):
    model({"tokens": np.array([[5, 6, 0]], "int32")})
    return model


def test_task_parameters(encoder):
    model = _built(models.build_model([models.TaskSpec("a", "tagging", 3), models.TaskSpec("b", "classification", 2)],
                                      encoder, sharing="hard"))
    head_b = (2 * encoder.hidden_units) * 2 + 2  # dense on the top BiLSTM states
    assert exercises.check_task_parameters(head_b, model, "b", quiet=True)
    assert not exercises.check_task_parameters(model.count_params(), model, "b", quiet=True)
