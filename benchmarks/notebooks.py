"""Benchmarks 4 and 6: notebook run times in fast and class mode, and the class-mode kernels' peak memory.

Each notebook runs top to bottom in a fresh kernel (mtl_helpers.notebook_runner.execute_notebook).
Peak memory is ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``: the largest resident set of any
finished child process (the kernels), so it is read after the class-mode series.
"""
from __future__ import annotations

import resource
from pathlib import Path

from mtl_helpers import notebook_runner

from .common import Row, check

FAST_SERIES_LIMIT_S = 8 * 60
CLASS_EACH_LIMIT_S = 5 * 60


EXECUTED = notebook_runner.PROJECT_ROOT / "build" / "executed"  # git-ignored: the outputs behind the guide's numbers


def _run(path: Path, fast: bool) -> tuple[float | None, str]:
    """Seconds to execute one notebook, or (None, the error) when it fails. A class-mode run keeps the
    executed notebook in build/executed/ (the instructor guide's numbers are read from it)."""
    try:
        nb, seconds = notebook_runner.execute_notebook(path, fast=fast, timeout=1800)
        if not fast:
            import nbformat

            EXECUTED.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, EXECUTED / path.name)
        return seconds, ""
    except Exception as error:  # noqa: BLE001 - a failing notebook is a result to report, not a crash
        return None, f"{type(error).__name__}: {str(error).strip().splitlines()[-1][:120] if str(error) else ''}"


def notebook_times(quick: bool, class_mode: bool) -> list[Row]:
    """Rows for fast mode (each notebook + series total) and, with ``class_mode``, class mode + memory."""
    paths = notebook_runner.notebook_paths()
    if not paths:
        return [check("notebooks", "4. notebooks, fast series", None, at_most=FAST_SERIES_LIMIT_S, unit=" s",
                      note="no notebooks in notebooks/ yet")]
    fast_paths = paths[:2] if quick else paths
    rows, total, failed = [], 0.0, []
    for path in fast_paths:
        seconds, error = _run(path, fast=True)
        if seconds is None:
            failed.append(path.name)
            rows.append(check("notebooks", f"4. fast {path.name}", None, unit=" s", note=f"FAILED {error}"))
            continue
        total += seconds
        rows.append(check("notebooks", f"4. fast {path.name}", seconds, unit=" s", note="information"))
    partial = f"{len(fast_paths)} of {len(paths)} notebooks" if len(fast_paths) < len(paths) else ""
    series = check("notebooks", "4. fast mode, whole series", total, at_most=FAST_SERIES_LIMIT_S, unit=" s",
                   note=("; ".join(filter(None, [partial and f"only {partial} (quick)",
                                                 failed and f"failed: {', '.join(failed)}"]))))
    if failed:
        series.verdict = "FAIL"
    if partial:
        series.verdict = "INFO" if not failed else "FAIL"
    rows.insert(0, series)
    if not class_mode:
        peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # KiB on Linux
        rows.append(check("memory", "6. peak memory of the class-mode series (largest kernel)", None, at_most=4.0,
                          unit=" GiB", note=f"class mode not run; largest FAST-mode kernel: {peak_gib:.2f} GiB"))
        return rows
    for path in paths:
        seconds, error = _run(path, fast=False)
        rows.append(check("notebooks", f"4. class {path.name}", seconds, at_most=CLASS_EACH_LIMIT_S, unit=" s",
                          note=f"FAILED {error}" if error else ""))
        if error:
            rows[-1].verdict = "FAIL"
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20  # KiB on Linux
    rows.append(check("memory", "6. peak memory of the class-mode series (largest kernel)", peak_gib,
                      at_most=4.0, unit=" GiB", note="ru_maxrss of finished child processes"))
    return rows
