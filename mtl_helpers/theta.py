"""The θ partition of a model, θ = (θ_sh, θ_1..θ_T, α): which weights are shared, which belong to one task,
which couple the tasks, and how far apart the tasks' towers have drifted.

:func:`theta_partition` puts every weight in exactly one group and counts them; :func:`tower_distance` compares
the task-owned encoder units ("embedding", "layer_1", ...) of every pair of tasks. :func:`parameter_counts`
gives the same counts from formulas, for T classification tasks under the three setups (notebook 02), (models.parameter_counts_from_models
checks them against built Keras models).
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


PARAMETER_SETUPS: tuple[str, ...] = ("single-task (T models)", "hard sharing", "soft sharing")


def bilstm_layer_parameters(layer: int, embedding_dim: int, hidden_units: int) -> int:
    """Parameters of BiLSTM layer ``layer`` (1-based) of models.EncoderConfig(kind="bilstm").

    Each direction is a Keras LSTM: kernel [d, 4u], recurrent kernel [u, 4u], bias [4u]. Layer 1 reads
    the embedding (d = embedding_dim); a higher layer's forward LSTM reads only the forward half of the
    layer below (d = u), and the backward LSTM the backward half (ELMo-style stacks, see models.py)."""
    d = embedding_dim if layer == 1 else hidden_units
    return 2 * (4 * hidden_units * (d + hidden_units) + 4 * hidden_units)


def _check_counts_arguments(num_tasks: int, num_layers: int, shared_layers: int, values: dict[str, int]) -> None:
    for name, value in {"num_tasks": num_tasks, "num_layers": num_layers, **values}.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if isinstance(shared_layers, bool) or not isinstance(shared_layers, int) or not 0 <= shared_layers <= num_layers:
        raise ValueError(f"shared_layers={shared_layers!r} must be in 0..num_layers={num_layers} "
                         "(0 = only the embedding is shared); lower it or raise num_layers.")


def parameter_counts(num_tasks: int, num_layers: int = 2, shared_layers: int = 2, embedding_dim: int = 64,
                     hidden_units: int = 64, vocab_size: int = 10_000, num_classes: int = 2) -> pd.DataFrame:
    """Exact parameter counts of T classification tasks under three setups (BiLSTM encoder, models.py).

    Rows: T single-task models, one hard-shared model (embedding + lowest ``shared_layers`` layers
    shared), one soft-shared model (T full towers; the coupling λ·Ω adds no parameters).
    Columns: setup, shared (|θ_sh|), task_specific (Σ_t |θ_t|), total, saving (vs the T single models).
    The formulas are checked against built Keras models in tests/test_theta.py.
    """
    _check_counts_arguments(num_tasks, num_layers, shared_layers, {
        "embedding_dim": embedding_dim, "hidden_units": hidden_units, "vocab_size": vocab_size,
        "num_classes": num_classes})
    layers = [bilstm_layer_parameters(n, embedding_dim, hidden_units) for n in range(1, num_layers + 1)]
    head = 2 * hidden_units * num_classes + num_classes  # Dense on the pooled [forward | backward] states
    single = vocab_size * embedding_dim + sum(layers) + head
    shared = vocab_size * embedding_dim + sum(layers[:shared_layers])
    per_task_hard = sum(layers[shared_layers:]) + head
    rows = [
        (PARAMETER_SETUPS[0], 0, num_tasks * single),
        (PARAMETER_SETUPS[1], shared, num_tasks * per_task_hard),
        (PARAMETER_SETUPS[2], 0, num_tasks * single),
    ]
    frame = pd.DataFrame(rows, columns=["setup", "shared", "task_specific"])
    frame["total"] = frame["shared"] + frame["task_specific"]
    frame["saving"] = num_tasks * single - frame["total"]
    return frame
