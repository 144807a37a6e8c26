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
