"""Checkers of notebooks 02 (the θ formulation) and 07 (language models): right answers pass, the usual
wrong ones fail, placeholders print no hint."""
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from mtl_helpers import exercises, models, widgets

V, E, U = 5_000, 50, 40  # exercise 2.1


def lstm(d: int, units: int) -> int:
    return 4 * units * (d + units) + 4 * units


def test_shared_parameter_count_split_and_standard_stacking():
    split = V * E + 2 * lstm(E, U) + 2 * lstm(U, U)
    standard = V * E + 2 * lstm(E, U) + 2 * lstm(2 * U, U)
    assert (split, standard) == (305_040, 317_840)
    assert exercises.check_shared_parameter_count(split, V, E, U, 2, quiet=True)
    assert exercises.check_shared_parameter_count(standard, V, E, U, 2, stacking="standard", quiet=True)
    assert not exercises.check_shared_parameter_count(standard, V, E, U, 2, stacking="split", quiet=True)
    assert not exercises.check_shared_parameter_count(split, V, E, U, 2, stacking="standard", quiet=True)
    with pytest.raises(ValueError, match="standard"):
        exercises.check_shared_parameter_count(split, V, E, U, 2, stacking="keras", quiet=True)


@pytest.mark.parametrize("stacking", exercises.STACKINGS)
def test_shared_parameter_count_rejects_the_usual_slips(stacking, capsys):
    layer2_input = U if stacking == "split" else 2 * U
    right = V * E + 2 * lstm(E, U) + 2 * lstm(layer2_input, U)
    slips = {right - 2 * 2 * 4 * U: "biases are missing",
             V * E + lstm(E, U) + lstm(layer2_input, U): "one direction only",
             right + V * E: "embedding is counted twice",
             right - V * E: "embedding (V·E) is missing"}
    for wrong, named in slips.items():
        assert not exercises.check_shared_parameter_count(wrong, V, E, U, 2, stacking=stacking)
        assert named in capsys.readouterr().out


def test_shared_parameter_count_matches_built_models():
    specs = [models.TaskSpec("a", "classification", 2), models.TaskSpec("b", "tagging", 5)]
    model = models.build_model(specs, models.EncoderConfig(300, embedding_dim=16, hidden_units=8, num_layers=3),
                               sharing="hard", shared_layers=2)
    shared = int(sum(np.prod(v.shape) for v in model.shared_variables()))
    assert exercises.check_shared_parameter_count(shared, 300, 16, 8, 2, quiet=True)
    assert not exercises.check_shared_parameter_count(shared - 300 * 16, 300, 16, 8, 2, quiet=True)
    standard = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(300, 16),
                                 keras.layers.Bidirectional(keras.layers.LSTM(8, return_sequences=True)),
                                 keras.layers.Bidirectional(keras.layers.LSTM(8, return_sequences=True))])
    assert exercises.check_shared_parameter_count(standard.count_params(), 300, 16, 8, 2, stacking="standard",
                                                  quiet=True)
    counts = widgets.parameter_counts(2, num_layers=2, shared_layers=1, embedding_dim=8, hidden_units=4,
                                      vocab_size=100).set_index("setup")
    assert exercises.check_shared_parameter_count(int(counts.loc["hard sharing", "shared"]), 100, 8, 4, 1, quiet=True)


def _loss(model, task, batch):
    inputs, targets, sample_weight = batch
    token_losses = keras.losses.sparse_categorical_crossentropy(targets, model.task_call(inputs, task),
                                                                from_logits=True)
    return tf.reduce_sum(token_losses * sample_weight) / tf.reduce_sum(sample_weight)


def shared_gradient(model, batches, task_weights):
    with tf.GradientTape() as tape:
        total = sum(task_weights[t] * _loss(model, t, batch) for t, batch in batches.items())
    return tape.gradient(total, model.shared_variables())


def test_shared_gradient_right_and_per_task_sum(capsys):
    assert exercises.check_shared_gradient(shared_gradient)
    assert "✓ Exercise 2.3" in capsys.readouterr().out

    def per_task_sum(model, batches, task_weights):  # Σ_t w_t ∇L_t, one tape per task: the same gradient
        grads = {}
        for t, batch in batches.items():
            with tf.GradientTape() as tape:
                loss = _loss(model, t, batch)
            grads[t] = [tf.convert_to_tensor(g) for g in tape.gradient(loss, model.shared_variables())]
        return [sum(task_weights[t] * grads[t][k] for t in grads) for k in range(len(model.shared_variables()))]

    assert exercises.check_shared_gradient(per_task_sum, quiet=True)


@pytest.mark.parametrize("wrong, named", [
    (lambda m, b, w: shared_gradient(m, b, {t: 1.0 for t in w}), "UNWEIGHTED"),
    (lambda m, b, w: shared_gradient(m, {"a": b["a"]}, w), "task a's alone"),
    (lambda m, b, w: shared_gradient(m, b, w)[:-1], "θ_sh has"),
    (lambda m, b, w: [tf.reshape(tf.convert_to_tensor(g), [-1]) for g in shared_gradient(m, b, w)], "shape"),
    (lambda m, b, w: [2 * tf.convert_to_tensor(g) for g in shared_gradient(m, b, w)], "differ most"),
])
def test_shared_gradient_says_what_differs(wrong, named, capsys):
    assert not exercises.check_shared_gradient(wrong)
    assert named in capsys.readouterr().out


def test_placeholders_print_no_hint(capsys):
    assert not exercises.check_shared_gradient(lambda model, batches, task_weights: None)
    assert not exercises.check_next_word_loss(lambda ids, logits: None)
    assert not exercises.check_shared_parameter_count(None, V, E, U, 2)
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 3 and "Hint" not in out
    with pytest.raises(ValueError, match="function"):
        exercises.check_shared_gradient(3.0)


def test_perplexity_checkers(capsys):
    assert exercises.check_perplexity(math.exp(2.0), 20.0, 10, quiet=True)
    assert not exercises.check_perplexity(math.exp(20.0), 20.0, 10, quiet=True)
    with pytest.raises(ValueError):
        exercises.check_perplexity(1.0, 1.0, 0)
    assert exercises.check_uniform_perplexity(4004, 4004, quiet=True)
    assert exercises.check_uniform_perplexity(math.exp(math.log(4004)), 4004, quiet=True)
    assert not exercises.check_uniform_perplexity(math.log(4004), 4004, quiet=True)
    assert not exercises.check_uniform_perplexity(4003, 4004, quiet=True)
    assert not exercises.check_uniform_perplexity(4000, 4004)  # the special tokens left out
    assert "special tokens" in capsys.readouterr().out


def _lm_ner_model():
    vocab_size = 4 + 30
    specs = [models.TaskSpec("lm", "lm", vocab_size), models.TaskSpec("ner", "tagging", 5)]
    model = models.build_model(specs, models.EncoderConfig(vocab_size=vocab_size, embedding_dim=8, hidden_units=8,
                                                           num_layers=1), sharing="hard")
    for variable in model.shared_variables():
        variable.trainable = False
    return model


def test_trained_when_frozen_is_what_gets_a_gradient(capsys):
    model = _lm_ner_model()
    rng = np.random.default_rng(0)
    tokens = rng.integers(4, 34, size=(4, 6)).astype("int32")
    batch = ({"tokens": tokens}, rng.integers(0, 5, size=(4, 6)).astype("int32"), np.ones((4, 6), "float32"))
    with tf.GradientTape() as tape:
        loss = _loss(model, "ner", batch)
    grads = tape.gradient(loss, model.trainable_variables)
    trained = sum(int(np.prod(v.shape)) for v, g in zip(model.trainable_variables, grads) if g is not None)
    trainable = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
    assert trained == 2 * 8 * 5 + 5 < trainable  # the NER head only ([forward | backward] → 5 tags); the lm head is trainable but untouched
    assert exercises.check_trainable_when_frozen(trained, model, tasks=["ner"], quiet=True)
    assert not exercises.check_trainable_when_frozen(trainable, model, tasks=["ner"])
    assert "trainable is not trained" in capsys.readouterr().out
    assert not exercises.check_trainable_when_frozen(model.count_params(), model, tasks=["ner"], quiet=True)
    assert exercises.check_trainable_when_frozen(trainable, model, tasks=["lm", "ner"], quiet=True)
    with pytest.raises(ValueError, match="ner_es"):
        exercises.check_trainable_when_frozen(trained, model, tasks="ner", quiet=True)
    with pytest.raises(ValueError, match="task names"):
        exercises.check_trainable_when_frozen(trained, model, tasks=["pos"], quiet=True)


def next_word_loss(ids, logits):
    targets = ids[:, 1:]
    weights = tf.cast(targets != 0, logits.dtype)
    token_nll = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    return tf.reduce_sum(token_nll * weights) / tf.reduce_sum(weights)


def test_next_word_loss_right_and_equal_to_the_trainer():
    assert exercises.check_next_word_loss(next_word_loss, quiet=True)
    assert exercises.check_next_word_loss(exercises.next_word_loss_reference, quiet=True)
    # the reference is the trainer's loss on data.make_dataset's batches: input [BOS]+w, target w+[EOS]
    from mtl_helpers import training

    model = _lm_ner_model()
    ids = np.array([[2, 5, 6, 7, 3], [2, 8, 3, 0, 0]], dtype="int32")
    inputs = {"tokens": np.where(ids[:, :-1] == 3, 0, ids[:, :-1]).astype("int32")}
    targets, weights = ids[:, 1:], (ids[:, 1:] != 0).astype("float32")
    total, count = training._loss_sums(model, "lm", (inputs, targets, weights), training=False)
    logits = model.task_call(inputs, "lm")
    assert np.isclose(float(total / count), float(exercises.next_word_loss_reference(ids, logits)), rtol=1e-6)


@pytest.mark.parametrize("wrong, named", [
    (lambda ids, lg: tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(ids[:, 1:], lg, from_logits=True)),
     "padding positions"),
    (lambda ids, lg: next_word_loss(ids, lg) * tf.reduce_sum(tf.cast(ids[:, 1:] != 0, "float32")), "SUM"),
    (lambda ids, lg: next_word_loss(tf.concat([ids[:, :1], ids[:, :-1]], axis=1), lg), "not shifted"),
    (lambda ids, lg: float(next_word_loss(ids, lg)), "no gradient"),
    (lambda ids, lg: 0.5 * next_word_loss(ids, lg) + 0.5 * tf.stop_gradient(next_word_loss(ids, lg)), "gradient differs"),
    (lambda ids, lg: keras.losses.sparse_categorical_crossentropy(ids[:, 1:], lg, from_logits=True), "one number"),
])
def test_next_word_loss_says_what_differs(wrong, named, capsys):
    assert not exercises.check_next_word_loss(wrong)
    assert named in capsys.readouterr().out
