"""What every benchmark shares: result rows, timing with warm-up and medians, the machine's description."""
from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Verdicts: PASS / FAIL against a target, INFO (reported only), SKIP (not measured, reason in note).
VERDICTS = ("PASS", "FAIL", "INFO", "SKIP")


@dataclass
class Row:
    """One measured quantity: ``name: value (target ...) VERDICT``."""

    benchmark: str
    name: str
    value: float | None
    unit: str = ""
    target: str = "report"
    verdict: str = "INFO"
    note: str = ""
    extra: dict = field(default_factory=dict)

    def formatted_value(self) -> str:
        if self.value is None:
            return "n/a"
        return f"{self.value:.3g}{self.unit}" if abs(self.value) < 1000 else f"{self.value:.0f}{self.unit}"

    def line(self) -> str:
        note = f" [{self.note}]" if self.note else ""
        return f"{self.name}: {self.formatted_value()} (target {self.target}) {self.verdict}{note}"


def check(benchmark: str, name: str, value: float | None, *, at_most: float | None = None,
          at_least: float | None = None, unit: str = "", note: str = "", target: str | None = None) -> Row:
    """A row whose verdict compares ``value`` with one bound (None value → SKIP)."""
    if at_most is not None:
        text, passed = f"≤ {at_most:g}{unit}", value is not None and value <= at_most
    elif at_least is not None:
        text, passed = f"≥ {at_least:g}{unit}", value is not None and value >= at_least
    else:
        text, passed = "report", None
    text = target or text
    if value is None:
        verdict = "SKIP"
    elif passed is None:
        verdict = "INFO"
    else:
        verdict = "PASS" if passed else "FAIL"
    return Row(benchmark, name, value, unit, text, verdict, note)


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 1) -> tuple[float, list[float]]:
    """Median wall seconds over ``repeats`` calls after ``warmup`` untimed calls (tracing, caches)."""
    for _ in range(warmup):
        fn()
    times = [timed(fn) for _ in range(repeats)]
    return statistics.median(times), times


def median_wall_cpu(fn: Callable[[], object], repeats: int, warmup: int = 1) -> tuple[float, float]:
    """Median wall seconds and median process CPU seconds (all threads) over ``repeats`` calls after
    ``warmup`` untimed calls. On a shared machine CPU time shows the work done, wall time what a user waits."""
    for _ in range(warmup):
        fn()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def machine() -> dict[str, str]:
    """CPU count, RAM, load, versions: what the numbers were measured on."""
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": str(os.cpu_count()), "processor": platform.processor() or platform.machine()}
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        info["ram"] = f"{pages * size / 2**30:.1f} GiB"
    except (ValueError, OSError):
        info["ram"] = "unknown"
    try:
        info["load average (1, 5, 15 min) at start"] = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        pass
    import importlib

    for module in ("tensorflow", "keras", "numpy", "pandas", "nbclient"):
        try:
            info[module] = importlib.import_module(module).__version__
        except ImportError:
            info[module] = "not installed"
    return info
