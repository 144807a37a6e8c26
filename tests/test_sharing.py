"""Tests for mtl_helpers.sharing: each scheme's towers and forward pass (cross-stitch with α = I equals
independent towers, no peeking through shared or stitched layers), and the soft-sharing penalties."""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from tiny_models import ALL_KINDS, VOCAB, batch, encoder, every_head_model, numpy_out

from mtl_helpers.models import TaskSpec, build_model, tower_distance
from mtl_helpers.sharing import build_scheme


@pytest.fixture(scope="module", params=["bilstm", "transformer"])
def every_head(request):
    return every_head_model(request.param)


def test_task_call_runs_only_the_needed_tower():
    model = build_model([ALL_KINDS[0], ALL_KINDS[3]], encoder(), sharing="soft", coupling_weight=0.1)
    no_decoder = batch(decoder=False)
    with pytest.raises(ValueError, match="decoder_tokens"):
        model(no_decoder)  # all heads: the seq2seq head needs decoder tokens
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model.task_call(no_decoder, "cls"))  # the cls tower alone does not
    grads = tape.gradient(loss, model.task_variables("cls") + model.task_variables("mt"))
    n_cls = len(model.task_variables("cls"))
    assert all(g is not None for g in grads[:n_cls])
    assert all(g is None for g in grads[n_cls:])  # the other tower was never run


def _set_towers(model, constants):
    for name, c in zip(model.task_names, constants):
        for v in model.task_variables(name):
            v.assign(np.full(v.shape, c, dtype="float32"))


P_EMBEDDING = VOCAB * 4  # 80


P_LAYER = 2 * 4 * (3 * (4 + 3) + 3)  # two LSTMs, 4 gates each: kernel 4·3, recurrent 3·3, bias 3 → 192


def test_l2_penalty_equals_hand_computed_value():
    tasks = [TaskSpec(n, "classification", 2) for n in "abc"]
    model = build_model(tasks, encoder(), sharing="soft", coupling="l2", coupling_weight=2.0)
    _set_towers(model, [1.0, 0.5, 0.0])
    # Σ_pairs (c_i − c_j)² per weight = 0.25 + 1 + 0.25, over every tower weight (embedding + layer)
    expected = 2.0 * 1.5 * (P_EMBEDDING + P_LAYER)
    assert float(model.penalty()) == pytest.approx(expected, rel=1e-6)
    mean_model = build_model(tasks, encoder(), sharing="soft", coupling="l2_mean", coupling_weight=2.0)
    _set_towers(mean_model, [1.0, 0.5, 0.0])
    assert float(mean_model.penalty()) == pytest.approx(2.0 * 0.5 * (P_EMBEDDING + P_LAYER), rel=1e-6)


def test_trace_norm_on_a_hand_example():
    tasks = [TaskSpec(n, "classification", 2) for n in "ab"]
    model = build_model(tasks, encoder(), sharing="soft", coupling="trace_norm", coupling_weight=1.0)
    _set_towers(model, [1.0, 0.0])  # rows [1…1] and [0…0]: singular values √P and 0, per layer
    assert float(model.penalty()) == pytest.approx(np.sqrt(P_EMBEDDING) + np.sqrt(P_LAYER), rel=1e-5)
    _set_towers(model, [1.0, 1.0])  # two equal rows: rank one, singular value √(2P)
    assert float(model.penalty()) == pytest.approx(np.sqrt(2 * P_EMBEDDING) + np.sqrt(2 * P_LAYER), rel=1e-5)
    _set_towers(model, [3.0, -3.0])  # orthogonal? no: opposite rows, rank one, √(9P + 9P)
    assert float(model.penalty()) == pytest.approx(np.sqrt(18 * P_EMBEDDING) + np.sqrt(18 * P_LAYER), rel=1e-5)


def test_trace_norm_has_a_finite_gradient_on_random_weights():
    tasks = [TaskSpec(n, "classification", 2) for n in "abc"]
    model = build_model(tasks, encoder(), sharing="soft", coupling="trace_norm", coupling_weight=0.1)
    with tf.GradientTape() as tape:
        value = model.penalty()
    grads = tape.gradient(value, model.trainable_weights)
    assert float(value) > 0
    assert all(np.all(np.isfinite(g)) for g in grads if g is not None)


@pytest.mark.parametrize("sharing", ["none", "hard", "cross_stitch"])
def test_penalty_is_zero_without_soft_sharing(sharing):
    tasks = [TaskSpec(n, "classification", 2) for n in "ab"]
    assert float(build_model(tasks, encoder(), sharing=sharing, coupling_weight=5.0).penalty()) == 0.0


@pytest.mark.parametrize("kind", ["bilstm", "transformer"])
def test_cross_stitch_with_identity_alpha_equals_independent_towers(kind):
    tasks = [TaskSpec("cls", "classification", 3), TaskSpec("lm", "lm", VOCAB)]
    enc = encoder(kind, num_layers=2)
    stitched = build_model(tasks, enc, sharing="cross_stitch", stitch_diagonal=1.0, seed=1)
    independent = build_model(tasks, enc, sharing="none", seed=2)
    for name in stitched.task_names:
        for source, target in zip(stitched.task_variables(name), independent.task_variables(name)):
            target.assign(source)
    alphas = stitched.coupling_variables()
    assert len(alphas) == 2  # one unit after each layer
    np.testing.assert_array_equal(alphas[0].numpy(), np.eye(2))
    x = batch(decoder=False)
    a, b = numpy_out(stitched(x)), numpy_out(independent(x))
    for name in stitched.task_names:
        np.testing.assert_array_equal(a[name], b[name])
    for alpha in alphas:  # α ≠ I really mixes the towers
        alpha.assign([[0.9, 0.1], [0.1, 0.9]])
    assert not np.allclose(numpy_out(stitched(x))["cls"], a["cls"])


def test_cross_stitch_default_alpha_is_near_identity():
    tasks = [TaskSpec(n, "classification", 2) for n in "abc"]
    model = build_model(tasks, encoder(), sharing="cross_stitch")
    alpha = model.coupling_variables()[0].numpy()
    np.testing.assert_allclose(np.diag(alpha), 0.9)
    np.testing.assert_allclose(alpha[0, 1], 0.05)
    np.testing.assert_allclose(alpha.sum(axis=1), 1.0, rtol=1e-6)


def test_tower_distance_falls_as_lambda_grows():
    rng = np.random.default_rng(0)
    tokens = rng.integers(4, VOCAB, size=(32, 6)).astype("int32")
    x = {"tokens": tf.constant(tokens)}
    y_cls = tf.constant((tokens[:, 0] % 2).astype("int32"))
    y_tag = tf.constant((tokens % 3).astype("int32"))
    tasks = [TaskSpec("cls", "classification", 2), TaskSpec("tag", "tagging", 3)]
    model = build_model(tasks, encoder("transformer"), sharing="soft", seed=0)
    start = model.get_weights()
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    distances, losses = {}, {}
    for lam in (0.0, 0.01, 0.3):
        model.set_weights(start)  # same start for every λ
        model.coupling_weight = lam
        optimizer = keras.optimizers.SGD(0.1)

        @tf.function
        def step(optimizer=optimizer):
            with tf.GradientTape() as tape:
                task_loss = (loss_fn(y_cls, model.task_call(x, "cls", training=True))
                             + loss_fn(y_tag, model.task_call(x, "tag", training=True)))
                loss = task_loss + model.penalty()
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights), model.trainable_weights))
            return task_loss

        losses[lam] = [float(step()) for _ in range(15)]
        distances[lam] = float(tower_distance(model).query("layer == 'total'")["distance"].iloc[0])
    assert distances[0.0] > distances[0.01] > distances[0.3]
    assert losses[0.0][-1] < losses[0.0][0]  # the tasks are learnable


def _assert_lm_does_not_peek(model, chars: bool) -> None:
    tokens = np.array([[2, 5, 6, 7, 8, 9, 10]], "int32")
    changed = tokens.copy()
    t = 3
    changed[0, t + 1:] = [15, 16, 17]
    x, y = {"tokens": tokens}, {"tokens": changed}
    if chars:
        x["chars"] = y["chars"] = np.ones((1, 7, 2), "int32")
    before, after = np.asarray(model.task_call(x, "lm")), np.asarray(model.task_call(y, "lm"))
    np.testing.assert_allclose(before[:, : t + 1], after[:, : t + 1], atol=1e-5)
    assert not np.allclose(before[:, t + 1:], after[:, t + 1:])  # later positions do see their inputs
    tag_before, tag_after = np.asarray(model.task_call(x, "tag")), np.asarray(model.task_call(y, "tag"))
    assert not np.allclose(tag_before[:, : t + 1], tag_after[:, : t + 1])  # tagging stays bidirectional


def test_language_model_does_not_peek_with_hard_sharing(every_head):
    _assert_lm_does_not_peek(*every_head)


@pytest.mark.parametrize("kind", ["bilstm", "transformer"])
def test_language_model_does_not_peek_through_cross_stitch(kind):
    tasks = [TaskSpec("lm", "lm", VOCAB), TaskSpec("tag", "tagging", 4)]
    _assert_lm_does_not_peek(build_model(tasks, encoder(kind, num_layers=2), sharing="cross_stitch"), False)


def test_each_scheme_builds_explicit_towers_per_owner():
    """Who owns which blocks: hard = a shared tower + each task's layers above it; none/soft = a whole tower per
    task, as deep as its head reads; cross_stitch = equal towers and one α unit per layer."""
    enc, depths = encoder(num_layers=2), {"a": 1, "b": 2}

    def names(tower):
        return [None if tower.embedding is None else tower.embedding.name, *(layer.name for layer in tower.layers)]

    hard = build_scheme("hard", enc, depths, shared_layers=1, stitch_diagonal=0.9)
    assert {o: names(t) for o, t in hard.towers.items()} == {
        "shared": ["shared_embedding", "shared_layer1"], "a": [None], "b": [None, "b_layer2"]}
    assert hard.stitches == [] and hard.towers["b"].first == 2
    separate = build_scheme("none", enc, depths, shared_layers=None, stitch_diagonal=0.9)
    assert {o: names(t) for o, t in separate.towers.items()} == {
        "a": ["a_embedding", "a_layer1"], "b": ["b_embedding", "b_layer1", "b_layer2"]}
    stitched = build_scheme("cross_stitch", enc, depths, shared_layers=None, stitch_diagonal=0.9)
    assert {o: names(t) for o, t in stitched.towers.items()} == {
        "a": ["a_embedding", "a_layer1", "a_layer2"], "b": ["b_embedding", "b_layer1", "b_layer2"]}
    assert [s.name for s in stitched.stitches] == ["cross_stitch1", "cross_stitch2"]
    assert list(hard.units("b")) == ["embedding", "layer_1", "layer_2"] and hard.units("b")["layer_1"] is None
