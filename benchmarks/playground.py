"""Benchmark 5: playground latency — median time from a widget change to the redrawn output, in-process.

ipywidgets observers run synchronously when a value is set outside a kernel, so the time of
``control.value = new`` is the time until the callback has recomputed and redrawn the plot.
The playground is ``mtl_helpers.widgets.build_playground``; each change of a control retrains a small
toy model and redraws the curve.
"""
from __future__ import annotations

import contextlib
import io
import statistics
import time

import numpy as np

from .common import Row, check


def playground_latency(changes: int) -> list[Row]:
    """Median seconds from setting the playground's relatedness slider to the redrawn plot.

    Every change goes to a value not seen before in this run, so the playground's result cache never
    answers instead of a real retrain.
    """
    from mtl_helpers import widgets

    name = "5. playground latency (change → redrawn plot)"
    if not hasattr(widgets, "build_playground"):
        return [check("playground", name, None, at_most=10.0, unit=" s",
                      note="no build_playground in mtl_helpers.widgets yet")]
    with contextlib.redirect_stdout(io.StringIO()):
        ui = widgets.build_playground()
    slider = ui.controls["relatedness"]
    values = [v for v in np.linspace(slider.min, slider.max, changes + 1) if not np.isclose(v, slider.value)]
    times = []
    for value in values[:changes]:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            slider.value = float(value)
        times.append(time.perf_counter() - start)
    return [check("playground", name, statistics.median(times), at_most=10.0, unit=" s",
                  note=f"build_playground, relatedness slider, median of {len(times)} uncached retrains "
                       f"(class-mode sizes), aim 3 s; each: {', '.join(f'{t:.1f}' for t in times)} s")]
