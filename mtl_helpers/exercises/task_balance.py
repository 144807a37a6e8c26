"""Balancing tasks in training (notebooks 01, 05, 08): task sampling, loss weighting and gradient surgery."""
from __future__ import annotations

from typing import Any

from mtl_helpers.exercises.core import _same_numbers, attempt_first, close, report


@attempt_first("1.2")
def check_proportional_share(answer: Any, sizes: dict[str, int], task: str, *, quiet: bool = False) -> bool:
    """Exercise 1.2: share of training steps that go to ``task`` under proportional sampling."""
    if task not in sizes:
        raise ValueError(f"task {task!r} is not in sizes {sorted(sizes)}; pass one of those names.")
    expected = sizes[task] / sum(sizes.values())
    return report(close(answer, expected, rel=1e-3), exercise="1.2", quiet=quiet,
                  hint="proportional sampling draws a task with probability n_t / Σ n (its share of all "
                       "training sentences); the rest of the shared encoder's updates come from the other "
                       "task: that is the implicit data augmentation.")


def _temperature_probabilities(sizes: dict[str, int], temperature: float) -> dict[str, float]:
    """The trainer's own p_t ∝ n_t^(1/T) (exercises 5.1 and 8.4 check against it)."""
    from mtl_helpers.training import task_sampling_probabilities

    return task_sampling_probabilities(sizes, "temperature", temperature=temperature)


@attempt_first("5.1")
def check_temperature_sampling(answer: Any, sizes: dict[str, int], temperature: float, *,
                               quiet: bool = False) -> bool:
    """Exercise 5.1: {task: p_t} under temperature sampling, p_t ∝ n_t^(1/T)."""
    expected = _temperature_probabilities(sizes, temperature)
    return report(_same_numbers(answer, expected), exercise="5.1", quiet=quiet,
                  hint="raise every size to the power 1/T, then divide by the sum so the p_t add up to 1; "
                       "T = 1 is proportional sampling and a large T approaches uniform.")


def pcgrad_pair(g_task: Any, g_other: Any) -> list[float]:
    """PCGrad for one vector: g_task minus its projection on g_other when they conflict (dot < 0)."""
    import numpy as np

    g, h = np.asarray(g_task, float), np.asarray(g_other, float)
    dot = float(g @ h)
    return (g - dot / float(h @ h) * h).tolist() if dot < 0 else g.tolist()


@attempt_first("5.2")
def check_pcgrad_projection(answer: Any, g_task: Any, g_other: Any, *, quiet: bool = False) -> bool:
    """Exercise 5.2: the PCGrad-projected gradient of one task against another (2-D vectors)."""
    import numpy as np

    expected = np.asarray(pcgrad_pair(g_task, g_other))
    try:
        given = np.asarray(answer, dtype=float).reshape(-1)
        ok = given.shape == expected.shape and bool(np.allclose(given, expected, rtol=1e-3, atol=1e-6))
    except (TypeError, ValueError):
        ok = False
    return report(ok, exercise="5.2", quiet=quiet,
                  hint="only when g_i · g_j < 0: subtract (g_i · g_j) / ‖g_j‖² · g_j from g_i; the result is "
                       "orthogonal to g_j (check: its dot product with g_j is 0). No conflict: keep g_i.")


@attempt_first("5.3")
def check_dwa_weights(answer: Any, last_losses: dict[str, float], earlier_losses: dict[str, float],
                      temperature: float = 2.0, *, quiet: bool = False) -> bool:
    """Exercise 5.3: Dynamic Weight Average, λ_t = T·softmax(r_t / temp) with r_t = L_t(e−1) / L_t(e−2)."""
    import numpy as np

    if set(last_losses) != set(earlier_losses) or not last_losses:
        raise ValueError("last_losses and earlier_losses must have the same (non-empty) task keys.")
    names = list(last_losses)
    ratio = np.array([last_losses[t] / earlier_losses[t] for t in names])
    z = np.exp(ratio / temperature)
    expected = dict(zip(names, (len(names) * z / z.sum()).tolist()))
    return report(_same_numbers(answer, expected), exercise="5.3", quiet=quiet,
                  hint="r_t = (loss one epoch ago) / (loss two epochs ago): a task whose loss falls slowly has a "
                       "ratio near 1 and gets MORE weight. Then softmax(r / temperature) times the number of tasks.")


@attempt_first("5.4")
def check_most_conflicting_pair(answer: Any, cosine: Any, *, quiet: bool = False) -> bool:
    """Exercise 5.4: the pair of different tasks whose gradients have the lowest cosine (a set or tuple of names)."""
    names = list(cosine.columns)
    pairs = [(cosine.loc[a, b], {a, b}) for i, a in enumerate(names) for b in names[i + 1:]]
    if not pairs:
        raise ValueError("the cosine table needs at least two tasks.")
    expected = min(pairs, key=lambda p: p[0])[1]
    try:
        ok = {str(a) for a in answer} == expected
    except TypeError:
        ok = False
    return report(ok, exercise="5.4", quiet=quiet,
                  hint="ignore the diagonal (a task with itself is always 1); the most conflicting pair has the "
                       "SMALLEST (most negative) off-diagonal cosine.")


@attempt_first("8.4")
def check_temperature_share(answer: Any, sizes: dict[str, int], task: str, temperature: float = 2.0, *,
                            quiet: bool = False) -> bool:
    """8.4: probability of drawing ``task`` under temperature sampling, p_t ∝ n_t^(1/T)."""
    if task not in sizes:
        raise ValueError(f"task {task!r} is not in sizes {sorted(sizes)}; pass one of those names.")
    expected = _temperature_probabilities(sizes, temperature)[task]
    return report(close(answer, expected, rel=1e-3), exercise="8.4", quiet=quiet,
                  hint="temperature sampling draws task t with probability n_t^(1/T) / Σ_s n_s^(1/T): T=1 is "
                       "proportional sampling, T→∞ is uniform, so T=2 (square roots) lifts the small task "
                       "without letting it dominate.")


# Exercise 5.6: PCGrad on the shared parameters only. Four variables: a shared kernel and bias (θ_sh) and one
# head kernel per task (each task's gradient is zero on the other task's head). In "conflict" the tasks
# disagree over θ_sh as a whole (dot −1) though the biases agree; in "agree" they agree over θ_sh (dot +2)
# though the kernels disagree: the cases tell a whole-θ_sh projection from a per-variable one.
PCGRAD_SHARED = [True, True, False, False]
_KERNEL_A = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
_HEAD_A, _HEAD_B = [[0.5, -1.0], [2.0, 0.0]], [[1.0, -1.0, 0.5], [0.0, 2.0, -1.0]]
_PCGRAD_CASES = {
    "conflict": ([[-1.0, 0.0], [0.0, -1.0], [-0.5, 0.0]], [1.0, 0.5]),
    "agree": ([[-1.0, 0.0], [0.0, 0.0], [0.0, 0.0]], [2.0, 1.0]),
}


def pcgrad_case(name: str) -> tuple[list, list]:
    """(grads_a, grads_b) of exercise 5.6's case ``name`` ("conflict" or "agree"): one numpy array per
    variable [shared kernel 3×2, shared bias 2, head a 2×2, head b 2×3] (see PCGRAD_SHARED)."""
    import numpy as np

    if name not in _PCGRAD_CASES:
        raise ValueError(f"unknown case {name!r}; use one of {sorted(_PCGRAD_CASES)}.")
    kernel_b, bias_b = _PCGRAD_CASES[name]
    zeros_a, zeros_b = np.zeros((2, 2)), np.zeros((2, 3))
    grads_a = [np.array(_KERNEL_A), np.array([1.0, 1.0]), np.array(_HEAD_A), zeros_b]
    grads_b = [np.array(kernel_b), np.array(bias_b), zeros_a, np.array(_HEAD_B)]
    return grads_a, grads_b


def _usual_pcgrad_slips(grads_a: list, grads_b: list, shared: list[bool]) -> dict[str, list]:
    """What the usual wrong answers return on one case, each keyed by the sentence that names the slip."""
    import numpy as np

    def project(g, h, always: bool = False, sign: float = -1.0):
        dot = g @ h
        return g + sign * dot / (h @ h) * h if (dot < 0 or always) else g

    def flat(grads, keys):
        return np.concatenate([grads[k].ravel() for k in keys])

    def cut(total, keys, rest):
        """``total`` cut back into the variables ``keys``; the other variables from ``rest``."""
        pieces = np.split(total, np.cumsum([grads_a[k].size for k in keys])[:-1])
        parts = {k: piece.reshape(grads_a[k].shape) for k, piece in zip(keys, pieces)}
        return [parts.get(k, rest[k]) for k in range(len(shared))]

    idx = [k for k, s in enumerate(shared) if s]
    every = list(range(len(shared)))
    plain = [a + b for a, b in zip(grads_a, grads_b)]
    a_sh, b_sh = flat(grads_a, idx), flat(grads_b, idx)
    a_all, b_all = flat(grads_a, every), flat(grads_b, every)
    a_new = project(a_sh, b_sh)
    per_variable = [project(grads_a[k].ravel(), grads_b[k].ravel()) + project(grads_b[k].ravel(), grads_a[k].ravel())
                    for k in idx]
    return {
        "you returned the plain sum g_a + g_b: over θ_sh the tasks conflict here, so each gradient must lose its "
        "component along the other before the sum": plain,
        "the heads were projected too (dot products and norms over every variable): PCGrad runs over θ_sh only, "
        "and each head keeps its own task's gradient":
            cut(project(a_all, b_all) + project(b_all, a_all), every, plain),
        "you projected each shared variable on its own: the dot product and the norm run over θ_sh as ONE "
        "vector, all shared variables concatenated": cut(np.concatenate(per_variable), idx, plain),
        "you projected although the tasks do not conflict over θ_sh (g_a·g_b > 0): project only when the dot "
        "product is negative": cut(project(a_sh, b_sh, always=True) + project(b_sh, a_sh, always=True), idx, plain),
        "the sign is flipped: g_a' = g_a − (g_a·g_b)/‖g_b‖²·g_b, MINUS, so that g_a'·g_b = 0":
            cut(project(a_sh, b_sh, sign=1.0) + project(b_sh, a_sh, sign=1.0), idx, plain),
        "g_b was projected against the already projected g_a': project both against the ORIGINAL gradients":
            cut(a_new + project(b_sh, a_new), idx, plain),
        "the result is g_a' alone: return the sum of both projected gradients, g_a' + g_b'": cut(a_new, idx, grads_a),
    }


@attempt_first("5.6")
def check_pcgrad_shared(answer: Any, *, quiet: bool = False) -> bool:
    """Exercise 5.6 (build): ``answer(grads_a, grads_b, shared)`` returns PCGrad's combined update, one array
    per variable, projecting the shared variables only. Run on :func:`pcgrad_case` against
    ``training.pcgrad(..., shared=...)``; names the slip (plain sum, heads projected, per-variable projection,
    projection without conflict, sign, projection against a projected gradient) or the variable that differs."""
    import numpy as np

    from mtl_helpers.training import pcgrad

    if not callable(answer):
        raise ValueError("answer_5_6 must be your function pcgrad_combine(grads_a, grads_b, shared), not a "
                         f"{type(answer).__name__}: assign the function itself (no call, no quotes).")
    names = ["shared kernel", "shared bias", "head a", "head b"]
    for case in _PCGRAD_CASES:
        grads_a, grads_b = pcgrad_case(case)
        call = f"pcgrad_combine(*exercises.pcgrad_case({case!r}), exercises.PCGRAD_SHARED)"
        try:
            given = answer([g.copy() for g in grads_a], [g.copy() for g in grads_b], list(PCGRAD_SHARED))
        except Exception as error:  # noqa: BLE001 - the student's code: say what broke, do not crash the notebook
            return report(False, exercise="5.6", quiet=quiet, hint=f"{call} raised {type(error).__name__}: {error}.")
        if given is None or given is Ellipsis:
            return attempt_first("5.6")(lambda *_, **__: False)(None, quiet=quiet)
        expected = [t.numpy() for t in pcgrad([grads_a, grads_b], shared=PCGRAD_SHARED)]
        try:
            given = [np.asarray(g, dtype=float) for g in given]
        except (TypeError, ValueError):
            return report(False, exercise="5.6", quiet=quiet, hint=f"{call} must return a list of arrays (one per "
                          f"variable), got {type(given).__name__}.")
        if len(given) != len(expected):
            return report(False, exercise="5.6", quiet=quiet, hint=f"{call} returned {len(given)} arrays; return "
                          f"one per variable ({len(expected)}: {', '.join(names)}), the combined update g_a' + g_b'.")
        wrong_shape = [(n, g.shape, e.shape) for n, g, e in zip(names, given, expected) if g.shape != e.shape]
        if wrong_shape:
            name, got, want = wrong_shape[0]
            return report(False, exercise="5.6", quiet=quiet, hint=f"{call}: the {name} has shape {got}, its "
                          f"variable {want}: reshape each part back to its variable's shape after projecting.")
        if all(np.allclose(g, e, rtol=1e-5, atol=1e-8) for g, e in zip(given, expected)):
            continue
        for slip, wrong in _usual_pcgrad_slips(grads_a, grads_b, PCGRAD_SHARED).items():
            differs = not all(np.allclose(w, e, rtol=1e-5, atol=1e-8) for w, e in zip(wrong, expected))
            if differs and all(np.allclose(g, w, rtol=1e-5, atol=1e-8) for g, w in zip(given, wrong)):
                return report(False, exercise="5.6", quiet=quiet, hint=f"case {case!r}: {slip}.")
        heads = [n for n, g, e, s in zip(names, given, expected, PCGRAD_SHARED) if not s and not np.allclose(g, e)]
        if heads:
            return report(False, exercise="5.6", quiet=quiet, hint=f"case {case!r}: the {' and '.join(heads)} "
                          "changed: a head's entry is the plain sum (only its own task has a gradient there); "
                          "project the variables marked shared only.")
        first = next(k for k, (g, e) in enumerate(zip(given, expected)) if not np.allclose(g, e, rtol=1e-5, atol=1e-8))
        return report(False, exercise="5.6", quiet=quiet, hint=f"case {case!r}: the {names[first]} is "
                      f"{np.round(given[first], 4).tolist()}, PCGrad gives {np.round(expected[first], 4).tolist()}. "
                      "Concatenate the shared parts into one vector per task, project where g_a·g_b < 0, sum, "
                      "and cut the sum back into the shared variables.")
    return report(True, exercise="5.6", quiet=quiet, hint="")
