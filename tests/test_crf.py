"""The CRF's likelihood and Viterbi path against brute-force enumeration of every tag sequence."""
import itertools

import numpy as np
import pytest
import tensorflow as tf

from mtl_helpers import crf


def _score(emissions, tags, transitions, start, end):
    s = start[tags[0]] + end[tags[-1]] + sum(emissions[t, y] for t, y in enumerate(tags))
    return s + sum(transitions[a, b] for a, b in zip(tags, tags[1:]))


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    classes, length = 3, 4
    return (rng.normal(size=(2, length, classes)), rng.normal(size=(classes, classes)),
            rng.normal(size=classes), rng.normal(size=classes), np.array([4, 2]))


def test_nll_matches_enumeration(problem):
    emissions, transitions, start, end, lengths = problem
    tags = np.array([[0, 2, 1, 1], [2, 0, 0, 0]])
    mask = np.arange(4)[None] < lengths[:, None]
    nll = crf.sequence_nll(tf.constant(emissions, tf.float32), tags, mask, transitions, start, end).numpy()
    for b, n in enumerate(lengths):
        scores = [_score(emissions[b, :n], path, transitions, start, end)
                  for path in itertools.product(range(3), repeat=n)]
        expected = np.log(np.sum(np.exp(scores))) - _score(emissions[b, :n], tags[b, :n], transitions, start, end)
        assert nll[b] == pytest.approx(expected, rel=1e-4)


def test_nll_of_one_token_sentence():
    emissions = np.array([[[1.0, 2.0]]])
    nll = crf.sequence_nll(tf.constant(emissions, tf.float32), np.array([[1]]), np.array([[1]]),
                           np.zeros((2, 2)), np.zeros(2), np.zeros(2)).numpy()
    assert nll[0] == pytest.approx(np.log(np.exp(1) + np.exp(2)) - 2, rel=1e-5)


def test_nll_has_gradients_for_transitions(problem):
    emissions, transitions, start, end, lengths = problem
    variable = tf.Variable(transitions, dtype=tf.float32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(crf.sequence_nll(tf.constant(emissions, tf.float32), np.zeros((2, 4), int),
                                              np.arange(4)[None] < lengths[:, None], variable, start, end))
    assert np.abs(tape.gradient(loss, variable).numpy()).sum() > 0


def test_viterbi_matches_enumeration(problem):
    emissions, transitions, start, end, lengths = problem
    paths = crf.viterbi(emissions, lengths, transitions, start, end)
    for b, n in enumerate(lengths):
        best = max(itertools.product(range(3), repeat=n),
                   key=lambda p: _score(emissions[b, :n], p, transitions, start, end))
        assert paths[b].tolist() == list(best)


def test_viterbi_without_transitions_is_argmax(problem):
    emissions, *_, lengths = problem
    paths = crf.viterbi(emissions, lengths)
    assert [p.tolist() for p in paths] == [emissions[b, :n].argmax(-1).tolist() for b, n in enumerate(lengths)]


def test_bio_constraints_repair_an_inside_tag_after_o():
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    allowed, allowed_start = crf.bio_allowed(labels)
    assert not allowed[0, 2] and allowed[1, 2] and allowed[2, 2] and not allowed[3, 2] and not allowed_start[4]
    log_probs = np.log(np.array([[[0.9, 0.02, 0.02, 0.03, 0.03],      # O
                                  [0.1, 0.3, 0.35, 0.1, 0.15],         # argmax I-PER after O: invalid
                                  [0.1, 0.1, 0.6, 0.1, 0.1]]]))        # I-PER
    assert log_probs[0].argmax(-1).tolist() == [0, 2, 2]
    assert crf.viterbi(log_probs, [3], allowed=(allowed, allowed_start))[0].tolist() == [0, 1, 2]


def test_is_bio():
    assert crf.is_bio(["O", "B-NP", "I-NP"])
    assert not crf.is_bio(["NN", "VB"]) and not crf.is_bio(["O", "I-NP"])


def test_viterbi_rejects_bad_lengths(problem):
    emissions, *_ = problem
    with pytest.raises(ValueError, match="lengths"):
        crf.viterbi(emissions, [5, 2])


# ------------------------------------------------------------------------------------ in models and training
from mtl_helpers import data, models, training  # noqa: E402


@pytest.fixture(scope="module")
def toy_ner():
    tasks = {"toy_ner": data.load_task("toy_ner", toy_size=300)}
    return tasks, data.Vocabulary.from_tasks(tasks)


def _model(tasks, vocab, use_crf, seed=0):
    spec = models.TaskSpec.from_task(tasks["toy_ner"], vocab, crf=use_crf)
    encoder = models.EncoderConfig(len(vocab), embedding_dim=16, hidden_units=16, num_layers=1)
    return models.build_single_task(spec, encoder, seed=seed)


def _valid_bio(tags):
    return all(not tag.startswith("I-") or prev[2:] == tag[2:] and prev[:2] in ("B-", "I-")
               for prev, tag in zip(["O", *tags], tags))


def test_crf_only_for_tagging():
    with pytest.raises(ValueError, match="crf=True needs a tagging task"):
        models.TaskSpec("topic", "classification", 3, crf=True)


def test_crf_head_trains_its_transitions_and_round_trips(toy_ner, tmp_path):
    import keras

    tasks, vocab = toy_ner
    model = _model(tasks, vocab, True)
    names = [v.path for v in model.task_variables("toy_ner")]
    assert any("transitions" in n for n in names)  # the transitions are θ_t, the task's own parameters
    result = training.train(model, tasks, vocab, training.TrainConfig(epochs=2, steps_per_epoch=20,
                                                                      learning_rate=5e-3, progress=False))
    losses = result.history.loss.to_numpy()
    assert losses[-5:].mean() < losses[:5].mean()
    assert np.abs(model.task_heads[0].transitions.numpy()).max() > 0
    path = tmp_path / "crf.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.specs["toy_ner"].crf and loaded.task_heads[0].crf
    sentences = tasks["toy_ner"].test.tokens[:20]
    assert (training.predict(loaded, tasks["toy_ner"], sentences, vocab)
            == training.predict(model, tasks["toy_ner"], sentences, vocab))


def test_bio_constraints_make_every_predicted_span_well_formed(toy_ner):
    tasks, vocab = toy_ner
    model = _model(tasks, vocab, False, seed=1)  # untrained: its argmax tags are close to random
    task = tasks["toy_ner"]
    probe = {"toy_ner": task}
    free = training.predict(model, task, task.test.tokens, vocab, bio_constraints=False)
    fixed = training.predict(model, task, task.test.tokens, vocab)
    assert not all(_valid_bio(tags) for tags in free)
    assert all(_valid_bio(tags) for tags in fixed)
    scores = training.evaluate(model, probe, vocab, "test", bio_constraints=False)
    assert set(scores.metric) >= {"accuracy", "f1"}
