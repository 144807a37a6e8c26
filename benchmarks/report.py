"""Write RESULTS.md (tables, machine, versions, date, budget) and results.csv from the benchmark rows."""
from __future__ import annotations

import datetime
import os
from pathlib import Path

import pandas as pd

from . import lessons, quality
from .common import Row


def _md(frame: pd.DataFrame) -> str:
    """A pandas frame as a GitHub markdown table (no tabulate dependency)."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "/") for v in row) + " |")
    return "\n".join(lines)


def _shared_note(info: dict, load_now: str) -> str:
    """Say whether other jobs competed for the CPUs when the run started (load average above the CPU count);
    the load during the run is mostly the benchmark's own threads and kernels, so it decides nothing."""
    start = [float(x) for x in info.get("load average (1, 5, 15 min) at start", "0").split(", ")]
    if start[0] <= float(info.get("cpus", "1")):
        return ("The machine was not visibly busy with other jobs when the run started (1-minute load average at "
                f"most the CPU count); the load at the end ({load_now}) is mostly the benchmark's own training "
                "threads and kernels.")
    return ("The machine was shared: other jobs (notebooks, test suites, training) ran on the same CPUs "
            "when this run started, visible in the load averages above (a load above the CPU count means "
            "processes waited for a CPU). That is why every target is a ratio of two sides measured in the "
            "same run, and why CPU-time ratios are given beside the wall-time ones; absolute times are for "
            "information and would be lower on an idle machine.")


def write_report(out_dir: Path, rows: list[Row], info: dict, started: datetime.datetime,
                 seconds: dict[str, float], settings: quality.Settings, quality_table: pd.DataFrame | None,
                 *, quick: bool, argv: list[str] | None, pending: list[str] = (), earlier: int = 0,
                 quality_kept: bool = False) -> None:
    """RESULTS.md and results.csv (and quality_runs.csv) in ``out_dir``; ``pending``: benchmarks not yet run;
    ``quality_kept``: ``quality_table`` holds earlier runs only (this run did not train it; the CSV is kept)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame([{"benchmark": r.benchmark, "name": r.name, "value": r.value, "unit": r.unit.strip(),
                           "target": r.target, "verdict": r.verdict, "note": r.note} for r in rows])
    frame.to_csv(out_dir / "results.csv", index=False)
    load_now = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    parts = [
        "# mtl-nlp benchmarks",
        "",
        f"Run {started:%Y-%m-%d %H:%M %Z} with `python -m benchmarks {' '.join(argv or [])}`"
        + (" (QUICK mode: reduced data, 1 seed)" if quick else "") + f", {sum(seconds.values()) / 60:.0f} min in all.",
        *([f"**Partial**: still to run when this was written: {', '.join(pending)}.", ""] if pending else []),
        *([f"The {earlier} rows marked [earlier run] were not measured by this run (`--only`): they are kept "
           "from the results.csv of the run before it, whose date, machine and per-benchmark times are in "
           "git history.", ""] if earlier else []),
        "Regenerate with `python -m benchmarks` (full) or `python -m benchmarks --quick` (a few minutes, prints only).",
        "",
        "## Machine",
        "",
        _md(pd.DataFrame({"item": list(info) + ["load average at the end"],
                          "value": list(info.values()) + [load_now]})),
        "",
        _shared_note(info, load_now),
        "",
        "## Results",
        "",
        "Each row: measured value, target, verdict (PASS / FAIL against the target; INFO = reported only; "
        "SKIP = not measured, the note says why).",
        "",
        _md(frame.assign(value=[r.formatted_value() for r in rows])[["name", "value", "target", "verdict", "note"]]),
        "",
        "## How each number is measured",
        "",
        "1. **Training throughput**: conll2000 pos + chunk (same sentences), hard-shared default model "
        "(2-layer BiLSTM, 64 units, embeddings 64), batch 32, Adam, global clip norm 5, one epoch = every "
        "train sentence once per task. Trainer: `training.train` with bucketed joint batches (`sampling=\"all\"`: "
        "one batch of sentences feeds both heads, as in the baseline); the benchmark replaces "
        "`keras.utils.Progbar` during the run by a clock (the trainer updates it once after every step), so "
        "steps 9..N of one run are timed and the first 8 steps (tracing) and the end-of-run evaluation are "
        "left out. Baseline: `model.fit` on the same model, arrays padded to the longest sentence, both heads "
        "trained on each batch (sample weights mask the padding), timed after a warm-up fit. Rate = "
        "task-tokens (real tokens × tasks) per second; median over repetitions; the same ratio in process "
        "CPU time is given too (less sensitive to the other jobs on the machine).",
"2. **Serving cost**: conll2000 test set, batches of 64 (bucketed), compiled (`tf.function`) forward "
        "pass + argmax; hard-shared model predicting pos and chunk in one pass vs the two single-task "
        "models one after the other; warm-up pass excluded, median of repetitions. Untrained weights "
        "(cost does not depend on them).",
        "3. **Training cost of sharing**: Adam, learning rate 1e-2 (as in the notebooks) for every model; the "
        "hard-shared model trains on joint batches (`sampling=\"all\"`: one encoder pass per step for both "
        "heads). Each single-task model trains E epochs (default 4) and its goal is its own best dev score "
        "(pos accuracy, chunk F1); the hard-shared model may train up to 2E epochs and must reach both goals. "
        "It reads POS from the first BiLSTM layer and chunks from the top (Søgaard & Goldberg 2016; notebook 03); "
        "row 3d gives the same model with both heads on the top layer. "
        "The wall time to reach a score is the run's time × (first epoch reaching it) / (its epochs).",
        "4. **Notebooks**: `mtl_helpers.notebook_runner.execute_notebook` (fresh kernel, MTL_FAST=1 for fast "
        "mode, 0 for class mode).",
        "5. **Playground**: the playground of `mtl_helpers.playground_ui` built in-process (no worker thread); a "
        "control is set to values not trained before; *first redraw* is the time until the figure's PNG first "
        "changes, *retrain* until the observer returns (3 seeds of the setting and of its baseline, side by "
        "side); the two *effect* rows train hard and none on seeds 0-4 at r = 1 and r = 0 (paired intervals); "
        "*explorer redraw* picks cells of the committed grid (`mtl_helpers/playground_grid.csv`).",
        "6. **Peak memory**: `resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` after the class-mode series "
        "(largest kernel; psutil is not used).",
        "7. **Quality**: see below.",
        "",
    ]
    if quality_table is not None:
        size = (f"at most {settings.max_sentences} sentences per split" if settings.max_sentences
                else "full corpora")
        this_run = quality.run_label(started)
        earlier_cells = quality.from_earlier_run(quality_table, this_run)
        unpaired = quality.unpaired_cells(quality_table) if len(quality_table) else []
        if quality_kept:
            kept_why = "this run did not train the quality table"
            how = ("This run did not train the quality table (`--only`): every cell is kept from the benchmark runs "
                   "named in the table of setups below, and each run's setup is stored beside it.")
        else:
            kept_why = "this run re-ran other groups or variants, see `--quality-groups` / `--quality-variants`"
            departures = f" (and where a group departs: {settings.departures()})" if settings.departures() else ""
            how = (f"Budget: {settings.budget_s:.0f} s of wall time for this run's part of the table on the machine "
                   f"above (`--budget`); {settings.seeds} seed(s) planned, at most {settings.epochs} epochs per run "
                   f"(early stopping after {settings.patience} epochs without a better dev score; the best dev epoch "
                   f"is kept), {size}, default encoder (2-layer BiLSTM, {quality.DEFAULT_UNITS} units, embeddings 64) "
                   "with dropout "
                   f"{settings.dropout:g}, Adam at {settings.learning_rate:g} (sentence groups: "
                   f"{settings.sentence_learning_rate:g}){departures}, sampling \"all\" (joint batches for tasks on "
                   "the same sentences). Runs are ordered single-task and hard sharing first (all seeds), then soft "
                   "sharing, then single-task after a related task, then LM pretraining, seeds outermost within each, "
                   f"and shared out to {settings.jobs} worker process(es) with one TensorFlow thread each; runs that "
                   "did not start within the budget are "
                   "listed in the results table.")
        parts += [
            "## Quality (benchmark 7)",
            "",
            f"{how} Scores in %, test split, mean ± std over seeds (n = seeds run).",
            "",
            quality.__doc__.split("\n\n", 1)[1].strip(),
            "",
            _md(quality.quality_table(quality_table, this_run)) if len(quality_table) else "No quality run finished.",
            "",
            *([f"† kept from an earlier run ({kept_why}); its setup is in the next table.", ""]
              if earlier_cells else []),
            "— the group has no related task for sequential transfer (quality.PRETRAIN_TASKS; a tagging "
            "group's related task is its POS task, which hard and soft sharing already use).",
            "",
            "Each target's row above is the variant with the best mean **dev** score (a choice on dev), scored "
            "on test: " + ("; ".join(quality.dev_choices(quality_table)) or "none yet") + ". Where not every "
            "cell of a task stored dev scores (runs before 2026-11-30 21:00 stored test only), its row is the best "
            "cell on test instead, marked INFO: such a pick flatters (notebook 06 §7) and is not judged. The "
            "groups' settings (widths, learning rates, epochs) were chosen in earlier explorations scored on test "
            "(benchmarks/README.md).",
            "",
            "Where each cell comes from: the setup of its runs (`quality_runs.csv` stores it beside every run) "
            "and the benchmark run that trained them:",
            "",
            _md(quality.setups_frame(quality_table)) if len(quality_table) and "setup" in quality_table else "n/a",
            "",
            "Paired gain of each multi-task variant over single-task (same seed and setup), in points, with a 95% "
            "Student-t interval (needs n ≥ 2):",
            "",
            _md(quality.gains_frame(quality_table).round(3)) if len(quality_table) else "n/a",
            "",
            *([f"Not in the gain table, as no single-task run has their seed and setup (re-run the group's "
               f"single-task cell to pair them): {', '.join(unpaired)}.", ""] if unpaired else []),
            "Sources: Kim, Y. 2014. Convolutional Neural Networks for Sentence Classification. EMNLP. — "
            "Liu, P., Qiu, X. & Huang, X. 2016. Recurrent Neural Network for Text Classification with "
            "Multi-Task Learning. IJCAI. — Collobert, R. et al. 2011. Natural Language Processing (Almost) "
            "from Scratch. JMLR 12. — Søgaard, A. & Goldberg, Y. 2016. Deep multi-task learning with low "
            "level tasks supervised at lower layers. ACL. — Hashimoto, K. et al. 2017. A Joint Many-Task "
            "Model. EMNLP. — Tjong Kim Sang, E. F. 2002. Introduction to the CoNLL-2002 Shared Task. CoNLL.",
            "",
        ]
        if not quality_kept:
            quality_table.to_csv(out_dir / "quality_runs.csv", index=False)
    parts += lessons.section(out_dir)
    parts += ["## Time per benchmark", "",
              _md(pd.DataFrame({"benchmark": list(seconds), "seconds": [f"{s:.0f}" for s in seconds.values()]})),
              ""]
    (out_dir / "RESULTS.md").write_text("\n".join(parts), encoding="utf-8")
