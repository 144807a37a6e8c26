"""Run the mtl-nlp benchmarks and write benchmarks/RESULTS.md and benchmarks/results.csv.

    python -m benchmarks            # everything (long: the quality table runs until --budget)
    python -m benchmarks --quick    # reduced data, 1 seed, a couple of notebooks: a few minutes
    python benchmarks/run.py ...    # the same

Every target is a ratio measured in the same run (the machine may be shared and noisy); absolute
times are printed for information. Each result prints as ``name: value (target ...) PASS|FAIL``; the
quality rows of ``--quick`` print INFO with the reason (300 sentences and one epoch cannot reach their targets).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from .quality import Settings

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import benchmarks  # noqa: F401 - the parent package of the relative imports below
    __package__ = "benchmarks"

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("throughput", "serving", "training_cost", "notebooks", "playground", "quality", "lessons")
# In --quick, the timing and ratio verdicts of these benchmarks are INFO (the playground's effect rows, measured on
# the full 5 seeds, keep theirs): why, in words. The quality rows say it themselves.
QUICK_INFO = {
    "serving": "--quick: 400 sentences, 3 repeats; the target is judged by a full run",
    "training_cost": "--quick: 400 sentences, 2 epochs, far from the single-task scores; judged by a full run",
    "playground": "--quick: 3 changes, on whatever else runs here; judged by `--only playground` on an idle machine",
}
OPT_IN = ("classroom", "playground_grid")  # only when named in --only: a Voila server and a browser; the grid


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="reduced data, 1 seed, 2 notebooks in fast mode; prints rows (the quality rows as "
                             "INFO: too small for their targets), writes nothing unless --out-dir is given")
    parser.add_argument("--budget", type=float, default=3600.0,
                        help="seconds the quality table may use (runs not started by then are listed); "
                             "default 3600")
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help=f"comma-separated subset of {','.join(BENCHMARKS)} (default: all of them), or "
                             "the opt-in classroom load test, run only when named: --only classroom --users N")
    parser.add_argument("--users", default="2",
                        help="classroom: concurrent Voila sessions of the playground (headless Chromium; default 2), "
                             "or several runs, e.g. 4,10,16, to find the largest class within the targets")
    parser.add_argument("--minutes", type=float, default=1.0,
                        help="classroom: minutes each session keeps moving the slider (default 1)")
    parser.add_argument("--classroom-mode", choices=("fast", "class"), default="fast",
                        help="classroom: the playground's sizes, MTL_FAST=1 (fast, default) or 0 (class)")
    parser.add_argument("--classroom-app", choices=("room", "lesson"), default="room",
                        help="classroom: 'room' serves notebooks/apps/playground.ipynb in preheated kernels "
                             "(default); 'lesson' the whole notebook 08, a kernel started per visit")
    parser.add_argument("--speed-max-sentences", type=int, default=2000,
                        help="conll2000 sentences per split for benchmarks 1-3 (default 2000; 0 = all)")
    parser.add_argument("--quality-max-sentences", type=int, default=None,
                        help="cap every split of the quality runs (default: full corpora)")
    parser.add_argument("--quality-epochs", type=int, default=None,
                        help="most epochs per quality run, every group; early stopping after 3 without a better "
                             "dev score (default 12, and 25 with patience 5 for ner_nl+pos_nl)")
    parser.add_argument("--quality-jobs", type=int, default=2,
                        help="worker processes for the quality runs, one TensorFlow thread each (default 2)")
    parser.add_argument("--quality-groups", default=None,
                        help="task pairs for the quality table, e.g. sentiment+subjectivity,chunk+pos "
                             "(default: all four groups); the cells not re-run are kept from the previous "
                             "quality_runs.csv, marked †")
    parser.add_argument("--quality-variants", default=None,
                        help="comma-separated subset of none,hard,soft,lm_hard,transfer (default: all)")
    parser.add_argument("--quality-seeds", type=int, default=3, help="seeds for the quality table (default 3)")
    parser.add_argument("--cost-max-sentences", type=int, default=1000,
                        help="conll2000 sentences per split for benchmark 3 (default 1000; 0 = all)")
    parser.add_argument("--cost-epochs", type=int, default=4, help="epochs per model in benchmark 3 (default 4)")
    parser.add_argument("--seeds", default="0-4",
                        help="seeds of the lesson ledger, a range or a list: 0-4 (default) or 10,11,12")
    parser.add_argument("--claims", default=None,
                        help="comma-separated claim ids of the lesson ledger to measure, or 'cheap' for the toy-sized "
                             "ones (default: all; mtl_helpers/lessons.py lists them); the other rows of lessons.csv "
                             "are kept")
    parser.add_argument("--no-class-mode", action="store_true", help="skip the class-mode notebook series")
    parser.add_argument("--out-dir", default=None, help="where to write RESULTS.md and results.csv "
                                                        "(default benchmarks/ for a full run)")
    return parser


def _safe(name: str, fn: Callable[[], list]) -> list:
    """Run one benchmark; a crash becomes a FAIL row that names the error (the others still run)."""
    from .common import Row

    try:
        return fn()
    except Exception as error:  # noqa: BLE001 - report, do not abort the whole run
        return [Row(name, f"{name}: crashed", None, verdict="FAIL",
                    note=f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}")]


def _earlier_rows(out_dir: Path, selected: list[str]) -> list:
    """Rows of the benchmarks NOT selected now, read back from out_dir/results.csv of an earlier run, so
    that a run with --only (e.g. only the quality table) keeps the other results in RESULTS.md."""
    import pandas as pd

    from .common import Row

    path = out_dir / "results.csv"
    if not path.exists():
        return []
    owner = {"memory": "notebooks"}  # the peak-memory row comes from the notebook series
    frame = pd.read_csv(path, keep_default_na=False)
    keep = frame[[owner.get(b, b) not in selected for b in frame.benchmark]]
    def marked(note: str) -> str:  # kept over several runs: one marker
        return note if "[earlier run" in note else (note + " " if note else "") + "[earlier run]"

    def unit(text: str) -> str:  # results.csv stores units stripped; a word unit reads "5 settings", not "5settings"
        return text if not text or text[0] in "×%" else " " + text

    return [Row(r.benchmark, r.name, float(r.value) if r.value != "" else None, unit(str(r.unit)), str(r.target),
                r.verdict, marked(str(r.note))) for r in keep.itertuples()]


def _kept_quality_table(out_dir: Path | None, selected: list[str]) -> pd.DataFrame | None:
    """The quality runs of out_dir/quality_runs.csv when this run does not train the quality table (``--only``
    without quality), so that RESULTS.md keeps its quality section; None when there is nothing to keep."""
    import pandas as pd

    path = out_dir / "quality_runs.csv" if out_dir is not None else None
    if "quality" in selected or path is None or not path.exists():
        return None
    return pd.read_csv(path)


def quality_settings(args: argparse.Namespace) -> Settings:
    """The quality runs' Settings from the command line: --quick trains 2 groups, 1 seed, 1 epoch, 300 sentences;
    --quality-epochs caps every group alike (the per-group caps of quality.Settings.group_epochs then go)."""
    from . import quality

    quick = args.quick
    groups = (tuple(tuple(g.split("+")) for g in args.quality_groups.split(",")) if args.quality_groups
              else quality.GROUPS[:2] if quick else quality.GROUPS)
    variants = (tuple(args.quality_variants.split(",")) if args.quality_variants
                else ("none", "hard") if quick else quality.VARIANTS)
    bad = [g for g in groups if g not in quality.GROUPS] + [v for v in variants if v not in quality.VARIANTS]
    if bad:
        build_parser().error(f"unknown quality group/variant {bad}; groups: "
                             f"{', '.join('+'.join(g) for g in quality.GROUPS)}; variants: {', '.join(quality.VARIANTS)}.")
    settings = quality.Settings(seeds=1 if quick else args.quality_seeds,
                                epochs=1 if quick else args.quality_epochs or 12,
                                max_sentences=300 if quick else args.quality_max_sentences,
                                groups=groups, variants=variants, budget_s=args.budget,
                                jobs=args.quality_jobs)
    if quick or args.quality_epochs:  # one epoch cap for every group
        settings.group_epochs = {}
    return settings


def quick_rows(name: str, rows: list) -> list:
    """A --quick run's rows of benchmark ``name``: the verdicts of its times and ratios (rows with a unit) become
    INFO with the reason (QUICK_INFO), since a smoke run's sizes and repeats cannot judge them; others stay."""
    if name not in QUICK_INFO:
        return rows
    return [dataclasses.replace(r, verdict="INFO", note=f"{QUICK_INFO[name]}; {r.note}")
            if r.verdict in ("PASS", "FAIL") and r.unit else r for r in rows]


def quick_quality_reason(settings: Settings) -> str:
    """Why the quality rows of a --quick run are INFO, not PASS/FAIL: its sizes, in words."""
    def count(n: int, word: str) -> str:
        return f"{n} {word}" + ("" if n == 1 else "s")

    return (f"--quick ({settings.max_sentences} sentences/split, {count(settings.epochs, 'epoch')}, "
            f"{count(settings.seeds, 'seed')})")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    selected = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = [b for b in selected if b not in BENCHMARKS + OPT_IN]
    if unknown:
        build_parser().error(f"unknown benchmark {unknown}; use some of {', '.join(BENCHMARKS + OPT_IN)}.")
    if "classroom" in selected:
        from .classroom import parse_users, validate

        try:
            args.users = parse_users(args.users)
            for users in args.users:
                validate(users, args.minutes, args.classroom_mode, app=args.classroom_app)
        except ValueError as error:
            build_parser().error(str(error))
    from mtl_helpers import _tf_logs

    _tf_logs.install()  # before TensorFlow loads: its C++ start-up logs stay off the terminal (level 3 by default)
    os.environ.pop("MTL_FAST", None)  # benchmarks set their own sizes; notebooks get MTL_FAST per run

    import pandas as pd

    from . import classroom, common, lessons, notebooks, playground, quality, speed
    from .report import write_report

    try:
        lesson_seeds = lessons.parse_seeds(args.seeds)
        from mtl_helpers import lessons as ledger

        lesson_claims = ([c.id for c in ledger.LEDGER if c.cheap] if args.claims == "cheap" else
                         [c.strip() for c in args.claims.split(",") if c.strip()] if args.claims else None)
        for claim_id in lesson_claims or []:
            ledger.claim(claim_id)
    except ValueError as error:
        build_parser().error(str(error))
    info = common.machine()
    started = datetime.datetime.now().astimezone()
    this_run = quality.run_label(started)
    quick = args.quick
    settings = quality_settings(args)
    cap = 400 if quick else (args.speed_max_sentences or None)
    plan = {
        "throughput": lambda: speed.throughput(cap, epochs=1, repeats=2 if quick else 3),
        "serving": lambda: speed.serving(cap if quick else None, repeats=3 if quick else 7),
        "training_cost": lambda: speed.training_cost(cap if quick else (args.cost_max_sentences or None),
                                                     epochs=2 if quick else args.cost_epochs),
        "notebooks": lambda: notebooks.notebook_times(quick, class_mode=not (quick or args.no_class_mode)),
        "playground": lambda: playground.playground_latency(3 if quick else 7),
        "playground_grid": playground.grid_rows,
        "lessons": (lambda: [common.Row("lessons", "lesson ledger", None, verdict="SKIP", note=(
                        "not in --quick: the ledger trains every claim on 5 or 10 seeds (about an hour on 2 cores); "
                        "run `python -m benchmarks --only lessons`, or add --claims ID to --quick"))])
                   if quick and lesson_claims is None else
                   lambda: lessons.run_lessons(lesson_seeds, lesson_claims, args.quality_jobs, out_dir,
                                               log=lambda m: print(m, flush=True)),
        "classroom": lambda: classroom.capacity_rows({
            users: classroom.classroom_load(users, args.minutes, args.classroom_mode, app=args.classroom_app)
            for users in args.users}),
    }
    out_dir = Path(args.out_dir) if args.out_dir else (None if quick else HERE)
    earlier = _earlier_rows(out_dir, selected) if out_dir is not None and not quick else []
    rows, seconds = [], {}
    quality_table = _kept_quality_table(out_dir, selected) if not quick else None
    quality_kept = quality_table is not None
    if quality_kept:  # the quality rows follow from the kept runs: derived again, so a new rule reaches them
        earlier = [r for r in earlier if r.benchmark != "quality" or r.name.startswith("7. runs left out")]
        earlier += quality.quality_rows(quality_table, [], "[kept runs]", current_run=None)
    for name in selected:
        t0 = time.perf_counter()
        print(f"== {name}", flush=True)
        if name == "quality":
            def run_quality():
                nonlocal quality_table
                table, skipped = quality.run_quality(settings, log=lambda m: print(m, flush=True))
                table = table.assign(run=this_run)
                if out_dir is not None and not quick:  # keep the cells this run did not repeat
                    kept = quality.earlier_runs(out_dir / "quality_runs.csv", settings)
                    table = pd.concat([table, kept], ignore_index=True) if len(kept) else table
                quality_table = table
                departures = f" ({settings.departures()})" if settings.departures() else ""
                note = f"(budget {settings.budget_s:.0f} s, {settings.epochs} epochs{departures}, " \
                       f"{'max ' + str(settings.max_sentences) + ' sentences/split' if settings.max_sentences else 'full corpora'})"
                return quality.quality_rows(table, skipped, note, settings.groups, current_run=this_run,
                                            reduced=quick_quality_reason(settings) if quick else None)
            new = _safe(name, run_quality)
        else:
            new = _safe(name, plan[name])
            new = quick_rows(name, new) if quick else new
        seconds[name] = time.perf_counter() - t0
        for row in new:
            print(row.line(), flush=True)
        rows += new
        if out_dir is not None:  # rewritten after every benchmark: a stopped run still leaves its results
            write_report(out_dir, rows + earlier, info, started, seconds, settings, quality_table, quick=quick,
                         argv=argv, pending=selected[selected.index(name) + 1:], earlier=len(earlier),
                         quality_kept=quality_kept)
    if out_dir is not None:
        print(f"wrote {out_dir / 'RESULTS.md'} and {out_dir / 'results.csv'}")
    failed = sum(r.verdict == "FAIL" for r in rows)
    print(f"{len(rows)} rows, {failed} FAIL, {sum(r.verdict == 'PASS' for r in rows)} PASS "
          f"in {sum(seconds.values()):.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
