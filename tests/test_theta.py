"""Tests for mtl_helpers.theta: every weight in exactly one θ group, the (T−1)·|θ_sh| saving of hard sharing,
the tower-distance table."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tiny_models import VOCAB, encoder

from mtl_helpers.models import TaskSpec, build_model, build_single_task, parameter_counts_from_models
from mtl_helpers.theta import parameter_counts, theta_partition, tower_distance

VARIANTS = [
    dict(sharing="hard"), dict(sharing="hard", shared_layers=0), dict(sharing="hard", shared_layers=1),
    dict(sharing="none"), dict(sharing="soft"), dict(sharing="cross_stitch"),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(map(str, v.values())))
def test_partition_covers_every_weight_once(variant):
    tasks = [TaskSpec("a", "classification", 3), TaskSpec("b", "tagging", 5, read_layer=1)]
    model = build_model(tasks, encoder(num_layers=2), **variant)
    table = theta_partition(model)
    assert list(table.columns) == ["group", "parameters", "weights", "share"]
    assert list(table["group"]) == ["shared", "a", "b", "coupling"]
    assert table["parameters"].sum() == model.count_params()
    assert table["weights"].sum() == len(model.weights)
    assert table["share"].sum() == pytest.approx(1.0)
    groups = dict(zip(table["group"], table["parameters"]))
    assert (groups["shared"] > 0) == (variant["sharing"] == "hard")
    assert (groups["coupling"] > 0) == (variant["sharing"] == "cross_stitch")
    # the trainer's view agrees with the table
    trainable = {id(v) for v in model.trainable_weights}
    parts = [model.shared_variables(), model.task_variables("a"), model.task_variables("b"), model.coupling_variables()]
    ids = [id(v) for part in parts for v in part]
    assert len(ids) == len(set(ids)) and set(ids) == trainable


def test_read_layer_gives_a_head_on_a_shared_layer_no_tower():
    tasks = [TaskSpec("low", "tagging", 5, read_layer=1), TaskSpec("high", "tagging", 5)]
    model = build_model(tasks, encoder(num_layers=2), sharing="hard", shared_layers=1)
    groups = dict(zip(*theta_partition(model)[["group", "parameters"]].T.values))
    assert groups["low"] == 2 * 3 * 5 + 5  # Dense(2·units → 5) only
    assert groups["high"] > groups["low"]  # its own second layer


@pytest.mark.parametrize("kind,shared_layers", [("bilstm", 1), ("transformer", None)])
def test_hard_sharing_saves_exactly_t_minus_one_copies_of_theta_sh(kind, shared_layers):
    tasks = [TaskSpec("a", "classification", 3), TaskSpec("b", "tagging", 5), TaskSpec("c", "lm", VOCAB)]
    enc = encoder(kind, num_layers=2)
    hard = build_model(tasks, enc, sharing="hard", shared_layers=shared_layers)
    singles = sum(build_single_task(t, enc).count_params() for t in tasks)
    theta_sh = int(theta_partition(hard).set_index("group").loc["shared", "parameters"])
    assert theta_sh > 0
    assert singles - hard.count_params() == (len(tasks) - 1) * theta_sh


def test_tower_distance_table_and_hard_sharing_zero_rows():
    tasks = [TaskSpec(n, "classification", 2) for n in "abc"]
    soft = build_model(tasks, encoder(num_layers=2), sharing="soft")
    table = tower_distance(soft)
    assert list(table.columns) == ["layer", "task_a", "task_b", "distance"]
    assert len(table) == 3 * 4  # 3 pairs × (embedding, layer_1, layer_2, total)
    per_pair = table[table.layer != "total"].groupby(["task_a", "task_b"])["distance"].apply(
        lambda d: np.sqrt((d**2).sum()))
    totals = table[table.layer == "total"].set_index(["task_a", "task_b"])["distance"]
    np.testing.assert_allclose(per_pair.sort_index(), totals.sort_index(), rtol=1e-6)
    hard = tower_distance(build_model(tasks, encoder(num_layers=2), sharing="hard"))
    assert (hard["distance"] == 0).all()


# ----------------------------------------------------------------------------- the parameter-count formulas
@pytest.mark.parametrize("arguments", [
    dict(num_tasks=3, num_layers=2, shared_layers=1, embedding_dim=16, hidden_units=8, vocab_size=300, num_classes=3),
    dict(num_tasks=2, num_layers=3, shared_layers=0, embedding_dim=8, hidden_units=12, vocab_size=200, num_classes=5),
    dict(num_tasks=1, num_layers=1, shared_layers=1, embedding_dim=8, hidden_units=4, vocab_size=100, num_classes=2),
])
def test_parameter_formulas_match_built_keras_models(arguments):
    formula = parameter_counts(**arguments)
    built = parameter_counts_from_models(**arguments)
    pd.testing.assert_frame_equal(formula, built)


def test_hard_sharing_saves_t_minus_one_copies_of_theta_shared():
    counts = parameter_counts(4, num_layers=2, shared_layers=2, embedding_dim=32, hidden_units=16,
                                      vocab_size=1000).set_index("setup")
    hard = counts.loc["hard sharing"]
    assert hard["saving"] == (4 - 1) * hard["shared"]
    assert counts.loc["soft sharing", "total"] == counts.loc["single-task (T models)", "total"]


def test_parameter_counts_rejects_bad_depths():
    with pytest.raises(ValueError, match="shared_layers"):
        parameter_counts(2, num_layers=2, shared_layers=3)
    with pytest.raises(ValueError, match="num_tasks"):
        parameter_counts(0)
