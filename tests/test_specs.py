"""Tests for mtl_helpers.specs: EncoderConfig and TaskSpec check their fields and build from data."""
from __future__ import annotations

import numpy as np
import pytest
from tiny_models import VOCAB

from mtl_helpers.specs import EncoderConfig, TaskSpec


def test_taskspec_from_task_uses_labels_and_vocabularies():
    class Task:  # duck-typed stand-in for data.TaskData
        def __init__(self, name, kind, labels):
            self.name, self.kind, self.labels = name, kind, labels

    assert TaskSpec.from_task(Task("pos", "tagging", ["DT", "NN"]), vocab=range(50)).num_outputs == 2
    assert TaskSpec.from_task(Task("lm", "lm", []), vocab=range(50)).num_outputs == 50
    assert TaskSpec.from_task(Task("mt", "seq2seq", []), vocab=range(50), target_vocab=range(9)).num_outputs == 9
    with pytest.raises(ValueError, match="target_vocab"):
        TaskSpec.from_task(Task("mt", "seq2seq", []), vocab=range(50))


@pytest.mark.parametrize("name", ["vocab_size", "embedding_dim", "hidden_units", "num_layers", "num_heads",
                                  "max_length", "char_vocab_size", "char_embedding_dim", "char_filters",
                                  "dropout", "word_dropout"])
@pytest.mark.parametrize("value", ["8", True, None, 2.5])
def test_an_encoder_field_of_the_wrong_type_is_a_value_error_naming_the_fix(name, value):
    if name.endswith("dropout") and value == 2.5:
        value = [0.1]  # a float is right here; a list is not
    kwargs = {"vocab_size": VOCAB, name: value}
    with pytest.raises(ValueError, match=rf"EncoderConfig\.{name} must be .*pass e\.g\. {name}="):
        EncoderConfig(**kwargs)


@pytest.mark.parametrize("field,value", [("num_outputs", "3"), ("num_outputs", True), ("num_outputs", 3.0),
                                         ("read_layer", "1"), ("read_layer", True), ("read_layer", 1.0)])
def test_a_task_spec_number_of_the_wrong_type_is_a_value_error_naming_the_fix(field, value):
    kwargs = {"name": "pos", "kind": "tagging", "num_outputs": 3, field: value}
    with pytest.raises(ValueError, match=rf"{field} must be .*pass e\.g\. {field}="):
        TaskSpec(**kwargs)
    assert TaskSpec("pos", "tagging", np.int64(3), read_layer=np.int32(1)).num_outputs == 3  # NumPy ints pass
