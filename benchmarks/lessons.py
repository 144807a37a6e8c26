"""Measure the lesson ledger (mtl_helpers.lessons): every claim of the series, paired over seeds.

    python -m benchmarks --only lessons                       # every claim, seeds 0-4, class mode
    python -m benchmarks --only lessons --seeds 10-14         # the same with other seeds

A claim whose effect sits near its noise asks for more seeds (``Claim.seeds`` = 10): its seeds continue
upward from the last one given, so 0-4 measures it on 0-9 and 10-14 on 10-19.
    python -m benchmarks --only lessons --claims 01-related-helps,05-sampling

Writes benchmarks/lessons.csv (claim, notebook, statement, metric, seeds, diff, ci_low, ci_high, verdict)
and the lessons section of RESULTS.md. Each claim is one job; the jobs share out to worker processes with
one TensorFlow thread each.
"""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from . import quality
from .common import Row

COLUMNS = ("claim", "notebook", "statement", "metric", "seeds", "diff", "ci_low", "ci_high", "verdict")
SECTION = "## Lessons"


def parse_seeds(text: str) -> list[int]:
    """'0-4' -> [0, 1, 2, 3, 4]; '3,5,8' -> [3, 5, 8]."""
    try:
        if "-" in text:
            low, high = (int(x) for x in text.split("-", 1))
            seeds = list(range(low, high + 1))
        else:
            seeds = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        seeds = []
    if len(seeds) < 2 or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds {text!r} must give 2+ distinct non-negative seeds, e.g. 0-4 or 10,11,12.")
    return seeds


def _measure(claim_id: str, seeds: list[int]) -> dict:
    from mtl_helpers import lessons

    started = time.perf_counter()
    entry = lessons.claim(claim_id)
    seeds = lessons.seeds_for(entry, seeds)
    comparison = lessons.measure(claim_id, seeds, fast=False)
    mean, low, high = comparison.interval
    return {"claim": entry.id, "notebook": entry.notebook, "statement": entry.statement,
            "metric": comparison.metric, "seeds": f"{min(seeds)}-{max(seeds)}" if seeds == list(
                range(min(seeds), max(seeds) + 1)) else ",".join(map(str, seeds)),
            "diff": round(mean, 4), "ci_low": round(low, 4), "ci_high": round(high, 4),
            "verdict": lessons.ledger_verdict(entry, comparison),
            "baseline": comparison.baseline, "treatment": comparison.treatment,
            "baseline_mean": round(sum(comparison.baseline_scores) / len(seeds), 4),
            "treatment_mean": round(sum(comparison.treatment_scores) / len(seeds), 4),
            "expected": entry.expected, "seconds": round(time.perf_counter() - started, 1)}


def run_lessons(seeds: Sequence[int], claims: Sequence[str] | None, jobs: int, out_dir: Path | None,
                log: Callable[[str], None] = print) -> list[Row]:
    """Measure the chosen claims (default: all); write lessons.csv and lessons_detail.csv in ``out_dir`` (after every claim); one row
    that counts the claims that hold."""
    from mtl_helpers import lessons

    ids = list(claims) if claims else [c.id for c in lessons.LEDGER]
    for claim_id in ids:
        lessons.claim(claim_id)  # unknown ids fail before anything trains
    results: list[dict] = []
    frame = pd.DataFrame(columns=list(COLUMNS))
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=quality._worker_start) as pool:
        futures = {pool.submit(_measure, c, list(seeds)): c for c in ids}
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            log(f"{result['claim']}: {result['diff']:+.3f} [{result['ci_low']:+.3f}, {result['ci_high']:+.3f}] "
                f"-> {result['verdict']} ({result['seconds']:.0f} s)")
            results.append(result)
            frame = _write(results, out_dir)  # after every claim: a stopped run still leaves its results
    holding = int((frame.verdict == "holds").sum())
    return [Row("lessons", "lesson ledger: claims that hold", holding, f" of {len(frame)}", f"= {len(frame)}",
                "PASS" if holding == len(frame) else "FAIL",
                f"seeds {frame.seeds.iloc[0] if len(frame) else ''}; benchmarks/lessons.csv")]


def _write(results: list[dict], out_dir: Path | None) -> pd.DataFrame:
    """The measured claims in ledger order; in out_dir, lessons.csv and lessons_detail.csv keep the rows of
    claims this run did not measure."""
    order = _ledger_order()
    frame = pd.DataFrame(results)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        detail = out_dir / "lessons_detail.csv"
        if detail.exists():
            kept = pd.read_csv(detail, dtype={"seeds": str, "notebook": str})
            frame = pd.concat([kept[~kept.claim.isin(frame.claim) & kept.claim.isin(order)], frame],
                              ignore_index=True)
        frame = frame.sort_values("claim", key=lambda s: s.map(order), kind="stable")
        frame[list(COLUMNS)].to_csv(out_dir / "lessons.csv", index=False)
        frame.to_csv(detail, index=False)
    return frame


def _ledger_order() -> dict[str, int]:
    from mtl_helpers import lessons

    return {c.id: i for i, c in enumerate(lessons.LEDGER)}


def section(out_dir: Path) -> list[str]:
    """The lessons section of RESULTS.md, from lessons_detail.csv (empty when the ledger was never measured)."""
    path = out_dir / "lessons_detail.csv"
    if not path.exists():
        return []
    frame = pd.read_csv(path, dtype={"seeds": str, "notebook": str})
    table = pd.DataFrame({
        "claim": frame.claim, "nb": frame.notebook, "statement": frame.statement,
        "baseline → treatment": [f"{b} {bm:.3f} → {t} {tm:.3f}" for b, bm, t, tm in
                                 zip(frame.baseline, frame.baseline_mean, frame.treatment, frame.treatment_mean)],
        "paired diff [95% CI]": [f"{d:+.3f} [{lo:+.3f}, {hi:+.3f}]" for d, lo, hi in
                                 zip(frame["diff"], frame.ci_low, frame.ci_high)],
        "seeds": frame.seeds, "expected": frame.expected, "verdict": frame.verdict})
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    holding = int((frame.verdict == "holds").sum())
    return [SECTION, "",
            f"The lesson ledger (`mtl_helpers/lessons.py`), measured by `python -m benchmarks --only lessons`: "
            f"{holding} of {len(frame)} claims hold. Each claim trains both setups on the same seeds and scores the "
            "target task on test; the interval is the Student-t 95% interval of the paired difference (treatment − "
            "baseline). `expected` is the direction the notebook states; a claim of no visible sign (`cannot tell`) holds "
            "when the interval holds zero; a `negligible` claim holds when the whole interval lies inside its stated "
            "margin.", "", *lines, ""]
