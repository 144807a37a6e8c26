"""The playground app (mtl_helpers.playground_ui, notebook 08): widget callbacks without a browser, checkers 8.1-8.4.

Callbacks are exercised in-process: build the UI, set a control's value, assert that the run was redone
with the new settings and the score line/figure changed. Most tests use a fake ``run`` (instant,
deterministic) so they test the wiring; the tests marked ``slow`` train a real tiny model.
"""
from __future__ import annotations

import dataclasses
import json

import matplotlib
import nbformat
import pandas as pd
import pytest

from mtl_helpers import exercises, playground, playground_settings, playground_ui
from mtl_helpers.notebook_runner import cell_text_outputs, execute_notebook
from mtl_helpers.playground_settings import PlaygroundSettings

matplotlib.use("Agg")

TINY = dict(units=8, toy_size=200, epochs=2, steps_per_epoch=3)


def fake_run(settings: PlaygroundSettings) -> pd.DataFrame:
    """Instant stand-in for playground_run: sharing helps in proportion to relatedness."""
    settings.validate()
    gain = 0.0 if settings.sharing == "none" else 0.3 * settings.relatedness
    rows = [{"epoch": e, "task": t, "metric": "accuracy", "value": min(1.0, 0.4 + 0.1 * e + gain - 0.05 * i)}
            for e in range(1, settings.epochs + 1) for i, t in enumerate(settings.tasks)]
    frame = pd.DataFrame(rows)
    frame.attrs.update(seconds=0.01, settings=settings)
    return frame


# ----------------------------------------------------------------------------- settings
@pytest.mark.parametrize("change, words", [
    ({"sharing": "shared"}, "sharing"), ({"sampling": "random"}, "sampling"),
    ({"relatedness": 1.5}, "relatedness"), ({"fraction": 0.0}, "fraction"),
    ({"shared_layers": 3}, "shared_layers"), ({"task_weights": (1.0,)}, "task_weights"),
    ({"task_weights": (0.0, 0.0)}, "all 0"), ({"coupling_weight": -1.0}, "coupling_weight"),
    ({"tasks": ("toy_topic",)}, "tasks"),
])
def test_bad_settings_name_the_problem(change, words):
    with pytest.raises(ValueError, match=words):
        dataclasses.replace(PlaygroundSettings(), **change).validate()


def test_describe_names_only_the_knobs_of_the_mode():
    assert "λ" in PlaygroundSettings(sharing="soft").describe()
    assert "λ" not in PlaygroundSettings(sharing="hard").describe()
    assert "shared layers" in PlaygroundSettings(sharing="hard").describe()
    assert "shared layers" not in PlaygroundSettings(sharing="cross_stitch").describe()


# ----------------------------------------------------------------------------- UI wiring (fake run)
def test_moving_a_slider_retrains_once_with_the_new_value(capsys):
    calls: list[PlaygroundSettings] = []

    def counting_run(settings):
        calls.append(settings)
        return fake_run(settings)

    ui = playground_ui.build_playground(PlaygroundSettings(sharing="hard", relatedness=0.5, seeds=1), run=counting_run)
    first = ui.last
    assert [s.sharing for s in calls] == ["none", "hard"]  # the baseline and the setting, same seed
    assert "toy_sentiment dev score" in ui.text.value
    ui.controls["relatedness"].value = 1.0
    assert len(calls) == 4 and calls[-1].relatedness == calls[-2].relatedness == 1.0
    assert ui.last is not first and not ui.last.curves.equals(first.curves)
    assert "relatedness=1" in ui.text.value and "baseline none" in ui.text.value


def test_every_control_reaches_the_settings():
    ui = playground_ui.build_playground(PlaygroundSettings(), run=fake_run)
    ui.controls["sharing"].value = "soft"
    ui.controls["coupling_weight"].value = 0.1
    ui.controls["sampling"].value = "uniform"
    ui.controls["fraction"].value = 0.5
    ui.weight_sliders[1].value = 0.5
    chosen = ui.last.settings
    assert (chosen.sharing, chosen.sampling, chosen.fraction, chosen.task_weights) == ("soft", "uniform", 0.5,
                                                                                       (1.0, 0.5))
    assert chosen.coupling_weight == pytest.approx(0.1)
    assert chosen == ui.settings()


def test_inert_knobs_are_greyed_out():
    ui = playground_ui.build_playground(PlaygroundSettings(sharing="hard"), run=fake_run)
    assert ui.controls["coupling_weight"].disabled and not ui.controls["shared_layers"].disabled
    ui.controls["sharing"].value = "soft"
    assert not ui.controls["coupling_weight"].disabled and ui.controls["shared_layers"].disabled


def test_all_zero_weights_give_a_message_not_a_traceback():
    ui = playground_ui.build_playground(PlaygroundSettings(), run=fake_run)
    ui.weight_sliders[0].value = 0.0
    before = ui.last
    ui.weight_sliders[1].value = 0.0
    assert ui.last is before
    assert "cannot train" in ui.children[2].value and "weight > 0" in ui.children[2].value


def test_probe_classes_for_the_browser_test():
    ui = playground_ui.build_playground(PlaygroundSettings(), run=fake_run)
    probe = ui.controls["fraction"]
    assert playground_ui.PROBE_SLIDER_CLASS in probe._dom_classes and probe.continuous_update is False
    assert any(playground_ui.PROBE_OUTPUT_CLASS in child._dom_classes for child in ui.children)
    assert probe.index < len(probe.options) - 1, "ArrowRight must be able to move it"


# ----------------------------------------------------------------------------- sweep and explorer
def test_sweep_table_figure_and_explorer(capsys):
    sweep = playground.playground_sweep((0.0, 1.0), ("none", "hard"), PlaygroundSettings(seeds=1), run=fake_run)
    assert list(sweep.columns) == ["relatedness", "sharing", "seed", "task", "metric", "value", "seconds"]
    assert len(sweep) == 2 * 2 * 2
    table = playground.sweep_table(sweep)
    assert list(table.columns) == ["none", "hard"] and list(table.index) == [0.0, 1.0]
    assert table.loc[1.0, "hard"] > table.loc[1.0, "none"] == pytest.approx(table.loc[0.0, "hard"])
    assert playground_ui.sweep_figure(sweep, "toy_topic").axes[0].get_title().startswith("toy_topic")
    with pytest.raises(ValueError, match="not in the sweep"):
        playground.sweep_table(sweep, "pos")
    explorer = playground_ui.build_sweep_explorer(sweep)
    capsys.readouterr()
    explorer.choice.value = "toy_sentiment"
    assert "Figure" in capsys.readouterr().out


def test_playground_figure_draws_the_baseline_beside_the_setting_with_a_seed_band():
    result = playground.playground_compare(PlaygroundSettings(seeds=3), run=fake_run)
    lines, seeds = playground_ui.playground_figure(result).axes[:2]
    assert [line.get_label() for line in lines.lines] == ["single-task (none)", "sharing=hard"]
    assert len(lines.collections) == 2  # one band per setup
    assert len(seeds.lines) == 3  # one paired line per seed
    assert all(float(t).is_integer() for t in lines.get_xticks())
    single = playground.playground_compare(PlaygroundSettings(seeds=1), run=fake_run)
    one = playground_ui.playground_figure(single).axes[0]
    assert len(one.collections) == 0  # one seed: no band


# ----------------------------------------------------------------------------- real training (tiny)
@pytest.mark.slow
def test_playground_run_trains_a_real_model_deterministically():
    settings = PlaygroundSettings(**TINY)
    partial: list[pd.DataFrame] = []
    curve = playground.playground_run(settings, use_cache=False, on_eval=partial.append)
    assert list(curve.columns) == ["epoch", "task", "metric", "value"]
    points = sorted(set(curve.epoch))  # a point every eval_every steps: 3 per epoch of 3 steps
    assert set(curve.task) == set(settings.tasks) and points == pytest.approx([k / 3 for k in range(1, 7)])
    assert curve.value.between(0, 1).all()
    assert curve.attrs["train_sizes"]["toy_sentiment"] < curve.attrs["train_sizes"]["toy_topic"]
    assert [p.epoch.max() for p in partial] == pytest.approx(points)  # the curve so far, at every point
    pd.testing.assert_frame_equal(partial[-1], curve)
    again = playground.playground_run(settings, use_cache=False)  # without the hook: the same numbers
    pd.testing.assert_frame_equal(curve, again)
    assert playground.playground_run(settings).attrs["cached"] in (False, True)
    assert playground.playground_run(settings).attrs["cached"] is True
    other = playground.playground_run(dataclasses.replace(settings, sharing="soft", coupling_weight=0.1))
    assert not other.equals(curve)


@pytest.mark.slow
def test_real_ui_retrains_on_a_change(monkeypatch):
    monkeypatch.setattr(playground, "_RUN_CACHE", {})  # every run trains, so every point is drawn
    monkeypatch.setattr(playground_ui, "REDRAW_SECONDS", 0.0)
    ui = playground_ui.build_playground(PlaygroundSettings(**TINY, relatedness=0.0, seeds=2))
    first, before = ui.last, ui.redraws()
    ui.controls["relatedness"].value = 1.0
    assert ui.last.settings.relatedness == 1.0 and not ui.last.curves.equals(first.curves)
    # 6 points (2 epochs of 3 steps), the 4 runs side by side: 5 partial redraws, then the final one
    assert ui.redraws() - before == 6 and "| trained in" in ui.text.value
    assert set(ui.last.curves.setup) == {"chosen", "baseline"} and ui.last.curves.seed.nunique() == 2


# ----------------------------------------------------------------------------- in a real kernel (nbclient)
@pytest.mark.notebooks
def test_callback_output_in_a_kernel(tmp_path):
    """In a kernel the playground trains in a worker thread; its score line reaches the text widget."""
    source = [
        "import pandas as pd\n"
        "from mtl_helpers.playground_settings import PlaygroundSettings\n"
        "from mtl_helpers.playground_ui import build_playground\n"
        "def fake_run(s):\n"
        "    frame = pd.DataFrame({'epoch': [1, 1], 'task': list(s.tasks), 'metric': 'accuracy',\n"
        "                          'value': [0.5 * s.relatedness, 0.5]})\n"
        "    frame.attrs.update(seconds=0.01, settings=s)\n"
        "    return frame\n"
        "ui = build_playground(PlaygroundSettings(relatedness=0.25), run=fake_run)\n"
        "display(ui)",
        "ui.controls['relatedness'].value = 0.75\nui.wait(60)\nprint('last:', ui.last.settings.relatedness)\n"
        "print(ui.text.value)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in source])
    path = tmp_path / "callback.ipynb"
    nbformat.write(nb, path)
    executed, _ = execute_notebook(path, timeout=120)
    second = cell_text_outputs(nbformat.v4.new_notebook(cells=[executed.cells[1]]))
    assert "last: 0.75" in second
    assert "relatedness=0.75" in json.dumps(executed.cells[1].outputs)


# ----------------------------------------------------------------------------- checkers 8.1-8.4
def test_check_inert_setting():
    assert exercises.check_inert_setting("coupling_weight", quiet=True)
    assert exercises.check_inert_setting("λ", quiet=True)
    for wrong in ("shared_layers", None, 0.01):
        assert not exercises.check_inert_setting(wrong, quiet=True)


def test_check_embedding_only_sharing():
    good = PlaygroundSettings(sharing="hard", shared_layers=0)
    assert exercises.check_embedding_only_sharing(good, quiet=True)
    assert not exercises.check_embedding_only_sharing(PlaygroundSettings(sharing="hard", shared_layers=1), quiet=True)
    assert not exercises.check_embedding_only_sharing(PlaygroundSettings(sharing="none", shared_layers=0), quiet=True)
    assert not exercises.check_embedding_only_sharing("hard", quiet=True)


def test_check_sharing_gain(capsys):
    sweep = playground.playground_sweep((0.0, 0.5, 1.0), ("none", "hard"), PlaygroundSettings(), run=fake_run)
    sweep.loc[(sweep.task == "toy_topic") & (sweep.sharing == "hard"), "value"] -= 0.1  # the auxiliary task's own gain
    both = sweep.pivot_table(index="relatedness", columns="sharing", values="value", aggfunc="mean")
    assert not exercises.check_sharing_gain(both["hard"] - both["none"], sweep, quiet=True)  # diluted by topic
    table = sweep[sweep.task == "toy_sentiment"].pivot_table(index="relatedness", columns="sharing", values="value",
                                                              aggfunc="mean")
    assert exercises.check_sharing_gain(table["hard"] - table["none"], sweep)
    assert "✓" in capsys.readouterr().out
    assert not exercises.check_sharing_gain(table["none"] - table["hard"], sweep)
    assert "Hint" in capsys.readouterr().out
    assert not exercises.check_sharing_gain((table["hard"] - table["none"]).iloc[:2], sweep, quiet=True)
    assert not exercises.check_sharing_gain(None, sweep, quiet=True)
    with pytest.raises(ValueError, match="cross_stitch"):
        exercises.check_sharing_gain(table["hard"] - table["none"], sweep, sharing="cross_stitch")
    with pytest.raises(ValueError, match="not in the sweep"):
        exercises.check_sharing_gain(table["hard"] - table["none"], sweep, task="pos")


def test_check_temperature_share_agrees_with_the_trainer():
    from mtl_helpers.training import task_sampling_probabilities

    sizes = {"toy_sentiment": 60, "toy_topic": 600}
    expected = task_sampling_probabilities(sizes, "temperature", temperature=2.0)["toy_sentiment"]
    assert exercises.check_temperature_share(expected, sizes, "toy_sentiment", 2.0, quiet=True)
    assert not exercises.check_temperature_share(60 / 660, sizes, "toy_sentiment", 2.0, quiet=True)
    assert not exercises.check_temperature_share("a lot", sizes, "toy_sentiment", 2.0, quiet=True)
    with pytest.raises(ValueError, match="not in sizes"):
        exercises.check_temperature_share(0.5, sizes, "pos")


@pytest.mark.parametrize("name,integer", [(n, i) for n, i, _ in playground_settings._PLAYGROUND_NUMBERS])
def test_a_playground_number_of_the_wrong_type_is_a_value_error_naming_the_fix(name, integer):
    for value in ["0.5", True, None] + ([2.5] if integer else []):
        with pytest.raises(ValueError, match=rf"PlaygroundSettings\.{name} must be an? (integer|number).*"
                                             rf"pass e\.g\. {name}="):
            PlaygroundSettings(**{name: value})
    with pytest.raises(ValueError, match="task_weights must be a tuple of numbers"):
        PlaygroundSettings(task_weights=("1", 1.0))


@pytest.mark.parametrize("change,words", [({"units": 0}, "units"), ({"epochs": 0}, "epochs"),
                                          ({"learning_rate": 0.0}, "learning_rate"), ({"seed": -1}, "seed")])
def test_playground_sizes_out_of_range_name_the_problem(change, words):
    with pytest.raises(ValueError, match=words):
        PlaygroundSettings(**change).validate()


# ----------------------------------------------------------------------------- the room app's query string
def test_apply_query_retrains_only_for_other_settings() -> None:
    calls: list[PlaygroundSettings] = []

    def counting_run(settings: PlaygroundSettings) -> pd.DataFrame:
        calls.append(settings)
        return fake_run(settings)

    ui = playground_ui.build_playground(PlaygroundSettings(), run=counting_run)
    trained = len(calls)
    assert not playground_ui.apply_query(ui, "")
    assert not playground_ui.apply_query(ui, PlaygroundSettings().to_query())  # what it shows: no retrain
    assert len(calls) == trained
    assert playground_ui.apply_query(ui, "relatedness=0&seeds=2")
    assert ui.controls["relatedness"].value == 0 and ui.controls["seeds"].value == 2
    assert len(calls) > trained and ui.last.settings.relatedness == 0


def test_apply_query_reports_a_bad_string_in_the_status_line() -> None:
    ui = playground_ui.build_playground(PlaygroundSettings(), run=fake_run)
    first = ui.last
    assert not playground_ui.apply_query(ui, "relatedness=2")
    assert "cannot read the settings" in ui.status.value and "relatedness" in ui.status.value
    assert ui.last is first


def test_voila_query_outside_voila_is_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "seeds=2")
    assert playground_ui.voila_query() == "seeds=2"
    monkeypatch.delenv("QUERY_STRING")
    assert playground_ui.voila_query() == ""
