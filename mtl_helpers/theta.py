"""The θ partition of a model, θ = (θ_sh, θ_1..θ_T, α): which weights are shared, which belong to one task,
which couple the tasks, and how far apart the tasks' towers have drifted.

:func:`theta_partition` puts every weight in exactly one group and counts them; :func:`tower_distance` compares
the task-owned encoder units ("embedding", "layer_1", ...) of every pair of tasks.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

if TYPE_CHECKING:
    from mtl_helpers.models import MultiTaskModel


def unit_order(unit: str) -> tuple[int, int]:
    """Sort key of an encoder unit name: "embedding" first, then "layer_1", "layer_2", ... bottom up."""
    return (0, 0) if unit == "embedding" else (1, int(unit.split("_")[1]))


def theta_partition(model: MultiTaskModel) -> pd.DataFrame:
    """Every weight of ``model`` in exactly one group: "shared", each task, "coupling" (α).

    Columns: group, parameters, weights (number of tensors), share (of all parameters). The parameters add
    up to ``model.count_params()``.
    """
    rows, seen = [], set()
    for group in ["shared", *model.task_names, "coupling"]:
        variables = model.group_variables(group, trainable=False)
        seen.update(id(v) for v in variables)
        rows.append({"group": group, "parameters": int(sum(np.prod(v.shape) for v in variables)),
                     "weights": len(variables)})
    missing = [v.path for v in model.weights if id(v) not in seen]
    if missing:
        raise RuntimeError(f"weights outside every θ group (a bug in models.py): {missing}")
    table = pd.DataFrame(rows, columns=["group", "parameters", "weights"])
    total = int(table["parameters"].sum())
    table["share"] = table["parameters"] / total if total else 0.0
    return table


def variable_numpy(variable: keras.Variable) -> np.ndarray:
    """A weight's current values as a numpy array (a copy; works for mirrored / distributed variables too)."""
    return tf.convert_to_tensor(variable).numpy()


def tower_distance(model: MultiTaskModel) -> pd.DataFrame:
    """‖W_a − W_b‖ (Frobenius, over all weights of a unit) per encoder unit and task pair, plus a "total"
    row per pair (√ of the summed squares). Shared units (hard sharing) are listed with distance 0."""
    rows = []
    units = {n: model.tower_units(n) for n in model.task_names}
    for a, b in itertools.combinations(model.task_names, 2):
        squares = 0.0
        for unit in sorted(set(units[a]) & set(units[b]), key=unit_order):
            block_a, block_b = units[a][unit], units[b][unit]
            if block_a is None or block_b is None:
                distance = 0.0
            else:
                distance = float(np.sqrt(sum(np.sum((variable_numpy(va) - variable_numpy(vb)) ** 2)
                                             for va, vb in zip(block_a.weights, block_b.weights))))
            squares += distance**2
            rows.append({"layer": unit, "task_a": a, "task_b": b, "distance": distance})
        rows.append({"layer": "total", "task_a": a, "task_b": b, "distance": float(np.sqrt(squares))})
    return pd.DataFrame(rows, columns=["layer", "task_a", "task_b", "distance"])

