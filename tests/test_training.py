"""Tests of the joint trainer: samplers, loss weighting, PCGrad, resume, distribution, evaluation.

Tiny transformer encoders on the toy language keep each training run to a few seconds of compute; most
of a run's time is graph tracing (one compiled step per task).
"""
import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mtl_helpers import data, models, training
from mtl_helpers.training import TrainConfig

TOY_SIZE = 400
ENCODER = dict(embedding_dim=16, hidden_units=16, num_layers=1, kind="transformer", num_heads=2, dropout=0.1)
REPO = Path(__file__).resolve().parents[1]


def build(tasks, vocab, sharing="hard", seed=0, **kw):
    """A tiny model with one head per entry of ``tasks`` (head name = dict key)."""
    specs = [dataclasses.replace(models.TaskSpec.from_task(t, vocab), name=name) for name, t in tasks.items()]
    return models.build_model(specs, models.EncoderConfig(len(vocab), **ENCODER), sharing=sharing, seed=seed, **kw)


def quick(**kw):
    base = dict(epochs=1, steps_per_epoch=6, batch_size=16, learning_rate=5e-3, progress=False)
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def toy():
    tasks = data.load_tasks(["toy_topic", "toy_ner"], toy_size=TOY_SIZE)
    return tasks, data.Vocabulary.from_tasks(tasks)


@pytest.fixture(scope="module")
def trained(toy):
    """One short static-weight run shared by the evaluation tests."""
    tasks, vocab = toy
    model = build(tasks, vocab)
    result = training.train(model, tasks, vocab, quick(epochs=2, steps_per_epoch=30))
    return tasks, vocab, result


# ------------------------------------------------------------------------------------------ sampling
SIZES = {"small": 100, "medium": 400, "large": 1600}


def test_sampling_probabilities_follow_their_formulas():
    n = np.array(list(SIZES.values()), dtype=float)
    expect = {
        ("proportional", 0.0): n / n.sum(),
        ("uniform", 0.0): np.full(3, 1 / 3),
        ("all", 0.0): np.full(3, 1 / 3),
        ("temperature", 0.0): np.sqrt(n) / np.sqrt(n).sum(),        # T = 2
        ("annealed", 0.0): n / n.sum(),                              # α = 1 at the start
        ("annealed", 1.0): n ** 0.2 / (n ** 0.2).sum(),              # α = 0.2 at the end
        ("annealed", 0.5): n ** 0.6 / (n ** 0.6).sum(),
    }
    for (strategy, progress), p in expect.items():
        got = training.task_sampling_probabilities(SIZES, strategy, temperature=2.0, progress=progress)
        assert list(got) == list(SIZES)
        np.testing.assert_allclose(list(got.values()), p, rtol=1e-12, err_msg=f"{strategy} {progress}")
    high_t = training.task_sampling_probabilities(SIZES, "temperature", temperature=1e6)
    np.testing.assert_allclose(list(high_t.values()), 1 / 3, atol=1e-4)


@pytest.mark.parametrize("strategy,epoch", [("proportional", 1), ("uniform", 1), ("temperature", 1),
                                            ("annealed", 1), ("annealed", 3)])
def test_sampler_draws_match_the_formula(strategy, epoch):
    sampler = training.TaskSampler(SIZES, strategy, temperature=3.0, seed=7, epochs=3)
    steps = 6000
    counts = pd.Series([sampler.draw(s, epoch)[0] for s in range(steps)]).value_counts()
    expected = np.array(list(sampler.probabilities(epoch).values())) * steps
    observed = np.array([counts.get(t, 0) for t in SIZES])
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert chi2 < 13.8, (strategy, observed, expected)  # χ²(2 dof), p = 0.001


def test_sampler_is_step_indexed_and_all_draws_every_task():
    a = training.TaskSampler(SIZES, "proportional", seed=3)
    b = training.TaskSampler(SIZES, "proportional", seed=3)
    assert [a.draw(s) for s in range(50)] == [b.draw(s) for s in range(50)]
    assert [a.draw(s) for s in range(50, 60)] == [b.draw(s) for s in range(50, 60)]
    assert training.TaskSampler(SIZES, "all").draw(0) == list(SIZES)


@pytest.mark.parametrize("kwargs,match", [({"sizes": {}, "strategy": "uniform"}, "no task sizes"),
                                          ({"sizes": {"a": 0}, "strategy": "uniform"}, "> 0"),
                                          ({"sizes": SIZES, "strategy": "random"}, "unknown sampling"),
                                          ({"sizes": SIZES, "strategy": "annealed", "progress": 2.0}, "progress")])
def test_sampling_probabilities_reject_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        training.task_sampling_probabilities(**kwargs)


# ------------------------------------------------------------------------------------------ PCGrad
def test_pcgrad_projects_conflicting_gradients():
    g1, g2 = np.array([1.0, 0.0]), np.array([-1.0, 1.0])  # g1·g2 = −1 < 0
    (total,) = training.pcgrad([[g1], [g2]])
    # g1' = g1 − (−1/2)·g2 = [0.5, 0.5];  g2' = g2 − (−1/1)·g1 = [0, 1]
    np.testing.assert_allclose(total.numpy(), [0.5, 1.5], atol=1e-7)
    g1p = g1 - (g1 @ g2) / (g2 @ g2) * g2
    assert abs(g1p @ g2) < 1e-12  # projection onto the normal plane of g2


def test_pcgrad_leaves_agreeing_gradients_and_handles_many_variables():
    (total,) = training.pcgrad([[np.array([1.0, 0.0])], [np.array([1.0, 1.0])]])
    np.testing.assert_allclose(total.numpy(), [2.0, 1.0])
    grads = [[np.array([[1.0, 0.0]]), None], [np.array([[-1.0, 0.0]]), np.array([2.0])]]
    matrix, vector = training.pcgrad(grads)
    assert matrix.shape == (1, 2) and vector.shape == (1,)
    # flattened: g1 = [1, 0, 0], g2 = [-1, 0, 2], g1·g2 = −1:
    # g1' = g1 + (1/5)·g2 = [0.8, 0, 0.4];  g2' = g2 + g1 = [0, 0, 2];  sum = [0.8, 0, 2.4]
    np.testing.assert_allclose(matrix.numpy(), [[0.8, 0.0]], atol=1e-6)
    np.testing.assert_allclose(vector.numpy(), [2.4], atol=1e-6)


def test_pcgrad_order_is_seeded():
    rng = np.random.default_rng(0)
    grads = [[rng.normal(size=5)] for _ in range(4)]
    a = training.pcgrad(grads, seed=1)[0].numpy()
    assert np.array_equal(a, training.pcgrad(grads, seed=1)[0].numpy())


# ------------------------------------------------------------------------------------------ configuration
@pytest.mark.parametrize("change,match", [
    ({"epochs": 0}, "epochs"),
    ({"sampling": "random"}, "unknown sampling"),
    ({"weighting": "magic"}, "unknown weighting"),
    ({"optimizer": "rmsprop"}, "unknown optimizer"),
    ({"pcgrad": True}, "sampling='all'"),
    ({"weighting": "gradnorm"}, "sampling='all'"),
    ({"task_weights": {"toy_topic": 1.0}}, "task_weights keys"),
    ({"task_weights": {"toy_topic": 1.0, "toy_ner": 1.0, "pos": 2.0}}, "task_weights keys"),
    ({"task_weights": {"toy_topic": 1.0, "toy_ner": 1.0}, "weighting": "dwa"}, "task_weights"),
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"clip_norm": -1.0}, "clip_norm"),
])
def test_bad_configuration_is_a_value_error(trained, change, match):
    tasks, vocab, result = trained
    with pytest.raises(ValueError, match=match):
        training.train(result.model, tasks, vocab, quick(**change))


def test_bad_task_sets_are_value_errors(trained):
    tasks, vocab, result = trained
    with pytest.raises(ValueError, match="no tasks"):
        training.train(result.model, {}, vocab, quick())
    with pytest.raises(ValueError, match="not heads of this model"):
        training.train(result.model, {"pos": tasks["toy_topic"]}, vocab, quick())
    with pytest.raises(ValueError, match="fraction"):  # fractions are chosen when loading a task
        data.load_task("toy_topic", fraction=0.0)


# ------------------------------------------------------------------------------------------ train + evaluate
def test_history_and_dev_frames(trained):
    tasks, _, result = trained
    h = result.history
    assert list(h.columns) == ["step", "epoch", "task", "loss", "weight", "penalty", "lr", "conflict"]
    assert h.step.tolist() == list(range(1, 61)) and set(h.task) == set(tasks)
    assert (h.weight == 1.0).all() and (h.penalty == 0.0).all() and (h.lr == 5e-3).all()
    first, last = h[h.epoch == 1].loss.mean(), h[h.epoch == 2].loss.mean()
    assert last < first
    assert list(result.weights.columns) == ["step", "epoch", "toy_topic", "toy_ner"] and len(result.weights) == 60
    assert set(result.dev.epoch) == {1, 2} and set(result.dev.split) == {"dev"}
    assert result.steps_per_second > 0 and result.best_epoch in (1, 2)


def test_evaluate_returns_tidy_scores_above_chance(trained):
    tasks, vocab, result = trained
    scores = training.evaluate(result.model, tasks, vocab, split="test")
    assert list(scores.columns) == ["task", "split", "metric", "value"]
    got = scores.set_index(["task", "metric"]).value
    assert {"accuracy", "precision_macro", "recall_macro", "f1_macro", "precision_micro", "recall_micro",
            "f1_micro"} <= set(got["toy_topic"].index)
    assert {"accuracy", "precision", "recall", "f1"} == set(got["toy_ner"].index)
    assert got["toy_topic", "accuracy"] > 1.5 / len(tasks["toy_topic"].labels)
    gold = [t for tags in tasks["toy_ner"].test.labels for t in tags]
    majority = pd.Series(gold).value_counts(normalize=True).iloc[0]
    assert got["toy_ner", "accuracy"] > majority
    assert got["toy_ner", "f1"] > 0.2
    again = training.evaluate(result.model, tasks, vocab, split="test")
    pd.testing.assert_frame_equal(scores, again)


def test_predict_returns_strings(trained):
    tasks, vocab, result = trained
    sentences = tasks["toy_ner"].test.tokens[:3]
    topics = training.predict(result.model, tasks["toy_topic"], sentences, vocab)
    assert len(topics) == 3 and set(topics) <= set(tasks["toy_topic"].labels)
    tags = training.predict(result.model, tasks["toy_ner"], [" ".join(s) for s in sentences], vocab)
    assert [len(t) for t in tags] == [len(s) for s in sentences]
    assert {t for row in tags for t in row} <= set(tasks["toy_ner"].labels)


def test_evaluated_models_can_be_freed(toy):
    """Compiled evaluation functions close over their model; caching them must not keep it alive."""
    import gc
    import weakref

    tasks, vocab = toy
    model = build(tasks, vocab)
    training.evaluate(model, tasks, vocab, "dev")
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None


def test_gradient_cosine(trained):
    tasks, vocab, result = trained
    batches = {t: next(iter(data.make_dataset(task, vocab, batch_size=16, shuffle=False)))
                for t, task in tasks.items()}
    cos = training.gradient_cosine(result.model, batches)
    assert list(cos.index) == list(cos.columns) == list(tasks)
    np.testing.assert_allclose(np.diag(cos.to_numpy()), 1.0, atol=1e-5)
    np.testing.assert_allclose(cos.to_numpy(), cos.to_numpy().T, atol=1e-6)
    assert ((cos.to_numpy() >= -1 - 1e-6) & (cos.to_numpy() <= 1 + 1e-6)).all()


# ------------------------------------------------------------------------------------------ loss weighting
@pytest.mark.slow
def test_uncertainty_weighting_gives_the_noisy_task_a_smaller_weight(toy):
    tasks, vocab = toy
    clean = tasks["toy_topic"]
    rng = np.random.default_rng(0)
    labels = list(clean.train.labels)
    noisy_idx = rng.choice(len(labels), size=len(labels) // 2, replace=False)
    shuffled = rng.permutation([labels[i] for i in noisy_idx])
    for i, label in zip(noisy_idx, shuffled):
        labels[i] = label
    noisy = dataclasses.replace(clean, name="toy_topic_noisy", train=data.Split(clean.train.tokens, labels))
    pair = {"toy_topic": clean, "toy_topic_noisy": noisy}
    model = build(pair, vocab)
    result = training.train(model, pair, vocab, quick(steps_per_epoch=120, weighting="uncertainty",
                                                      sampling="uniform", learning_rate=1e-2))
    final = result.weights.iloc[-1]
    assert final["toy_topic_noisy"] < final["toy_topic"]
    assert result.history.groupby("task").loss.mean()["toy_topic_noisy"] > \
        result.history.groupby("task").loss.mean()["toy_topic"]


@pytest.mark.slow
def test_dwa_weights_logged_sum_to_t_and_soft_penalty_logged(toy):
    tasks, vocab = toy
    model = build(tasks, vocab, sharing="soft", coupling_weight=1e-2)
    with pytest.raises(ValueError, match="hard sharing"):
        training.train(model, tasks, vocab, quick(track_conflict=True))
    result = training.train(model, tasks, vocab, quick(epochs=4, steps_per_epoch=4, weighting="dwa"))
    w = result.weights
    assert (w[w.epoch <= 2][list(tasks)] == 1.0).all().all()
    np.testing.assert_allclose(w[list(tasks)].sum(axis=1), len(tasks), rtol=1e-5)
    assert not np.allclose(w[w.epoch == 3][list(tasks)].to_numpy(), 1.0)
    merged = result.history.merge(w, on=["step", "epoch"])
    np.testing.assert_allclose(merged.weight, [row[row.task] for _, row in merged.iterrows()], rtol=1e-6)
    assert (result.history.penalty > 0).all()  # soft sharing: λ·Ω logged at every step


@pytest.mark.slow
def test_gradnorm_with_pcgrad_and_conflict_tracking(toy):
    tasks, vocab = toy
    model = build(tasks, vocab)
    cfg = quick(steps_per_epoch=12, sampling="all", weighting="gradnorm", pcgrad=True, track_conflict=True,
                conflict_every=4, gradnorm_lr=0.05)
    result = training.train(model, tasks, vocab, cfg)
    w = result.weights[list(tasks)]
    np.testing.assert_allclose(w.sum(axis=1), len(tasks), rtol=1e-5)
    assert not np.allclose(w.iloc[-1], 1.0)  # the weights moved
    h = result.history
    assert len(h) == 2 * 12 and (h.groupby("step").size() == 2).all()
    assert h.conflict.notna().sum() == 2 * 4  # steps 1, 4, 8, 12
    assert set(result.conflict.step) == {1, 4, 8, 12}
    assert result.conflict.cosine.between(-1, 1).all()


# ------------------------------------------------------------------------------------------ resume
class _Crash(RuntimeError):
    pass


@pytest.mark.slow
def test_resume_after_a_crash_equals_an_uninterrupted_run(toy, tmp_path, monkeypatch):
    tasks, vocab = toy
    cfg = dict(epochs=2, steps_per_epoch=8, checkpoint_every=3)
    straight = training.train(build(tasks, vocab), tasks, vocab, quick(**cfg))

    original_draw = training.TaskSampler.draw

    def crashing_draw(self, step, epoch=1):
        if step == 7:  # mid-epoch; the last checkpoint is at step 6
            raise _Crash("power cut")
        return original_draw(self, step, epoch)

    monkeypatch.setattr(training.TaskSampler, "draw", crashing_draw)
    with pytest.raises(_Crash):
        training.train(build(tasks, vocab), tasks, vocab, quick(**cfg, checkpoint_dir=str(tmp_path)))
    monkeypatch.setattr(training.TaskSampler, "draw", original_draw)
    resumed = training.train(build(tasks, vocab), tasks, vocab, quick(**cfg, checkpoint_dir=str(tmp_path)))

    for a, b in zip(straight.model.get_weights(), resumed.model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    pd.testing.assert_frame_equal(straight.history, resumed.history, atol=1e-5)
    pd.testing.assert_frame_equal(straight.dev, resumed.dev, atol=1e-5)
    with pytest.raises(ValueError, match="another configuration"):
        training.train(build(tasks, vocab), tasks, vocab,
                       quick(**cfg, checkpoint_dir=str(tmp_path), learning_rate=0.1))


# ------------------------------------------------------------------------------------------ pretraining
@pytest.mark.slow
def test_pretrain_language_model_then_transfer_frozen_or_fine_tuned(toy, tmp_path):
    tasks, vocab = toy
    lm = training.lm_task_from(tasks)
    assert len(lm.train) == len({tuple(s) for t in tasks.values() for s in t.train.tokens})
    source = models.build_model([models.TaskSpec("lm", "lm", len(vocab))], models.EncoderConfig(len(vocab), **ENCODER))
    path = tmp_path / "encoder.npz"
    result = training.pretrain_language_model(source, tasks, vocab, quick(steps_per_epoch=10), save_path=path)
    assert set(result.dev.metric) == {"nll", "perplexity"}
    losses = result.history.loss.to_numpy()
    assert losses[-3:].mean() < losses[:3].mean()

    topic = {"toy_topic": tasks["toy_topic"]}
    frozen = build(topic, vocab)
    assert training.transfer_encoder(path, frozen, freeze=True) == len(source.shared_variables())
    before = [v.numpy() for v in frozen.embedding_blocks[0].weights]
    np.testing.assert_array_equal(before[0], source.shared_variables()[0].numpy())
    training.train(frozen, topic, vocab, quick(steps_per_epoch=3))
    for a, b in zip(before, [v.numpy() for v in frozen.embedding_blocks[0].weights]):
        np.testing.assert_array_equal(a, b)

    tuned = build(topic, vocab)
    training.transfer_encoder(source, tuned, freeze=False)
    training.train(tuned, topic, vocab, quick(steps_per_epoch=3))
    assert not np.array_equal(tuned.shared_variables()[0].numpy(), source.shared_variables()[0].numpy())
    with pytest.raises(ValueError, match="language-model head"):
        training.pretrain_language_model(tuned, topic, vocab, quick())


def test_previous_words_shift_the_forward_targets():
    # input <s> a b c, forward targets a b c </s> (ids 2 | 5 6 7 | 3); one padded row
    targets = np.array([[5, 6, 7, 3], [8, 3, 0, 0]], "int32")
    weights = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], "float32")
    previous, previous_weights = training._previous_words(targets, weights)
    np.testing.assert_array_equal(np.asarray(previous)[:, 1:], [[2, 5, 6], [2, 8, 3]])
    np.testing.assert_array_equal(previous_weights, [[0, 1, 1, 1], [0, 1, 0, 0]])
    np.testing.assert_array_equal(training.lm_targets(targets, 7), [[5, 6, 1, 3], [1, 3, 0, 0]])


def test_bidirectional_top_k_lm_loss_is_both_directions_cross_entropy(toy):
    """Loss of a bidirectional head predicting the 9 most frequent ids: forward cross-entropy on the next word
    and backward cross-entropy on the previous word, rarer words as <unk>, computed here by hand."""
    tasks, vocab = toy
    lm = training.lm_task_from(tasks)
    encoder = models.EncoderConfig(len(vocab), embedding_dim=8, hidden_units=8, num_layers=1)
    model = models.build_model([models.TaskSpec("lm", "lm", 9, bidirectional=True)], encoder, seed=0)
    inputs, targets, weights = next(iter(data.make_dataset(lm, vocab, "dev", batch_size=4)))
    total, count = training._loss_sums(model, "lm", (inputs, targets, weights), training=False)
    logits = np.asarray(model.task_call(inputs, "lm"))
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    x, y, w = np.asarray(inputs["tokens"]), np.asarray(targets), np.asarray(weights)
    y, x = np.where(y >= 9, 1, y), np.where(x >= 9, 1, x)
    rows, cols = np.nonzero(w)
    expected = -log_p[rows, cols, 0, y[rows, cols]].sum()
    back = cols > 0
    expected -= log_p[rows[back], cols[back], 1, x[rows[back], cols[back] - 1]].sum()
    np.testing.assert_allclose(float(total), expected, rtol=1e-4)
    assert float(count) == w.sum() + (w[:, 1:]).sum()
    before = training.evaluate(model, {"lm": lm}, vocab, "dev").set_index("metric").value
    result = training.train(model, {"lm": lm}, vocab, quick(steps_per_epoch=20, batch_size=32, learning_rate=2e-2))
    after = training.evaluate(model, {"lm": lm}, vocab, "dev").set_index("metric").value
    assert after["perplexity"] < before["perplexity"] <= 9 * 1.5  # forward perplexity over 9 outputs
    assert result.history.loss.iloc[-1] < result.history.loss.iloc[0]
    assert all(len(p) == len(s) + 1 for p, s in zip(training.predict(model, lm, [["a", "b"], ["c"]], vocab),
                                               [["a", "b"], ["c"]]))


def test_seq2seq_evaluation_decodes_greedily():
    task = data.load_task("toy_translate", toy_size=60)
    vocab, target = data.Vocabulary.from_tasks([task]), data.Vocabulary.build(task.train.labels)
    model = models.build_model([models.TaskSpec.from_task(task, vocab, target)],
                               models.EncoderConfig(len(vocab), **ENCODER))
    scores = training.evaluate(model, {task.name: task}, vocab, "dev", target_vocab=target)
    assert set(scores.metric) == {"bleu", "exact_match"} and scores.value.between(0, 1).all()
    out = training.predict(model, task, task.dev.tokens[:2], vocab, target_vocab=target)
    assert len(out) == 2 and all(isinstance(w, str) for row in out for w in row)
    with pytest.raises(ValueError, match="target_vocab"):
        training.evaluate(model, {task.name: task}, vocab, "dev")


# ------------------------------------------------------------------------------------------ distribution
MIRRORED_SCRIPT = textwrap.dedent("""
    import os, sys
    os.environ["MTL_FAST"] = "1"
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from mtl_helpers import data, models, training
    tasks = data.load_tasks(["toy_topic", "toy_ner"], toy_size=300)
    vocab = data.Vocabulary.from_tasks(tasks)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        model = models.build_model([models.TaskSpec.from_task(t, vocab) for t in tasks.values()],
                                   models.EncoderConfig(len(vocab), embedding_dim=16, hidden_units=16, num_layers=1,
                                                        kind="transformer", num_heads=2, dropout=0.0))
    cfg = training.TrainConfig(epochs=2, steps_per_epoch=15, batch_size=16, learning_rate=5e-3, progress=False)
    result = training.train(model, tasks, vocab, cfg, strategy=strategy)
    h = result.history
    first, last = h[h.epoch == 1].loss.mean(), h[h.epoch == 2].loss.mean()
    scores = training.evaluate(model, tasks, vocab, "test").set_index(["task", "metric"]).value
    print("LOSS", first, last, "ACC", scores["toy_topic", "accuracy"])
    assert last < first, (first, last)
    assert scores["toy_topic", "accuracy"] > 0.375
""")


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpus():
    out = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT], cwd=REPO, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    assert "LOSS" in out.stdout


# ------------------------------------------------------------------------------------------ joint batches
def test_tasks_on_the_same_sentences_share_joint_batches(toy):
    """pos + chunk and the toy tasks label the same sentences: one batch feeds every head, and the
    joint batch carries exactly what the per-task batches carry."""
    tasks, vocab = toy
    other = data.load_task("toy_topic", toy_size=TOY_SIZE, seed=1)  # other sentences
    assert training._joint_groups({**tasks, "other": other}) == [("toy_topic", "toy_ner"), ("other",)]
    joint = next(iter(data.make_dataset(list(tasks.values()), vocab, batch_size=8, seed=3)))
    for position, task in enumerate(tasks.values()):
        inputs, targets, weights = next(iter(data.make_dataset(task, vocab, batch_size=8, seed=3)))
        np.testing.assert_array_equal(joint[0]["tokens"], inputs["tokens"])
        np.testing.assert_array_equal(joint[1][position], targets)
        np.testing.assert_array_equal(joint[2][position], weights)
    with pytest.raises(ValueError, match="same train sentences"):
        data.make_dataset([tasks["toy_topic"], other], vocab)
    model = build(tasks, vocab)
    several = model.tasks_call(joint[0], list(tasks))
    for name, logits in zip(tasks, several):
        np.testing.assert_allclose(logits.numpy(), model.task_call(joint[0], name).numpy(), atol=1e-6)


def test_sampling_all_trains_every_task_on_one_joint_batch_per_step(toy):
    tasks, vocab = toy
    model = build(tasks, vocab)
    result = training.train(model, tasks, vocab, quick(sampling="all", steps_per_epoch=None, batch_size=32))
    steps = -(-len(tasks["toy_topic"].train) // 32)  # one epoch: every joint batch once
    assert result.history.step.max() == steps
    assert (result.history.groupby("step").task.nunique() == 2).all()
    first, last = (result.history[result.history.step.isin(s)].loss.mean() for s in ([1, 2], [steps - 1, steps]))
    assert last < first


def test_joint_evaluation_equals_task_by_task(trained):
    """evaluate runs tasks on the same sentences in one pass; the scores equal separate evaluations."""
    tasks, vocab, result = trained
    together = training.evaluate(result.model, tasks, vocab, "dev")
    apart = pd.concat([training.evaluate(result.model, {name: task}, vocab, "dev") for name, task in tasks.items()],
                      ignore_index=True)
    pd.testing.assert_frame_equal(together, apart)


def test_new_models_do_not_print_tensorflows_retracing_warning(toy):
    """Each model compiles its own functions by design; TensorFlow's "triggered tf.function retracing"
    warning would tell students something is wrong when nothing is."""
    import logging

    import tensorflow as tf

    tasks, vocab = toy
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    tf.get_logger().addHandler(handler)
    try:
        for seed in range(7):
            training.evaluate(build({"toy_topic": tasks["toy_topic"]}, vocab, sharing="none", seed=seed),
                              {"toy_topic": tasks["toy_topic"]}, vocab, "dev")
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [m for m in seen if "retracing" in m]


# ------------------------------------------------------------------------------------------ PCGrad on θ_sh only
def _conflicting_pair(toy, n=24):
    """Two heads on the same ``n`` toy sentences (one joint batch = the whole training set) that want
    different answers: every sentence is labelled with the first topic in "first", the second in "second"."""
    tasks, vocab = toy
    topic = tasks["toy_topic"]

    def constant(label: str):
        return dataclasses.replace(topic, train=data.Split(topic.train.tokens[:n], [label] * n),
                                   dev=data.Split(topic.dev.tokens[:8], [label] * 8))
    return {"first": constant(topic.labels[0]), "second": constant(topic.labels[1])}, vocab


def _fresh_pair_model(pair, vocab):
    """Hard sharing, no dropout (a deterministic step), both heads starting from the same weights, so the two
    tasks pull the shared encoder in conflicting directions."""
    specs = [dataclasses.replace(models.TaskSpec.from_task(t, vocab), name=name) for name, t in pair.items()]
    model = models.build_model(specs, models.EncoderConfig(len(vocab), **{**ENCODER, "dropout": 0.0}),
                               sharing="hard", seed=0)
    for mine, other in zip(model.task_variables("second"), model.task_variables("first")):
        mine.assign(other.numpy())
    return model


def _one_sgd_step(pair, vocab, pcgrad, lr=0.5):
    model = _fresh_pair_model(pair, vocab)
    before = [v.numpy().copy() for v in model.trainable_variables]
    cfg = TrainConfig(epochs=1, steps_per_epoch=1, batch_size=len(pair["first"].train), optimizer="sgd",
                      learning_rate=lr, clip_norm=None, sampling="all", pcgrad=pcgrad, progress=False)
    training.train(model, pair, vocab, cfg)
    return model, [v.numpy() - b for v, b in zip(model.trainable_variables, before)]


def test_pcgrad_step_leaves_every_head_update_unchanged_and_deconflicts_the_shared_part(toy):
    import tensorflow as tf

    pair, vocab = _conflicting_pair(toy)
    lr = 0.5
    plain_model, plain = _one_sgd_step(pair, vocab, pcgrad=False, lr=lr)
    model, projected = _one_sgd_step(pair, vocab, pcgrad=True, lr=lr)
    ids = [id(v) for v in model.trainable_variables]
    shared = [ids.index(id(v)) for v in model.shared_variables()]
    heads = [ids.index(id(v)) for t in pair for v in model.task_variables(t)]
    assert sorted(shared + heads) == list(range(len(ids)))

    # the raw per-task gradients of the first step (the whole training set is the one joint batch)
    fresh = _fresh_pair_model(pair, vocab)
    batch = next(data.Batches(list(pair.values()), vocab, "train", batch_size=len(pair["first"].train))
                 .epoch(shuffle=False))
    with tf.GradientTape(persistent=True) as tape:
        losses = [total / count for total, count in training._joint_loss_sums(fresh, list(pair), batch, True)]
    raw = [[g.numpy() for g in training._dense(tape.gradient(loss, fresh.trainable_variables),
                                               fresh.trainable_variables)] for loss in losses]
    flat = [np.concatenate([g[k].ravel() for k in shared]) for g in raw]
    assert flat[0] @ flat[1] < 0, "the test needs conflicting shared gradients"

    # (a) heads: the same update with and without PCGrad, −lr × the task's own gradient
    for k in heads:
        np.testing.assert_allclose(projected[k], plain[k], rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(projected[k], -lr * (raw[0][k] + raw[1][k]), rtol=1e-3, atol=1e-6)
    # (b) θ_sh: the update is −lr × the sum of the projected gradients, each orthogonal to the other task's
    g_a = flat[0] - (flat[0] @ flat[1]) / (flat[1] @ flat[1]) * flat[1]
    g_b = flat[1] - (flat[1] @ flat[0]) / (flat[0] @ flat[0]) * flat[0]
    assert abs(g_a @ flat[1]) < 1e-5 * np.linalg.norm(g_a) * np.linalg.norm(flat[1]) + 1e-9
    update = np.concatenate([projected[k].ravel() for k in shared])
    np.testing.assert_allclose(update, -lr * (g_a + g_b), rtol=1e-3, atol=1e-6)
    assert not np.allclose(update, np.concatenate([plain[k].ravel() for k in shared]), rtol=1e-3, atol=1e-6)


def test_pcgrad_projects_only_the_variables_marked_shared():
    shared_a, head_a = np.array([1.0, 0.0]), np.array([3.0])
    shared_b, head_b = np.array([-1.0, 1.0]), np.array([-2.0])
    total_shared, total_head = training.pcgrad([[shared_a, head_a], [shared_b, head_b]], shared=[True, False])
    np.testing.assert_allclose(total_shared.numpy(), [0.5, 1.5], atol=1e-6)  # as in 2-D: [0.5,0.5] + [0,1]
    np.testing.assert_allclose(total_head.numpy(), [1.0], atol=1e-6)  # plain sum, untouched by the conflict
    # everything marked shared: the head entries join the dot products and the heads change
    _, all_head = training.pcgrad([[shared_a, head_a], [shared_b, head_b]])
    assert not np.allclose(all_head.numpy(), [1.0])
    with pytest.raises(ValueError, match="one flag per variable"):
        training.pcgrad([[shared_a, head_a], [shared_b, head_b]], shared=[True])
    with pytest.raises(ValueError, match="marks no variable"):
        training.pcgrad([[shared_a, head_a], [shared_b, head_b]], shared=[False, False])


def test_pcgrad_training_needs_shared_parameters(toy):
    tasks, vocab = toy
    model = build(tasks, vocab, sharing="none")
    with pytest.raises(ValueError, match="pcgrad=True needs parameters shared"):
        training.train(model, tasks, vocab, quick(sampling="all", pcgrad=True))


# ------------------------------------------------------------------------------------------ config types
@pytest.mark.parametrize("name,integer,optional", [(n, i, o) for n, i, o, _ in training._NUMERIC_FIELDS])
def test_a_numeric_config_field_of_the_wrong_type_is_a_value_error_naming_the_fix(name, integer, optional):
    for value in ["0.01", True] + ([2.5] if integer else []) + ([] if optional else [None]):
        with pytest.raises(ValueError, match=rf"TrainConfig\.{name} must be an? (integer|number).*pass e\.g\. {name}="):
            TrainConfig(**{name: value})
    cfg = TrainConfig()  # changed after construction: validate (what train calls) says the same
    setattr(cfg, name, "3")
    with pytest.raises(ValueError, match=rf"TrainConfig\.{name}"):
        cfg.validate(["pos"])


def test_config_numbers_of_numpy_pass_and_task_weights_must_be_numbers():
    TrainConfig(epochs=np.int64(2), learning_rate=np.float32(1e-3), seed=np.int32(1)).validate(["pos"])
    with pytest.raises(ValueError, match=r"task_weights must map each task to a number.*'pos': '1'"):
        TrainConfig(task_weights={"pos": "1"})
    with pytest.raises(ValueError, match="task_weights must map each task to a number"):
        TrainConfig(task_weights=[1.0, 0.5])
    assert type(TrainConfig(seed=np.int64(3)).seed) is int  # NumPy numbers become Python ones (JSON)
