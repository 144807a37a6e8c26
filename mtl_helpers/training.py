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

The parts live in the files named after them: :mod:`.train_config` (TrainConfig), :mod:`.sampling` (task
draws), :mod:`.streams` (data streams), :mod:`.losses`, :mod:`.weighting` (loss weights, gradient conflict,
PCGrad), :mod:`.compiled` (compiled functions) and :mod:`.evaluation` (evaluate, predict); their public names
are importable from here too.
"""
from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from . import config as _config
from . import data, metrics
from .evaluation import _check_tasks, _extra_inputs, evaluate, predict
from .losses import _joint_loss_sums, _loss_sums, lm_targets
from .sampling import SAMPLINGS, TaskSampler, _joint_groups, task_sampling_probabilities
from .streams import _TaskStream
from .train_config import OPTIMIZERS, TrainConfig, _config_fingerprint
from .weighting import WEIGHTINGS, _dense, _LossWeighting, _mean_offdiagonal, _require_shared, gradient_cosine, pcgrad

if TYPE_CHECKING:
    from .models import MultiTaskModel

# The public names: the trainer's own, and those that callers know as training.X (notebooks, exercises, tests)
# although they live in the module named after their idea.
__all__ = ["OPTIMIZERS", "SAMPLINGS", "WEIGHTINGS", "TaskSampler", "TrainConfig", "TrainResult", "evaluate",
           "gradient_cosine", "lm_targets", "lm_task_from", "pcgrad", "predict", "pretrain_language_model",
           "task_sampling_probabilities", "train", "transfer_encoder"]

_SUM = tf.distribute.ReduceOp.SUM

_STATE_FILE = "trainer_state.pkl"
_BEST_FILE = "best_weights.npz"
_CONFIG_FILE = "train_config.json"


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


# train(on_epoch=...): called after every epoch's dev scoring with (epoch, the dev frame so far).
EpochHook = Callable[[int, pd.DataFrame], None]
_DEV_COLUMNS = ["epoch", "task", "split", "metric", "value"]


# --------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------
def _make_optimizer(config: TrainConfig) -> keras.optimizers.Optimizer:
    if config.optimizer == "adam":
        return keras.optimizers.Adam(learning_rate=config.learning_rate)
    return keras.optimizers.SGD(learning_rate=config.learning_rate, momentum=config.momentum)


def _last_shared_kernel(model: MultiTaskModel) -> int:
    """Index in model.trainable_variables of the last shared weight matrix (GradNorm's W)."""
    shared = _require_shared(model, "weighting='gradnorm'")
    kernel = next(v for v in reversed(shared) if len(v.shape) >= 2)
    ids = [id(v) for v in model.trainable_variables]
    return ids.index(id(kernel))



class _Trainer:
    """State and compiled steps of one train() call."""

    def __init__(self, model: MultiTaskModel, tasks: Mapping[str, data.TaskData], vocab: data.Vocabulary,
                 config: TrainConfig, strategy: tf.distribute.Strategy | None, extra: Mapping[str, Any],
                 on_epoch: EpochHook | None = None):
        self.model, self.tasks, self.vocab, self.config, self.extra = model, dict(tasks), vocab, config, extra
        self.on_epoch = on_epoch
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
        """Train from the saved step (0 for a fresh run) to the last one, or until early stopping."""
        frames, manager, best = self._resume()
        step = first_step = int(self.step.numpy())
        stop, bar = self._should_stop(frames["dev"]), None
        started = time.perf_counter()
        while step < self.total_steps and not stop:
            epoch, in_epoch = step // self.steps_per_epoch + 1, step % self.steps_per_epoch
            if in_epoch == 0 or bar is None:
                bar = self._begin_epoch(frames, epoch, in_epoch)
            losses = self._train_step(frames, step, epoch)
            step += 1
            if bar:
                bar.update(in_epoch + 1, values=[("loss", float(np.mean(losses)))])
            epoch_done = step % self.steps_per_epoch == 0
            if epoch_done:
                best = self._end_epoch(frames, epoch, best)
                stop = self._should_stop(frames["dev"])
            if manager is not None and self._checkpoint_due(step, epoch_done):
                self.save(manager, frames)
            if epoch_done and self.on_epoch is not None:  # after the save: a hook that raises loses nothing
                self.on_epoch(epoch, pd.DataFrame(frames["dev"], columns=_DEV_COLUMNS))  # a copy of the scores
        elapsed = time.perf_counter() - started
        return self._result(frames, best, (step - first_step) / elapsed if step > first_step else float("nan"))

    def _resume(self) -> tuple[dict[str, list], tf.train.CheckpointManager | None, list[np.ndarray] | None]:
        """The frames logged so far, the checkpoint manager (None without checkpoint_dir) and the best
        epoch's weights so far: empty, None, None for a fresh run."""
        frames: dict[str, list] = {"rows": [], "weights": [], "conflict": [], "dev": []}
        if not self.config.checkpoint_dir:
            return frames, None, None
        manager = tf.train.CheckpointManager(self.checkpoint, self.config.checkpoint_dir, max_to_keep=2)
        frames = self.restore(manager) or frames
        best = None
        if self._best_path.exists():
            with np.load(self._best_path) as saved:
                best = [saved[f"w{i}"] for i in range(len(saved.files))]
        return frames, manager, best

    @property
    def _best_path(self) -> Path:
        return Path(self.config.checkpoint_dir) / _BEST_FILE

    def _begin_epoch(self, frames: dict[str, list], epoch: int, in_epoch: int) -> keras.utils.Progbar | bool:
        """Set DWA's weights for ``epoch``; print the epoch and return its progress bar (False without progress)."""
        if self.config.weighting == "dwa":
            self.weighting.dwa_update(pd.DataFrame(frames["rows"], columns=["step", "epoch", "task", "loss"]),
                                      epoch, self.config.dwa_temperature)
        if not self.config.progress:
            return False
        print(f"epoch {epoch}/{self.config.epochs}")
        bar = keras.utils.Progbar(self.steps_per_epoch)
        bar.update(in_epoch)
        return bar

    def _train_step(self, frames: dict[str, list], step: int, epoch: int) -> np.ndarray:
        """Step ``step`` (0-based): draw its tasks, take one batch of each, update, log; returns the losses."""
        units = tuple(dict.fromkeys(self.group_of[t] for t in self.sampler.draw(step, epoch)))
        batches = tuple(self.streams[group].next() for group in units)
        rng = np.random.default_rng([self.config.seed, step, 1])  # PCGrad's order of the other tasks
        order = np.stack([rng.permutation(len(self.names)) for _ in self.names]).astype(np.int32)
        losses, penalty, coef = self._compiled(units)(batches, tf.constant(order))
        self.step.assign(step + 1)
        losses, penalty, coef = losses.numpy(), float(penalty.numpy()), coef.numpy()
        conflict = self._measure_conflict(frames, step + 1)
        for t, loss in zip([t for group in units for t in group], losses):
            frames["rows"].append({"step": step + 1, "epoch": epoch, "task": t, "loss": float(loss),
                                   "weight": float(coef[self.names.index(t)]), "penalty": penalty,
                                   "lr": float(self.config.learning_rate), "conflict": conflict})
        frames["weights"].append({"step": step + 1, "epoch": epoch, **dict(zip(self.names, coef.tolist()))})
        return losses

    def _measure_conflict(self, frames: dict[str, list], step: int) -> float:
        """With track_conflict, every conflict_every steps (and after the first): log the task × task gradient
        cosines and return their mean; NaN at the other steps."""
        cfg = self.config
        if not (cfg.track_conflict and (step % cfg.conflict_every == 0 or step == 1)):
            return float("nan")
        cos = gradient_cosine(self.model, self.probes)
        frames["conflict"] += [{"step": step, "task_a": a, "task_b": b, "cosine": float(cos.loc[a, b])}
                               for a in cos.index for b in cos.columns if a < b]
        return _mean_offdiagonal(cos)

    def _end_epoch(self, frames: dict[str, list], epoch: int,
                   best: list[np.ndarray] | None) -> list[np.ndarray] | None:
        """Score the dev split; returns the best epoch's weights so far (saved too, with checkpoint_dir)."""
        dev = evaluate(self.model, self.tasks, self.vocab, "dev", **self.extra)
        frames["dev"] += [{"epoch": epoch, **r} for r in dev.to_dict("records")]
        if self._best_epoch(frames["dev"]) != epoch:
            return best
        best = [np.array(w) for w in self.model.get_weights()]
        if self.config.checkpoint_dir:
            np.savez(self._best_path, **{f"w{i}": w for i, w in enumerate(best)})
        return best

    def _checkpoint_due(self, step: int, epoch_done: bool) -> bool:
        every = self.config.checkpoint_every
        return epoch_done or bool(every and step % every == 0) or step == self.total_steps

    def _result(self, frames: dict[str, list], best: list[np.ndarray] | None,
                steps_per_second: float) -> TrainResult:
        """The frames as a TrainResult; with early stopping the model gets the best epoch's weights back."""
        if self.config.early_stopping_patience is not None and best is not None:
            self.model.set_weights(best)
        return TrainResult(
            history=pd.DataFrame(frames["rows"], columns=["step", "epoch", "task", "loss", "weight", "penalty",
                                                          "lr", "conflict"]),
            dev=pd.DataFrame(frames["dev"], columns=_DEV_COLUMNS),
            model=self.model,
            weights=pd.DataFrame(frames["weights"], columns=["step", "epoch", *self.names]),
            conflict=pd.DataFrame(frames["conflict"], columns=["step", "task_a", "task_b", "cosine"]),
            best_epoch=self._best_epoch(frames["dev"]),
            steps_per_second=steps_per_second)

    # ----- early stopping -----
    def _epoch_scores(self, dev_rows: list[dict]) -> dict[int, float]:
        """Mean over the monitored tasks (default all) of the main dev metric, signed so that higher is
        better (−perplexity for lm)."""
        frame = pd.DataFrame(dev_rows, columns=_DEV_COLUMNS)
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



def train(model: MultiTaskModel, tasks: Mapping[str, data.TaskData], vocab: data.Vocabulary,
          config: TrainConfig | None = None, *, target_vocab: data.Vocabulary | None = None,
          char_vocab: Any = None, strategy: tf.distribute.Strategy | None = None,
          on_epoch: EpochHook | None = None) -> TrainResult:
    """Train ``model`` jointly on ``tasks`` ({head name: TaskData}) and return history and dev scores.

    Seeds everything with ``config.seed`` first. With ``config.checkpoint_dir`` an earlier run there is
    resumed. With ``strategy`` the model must have been built inside ``strategy.scope()``. ``on_epoch(epoch,
    dev)`` is called after every epoch this call trains, with the dev scores so far (TrainResult.dev's
    columns), e.g. to redraw a live curve; it changes no number, and it is a keyword here rather than a
    TrainConfig field because a config is fingerprinted for resume. An exception it raises stops the run.
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
    if on_epoch is not None and not callable(on_epoch):
        raise ValueError(f"on_epoch must be a function of (epoch, dev frame), got {type(on_epoch).__name__}; "
                         "pass e.g. on_epoch=lambda epoch, dev: print(epoch).")
    return _Trainer(model, tasks, vocab, config, strategy, _extra_inputs(target_vocab, char_vocab), on_epoch).run()


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


def pretrain_language_model(model: MultiTaskModel, tasks: Mapping[str, data.TaskData], vocab: data.Vocabulary,
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


def transfer_encoder(source: MultiTaskModel | str | Path, target: MultiTaskModel, *,
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
