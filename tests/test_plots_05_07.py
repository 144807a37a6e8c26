"""The figures of notebooks 05-07: each returns a Figure with the expected content; bad input → ValueError."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mtl_helpers import plots


def test_sampling_probabilities_one_bar_per_task_and_strategy():
    table = pd.DataFrame({"strategy": ["uniform"] * 2 + ["proportional"] * 2, "task": ["a", "b"] * 2,
                          "probability": [0.5, 0.5, 0.8, 0.2]})
    figure = plots.sampling_probabilities(table)
    assert isinstance(figure, Figure)
    assert len(figure.axes[0].patches) == 4
    with pytest.raises(ValueError, match="probability"):
        plots.sampling_probabilities(table.drop(columns="probability"))


def test_task_schedule_running_share_ends_at_the_overall_share():
    draws = ["a", "b", "a", "a"]
    figure = plots.task_schedule(draws, {"a": 0.75, "b": 0.25})
    lines = {line.get_label(): line for line in figure.axes[0].get_lines() if not line.get_label().startswith("_")}
    assert lines["a"].get_ydata()[-1] == pytest.approx(0.75)
    assert lines["b"].get_ydata()[-1] == pytest.approx(0.25)
    with pytest.raises(ValueError):
        plots.task_schedule([])


def test_weight_trajectories_one_panel_per_run():
    weights = pd.DataFrame({"step": [1, 2], "epoch": [1, 1], "a": [1.0, 1.2], "b": [1.0, 0.8]})
    figure = plots.weight_trajectories({"static": weights, "dwa": weights})
    assert len(figure.axes) == 2
    assert len(figure.axes[0].get_lines()) == 2  # one line per task, step/epoch are not tasks
    with pytest.raises(ValueError):
        plots.weight_trajectories({})


def test_cosine_heatmap_and_confusion_need_square_tables():
    cosine = pd.DataFrame([[1.0, -0.2], [-0.2, 1.0]], index=["a", "b"], columns=["a", "b"])
    assert isinstance(plots.cosine_heatmap(cosine), Figure)
    confusion = pd.DataFrame([[3, 1], [0, 2]], index=["x", "y"], columns=["x", "y"])
    figure = plots.confusion_heatmap(confusion)
    image = figure.axes[0].get_images()[0].get_array()
    assert np.allclose(image.sum(axis=1), 1.0)  # rows normalised
    with pytest.raises(ValueError):
        plots.cosine_heatmap(np.ones((2, 3)))
    with pytest.raises(ValueError):
        plots.confusion_heatmap(np.ones(3))


def test_gradient_arrows_checks_dimensions():
    assert isinstance(plots.gradient_arrows({"g1": (1, 0), "g2": (-1, 0.5)}), Figure)
    with pytest.raises(ValueError, match="2-D"):
        plots.gradient_arrows({"g": (1, 2, 3)})


def test_loss_curves_and_metric_by_epoch():
    history = pd.DataFrame({"step": [1, 1, 2, 2], "task": ["a", "b"] * 2, "loss": [2.0, 4.0, 1.0, 3.0]})
    figure = plots.loss_curves({"run": history}, window=1)
    assert list(figure.axes[0].get_lines()[0].get_ydata()) == [3.0, 2.0]  # mean over the tasks of a step
    with pytest.raises(ValueError):
        plots.loss_curves({"run": history}, window=0)
    dev = pd.DataFrame({"epoch": [1, 2], "task": ["a", "a"], "metric": ["f1", "f1"], "value": [0.1, 0.3]})
    figure = plots.metric_by_epoch({"run": dev}, task="a", metric="f1")
    assert list(figure.axes[0].get_lines()[0].get_ydata()) == [0.1, 0.3]


def test_score_curves_and_interval_plot_accept_missing_intervals():
    summary = pd.DataFrame({"setup": ["x", "x", "y", "y"], "fraction": [0.1, 1.0] * 2, "mean": [0.2, 0.5, 0.3, 0.6],
                            "ci_low": [np.nan] * 4, "ci_high": [np.nan] * 4})
    figure = plots.score_curves(summary, x="fraction", hue="setup", log_x=True)
    assert isinstance(figure, Figure) and figure.axes[0].get_legend().get_title().get_text() == "setup"
    assert isinstance(plots.interval_plot(summary.head(2), label="fraction"), Figure)
    with pytest.raises(ValueError):
        plots.score_curves(summary.drop(columns="mean"), x="fraction", hue="setup")


def test_transition_heatmap_is_symmetric_around_zero_and_needs_a_square_table():
    labels = ["O", "B-NP", "I-NP"]
    table = pd.DataFrame([[0.5, 0.2, -2.0], [0.1, 0.0, 1.0], [0.3, 0.1, 0.8]], index=labels, columns=labels)
    figure = plots.transition_heatmap(table)
    image = figure.axes[0].images[0]
    assert image.get_clim() == (-2.0, 2.0)
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == labels
    with pytest.raises(ValueError, match="square"):
        plots.transition_heatmap(np.zeros((2, 3)))
