"""The sharing schemes: who owns which encoder blocks, and how one task's states are computed from them.

Each scheme builds explicit towers, one :class:`Tower` per owner ("shared" or a task), and has its own
forward pass, :meth:`encode`, that returns the states of the layer a task's head reads (its depth):

* :class:`SeparateTowers` (``"none"`` and ``"soft"``): every task has a whole encoder of its own. Soft sharing
  runs the same towers and adds λ·Ω to the loss (:func:`coupling_penalty`), which pulls them together.
* :class:`HardSharing` (``"hard"``): one embedding and the lowest layers are θ_sh, run once per call for all
  tasks; each task has its own layers above them.
* :class:`CrossStitchSharing` (``"cross_stitch"``): one tower per task; after every layer a learned T×T
  matrix α mixes the towers' outputs (Misra et al. 2016).

``cache`` (a dict the model makes fresh for every call) keeps the stages that several tasks read, so a call
for many tasks computes each shared block once. Blocks are created in the order a scheme lists them, under
the model's seed, so the same seed gives the same weights.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import keras
import tensorflow as tf
from keras import ops

from mtl_helpers.layers import BiLSTMLayer, CrossStitch, EmbeddingBlock, TransformerBlock
from mtl_helpers.specs import EncoderConfig
from mtl_helpers.theta import unit_order

Layer = keras.layers.Layer


@dataclass
class Tower:
    """The encoder blocks one owner has, bottom up: its embedding (None: it reads a shared one) and layers
    ``first``, ``first + 1``, ... of the encoder (1-based numbers)."""

    embedding: EmbeddingBlock | None
    layers: list[Layer]
    first: int = 1

    def embed(self, inputs: dict, training: bool) -> tf.Tensor:
        return self.embedding(inputs["tokens"], chars=inputs.get("chars"), training=training)


def _run(layer: Layer, x: tf.Tensor, mask: tf.Tensor, causal: bool, training: bool) -> tf.Tensor:
    return layer(x, padding_mask=mask, causal=causal, training=training)


def _embedding(encoder: EncoderConfig, owner: str) -> EmbeddingBlock:
    return EmbeddingBlock(
        encoder.vocab_size, encoder.embedding_dim, encoder.dropout,
        max_length=encoder.max_length if encoder.kind == "transformer" else 0,
        char_vocab_size=encoder.char_vocab_size, char_embedding_dim=encoder.char_embedding_dim,
        char_filters=encoder.char_filters, project_chars=encoder.kind == "transformer",
        word_dropout=encoder.word_dropout, name=f"{owner}_embedding")


def _layers(encoder: EncoderConfig, owner: str, first: int, last: int) -> list[Layer]:
    """Encoder layers ``first..last`` (1-based, inclusive) named ``<owner>_layer<number>``; BiLSTM layers above
    the first split their input into the forward and backward halves (no peeking)."""
    if encoder.kind == "bilstm":
        return [BiLSTMLayer(encoder.hidden_units, encoder.dropout, split_input=n > 1, name=f"{owner}_layer{n}")
                for n in range(first, last + 1)]
    return [TransformerBlock(encoder.embedding_dim, encoder.num_heads, encoder.hidden_units, encoder.dropout,
                             name=f"{owner}_layer{n}") for n in range(first, last + 1)]


class Scheme:
    """What every scheme has: ``towers`` by owner, the cross-stitch units (if any), each task's depth."""

    def __init__(self, depths: dict[str, int]) -> None:
        self.depths = depths  # task → the encoder layer (1-based) its head reads
        self.towers: dict[str, Tower] = {}
        self.stitches: list[CrossStitch] = []

    def encode(self, inputs: dict, mask: tf.Tensor, task: str, causal: bool, training: bool,
               cache: dict) -> tf.Tensor:
        """States [B, L, D] of the layer ``task``'s head reads."""
        raise NotImplementedError

    def units(self, task: str) -> dict[str, Layer | None]:
        """Comparable encoder units of a task: "embedding", "layer_1", ... → its own block, or None if shared."""
        shared, own = self.towers.get("shared"), self.towers[task]
        units: dict[str, Layer | None] = {"embedding": own.embedding}
        units.update({f"layer_{n}": None for n in range(1, len(shared.layers) + 1)} if shared else {})
        units.update({f"layer_{own.first + i}": layer for i, layer in enumerate(own.layers)})
        return units


class SeparateTowers(Scheme):
    """``"none"`` and ``"soft"``: each task a whole tower of its own (embedding, layers 1..its depth)."""

    def __init__(self, encoder: EncoderConfig, depths: dict[str, int]) -> None:
        super().__init__(depths)
        self.towers = {task: Tower(_embedding(encoder, task), _layers(encoder, task, 1, depth))
                       for task, depth in depths.items()}

    def encode(self, inputs: dict, mask: tf.Tensor, task: str, causal: bool, training: bool,
               cache: dict) -> tf.Tensor:
        tower = self.towers[task]
        x = tower.embed(inputs, training)
        for layer in tower.layers:
            x = _run(layer, x, mask, causal, training)
        return x


class HardSharing(Scheme):
    """``"hard"``: θ_sh = one embedding + layers 1..``shared_layers`` (default: all); each task owns the layers
    above, up to its depth. A task that reads a shared layer (``read_layer``) has no layers of its own."""

    def __init__(self, encoder: EncoderConfig, depths: dict[str, int], shared_layers: int | None) -> None:
        super().__init__(depths)
        shared = encoder.num_layers if shared_layers is None else shared_layers
        self.towers = {"shared": Tower(_embedding(encoder, "shared"), _layers(encoder, "shared", 1, shared))}
        for task, depth in depths.items():
            self.towers[task] = Tower(None, _layers(encoder, task, shared + 1, depth), first=shared + 1)

    def encode(self, inputs: dict, mask: tf.Tensor, task: str, causal: bool, training: bool,
               cache: dict) -> tf.Tensor:
        shared = self.towers["shared"]
        stages = cache.setdefault(("shared", causal), [])  # stages[k]: output of shared layer k (0: embedding)
        reach = min(self.depths[task], len(shared.layers))
        while len(stages) <= reach:  # only as deep as this task needs; other tasks reuse the stages
            stages.append(shared.embed(inputs, training) if not stages else
                          _run(shared.layers[len(stages) - 1], stages[-1], mask, causal, training))
        x = stages[reach]
        for layer in self.towers[task].layers:
            x = _run(layer, x, mask, causal, training)
        return x


class CrossStitchSharing(Scheme):
    """``"cross_stitch"``: one tower per task, all as deep as the deepest head; after layer l the unit
    ``stitches[l - 1]`` mixes the towers, out_i = Σ_j α_ij x_j. α starts at ``diagonal`` on its diagonal."""

    def __init__(self, encoder: EncoderConfig, depths: dict[str, int], diagonal: float) -> None:
        super().__init__(depths)
        top = max(depths.values())
        self.towers = {task: Tower(_embedding(encoder, task), _layers(encoder, task, 1, top)) for task in depths}
        self.stitches = [CrossStitch(len(depths), diagonal, name=f"cross_stitch{n}") for n in range(1, top + 1)]

    def encode(self, inputs: dict, mask: tf.Tensor, task: str, causal: bool, training: bool,
               cache: dict) -> tf.Tensor:
        towers = list(self.towers.values())
        stages = cache.setdefault(("stitch", causal), [])  # stages[l]: every tower's output after stitch l
        while len(stages) <= self.depths[task]:
            if not stages:
                stages.append([tower.embed(inputs, training) for tower in towers])
                continue
            level = len(stages)
            outs = [_run(tower.layers[level - 1], x, mask, causal, training) for tower, x in zip(towers, stages[-1])]
            stages.append(self.stitches[level - 1](outs))
        return stages[self.depths[task]][list(self.towers).index(task)]


def build_scheme(sharing: str, encoder: EncoderConfig, depths: dict[str, int], *, shared_layers: int | None,
                 stitch_diagonal: float) -> Scheme:
    """The scheme of ``sharing`` (one of specs.SHARINGS), its blocks created now."""
    if sharing == "hard":
        return HardSharing(encoder, depths, shared_layers)
    if sharing == "cross_stitch":
        return CrossStitchSharing(encoder, depths, stitch_diagonal)
    return SeparateTowers(encoder, depths)


def coupling_penalty(units: dict[str, dict[str, Layer | None]], coupling: str) -> tf.Tensor:
    """Ω(θ_1..θ_T), soft sharing's coupling, over the units that at least two tasks own (no λ).

    ``units``: task → its encoder units (:meth:`Scheme.units`). ``coupling``: "l2" Σ_{i<j} ‖W^(i) − W^(j)‖²,
    "l2_mean" Σ_i ‖W^(i) − mean‖², "trace_norm" ‖[vec W^(1); …; vec W^(T)]‖_*, summed over units.
    """
    total = tf.constant(0.0)
    names = sorted({u for per_task in units.values() for u in per_task}, key=unit_order)
    for unit in names:
        blocks = [per_task[unit] for per_task in units.values() if per_task.get(unit) is not None]
        if len(blocks) < 2:
            continue
        # same architecture → same variable order; read each variable as a tensor (the tape still sees it)
        weights = [[tf.convert_to_tensor(v) for v in b.trainable_weights] for b in blocks]
        if coupling == "l2":
            for a, b in itertools.combinations(weights, 2):
                total += sum(ops.sum(ops.square(va - vb)) for va, vb in zip(a, b))
        elif coupling == "l2_mean":
            for group in zip(*weights):
                mean = ops.mean(ops.stack(group), axis=0)
                total += sum(ops.sum(ops.square(v - mean)) for v in group)
        else:
            stacked = ops.stack([ops.concatenate([ops.reshape(v, (-1,)) for v in w]) for w in weights])
            singular, _, _ = tf.linalg.svd(stacked, full_matrices=False, compute_uv=True)
            total += ops.sum(singular)
    return total
