"""Multi-task models whose weights map one-to-one onto θ = (θ_sh, θ_1..θ_T).

One class, :class:`MultiTaskModel`, covers every sharing scheme of the course (mtl_helpers.sharing):

* ``"none"``: one encoder (embedding + layers) and one head per task, nothing shared: T single-task models.
* ``"hard"``: one shared embedding + the lowest ``shared_layers`` encoder layers (θ_sh); above that every task
  has its own remaining layers and its head (θ_t). ``TaskSpec.read_layer`` lets a head read a lower layer
  (Søgaard & Goldberg 2016).
* ``"soft"``: one encoder per task, coupled by a penalty λ·Ω added to the loss (:meth:`MultiTaskModel.penalty`):
  ``"l2"`` Σ_l Σ_{i<j} ‖W_l^(i) − W_l^(j)‖² (Duong et al. 2015), ``"l2_mean"`` Σ_l Σ_i ‖W_l^(i) − mean_l‖²,
  ``"trace_norm"`` Σ_l ‖[vec W_l^(1); …; vec W_l^(T)]‖_* (Yang & Hospedales 2017).
* ``"cross_stitch"``: one encoder per task; after every layer a learned T×T matrix α mixes the tasks'
  outputs, out_i = Σ_j α_ij x_j (Misra et al. 2016). α = I gives exactly independent towers.

Encoders: stacked BiLSTM (default; Keras LSTM weights run through TensorFlow's fused LSTM kernel, see
:func:`fused_lstm`) or a small Transformer (learned positions, padding mask). Padding is the
token id 0; masks are derived explicitly as ``tokens != 0`` and passed to every layer (no implicit Keras mask
propagation, so the reader can see where padding is handled).

No peeking for the language model: the BiLSTM keeps its two directions as two separate stacks (as in ELMo,
Peters et al. 2018): layer l's forward LSTM reads only the forward half of layer l−1. So the forward half of
every layer at position t has seen tokens 0..t only, and the LM head reads just that half (a bidirectional
head also predicts the previous word from the backward half, which has seen tokens t..n only). With the
Transformer the LM task runs the (shared) layers with a causal mask. Targets are next words: input
[BOS]+w, target w+[EOS].

All heads return LOGITS. Layers and the model are registered Keras serializables and survive ``.keras``
save/load. This module does not need ``mtl_helpers.data`` (only the CLI and ``TaskSpec.from_task`` use it).

Where each idea lives (every name stays importable as ``models.X``): ``specs`` (EncoderConfig, TaskSpec and the
allowed values), ``layers`` (embeddings, the BiLSTM layer on the fused kernel, the Transformer block, the
cross-stitch unit, masked pooling), ``heads`` (one head per task kind), ``sharing`` (each scheme's towers and
forward pass, the coupling penalty Ω), ``theta`` (the θ partition and tower distances); here: the model that
puts them together, ``build_model`` and the CLI.
"""
from __future__ import annotations

import argparse
import contextlib
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from keras import ops

from mtl_helpers.heads import ClassificationHead, LanguageModelHead, Seq2SeqHead, TaggingHead, build_head
from mtl_helpers.layers import (
    BiLSTMLayer,
    CrossStitch,
    EmbeddingBlock,
    TransformerBlock,
    fused_lstm,
    masked_max,
    masked_mean,
    serializable,
)
from mtl_helpers.sharing import build_scheme, coupling_penalty
from mtl_helpers.specs import (
    COUPLINGS,
    ENCODER_KINDS,
    FIRST_WORD_ID,
    KINDS,
    LM_MIN_OUTPUTS,
    POOLINGS,
    RESERVED_GROUPS,
    SHARINGS,
    UNK_ID,
    EncoderConfig,
    TaskSpec,
)
from mtl_helpers.theta import (
    PARAMETER_SETUPS,
    _check_counts_arguments,
    theta_partition,
    tower_distance,
    variable_numpy,
)

#: the names callers know as ``models.X`` (notebooks, exercises, training, tests), wherever they are defined
__all__ = [
    "parameter_counts_from_models",
    "KINDS", "LM_MIN_OUTPUTS", "ENCODER_KINDS", "UNK_ID", "FIRST_WORD_ID", "POOLINGS", "SHARINGS", "COUPLINGS",
    "RESERVED_GROUPS", "EncoderConfig", "TaskSpec",
    "masked_mean", "masked_max", "EmbeddingBlock", "fused_lstm", "BiLSTMLayer", "TransformerBlock", "CrossStitch",
    "ClassificationHead", "TaggingHead", "LanguageModelHead", "Seq2SeqHead", "build_head",
    "MultiTaskModel", "build_model", "build_single_task",
    "theta_partition", "variable_numpy", "tower_distance", "main",
]


# --------------------------------------------------------------------------------------------- model
@contextlib.contextmanager
def _python_seed(seed: int) -> Iterator[None]:
    """Keras draws initializer/dropout seeds from Python's ``random``: seed it locally, then restore it."""
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def _validate(tasks: list[TaskSpec], encoder: EncoderConfig, sharing: str, shared_layers: int | None,
              coupling: str, coupling_weight: float, stitch_diagonal: float) -> None:
    if not tasks:
        raise ValueError("the task list is empty; pass at least one TaskSpec, e.g. [TaskSpec('pos', 'tagging', 12)].")
    names = [t.name for t in tasks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate task names {duplicates}; give every TaskSpec a unique name.")
    if sharing not in SHARINGS:
        raise ValueError(f"unknown sharing {sharing!r}; use one of {SHARINGS}.")
    if coupling not in COUPLINGS:
        raise ValueError(f"unknown coupling {coupling!r}; use one of {COUPLINGS}.")
    if not isinstance(coupling_weight, (int, float, np.floating)) or not coupling_weight >= 0:
        raise ValueError(f"coupling_weight λ must be >= 0, got {coupling_weight!r}; use 0 for no coupling.")
    if not 0.0 <= stitch_diagonal <= 1.0:
        raise ValueError(f"stitch_diagonal must be in [0, 1] (1 = α starts as the identity), got {stitch_diagonal!r}.")
    if sharing == "cross_stitch" and len(tasks) < 2:
        raise ValueError("cross_stitch mixes tasks and needs at least 2 tasks; use sharing='none' for one task.")
    if shared_layers is not None:
        if sharing != "hard":
            raise ValueError(f"shared_layers only applies to sharing='hard' (got sharing={sharing!r}); "
                             f"drop shared_layers or use sharing='hard'.")
        if not isinstance(shared_layers, (int, np.integer)) or not 0 <= shared_layers <= encoder.num_layers:
            raise ValueError(f"shared_layers={shared_layers!r} but the encoder has {encoder.num_layers} layers; "
                             f"use 0..{encoder.num_layers} or raise EncoderConfig.num_layers.")
    for task in tasks:
        if task.read_layer is not None and task.read_layer > encoder.num_layers:
            raise ValueError(f"task {task.name!r}: read_layer={task.read_layer} is outside 1..{encoder.num_layers} "
                             f"(EncoderConfig.num_layers); use 1..{encoder.num_layers} or None for the top layer.")
        if task.kind == "lm" and not LM_MIN_OUTPUTS <= task.num_outputs <= encoder.vocab_size:
            raise ValueError(f"lm task {task.name!r} predicts input words: num_outputs ({task.num_outputs}) must be "
                             f"{LM_MIN_OUTPUTS}..EncoderConfig.vocab_size ({encoder.vocab_size}): the vocabulary's "
                             f"most frequent ids, specials included (rarer next words count as <unk>).")
        if task.bidirectional and encoder.kind != "bilstm":
            raise ValueError(f"lm task {task.name!r}: bidirectional=True needs the BiLSTM encoder (its backward half "
                             f"predicts the previous word), not kind={encoder.kind!r}; drop bidirectional.")


@serializable
class MultiTaskModel(keras.Model):
    """Tasks' heads on the towers of one sharing scheme (mtl_helpers.sharing); every weight belongs to exactly
    one θ group (see theta_partition).

    The blocks stay reachable as Keras-tracked lists, in the order they were created: ``embedding_blocks``,
    ``encoder_layers`` (tower by tower, bottom up), ``stitches`` (cross-stitch α) and ``task_heads`` (in task
    order). ``.keras`` files and checkpoints store the weights under these names, in this order.
    """

    def __init__(self, tasks: Sequence[TaskSpec | dict], encoder: EncoderConfig | dict, sharing: str = "hard",
                 shared_layers: int | None = None, coupling: str = "l2", coupling_weight: float = 1e-3,
                 stitch_diagonal: float = 0.9, seed: int = 0, **kwargs: Any) -> None:
        tasks = [t if isinstance(t, TaskSpec) else TaskSpec(**t) for t in tasks]
        encoder = encoder if isinstance(encoder, EncoderConfig) else EncoderConfig(**encoder)
        _validate(tasks, encoder, sharing, shared_layers, coupling, coupling_weight, stitch_diagonal)
        super().__init__(**kwargs)
        self.encoder_config, self.sharing, self.coupling = encoder, sharing, coupling
        self.shared_layers = shared_layers
        self.coupling_weight, self.stitch_diagonal, self.seed = float(coupling_weight), float(stitch_diagonal), seed
        self.task_names = [t.name for t in tasks]
        self.specs = {t.name: t for t in tasks}
        depths = {t.name: t.read_layer or encoder.num_layers for t in tasks}
        with _python_seed(seed):
            # a plain object, outside Keras' attribute tracking: the blocks are tracked once, through the lists
            self._scheme = build_scheme(sharing, encoder, depths, shared_layers=shared_layers,
                                        stitch_diagonal=stitch_diagonal)
            self.embedding_blocks: list[EmbeddingBlock] = []
            self.encoder_layers: list[keras.layers.Layer] = []
            for tower in self._scheme.towers.values():  # tracked in creation order, so model.weights keeps it
                if tower.embedding is not None:
                    self.embedding_blocks.append(tower.embedding)
                self.encoder_layers.extend(tower.layers)
            self.stitches: list[CrossStitch] = list(self._scheme.stitches)
            self.task_heads = [build_head(self.specs[n], encoder) for n in self.task_names]
            self.call(self._dummy_inputs())  # creates every weight now, under the same seed
        self.built = True

    def _dummy_inputs(self) -> dict[str, np.ndarray]:
        inputs = {"tokens": np.ones((1, 3), "int32")}
        if self.encoder_config.char_vocab_size:
            inputs["chars"] = np.ones((1, 3, 2), "int32")
        if any(s.kind == "seq2seq" for s in self.specs.values()):
            inputs["decoder_tokens"] = np.ones((1, 3), "int32")
        return inputs

    # ---- forward
    def call(self, inputs: dict, training: bool = False) -> dict[str, tf.Tensor]:
        """Logits of every head (shared computation is done once per call)."""
        inputs, cache = self._check_inputs(inputs), {}
        return {name: self._forward(inputs, name, training, cache) for name in self.task_names}

    def tasks_call(self, inputs: dict, tasks: Sequence[str], training: bool = False) -> list[tf.Tensor]:
        """Logits of several tasks on the same inputs; parts they share are computed once."""
        unknown = [t for t in tasks if t not in self.specs]
        if unknown:
            raise ValueError(f"unknown tasks {unknown}; this model has {self.task_names}.")
        inputs, cache = self._check_inputs(inputs), {}
        return [self._forward(inputs, t, training, cache) for t in tasks]

    def task_call(self, inputs: dict, task: str, training: bool = False) -> tf.Tensor:
        """Logits of one task, running only the blocks that task needs (its tower, shared parts, head)."""
        return self.tasks_call(inputs, [task], training)[0]

    def _check_inputs(self, inputs: dict) -> dict:
        if not isinstance(inputs, dict) or "tokens" not in inputs:
            raise ValueError("inputs must be a dict with 'tokens' (int32 [B, L], 0 = padding); "
                             "optional 'chars' [B, L, W] and 'decoder_tokens' [B, Lt].")
        return {k: ops.cast(ops.convert_to_tensor(v), "int32") for k, v in inputs.items()}

    def _forward(self, inputs: dict, task: str, training: bool, cache: dict) -> tf.Tensor:
        """One task's logits: padding mask → the scheme's states for the task → the task's head."""
        mask = ops.not_equal(inputs["tokens"], 0)
        causal = self.encoder_config.kind == "transformer" and self.specs[task].kind == "lm"  # no peeking
        states = self._scheme.encode(inputs, mask, task, causal, training, cache)
        head = self.task_heads[self.task_names.index(task)]
        return head(states, padding_mask=mask, decoder_tokens=inputs.get("decoder_tokens"), training=training)

    # ---- θ groups
    def group_variables(self, group: str, trainable: bool = True) -> list:
        """The (trainable, or all) weights of one θ group: "shared", a task, or "coupling" (α), bottom up."""
        if group == "coupling":
            layers = list(self.stitches)
        else:
            tower = self._scheme.towers.get(group)
            layers = [] if tower is None else [b for b in [tower.embedding, *tower.layers] if b is not None]
            if group in self.specs:
                layers.append(self.task_heads[self.task_names.index(group)])
        found, seen = [], set()
        for layer in layers:
            for v in layer.trainable_weights if trainable else layer.weights:
                if id(v) not in seen:
                    seen.add(id(v))
                    found.append(v)
        return found

    def shared_variables(self) -> list:
        """θ_sh: trainable weights used by every task (empty for none/soft/cross_stitch)."""
        return self.group_variables("shared")

    def task_variables(self, task: str) -> list:
        """θ_t: the task's own trainable weights (its tower and head), bottom up."""
        if task not in self.specs:
            raise ValueError(f"unknown task {task!r}; this model has {self.task_names}.")
        return self.group_variables(task)

    def coupling_variables(self) -> list:
        """The cross-stitch matrices α (empty for other sharing schemes)."""
        return self.group_variables("coupling")

    def tower_units(self, task: str) -> dict[str, keras.layers.Layer | None]:
        """Comparable encoder units of a task: "embedding", "layer_1", ... → its own block, or None if shared."""
        return self._scheme.units(task)

    # ---- coupling penalty
    def omega(self) -> tf.Tensor:
        """Ω(θ_1..θ_T) of the model's ``coupling`` over the task-owned encoder units (no λ)."""
        return coupling_penalty({n: self.tower_units(n) for n in self.task_names}, self.coupling)

    def penalty(self) -> tf.Tensor:
        """λ·Ω(θ_1..θ_T) to add to the loss; 0.0 for none/hard/cross_stitch and for λ = 0."""
        if self.sharing != "soft" or self.coupling_weight == 0.0:
            return tf.constant(0.0)
        return self.coupling_weight * self.omega()

    # ---- serialization
    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable,
                "tasks": [asdict(self.specs[n]) for n in self.task_names],
                "encoder": asdict(self.encoder_config), "sharing": self.sharing, "shared_layers": self.shared_layers,
                "coupling": self.coupling, "coupling_weight": self.coupling_weight,
                "stitch_diagonal": self.stitch_diagonal, "seed": self.seed}

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> MultiTaskModel:
        return cls(**config)


def build_model(tasks: Sequence[TaskSpec], encoder: EncoderConfig, *, sharing: str = "hard",
                shared_layers: int | None = None, coupling: str = "l2", coupling_weight: float = 1e-3,
                stitch_diagonal: float = 0.9, seed: int = 0) -> MultiTaskModel:
    """A multi-task model; ``sharing`` in none|hard|soft|cross_stitch (see the module docstring).

    ``stitch_diagonal`` (cross_stitch only): initial α_ii; off-diagonal entries are (1 − d)/(T − 1).
    """
    return MultiTaskModel(list(tasks), encoder, sharing=sharing, shared_layers=shared_layers, coupling=coupling,
                          coupling_weight=coupling_weight, stitch_diagonal=stitch_diagonal, seed=seed)


def build_single_task(task: TaskSpec, encoder: EncoderConfig, seed: int = 0) -> MultiTaskModel:
    """Single-task baseline: the same encoder and head for one task (θ = θ_t, nothing shared)."""
    return build_model([task], encoder, sharing="none", seed=seed)



# --------------------------------------------------------------------------------------------- CLI
def _specs_from_names(names: list[str], vocab_size: int) -> list[TaskSpec]:
    """TaskSpecs for named tasks, with label counts read from ``mtl_helpers.data``."""
    try:
        from mtl_helpers import data
    except ImportError as error:
        raise ValueError(f"looking up the labels of {names} needs mtl_helpers.data ({error}).") from error
    specs = []
    for name in names:
        task = data.load_task(name)
        if task.kind == "lm":
            num_outputs = vocab_size
        elif task.kind == "seq2seq":
            num_outputs = len(data.Vocabulary.build(task.train.labels))
        else:
            num_outputs = len(task.labels)
        specs.append(TaskSpec(name, task.kind, num_outputs))
    return specs

def parameter_counts_from_models(num_tasks: int, num_layers: int = 2, shared_layers: int = 2,
                                 embedding_dim: int = 64, hidden_units: int = 64, vocab_size: int = 10_000,
                                 num_classes: int = 2) -> pd.DataFrame:
    """The table of :func:`parameter_counts`, counted on REAL built Keras models (slower: builds T + 2
    models) through theta_partition, so the formulas can be checked against Keras."""
    _check_counts_arguments(num_tasks, num_layers, shared_layers, {
        "embedding_dim": embedding_dim, "hidden_units": hidden_units, "vocab_size": vocab_size,
        "num_classes": num_classes})
    encoder = EncoderConfig(vocab_size, embedding_dim=embedding_dim, hidden_units=hidden_units,
                                   num_layers=num_layers)
    specs = [TaskSpec(f"task{t + 1}", "classification", num_classes) for t in range(num_tasks)]
    single = sum(build_single_task(spec, encoder).count_params() for spec in specs)
    rows = [(PARAMETER_SETUPS[0], 0, single)]
    for setup, kwargs in ((PARAMETER_SETUPS[1], {"sharing": "hard", "shared_layers": shared_layers}),
                          (PARAMETER_SETUPS[2], {"sharing": "soft"})):
        table = theta_partition(build_model(specs, encoder, **kwargs)).set_index("group")
        shared = int(table.loc["shared", "parameters"])
        rows.append((setup, shared, int(table["parameters"].sum()) - shared))
    frame = pd.DataFrame(rows, columns=["setup", "shared", "task_specific"])
    frame["total"] = frame["shared"] + frame["task_specific"]
    frame["saving"] = single - frame["total"]
    return frame



def main(argv: Sequence[str] | None = None) -> int:
    """CLI: print the θ partition of a small illustrative model for the given tasks."""
    parser = argparse.ArgumentParser(prog="python -m mtl_helpers.models", description=main.__doc__)
    parser.add_argument("--tasks", required=True,
                        help="comma-separated task names, e.g. pos,chunk or toy_ner,toy_topic")
    parser.add_argument("--sharing", default="hard", choices=SHARINGS)
    parser.add_argument("--format", default="table", choices=("table", "csv"))
    parser.add_argument("--encoder", default="bilstm", choices=ENCODER_KINDS)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--hidden-units", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--shared-layers", type=int, default=None, help="hard sharing: shared lower layers")
    parser.add_argument("--vocab-size", type=int, default=5000, help="illustrative input vocabulary size")
    parser.add_argument("--coupling", default="l2", choices=COUPLINGS)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.tasks.split(",") if n.strip()]
    try:
        specs = _specs_from_names(names, args.vocab_size)
        encoder = EncoderConfig(args.vocab_size, args.encoder, args.embedding_dim, args.hidden_units, args.layers)
        model = build_model(specs, encoder, sharing=args.sharing, shared_layers=args.shared_layers,
                            coupling=args.coupling)
    except (ValueError, LookupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    table = theta_partition(model)
    if args.format == "csv":
        print(table.to_csv(index=False), end="")
    else:
        print(f"sharing={args.sharing} encoder={args.encoder} tasks={','.join(names)}")
        print(table.to_string(index=False, formatters={"share": "{:.1%}".format}))
        print(f"total parameters: {model.count_params():,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
