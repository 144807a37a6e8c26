"""Benchmark 5: playground latency — median time from a widget change to the redrawn output, in-process.

ipywidgets observers run synchronously when a value is set outside a kernel, so the time of
``control.value = new`` is the time until the callback has recomputed and redrawn the plot.
The playground is found in mtl_helpers.widgets by name (a callable whose name contains "playground").
"""
from __future__ import annotations

import statistics
import time

from .common import Row, check


def _controls(widget) -> list:
    """All value controls (sliders, dropdowns, toggles) in a widget tree, depth first."""
    found, stack = [], [widget]
    while stack:
        node = stack.pop(0)
        children = getattr(node, "children", ())
        stack = list(children) + stack
        if hasattr(node, "value") and hasattr(node, "observe") and not children and (
                hasattr(node, "options") or hasattr(node, "min")):
            found.append(node)
    return found


def _other_value(control):
    options = getattr(control, "options", None)
    if options:
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        return next(v for v in values if v != control.value) if len(values) > 1 else None
    if hasattr(control, "min") and hasattr(control, "max") and control.max != control.min:
        return control.max if control.value != control.max else control.min
    return None


def playground_latency(changes: int) -> list[Row]:
    """Median seconds per change over ``changes`` changes of the playground's first control."""
    from mtl_helpers import widgets

    factory = next((getattr(widgets, n) for n in dir(widgets)
                    if "playground" in n.lower() and callable(getattr(widgets, n)) and not n.startswith("_")), None)
    name = "5. playground latency (change → redrawn plot)"
    if factory is None:
        return [check("playground", name, None, at_most=10.0, unit=" s",
                      note="no playground in mtl_helpers.widgets yet (being written)")]
    ui = factory()
    controls = [c for c in _controls(ui) if _other_value(c) is not None]
    if not controls:
        return [check("playground", name, None, at_most=10.0, unit=" s",
                      note=f"{factory.__name__}() has no slider/dropdown to change")]
    control = controls[0]
    times = []
    for _ in range(changes):
        new = _other_value(control)
        start = time.perf_counter()
        control.value = new
        times.append(time.perf_counter() - start)
    return [check("playground", name, statistics.median(times), at_most=10.0, unit=" s",
                  note=f"{factory.__name__}: {getattr(control, 'description', type(control).__name__)!s}, "
                       f"median of {changes} changes, aim 3 s")]
