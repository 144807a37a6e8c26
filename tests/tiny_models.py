"""Tiny models and inputs shared by the tests of the model's modules (test_models, test_specs, test_layers,
test_heads, test_sharing, test_theta): a 20-word vocabulary, 4-wide embeddings, 3-unit layers, so every
model builds in well under a second.
"""
import functools

import keras
import numpy as np

from mtl_helpers import models
from mtl_helpers.models import EncoderConfig, TaskSpec, build_model

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
        starts = np.full((rows, 1), 2)
        inputs["decoder_tokens"] = np.concatenate([starts, rng.integers(4, 7, (rows, 3))], 1).astype("int32")
    return inputs


def numpy_out(out: dict) -> dict:
    return {k: np.asarray(v) for k, v in out.items()}


@functools.cache
def every_head_model(kind: str) -> tuple[models.MultiTaskModel, bool]:
    """Hard sharing, 2 layers (1 shared, 1 per task), every head kind; char features on for the BiLSTM.
    Built once per session (the tests only read it)."""
    chars = {"char_vocab_size": 10} if kind == "bilstm" else {}
    model = build_model(ALL_KINDS, encoder(kind, num_layers=2, **chars), sharing="hard", shared_layers=1)
    return model, bool(chars)


def round_trip(model, x, path):
    expected = numpy_out(model(x))
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, models.MultiTaskModel) and loaded.get_config() == model.get_config()
    assert loaded.count_params() == model.count_params()
    got = numpy_out(loaded(x))
    for name in expected:
        np.testing.assert_array_equal(expected[name], got[name])
