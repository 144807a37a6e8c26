"""The classroom load benchmark (benchmarks/classroom.py): its pure parts fast, and one real 2-user run.

The real run starts a Voilà server and a headless Chromium, opens 2 sessions of the playground for about a
minute and checks that both got ready, that their changes were measured and that nothing it started is left
running. It is marked ``browser`` and ``slow``; without Chromium or Playwright it skips with the reason (fails
under ``CI=true``), as tests/test_browser.py does. No timing is asserted: speed targets live in benchmarks/.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import browser, classroom, run
from benchmarks.classroom import GIB, Memory, Session


# ----------------------------------------------------------------------------- percentiles
def test_percentile_interpolates_like_numpy() -> None:
    import numpy as np

    values = [3.0, 1.0, 10.0, 7.0, 2.5]
    for q in (0, 25, 50, 90, 95, 100):
        assert classroom.percentile(values, q) == pytest.approx(np.percentile(values, q))
    assert classroom.percentile([4.0], 95) == 4.0


@pytest.mark.parametrize("values, q, match", [([], 50, "no values"), ([1.0], 101, "from 0 to 100"),
                                              ([1.0], -1, "from 0 to 100")])
def test_percentile_rejects_bad_input(values, q, match) -> None:
    with pytest.raises(ValueError, match=match):
        classroom.percentile(values, q)


# ----------------------------------------------------------------------------- the process-tree reader
def test_tree_memory_covers_children_and_forgets_the_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(64 * 2**20); time.sleep(30)"])
    try:
        deadline = time.monotonic() + 20
        while classroom.process_memory(child.pid)[1] < 60 * 2**20 and time.monotonic() < deadline:
            time.sleep(0.1)
        pids = classroom.tree_pids(os.getpid())
        assert os.getpid() in pids and child.pid in pids
        alone_pss, _ = classroom.process_memory(os.getpid())
        child_pss, child_rss = classroom.process_memory(child.pid)
        assert child_rss >= 60 * 2**20 and 0 < child_pss <= child_rss
        total_pss, total_rss = classroom.tree_memory(os.getpid())
        assert total_pss >= alone_pss + child_pss * 0.9 and total_rss >= child_rss
    finally:
        child.kill()
        child.wait()
    assert child.pid not in classroom.tree_pids(os.getpid())
    assert classroom.process_memory(child.pid) == (0, 0)
    assert classroom.tree_pids(2**22 + 12345) == []


def test_tree_pids_reads_a_fake_proc(tmp_path: Path) -> None:
    """Parent ids come after the command name, which may hold spaces and ')'."""
    for pid, parent, name in [(10, 1, "voila"), (11, 10, "python (kernel) x"), (12, 11, "helper"),
                              (20, 1, "other")]:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} ({name}) S {parent} 1 1 0")
        (tmp_path / str(pid) / "smaps_rollup").write_text(f"x-y ---p 0 0:0 0 [rollup]\nRss: {pid} kB\nPss: 1 kB\n")
    (tmp_path / "self").mkdir()
    assert sorted(classroom.tree_pids(10, tmp_path)) == [10, 11, 12]
    assert classroom.tree_memory(10, tmp_path) == (3 * 1024, (10 + 11 + 12) * 1024)


# ----------------------------------------------------------------------------- arguments
@pytest.mark.parametrize("users, minutes, mode, match", [
    (0, 1.0, "fast", "--users"), (65, 1.0, "fast", "--users"), (2.5, 1.0, "fast", "--users"),
    (True, 1.0, "fast", "--users"), (2, 0, "fast", "--minutes"), (2, 61, "fast", "--minutes"),
    (2, float("nan"), "fast", "--minutes"), (2, 1.0, "slow", "--classroom-mode")])
def test_validate_names_the_bad_argument(users, minutes, mode, match) -> None:
    with pytest.raises(ValueError, match=match):
        classroom.validate(users, minutes, mode)
    with pytest.raises(ValueError, match=match):
        classroom.classroom_load(users, minutes, mode)  # before anything is started


def test_validate_accepts_good_arguments() -> None:
    classroom.validate(1, 0.5, "fast")
    classroom.validate(64, 60, "class", interval_s=0, app="lesson")


def test_validate_rejects_an_unknown_app() -> None:
    with pytest.raises(ValueError, match="--classroom-app must be one of room, lesson"):
        classroom.validate(2, 1, "fast", app="kiosk")


@pytest.mark.parametrize("text, users", [("10", [10]), ("16,4,10", [4, 10, 16]), (" 4, 4 ,", [4])])
def test_parse_users_reads_one_or_several_runs(text, users) -> None:
    assert classroom.parse_users(text) == users


@pytest.mark.parametrize("text, match", [("ten", "whole numbers"), ("4;10", "whole numbers"), (",", "at least one")])
def test_parse_users_rejects_bad_input(text, match) -> None:
    with pytest.raises(ValueError, match=match):
        classroom.parse_users(text)


def test_the_apps_exist_and_the_room_is_served_preheated_and_culled() -> None:
    assert all(path.is_file() for path in classroom.APPS.values())
    args = classroom.room_voila_args(12)
    assert "--preheat_kernel=True" in args and "--pool_size=12" in args
    assert f"--MappingKernelManager.cull_idle_timeout={classroom.CULL_IDLE_S}" in args
    assert "--MappingKernelManager.cull_connected=True" in args
    with pytest.raises(ValueError, match="pool_size"):
        classroom.room_voila_args(0)


def test_the_instructor_guide_prints_the_room_options() -> None:
    guide = (classroom.PROJECT_ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")
    app = classroom.APPS["room"].read_text(encoding="utf-8")
    for option in classroom.room_voila_args(12)[1:]:  # the pool size is the class's own
        assert option.split("=")[0] in guide and option.split("=")[0] in app, option


def test_cpu_trace_shares_a_window_between_the_trees() -> None:
    trace = classroom.CpuTrace({"server": 1, "browser": 2})
    cores = os.cpu_count() or 1
    trace.samples = [(0.0, {"server": 0.0, "browser": 0.0}), (10.0, {"server": 1.0, "browser": 5.0}),
                     (20.0, {"server": 2.0, "browser": 15.0})]
    share = trace.share(0.0, 20.0)
    assert share["server"] == pytest.approx(2.0 / (20 * cores)) and share["browser"] == pytest.approx(15 / (20 * cores))
    assert trace.share(10.0, 20.0)["browser"] == pytest.approx(10 / (10 * cores))
    assert trace.share(30.0, 40.0) == {}  # no samples in the window: nothing to say


def test_cpu_seconds_grow_while_a_child_works() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time\nt = time.time()\nwhile time.time() - t < 1.5: pass"])
    try:
        before = classroom.cpu_seconds(os.getpid())
        child.wait(timeout=20)
    finally:
        child.kill()
    assert classroom.cpu_seconds(os.getpid()) >= before  # the finished child's time left the living tree
    assert classroom.cpu_seconds(2**22 + 12345) == 0.0


def test_classroom_is_opt_in_and_its_options_are_checked(capsys) -> None:
    parser = run.build_parser()
    assert "classroom" not in parser.parse_args([]).only.split(",")
    assert "classroom" in run.OPT_IN and "classroom" not in run.BENCHMARKS
    assert "opt-in" in parser.format_help()
    with pytest.raises(SystemExit):
        run.main(["--only", "classroom", "--users", "0"])
    assert "--users must be" in capsys.readouterr().err


# ----------------------------------------------------------------------------- rows
def _memory() -> Memory:
    return Memory(baseline_pss=GIB // 10, peak_pss=GIB // 10 + 2 * GIB, peak_rss=3 * GIB, peak_process_pss=GIB)


def test_rows_report_percentiles_failures_and_memory() -> None:
    sessions = [Session(ready_s=10.0, redraw_s=[1.0, 3.0], complete_s=[5.0, 9.0], cached=1),
                Session(ready_s=20.0, redraw_s=[2.0], complete_s=[7.0], dropped="page crashed"),
                Session(failed="never ready: TimeoutError")]
    rows = {r.name: r for r in classroom.rows_from(sessions, _memory(), users=3, minutes=1, mode="fast",
                                                   interval_s=5)}
    assert rows["classroom app ready p50"].value == pytest.approx(15.0)
    assert rows["classroom app ready p95"].value == pytest.approx(19.5)
    assert rows["classroom first redraw p50"].value == pytest.approx(2.0)
    assert rows["classroom retrain complete p95"].value == pytest.approx(8.8)
    assert "1 cached" in rows["classroom retrain complete p50"].note
    assert rows["classroom failed sessions"].value == 2
    assert "page crashed" in rows["classroom failed sessions"].note
    assert rows["classroom peak memory"].value == pytest.approx(2.1)
    assert rows["classroom memory per session"].value == pytest.approx(2 / 3)
    assert rows["classroom sessions within 16 GiB (memory only)"].value == 23  # (16 - 0.1) / (2/3)
    assert {r.verdict for r in rows.values()} == {"INFO"}  # the targets are for 10 users
    assert "at 10 users" in rows["classroom first redraw p95"].target


def test_rows_grade_against_the_issue_targets_from_ten_users() -> None:
    good = [Session(ready_s=12.0, redraw_s=[2.0], complete_s=[4.0]) for _ in range(10)]
    rows = {r.name: r for r in classroom.rows_from(good, _memory(), users=10, minutes=1, mode="fast",
                                                   interval_s=5)}
    for name in ("app ready p95", "first redraw p95", "failed sessions", "peak memory"):
        assert rows[f"classroom {name}"].verdict == "PASS", name
    assert rows["classroom retrain complete p95"].verdict == "INFO"
    slow = [Session(ready_s=40.0, redraw_s=[6.0], complete_s=[9.0]) for _ in range(9)] + [Session(failed="x")]
    rows = {r.name: r for r in classroom.rows_from(slow, _memory(), users=10, minutes=1, mode="fast",
                                                   interval_s=5)}
    for name in ("app ready p95", "first redraw p95", "failed sessions"):
        assert rows[f"classroom {name}"].verdict == "FAIL", name


def test_capacity_names_other_runs_and_finds_the_largest_class_within_targets() -> None:
    def run(users: int, ready: float) -> list:
        sessions = [Session(ready_s=ready, redraw_s=[2.0], complete_s=[4.0]) for _ in range(users)]
        return classroom.rows_from(sessions, _memory(), users=users, minutes=1, mode="fast", interval_s=5)

    rows = {r.name: r for r in classroom.capacity_rows({4: run(4, 5.0), 10: run(10, 12.0), 16: run(16, 45.0)})}
    assert rows["classroom app ready p95"].value == pytest.approx(12.0)  # the 10-user run keeps the plain names
    assert rows["classroom app ready p95"].verdict == "PASS"
    assert rows["classroom app ready p95 at 16 users"].verdict == "INFO"
    assert "≤ 30 s" in rows["classroom app ready p95 at 16 users"].target
    assert rows["classroom app ready p95 at 4 users"].value == pytest.approx(5.0)
    largest = rows["classroom largest class within targets"]
    assert largest.value == 10 and "16: missed" in largest.note and "4: met" in largest.note
    only = {r.name: r for r in classroom.capacity_rows({3: run(3, 40.0)})}
    assert only["classroom largest class within targets"].value == 0
    with pytest.raises(ValueError, match="no runs"):
        classroom.capacity_rows({})


def test_rows_without_measurements_are_skipped_not_crashed() -> None:
    rows = {r.name: r for r in classroom.rows_from([Session(failed="x")], _memory(), users=1, minutes=1,
                                                   mode="fast", interval_s=5)}
    assert rows["classroom first redraw p95"].verdict == "SKIP"
    assert rows["classroom failed sessions"].value == 1


# ----------------------------------------------------------------------------- one real run
def _require_browser() -> None:
    browser.require("classroom load test", classroom.CHROMIUM)


def _our_descendants() -> set[int]:
    return set(classroom.tree_pids(os.getpid())) - {os.getpid()}


@pytest.mark.browser
@pytest.mark.slow
def test_two_students_for_a_minute() -> None:
    """Both sessions of the room app get ready, their slider changes retrain and redraw, and every process is
    stopped."""
    _require_browser()
    before = _our_descendants()
    rows = {r.name: r for r in classroom.classroom_load(users=2, minutes=1.0, mode="fast", interval_s=3.0)}
    assert rows["classroom failed sessions"].value == 0, rows["classroom failed sessions"].note
    assert rows["classroom app ready p95"].value > 0
    assert rows["classroom first redraw p50"].value is not None, "no change was measured"
    assert rows["classroom retrain complete p50"].value >= rows["classroom first redraw p50"].value
    assert rows["classroom peak memory"].value > 0.1  # two TensorFlow kernels
    assert rows["classroom pool warm-up"].value > 0
    assert rows["classroom CPU while opening: the test's browser"].value > 0
    assert _our_descendants() <= before, "the run left a process running"
