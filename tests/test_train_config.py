"""Tests of TrainConfig: every inconsistent or wrongly typed setting is a ValueError that names the fix."""
import numpy as np
import pytest
from tiny_runs import quick

from mtl_helpers import train_config, training
from mtl_helpers.training import TrainConfig


@pytest.mark.parametrize("change,match", [
    ({"epochs": 0}, "epochs"),
    ({"sampling": "random"}, "unknown sampling"),
    ({"weighting": "magic"}, "unknown weighting"),
    ({"optimizer": "rmsprop"}, "unknown optimizer"),
    ({"pcgrad": True}, "sampling='all'"),
    ({"weighting": "gradnorm"}, "sampling='all'"),
    ({"task_weights": {"toy_topic": 1.0}}, "task_weights keys"),
    ({"task_weights": {"toy_topic": 1.0, "toy_ner": 1.0, "pos": 2.0}}, "task_weights keys"),
    ({"task_weights": {"toy_topic": 1.0, "toy_ner": 1.0}, "weighting": "dwa"}, "task_weights"),
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"clip_norm": -1.0}, "clip_norm"),
])
def test_bad_configuration_is_a_value_error(trained, change, match):
    tasks, vocab, result = trained
    with pytest.raises(ValueError, match=match):
        training.train(result.model, tasks, vocab, quick(**change))


@pytest.mark.parametrize("name,integer,optional", [(n, i, o) for n, i, o, _ in train_config._NUMERIC_FIELDS])
def test_a_numeric_config_field_of_the_wrong_type_is_a_value_error_naming_the_fix(name, integer, optional):
    for value in ["0.01", True] + ([2.5] if integer else []) + ([] if optional else [None]):
        with pytest.raises(ValueError, match=rf"TrainConfig\.{name} must be an? (integer|number).*pass e\.g\. {name}="):
            TrainConfig(**{name: value})
    cfg = TrainConfig()  # changed after construction: validate (what train calls) says the same
    setattr(cfg, name, "3")
    with pytest.raises(ValueError, match=rf"TrainConfig\.{name}"):
        cfg.validate(["pos"])


def test_config_numbers_of_numpy_pass_and_task_weights_must_be_numbers():
    TrainConfig(epochs=np.int64(2), learning_rate=np.float32(1e-3), seed=np.int32(1)).validate(["pos"])
    with pytest.raises(ValueError, match=r"task_weights must map each task to a number.*'pos': '1'"):
        TrainConfig(task_weights={"pos": "1"})
    with pytest.raises(ValueError, match="task_weights must map each task to a number"):
        TrainConfig(task_weights=[1.0, 0.5])
    assert type(TrainConfig(seed=np.int64(3)).seed) is int  # NumPy numbers become Python ones (JSON)
