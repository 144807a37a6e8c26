"""Task sampling: which tasks each training step trains on.

A step trains one task drawn with :func:`task_sampling_probabilities` (proportional, uniform, temperature,
annealed), or every task (``"all"``). Draws are step-indexed (:class:`TaskSampler`), so an interrupted run
draws exactly what an uninterrupted one would. Tasks that label the same sentences (pos + chunk, the toy
tasks) form one group (:func:`_joint_groups`) and share joint batches. NumPy only (no TensorFlow), so
settings modules can import :data:`SAMPLINGS` cheaply.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import data

SAMPLINGS: tuple[str, ...] = ("proportional", "uniform", "temperature", "annealed", "all")


def task_sampling_probabilities(sizes: Mapping[str, int], strategy: str, *, temperature: float = 2.0,
                                progress: float = 0.0) -> dict[str, float]:
    """Probability of drawing each task at a step.

    proportional: p_t ∝ n_t; uniform: 1/T; temperature: p_t ∝ n_t^(1/temperature);
    annealed (Stickland & Murray 2019): p_t ∝ n_t^α with α = 1 − 0.8·progress, progress = (e−1)/(E−1),
    so training moves from proportional (α=1) towards uniform (α=0.2);
    all: every task trains at every step, so each gets the same share 1/T of the batches.
    """
    if not sizes:
        raise ValueError("no task sizes given; pass e.g. {'pos': 8000, 'chunk': 8000}.")
    bad = {t: n for t, n in sizes.items() if not n > 0}
    if bad:
        raise ValueError(f"task sizes must be > 0, got {bad}; drop empty tasks.")
    if strategy not in SAMPLINGS:
        raise ValueError(f"unknown sampling {strategy!r}; use one of {', '.join(SAMPLINGS)}.")
    if not 0.0 <= progress <= 1.0:
        raise ValueError(f"progress must be in [0, 1] (fraction of training done), got {progress!r}.")
    if strategy == "temperature" and not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}; pass e.g. temperature=2.0.")
    n = np.array([float(v) for v in sizes.values()])
    exponent = {"proportional": 1.0, "uniform": 0.0, "all": 0.0,
                "temperature": 1.0 / temperature if strategy == "temperature" else 1.0,
                "annealed": 1.0 - 0.8 * progress}[strategy]
    p = n ** exponent
    return dict(zip(sizes, (p / p.sum()).tolist()))


class TaskSampler:
    """Draws the tasks of each step. Stateless between steps: step s uses ``default_rng((seed, s))``,
    so a resumed run draws exactly what an uninterrupted one would."""

    def __init__(self, sizes: Mapping[str, int], strategy: str, *, temperature: float = 2.0, seed: int = 0,
                 epochs: int = 1):
        task_sampling_probabilities(sizes, strategy, temperature=temperature)  # validates
        self.sizes, self.strategy, self.temperature = dict(sizes), strategy, temperature
        self.seed, self.epochs = int(seed), int(epochs)
        self.names = list(sizes)

    def probabilities(self, epoch: int = 1) -> dict[str, float]:
        """Sampling distribution during ``epoch`` (1-based; only "annealed" depends on it)."""
        progress = 0.0 if self.epochs <= 1 else min(1.0, (epoch - 1) / (self.epochs - 1))
        return task_sampling_probabilities(self.sizes, self.strategy, temperature=self.temperature,
                                           progress=progress)

    def draw(self, step: int, epoch: int = 1) -> list[str]:
        """Tasks trained at ``step`` (0-based): all of them for "all", else one."""
        if self.strategy == "all":
            return list(self.names)
        p = np.array(list(self.probabilities(epoch).values()))
        return [self.names[int(np.random.default_rng([self.seed, step]).choice(len(p), p=p))]]


def _joint_groups(tasks: Mapping[str, data.TaskData], split: str = "train") -> list[tuple[str, ...]]:
    """Tasks grouped by identical sentences of ``split`` (pos + chunk, the toy tasks): with sampling="all"
    each group trains on joint batches, and evaluation always runs a group in one pass, so the shared
    encoder runs once for all the group's heads."""
    groups: list[list[str]] = []
    for name, task in tasks.items():
        group = next((g for g in groups if data.same_sentences([tasks[g[0]], task], split)), None)
        if group is None:
            groups.append([name])
        else:
            group.append(name)
    return [tuple(g) for g in groups]
