"""The joint trainer: one engine that trains any MultiTaskModel variant on any set of tasks.

Every step draws the task(s) to train (:func:`task_sampling_probabilities`), takes one batch of each
from that task's own data stream, weights the losses (static, uncertainty, DWA or GradNorm), adds the
soft-sharing penalty ``model.penalty()``, optionally de-conflicts the tasks' gradients (PCGrad) and
takes one optimizer step. With ``sampling="all"``, tasks that label the same sentences (pos + chunk, the
toy tasks) share one joint batch per step, so the shared layers run once for all their heads. Steps are
graph-compiled (one ``tf.function`` per set of tasks drawn, with unknown batch and length dimensions so
batches of new lengths do not retrace). Runs are reproducible for a seed and resumable: the
checkpoint holds the model, optimizer, loss-weighting state, step counter and data positions, and the
task draws are step-indexed (the sampler's random generator for step ``s`` is seeded with
``(seed, s)``), so an interrupted run continues exactly where it stopped.

Losses: cross-entropy on logits, averaged over the real (non-padding) positions of the global batch.
"""
from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from . import config as _config
from . import crf, data, metrics, models

if TYPE_CHECKING:
    from .models import MultiTaskModel

SAMPLINGS: tuple[str, ...] = ("proportional", "uniform", "temperature", "annealed", "all")
WEIGHTINGS: tuple[str, ...] = ("static", "uncertainty", "dwa", "gradnorm")
OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
_SUM = tf.distribute.ReduceOp.SUM

_STATE_FILE = "trainer_state.pkl"
_BEST_FILE = "best_weights.npz"
_CONFIG_FILE = "train_config.json"


class _SameFunctionNewModel(logging.Filter):
    """Drop TensorFlow's "N out of the last M calls ... triggered tf.function retracing" warning: every model
    gets its own compiled step and evaluation functions by design (their variables differ), so a notebook
    that builds several models would otherwise print it as if something were wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_SameFunctionNewModel())
# Config fields that may change between an interrupted run and its resumption.
_RESUMABLE_CHANGES = ("epochs", "progress", "early_stopping_patience", "checkpoint_dir", "checkpoint_every")
# TrainConfig's numeric fields: (name, integer only, None allowed, an example for the message).
_NUMERIC_FIELDS: tuple[tuple[str, bool, bool, str], ...] = (
    ("epochs", True, False, "3"), ("steps_per_epoch", True, True, "100"), ("batch_size", True, False, "32"),
    ("learning_rate", False, False, "1e-3"), ("clip_norm", False, True, "5.0"), ("temperature", False, False, "2.0"),
    ("early_stopping_patience", True, True, "3"), ("seed", True, False, "0"), ("momentum", False, False, "0.9"),
    ("dwa_temperature", False, False, "2.0"), ("gradnorm_alpha", False, False, "1.5"),
    ("gradnorm_lr", False, False, "0.025"), ("conflict_every", True, False, "20"),
    ("checkpoint_every", True, True, "100"))


@dataclass
class TrainConfig:
    """Everything that decides a training run (see SPEC; the fields after ``progress`` are extras)."""

    epochs: int = 3                  # an "epoch" = steps_per_epoch steps
    steps_per_epoch: int | None = None  # default: sum over tasks of train batches (max for sampling="all")
    batch_size: int = 32
    optimizer: str = "adam"          # "adam" | "sgd"
    learning_rate: float = 1e-3
    clip_norm: float | None = 5.0    # clip the global gradient norm (None: no clipping)
    sampling: str = "proportional"   # "proportional" | "uniform" | "temperature" | "annealed" | "all" (joint batches)
    temperature: float = 2.0         # sampling="temperature": p_t ∝ n_t^(1/temperature)
    weighting: str = "static"        # "static" | "uncertainty" | "dwa" | "gradnorm"
    task_weights: dict[str, float] | None = None  # static weights, one per task (default 1.0 each)
    pcgrad: bool = False             # PCGrad (needs sampling="all")
    track_conflict: bool = False     # log the mean gradient cosine between tasks every conflict_every steps
    early_stopping_patience: int | None = None   # epochs without dev improvement before stopping
    monitor: tuple[str, ...] | None = None       # tasks whose mean main dev metric picks the best epoch (None: all)
    checkpoint_dir: str | None = None            # resume if a checkpoint is there
    seed: int = 0
    progress: bool = True
    momentum: float = 0.0            # SGD momentum (0.9 is the usual choice); ignored by Adam
    dwa_temperature: float = 2.0     # DWA softmax temperature (Liu et al. 2019 use 2)
    gradnorm_alpha: float = 1.5      # GradNorm asymmetry α (Chen et al. 2018)
    gradnorm_lr: float = 0.025       # gradient-descent step size of the GradNorm task weights
    conflict_every: int = 20         # steps between two gradient-conflict measurements
    checkpoint_every: int | None = None  # steps between checkpoints (None: at the end of every epoch)

    def __post_init__(self) -> None:
        self.check_types()

    def check_types(self) -> None:
        """Raise ValueError naming the field and the fix for a numeric field of the wrong type: a string such as
        "0.01", a bool, a float where a count goes. NumPy numbers become Python ones (they would not serialize
        to JSON). Runs on construction; :meth:`validate` runs it again and checks the ranges."""
        for name, integer, optional, example in _NUMERIC_FIELDS:
            value = getattr(self, name)
            if value is None and optional:
                continue
            if _config.is_integer(value) if integer else _config.is_number(value):
                if isinstance(value, np.generic):
                    setattr(self, name, value.item())
            else:
                what = ("an integer" if integer else "a number") + (" or None" if optional else "")
                raise ValueError(f"TrainConfig.{name} must be {what}, got {value!r} ({type(value).__name__}); "
                                 f"pass e.g. {name}={example}.")
        if self.task_weights is not None:
            bad = (self.task_weights if not isinstance(self.task_weights, Mapping) else
                   {t: w for t, w in self.task_weights.items() if not _config.is_number(w)})
            if bad:
                raise ValueError(f"TrainConfig.task_weights must map each task to a number, got {bad}; "
                                 "pass e.g. task_weights={'pos': 1.0, 'chunk': 0.5}.")

    def validate(self, task_names: Sequence[str]) -> None:
        """Raise ValueError naming the problem and the fix for any inconsistent setting."""
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ValueError(message)

        self.check_types()  # the fields may have been changed since construction
        need(isinstance(self.epochs, int) and self.epochs >= 1,
             f"epochs must be an integer >= 1, got {self.epochs!r}; pass e.g. epochs=3.")
        need(self.steps_per_epoch is None or (isinstance(self.steps_per_epoch, int) and self.steps_per_epoch >= 1),
             f"steps_per_epoch must be None or an integer >= 1, got {self.steps_per_epoch!r}.")
        need(isinstance(self.batch_size, int) and self.batch_size >= 1,
             f"batch_size must be an integer >= 1, got {self.batch_size!r}; pass e.g. batch_size=32.")
        need(self.optimizer in OPTIMIZERS,
             f"unknown optimizer {self.optimizer!r}; use one of {', '.join(OPTIMIZERS)}.")
        need(self.learning_rate > 0, f"learning_rate must be > 0, got {self.learning_rate!r}; pass e.g. 1e-3.")
        need(self.clip_norm is None or self.clip_norm > 0,
             f"clip_norm must be None or > 0, got {self.clip_norm!r}; pass e.g. clip_norm=5.0.")
        need(self.sampling in SAMPLINGS, f"unknown sampling {self.sampling!r}; use one of {', '.join(SAMPLINGS)}.")
        need(self.temperature > 0, f"temperature must be > 0, got {self.temperature!r}; pass e.g. 2.0.")
        need(self.weighting in WEIGHTINGS,
             f"unknown weighting {self.weighting!r}; use one of {', '.join(WEIGHTINGS)}.")
        need(not self.pcgrad or self.sampling == "all",
             "pcgrad=True projects the gradients of tasks trained in the same step, so it needs sampling='all'; "
             "set sampling='all' or pcgrad=False.")
        need(self.weighting != "gradnorm" or self.sampling == "all",
             "weighting='gradnorm' balances the tasks' gradient norms within one step, so it needs "
             "sampling='all'; set sampling='all' or pick another weighting.")
        need(0 <= self.momentum < 1, f"momentum must be in [0, 1), got {self.momentum!r}; pass e.g. 0.9.")
        need(self.dwa_temperature > 0, f"dwa_temperature must be > 0, got {self.dwa_temperature!r}.")
        need(self.gradnorm_alpha >= 0, f"gradnorm_alpha must be >= 0, got {self.gradnorm_alpha!r}.")
        need(self.gradnorm_lr > 0, f"gradnorm_lr must be > 0, got {self.gradnorm_lr!r}.")
        need(isinstance(self.conflict_every, int) and self.conflict_every >= 1,
             f"conflict_every must be an integer >= 1, got {self.conflict_every!r}.")
        need(self.checkpoint_every is None or (isinstance(self.checkpoint_every, int) and self.checkpoint_every >= 1),
             f"checkpoint_every must be None or an integer >= 1, got {self.checkpoint_every!r}.")
        need(self.monitor is None or (not isinstance(self.monitor, str) and len(self.monitor) > 0
                                      and set(self.monitor) <= set(task_names)),
             f"monitor must be None or a non-empty list of the trained tasks {list(task_names)}, got "
             f"{self.monitor!r}; pass e.g. monitor=('{next(iter(task_names), 'task')}',).")
        need(self.early_stopping_patience is None or self.early_stopping_patience >= 1,
             f"early_stopping_patience must be None or >= 1, got {self.early_stopping_patience!r}.")
        need(isinstance(self.seed, (int, np.integer)) and self.seed >= 0,
             f"seed must be a non-negative integer, got {self.seed!r}.")
        need(len(task_names) > 0, "no tasks to train; pass at least one task, e.g. {'toy_topic': task}.")
        if self.task_weights is not None:
            need(self.weighting == "static",
                 f"task_weights are the static weights; weighting={self.weighting!r} sets its own. "
                 "Drop task_weights or use weighting='static'.")
            missing, extra = set(task_names) - set(self.task_weights), set(self.task_weights) - set(task_names)
            need(not missing and not extra,
                 f"task_weights keys must be exactly the tasks {sorted(task_names)}; missing {sorted(missing)}, "
                 f"unknown {sorted(extra)}. Give one weight per trained task.")
            need(all(w >= 0 for w in self.task_weights.values()),
                 f"task_weights must be >= 0, got {self.task_weights}.")


@dataclass
class TrainResult:
    """What :func:`train` returns.

    history: one row per (step, task) update — step, epoch, task, loss, weight, penalty, lr, conflict.
    dev: dev scores after every epoch — epoch, task, split, metric, value.
    weights: the loss weights in force at every step — step, epoch, then one column per task.
    conflict: task × task gradient cosines (track_conflict) — step, task_a, task_b, cosine.
    """

    history: pd.DataFrame
    dev: pd.DataFrame
    model: Any
    weights: pd.DataFrame
    conflict: pd.DataFrame
    best_epoch: int | None = None
    steps_per_second: float = float("nan")


# --------------------------------------------------------------------------------------------------
# Task sampling
# --------------------------------------------------------------------------------------------------
def task_sampling_probabilities(sizes: Mapping[str, int], strategy: str, *, temperature: float = 2.0,
                                progress: float = 0.0) -> dict[str, float]:
    """Probability of drawing each task at a step.

    proportional: p_t ∝ n_t; uniform: 1/T; temperature: p_t ∝ n_t^(1/temperature);
    annealed (Stickland & Murray 2019): p_t ∝ n_t^α with α = 1 − 0.8·progress, progress = (e−1)/(E−1),
    so training moves from proportional (α=1) towards uniform (α=0.2);
    all: every task trains at every step, so each gets the same share 1/T of the batches.
    """
    if not sizes:
        raise ValueError("no task sizes given; pass e.g. {'pos': 8000, 'chunk': 8000}.")
    bad = {t: n for t, n in sizes.items() if not n > 0}
    if bad:
        raise ValueError(f"task sizes must be > 0, got {bad}; drop empty tasks.")
    if strategy not in SAMPLINGS:
        raise ValueError(f"unknown sampling {strategy!r}; use one of {', '.join(SAMPLINGS)}.")
    if not 0.0 <= progress <= 1.0:
        raise ValueError(f"progress must be in [0, 1] (fraction of training done), got {progress!r}.")
    if strategy == "temperature" and not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}; pass e.g. temperature=2.0.")
    n = np.array([float(v) for v in sizes.values()])
    exponent = {"proportional": 1.0, "uniform": 0.0, "all": 0.0,
                "temperature": 1.0 / temperature if strategy == "temperature" else 1.0,
                "annealed": 1.0 - 0.8 * progress}[strategy]
    p = n ** exponent
    return dict(zip(sizes, (p / p.sum()).tolist()))


class TaskSampler:
    """Draws the tasks of each step. Stateless between steps: step s uses ``default_rng((seed, s))``,
    so a resumed run draws exactly what an uninterrupted one would."""

    def __init__(self, sizes: Mapping[str, int], strategy: str, *, temperature: float = 2.0, seed: int = 0,
                 epochs: int = 1):
        task_sampling_probabilities(sizes, strategy, temperature=temperature)  # validates
        self.sizes, self.strategy, self.temperature = dict(sizes), strategy, temperature
        self.seed, self.epochs = int(seed), int(epochs)
        self.names = list(sizes)

    def probabilities(self, epoch: int = 1) -> dict[str, float]:
        """Sampling distribution during ``epoch`` (1-based; only "annealed" depends on it)."""
        progress = 0.0 if self.epochs <= 1 else min(1.0, (epoch - 1) / (self.epochs - 1))
        return task_sampling_probabilities(self.sizes, self.strategy, temperature=self.temperature,
                                           progress=progress)

    def draw(self, step: int, epoch: int = 1) -> list[str]:
        """Tasks trained at ``step`` (0-based): all of them for "all", else one."""
        if self.strategy == "all":
            return list(self.names)
        p = np.array(list(self.probabilities(epoch).values()))
        return [self.names[int(np.random.default_rng([self.seed, step]).choice(len(p), p=p))]]


# --------------------------------------------------------------------------------------------------
# Gradient tools
# --------------------------------------------------------------------------------------------------
def _dense(grads: Sequence, like: Sequence) -> list[tf.Tensor]:
    """Gradients as dense tensors, zeros where a variable got none."""
    return [tf.zeros(v.shape, v.dtype) if g is None else tf.reshape(tf.convert_to_tensor(g), v.shape)
            for g, v in zip(grads, like)]


def pcgrad(grads_per_task: Sequence[Sequence[tf.Tensor]], *, shared: Sequence[bool] | None = None,
           order: Any = None, seed: int = 0) -> list[tf.Tensor]:
    """PCGrad (Yu et al. 2020): project away the conflicting parts of the tasks' gradients, then sum.

    For every task i, in a random order of the other tasks j: if g_i·g_j < 0, replace
    g_i ← g_i − (g_i·g_j)/‖g_j‖² · g_j (against the ORIGINAL g_j). Returns Σ_i g_i, one tensor per variable.
    ``shared``: one flag per variable, True for the shared parameters θ_sh. Only those are projected (dot
    products and norms over θ_sh alone, as in LibMTL); the others (a head's own weights) get the plain sum,
    so each head keeps its own task's gradient. Default: every variable is shared.
    ``order``: int [T, T], row i a permutation of range(T) (entry i is skipped); default drawn from
    ``np.random.default_rng(seed)``. Gradients given as None count as zeros.
    """
    n_tasks = len(grads_per_task)
    if n_tasks == 0:
        raise ValueError("pcgrad needs the gradients of at least one task; pass [[g_var1, ...], ...].")
    if len({len(g) for g in grads_per_task}) != 1:
        raise ValueError("every task must give one gradient per variable (same list length); use None for none.")
    n_vars = len(grads_per_task[0])
    shared = [True] * n_vars if shared is None else [bool(s) for s in shared]
    if len(shared) != n_vars:
        raise ValueError(f"shared needs one flag per variable ({n_vars}), got {len(shared)}; pass "
                         "[v in shared_variables for v in variables].")
    if not any(shared):
        raise ValueError("shared marks no variable, so PCGrad would change nothing; mark the parameters the tasks "
                         "share (model.shared_variables()) True, or use hard sharing.")
    like = [next((g[k] for g in grads_per_task if g[k] is not None), None) for k in range(n_vars)]
    if any(v is None for v in like):
        raise ValueError("some variable has no gradient in any task; drop it from the lists.")
    like = [tf.convert_to_tensor(v) for v in like]
    dense = [_dense(task, like) for task in grads_per_task]
    projected_vars = [k for k in range(n_vars) if shared[k]]
    flat = tf.stack([tf.concat([tf.reshape(tf.cast(task[k], tf.float32), [-1]) for k in projected_vars], 0)
                     for task in dense])
    if order is None:
        rng = np.random.default_rng(seed)
        order = np.stack([rng.permutation(n_tasks) for _ in range(n_tasks)])
    order = tf.convert_to_tensor(order, tf.int32)
    squared = tf.reduce_sum(flat * flat, axis=1)
    projected = []
    for i in range(n_tasks):
        g = flat[i]
        for k in range(n_tasks):
            j = order[i, k]
            other = tf.gather(flat, j)
            dot = tf.reduce_sum(g * other)
            conflict = tf.logical_and(tf.not_equal(j, i), dot < 0)
            g = g - tf.where(conflict, dot / (tf.gather(squared, j) + 1e-12), 0.0) * other
        projected.append(g)
    total = tf.add_n(projected)
    shapes = [like[k].shape for k in projected_vars]
    parts = dict(zip(projected_vars, (tf.reshape(part, s) for part, s in
                                      zip(tf.split(total, [int(np.prod(s)) for s in shapes]), shapes))))
    return [parts[k] if shared[k] else tf.add_n([tf.cast(task[k], tf.float32) for task in dense])
            for k in range(n_vars)]


def _cached(model: Any, key: tuple, make: Callable[[], Callable]) -> Callable:
    """One compiled function per (model, key), so repeated evaluation does not retrace.

    The cache lives on the model itself (outside Keras' attribute tracking): the functions close over
    the model, so a module-level cache keyed by the model would keep every model alive forever.
    """
    per_model = model.__dict__.setdefault("_mtl_compiled_functions", {})
    if key not in per_model:
        per_model[key] = make()
    return per_model[key]


def _weighted_sums(logits: tf.Tensor, targets: tf.Tensor, weights: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    ce = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    weights = tf.cast(weights, ce.dtype)
    return tf.reduce_sum(ce * weights), tf.reduce_sum(weights)


def lm_targets(targets: Any, num_outputs: int) -> Any:
    """Next-word ids for an lm head with ``num_outputs`` outputs: ids it cannot predict (rarer words than
    its top ``num_outputs``; the vocabulary is ordered by frequency) become <unk>."""
    return tf.where(targets >= num_outputs, tf.cast(data.Vocabulary.OOV, targets.dtype), targets)


def _previous_words(targets: tf.Tensor, weights: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Targets and weights of the backward LM from the forward ones. Input x = <s> w_1..w_n and forward
    target y = w_1..w_n </s>, so the word before position t is x_{t-1}: <s> at t = 1, y_{t-2} from t = 2 on;
    position 0 (<s>) has no previous word and weight 0."""
    first = tf.zeros_like(targets[:, :1])
    previous = tf.concat([first, first + data.Vocabulary.BOS, targets[:, :-2]], axis=1)[:, : tf.shape(targets)[1]]
    return previous, tf.concat([tf.zeros_like(weights[:, :1]), weights[:, 1:]], axis=1)


def _head_sums(model: Any, task: str, logits: tf.Tensor, targets: tf.Tensor,
               weights: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(Σ loss · weight, Σ weight) of one head: token cross-entropy, or for a CRF head the sentence-level
    −log p(tags | x), weighted by the sentence's first-token weight. Both are divided by the same token
    count, so a CRF loss reads as "per token" too. A bidirectional lm head adds the previous-word
    cross-entropy of its backward half (the loss is then the mean over both directions' predictions)."""
    head = model.task_heads[model.task_names.index(task)]
    if model.specs[task].kind == "lm":
        targets = lm_targets(targets, head.num_outputs)
        if not getattr(head, "bidirectional", False):
            return _weighted_sums(logits, targets, weights)
        forward = _weighted_sums(logits[:, :, 0], targets, weights)
        backward = _weighted_sums(logits[:, :, 1], *_previous_words(targets, weights))
        return forward[0] + backward[0], forward[1] + backward[1]
    if not getattr(head, "crf", False):
        return _weighted_sums(logits, targets, weights)
    weights = tf.cast(weights, logits.dtype)
    nll = crf.sequence_nll(logits, targets, weights > 0, head.transitions, head.start, head.end)
    return tf.reduce_sum(nll * weights[:, 0]), tf.reduce_sum(weights)


def _loss_sums(model: Any, task: str, batch: tuple, training: bool) -> tuple[tf.Tensor, tf.Tensor]:
    """(Σ loss · sample_weight, Σ sample_weight) of one batch for one head."""
    inputs, targets, weights = batch
    return _head_sums(model, task, model.task_call(inputs, task, training=training), targets, weights)


def _joint_loss_sums(model: Any, tasks: Sequence[str], batch: tuple, training: bool) -> list[tuple]:
    """_loss_sums of several heads on one joint batch (same sentences): shared layers run once."""
    inputs, targets, weights = batch
    logits = model.tasks_call(inputs, tasks, training=training)
    return [_head_sums(model, *args) for args in zip(tasks, logits, targets, weights)]


def _shared_gradient_fn(model: Any, task: str, spec: Any) -> Callable:
    def make() -> Callable:
        @tf.function(input_signature=[spec], autograph=False)
        def grads(batch):
            variables = model.shared_variables()
            with tf.GradientTape() as tape:
                total, count = _loss_sums(model, task, batch, training=False)
                loss = total / tf.maximum(count, 1.0)
            return _dense(tape.gradient(loss, variables), variables)
        return grads
    return _cached(model, ("shared_grad", task, repr(spec)), make)


def _spec_of(batch: Any) -> Any:
    """TensorSpecs of a batch with every dimension unknown but the last of chars (one trace per task)."""
    return tf.nest.map_structure(lambda t: tf.TensorSpec([None] * (len(t.shape) - 1) + [t.shape[-1]]
                                                         if len(t.shape) == 3 else [None] * len(t.shape), t.dtype),
                                 batch)


def _require_shared(model: Any, what: str) -> list:
    shared = list(model.shared_variables())
    if not shared:
        raise ValueError(f"{what} needs parameters shared by the tasks, but this model "
                         f"(sharing={getattr(model, 'sharing', '?')!r}) has none; use hard sharing "
                         "(build_model(..., sharing='hard')) or compare the towers' gradients yourself.")
    return shared


def gradient_cosine(model: Any, batches: Mapping[str, tuple]) -> pd.DataFrame:
    """Task × task cosine similarity of the tasks' loss gradients on ``model.shared_variables()``.

    ``batches``: one ``(inputs, targets, sample_weight)`` batch per task (from data.make_dataset).
    Negative values mean the tasks pull the shared parameters in conflicting directions.
    """
    _require_shared(model, "gradient_cosine")
    if not batches:
        raise ValueError("no batches given; pass {task: batch} for at least one task.")
    unknown = [t for t in batches if t not in model.task_names]
    if unknown:
        raise ValueError(f"tasks {unknown} are not heads of this model {model.task_names}; use its task names.")
    vectors = []
    for task, batch in batches.items():
        grads = _shared_gradient_fn(model, task, _spec_of(batch))(batch)
        vectors.append(np.concatenate([g.numpy().ravel() for g in grads]))
    matrix = np.stack(vectors)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = matrix / np.maximum(norms, 1e-12)
    names = list(batches)
    return pd.DataFrame(unit @ unit.T, index=pd.Index(names, name="task"), columns=names)


def _mean_offdiagonal(frame: pd.DataFrame) -> float:
    values = frame.to_numpy()
    mask = ~np.eye(len(values), dtype=bool)
    return float(values[mask].mean()) if mask.any() else float("nan")


# --------------------------------------------------------------------------------------------------
# Loss weighting
# --------------------------------------------------------------------------------------------------
class _LossWeighting(tf.Module):
    """Per-task loss coefficients c_t and regulariser R: objective = Σ c_t·L_t + R + penalty.

    static: c_t = task_weights[t]. uncertainty (Kendall et al. 2018, classification form, s_t = log σ_t²):
    c_t = exp(−s_t), R = Σ s_t/2 (s_t learned by the optimizer). dwa (Liu et al. 2019): c_t set at every
    epoch start from the last two epochs' mean losses. gradnorm (Chen et al. 2018): c_t learned by
    gradient descent on Σ|G_t − Ḡ·r_t^α| and renormalised to sum T.
    """

    def __init__(self, method: str, names: Sequence[str], static: Mapping[str, float] | None):
        super().__init__(name="loss_weighting")
        self.method, self.names = method, list(names)
        start = [float(static[t]) if static else 1.0 for t in self.names]
        self.coef = tf.Variable(start, trainable=False, name="coef", dtype=tf.float32,
                                aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.log_var = tf.Variable(tf.zeros([len(self.names)]), trainable=method == "uncertainty", name="log_var")
        self.initial_loss = tf.Variable(tf.zeros([len(self.names)]), trainable=False, name="initial_loss",
                                        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    @property
    def learned(self) -> list[tf.Variable]:
        """Variables the main optimizer updates (uncertainty's log σ²)."""
        return [self.log_var] if self.method == "uncertainty" else []

    def coefficients(self) -> tf.Tensor:
        return tf.exp(-self.log_var) if self.method == "uncertainty" else tf.convert_to_tensor(self.coef)

    def regularizer(self, mask: tf.Tensor) -> tf.Tensor:
        """R for the tasks trained this step (mask: 1.0 for them)."""
        if self.method == "uncertainty":
            return 0.5 * tf.reduce_sum(self.log_var * mask)
        return tf.constant(0.0)

    def dwa_update(self, history: pd.DataFrame, epoch: int, temperature: float) -> None:
        """DWA weights for ``epoch``: T·softmax(r/temp), r_t = L̄_t(e−1)/L̄_t(e−2); 1 for the first two epochs."""
        if epoch < 3 or history.empty:
            self.coef.assign(tf.ones([len(self.names)]))
            return
        means = history[history.epoch.isin([epoch - 1, epoch - 2])].groupby(["epoch", "task"])["loss"].mean()
        ratio = np.array([means.get((epoch - 1, t), np.nan) / means.get((epoch - 2, t), np.nan)
                          for t in self.names])
        ratio = np.where(np.isfinite(ratio), ratio, 1.0)
        z = np.exp((ratio - ratio.max()) / temperature)
        self.coef.assign((len(self.names) * z / z.sum()).astype(np.float32))

    def gradnorm_update(self, losses: tf.Tensor, norms: tf.Tensor, alpha: float, lr: float) -> None:
        """One GradNorm step (cross-replica): losses, norms = ‖∇_W L_t‖ on the last shared layer, all tasks."""
        first = tf.reduce_all(tf.equal(self.initial_loss, 0.0))
        self.initial_loss.assign(tf.where(first, losses, self.initial_loss))
        ratio = losses / tf.maximum(self.initial_loss, 1e-12)
        relative = ratio / tf.maximum(tf.reduce_mean(ratio), 1e-12)
        coef = tf.convert_to_tensor(self.coef)
        weighted_norms = coef * norms
        target = tf.stop_gradient(tf.reduce_mean(weighted_norms) * relative ** alpha)
        grad = tf.sign(weighted_norms - target) * norms
        new = tf.maximum(coef - lr * grad, 1e-3)
        self.coef.assign(new * len(self.names) / tf.reduce_sum(new))


# --------------------------------------------------------------------------------------------------
# Data streams
# --------------------------------------------------------------------------------------------------
class _TaskStream:
    """Endless batches of one task's train split (or joint batches of tasks on the same sentences); epoch e
    is shuffled with a seed derived from (seed, task index, e), and the position is saved, so a resumed
    stream continues identically."""

    def __init__(self, task: data.TaskData | list[data.TaskData], vocab: data.Vocabulary, *, batch_size: int,
                 seed: int, index: int,
                 strategy: tf.distribute.Strategy | None, extra: Mapping[str, Any]):
        self.task, self.vocab, self.batch_size = task, vocab, batch_size
        self.seed, self.index, self.strategy, self.extra = seed, index, strategy, dict(extra)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name=f"stream_epoch_{index}")
        self.position = tf.Variable(0, dtype=tf.int64, trainable=False, name=f"stream_position_{index}")
        self._epoch, self._position, self._iterator, self._batches = 0, 0, None, None

    def _numpy_batches(self) -> data.Batches:
        """The train split encoded once, for the step's signature and for every epoch."""
        if self._batches is None:
            self._batches = data.Batches(self.task, self.vocab, "train", batch_size=self.batch_size, **self.extra)
        return self._batches

    def _open(self) -> Any:
        seed = int(np.random.SeedSequence([self.seed, self.index, self._epoch]).generate_state(1)[0] % 2**31)
        if self.strategy is None:  # plain numpy batches: no tf.data generator overhead per batch
            return itertools.islice(self._numpy_batches().epoch(seed, 0, shuffle=True), self._position, None)
        ds = data.make_dataset(self.task, self.vocab, "train", batch_size=self.batch_size, shuffle=True,
                               seed=seed, **self.extra)
        if self._position:
            ds = ds.skip(self._position)
        return iter(self.strategy.experimental_distribute_dataset(ds))

    @property
    def element_spec(self) -> Any:
        """Structure of one batch (per-replica values under a strategy), for the step's input_signature."""
        if self.strategy is None:
            return self._numpy_batches().signature()
        ds = data.make_dataset(self.task, self.vocab, "train", batch_size=self.batch_size, **self.extra)
        return self.strategy.experimental_distribute_dataset(ds).element_spec

    def next(self) -> Any:
        if self._iterator is None:
            self._iterator = self._open()
        try:
            batch = next(self._iterator)
        except (StopIteration, tf.errors.OutOfRangeError):
            self._epoch, self._position = self._epoch + 1, 0
            self._iterator = self._open()
            batch = next(self._iterator)
        self._position += 1
        return batch

    def save_state(self) -> None:
        self.epoch.assign(self._epoch)
        self.position.assign(self._position)

    def load_state(self) -> None:
        self._epoch, self._position, self._iterator = int(self.epoch.numpy()), int(self.position.numpy()), None


# --------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------
def _joint_groups(tasks: Mapping[str, data.TaskData], split: str = "train") -> list[tuple[str, ...]]:
    """Tasks grouped by identical sentences of ``split`` (pos + chunk, the toy tasks): with sampling="all"
    each group trains on joint batches, and evaluation always runs a group in one pass, so the shared
    encoder runs once for all the group's heads."""
    groups: list[list[str]] = []
    for name, task in tasks.items():
        group = next((g for g in groups if data.same_sentences([tasks[g[0]], task], split)), None)
        if group is None:
            groups.append([name])
        else:
            group.append(name)
    return [tuple(g) for g in groups]


def _check_tasks(model: Any, tasks: Mapping[str, data.TaskData]) -> None:
    if not tasks:
        raise ValueError("no tasks given; pass a dict {head name: TaskData}, e.g. data.load_tasks(['toy_topic']).")
    unknown = [t for t in tasks if t not in model.task_names]
    if unknown:
        raise ValueError(f"tasks {unknown} are not heads of this model (it has {list(model.task_names)}); "
                         "build the model with a TaskSpec for each task you train.")


def _make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=config.learning_rate)
    return keras.optimizers.SGD(learning_rate=config.learning_rate, momentum=config.momentum)


def _last_shared_kernel(model: Any) -> int:
    """Index in model.trainable_variables of the last shared weight matrix (GradNorm's W)."""
    shared = _require_shared(model, "weighting='gradnorm'")
    kernel = next(v for v in reversed(shared) if len(v.shape) >= 2)
    ids = [id(v) for v in model.trainable_variables]
    return ids.index(id(kernel))


def _config_fingerprint(config: TrainConfig, tasks: Sequence[str]) -> dict:
    d = {k: v for k, v in dataclasses.asdict(config).items() if k not in _RESUMABLE_CHANGES}
    return json.loads(json.dumps({**d, "tasks": list(tasks)}, default=str))


class _Trainer:
    """State and compiled steps of one train() call."""

    def __init__(self, model: Any, tasks: Mapping[str, data.TaskData], vocab: data.Vocabulary,
                 config: TrainConfig, strategy: tf.distribute.Strategy | None, extra: Mapping[str, Any]):
        self.model, self.tasks, self.vocab, self.config, self.extra = model, dict(tasks), vocab, config, extra
        self.names = list(tasks)
        self.strategy = strategy
        self.dist = strategy or tf.distribute.get_strategy()
        sizes = {t: len(task.train) for t, task in tasks.items()}
        self.sampler = TaskSampler(sizes, config.sampling, temperature=config.temperature, seed=config.seed,
                                   epochs=config.epochs)
        batches = {t: math.ceil(n / config.batch_size) for t, n in sizes.items()}
        self.steps_per_epoch = config.steps_per_epoch or (
            max(batches.values()) if config.sampling == "all" else sum(batches.values()))
        self.total_steps = config.epochs * self.steps_per_epoch
        with self.dist.scope():
            self.weighting = _LossWeighting(config.weighting, self.names, config.task_weights)
            self.optimizer = _make_optimizer(config)
            self.variables = list(model.trainable_variables)
            self.optimizer.build(self.variables + self.weighting.learned)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.kernel_index = _last_shared_kernel(model) if config.weighting == "gradnorm" else None
        # PCGrad projects θ_sh only; every head keeps its own task's gradient
        shared_ids = {id(v) for v in _require_shared(model, "pcgrad=True")} if config.pcgrad else set()
        self.shared_mask = [id(v) in shared_ids for v in self.variables]
        self.groups = _joint_groups(self.tasks) if config.sampling == "all" else [(t,) for t in self.names]
        self.group_of = {t: group for group in self.groups for t in group}
        self.streams = {group: _TaskStream(tasks[group[0]] if len(group) == 1 else [tasks[t] for t in group], vocab,
                                           batch_size=config.batch_size, seed=config.seed,
                                           index=self.names.index(group[0]), strategy=strategy, extra=extra)
                        for group in self.groups}
        self.probes = ({t: next(data.Batches(task, vocab, "train", batch_size=config.batch_size, **extra)
                                .epoch(shuffle=False)) for t, task in tasks.items()}
                       if config.track_conflict else {})
        self._steps: dict[tuple[tuple[str, ...], ...], Callable] = {}
        self.checkpoint = tf.train.Checkpoint(model_variables=list(model.variables), optimizer=self.optimizer,
                                              weighting=self.weighting, step=self.step,
                                              streams=[[s.epoch, s.position] for s in self.streams.values()])

    # ----- one compiled step per set of task groups -----
    def _replica_step(self, units: tuple[tuple[str, ...], ...], batches: tuple, order: tf.Tensor):
        ctx = tf.distribute.get_replica_context()
        replicas = ctx.num_replicas_in_sync
        cfg, model, weighting, variables = self.config, self.model, self.weighting, self.variables
        learned = weighting.learned
        idxs = [self.names.index(t) for group in units for t in group]
        per_task = len(idxs) > 1 and (cfg.pcgrad or cfg.weighting == "gradnorm")
        with tf.GradientTape(persistent=per_task) as tape:
            losses = []
            for group, batch in zip(units, batches):
                sums = ([_loss_sums(model, group[0], batch, training=True)] if len(group) == 1
                        else _joint_loss_sums(model, group, batch, training=True))
                losses += [total / tf.maximum(ctx.all_reduce(_SUM, count), 1.0) for total, count in sums]
            coef = weighting.coefficients()
            mask = tf.reduce_sum(tf.one_hot(list(idxs), len(self.names)), axis=0)
            penalty = tf.cast(tf.convert_to_tensor(model.penalty()), tf.float32)
            objective = (tf.add_n([coef[i] * loss for i, loss in zip(idxs, losses)])
                         + (weighting.regularizer(mask) + penalty) / replicas)
        norms = tf.zeros([len(idxs)])
        if per_task:
            task_grads = [ctx.all_reduce(_SUM, _dense(tape.gradient(loss, variables), variables)) for loss in losses]
            if cfg.weighting == "gradnorm":
                norms = tf.stack([tf.norm(g[self.kernel_index]) for g in task_grads])
            scaled = [[coef[i] * g for g in grads] for i, grads in zip(idxs, task_grads)]
            combined = (pcgrad(scaled, shared=self.shared_mask, order=order) if cfg.pcgrad
                        else [tf.add_n(gs) for gs in zip(*scaled)])
            penalty_grads = _dense(tape.gradient(penalty, variables), variables)
            grads = [g + p for g, p in zip(combined, penalty_grads)]
            if learned:
                grads += ctx.all_reduce(_SUM, _dense(tape.gradient(objective, learned), learned))
        else:
            grads = ctx.all_reduce(_SUM, _dense(tape.gradient(objective, variables + learned), variables + learned))
        del tape
        if cfg.clip_norm is not None:
            clipped, _ = tf.clip_by_global_norm(grads[:len(variables)], cfg.clip_norm)
            grads = clipped + grads[len(variables):]
        # Gradients are already summed over replicas; the optimizer sums them again, hence / replicas.
        self.optimizer.apply_gradients(zip([g / replicas for g in grads], variables + learned))
        return tf.stack([ctx.all_reduce(_SUM, loss) for loss in losses]), penalty, coef, norms

    def _compiled(self, units: tuple[tuple[str, ...], ...]) -> Callable:
        if units not in self._steps:
            def step(batches, order):
                out = self.dist.run(self._replica_step, args=(units, batches, order))
                losses, penalty, coef, norms = (self.dist.experimental_local_results(x)[0] for x in out)
                if self.config.weighting == "gradnorm":
                    self.weighting.gradnorm_update(losses, norms, self.config.gradnorm_alpha,
                                                   self.config.gradnorm_lr)
                return losses, penalty, coef
            signature = [tuple(self.streams[group].element_spec for group in units),
                         tf.TensorSpec([len(self.names), len(self.names)], tf.int32)]
            self._steps[units] = tf.function(step, input_signature=signature, autograph=False)
        return self._steps[units]

    # ----- persistence -----
    def save(self, manager: tf.train.CheckpointManager, frames: dict) -> None:
        for stream in self.streams.values():
            stream.save_state()
        manager.save(checkpoint_number=int(self.step.numpy()))
        pd.to_pickle(frames, Path(self.config.checkpoint_dir) / _STATE_FILE)

    def restore(self, manager: tf.train.CheckpointManager) -> dict | None:
        directory = Path(self.config.checkpoint_dir)
        fingerprint = _config_fingerprint(self.config, self.names)
        saved = directory / _CONFIG_FILE
        if saved.exists() and json.loads(saved.read_text()) != fingerprint:
            raise ValueError(f"checkpoint_dir {str(directory)!r} holds a run with another configuration or "
                             "other tasks; use a new checkpoint_dir (or delete that one) to start afresh.")
        directory.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps(fingerprint, indent=1))
        if manager.latest_checkpoint is None:
            return None
        self.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        for stream in self.streams.values():
            stream.load_state()
        frames = pd.read_pickle(directory / _STATE_FILE)
        step = int(self.step.numpy())
        return {"rows": [r for r in frames["rows"] if r["step"] <= step],
                "weights": [r for r in frames["weights"] if r["step"] <= step],
                "conflict": [r for r in frames["conflict"] if r["step"] <= step],
                "dev": [r for r in frames["dev"] if r["epoch"] * self.steps_per_epoch <= step]}

    # ----- the loop -----
    def run(self) -> TrainResult:
        cfg = self.config
        manager = None
        frames: dict[str, list] = {"rows": [], "weights": [], "conflict": [], "dev": []}
        if cfg.checkpoint_dir:
            manager = tf.train.CheckpointManager(self.checkpoint, cfg.checkpoint_dir, max_to_keep=2)
            frames = self.restore(manager) or frames
        best_path = Path(cfg.checkpoint_dir) / _BEST_FILE if cfg.checkpoint_dir else None
        best_weights = None
        if best_path is not None and best_path.exists():
            with np.load(best_path) as saved:
                best_weights = [saved[f"w{i}"] for i in range(len(saved.files))]
        lr = float(cfg.learning_rate)
        step = int(self.step.numpy())
        stop = self._should_stop(frames["dev"])
        bar = None
        started, first_step = time.perf_counter(), step
        while step < self.total_steps and not stop:
            epoch = step // self.steps_per_epoch + 1
            in_epoch = step % self.steps_per_epoch
            if in_epoch == 0 or bar is None:
                if cfg.weighting == "dwa":
                    self.weighting.dwa_update(pd.DataFrame(frames["rows"], columns=["step", "epoch", "task", "loss"]),
                                              epoch, cfg.dwa_temperature)
                if cfg.progress:
                    print(f"epoch {epoch}/{cfg.epochs}")
                    bar = keras.utils.Progbar(self.steps_per_epoch)
                    bar.update(in_epoch)
                else:
                    bar = False
            units = tuple(dict.fromkeys(self.group_of[t] for t in self.sampler.draw(step, epoch)))
            drawn = [t for group in units for t in group]
            idxs = tuple(self.names.index(t) for t in drawn)
            batches = tuple(self.streams[group].next() for group in units)
            rng = np.random.default_rng([cfg.seed, step, 1])
            order = np.stack([rng.permutation(len(self.names)) for _ in self.names]).astype(np.int32)
            losses, penalty, coef = self._compiled(units)(batches, tf.constant(order))
            step += 1
            self.step.assign(step)
            losses, penalty, coef = losses.numpy(), float(penalty.numpy()), coef.numpy()
            conflict = float("nan")
            if cfg.track_conflict and (step % cfg.conflict_every == 0 or step == 1):
                cos = gradient_cosine(self.model, self.probes)
                conflict = _mean_offdiagonal(cos)
                frames["conflict"] += [{"step": step, "task_a": a, "task_b": b, "cosine": float(cos.loc[a, b])}
                                       for a in cos.index for b in cos.columns if a < b]
            for i, t, loss in zip(idxs, drawn, losses):
                frames["rows"].append({"step": step, "epoch": epoch, "task": t, "loss": float(loss),
                                       "weight": float(coef[i]), "penalty": penalty, "lr": lr, "conflict": conflict})
            frames["weights"].append({"step": step, "epoch": epoch, **dict(zip(self.names, coef.tolist()))})
            if bar:
                bar.update(in_epoch + 1, values=[("loss", float(np.mean(losses)))])
            epoch_done = step % self.steps_per_epoch == 0
            if epoch_done:
                dev = evaluate(self.model, self.tasks, self.vocab, "dev", **self.extra)
                frames["dev"] += [{"epoch": epoch, **r} for r in dev.to_dict("records")]
                if self._best_epoch(frames["dev"]) == epoch:
                    best_weights = [np.array(w) for w in self.model.get_weights()]
                    if best_path is not None:
                        np.savez(best_path, **{f"w{i}": w for i, w in enumerate(best_weights)})
                stop = self._should_stop(frames["dev"])
            if manager is not None and (epoch_done or (cfg.checkpoint_every and step % cfg.checkpoint_every == 0)
                                        or step == self.total_steps):
                self.save(manager, frames)
        elapsed = time.perf_counter() - started
        best_epoch = self._best_epoch(frames["dev"])
        if cfg.early_stopping_patience is not None and best_weights is not None:
            self.model.set_weights(best_weights)
        history = pd.DataFrame(frames["rows"], columns=["step", "epoch", "task", "loss", "weight", "penalty",
                                                         "lr", "conflict"])
        return TrainResult(
            history=history,
            dev=pd.DataFrame(frames["dev"], columns=["epoch", "task", "split", "metric", "value"]),
            model=self.model,
            weights=pd.DataFrame(frames["weights"], columns=["step", "epoch", *self.names]),
            conflict=pd.DataFrame(frames["conflict"], columns=["step", "task_a", "task_b", "cosine"]),
            best_epoch=best_epoch,
            steps_per_second=(step - first_step) / elapsed if step > first_step else float("nan"))

    # ----- early stopping -----
    def _epoch_scores(self, dev_rows: list[dict]) -> dict[int, float]:
        """Mean over the monitored tasks (default all) of the main dev metric, signed so that higher is
        better (−perplexity for lm)."""
        frame = pd.DataFrame(dev_rows, columns=["epoch", "task", "split", "metric", "value"])
        scores: dict[int, list[float]] = {}
        monitored = self.config.monitor or tuple(self.tasks)
        for t, task in self.tasks.items():
            if t not in monitored:
                continue
            metric, higher = metrics.main_metric(task.kind, task.labels)
            rows = frame[(frame.task == t) & (frame.metric == metric)]
            for epoch, value in zip(rows.epoch, rows.value):
                scores.setdefault(int(epoch), []).append(value if higher else -value)
        return {e: float(np.mean(v)) for e, v in scores.items()}

    def _best_epoch(self, dev_rows: list[dict]) -> int | None:
        scores = self._epoch_scores(dev_rows)
        return max(scores, key=lambda e: (scores[e], -e)) if scores else None

    def _should_stop(self, dev_rows: list[dict]) -> bool:
        patience = self.config.early_stopping_patience
        scores = self._epoch_scores(dev_rows)
        if patience is None or not scores:
            return False
        return max(scores) - self._best_epoch(dev_rows) >= patience


def _extra_inputs(target_vocab: data.Vocabulary | None, char_vocab: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if target_vocab is not None:
        extra["target_vocab"] = target_vocab
    if char_vocab is not None:
        extra["char_vocab"] = char_vocab
    return extra


def train(model: "MultiTaskModel", tasks: Mapping[str, data.TaskData], vocab: data.Vocabulary,
          config: TrainConfig | None = None, *, target_vocab: data.Vocabulary | None = None,
          char_vocab: Any = None, strategy: tf.distribute.Strategy | None = None) -> TrainResult:
    """Train ``model`` jointly on ``tasks`` ({head name: TaskData}) and return history and dev scores.

    Seeds everything with ``config.seed`` first. With ``config.checkpoint_dir`` an earlier run there is
    resumed. With ``strategy`` the model must have been built inside ``strategy.scope()``.
    """
    config = config or TrainConfig()
    _check_tasks(model, tasks)
    config.validate(list(tasks))
    if any(t.kind == "seq2seq" for t in tasks.values()) and target_vocab is None:
        raise ValueError("a seq2seq task needs target_vocab; pass target_vocab=Vocabulary.build(task.train.labels).")
    if config.track_conflict:
        _require_shared(model, "track_conflict=True")
    if strategy is not None:
        first = model.trainable_variables[0]
        if not strategy.extended.variable_created_in_scope(getattr(first, "value", first)):
            raise ValueError("the model was not built inside strategy.scope(); build it there: "
                             "with strategy.scope(): model = build_model(...).")
    _config.set_seed(int(config.seed))
    return _Trainer(model, tasks, vocab, config, strategy, _extra_inputs(target_vocab, char_vocab)).run()


# --------------------------------------------------------------------------------------------------
# Language-model pretraining and transfer
# --------------------------------------------------------------------------------------------------
def lm_task_from(tasks: Mapping[str, data.TaskData], name: str = "lm") -> data.TaskData:
    """An lm TaskData from the input sentences of ``tasks`` (train from train, dev from dev, test from test;
    duplicates such as the shared pos/chunk sentences are kept once). Labels are never read."""
    if not tasks:
        raise ValueError("no tasks given; pass the tasks whose unlabeled text the language model reads.")

    def split(which: str) -> data.Split:
        seen, sentences = set(), []
        for task in tasks.values():
            for sentence in task.split(which).tokens:
                if tuple(sentence) not in seen:
                    seen.add(tuple(sentence))
                    sentences.append(list(sentence))
        return data.Split(tokens=sentences, labels=[])

    return data.TaskData(name=name, kind="lm", corpus="+".join(sorted({t.corpus for t in tasks.values()})),
                         labels=[], train=split("train"), dev=split("dev"), test=split("test"),
                         description=f"next-word prediction on the text of {', '.join(tasks)}")


def _lm_head(model: Any) -> str:
    names = [n for n in model.task_names if model.specs[n].kind == "lm"]
    if not names:
        raise ValueError("the model has no language-model head; build it with one more task, e.g. "
                         "TaskSpec('lm', 'lm', len(vocab)), next to the tasks you will train later.")
    return names[0]


def pretrain_language_model(model: "MultiTaskModel", tasks: Mapping[str, data.TaskData], vocab: data.Vocabulary,
                            config: TrainConfig | None = None, save_path: str | Path | None = None,
                            *, char_vocab: Any = None, strategy: tf.distribute.Strategy | None = None) -> TrainResult:
    """Train the model's lm head (and so its shared encoder) on the unlabeled TRAIN text of ``tasks``.

    The model needs a head of kind "lm" (the first one is used). With ``save_path`` the shared encoder
    weights are written there (.npz) for :func:`transfer_encoder`. A model with character features needs
    ``char_vocab``, as in :func:`train`. Returns the lm training result.
    """
    head = _lm_head(model)
    result = train(model, {head: lm_task_from(tasks, head)}, vocab, config, char_vocab=char_vocab,
                   strategy=strategy)
    if save_path is not None:
        shared = _require_shared(model, "saving the pretrained encoder")
        np.savez(save_path, **{f"v{i}": v.numpy() for i, v in enumerate(shared)})
    return result


def transfer_encoder(source: "MultiTaskModel | str | Path", target: "MultiTaskModel", *,
                     freeze: bool = False) -> int:
    """Copy the shared encoder (embedding + shared layers) of ``source`` (a model or a saved .npz) into
    ``target``; with ``freeze`` those weights stop training (feature extraction), else they are
    fine-tuned. Both models need hard sharing and the same EncoderConfig. Returns the tensors copied."""
    targets = _require_shared(target, "transfer_encoder")
    if isinstance(source, (str, Path)):
        with np.load(source) as saved:
            values = [saved[f"v{i}"] for i in range(len(saved.files))]
    else:
        values = [v.numpy() for v in _require_shared(source, "transfer_encoder")]
    shapes = [tuple(v.shape) for v in targets]
    if [tuple(v.shape) for v in values] != shapes:
        raise ValueError("the source encoder does not fit the target's shared encoder (different number or shapes "
                         "of weights); build both with the same EncoderConfig, sharing='hard' and shared_layers.")
    for variable, value in zip(targets, values):
        variable.assign(value)
        if freeze:
            variable.trainable = False
    return len(values)


# --------------------------------------------------------------------------------------------------
# Evaluation and prediction
# --------------------------------------------------------------------------------------------------
def _logits_fn(model: Any, heads: tuple[str, ...], spec: Any) -> Callable:
    """Compiled forward pass giving the logits of ``heads`` (shared layers run once); cached on the model."""
    def make() -> Callable:
        return tf.function(lambda inputs: model.tasks_call(inputs, list(heads), training=False),
                           input_signature=[spec], autograph=False)
    return _cached(model, ("logits", heads, repr(spec)), make)


def _greedy_decode(model: Any, task: str, inputs: dict, max_length: int) -> np.ndarray:
    """Greedy seq2seq decoding: feed [BOS], append the argmax word until EOS (or max_length)."""
    fn = _logits_fn(model, (task,), _spec_of({**inputs, "decoder_tokens": inputs["tokens"]}))
    batch = int(inputs["tokens"].shape[0])
    decoded = np.full((batch, 1), data.Vocabulary.BOS, dtype=np.int32)
    finished = np.zeros(batch, dtype=bool)
    for _ in range(max_length):
        logits = fn({**inputs, "decoder_tokens": tf.constant(decoded)})[0].numpy()
        nxt = np.where(finished, data.Vocabulary.PAD, logits[:, -1].argmax(-1)).astype(np.int32)
        decoded = np.concatenate([decoded, nxt[:, None]], axis=1)
        finished |= nxt == data.Vocabulary.EOS
        if finished.all():
            break
    return decoded[:, 1:]


def _until_eos(ids: np.ndarray) -> list[int]:
    out = []
    for i in ids:
        if i in (data.Vocabulary.EOS, data.Vocabulary.PAD):
            break
        out.append(int(i))
    return out


def _decoder(model: Any, head: str, task: data.TaskData, bio_constraints: bool) -> dict[str, Any] | None:
    """How a tagging head turns logits into tags: None = per-token argmax; otherwise Viterbi arguments
    (a CRF head's learned transitions; BIO constraints for a BIO tag set when ``bio_constraints``)."""
    if task.kind != "tagging":
        return None
    layer = model.task_heads[model.task_names.index(head)]
    decoder: dict[str, Any] = {"crf": bool(getattr(layer, "crf", False))}
    if decoder["crf"]:
        decoder.update(transitions=models.variable_numpy(layer.transitions),
                       start=models.variable_numpy(layer.start), end=models.variable_numpy(layer.end))
    if bio_constraints and crf.is_bio(task.labels):
        decoder["allowed"] = crf.bio_allowed(task.labels)
    return decoder if len(decoder) > 1 else None


def _run_split(model: Any, heads: tuple[str, ...], tasks: list[data.TaskData], vocab: data.Vocabulary,
               split: str, extra: Mapping[str, Any], batch_size: int = 64,
               bio_constraints: bool = True) -> list[dict[str, Any]]:
    """Per task: predictions of one split in its original order (+ summed nll and token count for lm).
    Several ``tasks`` must label the same sentences; one forward pass then serves all their heads."""
    batches = data.Batches(tasks[0] if len(tasks) == 1 else tasks, vocab, split, batch_size=batch_size,
                           bucket=False, **extra)
    fn = _logits_fn(model, heads, _spec_of(batches.signature()[0]))
    runs = [{"predictions": [], "nll": 0.0, "count": 0.0,
             "decoder": _decoder(model, head, task, bio_constraints)} for head, task in zip(heads, tasks)]
    for inputs, targets, weights in batches.epoch(shuffle=False):
        if tasks[0].kind == "seq2seq":
            source = {k: v for k, v in inputs.items() if k != "decoder_tokens"}
            limit = min(2 * int(inputs["tokens"].shape[1]) + 5, 200)
            target_vocab = extra["target_vocab"]
            runs[0]["predictions"] += [target_vocab.decode(_until_eos(row))
                                       for row in _greedy_decode(model, heads[0], source, limit)]
            continue
        if len(tasks) == 1:
            targets, weights = (targets,), (weights,)
        for task, run, logits, target, weight in zip(tasks, runs, fn(inputs), targets, weights):
            _collect(task, split, vocab, run, logits, target, weight)
    return runs


def _collect(task: data.TaskData, split: str, vocab: data.Vocabulary, run: dict[str, Any], logits: tf.Tensor,
             targets: np.ndarray, weights: np.ndarray) -> None:
    """Add one batch's predictions (and lm likelihood) to ``run``."""
    preds = run["predictions"]
    if task.kind == "lm" and len(logits.shape) == 4:  # bidirectional head [B, L, 2, V]: the next-word direction
        logits = logits[:, :, 0]
    best = tf.argmax(logits, axis=-1).numpy()
    if task.kind == "classification":
        preds += [task.labels[int(i)] for i in best]
    elif task.kind == "tagging":
        sentences, start = task.split(split).tokens, len(preds)
        decoder = run["decoder"]
        if decoder is not None:
            lengths = [max(1, min(len(sentences[start + k]), best.shape[1])) for k in range(len(best))]
            emissions = logits if decoder["crf"] else tf.nn.log_softmax(logits, axis=-1)
            best = crf.viterbi(emissions.numpy(), lengths,
                               **{k: v for k, v in decoder.items() if k != "crf"})
        preds += [[task.labels[int(i)] for i in row[:len(sentences[start + k])]] for k, row in enumerate(best)]
    else:  # lm: next-word predictions and the likelihood of the real next words (forward direction)
        targets = lm_targets(tf.constant(targets), int(logits.shape[-1]))
        ce = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
        run["nll"] += float(tf.reduce_sum(ce * weights))
        run["count"] += float(np.sum(weights))
        lengths = weights.sum(axis=1).astype(int)
        preds += [vocab.decode(row[:n]) for row, n in zip(best, lengths)]


def _scores(task: data.TaskData, split: str, run: dict[str, Any], target_vocab: data.Vocabulary | None) -> dict:
    gold, preds = task.split(split).labels, run["predictions"]
    if task.kind == "classification":
        return metrics.classification_scores(gold, preds)
    if task.kind == "tagging":
        scores = {"accuracy": metrics.token_accuracy(gold, preds)}
        if any(str(label).startswith("B-") for label in task.labels):
            spans = metrics.span_scores(gold, preds)
            scores.update({k: spans[k] for k in ("precision", "recall", "f1")})
        return scores
    if task.kind == "lm":
        mean_nll = run["nll"] / max(run["count"], 1.0)
        return {"nll": mean_nll, "perplexity": metrics.perplexity(mean_nll)}
    lower = getattr(target_vocab, "lowercase", False)
    refs = [[w.lower() for w in ref] if lower else list(ref) for ref in gold]
    return {"bleu": metrics.bleu(refs, preds), "exact_match": metrics.exact_match(refs, preds)}


def evaluate(model: "MultiTaskModel", tasks: Mapping[str, data.TaskData], vocab: data.Vocabulary,
             split: str = "test", target_vocab: data.Vocabulary | None = None, *,
             char_vocab: Any = None, bio_constraints: bool = True) -> pd.DataFrame:
    """Scores of every task on ``split`` as a tidy frame: task, split, metric, value.

    classification: accuracy, precision/recall/f1 macro and micro; tagging: token accuracy (+ span
    precision/recall/f1 for BIO tag sets); lm: nll and perplexity; seq2seq: greedy decoding, bleu and
    exact_match. Padding never counts. Tagging decodes by Viterbi when the head is a CRF or the tag set is
    BIO (``bio_constraints=False``: plain per-token argmax for softmax heads, which may write O I-X).
    """
    _check_tasks(model, tasks)
    if split not in data.SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(data.SPLITS)}.")
    if any(t.kind == "seq2seq" for t in tasks.values()) and target_vocab is None:
        raise ValueError("a seq2seq task needs target_vocab; pass target_vocab=Vocabulary.build(task.train.labels).")
    extra = _extra_inputs(target_vocab, char_vocab)
    runs: dict[str, dict[str, Any]] = {}
    for group in _joint_groups(tasks, split):  # tasks on the same sentences: one forward pass
        runs.update(zip(group, _run_split(model, group, [tasks[n] for n in group], vocab, split, extra,
                                          bio_constraints=bio_constraints)))
    rows = []
    for name, task in tasks.items():
        rows += [(name, split, metric, float(value))
                 for metric, value in _scores(task, split, runs[name], target_vocab).items()]
    return pd.DataFrame(rows, columns=["task", "split", "metric", "value"])


def predict(model: "MultiTaskModel", task: data.TaskData | str, sentences: Sequence[Sequence[str] | str],
            vocab: data.Vocabulary, *, target_vocab: data.Vocabulary | None = None, char_vocab: Any = None,
            bio_constraints: bool = True) -> list:
    """Predictions for new sentences as strings: a label per sentence (classification), a tag per token
    (tagging; decoded as in :func:`evaluate`), the predicted next word at each position (lm) or the greedy
    translation (seq2seq).

    ``task``: the TaskData (for its label inventory) or a task name (then loaded with data.load_task).
    Sentences may be token lists or strings (split on whitespace).
    """
    task = data.load_task(task) if isinstance(task, str) else task
    _check_tasks(model, {task.name: task})
    if task.kind == "seq2seq" and target_vocab is None:
        raise ValueError("a seq2seq task needs target_vocab; pass target_vocab=Vocabulary.build(task.train.labels).")
    tokens = [s.split() if isinstance(s, str) else list(s) for s in sentences]
    if not tokens or any(len(s) == 0 for s in tokens):
        raise ValueError("predict needs at least one non-empty sentence; pass e.g. [['a', 'good', 'film']].")
    dummy = {"classification": [task.labels[0] if task.labels else ""] * len(tokens),
             "tagging": [[task.labels[0] if task.labels else ""] * len(s) for s in tokens],
             "lm": [], "seq2seq": [[] for _ in tokens]}[task.kind]
    probe = dataclasses.replace(task, test=data.Split(tokens=tokens, labels=dummy))
    return _run_split(model, (task.name,), [probe], vocab, "test", _extra_inputs(target_vocab, char_vocab),
                      bio_constraints=bio_constraints)[0]["predictions"]
