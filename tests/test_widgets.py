"""mtl_helpers.widgets: the pure logic behind the widgets of notebooks 02-04 (tiny models on the toy language) and
the widgets themselves, built without a browser."""
import numpy as np
import pytest

from mtl_helpers import data, experiments, models, training, widgets


@pytest.fixture(scope="module")
def toy():
    tasks = data.load_tasks(["toy_ner", "toy_topic"], toy_size=60)
    vocab = data.Vocabulary.from_tasks(tasks)
    return tasks, vocab, models.EncoderConfig(vocab_size=len(vocab), embedding_dim=8, hidden_units=4, num_layers=1)


def test_tokenize_treebank_conventions():
    assert widgets.tokenize("I don't like it.") == ["I", "do", "n't", "like", "it", "."]
    with pytest.raises(ValueError, match="string"):
        widgets.tokenize(["a"])


def test_predict_all_heads_one_row_per_token_and_per_sentence(toy):
    tasks, vocab, encoder = toy
    model = models.build_model([models.TaskSpec.from_task(t, vocab) for t in tasks.values()], encoder)
    sentence = " ".join(tasks["toy_ner"].test.tokens[0])
    table = widgets.predict_all_heads(model, vocab, tasks, sentence)
    n = len(widgets.tokenize(sentence))
    assert (table["head"] == "toy_ner").sum() == n and (table["head"] == "toy_topic").sum() == 1
    assert set(table.loc[table["head"] == "toy_ner", "prediction"]) <= set(tasks["toy_ner"].labels)
    assert table.loc[table["head"] == "toy_topic", "prediction"].iloc[0] in tasks["toy_topic"].labels
    wide = widgets.heads_side_by_side(table)
    assert len(wide) == n + 1 and "toy_ner" in wide.columns
    with pytest.raises(ValueError, match="empty"):
        widgets.predict_all_heads(model, vocab, tasks, "   ")
    with pytest.raises(ValueError, match="not in this model"):
        widgets.predict_all_heads(model, vocab, {"pos": tasks["toy_ner"]}, sentence)


def test_lambda_sweep_pulls_towers_together(toy):
    tasks, vocab, encoder = toy
    config = training.TrainConfig(epochs=1, steps_per_epoch=3, batch_size=16, progress=False, learning_rate=1e-2)
    sweep = experiments.lambda_sweep(tasks, vocab, encoder, [0.0, 10.0], config)
    assert list(sweep.columns) == ["coupling_weight", "task", "metric", "value", "distance", "penalty"]
    assert len(sweep) == 4 and set(sweep["metric"]) == {"f1", "accuracy"}
    distance = sweep.groupby("coupling_weight")["distance"].first()
    assert distance[10.0] < distance[0.0]
    assert (sweep.loc[sweep.coupling_weight == 0.0, "penalty"] == 0).all()
    with pytest.raises(ValueError, match="lambdas"):
        experiments.lambda_sweep(tasks, vocab, encoder, [-1.0], config)


def test_uis_build(toy):
    tasks, vocab, encoder = toy
    model = models.build_model([models.TaskSpec.from_task(t, vocab) for t in tasks.values()], encoder)
    box = widgets.sentence_box([(model, vocab, tasks)], example=" ".join(tasks["toy_ner"].test.tokens[0]))
    assert len(box.children) == 2
    import pandas as pd
    sweep = pd.DataFrame({"coupling_weight": [0.0, 1.0], "task": ["a", "a"], "metric": ["f1"] * 2,
                          "value": [0.1, 0.2], "distance": [3.0, 1.0], "penalty": [0.0, 1.0]})
    slider = widgets.lambda_slider(sweep)
    assert slider.children[0].options == (("0", 0.0), ("1", 1.0))
    assert np.isclose(slider.children[0].value, 0.0)


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
