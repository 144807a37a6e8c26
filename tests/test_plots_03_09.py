"""Figures of notebooks 03, 04 and 09: they draw what they are given and reject malformed input."""
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mtl_helpers import models, plots


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
