"""What a multi-task model is built from: the encoder's sizes (:class:`EncoderConfig`), one :class:`TaskSpec`
per task, and the allowed values of every choice (task kinds, encoders, poolings, sharing schemes, couplings).

Plain dataclasses with checks: a wrong value raises a ValueError that names the field and the fix, before any
Keras layer exists. Layers, heads and the model (``mtl_helpers.layers``, ``heads``, ``models``) read them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mtl_helpers.config import is_integer, is_number
from mtl_helpers.tasks import KINDS

#: an lm head predicts at least the four special ids (padding, <unk>, <s>, </s>) and one word
LM_MIN_OUTPUTS = 5
ENCODER_KINDS = ("bilstm", "transformer")
UNK_ID, FIRST_WORD_ID = 1, 4  # token ids: 0..3 = <pad>, <unk>, <s>, </s> (data.Vocabulary.SPECIALS), then words
POOLINGS = ("mean", "max", "mean_max")  # ClassificationHead: sentence vector = mean, max, or both side by side
SHARINGS = ("none", "hard", "soft", "cross_stitch")
COUPLINGS = ("l2", "l2_mean", "trace_norm")
RESERVED_GROUPS = ("shared", "coupling")


@dataclass
class EncoderConfig:
    """Sizes of the encoder (embedding + layers); one config serves every tower of a model."""

    vocab_size: int
    kind: str = "bilstm"  # or "transformer"
    embedding_dim: int = 64
    hidden_units: int = 64  # BiLSTM units per direction; transformer feed-forward width (model width = embedding_dim)
    num_layers: int = 2
    dropout: float = 0.1
    word_dropout: float = 0.0  # training only: chance that a word's id becomes <unk> (its characters stay)
    num_heads: int = 2  # transformer only
    max_length: int = 160  # transformer learned positions
    char_vocab_size: int = 0  # >0 turns on character features (inputs["chars"]: int32 [B, L, W])
    char_embedding_dim: int = 16  # character features: char embedding size
    char_filters: int = 32  # character features: CNN filters = size of a word's char vector

    def __post_init__(self) -> None:
        if self.kind not in ENCODER_KINDS:
            raise ValueError(f"EncoderConfig.kind={self.kind!r} is unknown; use one of {ENCODER_KINDS}.")
        for name in ("vocab_size", "embedding_dim", "hidden_units", "num_layers", "num_heads", "max_length",
                     "char_embedding_dim", "char_filters"):
            value = getattr(self, name)
            if not is_integer(value) or value < 1:
                raise ValueError(f"EncoderConfig.{name} must be a positive integer, got {value!r} "
                                 f"({type(value).__name__}); pass e.g. {name}="
                                 f"{getattr(EncoderConfig, name, 'len(vocab)')}.")
        if not is_integer(self.char_vocab_size) or self.char_vocab_size < 0:
            raise ValueError(f"EncoderConfig.char_vocab_size must be an integer >= 0 (0 = no character features), "
                             f"got {self.char_vocab_size!r}; pass e.g. char_vocab_size=len(char_vocab).")
        for name in ("dropout", "word_dropout"):
            value = getattr(self, name)
            if not is_number(value) or not 0.0 <= value < 1.0:
                raise ValueError(f"EncoderConfig.{name} must be a number in [0, 1), got {value!r} "
                                 f"({type(value).__name__}); pass e.g. {name}=0.1.")
        for name in ("vocab_size", "embedding_dim", "hidden_units", "num_layers", "num_heads", "max_length",
                     "char_vocab_size", "char_embedding_dim", "char_filters"):
            setattr(self, name, int(getattr(self, name)))  # numpy ints would not serialize to JSON
        self.dropout, self.word_dropout = float(self.dropout), float(self.word_dropout)
        if self.kind == "transformer" and self.embedding_dim % self.num_heads:
            raise ValueError(f"transformer: embedding_dim={self.embedding_dim} must be divisible by "
                             f"num_heads={self.num_heads}; change one of them.")

    @property
    def output_dim(self) -> int:
        """Width of one encoder layer's output (2·units for the BiLSTM: forward half, then backward half)."""
        return 2 * self.hidden_units if self.kind == "bilstm" else self.embedding_dim


@dataclass
class TaskSpec:
    """What a head needs to know about a task: its kind and output size."""

    name: str
    kind: str  # one of KINDS
    num_outputs: int  # classes / tags / vocab size (lm) / target vocab size (seq2seq)
    read_layer: int | None = None  # encoder layer (1-based) the head reads from; None = top layer
    crf: bool = False  # tagging only: a linear-chain CRF output layer (mtl_helpers.crf) instead of per-token softmax
    pooling: str = "mean"  # classification only: how token states become one sentence vector (POOLINGS)
    #: lm only (BiLSTM): the backward half also predicts the PREVIOUS word, so pretraining trains both halves
    bidirectional: bool = False
    hidden: int = 0  # tagging only: width of a ReLU layer before the output layer (an MLP head); 0 = linear

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not re.fullmatch(r"[A-Za-z0-9_]+", self.name):
            raise ValueError(f"task name {self.name!r} must be a non-empty string of letters, digits and _ "
                             f"(e.g. 'toy_ner').")
        if self.name in RESERVED_GROUPS:
            raise ValueError(f"task name {self.name!r} is reserved for θ accounting; rename the task.")
        if self.kind not in KINDS:
            raise ValueError(f"task {self.name!r}: unknown kind {self.kind!r}; use one of {KINDS}.")
        if not is_integer(self.num_outputs) or self.num_outputs < 1:
            raise ValueError(f"task {self.name!r}: num_outputs must be a positive integer, got {self.num_outputs!r} "
                             f"({type(self.num_outputs).__name__}); pass e.g. num_outputs=len(task.labels).")
        if self.read_layer is not None and (not is_integer(self.read_layer) or self.read_layer < 1):
            raise ValueError(f"task {self.name!r}: read_layer must be None (top) or a 1-based layer number, "
                             f"got {self.read_layer!r}; pass e.g. read_layer=1.")
        if self.crf and self.kind != "tagging":
            raise ValueError(f"task {self.name!r}: crf=True needs a tagging task (it scores tag sequences), "
                             f"not kind={self.kind!r}; drop crf or use kind='tagging'.")
        if self.pooling not in POOLINGS:
            raise ValueError(f"task {self.name!r}: unknown pooling {self.pooling!r}; use one of {POOLINGS}.")
        if self.pooling != "mean" and self.kind != "classification":
            raise ValueError(f"task {self.name!r}: pooling={self.pooling!r} needs a classification task (it "
                             f"pools a sentence into one vector), not kind={self.kind!r}; drop pooling.")
        if self.bidirectional and self.kind != "lm":
            raise ValueError(f"task {self.name!r}: bidirectional=True needs an lm task (it predicts the previous "
                             f"word too), not kind={self.kind!r}; drop bidirectional.")
        if not is_integer(self.hidden) or self.hidden < 0 or (self.hidden and self.kind != "tagging"):
            raise ValueError(f"task {self.name!r}: hidden must be an integer >= 0 (0 = a linear head), and > 0 only "
                             f"for a tagging task, got hidden={self.hidden!r} with kind={self.kind!r}; pass e.g. "
                             "hidden=64 on a tagging task.")
        self.crf, self.bidirectional, self.hidden = bool(self.crf), bool(self.bidirectional), int(self.hidden)
        self.num_outputs = int(self.num_outputs)
        self.read_layer = None if self.read_layer is None else int(self.read_layer)

    @classmethod
    def from_task(cls, task: Any, vocab: Any, target_vocab: Any = None, read_layer: int | None = None,
                  crf: bool = False, pooling: str = "mean") -> TaskSpec:
        """Spec for a ``data.TaskData``: labels for classification/tagging, vocabulary sizes for lm/seq2seq."""
        if task.kind in ("classification", "tagging"):
            num_outputs = len(task.labels)
        elif task.kind == "lm":
            num_outputs = len(vocab)
        elif task.kind == "seq2seq":
            if target_vocab is None:
                raise ValueError(f"task {task.name!r} is seq2seq: pass target_vocab= (the target-language "
                                 f"Vocabulary) so the decoder knows its output size.")
            num_outputs = len(target_vocab)
        else:
            raise ValueError(f"task {task.name!r}: unknown kind {task.kind!r}; use one of {KINDS}.")
        return cls(task.name, task.kind, int(num_outputs), read_layer, crf, pooling)

