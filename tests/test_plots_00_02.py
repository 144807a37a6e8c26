"""Figures of notebooks 00-02 and the parameter-count logic of the notebook-02 widget."""
import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from matplotlib.figure import Figure

from mtl_helpers import data, plots, widgets


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


@pytest.mark.parametrize("arguments", [
    dict(num_tasks=3, num_layers=2, shared_layers=1, embedding_dim=16, hidden_units=8, vocab_size=300, num_classes=3),
    dict(num_tasks=2, num_layers=3, shared_layers=0, embedding_dim=8, hidden_units=12, vocab_size=200, num_classes=5),
    dict(num_tasks=1, num_layers=1, shared_layers=1, embedding_dim=8, hidden_units=4, vocab_size=100, num_classes=2),
])
def test_parameter_formulas_match_built_keras_models(arguments):
    formula = widgets.parameter_counts(**arguments)
    built = widgets.parameter_counts_from_models(**arguments)
    pd.testing.assert_frame_equal(formula, built)


def test_hard_sharing_saves_t_minus_one_copies_of_theta_shared():
    counts = widgets.parameter_counts(4, num_layers=2, shared_layers=2, embedding_dim=32, hidden_units=16,
                                      vocab_size=1000).set_index("setup")
    hard = counts.loc["hard sharing"]
    assert hard["saving"] == (4 - 1) * hard["shared"]
    assert counts.loc["soft sharing", "total"] == counts.loc["single-task (T models)", "total"]


def test_parameter_counts_rejects_bad_depths():
    with pytest.raises(ValueError, match="shared_layers"):
        widgets.parameter_counts(2, num_layers=2, shared_layers=3)
    with pytest.raises(ValueError, match="num_tasks"):
        widgets.parameter_counts(0)


def test_parameter_count_widget_builds_and_figure_stacks():
    import ipywidgets

    ui = widgets.parameter_count_widget(num_tasks=2, vocab_size=2000)
    assert isinstance(ui, ipywidgets.VBox)
    sliders = ui.children[0].children
    depth, shared = sliders[1], sliders[2]
    depth.value = 1
    assert shared.max == 1 and shared.value <= 1
    figure = widgets.parameter_count_figure(widgets.parameter_counts(2, vocab_size=2000))
    assert len(figure.axes[0].patches) == 6
