"""Tests for the benchmark bookkeeping that decides verdicts (no training: synthetic tables)."""
from __future__ import annotations

import datetime

import pandas as pd

from benchmarks import quality, run
from benchmarks.common import Row
from benchmarks.report import write_report
from mtl_helpers import experiments


def _table(gains: list[float], base: float = 0.90) -> pd.DataFrame:
    """chunk f1 for single-task and hard sharing over len(gains) seeds; hard = single + gain (points)."""
    rows = []
    for seed, gain in enumerate(gains):
        single = base + 0.001 * seed
        rows += [("full", "chunk", "none", seed, 1.0, "test", "f1", single, 1.0),
                 ("full", "chunk", "hard", seed, 1.0, "test", "f1", single + gain / 100, 1.0)]
    return pd.DataFrame(rows, columns=list(experiments.COLUMNS))


def _row(rows: list[Row], start: str) -> Row:
    return next(r for r in rows if r.name.startswith(start))


def test_gain_row_passes_only_with_an_interval_above_zero():
    passing = quality.quality_rows(_table([1.0, 1.2, 0.9]), [], "(test)")
    assert _row(passing, "7. a multi-task gain").verdict == "PASS"
    assert "hard on chunk: +1.03 points" in _row(passing, "7. a multi-task gain").note
    chunk = _row(passing, "7. chunk f1")
    assert chunk.name == "7. chunk f1 (best on test, %)" and abs(chunk.value - (90.1 + 1.0333)) < 0.01  # hard
    assert chunk.verdict == "INFO" and chunk.note.startswith("not judged: picked on test")  # no dev scores
    noisy = quality.quality_rows(_table([2.0, -1.5, 0.5]), [], "(test)")
    assert _row(noisy, "7. a multi-task gain").verdict == "FAIL"  # mean +0.33, interval spans 0
    single = quality.quality_rows(_table([3.0]), [], "(test)")
    assert _row(single, "7. a multi-task gain").verdict == "FAIL"  # n = 1: no interval at all


def test_a_quick_run_reports_its_quality_rows_as_info_with_the_reason():
    settings = run.quality_settings(run.build_parser().parse_args(["--quick"]))
    reason = run.quick_quality_reason(settings)
    assert reason == "--quick (300 sentences/split, 1 epoch, 1 seed)"
    table = _table([3.0], base=0.5)  # what 300 sentences and one epoch give: far below the chunk target
    full = quality.quality_rows(table, [], "(test)", (("chunk", "pos"),))
    quick = quality.quality_rows(table, [], "(test)", (("chunk", "pos"),), reduced=reason)
    assert [r.name for r in quick] == [r.name for r in full]
    assert [r.verdict for r in full if r.name.startswith(("7. chunk", "7. a multi-task"))] == ["INFO", "FAIL"]
    for name in ("7. a multi-task gain",):
        row = _row(quick, name)
        assert row.verdict == "INFO" and row.note.startswith(f"not judged: {reason} cannot reach this target; ")
        assert row.value == _row(full, name).value
    assert "FAIL" not in {r.verdict for r in quick}
    assert _row(quick, "7. ner_es").verdict == "SKIP"  # not run: still says so
    # a target a small run does reach stays PASS
    passing = quality.quality_rows(_table([1.0, 1.2, 0.9]), [], "(test)", reduced=reason)
    assert _row(passing, "7. a multi-task gain").verdict == "PASS"


def test_a_quick_run_reports_times_and_ratios_as_info_but_keeps_measured_effects():
    from benchmarks.common import Row, check

    rows = [check("playground", "playground retrain", 15.0, at_most=6.0, unit=" s"),
            Row("playground", "playground effect related", 0.277, target="95% interval above 0", verdict="PASS")]
    quick = run.quick_rows("playground", rows)
    assert quick[0].verdict == "INFO" and quick[0].note.startswith("--quick: 3 changes")
    assert quick[1].verdict == "PASS"  # 5 seeds in --quick too: a real verdict
    assert run.quick_rows("throughput", rows) == rows


def test_dev_scores_choose_a_setting_but_never_enter_the_test_table():
    test = _table([1.0, 1.2, 0.9])  # hard sharing wins on test
    dev = test.assign(split="dev", value=test.value - 0.02 * (test.sharing == "hard"))  # single-task wins on dev
    both = pd.concat([test, dev], ignore_index=True)
    chunk = _row(quality.quality_rows(both, [], "(test)"), "7. chunk f1")
    assert chunk.name == "7. chunk f1 (chosen on dev, %)"
    assert abs(chunk.value - 90.1) < 0.01 and chunk.verdict == "FAIL"  # single-task's test score, judged
    assert chunk.note.startswith("single-task (dev 90.1), n=3") and "best on test: hard sharing 91.1" in chunk.note
    agree = pd.concat([test, test.assign(split="dev")], ignore_index=True)  # dev and test agree: hard
    assert _row(quality.quality_rows(agree, [], "(test)"), "7. chunk f1").note.endswith("also the best on test")
    assert quality.dev_choices(both) == ["chunk: single-task (dev 90.10, test 90.10)"]
    assert quality.quality_table(both).set_index("task").loc["chunk", "hard sharing"].startswith("91.13 ± ")
    assert quality.gains_frame(both).n.tolist() == [3]  # paired on test only
    assert quality.dev_choices(test) == []  # runs that stored test only choose nothing
    half = pd.concat([test, dev[dev.sharing == "none"]], ignore_index=True)
    assert quality.dev_choice(half, "chunk") is None  # hard sharing has no dev scores: no fair choice


def test_quality_runs_past_the_budget_are_listed_not_run():
    settings = quality.Settings(seeds=2, groups=(("chunk", "pos"),), variants=("none", "hard"), budget_s=-1,
                                jobs=1)
    table, skipped = quality.run_quality(settings, log=lambda message: None)
    assert table.empty
    assert skipped == ["seed 0 chunk+pos none", "seed 0 chunk+pos hard", "seed 1 chunk+pos none",
                       "seed 1 chunk+pos hard"]


def test_transfer_runs_only_where_a_group_has_a_related_task():
    settings = quality.Settings(seeds=1, groups=(("sentiment", "subjectivity"), ("chunk", "pos")),
                                variants=("none", "transfer"), budget_s=-1, jobs=1)
    _, skipped = quality.run_quality(settings, log=lambda message: None)
    assert skipped == ["seed 0 sentiment+subjectivity none", "seed 0 chunk+pos none",
                       "seed 0 sentiment+subjectivity transfer"]
    cells = quality.quality_table(_table([1.0, 1.2]))
    chunk = cells[cells.task == "chunk"].iloc[0]
    assert chunk["single-task after a related task"] == "—" and chunk["hard sharing"].startswith("9")
    sentiment = cells[cells.task == "sentiment"].iloc[0]
    assert sentiment["single-task after a related task"] == "not run"


def test_the_dutch_epoch_cap_holds_unless_a_run_caps_every_group():
    default = run.quality_settings(run.build_parser().parse_args([]))
    assert default.epochs_in(("ner_nl", "pos_nl")) == (25, 5) and default.epochs_in(("chunk", "pos")) == (12, 3)
    for argv in (["--quick"], ["--quality-epochs", "6"]):
        settings = run.quality_settings(run.build_parser().parse_args(argv))
        assert settings.epochs_in(("ner_nl", "pos_nl")) == (settings.epochs, 3)
    assert default.learning_rate_in(("ner_nl", "pos_nl")) == 2e-3


def test_an_only_run_keeps_the_other_benchmarks_rows(tmp_path):
    pd.DataFrame([
        {"benchmark": "throughput", "name": "1. throughput", "value": 2.6, "unit": "×", "target": "≥ 2×",
         "verdict": "PASS", "note": ""},
        {"benchmark": "memory", "name": "6. peak memory", "value": 1.2, "unit": " GiB", "target": "≤ 4 GiB",
         "verdict": "PASS", "note": "largest kernel"},
        {"benchmark": "quality", "name": "7. chunk f1", "value": 89.7, "unit": "", "target": "≥ 93",
         "verdict": "FAIL", "note": ""},
    ]).to_csv(tmp_path / "results.csv", index=False)
    kept = run._earlier_rows(tmp_path, ["quality"])
    assert [r.name for r in kept] == ["1. throughput", "6. peak memory"]
    assert kept[0].value == 2.6 and kept[0].verdict == "PASS" and kept[0].note == "[earlier run]"
    assert kept[1].note == "largest kernel [earlier run]"
    assert [r.name for r in run._earlier_rows(tmp_path, ["quality", "notebooks"])] == ["1. throughput"]
    assert run._earlier_rows(tmp_path / "nowhere", ["quality"]) == []
    again = tmp_path / "again"
    again.mkdir()
    pd.DataFrame([{"benchmark": "memory", "name": "6. peak memory", "value": 1.2, "unit": " GiB", "target": "",
                   "verdict": "PASS", "note": kept[1].note}]).to_csv(again / "results.csv", index=False)
    assert run._earlier_rows(again, ["quality"])[0].note == "largest kernel [earlier run]"  # kept twice: one mark


def test_an_only_run_without_quality_keeps_the_quality_section(tmp_path):
    """`--only notebooks` re-times notebooks: RESULTS.md still shows the quality table, every cell marked as
    kept, and quality_runs.csv is left byte for byte as it was."""
    assert run._kept_quality_table(tmp_path, ["notebooks"]) is None  # no earlier quality runs: nothing to keep
    _table([1.0, 1.2, 0.9]).assign(setup="old setup", run="2026-01-01 00:00").to_csv(
        tmp_path / "quality_runs.csv", index=False)
    before = (tmp_path / "quality_runs.csv").read_bytes()
    assert run._kept_quality_table(tmp_path, ["notebooks", "quality"]) is None  # quality re-runs: nothing kept
    kept = run._kept_quality_table(tmp_path, ["notebooks"])
    assert len(kept) == 6
    started = datetime.datetime(2026, 2, 1, 12, 0)
    rows = [Row("notebooks", "4. fast mode, whole series", 300.0, " s", "≤ 480 s", "PASS", "")]
    write_report(tmp_path, rows, {"cpus": "2"}, started, {"notebooks": 1.0}, quality.Settings(), kept, quick=False,
                 argv=["--only", "notebooks"], quality_kept=True)
    report = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    assert "did not train the quality table" in report and "Budget:" not in report and "re-ran" not in report
    chunk_line = next(line for line in report.splitlines() if line.startswith("| chunk | f1"))
    assert chunk_line.count("†") == 2  # single-task and hard sharing, both from the earlier run
    assert "old setup" in report and "Not in the gain table" not in report  # every multi-task cell is paired
    assert (tmp_path / "quality_runs.csv").read_bytes() == before


def test_a_partial_quality_run_keeps_the_other_cells_and_pairs_gains_within_a_setup(tmp_path):
    old = _table([1.0, 1.2, 0.9]).assign(setup="old setup", run="2026-01-01 00:00")
    ner = old.assign(task="ner_es")
    pd.concat([old, ner]).to_csv(tmp_path / "quality_runs.csv", index=False)
    settings = quality.Settings(groups=(("chunk", "pos"),), variants=("none",))
    kept = quality.earlier_runs(tmp_path / "quality_runs.csv", settings)
    # chunk "none" is re-run, so only chunk "hard" and all of ner_es are kept
    assert set(zip(kept.task, kept.sharing)) == {("chunk", "hard"), ("ner_es", "none"), ("ner_es", "hard")}
    new = _table([0.0, 0.0, 0.0], base=0.95).query("sharing == 'none'").assign(setup="new setup", run="now")
    merged = pd.concat([new, kept], ignore_index=True)
    gains = quality.gains_frame(merged)
    assert list(gains.task) == ["ner_es"]  # chunk: single-task and hard now have different setups
    assert quality.unpaired_cells(merged) == ["chunk hard sharing"]  # ... and RESULTS.md says so
    assert quality.unpaired_cells(pd.concat([old, ner])) == []
    table = quality.quality_table(merged, current_run="now").set_index("task")
    assert table.loc["chunk", "hard sharing"].endswith("†") and not table.loc["chunk", "single-task"].endswith("†")
    chunk_row = _row(quality.quality_rows(merged, [], "(now)", current_run="now"), "7. chunk")
    assert chunk_row.note.endswith("(now)")  # best mean: the new single-task runs (95)
    assert "earlier run" in _row(quality.quality_rows(merged, [], "(now)", current_run="now"), "7. ner_es").note
    assert set(quality.setups_frame(merged).setup) == {"old setup", "new setup"}
    # a variant's own additions (after " | ") do not unpair it from single-task runs of the same base setup
    lm = old[old.sharing == "hard"].assign(sharing="lm_hard", setup="old setup | LM: 1 epoch")
    assert quality.unpaired_cells(pd.concat([old, lm])) == []
    assert [g[:2] for g in quality._gains(pd.concat([old, lm]))] == [("chunk", "hard"), ("chunk", "lm_hard")]
    write_report(tmp_path, quality.quality_rows(merged, [], "(now)"), {"cpus": "2"},
                 datetime.datetime(2026, 2, 1, 12, 0), {"quality": 1.0}, settings, merged, quick=False,
                 argv=["--only", "quality"])
    report = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    assert "as no single-task run has their seed and setup" in report and "pair them): chunk hard sharing." in report


def test_run_one_passes_each_groups_inputs_and_outputs(monkeypatch):
    """The quality settings reach run_experiment: CRF on the span task, POS at layer 1, max pooling for the
    sentence groups, word dropout where a char CNN still sees the word, a learning rate per group; the setup
    text names what changed."""
    calls = []

    def fake(tasks, sharings, **kwargs):
        calls.append((tasks, sharings, kwargs))
        return _table([0.0]).query("sharing == 'none'")

    monkeypatch.setattr(experiments, "run_experiment", fake)
    settings = quality.Settings(word_dropout=0.1)
    frame = quality.run_one(("chunk", "pos"), "lm_hard", 0, settings)
    tasks, sharings, kwargs = calls[-1]
    assert tasks == ["chunk", "pos"] and sharings == ["hard"] and kwargs["lm_pretraining"] == 1
    assert kwargs["crf"] == ["chunk"] and kwargs["read_layers"] == {"pos": 1} and kwargs["chars"]
    assert kwargs["word_dropout"] == 0.1 and set(frame.sharing) == {"lm_hard"}
    assert "word dropout 0.1" in frame.setup.iloc[0] and "CRF on chunk" in frame.setup.iloc[0]
    assert kwargs["learning_rate"] == 5e-3 and "Adam 0.005" in frame.setup.iloc[0]
    assert frame.setup.iloc[0].endswith(" | LM: 1 epoch, forward half only, on the tasks' train text, whole vocabulary")
    assert quality.base_setup(frame.setup.iloc[0]) == settings.setup(("chunk", "pos"))
    assert kwargs["hidden_units"] == 128 and "128 BiLSTM units" in frame.setup.iloc[0]  # the wider chunker
    quality.run_one(("sentiment", "subjectivity"), "soft", 1, settings)
    tasks, sharings, kwargs = calls[-1]
    assert kwargs["pooling"] == "max" and not kwargs["crf"] and not kwargs["chars"] and kwargs["word_vectors"]
    assert kwargs["word_dropout"] == 0.0 and "word dropout" not in settings.setup(("sentiment", "subjectivity"))
    assert "max pooling" in settings.setup(("sentiment", "subjectivity"))
    assert kwargs["learning_rate"] == 1e-3 and "Adam 0.001" in settings.setup(("sentiment", "subjectivity"))
    assert "pooling" not in quality.Settings().setup(("ner_nl", "pos_nl"))
    frame = quality.run_one(("sentiment", "subjectivity"), "transfer", 0, settings)
    tasks, sharings, kwargs = calls[-1]  # sequential transfer: single-task models that read review polarity first
    assert sharings == ["none"] and kwargs["pretrain_on"] == "review_polarity" and kwargs["pretrain_epochs"] == 5
    assert set(frame.sharing) == {"transfer"} and frame.setup.iloc[0].endswith(
        " | first trained on review_polarity: up to 5 epochs (patience 1)")
    assert calls[0][2]["pretrain_on"] is None  # the other variants pretrain on nothing
    assert kwargs["hidden_units"] == quality.DEFAULT_UNITS == 64
    assert "units" not in settings.setup(("sentiment", "subjectivity"))  # the default width stays unnamed
    quality.run_one(("ner_nl", "pos_nl"), "hard", 0, settings)  # Dutch: its own learning rate and epoch cap
    kwargs = calls[-1][2]
    assert kwargs["learning_rate"] == 2e-3 and kwargs["epochs"] == 25 and kwargs["early_stopping_patience"] == 5
    assert kwargs["hidden_units"] == 128 and settings.setup(("ner_nl", "pos_nl")).endswith(", 128 BiLSTM units")
    assert settings.setup(("ner_nl", "pos_nl")).startswith("25 epochs (patience 5), Adam 0.002")
    assert settings.departures() == ("chunk+pos: 128 BiLSTM units; "
                                     "ner_nl+pos_nl: Adam 0.002, at most 25 epochs, patience 5, 128 BiLSTM units")
    assert quality.Settings(groups=(("chunk", "pos"),)).departures() == "chunk+pos: 128 BiLSTM units"
    assert quality.Settings(groups=(("ner_es", "pos_es"),)).departures() == ""  # only the groups a run trains


def test_lesson_seeds_parse_and_reject():
    from benchmarks import lessons as bench_lessons

    assert bench_lessons.parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert bench_lessons.parse_seeds("10,12") == [10, 12]
    for bad in ("3", "a-b", "2,2", "4-2"):
        try:
            bench_lessons.parse_seeds(bad)
        except ValueError as error:
            assert "--seeds" in str(error)
        else:
            raise AssertionError(f"--seeds {bad} was accepted")


def test_lessons_section_and_csv_columns(tmp_path):
    from benchmarks import lessons as bench_lessons

    detail = pd.DataFrame([{"claim": "01-related-helps", "notebook": "01", "statement": "s", "metric": "m",
                            "seeds": "0-4", "diff": 0.2, "ci_low": 0.1, "ci_high": 0.3, "verdict": "holds",
                            "baseline": "single-task", "treatment": "hard sharing", "baseline_mean": 0.6,
                            "treatment_mean": 0.8, "expected": "helps", "seconds": 1.0}])
    detail.to_csv(tmp_path / "lessons_detail.csv", index=False)
    lines = bench_lessons.section(tmp_path)
    assert lines[0] == bench_lessons.SECTION and "1 of 1 claims hold" in lines[2]
    assert any("single-task 0.600 → hard sharing 0.800" in line and "+0.200 [+0.100, +0.300]" in line
               and "| 01 |" in line for line in lines)  # the notebook stays "01", not the number 1
    assert bench_lessons.COLUMNS == ("claim", "notebook", "statement", "metric", "seeds", "diff", "ci_low",
                                     "ci_high", "verdict")
    assert bench_lessons.section(tmp_path / "missing") == []


def test_a_run_without_the_quality_table_derives_its_rows_again_from_the_kept_runs(tmp_path, monkeypatch):
    from benchmarks import playground

    test = _table([1.0, 1.2, 0.9])
    pd.concat([test, test.assign(split="dev")], ignore_index=True).assign(setup="s", run="r").to_csv(
        tmp_path / "quality_runs.csv", index=False)
    stale = Row("quality", "7. chunk f1 (best setting, %)", 91.1, verdict="PASS")  # an older rule's row
    pd.DataFrame([stale.__dict__ | {"extra": ""}]).to_csv(tmp_path / "results.csv", index=False)
    monkeypatch.setattr(playground, "grid_rows", lambda: [])
    assert run.main(["--only", "playground_grid", "--out-dir", str(tmp_path)]) == 0
    report = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    assert "7. chunk f1 (chosen on dev, %)" in report and "best setting" not in report


def test_the_gain_row_counts_only_the_setup_a_choice_on_dev_picks():
    test = _table([1.0, 1.2, 0.9])  # hard sharing gains about a point on test in every seed

    def with_dev(hard_minus_single):
        dev = test.assign(split="dev")
        dev.loc[dev.sharing == "hard", "value"] = dev[dev.sharing == "none"].value.to_numpy() + hard_minus_single
        return pd.concat([test, dev], ignore_index=True)

    picks_hard = quality.quality_rows(with_dev(+0.01), [], "(test)")
    assert _row(picks_hard, "7. a multi-task gain").verdict == "PASS"
    assert "the setups chosen on dev" in _row(picks_hard, "7. a multi-task gain").note
    picks_single = quality.quality_rows(with_dev(-0.01), [], "(test)")  # dev prefers single-task
    assert _row(picks_single, "7. chunk f1").name == "7. chunk f1 (chosen on dev, %)"
    assert _row(picks_single, "7. a multi-task gain").verdict == "FAIL"  # the test-side gain is not counted
