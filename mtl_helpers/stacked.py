"""Independent runs trained side by side in one compiled step: a seed band for about the price of one run.

The playground trains its chosen setting and the single-task baseline on several seeds after every change.
Run one after another, each run pays TensorFlow's tracing (about a second) and its own Python loop per
step. Here every run ("copy") keeps its own model, optimizer, data streams and task draws, but one
``tf.function`` takes the step of all copies at once, and it is traced once per set of shapes: a later
:meth:`StackedTrainer.run` with other seeds and other data re-initialises the same variables and reuses it.

Copy k computes what :func:`mtl_helpers.training.train` computes for it alone (the tests check this): the
same task draws (:class:`~mtl_helpers.sampling.TaskSampler`), batches (:class:`~mtl_helpers.streams._TaskStream`),
loss, penalty, clipping and Adam. One trick keeps a single trace: every step computes the loss of every
task group, and a task not drawn at this step gets the coefficient 0 (its batch is a stand-in that does
not move its stream). A task that is not drawn gets a zero gradient in ``train`` too, so the update is the same.
Only static loss weights are supported (the playground's); :func:`training.train` has the rest.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from . import data, metrics
from .compiled import _spec_of
from .losses import _joint_loss_sums, _loss_sums
from .sampling import TaskSampler, _joint_groups
from .streams import _TaskStream
from .train_config import TrainConfig
from .weighting import _dense

if TYPE_CHECKING:
    from .models import MultiTaskModel

# on_eval(step, dev): called every ``eval_every`` steps with every copy's dev scores so far.
EvalHook = Callable[[int, pd.DataFrame], None]
_COLUMNS = ["run", "step", "epoch", "task", "split", "metric", "value"]


@dataclass
class Copy:
    """One of the runs: its model (built once, re-initialised by :meth:`StackedTrainer.run`), tasks,
    training settings (seed, sampling, task weights, budget) and the vocabulary its data is encoded with."""

    model: MultiTaskModel
    tasks: dict[str, data.TaskData]
    config: TrainConfig
    vocab: data.Vocabulary


class StackedTrainer:
    """Trains several models side by side; build it once per set of shapes and call :meth:`run` for each
    new set of seeds and data.

    models: one per copy, all built with the same task heads (same names, kinds and label counts) so their
    batches share one input signature.
    """

    def __init__(self, models: Sequence[MultiTaskModel], *, batch_size: int = 32,
                 learning_rate: float = 1e-3, clip_norm: float | None = 5.0, joint: bool = False):
        if not models:
            raise ValueError("StackedTrainer needs at least one model; pass e.g. [build_model(...)].")
        names = [tuple(m.task_names) for m in models]
        if len(set(names)) != 1:
            raise ValueError(f"every copy needs the same task heads; got {sorted(set(names))}.")
        self.models, self.batch_size, self.clip_norm = list(models), batch_size, clip_norm
        self.names = list(names[0])
        self.joint = joint  # sampling="all": tasks on the same sentences train on joint batches
        self.optimizers = [keras.optimizers.Adam(learning_rate=learning_rate) for _ in self.models]
        for model, optimizer in zip(self.models, self.optimizers):
            optimizer.build(list(model.trainable_variables))
        self._step: Callable | None = None
        self._dev: Callable | None = None
        self._groups: list[tuple[str, ...]] | None = None
        self.traces = 0  # how many times the step was traced (once per trainer: the point of the cache)

    # ----- the one compiled step -----
    def _copy_step(self, k: int, batches: tuple, scale: tf.Tensor) -> tf.Tensor:
        model, optimizer = self.models[k], self.optimizers[k]
        variables = list(model.trainable_variables)
        assert self._groups is not None
        with tf.GradientTape() as tape:
            losses = []
            for group, batch in zip(self._groups, batches):
                sums = ([_loss_sums(model, group[0], batch, training=True)] if len(group) == 1
                        else _joint_loss_sums(model, group, batch, training=True))
                losses += [total / tf.maximum(count, 1.0) for total, count in sums]
            penalty = tf.cast(tf.convert_to_tensor(model.penalty()), tf.float32)
            objective = tf.add_n([scale[i] * loss for i, loss in enumerate(losses)]) + penalty
        grads = _dense(tape.gradient(objective, variables), variables)
        if self.clip_norm is not None:
            grads, _ = tf.clip_by_global_norm(grads, self.clip_norm)
        optimizer.apply_gradients(zip(grads, variables))
        return tf.stack(losses)

    def _compiled(self, signature: tuple) -> Callable:
        """signature: one copy's batches (one element spec per task group)."""
        if self._step is None:
            def step(batches, scales):
                self.traces += 1
                return tf.stack([self._copy_step(k, batches[k], scales[k]) for k in range(len(self.models))])
            order = len(self.names)
            self._step = tf.function(step, autograph=False, input_signature=[
                tuple(signature for _ in self.models), tf.TensorSpec([len(self.models), order], tf.float32)])
        return self._step

    # ----- a run -----
    def _reset(self, initial: Sequence[list[np.ndarray]]) -> None:
        """Every model back to its ``initial`` weights and every optimizer back to step 0 (a fresh Adam)."""
        for model, optimizer, weights in zip(self.models, self.optimizers, initial):
            model.set_weights(weights)
            for variable in optimizer.variables:  # step counter and Adam's moments; the learning rate stays
                if not variable.path.endswith("learning_rate"):
                    variable.assign(tf.zeros_like(variable))

    def run(self, copies: Sequence[Copy], initial: Sequence[list[np.ndarray]], *, eval_every: int | None = None,
            on_eval: EvalHook | None = None) -> pd.DataFrame:
        """Train every copy from ``initial`` (its weights at step 0, e.g. a fresh model's ``get_weights()``)
        for its config's budget; score dev every ``eval_every`` steps (default: every epoch).

        Returns the main dev score of every task: run (the copy's index), step, epoch, task, split, metric, value. All copies share one budget
        (epochs × steps_per_epoch) and batch size; each has its own seed, sampling and task weights.
        """
        if len(copies) != len(self.models) or len(initial) != len(self.models):
            raise ValueError(f"this trainer has {len(self.models)} copies; got {len(copies)} copies and "
                             f"{len(initial)} initial weight lists.")
        budgets = {(c.config.epochs, c.config.steps_per_epoch, c.config.batch_size) for c in copies}
        steps_per_epoch_unset = any(c.config.steps_per_epoch is None for c in copies)  # no step budget
        if len(budgets) != 1 or steps_per_epoch_unset:
            raise ValueError(f"every copy needs the same epochs, steps_per_epoch (set, not None) and batch_size; "
                             f"got {sorted(budgets, key=str)}.")
        epochs, per_epoch, batch_size = next(iter(budgets))
        if batch_size != self.batch_size:
            raise ValueError(f"this trainer was built for batch_size {self.batch_size}, the copies ask {batch_size}.")
        if any(c.config.weighting != "static" or c.config.pcgrad for c in copies):
            raise ValueError("StackedTrainer trains static loss weights without PCGrad; use training.train for "
                             "weighting='uncertainty'/'dwa'/'gradnorm' or pcgrad=True.")
        if any(list(c.tasks) != self.names for c in copies):
            raise ValueError(f"every copy trains the tasks {self.names} in this order.")
        eval_every = eval_every or per_epoch
        if per_epoch % eval_every:
            raise ValueError(f"eval_every ({eval_every}) must divide steps_per_epoch ({per_epoch}), so the last "
                             "scores are those after the last step.")
        groups = _joint_groups(copies[0].tasks) if self.joint else [(t,) for t in self.names]
        if self._groups is not None and groups != self._groups:
            raise ValueError("these copies group their tasks differently from the trainer's first run; build a "
                             "new StackedTrainer.")
        self._groups = groups
        self._reset(initial)
        samplers = [TaskSampler({t: len(task.train) for t, task in c.tasks.items()}, c.config.sampling,
                                temperature=c.config.temperature, seed=c.config.seed, epochs=epochs) for c in copies]
        streams = [[_TaskStream(c.tasks[g[0]] if len(g) == 1 else [c.tasks[t] for t in g], c.vocab,
                                batch_size=batch_size, seed=c.config.seed, index=self.names.index(g[0]),
                                strategy=None, extra={}) for g in groups] for c in copies]
        flat = [t for g in groups for t in g]  # the order of the step's losses
        weights = [[float((c.config.task_weights or {}).get(t, 1.0)) for t in flat] for c in copies]
        stand_ins = [[s.next() for s in row] for row in streams]  # the first batches, handed out at step 0
        position = {(k, g): 0 for k in range(len(copies)) for g in range(len(groups))}
        step_fn = self._compiled(tuple(stream.element_spec for stream in streams[0]))
        dev_scores = self._dev_pass(copies, groups)
        rows: list[dict] = []
        for step in range(epochs * per_epoch):
            epoch = step // per_epoch + 1
            batches, scales = [], []
            for k, (sampler, row) in enumerate(zip(samplers, streams)):
                drawn = set(sampler.draw(step, epoch))
                live, batch_row = set(), []
                for g, group in enumerate(groups):
                    if drawn & set(group):  # the first draw uses the batch taken above; later ones move the stream
                        batch_row.append(stand_ins[k][g] if position[k, g] == 0 else row[g].next())
                        stand_ins[k][g] = batch_row[-1]
                        position[k, g] += 1
                        live.update(group)
                    else:
                        batch_row.append(stand_ins[k][g])
                scale = [w if t in live else 0.0 for t, w in zip(flat, weights[k])]
                batches.append(tuple(batch_row))
                scales.append(scale)
            step_fn(tuple(batches), tf.constant(scales, tf.float32))
            if (step + 1) % eval_every == 0:
                rows += [{"run": k, "step": step + 1, "epoch": (step + 1) / per_epoch, "task": task,
                          "split": "dev", "metric": metric, "value": value}
                         for k, row in enumerate(dev_scores()) for task, (metric, value) in row.items()]
                if on_eval is not None:
                    on_eval(step + 1, pd.DataFrame(rows, columns=_COLUMNS))
        return pd.DataFrame(rows, columns=_COLUMNS)

    def _dev_pass(self, copies: Sequence[Copy], groups: list[tuple[str, ...]]) -> Callable[[], list[dict]]:
        """A function giving every copy's main dev score per task ({task: (metric, value)}), with one compiled
        forward pass over all copies and their whole dev sets (encoded once per run)."""
        dev = [[data.Batches(c.tasks[g[0]] if len(g) == 1 else [c.tasks[t] for t in g], c.vocab, "dev",
                             batch_size=max(len(c.tasks[g[0]].dev), 1), bucket=False) for g in groups] for c in copies]
        inputs = tuple(tuple(next(b.epoch(shuffle=False))[0] for b in row) for row in dev)
        if self._dev is None:
            def forward(inputs):
                return [[self.models[k].tasks_call(x, list(g), training=False) for g, x in zip(groups, inputs[k])]
                        for k in range(len(self.models))]
            signature = tuple(tuple(_spec_of(b.signature()[0]) for b in row) for row in dev)
            self._dev = tf.function(forward, input_signature=[signature], autograph=False)
        forward = self._dev

        def scores() -> list[dict]:
            out = []
            for copy, logits in zip(copies, forward(inputs)):
                row = {}
                for group, group_logits in zip(groups, logits):
                    for task_name, task_logits in zip(group, group_logits):
                        task = copy.tasks[task_name]
                        row[task_name] = _main_score(task, tf.argmax(task_logits, axis=-1).numpy())
                out.append(row)
            return out
        return scores


def _main_score(task: data.TaskData, best: np.ndarray) -> tuple[str, float]:
    """(main metric, value) on dev from per-token or per-sentence argmax ids (metrics.main_metric; tagging
    decodes by argmax, without the Viterbi step of evaluation.evaluate)."""
    metric, _ = metrics.main_metric(task.kind, task.labels)
    gold = task.dev.labels
    if task.kind == "classification":
        return metric, float(np.mean([task.labels[int(i)] == g for i, g in zip(best, gold)]))
    if task.kind != "tagging":
        raise ValueError(f"StackedTrainer scores classification and tagging tasks; {task.name} is {task.kind}.")
    preds = [[task.labels[int(i)] for i in row[:len(tags)]] for row, tags in zip(best, gold)]
    value = metrics.span_scores(gold, preds)["f1"] if metric == "f1" else metrics.token_accuracy(gold, preds)
    return metric, float(value)
