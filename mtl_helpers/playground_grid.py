"""The playground's precomputed grid: sharing × relatedness × main-task data × seeds, trained once and committed.

The instant explorer of notebook 08 (mtl_helpers.playground_ui.build_grid_explorer) reads it and trains
nothing, so a whole class can ask "when does sharing help?" at once. Every cell holds the final dev score of
both tasks for every seed, with the baseline (``none``) trained on the same seeds, so each gain is a paired
comparison (mtl_helpers.evidence) with its 95% interval.

Regenerate it (a few minutes on 2 cores) with ``python -m benchmarks --only playground_grid``; the file's
first line names that command too.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mtl_helpers.playground import BASELINE, SHARING_MODES, PlaygroundSettings, main_score, train_together

if TYPE_CHECKING:
    import pandas as pd

    from mtl_helpers import evidence

GRID_FILE = Path(__file__).with_name("playground_grid.csv")
COMMAND = "python -m benchmarks --only playground_grid"
RELATEDNESS: tuple[float, ...] = (0.0, 0.5, 1.0)
GRID_FRACTIONS: tuple[float, ...] = (0.01, 0.02, 0.05, 0.25)
SEEDS: tuple[int, ...] = (0, 1, 2, 3, 4)
COLUMNS = ["sharing", "relatedness", "fraction", "seed", "task", "metric", "value"]


def compute_grid(relatedness: Sequence[float] = RELATEDNESS, fractions: Sequence[float] = GRID_FRACTIONS,
                 sharings: Sequence[str] = SHARING_MODES, seeds: Sequence[int] = SEEDS,
                 base: PlaygroundSettings | None = None, log: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Train every cell: per relatedness × fraction, all sharing modes × seeds side by side (one compiled
    step, mtl_helpers.playground.train_together). Other settings come from ``base`` (the playground's
    defaults). One row per run and task: sharing, relatedness, fraction, seed, task, metric, value."""
    import pandas as pd

    base = base or PlaygroundSettings()
    if BASELINE not in sharings:
        raise ValueError(f"the grid needs the baseline sharing={BASELINE!r} for its paired gains; add it to sharings.")
    rows = []
    for r in relatedness:
        for fraction in fractions:
            runs = [dataclasses.replace(base, sharing=sharing, relatedness=float(r), fraction=float(fraction),
                                        seed=int(seed), seeds=1) for sharing in sharings for seed in seeds]
            for one, curve in zip(runs, train_together(runs)):
                rows += [{"sharing": one.sharing, "relatedness": one.relatedness, "fraction": one.fraction,
                          "seed": one.seed, "task": task, "metric": curve[curve.task == task].metric.iloc[0],
                          "value": main_score(curve, task)} for task in one.tasks]
            if log is not None:
                log(f"grid r={r:g} fraction={fraction:g}: {len(runs)} runs")
    return pd.DataFrame(rows, columns=COLUMNS)


def save_grid(grid: pd.DataFrame, path: Path | str = GRID_FILE) -> Path:
    """Write the grid as CSV, its first line a comment naming the command that regenerates it."""
    path = Path(path)
    with path.open("w") as handle:
        handle.write(f"# regenerate with: {COMMAND}\n")
        grid[COLUMNS].to_csv(handle, index=False, float_format="%.4f")
    return path


def load_grid(path: Path | str = GRID_FILE) -> pd.DataFrame:
    """The committed grid (or another one saved by :func:`save_grid`)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no playground grid at {path}; compute it with `{COMMAND}`.")
    grid = pd.read_csv(path, comment="#")
    missing = set(COLUMNS) - set(grid.columns)
    if missing:
        raise ValueError(f"{path} is not a playground grid (it lacks {sorted(missing)}); regenerate it with `{COMMAND}`.")
    return grid


def grid_gains(grid: pd.DataFrame, task: str, sharing: str = "hard") -> dict[tuple[float, float], evidence.Comparison]:
    """Per (relatedness, fraction): the paired comparison ``sharing`` − none on ``task`` over the grid's seeds."""
    from mtl_helpers import evidence

    rows = grid[(grid.task == task) & grid.sharing.isin([BASELINE, sharing])]
    if rows.empty or not {BASELINE, sharing} <= set(rows.sharing):
        raise ValueError(f"the grid needs task {task!r} with sharing 'none' and {sharing!r}; it has tasks "
                         f"{sorted(set(grid.task))} and sharing {sorted(set(grid.sharing))}.")
    out = {}
    for (r, fraction), part in rows.groupby(["relatedness", "fraction"]):
        pick = {s: dict(zip(part[part.sharing == s].seed.astype(int), part[part.sharing == s].value))
                for s in (BASELINE, sharing)}
        out[float(r), float(fraction)] = evidence.paired(
            pick[BASELINE], pick[sharing], baseline="single-task (none)", treatment=f"sharing={sharing}",
            metric=f"{task} final dev {part.metric.iloc[0]}")
    return out
