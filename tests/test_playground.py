"""mtl_helpers.playground: settings as a query string, a run beside its baseline on the same seeds, the
paired gain in words, the sweep's seeds and intervals. A fake ``run`` keeps these instant; the tiny
real run is in tests/test_playground_ui.py."""
from __future__ import annotations

import dataclasses

import matplotlib
import pandas as pd
import pytest

from mtl_helpers import evidence, playground, playground_ui
from mtl_helpers.playground import PlaygroundSettings

matplotlib.use("Agg")


def fake_run(settings: PlaygroundSettings, on_eval=None) -> pd.DataFrame:
    """Sharing adds 0.3·relatedness − 0.1 on the main task; the seed shifts both setups alike. Like
    playground_run it hands ``on_eval`` the curve so far after every epoch."""
    settings.validate()
    gain = 0.0 if settings.sharing == "none" else 0.3 * settings.relatedness - 0.1
    noise = 0.01 * (settings.seed % 3) + (0.002 * settings.seed if settings.sharing != "none" else 0.0)
    rows = [{"epoch": e, "task": t, "metric": "accuracy",
             "value": min(1.0, 0.4 + 0.05 * e + (gain if i == 0 else 0.0) + noise)}
            for e in range(1, settings.epochs + 1) for i, t in enumerate(settings.tasks)]
    frame = pd.DataFrame(rows)
    for epoch in range(1, settings.epochs + 1) if on_eval else ():
        on_eval(frame[frame.epoch <= epoch].reset_index(drop=True))
    frame.attrs.update(seconds=0.01, settings=settings, cached=False)
    return frame


# ----------------------------------------------------------------------------- shareable settings
@pytest.mark.parametrize("settings", [
    PlaygroundSettings(),
    PlaygroundSettings(sharing="soft", coupling_weight=0.001, task_weights=(1.0, 0.25), sampling="temperature",
                       fraction=0.05, relatedness=0.25, seed=7, seeds=3, epochs=5, learning_rate=1e-3),
    PlaygroundSettings(sharing="hard", shared_layers=0, num_layers=2, tasks=("toy_topic", "toy_sentiment")),
    PlaygroundSettings(sharing="soft", coupling_weight=10 ** -3.5, learning_rate=1 / 3),  # floats come back exact
])
def test_settings_round_trip_through_the_query_string(settings):
    query = settings.to_query()
    assert "&" in query and " " not in query
    assert PlaygroundSettings.from_query(query) == settings
    assert PlaygroundSettings.from_query("?" + query) == settings
    assert PlaygroundSettings.from_query(f"http://localhost:8866/?{query}") == settings


def test_a_partial_query_keeps_the_defaults():
    settings = PlaygroundSettings.from_query("sharing=none&relatedness=0")
    assert settings == dataclasses.replace(PlaygroundSettings(), sharing="none", relatedness=0.0)
    assert PlaygroundSettings.from_query("") == PlaygroundSettings()


@pytest.mark.parametrize("query, words", [("colour=red", "unknown playground setting 'colour'"),
                                          ("seeds=many", "seeds='many' in the query is not an int"),
                                          ("epochs=2.5", "epochs='2.5' in the query is not an int"),
                                          ("task_weights=1,x", "not a comma-separated list of float"),
                                          ("relatedness=2", "relatedness"), ("sharing=shared", "sharing")])
def test_a_bad_query_names_the_setting(query, words):
    with pytest.raises(ValueError, match=words):
        PlaygroundSettings.from_query(query)


def test_the_settings_string_is_shown_and_restores_the_controls_with_one_retrain():
    calls: list[PlaygroundSettings] = []

    def counting(settings):
        calls.append(settings)
        return fake_run(settings)

    ui = playground_ui.build_playground(PlaygroundSettings(), run=counting)
    assert ui.query.value == PlaygroundSettings().to_query()
    wanted = PlaygroundSettings(sharing="soft", coupling_weight=0.1, relatedness=0.0, fraction=0.05,
                                task_weights=(1.0, 0.5), seed=4, seeds=2, epochs=3, units=4)  # epochs: no control
    before = len(calls)
    ui.query.value = wanted.to_query()
    assert ui.settings() == dataclasses.replace(wanted, coupling_weight=ui.settings().coupling_weight)
    assert ui.settings().coupling_weight == pytest.approx(0.1)
    assert len(calls) - before == 2 * 2  # one retrain: 2 seeds × (setting + baseline)
    assert ui.last.settings == ui.settings() and ui.last.settings.epochs == 3
    ui.query.value = "colour=red"
    assert "cannot read the settings" in ui.status.value
    ui.query.value = "tasks=toy_topic,toy_sentiment"
    assert "build a new one" in ui.status.value
    ui.query.value = PlaygroundSettings(seeds=7).to_query()
    assert ui.settings().seeds == 7


def test_show_code_prints_a_snippet_that_restores_the_settings(capsys):
    settings = PlaygroundSettings(relatedness=0.0, seeds=3, seed=5)
    snippet = settings.code()
    namespace: dict = {}
    exec(snippet.replace("result = playground_compare(settings)", "result = None").replace(
        "print(result.gain_line())", ""), namespace)  # everything but the training
    assert namespace["settings"] == settings and "playground_compare(settings)" in snippet
    ui = playground_ui.build_playground(settings, run=fake_run)
    capsys.readouterr()
    ui.show_code.click()
    assert "from_query(" in capsys.readouterr().out + "".join(o.get("text", "") for o in ui.code.outputs)


# ----------------------------------------------------------------------------- a baseline beside every run
def test_compare_trains_the_setting_and_its_baseline_on_the_same_seeds():
    calls: list[PlaygroundSettings] = []

    def counting(settings):
        calls.append(settings)
        return fake_run(settings)

    result = playground.playground_compare(PlaygroundSettings(relatedness=1.0, seed=3, seeds=3), run=counting)
    assert [(s.sharing, s.seed) for s in calls] == [("none", 3), ("hard", 3), ("none", 4), ("hard", 4),
                                                   ("none", 5), ("hard", 5)]
    assert all(dataclasses.replace(s, sharing="hard", seed=0, seeds=1) ==
               dataclasses.replace(calls[0], sharing="hard", seed=0) for s in calls)  # nothing else differs
    assert set(result.curves.setup) == {"chosen", "baseline"} and set(result.curves.seed) == {3, 4, 5}
    comparison = result.comparison()
    assert comparison.seeds == (3, 4, 5) and comparison.verdict == evidence.HELPS
    assert "helps" in result.gain_line() and "[+" in result.gain_line()


def test_one_seed_gives_a_gain_but_no_verdict_and_none_is_its_own_baseline():
    one = playground.playground_compare(PlaygroundSettings(relatedness=0.0, seeds=1), run=fake_run)
    assert one.comparison() is None
    assert "gain -0.100" in one.gain_line() and "no verdict" in one.gain_line()
    same = playground.playground_compare(PlaygroundSettings(sharing="none"), run=fake_run)
    assert "baseline itself" in same.gain_line()


def _epochs_so_far(result: playground.PlaygroundResult) -> tuple[int, ...]:
    """The last epoch of each (setup, seed) curve in a result, in training order."""
    return tuple(result.curves.groupby(["setup", "seed"], sort=False).epoch.max().tolist())


def test_compare_reports_progress_after_every_epoch_of_every_run_and_partial_results_draw():
    seen: list[playground.PlaygroundResult] = []
    result = playground.playground_compare(PlaygroundSettings(seeds=2, epochs=3), run=fake_run,
                                           progress=seen.append)
    assert [_epochs_so_far(p) for p in seen] == [  # baseline 0, hard 0, baseline 1, hard 1 (its epoch 3: returned)
        (1,), (2,), (3,), (3, 1), (3, 2), (3, 3), (3, 3, 1), (3, 3, 2), (3, 3, 3), (3, 3, 3, 1), (3, 3, 3, 2)]
    assert result.complete and _epochs_so_far(result) == (3, 3, 3, 3)
    assert not any(p.complete for p in seen)
    assert [len(p.paired_seeds) for p in seen] == [0] * 5 + [1] * 6  # a score only once a run has finished
    assert seen[1].scores == {"chosen": {}, "baseline": {}} and list(seen[2].scores["baseline"]) == [0]
    assert "training beside its baseline" in seen[0].gain_line()
    assert "interval comes with the second seed" in seen[5].gain_line() and "[" not in seen[5].gain_line()
    assert "More seeds are training" in seen[8].gain_line()
    first = playground_ui.playground_figure(seen[0]).axes[0]
    assert [line.get_label() for line in first.lines] == ["single-task (none)"]
    assert list(first.lines[0].get_xdata()) == [1]  # the curve so far: one epoch
    first_line = playground_ui.score_line(seen[0])
    assert "dev score … (baseline none …)" in first_line and "training…" in first_line
    assert "dev score … (baseline none 0." in playground_ui.score_line(seen[2])
    assert "trained in" in playground_ui.score_line(result)


def test_a_run_without_on_eval_reports_after_every_run_but_the_last():
    seen: list[playground.PlaygroundResult] = []
    result = playground.playground_compare(PlaygroundSettings(seeds=2, epochs=3), run=lambda s: fake_run(s),
                                           progress=seen.append)
    assert [_epochs_so_far(p) for p in seen] == [(3,), (3, 3), (3, 3, 3)] and result.complete
    streamed = playground.playground_compare(PlaygroundSettings(seeds=2, epochs=3), run=fake_run)
    pd.testing.assert_frame_equal(result.curves, streamed.curves)  # streaming changes no number
    assert result.scores == streamed.scores


def test_the_ui_redraws_after_every_epoch_of_a_retrain_in_one_figure(monkeypatch):
    monkeypatch.setattr(playground_ui, "REDRAW_SECONDS", 0.0)  # no throttle: every progress call redraws
    ui = playground_ui.build_playground(PlaygroundSettings(seeds=3, epochs=2), run=fake_run)
    before, image = ui.redraws(), ui.plot.value
    ui.controls["relatedness"].value = 0.5
    assert ui.redraws() - before == 6 * 2  # 6 runs × 2 epochs: 11 partial redraws + the final
    assert bytes(ui.plot.value) != bytes(image) and bytes(ui.plot.value).startswith(b"\x89PNG")
    figure = playground_ui.playground_figure(ui.last)
    assert playground_ui.playground_figure(ui.last, figure) is figure and len(figure.axes) == 2  # redrawn in place
    assert figure.axes[0].get_position().bounds == pytest.approx(
        playground_ui.playground_figure(ui.last).axes[0].get_position().bounds)  # with the layout it had


def test_new_seed_restarts_from_seeds_not_shown_yet():
    calls: list[PlaygroundSettings] = []

    def counting(settings):
        calls.append(settings)
        return fake_run(settings)

    ui = playground_ui.build_playground(PlaygroundSettings(seeds=2), run=counting)
    assert {s.seed for s in calls} == {0, 1}
    calls.clear()
    ui.new_seed.click()
    assert {s.seed for s in calls} == {2, 3} and ui.last.settings.seed_list == [2, 3]
    assert "seeds 2-3" in playground_ui.score_line(ui.last)
    assert ui.query.value == ui.settings().to_query()


# ----------------------------------------------------------------------------- the sweep over seeds
def test_sweep_gains_pair_by_seed_per_relatedness():
    sweep = playground.playground_sweep((0.0, 1.0), ("none", "hard"), PlaygroundSettings(seeds=3), run=fake_run)
    assert sorted(set(sweep.seed)) == [0, 1, 2] and len(sweep) == 2 * 2 * 3 * 2
    gains = playground.sweep_gains(sweep, "toy_sentiment")
    assert gains[1.0].verdict == evidence.HELPS and gains[0.0].verdict == evidence.HURTS
    assert gains[1.0].diff == pytest.approx(0.2 + 0.002, abs=1e-9)
    with pytest.raises(ValueError, match="cross_stitch"):
        playground.sweep_gains(sweep, "toy_sentiment", "cross_stitch")


# ----------------------------------------------------------------------------- a change during a run
def test_a_change_during_a_run_restarts_it_with_the_new_settings():
    """Training in a worker thread: a change arriving mid-run stops that run at its next point and the new
    settings train; the old run's result is never shown as the last one."""
    import threading
    import time

    started = threading.Event()

    def slow_run(settings, on_eval=None):
        for _ in range(settings.epochs):
            started.set()
            time.sleep(0.05)
            if on_eval is not None:
                on_eval(fake_run(settings).query("epoch <= 1"))
        return fake_run(settings)

    ui = playground_ui.build_playground(PlaygroundSettings(relatedness=0.0, epochs=4, seeds=2), run=slow_run,
                                  background=True)
    ui.wait(30)
    started.clear()
    ui.controls["relatedness"].value = 0.5
    assert started.wait(10)
    ui.controls["relatedness"].value = 1.0  # while the 0.5 run trains
    ui.wait(30)
    assert ui.last.settings.relatedness == 1.0 and ui.last.complete
    assert "relatedness=1" in ui.text.value and "training failed" not in ui.status.value


def test_a_failing_run_in_the_worker_is_shown_not_lost():
    def broken(settings, on_eval=None):
        raise RuntimeError("out of paper")

    ui = playground_ui.build_playground(PlaygroundSettings(), run=broken, background=True)
    ui.wait(30)
    assert "training failed" in ui.status.value and "out of paper" in ui.status.value


@pytest.mark.slow
def test_a_new_engine_builds_each_model_once_and_trains_the_same_numbers(monkeypatch):
    """A new set of shapes builds one model per run: the engine's fresh models give the initial weights (no
    second build for them). A later call with new seeds builds only their initial weights, and trains what a
    new engine would."""
    monkeypatch.setattr(playground, "_ENGINES", {})
    monkeypatch.setattr(playground, "_INITIAL", {})
    builds: list[PlaygroundSettings] = []
    build = playground._build

    def counting_build(settings, *args):
        builds.append(settings)
        return build(settings, *args)

    monkeypatch.setattr(playground, "_build", counting_build)
    tiny = PlaygroundSettings(units=8, toy_size=200, epochs=1, steps_per_epoch=3, seeds=1)
    runs = [dataclasses.replace(tiny, sharing=sharing, seed=seed) for seed in (0, 1) for sharing in ("none", "hard")]
    first = playground.train_together(runs[:2])
    assert len(builds) == 2  # one per run (it was two: one more for the initial weights)
    for again, curve in zip(playground.train_together(runs[:2]), first):
        pd.testing.assert_frame_equal(again, curve)
    assert len(builds) == 2  # the engine and the initial weights are reused
    reused = playground.train_together(runs[2:])  # same shapes, new seeds: only their initial weights
    assert len(builds) == 4
    monkeypatch.setattr(playground, "_ENGINES", {})
    monkeypatch.setattr(playground, "_INITIAL", {})
    for fresh, curve in zip(playground.train_together(runs[2:]), reused):  # a new engine: the same numbers
        pd.testing.assert_frame_equal(fresh, curve)
    assert len(builds) == 6


@pytest.mark.slow
def test_the_plain_keras_snippet_runs_and_scores_every_task(capsys):
    settings = PlaygroundSettings(sharing="hard", toy_size=200, epochs=1, steps_per_epoch=4)
    exec(settings.keras_code(), {})
    printed = capsys.readouterr().out
    assert "toy_sentiment: dev accuracy" in printed and "toy_topic: dev accuracy" in printed
    assert "models = {name: keras.Model(tokens, keras.layers.Dense(len(task.labels))(shared(tokens)))" in \
        settings.keras_code()
    assert "(encoder()(tokens))" in dataclasses.replace(settings, sharing="none").keras_code()
    assert "notebook 04" in dataclasses.replace(settings, sharing="soft").keras_code()


def test_show_code_prints_the_helper_and_the_plain_keras_version(capsys):
    ui = playground_ui.build_playground(PlaygroundSettings(seeds=1), run=fake_run)
    capsys.readouterr()
    ui.show_code.click()  # outside a kernel the Output widget lets the print through to stdout
    text = capsys.readouterr().out
    assert "playground_compare(settings)" in text and "keras.layers.Bidirectional" in text
