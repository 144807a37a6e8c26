"""Tests for mtl_helpers.models: the model as a whole (checked configuration, seeds, .keras round trips,
tf.function and tf.distribute) and its CLI."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tiny_models import VOCAB, batch, encoder, every_head_model, round_trip

from mtl_helpers import models
from mtl_helpers.models import EncoderConfig, TaskSpec, build_model


@pytest.fixture(scope="module", params=["bilstm", "transformer"])
def every_head(request):
    return every_head_model(request.param)


def test_keras_file_round_trip_every_head(every_head, tmp_path):
    model, chars = every_head
    round_trip(model, batch(chars=chars), tmp_path / "model.keras")


@pytest.mark.parametrize("sharing,kind", [(s, k) for s in ("none", "soft", "cross_stitch")
                                          for k in models.ENCODER_KINDS])
def test_keras_file_round_trip_keeps_predictions(tmp_path, sharing, kind):
    tasks = [TaskSpec("cls", "classification", 3), TaskSpec("lm", "lm", VOCAB)]
    model = build_model(tasks, encoder(kind), sharing=sharing, seed=3)
    round_trip(model, batch(decoder=False), tmp_path / "model.keras")


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


def test_lm_spec_checks_outputs_and_direction():
    with pytest.raises(ValueError, match="bidirectional=True needs an lm task"):
        TaskSpec("tag", "tagging", 4, bidirectional=True)
    with pytest.raises(ValueError, match=r"num_outputs \(4\) must be 5..EncoderConfig.vocab_size"):
        build_model([TaskSpec("lm", "lm", 4)], encoder())
    with pytest.raises(ValueError, match="needs the BiLSTM encoder"):
        build_model([TaskSpec("lm", "lm", VOCAB, bidirectional=True)], encoder("transformer"))


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


def test_every_public_name_is_still_importable_from_models():
    """Notebooks and exercises call models.X for names that now live in specs, layers, heads, sharing, theta."""
    missing = [name for name in models.__all__ if not hasattr(models, name)]
    assert not missing
    for name in ("masked_max", "fused_lstm", "CrossStitch", "Seq2SeqHead", "theta_partition", "POOLINGS"):
        assert name in models.__all__
