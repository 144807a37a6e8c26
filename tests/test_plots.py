"""mtl_helpers.plots: every figure of the series draws what it is given (one bar, line or panel per item) and
rejects malformed input with a ValueError."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mtl_helpers import data, models, plots


@pytest.fixture(scope="module")
def toy_tasks():
    return data.load_tasks(["toy_topic", "toy_ner", "toy_translate"], toy_size=60)


def test_label_distribution_skips_unlabelled_tasks(toy_tasks):
    figure = plots.label_distribution(toy_tasks)
    assert isinstance(figure, Figure)
    visible = [a for a in figure.axes if a.get_visible()]
    assert [a.get_title().split(" ")[0] for a in visible] == ["toy_topic", "toy_ner"]
    shares = [p.get_width() for p in visible[0].patches]
    assert sum(shares) == pytest.approx(1.0)


def test_label_distribution_rejects_tasks_without_labels(toy_tasks):
    with pytest.raises(ValueError, match="labels"):
        plots.label_distribution({"toy_translate": toy_tasks["toy_translate"]})
    with pytest.raises(ValueError, match="split"):
        plots.label_distribution(toy_tasks, split="validation")


def test_length_histograms_mark_mean_and_max(toy_tasks):
    figure = plots.length_histograms(toy_tasks, split="dev")
    lengths = [len(s) for s in toy_tasks["toy_topic"].dev.tokens]
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == [f"mean {sum(lengths) / len(lengths):.1f}", f"max {max(lengths)}"]


def test_padding_waste_curves_draws_two_lines_per_task():
    lengths = {"short": [3, 5, 4, 9, 2, 7] * 10, "long": [30, 2, 45, 6, 12, 70] * 10}
    frame = pd.DataFrame([{"task": t, "batch_size": b, "bucket": bucket,
                           "waste": data.padding_waste(ls, b, bucket)}
                          for t, ls in lengths.items() for b in (4, 8, 16) for bucket in (False, True)])
    figure = plots.padding_waste_curves(frame)
    assert len(figure.axes[0].lines) == 4
    with pytest.raises(ValueError, match="waste"):
        plots.padding_waste_curves(frame.drop(columns="waste"))


def test_grouped_bars_one_bar_per_cell():
    frame = pd.DataFrame({"task": ["a", "a", "b", "b"], "setup": ["single", "hard"] * 2, "accuracy": [.5, .6, .7, .8]})
    figure = plots.grouped_bars(frame, x="task", y="accuracy", hue="setup")
    heights = sorted(p.get_height() for p in figure.axes[0].patches)
    assert heights == pytest.approx([.5, .6, .7, .8])
    with pytest.raises(ValueError, match="columns"):
        plots.grouped_bars(frame, x="task", y="f1", hue="setup")


def _specs():
    return [models.TaskSpec("a", "tagging", 3), models.TaskSpec("b", "classification", 2)]


def test_score_comparison_one_bar_per_task_and_model():
    scores = pd.DataFrame({"task": ["pos", "pos", "chunk", "chunk"], "model": ["single", "hard"] * 2,
                           "value": [0.9, 0.92, 0.8, float("nan")]})
    figure = plots.score_comparison(scores, title="t")
    assert isinstance(figure, Figure)
    assert len(figure.axes[0].patches) == 4
    with pytest.raises(ValueError, match="model"):
        plots.score_comparison(scores.drop(columns="model"))


def test_lambda_sweep_figure_marks_the_selected_lambda():
    sweep = pd.DataFrame({"coupling_weight": [0.0, 0.0, 1.0, 1.0], "task": ["a", "b", "a", "b"],
                          "metric": ["f1", "accuracy"] * 2, "value": [0.5, 0.6, 0.55, 0.65],
                          "distance": [10.0, 10.0, 1.0, 1.0]})
    figure = plots.lambda_sweep_figure(sweep, selected=1.0)
    left, right = figure.axes[:2]
    assert list(left.lines[0].get_ydata()) == [10.0, 1.0]
    assert len(right.lines) == 2 + 1  # one line per task + the marker line
    with pytest.raises(ValueError, match="distance"):
        plots.lambda_sweep_figure(sweep.drop(columns="distance"))


def test_cross_stitch_heatmaps_one_panel_per_unit():
    encoder = models.EncoderConfig(vocab_size=20, embedding_dim=8, hidden_units=4, num_layers=2)
    model = models.build_model(_specs(), encoder, sharing="cross_stitch")
    model({"tokens": np.ones((1, 3), "int32")})
    figure = plots.cross_stitch_heatmaps(model)
    images = [axis for axis in figure.axes if axis.images]
    assert len(images) == len(model.coupling_variables()) == 2
    with pytest.raises(ValueError, match="cross_stitch"):
        plots.cross_stitch_heatmaps(models.build_model(_specs(), encoder, sharing="hard"))


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
