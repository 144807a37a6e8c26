"""Soft sharing (notebook 04, 08): the coupling penalty λ·Ω, its λ, and cross-stitch units."""
from __future__ import annotations

from typing import Any

from mtl_helpers.exercises.core import attempt_first, close, report


@attempt_first("2.2")
def check_l2_penalty(answer: Any, tower_weights: list[list], coupling_weight: float, *,
                     quiet: bool = False) -> bool:
    """Exercise 2.2: λ·Σ_{i<j} Σ_k ‖W_k^(i) − W_k^(j)‖² for the towers' weight lists (same shapes)."""
    import itertools

    import numpy as np

    expected = coupling_weight * sum(
        float(np.sum((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2))
        for tower_i, tower_j in itertools.combinations(tower_weights, 2) for a, b in zip(tower_i, tower_j))
    return report(close(answer, expected, rel=1e-4, abs_=1e-9), exercise="2.2", quiet=quiet,
                  hint="take every PAIR of towers (i < j, not i = j, not both orders), sum the squared "
                       "differences of matching weights (a squared Frobenius norm, no square root), and "
                       "multiply by λ at the end.")


LAMBDA_ZERO_CHOICES: dict[str, str] = {
    "a": "hard sharing: all tasks use the same weights",
    "b": "T independent single-task models trained side by side",
    "c": "one model whose towers are forced to be equal",
    "d": "cross-stitch units with α = 1/T everywhere",
}


@attempt_first("2.3")
def check_lambda_zero(answer: Any, *, quiet: bool = False) -> bool:
    """Exercise 2.3: what soft sharing with λ = 0 is (a letter of LAMBDA_ZERO_CHOICES)."""
    return report(str(answer).strip().lower() == "b", exercise="2.3", quiet=quiet,
                  hint="with λ = 0 the objective is Σ_t w_t·L_t(θ_t): nothing ties θ_i to θ_j, so each "
                       "tower's gradient comes from its own task only. Large λ is the other extreme.")


@attempt_first("2.4")
def check_cross_stitch(answer: Any, alpha: Any, outputs: list, task_index: int, *, quiet: bool = False) -> bool:
    """Exercise 2.4: the cross-stitch output x̃_i = Σ_j α_ij x_j of task ``task_index``."""
    import numpy as np

    alpha = np.asarray(alpha, dtype=np.float64)
    expected = sum(alpha[task_index, j] * np.asarray(x, dtype=np.float64) for j, x in enumerate(outputs))
    try:
        ok = np.shape(answer) == np.shape(expected) and np.allclose(np.asarray(answer, dtype=np.float64),
                                                                    expected, rtol=1e-4, atol=1e-6)
    except (TypeError, ValueError):
        ok = False
    return report(bool(ok), exercise="2.4", quiet=quiet,
                  hint="row i of α says how much of every task's activations task i takes: "
                       "x̃_i = α_i1·x_1 + α_i2·x_2 (use the row, not the column, and keep the shapes of x).")


@attempt_first("4.1")
def check_soft_penalty(answer: Any, model: Any, *, quiet: bool = False) -> bool:
    """4.1: λ·Σ_units ‖W_a − W_b‖² of a two-task soft model (l2 coupling), from the tower distances."""
    if getattr(model, "sharing", None) != "soft" or getattr(model, "coupling", None) != "l2":
        raise ValueError("check_soft_penalty needs a model built with sharing='soft', coupling='l2'.")
    expected = float(model.penalty())
    return report(close(answer, expected, rel=1e-3, abs_=1e-7), exercise="4.1", quiet=quiet,
                  hint="square the per-layer distances of models.tower_distance (leave out the 'total' row, or "
                       "square only the total), add them up, multiply by λ = model.coupling_weight.")


@attempt_first("4.2")
def check_independent_alpha(answer: Any, num_tasks: int, *, quiet: bool = False) -> bool:
    """4.2: the cross-stitch matrix α that makes every tower ignore the others."""
    import numpy as np

    try:
        given = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        given = np.zeros(0)
    ok = given.shape == (num_tasks, num_tasks) and bool(np.allclose(given, np.eye(num_tasks)))
    return report(ok, exercise="4.2", quiet=quiet,
                  hint="out_i = Σ_j α_ij x_j: task i must keep all of its own x_i (α_ii = 1) and take nothing "
                       "from the others (α_ij = 0): a T×T identity matrix.")


@attempt_first("4.3")
def check_best_lambda(answer: Any, sweep: Any, task: str, *, quiet: bool = False) -> bool:
    """4.3: the λ of the sweep at which ``task`` scores best (any of them on a tie)."""
    rows = sweep[sweep["task"] == task]
    if rows.empty:
        raise ValueError(f"task {task!r} is not in the sweep; use one of {sorted(sweep['task'].unique())}.")
    best = rows["value"].max()
    winners = rows.loc[rows["value"] == best, "coupling_weight"].tolist()
    ok = any(close(answer, lam, rel=1e-9, abs_=1e-12) for lam in winners)
    return report(ok, exercise="4.3", quiet=quiet,
                  hint=f"filter the sweep to task == {task!r} and take the coupling_weight of the row with the "
                       "highest value (idxmax).")


COUPLING_WEIGHT_NAMES: frozenset[str] = frozenset({"coupling_weight", "λ", "lambda", "lam"})


@attempt_first("8.1")
def check_inert_setting(answer: Any, *, quiet: bool = False) -> bool:
    """8.1: the PlaygroundSettings field that changes nothing when sharing='hard' (λ of the soft penalty)."""
    given = str(answer).strip().lower() if isinstance(answer, str) else ""
    return report(given in {n.lower() for n in COUPLING_WEIGHT_NAMES}, exercise="8.1", quiet=quiet,
                  hint="under hard sharing the tasks use the SAME encoder weights, so there is no distance "
                       "between towers to penalise: which setting scales the penalty λ·Ω of soft sharing? "
                       "Answer with its PlaygroundSettings field name.")
