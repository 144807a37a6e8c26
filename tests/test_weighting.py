"""Tests of loss weighting (uncertainty, DWA, GradNorm) and gradient conflict (gradient cosine, PCGrad on the
shared parameters only)."""
import dataclasses

import numpy as np
import pytest
from tiny_runs import ENCODER, build, quick

from mtl_helpers import data, losses, models, training, weighting
from mtl_helpers.training import TrainConfig


# ------------------------------------------------------------------------------------------ PCGrad
def test_pcgrad_projects_conflicting_gradients():
    g1, g2 = np.array([1.0, 0.0]), np.array([-1.0, 1.0])  # g1·g2 = −1 < 0
    (total,) = weighting.pcgrad([[g1], [g2]])
    # g1' = g1 − (−1/2)·g2 = [0.5, 0.5];  g2' = g2 − (−1/1)·g1 = [0, 1]
    np.testing.assert_allclose(total.numpy(), [0.5, 1.5], atol=1e-7)
    g1p = g1 - (g1 @ g2) / (g2 @ g2) * g2
    assert abs(g1p @ g2) < 1e-12  # projection onto the normal plane of g2


def test_pcgrad_leaves_agreeing_gradients_and_handles_many_variables():
    (total,) = weighting.pcgrad([[np.array([1.0, 0.0])], [np.array([1.0, 1.0])]])
    np.testing.assert_allclose(total.numpy(), [2.0, 1.0])
    grads = [[np.array([[1.0, 0.0]]), None], [np.array([[-1.0, 0.0]]), np.array([2.0])]]
    matrix, vector = weighting.pcgrad(grads)
    assert matrix.shape == (1, 2) and vector.shape == (1,)
    # flattened: g1 = [1, 0, 0], g2 = [-1, 0, 2], g1·g2 = −1:
    # g1' = g1 + (1/5)·g2 = [0.8, 0, 0.4];  g2' = g2 + g1 = [0, 0, 2];  sum = [0.8, 0, 2.4]
    np.testing.assert_allclose(matrix.numpy(), [[0.8, 0.0]], atol=1e-6)
    np.testing.assert_allclose(vector.numpy(), [2.4], atol=1e-6)


def test_pcgrad_order_is_seeded():
    rng = np.random.default_rng(0)
    grads = [[rng.normal(size=5)] for _ in range(4)]
    a = weighting.pcgrad(grads, seed=1)[0].numpy()
    assert np.array_equal(a, weighting.pcgrad(grads, seed=1)[0].numpy())


def test_pcgrad_projects_only_the_variables_marked_shared():
    shared_a, head_a = np.array([1.0, 0.0]), np.array([3.0])
    shared_b, head_b = np.array([-1.0, 1.0]), np.array([-2.0])
    total_shared, total_head = weighting.pcgrad([[shared_a, head_a], [shared_b, head_b]], shared=[True, False])
    np.testing.assert_allclose(total_shared.numpy(), [0.5, 1.5], atol=1e-6)  # as in 2-D: [0.5,0.5] + [0,1]
    np.testing.assert_allclose(total_head.numpy(), [1.0], atol=1e-6)  # plain sum, untouched by the conflict
    # everything marked shared: the head entries join the dot products and the heads change
    _, all_head = weighting.pcgrad([[shared_a, head_a], [shared_b, head_b]])
    assert not np.allclose(all_head.numpy(), [1.0])
    with pytest.raises(ValueError, match="one flag per variable"):
        weighting.pcgrad([[shared_a, head_a], [shared_b, head_b]], shared=[True])
    with pytest.raises(ValueError, match="marks no variable"):
        weighting.pcgrad([[shared_a, head_a], [shared_b, head_b]], shared=[False, False])


# ------------------------------------------------------------------------------------------ gradient conflict
def test_gradient_cosine(trained):
    tasks, vocab, result = trained
    batches = {t: next(iter(data.make_dataset(task, vocab, batch_size=16, shuffle=False)))
                for t, task in tasks.items()}
    cos = weighting.gradient_cosine(result.model, batches)
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


# ------------------------------------------------------------------------------------------ PCGrad on θ_sh, in a step
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
        task_losses = [total / count for total, count in losses._joint_loss_sums(fresh, list(pair), batch, True)]
    raw = [[g.numpy() for g in weighting._dense(tape.gradient(loss, fresh.trainable_variables),
                                               fresh.trainable_variables)] for loss in task_losses]
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


def test_pcgrad_training_needs_shared_parameters(toy):
    tasks, vocab = toy
    model = build(tasks, vocab, sharing="none")
    with pytest.raises(ValueError, match="pcgrad=True needs parameters shared"):
        training.train(model, tasks, vocab, quick(sampling="all", pcgrad=True))
