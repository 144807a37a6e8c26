"""Checkers of notebook 03 (shared layers): the right answers pass, the usual wrong ones fail and say why."""
import keras
import numpy as np
import pytest

from mtl_helpers import exercises, models


def _tagger(vocab_size, tags_per_task, embedding_dim=32, units=32, *, mask=True, shared=True, sequences=True,
            named=True):
    """A hard-shared tagger as the exercise asks for it, or with one of the usual mistakes switched on."""
    tokens = keras.Input(shape=(None,), dtype="int32")

    def encoder():
        return (keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=mask),
                keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=sequences)))

    embedding, bilstm = encoder()
    heads = {}
    for name, k in tags_per_task.items():
        if not shared:
            embedding, bilstm = encoder()
        heads[name] = keras.layers.Dense(k, activation="softmax", name=name if named else None)(bilstm(embedding(tokens)))
    return keras.Model(tokens, heads if named else list(heads.values()))


def _broken(vocab_size, tags_per_task, embedding_dim=32, units=32):
    """The Dense(num_tasks, softmax) mistake of the notebook's last section."""
    tokens = keras.Input(shape=(None,), dtype="int32")
    states = keras.layers.Bidirectional(keras.layers.LSTM(units))(keras.layers.Embedding(vocab_size, embedding_dim,
                                                                                         mask_zero=True)(tokens))
    return keras.Model(tokens, keras.layers.Dense(len(tags_per_task), activation="softmax")(states))


def test_hard_shared_model_right(capsys):
    assert exercises.check_hard_shared_model(_tagger)
    assert "✓ Exercise 3.2" in capsys.readouterr().out


def test_hard_shared_model_placeholder_gives_no_hint(capsys):
    def build_hard_shared(vocab_size, tags_per_task, embedding_dim=32, units=32):
        return None

    assert not exercises.check_hard_shared_model(build_hard_shared)
    out = capsys.readouterr().out
    assert "not attempted yet" in out and "Hint" not in out


@pytest.mark.parametrize("build, says", [
    (lambda *a, **k: _tagger(*a, **k, shared=False), "embedding matrices"),
    (lambda *a, **k: _tagger(*a, **k, mask=False), "mask_zero=True"),
    (lambda *a, **k: _tagger(*a, **k, sequences=False), "return_sequences=True"),
    (lambda *a, **k: _tagger(*a, **k, named=False), "one output per task"),
    (_broken, "one output per task"),
    (lambda *a, **k: "a model", "returned a str"),
], ids=["two encoders", "padding not masked", "one vector per sentence", "unnamed outputs", "Dense(num_tasks)",
        "not a model"])
def test_hard_shared_model_wrong(build, says, capsys):
    assert not exercises.check_hard_shared_model(build)
    assert says in capsys.readouterr().out


def test_hard_shared_model_wrong_parameter_count(capsys):
    def with_extra_layer(vocab_size, tags_per_task, embedding_dim=32, units=32):
        tokens = keras.Input(shape=(None,), dtype="int32")
        states = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=True)(tokens)
        states = keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=True))(states)
        states = keras.layers.Dense(2 * units)(states)
        return keras.Model(tokens, {name: keras.layers.Dense(k, name=name)(states) for name, k in tags_per_task.items()})

    assert not exercises.check_hard_shared_model(with_extra_layer)
    assert "build_model's has" in capsys.readouterr().out


def test_hard_shared_model_bad_input():
    with pytest.raises(ValueError, match="the function itself"):
        exercises.check_hard_shared_model(_tagger(50, {"pos": 7}), quiet=True)


@pytest.fixture(scope="module")
def encoder():
    return models.EncoderConfig(vocab_size=30, embedding_dim=8, hidden_units=4, num_layers=2)


def _model(encoder, chunk=None, pos=None):
    return models.build_model([models.TaskSpec("chunk", "tagging", 3, read_layer=chunk),
                               models.TaskSpec("pos", "tagging", 4, read_layer=pos)], encoder, sharing="hard")


def test_read_layers_right(encoder):
    assert exercises.check_read_layers({"chunk": 1, "pos": 2}, _model(encoder, chunk=1), quiet=True)
    assert exercises.check_read_layers({"chunk": 1, "pos": 2}, _model(encoder, chunk=1, pos=2), quiet=True)


def test_read_layers_wrong_answer_for_the_right_model(encoder):
    model = _model(encoder, chunk=1)
    assert not exercises.check_read_layers({"chunk": 1, "pos": None}, model, quiet=True)
    assert not exercises.check_read_layers({"chunk": 2, "pos": 1}, model, quiet=True)
    assert not exercises.check_read_layers({"chunk": 1}, model, quiet=True)


def test_read_layers_unreversed_model(encoder, capsys):
    """Søgaard & Goldberg's order with its own correct reading: today's checker accepted it."""
    assert not exercises.check_read_layers({"chunk": 2, "pos": 1}, _model(encoder, pos=1))
    assert "Søgaard & Goldberg's order" in capsys.readouterr().out


def test_read_layers_both_at_top(encoder, capsys):
    assert not exercises.check_read_layers({"chunk": 2, "pos": 2}, _model(encoder))
    assert "both heads" in capsys.readouterr().out


def test_read_layers_one_layer_encoder(capsys):
    one = models.EncoderConfig(vocab_size=30, embedding_dim=8, hidden_units=4, num_layers=1)
    assert not exercises.check_read_layers({"chunk": 1, "pos": 1}, _model(one, chunk=1))
    assert "no lower layer" in capsys.readouterr().out


def test_read_layers_bad_input(encoder, capsys):
    assert not exercises.check_read_layers({}, None)
    assert "not attempted yet" in capsys.readouterr().out
    with pytest.raises(ValueError, match="build_model"):
        exercises.check_read_layers({"chunk": 1, "pos": 2}, None, quiet=True)
    with pytest.raises(ValueError, match="'pos'"):
        exercises.check_read_layers({"chunk": 1}, models.build_model([models.TaskSpec("chunk", "tagging", 3)], encoder),
                                    quiet=True)


@pytest.fixture(scope="module")
def parameter_encoder():
    return models.EncoderConfig(vocab_size=30, embedding_dim=8, hidden_units=4, num_layers=2)


def _built_hard(model):
    model({"tokens": np.array([[5, 6, 0]], "int32")})
    return model


def test_task_parameters(parameter_encoder):
    model = _built_hard(models.build_model([models.TaskSpec("a", "tagging", 3), models.TaskSpec("b", "classification", 2)],
                                      parameter_encoder, sharing="hard"))
    head_b = (2 * parameter_encoder.hidden_units) * 2 + 2  # dense on the top BiLSTM states
    assert exercises.check_task_parameters(head_b, model, "b", quiet=True)
    assert not exercises.check_task_parameters(model.count_params(), model, "b", quiet=True)
