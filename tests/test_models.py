"""Tests for mtl_helpers.models: θ accounting, coupling penalties, cross-stitch, masking, no-peeking, save/load."""
from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from mtl_helpers import models
from mtl_helpers.models import (EncoderConfig, TaskSpec, build_model, build_single_task, theta_partition,
                                tower_distance)

VOCAB = 20
SMALL = dict(embedding_dim=4, hidden_units=3, num_layers=1, dropout=0.0)
ALL_KINDS = [TaskSpec("cls", "classification", 3), TaskSpec("tag", "tagging", 4), TaskSpec("lm", "lm", VOCAB),
             TaskSpec("mt", "seq2seq", 7)]


def encoder(kind: str = "bilstm", **overrides) -> EncoderConfig:
    return EncoderConfig(VOCAB, kind=kind, **{**SMALL, **({"num_heads": 2} if kind == "transformer" else {}),
                                            **overrides})


def batch(seed: int = 0, rows: int = 3, length: int = 6, chars: bool = False, decoder: bool = True) -> dict:
    """Random int inputs, each row padded with 0 after a random real length (>= 2)."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(4, VOCAB, size=(rows, length)).astype("int32")
    for row, n in enumerate(rng.integers(2, length + 1, size=rows)):
        tokens[row, n:] = 0
    inputs = {"tokens": tokens}
    if chars:
        ch = rng.integers(1, 9, size=(rows, length, 5)).astype("int32")
        ch[:, :, 4:] = 0
        inputs["chars"] = ch * (tokens[..., None] > 0)
    if decoder:
        inputs["decoder_tokens"] = np.concatenate([np.full((rows, 1), 2), rng.integers(4, 7, (rows, 3))], 1).astype("int32")
    return inputs


def numpy_out(out: dict) -> dict:
    return {k: np.asarray(v) for k, v in out.items()}


# ------------------------------------------------------------------------------------------- shapes
@pytest.fixture(scope="module", params=["bilstm", "transformer"])
def every_head(request):
    """Hard sharing, 2 layers (1 shared, 1 per task), every head kind; char features on for the BiLSTM."""
    chars = {"char_vocab_size": 10} if request.param == "bilstm" else {}
    model = build_model(ALL_KINDS, encoder(request.param, num_layers=2, **chars), sharing="hard", shared_layers=1)
    return model, bool(chars)


def test_every_head_returns_logits_of_the_contract_shape(every_head):
    model, chars = every_head
    x = batch(chars=chars)
    out = model(x)
    assert out["cls"].shape == (3, 3)
    assert out["tag"].shape == (3, 6, 4)
    assert out["lm"].shape == (3, 6, VOCAB)
    assert out["mt"].shape == (3, 4, 7)
    for name in model.task_names:  # task_call gives the same numbers as the all-heads call
        np.testing.assert_allclose(model.task_call(x, name), out[name], atol=1e-6)


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


# ------------------------------------------------------------------------------------------- θ accounting
VARIANTS = [
    dict(sharing="hard"), dict(sharing="hard", shared_layers=0), dict(sharing="hard", shared_layers=1),
    dict(sharing="none"), dict(sharing="soft"), dict(sharing="cross_stitch"),
]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(map(str, v.values())))
def test_partition_covers_every_weight_once(variant):
    tasks = [TaskSpec("a", "classification", 3), TaskSpec("b", "tagging", 5, read_layer=1)]
    model = build_model(tasks, encoder(num_layers=2), **variant)
    table = theta_partition(model)
    assert list(table.columns) == ["group", "parameters", "weights", "share"]
    assert list(table["group"]) == ["shared", "a", "b", "coupling"]
    assert table["parameters"].sum() == model.count_params()
    assert table["weights"].sum() == len(model.weights)
    assert table["share"].sum() == pytest.approx(1.0)
    groups = dict(zip(table["group"], table["parameters"]))
    assert (groups["shared"] > 0) == (variant["sharing"] == "hard")
    assert (groups["coupling"] > 0) == (variant["sharing"] == "cross_stitch")
    # the trainer's view agrees with the table
    trainable = {id(v) for v in model.trainable_weights}
    parts = [model.shared_variables(), model.task_variables("a"), model.task_variables("b"), model.coupling_variables()]
    ids = [id(v) for part in parts for v in part]
    assert len(ids) == len(set(ids)) and set(ids) == trainable


def test_read_layer_gives_a_head_on_a_shared_layer_no_tower():
    tasks = [TaskSpec("low", "tagging", 5, read_layer=1), TaskSpec("high", "tagging", 5)]
    model = build_model(tasks, encoder(num_layers=2), sharing="hard", shared_layers=1)
    groups = dict(zip(*theta_partition(model)[["group", "parameters"]].T.values))
    assert groups["low"] == 2 * 3 * 5 + 5  # Dense(2·units → 5) only
    assert groups["high"] > groups["low"]  # its own second layer


@pytest.mark.parametrize("kind,shared_layers", [("bilstm", 1), ("transformer", None)])
def test_hard_sharing_saves_exactly_t_minus_one_copies_of_theta_sh(kind, shared_layers):
    tasks = [TaskSpec("a", "classification", 3), TaskSpec("b", "tagging", 5), TaskSpec("c", "lm", VOCAB)]
    enc = encoder(kind, num_layers=2)
    hard = build_model(tasks, enc, sharing="hard", shared_layers=shared_layers)
    singles = sum(build_single_task(t, enc).count_params() for t in tasks)
    theta_sh = int(theta_partition(hard).set_index("group").loc["shared", "parameters"])
    assert theta_sh > 0
    assert singles - hard.count_params() == (len(tasks) - 1) * theta_sh


# ------------------------------------------------------------------------------------------- coupling penalties
def _set_towers(model, constants):
    for name, c in zip(model.task_names, constants):
        for v in model.task_variables(name):
            v.assign(np.full(v.shape, c, dtype="float32"))


# hand count for vocab 20, embedding 4, 1 BiLSTM layer of 3 units per direction:
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


# ------------------------------------------------------------------------------------------- cross-stitch
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


# ------------------------------------------------------------------------------------------- training with λ
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


def test_tower_distance_table_and_hard_sharing_zero_rows():
    tasks = [TaskSpec(n, "classification", 2) for n in "abc"]
    soft = build_model(tasks, encoder(num_layers=2), sharing="soft")
    table = tower_distance(soft)
    assert list(table.columns) == ["layer", "task_a", "task_b", "distance"]
    assert len(table) == 3 * 4  # 3 pairs × (embedding, layer_1, layer_2, total)
    per_pair = table[table.layer != "total"].groupby(["task_a", "task_b"])["distance"].apply(
        lambda d: np.sqrt((d**2).sum()))
    totals = table[table.layer == "total"].set_index(["task_a", "task_b"])["distance"]
    np.testing.assert_allclose(per_pair.sort_index(), totals.sort_index(), rtol=1e-6)
    hard = tower_distance(build_model(tasks, encoder(num_layers=2), sharing="hard"))
    assert (hard["distance"] == 0).all()


# ------------------------------------------------------------------------------------------- masking and no peeking
def test_masked_pooling_ignores_padding(every_head):
    model, chars = every_head
    x = batch(chars=chars)
    padded = {k: v.copy() for k, v in x.items()}
    padded["tokens"] = np.pad(x["tokens"], ((0, 0), (0, 4)))
    if chars:
        padded["chars"] = np.pad(x["chars"], ((0, 0), (0, 4), (0, 0)))
    for name in ("cls", "mt"):  # pooled classification; decoder init state + attention over encoder states
        np.testing.assert_allclose(model.task_call(x, name), model.task_call(padded, name), atol=1e-5)


def test_masked_max_on_a_hand_example():
    states = np.array([[[1.0, -2.0], [3.0, -5.0], [99.0, 99.0]],  # third position is padding
                       [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]], "float32")  # an empty sentence
    mask = np.array([[1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(np.asarray(models.masked_max(states, mask)), [[3.0, -2.0], [0.0, 0.0]])


@pytest.mark.parametrize("pooling", ["max", "mean_max"])
def test_max_pooling_heads_ignore_padding_and_round_trip(pooling, tmp_path):
    tasks = [TaskSpec("cls", "classification", 3, pooling=pooling), TaskSpec("tag", "tagging", 4)]
    model = build_model(tasks, encoder(word_dropout=0.2), sharing="hard", seed=1)  # word dropout: saved too
    x = batch(decoder=False)
    padded = {"tokens": np.pad(x["tokens"], ((0, 0), (0, 4)))}
    np.testing.assert_allclose(model.task_call(x, "cls"), model.task_call(padded, "cls"), atol=1e-5)
    width = 2 * SMALL["hidden_units"] * (2 if pooling == "mean_max" else 1)
    assert model.task_heads[0].out.kernel.shape == (width, 3)
    _round_trip(model, x, tmp_path / "pooled.keras")


def test_word_dropout_turns_some_words_into_unk_in_training_only():
    from mtl_helpers import data

    assert data.Vocabulary.SPECIALS[models.UNK_ID] == "<unk>" and len(data.Vocabulary.SPECIALS) == models.FIRST_WORD_ID
    block = models.EmbeddingBlock(VOCAB, 4, word_dropout=0.5)
    tokens = np.array([[0, 1, 2, 3] + list(range(4, VOCAB))] * 8, "int32")  # specials, then every word
    block(tokens)  # build
    block.word.embeddings.assign(np.arange(VOCAB, dtype="float32")[:, None].repeat(4, 1))  # row i holds i
    ids = np.asarray(block(tokens, training=True))[..., 0].astype(int)
    np.testing.assert_array_equal(ids[:, :4], tokens[:, :4])  # specials never change
    changed = ids[:, 4:] != tokens[:, 4:]
    assert (ids[:, 4:][changed] == models.UNK_ID).all() and 0.3 < changed.mean() < 0.7
    np.testing.assert_array_equal(np.asarray(block(tokens))[..., 0], tokens)  # inference: no change


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


@pytest.mark.parametrize("chars", [False, True])
def test_bidirectional_lm_sees_only_one_side_per_direction(chars, tmp_path):
    """Direction 0 (next word) reads tokens 0..t only, direction 1 (previous word) tokens t..n only, through
    two stacked layers; both use the same output layer, which may predict fewer ids than the vocabulary."""
    tasks = [TaskSpec("lm", "lm", 12, bidirectional=True), TaskSpec("tag", "tagging", 4)]
    model = build_model(tasks, encoder(num_layers=2, **({"char_vocab_size": 10} if chars else {})), seed=3)
    tokens = np.array([[2, 5, 6, 7, 8, 9, 10]], "int32")
    t = 3
    later, earlier = tokens.copy(), tokens.copy()
    later[0, t + 1:], earlier[0, 1:t] = [15, 16, 17], [18, 19]
    extra = {"chars": np.ones((1, 7, 2), "int32")} if chars else {}
    logits = {name: np.asarray(model.task_call({"tokens": x, **extra}, "lm"))
              for name, x in (("base", tokens), ("later", later), ("earlier", earlier))}
    assert logits["base"].shape == (1, 7, 2, 12)
    np.testing.assert_allclose(logits["base"][:, : t + 1, 0], logits["later"][:, : t + 1, 0], atol=1e-5)
    np.testing.assert_allclose(logits["base"][:, t:, 1], logits["earlier"][:, t:, 1], atol=1e-5)
    assert not np.allclose(logits["base"][:, t + 1:, 0], logits["later"][:, t + 1:, 0])
    assert not np.allclose(logits["base"][:, :t, 1], logits["earlier"][:, :t, 1])
    assert len(model.task_heads[0].trainable_weights) == 2  # one output layer (kernel, bias) for both directions
    _round_trip(model, {"tokens": tokens, **extra}, tmp_path / "bidirectional.keras")


def test_lm_spec_checks_outputs_and_direction():
    with pytest.raises(ValueError, match="bidirectional=True needs an lm task"):
        TaskSpec("tag", "tagging", 4, bidirectional=True)
    with pytest.raises(ValueError, match=r"num_outputs \(4\) must be 5..EncoderConfig.vocab_size"):
        build_model([TaskSpec("lm", "lm", 4)], encoder())
    with pytest.raises(ValueError, match="needs the BiLSTM encoder"):
        build_model([TaskSpec("lm", "lm", VOCAB, bidirectional=True)], encoder("transformer"))


def test_decoder_does_not_peek_at_later_target_words(every_head):
    model, chars = every_head
    x = batch(chars=chars)
    y = {**x, "decoder_tokens": x["decoder_tokens"].copy()}
    y["decoder_tokens"][:, 2:] = 6
    a, b = np.asarray(model.task_call(x, "mt")), np.asarray(model.task_call(y, "mt"))
    np.testing.assert_allclose(a[:, :2], b[:, :2], atol=1e-6)


# ------------------------------------------------------------------------------------------- Keras practice
def _round_trip(model, x, path):
    expected = numpy_out(model(x))
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, models.MultiTaskModel) and loaded.get_config() == model.get_config()
    assert loaded.count_params() == model.count_params()
    got = numpy_out(loaded(x))
    for name in expected:
        np.testing.assert_array_equal(expected[name], got[name])


def test_keras_file_round_trip_every_head(every_head, tmp_path):
    model, chars = every_head
    _round_trip(model, batch(chars=chars), tmp_path / "model.keras")


@pytest.mark.parametrize("sharing,kind", [(s, k) for s in ("none", "soft", "cross_stitch") for k in models.ENCODER_KINDS])
def test_keras_file_round_trip_keeps_predictions(tmp_path, sharing, kind):
    tasks = [TaskSpec("cls", "classification", 3), TaskSpec("lm", "lm", VOCAB)]
    model = build_model(tasks, encoder(kind), sharing=sharing, seed=3)
    _round_trip(model, batch(decoder=False), tmp_path / "model.keras")


def test_same_seed_same_weights_other_seed_other_weights():
    tasks = [TaskSpec("a", "classification", 2)]
    a, b, c = (build_model(tasks, encoder("transformer"), seed=s) for s in (0, 0, 1))
    for va, vb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(va, vb)
    assert not all(np.array_equal(va, vc) for va, vc in zip(a.get_weights(), c.get_weights()))


def test_task_call_in_tf_function_and_mirrored_strategy():
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    with strategy.scope():
        model = build_model([TaskSpec("a", "classification", 2), TaskSpec("b", "tagging", 3)], encoder(),
                            sharing="hard")
    x = {"tokens": tf.constant(batch(decoder=False)["tokens"])}

    @tf.function
    def run(inputs):
        return strategy.run(lambda i: model.task_call(i, "b"), args=(inputs,))

    np.testing.assert_allclose(run(x), model.task_call(x, "b"), atol=1e-6)


BAD_CONFIGS = [
    (lambda: TaskSpec("a", "regression", 2), "unknown kind"),
    (lambda: TaskSpec("a", "tagging", 0), "num_outputs"),
    (lambda: TaskSpec("shared", "tagging", 2), "reserved"),
    (lambda: EncoderConfig(VOCAB, kind="gru"), "EncoderConfig.kind"),
    (lambda: EncoderConfig(VOCAB, kind="transformer", embedding_dim=5, num_heads=2), "divisible"),
    (lambda: build_model([], encoder()), "empty"),
    (lambda: build_model([TaskSpec("a", "tagging", 2)] * 2, encoder()), "duplicate"),
    (lambda: build_model([TaskSpec("a", "tagging", 2)], encoder(), sharing="partial"), "unknown sharing"),
    (lambda: build_model([TaskSpec("a", "tagging", 2)], encoder(), shared_layers=2), "shared_layers=2"),
    (lambda: build_model([TaskSpec("a", "tagging", 2)], encoder(), sharing="soft", shared_layers=1), "only applies"),
    (lambda: build_model([TaskSpec("a", "tagging", 2, read_layer=2)], encoder()), "read_layer=2"),
    (lambda: build_model([TaskSpec("a", "tagging", 2)], encoder(), sharing="soft", coupling_weight=-1.0), ">= 0"),
    (lambda: build_model([TaskSpec("a", "tagging", 2)], encoder(), sharing="soft", coupling="l1"), "unknown coupling"),
    (lambda: build_model([TaskSpec("a", "tagging", 2)], encoder(), sharing="cross_stitch"), "at least 2"),
    (lambda: build_model([TaskSpec("a", "lm", VOCAB + 1)], encoder()), "vocab_size"),
    (lambda: TaskSpec("a", "classification", 2, pooling="attention"), "unknown pooling"),
    (lambda: EncoderConfig(VOCAB, word_dropout=1.0), "word_dropout"),
    (lambda: TaskSpec("a", "tagging", 2, pooling="max"), "needs a classification task"),
]


@pytest.mark.parametrize("make,message", BAD_CONFIGS, ids=[m for _, m in BAD_CONFIGS])
def test_bad_configuration_raises_value_error_that_names_the_fix(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_task_and_missing_inputs_are_value_errors():
    model = build_model([TaskSpec("a", "tagging", 2)], encoder(char_vocab_size=5))
    with pytest.raises(ValueError, match="unknown task"):
        model.task_call(batch(chars=True), "b")
    with pytest.raises(ValueError, match="chars"):
        model.task_call(batch(), "a")
    with pytest.raises(ValueError, match="tokens"):
        model.task_call(np.ones((2, 3), "int32"), "a")


# ------------------------------------------------------------------------------------------- CLI
def test_cli_prints_csv_partition(monkeypatch, capsys):
    monkeypatch.setattr(models, "_specs_from_names", lambda names, vocab_size: [
        TaskSpec(n, "tagging", 5) for n in names])
    assert models.main(["--tasks", "pos,chunk", "--sharing", "soft", "--format", "csv", "--embedding-dim", "8",
                        "--hidden-units", "4", "--layers", "1", "--vocab-size", "50"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("group,parameters")
    assert [line.split(",")[0] for line in lines[1:]] == ["shared", "pos", "chunk", "coupling"]


def test_cli_with_toy_tasks_from_data(capsys):
    pytest.importorskip("mtl_helpers.data")
    assert models.main(["--tasks", "toy_ner,toy_topic", "--sharing", "hard", "--embedding-dim", "8",
                        "--hidden-units", "4", "--layers", "1", "--vocab-size", "50"]) == 0
    out = capsys.readouterr().out
    assert "toy_ner" in out and "total parameters" in out


def test_cli_reports_bad_input_as_an_error(capsys):
    assert models.main(["--tasks", "no_such_task", "--sharing", "hard"]) == 2
    assert "error" in capsys.readouterr().err


def test_taskspec_from_task_uses_labels_and_vocabularies():
    class Task:  # duck-typed stand-in for data.TaskData
        def __init__(self, name, kind, labels):
            self.name, self.kind, self.labels = name, kind, labels

    assert TaskSpec.from_task(Task("pos", "tagging", ["DT", "NN"]), vocab=range(50)).num_outputs == 2
    assert TaskSpec.from_task(Task("lm", "lm", []), vocab=range(50)).num_outputs == 50
    assert TaskSpec.from_task(Task("mt", "seq2seq", []), vocab=range(50), target_vocab=range(9)).num_outputs == 9
    with pytest.raises(ValueError, match="target_vocab"):
        TaskSpec.from_task(Task("mt", "seq2seq", []), vocab=range(50))


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
def test_fused_lstm_equals_keras_masked_lstm_values_and_gradients(reverse, with_state):
    """The fused BlockLSTM path gives Keras' masked LSTM numbers, forward and backward, and the same
    gradients for the weights, the inputs and the initial state (a wrong gate order would show here)."""
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(4, 7, 5)).astype("float32"))
    mask = tf.sequence_mask([7, 3, 1, 5], 7)
    lstm = keras.layers.LSTM(6, return_sequences=True, go_backwards=reverse)
    lstm.build((None, None, 5))
    lstm.cell.bias.assign(rng.normal(size=24).astype("float32"))  # non-zero in every gate
    state = (tf.constant(rng.normal(size=(4, 6)).astype("float32")),
             tf.constant(rng.normal(size=(4, 6)).astype("float32"))) if with_state else None
    weight = tf.constant(rng.normal(size=(4, 7, 6)).astype("float32"))  # a loss that sees every output
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        if state:
            tape.watch(list(state))
        fused = models.fused_lstm(lstm, x, mask, reverse=reverse, initial_state=state)
        reference = lstm(x, mask=mask, initial_state=list(state) if state else None)
        if reverse:
            reference = tf.reverse(reference, [1])
        reference = reference * tf.cast(mask, tf.float32)[..., None]
        loss_fused, loss_reference = tf.reduce_sum(fused * weight), tf.reduce_sum(reference * weight)
    np.testing.assert_allclose(fused.numpy(), reference.numpy(), atol=1e-5)
    targets = lstm.trainable_variables + [x] + (list(state) if state else [])
    for got, want in zip(tape.gradient(loss_fused, targets), tape.gradient(loss_reference, targets)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-4)


# ----------------------------------------------------------------------------- config types
@pytest.mark.parametrize("name", ["vocab_size", "embedding_dim", "hidden_units", "num_layers", "num_heads",
                                  "max_length", "char_vocab_size", "char_embedding_dim", "char_filters",
                                  "dropout", "word_dropout"])
@pytest.mark.parametrize("value", ["8", True, None, 2.5])
def test_an_encoder_field_of_the_wrong_type_is_a_value_error_naming_the_fix(name, value):
    if name.endswith("dropout") and value == 2.5:
        value = [0.1]  # a float is right here; a list is not
    kwargs = {"vocab_size": VOCAB, name: value}
    with pytest.raises(ValueError, match=rf"EncoderConfig\.{name} must be .*pass e\.g\. {name}="):
        EncoderConfig(**kwargs)


@pytest.mark.parametrize("field,value", [("num_outputs", "3"), ("num_outputs", True), ("num_outputs", 3.0),
                                         ("read_layer", "1"), ("read_layer", True), ("read_layer", 1.0)])
def test_a_task_spec_number_of_the_wrong_type_is_a_value_error_naming_the_fix(field, value):
    kwargs = {"name": "pos", "kind": "tagging", "num_outputs": 3, field: value}
    with pytest.raises(ValueError, match=rf"{field} must be .*pass e\.g\. {field}="):
        TaskSpec(**kwargs)
    assert TaskSpec("pos", "tagging", np.int64(3), read_layer=np.int32(1)).num_outputs == 3  # NumPy ints pass
