"""Benchmark 5: the playground — how fast it answers a change, and whether its default regime shows the effects.

Rows (``python -m benchmarks --only playground``):

- ``playground first redraw``: median seconds from setting a control to the first redrawn figure of the new
  run (the UI built in-process, ``background=False``; ipywidgets observers then run synchronously, so the
  first progress redraw is timed inside the callback). Target ≤ 1 s.
- ``playground retrain``: median seconds for a complete retrain of the chosen setting and its baseline, 3
  seeds each, side by side. Target ≤ 6 s on a 2-core CPU.
- ``playground effect related`` / ``unrelated``: the paired gain of the default sharing (hard) over the
  single-task baseline on the main task, at r = 1 and r = 0, over 5 seeds, with its 95% interval. Targets:
  the interval above 0 at r = 1, below 0 at r = 0.
- ``playground explorer redraw``: median seconds for the instant explorer (precomputed grid) to redraw after
  a pick. Target ≤ 0.1 s.

Every change goes to settings not trained before in this run, so the playground's cache never answers
instead of a real retrain; the first build (which traces the compiled step) is not counted.
"""
from __future__ import annotations

import dataclasses
import statistics
import time

from .common import Row, check

EFFECT_SEEDS = (0, 1, 2, 3, 4)


def _effect_rows() -> list[Row]:
    """The two effect rows, on 5 seeds also in --quick (3 seeds cannot show the r = 0 effect: that would be a
    FAIL caused by the reduced run, not by the playground)."""
    from mtl_helpers import evidence, playground
    from mtl_helpers.playground import PlaygroundSettings

    seeds = EFFECT_SEEDS
    rows = []
    for r, name, want in ((1.0, "playground effect related", evidence.HELPS),
                          (0.0, "playground effect unrelated", evidence.HURTS)):
        base = PlaygroundSettings(relatedness=r)
        runs = [dataclasses.replace(base, sharing=sharing, seed=seed) for seed in seeds for sharing in ("none", "hard")]
        curves = playground.train_together(runs)
        scores = {s: {one.seed: playground.main_score(c, base.tasks[0]) for one, c in zip(runs, curves)
                      if one.sharing == s} for s in ("none", "hard")}
        comparison = evidence.paired(scores["none"], scores["hard"], baseline="none", treatment="hard",
                                     metric=f"{base.tasks[0]} final dev accuracy")
        mean, low, high = comparison.interval
        passed = comparison.verdict == want
        rows.append(Row("playground", name, mean, target=f"95% interval {'above' if want == evidence.HELPS else 'below'} 0",
                        verdict="PASS" if passed else "FAIL",
                        note=f"hard − none at r = {r:g}, {len(seeds)} seeds: {mean:+.3f} [{low:+.3f}, {high:+.3f}], "
                             f"{comparison.verdict_words}"))
    return rows


def playground_latency(changes: int) -> list[Row]:
    """The five rows of the module docstring (``changes`` timed changes for the two latency rows)."""
    import contextlib
    import io

    from mtl_helpers import playground_grid, playground_ui
    from mtl_helpers.playground import PlaygroundSettings

    settings = PlaygroundSettings(seeds=3)
    with contextlib.redirect_stdout(io.StringIO()):
        ui = playground_ui.build_playground(settings, background=False)  # traces the compiled step: not timed
    first: list[float] = []
    retrain: list[float] = []
    clock: dict[str, float | None] = {"start": 0.0, "first": None}

    def redrawn(_: dict) -> None:  # the figure's PNG changed: the first redraw of the new run
        if clock["first"] is None:
            clock["first"] = time.perf_counter() - float(clock["start"] or 0.0)

    ui.plot.observe(redrawn, names="value")
    relatedness = [0.75, 0.25, 0.5, 1.0, 0.0, 0.75, 0.25]
    for i in range(changes):  # relatedness and main-task data alternately: every change is a fresh retrain
        if i % 2 == 0:
            control, value = "relatedness", relatedness[(i // 2) % len(relatedness)]
        else:
            options = [v for _, v in ui.controls["fraction"].options]
            control, value = "fraction", options[(options.index(ui.controls["fraction"].value) + 1) % len(options)]
        clock.update(start=time.perf_counter(), first=None)
        ui.controls[control].value = value
        retrain.append(time.perf_counter() - float(clock["start"] or 0.0))
        if clock["first"] is not None:
            first.append(float(clock["first"]))
    ui.plot.unobserve(redrawn, names="value")
    rows = [
        check("playground", "playground first redraw", statistics.median(first) if first else None, at_most=1.0,
              unit=" s", note=f"median of {len(first)} changes (relatedness and main-task data alternately), "
                              f"3 seeds × 2 setups side by side; each: {', '.join(f'{t:.2f}' for t in first)} s"),
        check("playground", "playground retrain", statistics.median(retrain), at_most=6.0, unit=" s",
              note=f"complete retrain of the setting and its baseline, 3 seeds each; each: "
                   f"{', '.join(f'{t:.1f}' for t in retrain)} s"),
    ]
    rows += _effect_rows()
    try:
        grid = playground_grid.load_grid()
    except ValueError as error:
        rows.append(check("playground", "playground explorer redraw", None, at_most=0.1, unit=" s", note=str(error)))
        return rows
    explorer = playground_ui.build_grid_explorer(grid)
    times = []
    picks = [("fraction", v) for _, v in explorer.fraction.options[1:]] + [("relatedness", 0.0), ("sharing", "soft"),
                                                                          ("relatedness", 0.5), ("sharing", "hard")]
    for control, value in picks:  # every pick changes the shown cell
        getattr(explorer, control).value = value
        times.append(explorer.last_redraw_seconds())
    rows.append(check("playground", "playground explorer redraw", statistics.median(times), at_most=0.1, unit=" s",
                      note=f"pick a cell or a sharing mode of the committed grid ({len(grid)} rows), median of {len(times)} "
                           f"picks; each: {', '.join(f'{t * 1000:.0f}' for t in times)} ms"))
    return rows


def grid_rows() -> list[Row]:
    """``--only playground_grid``: train the explorer's grid and write it where the package reads it."""
    from mtl_helpers import playground_grid

    start = time.perf_counter()
    grid = playground_grid.compute_grid(log=lambda m: print(m, flush=True))
    path = playground_grid.save_grid(grid)
    seconds = time.perf_counter() - start
    return [Row("playground", "playground grid", seconds, unit=" s",
                note=f"{grid[['sharing', 'relatedness', 'fraction', 'seed']].drop_duplicates().shape[0]} runs "
                     f"written to {path.name}")]
