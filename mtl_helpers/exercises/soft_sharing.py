"""Soft sharing (notebook 04, 08): the coupling penalty λ·Ω, its λ, and cross-stitch units."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mtl_helpers.exercises.core import attempt_first, attempted, close, not_attempted, report


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


def _coupling_cases() -> list[tuple[list[list[np.ndarray]], float]]:
    """Two fixed pairs of towers (weights the helper never saw, several weights per tower) and their λ."""
    rng = np.random.default_rng(404)
    shapes = ([(6, 4), (3, 4), (4,)], [(5, 2), (2, 2), (2,)])
    return [([[rng.normal(size=shape) for shape in tower] for _ in range(2)], lam)
            for tower, lam in zip(shapes, (0.1, 2.5))]


def _coupling_mistakes(towers: list[list[np.ndarray]], lam: float) -> dict[str, float]:
    """What the usual wrong versions of λ·Σ_k ‖W_k^(1) − W_k^(2)‖² return for these towers."""
    diffs = [a - b for a, b in zip(*towers)]
    squares = [float(np.sum(d ** 2)) for d in diffs]
    return {
        "λ is missing: this is Ω alone; multiply by coupling_weight": sum(squares),
        "the norms are not squared: use Σ (W₁ − W₂)² (tf.square), not ‖W₁ − W₂‖ (tf.norm)":
            lam * sum(np.sqrt(squares)),
        "this is λ·‖θ₁ − θ₂‖, the root of the total: leave out the square root": lam * float(np.sqrt(sum(squares))),
        "you averaged the squared differences (reduce_mean): Ω SUMS them (reduce_sum)":
            lam * sum(float(np.mean(d ** 2)) for d in diffs),
        "you took absolute differences (an L1 penalty): square them instead": lam * sum(float(np.sum(np.abs(d)))
                                                                                       for d in diffs),
        "only the first pair of weights counts: zip over ALL the paired weights of the towers": lam * squares[0],
        "only the last pair of weights counts: sum over ALL the paired weights of the towers": lam * squares[-1],
        "you halved it: Ω here has no ½": lam * sum(squares) / 2,
    }


def _coupling_verdict(problem: str | None, *, quiet: bool = False) -> bool:
    """Exercise 4.1's line: correct when no problem was found, else the problem as the hint."""
    return report(problem is None, exercise="4.1", quiet=quiet, hint=problem or "")


@attempt_first("4.1")
def check_coupling_penalty(answer: Callable[[list, float], Any], *, quiet: bool = False) -> bool:
    """4.1 (build): ``answer(tower_weights, coupling_weight)`` must return λ·Σ_k ‖W_k^(1) − W_k^(2)‖² as a
    differentiable scalar. It is called on two fixed pairs of towers (lists of tf.Variables, matching shapes)
    and compared with the formula in value and in gradient (∂/∂W^(1) = 2λ(W^(1) − W^(2)))."""
    import tensorflow as tf

    if not callable(answer):
        raise ValueError("check_coupling_penalty takes your FUNCTION: exercises.check_coupling_penalty("
                         f"coupling_penalty), not its result (got a {type(answer).__name__}).")
    for towers, lam in _coupling_cases():
        variables = [[tf.Variable(w, dtype=tf.float32) for w in tower] for tower in towers]
        try:
            with tf.GradientTape() as tape:
                result = answer(variables, lam)
        except Exception as error:  # noqa: BLE001 - the student's code: say what it raised, on which input
            return _coupling_verdict(f"your function raised {type(error).__name__}: {error}. It gets a list of "
                                     "two towers (each a list of tf.Variables, matching shapes) and λ.", quiet=quiet)
        if not attempted(result):
            return not_attempted("4.1", quiet=quiet)
        expected = lam * sum(float(np.sum((a - b) ** 2)) for a, b in zip(*towers))
        try:
            value = np.asarray(result, dtype=np.float64)
        except (TypeError, ValueError):
            value = np.zeros(0)
        if value.shape != ():
            return _coupling_verdict(f"return ONE number (a scalar tensor), not an array of shape "
                                     f"{value.shape}: add the per-weight terms up.", quiet=quiet)
        if not close(value, expected, rel=1e-4, abs_=1e-6):
            found = [why for why, wrong in _coupling_mistakes(towers, lam).items() if close(value, wrong, rel=1e-4)]
            return _coupling_verdict(found[0] if found else (
                f"on a fixed pair of towers with λ = {lam} your function returns {float(value):.6g}, the formula "
                f"{expected:.6g}: Ω = Σ_k Σ (W_k^(1) − W_k^(2))² over every paired weight, times λ."), quiet=quiet)
        gradients = tape.gradient(result, variables[0]) if tf.is_tensor(result) else [None]
        if any(g is None for g in gradients):
            return _coupling_verdict("the value is right, but no gradient reaches the weights: compute it with "
                                     "TensorFlow ops (tf.square, tf.reduce_sum), not numpy or float(), so that the "
                                     "train step can differentiate it.", quiet=quiet)
        for g, a, b in zip(gradients, *towers):
            if not np.allclose(tf.convert_to_tensor(g).numpy(), 2 * lam * (a - b), rtol=1e-3, atol=1e-5):
                return _coupling_verdict("the value is right but its gradient is not 2λ(W^(1) − W^(2)): "
                                         "is part of it cut off from the tape (tf.stop_gradient, .numpy())?",
                                         quiet=quiet)
    return _coupling_verdict(None, quiet=quiet)


def _stitch_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Fixed (α, stacked task streams [T, B, L, D]) pairs: an asymmetric α for 2 tasks, a random one for 3."""
    rng = np.random.default_rng(42)
    return [(np.array([[0.7, 0.4], [0.1, 1.2]]), rng.normal(size=(2, 3, 5, 4))),
            (rng.uniform(0.0, 1.0, size=(3, 3)), rng.normal(size=(3, 2, 4, 6)))]


def _stitch_verdict(problem: str | None, *, quiet: bool = False) -> bool:
    """Exercise 4.2's line: correct when no problem was found, else the problem as the hint."""
    return report(problem is None, exercise="4.2", quiet=quiet, hint=problem or "")


@attempt_first("4.2")
def check_stitch_mix(answer: Callable[[Any, Any], Any], *, quiet: bool = False) -> bool:
    """4.2 (build): ``answer(alpha, stacked)`` mixes T task streams stacked as one tensor [T, B, L, D] into
    x̃_i = Σ_j α_ij x_j, [T, B, L, D]. Checked against ``models.CrossStitch`` (α assigned) on fixed inputs:
    the shape, the values, and the gradient with respect to α."""
    import tensorflow as tf

    from mtl_helpers.models import CrossStitch

    if not callable(answer):
        raise ValueError("check_stitch_mix takes your FUNCTION: exercises.check_stitch_mix(stitch_mix), not its "
                         f"result (got a {type(answer).__name__}).")
    for alpha, stacked in _stitch_cases():
        num_tasks = len(alpha)
        unit = CrossStitch(num_tasks)
        unit.alpha.assign(alpha.astype("float32"))
        streams = tf.constant(stacked, tf.float32)
        with tf.GradientTape(persistent=True) as tape:
            expected = tf.stack(unit(list(tf.unstack(streams))))
            probe = tf.constant(np.arange(1, expected.shape.num_elements() + 1).reshape(expected.shape), tf.float32)
            try:
                result = answer(unit.alpha, streams)
            except Exception as error:  # noqa: BLE001 - the student's code: say what it raised, on which input
                return _stitch_verdict(f"your function raised {type(error).__name__}: {error}. It gets α "
                                       f"({num_tasks}×{num_tasks} tf.Variable) and the streams stacked as one "
                                       f"tensor of shape {tuple(stacked.shape)}.", quiet=quiet)
            if not attempted(result):
                return not_attempted("4.2", quiet=quiet)
            try:
                result = tf.convert_to_tensor(result, tf.float32)
            except (TypeError, ValueError):
                return _stitch_verdict("return one tensor [T, B, L, D] (tf.stack a list of streams).",
                                       quiet=quiet)
            if result.shape == expected.shape:
                score, reference = tf.reduce_sum(result * probe), tf.reduce_sum(expected * probe)
        if result.shape != expected.shape:
            hint = (f"shape {tuple(result.shape)} instead of {tuple(expected.shape)}: tensordot puts the task axis "
                    "LAST; move it to the front (keras.ops.moveaxis) or use einsum('ij,j...->i...')"
                    if tuple(result.shape) == tuple(stacked.shape[1:]) + (num_tasks,) else
                    f"shape {tuple(result.shape)} instead of {tuple(expected.shape)}: keep one mixed stream per task, "
                    "stacked on the first axis like the input")
            return _stitch_verdict(hint + ".", quiet=quiet)
        values = result.numpy()
        if not np.allclose(values, expected.numpy(), rtol=1e-4, atol=1e-5):
            transposed = np.einsum("ji,j...->i...", alpha, stacked)
            hint = ("you mixed with α's COLUMNS (αᵀ): task i reads row i, x̃_i = Σ_j α_ij x_j"
                    if np.allclose(values, transposed, rtol=1e-4, atol=1e-5) else
                    "the values differ from models.CrossStitch: x̃_i = Σ_j α_ij x_j, with α as given (a "
                    "learned weight, not normalised, not a softmax); with α = I each x_i must come back unchanged")
            return _stitch_verdict(hint + ".", quiet=quiet)
        gradient = tape.gradient(score, unit.alpha)
        if gradient is None or not np.allclose(gradient.numpy(), tape.gradient(reference, unit.alpha).numpy(),
                                               rtol=1e-3, atol=1e-4):
            return _stitch_verdict("the values are right but the gradient with respect to α is not: compute "
                                   "with TensorFlow ops on α itself (no .numpy(), no constant copy), so α can learn.",
                                   quiet=quiet)
    return _stitch_verdict(None, quiet=quiet)


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
