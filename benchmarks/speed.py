"""Benchmarks 1–3 on conll2000 pos + chunk: training throughput, serving cost and training cost of sharing.

All three compare two sides measured in the same run with the same model sizes (the project's default
EncoderConfig: 2-layer BiLSTM, 64 units) and the same data; compiled-function tracing is excluded
(warm-up) where a side can be warmed up, and the median of several repetitions is reported.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

from mtl_helpers import data, metrics, models, training

from .common import Row, check, median_wall_cpu

NAMES = ("pos", "chunk")
WARM_STEPS = 8  # untimed trainer steps (the first one traces the joint step)
LEARNING_RATE = 1e-2  # Adam, as in the notebooks: 1e-3 leaves the BiLSTM taggers near the majority tag for epochs


def load(max_sentences: int | None) -> tuple[dict[str, data.TaskData], data.Vocabulary, models.EncoderConfig]:
    """pos and chunk (the same conll2000 sentences), their vocabulary and the default encoder."""
    tasks = {t: data.load_task(t, seed=0, max_sentences=max_sentences, full=True) for t in NAMES}
    vocab = data.Vocabulary.from_tasks(tasks)
    return tasks, vocab, models.EncoderConfig(vocab_size=len(vocab))


def _specs(tasks, vocab) -> list[models.TaskSpec]:
    return [models.TaskSpec.from_task(t, vocab) for t in tasks.values()]


# ------------------------------------------------------------------------------------------------ 1
def _tiny_dev(tasks: dict[str, data.TaskData]) -> dict[str, data.TaskData]:
    """Same train data, a 32-sentence dev split: the trainer's end-of-epoch evaluation costs ~nothing."""
    return {t: dataclasses.replace(task, dev=data.Split(task.dev.tokens[:32], task.dev.labels[:32]))
            for t, task in tasks.items()}


class _StepClock:
    """Stand-in for keras.utils.Progbar while the trainer runs: the trainer updates its progress bar once
    after every step, so recording (wall, CPU) clocks there times each step from inside one run."""

    stamps: list[tuple[float, float]] = []

    def __init__(self, *args, **kwargs) -> None:
        pass

    def update(self, *args, **kwargs) -> None:
        _StepClock.stamps.append((time.perf_counter(), time.process_time()))


def _trainer_run(tasks, vocab, encoder, steps: int, batch: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the trainer's steps after the first WARM_STEPS (tracing) of one run."""
    model = models.build_model(_specs(tasks, vocab), encoder, sharing="hard", seed=0)
    config = training.TrainConfig(epochs=1, steps_per_epoch=WARM_STEPS + steps, batch_size=batch,
                                  sampling="all", progress=True, seed=0)
    _StepClock.stamps = []
    original = keras.utils.Progbar
    keras.utils.Progbar = _StepClock
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            training.train(model, tasks, vocab, config)
    finally:
        keras.utils.Progbar = original
    stamps = _StepClock.stamps  # [0]: before step 1, [i]: after step i
    if len(stamps) != WARM_STEPS + steps + 1:
        raise RuntimeError(f"expected one progress update per step, got {len(stamps)}; the trainer changed.")
    (wall0, cpu0), (wall1, cpu1) = stamps[WARM_STEPS], stamps[-1]
    print(f"  trainer: {steps} steps after warm-up: {wall1 - wall0:.1f} s wall, {cpu1 - cpu0:.1f} s CPU", flush=True)
    return wall1 - wall0, cpu1 - cpu0


def _padded_arrays(tasks, vocab) -> tuple[dict, dict, dict]:
    """Train split padded to the longest sentence: inputs, targets and masks per head."""
    pos, chunk = tasks["pos"], tasks["chunk"]
    if pos.train.tokens != chunk.train.tokens:
        raise RuntimeError("pos and chunk train splits differ; the padded baseline needs the same sentences.")
    ids = [vocab.encode(s) for s in pos.train.tokens]
    width = max(map(len, ids))
    x = np.zeros((len(ids), width), np.int32)
    for i, row in enumerate(ids):
        x[i, :len(row)] = row
    y, w = {}, {}
    for name, task in tasks.items():
        index = {label: k for k, label in enumerate(task.labels)}
        y[name] = np.zeros_like(x)
        for i, tags in enumerate(task.train.labels):
            y[name][i, :len(tags)] = [index[t] for t in tags]
        w[name] = (x != 0).astype(np.float32)
    return {"tokens": x}, y, w


def throughput(max_sentences: int | None, epochs: int, repeats: int, batch: int = 32) -> list[Row]:
    """Benchmark 1: task-tokens per second, project trainer vs plain model.fit on padded arrays."""
    tasks, vocab, encoder = load(max_sentences)
    tasks = _tiny_dev(tasks)
    tokens_per_epoch = sum(len(s) for task in tasks.values() for s in task.train.tokens)  # task-tokens
    steps = epochs * math.ceil(len(tasks["pos"].train) / batch)  # joint batches: both heads per step
    runs = [_trainer_run(tasks, vocab, encoder, steps, batch) for _ in range(repeats)]
    trainer_wall, trainer_cpu = (statistics.median(r[i] for r in runs) for i in (0, 1))

    x, y, w = _padded_arrays(tasks, vocab)
    n = len(x["tokens"])
    model = models.build_model(_specs(tasks, vocab), encoder, sharing="hard", seed=0)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.Adam(1e-3, global_clipnorm=5.0), loss={t: loss for t in tasks})
    warm = min(n, 2 * batch + (n % batch or batch))
    def fit(count: int, rounds: int) -> None:
        model.fit({"tokens": x["tokens"][:count]}, {t: v[:count] for t, v in y.items()},
                  sample_weight={t: v[:count] for t, v in w.items()}, batch_size=batch, epochs=rounds,
                  shuffle=True, verbose=0)
    fit(warm, 1)  # warm-up: traces the train function for full and partial batches
    fit_wall, fit_cpu = median_wall_cpu(lambda: fit(n, epochs), repeats, warmup=0)
    print(f"  padded model.fit: {fit_wall:.1f} s wall, {fit_cpu:.1f} s CPU (median)", flush=True)

    rate_trainer = epochs * tokens_per_epoch / trainer_wall
    rate_fit = epochs * tokens_per_epoch / fit_wall
    waste = 1 - float((x["tokens"] != 0).mean())
    note = f"wall time, {len(tasks['pos'].train)} sentences × 2 tasks, {epochs} epoch(s), median of {repeats}"
    return [
        check("throughput", "1. training throughput: trainer / padded model.fit", rate_trainer / rate_fit,
              at_least=2.0, unit="×", note=note),
        check("throughput", "1c. same ratio in process CPU time", fit_cpu / trainer_cpu, unit="×",
              note="information: less sensitive to other jobs on the machine"),
        check("throughput", "1a. trainer task-tokens/s", rate_trainer, note="absolute, information only"),
        check("throughput", "1b. padded model.fit task-tokens/s", rate_fit,
              note=f"padding waste {waste:.0%} of positions; both heads per step"),
    ]


# ------------------------------------------------------------------------------------------------ 2
def serving(max_sentences: int | None, repeats: int, batch: int = 64) -> list[Row]:
    """Benchmark 2: one hard-shared pass predicting pos and chunk vs two single-task passes (test set)."""
    tasks, vocab, encoder = load(max_sentences)
    specs = _specs(tasks, vocab)
    batches = [inputs for inputs, _, _ in data.make_dataset(tasks["pos"], vocab, "test", batch_size=batch)]
    signature = [{"tokens": tf.TensorSpec([None, None], tf.int32)}]

    def predictor(model):
        fn = tf.function(lambda inputs: {t: tf.argmax(v, -1) for t, v in model(inputs, training=False).items()},
                         input_signature=signature)
        return lambda: [tf.nest.map_structure(lambda t: t.numpy(), fn(b)) for b in batches]

    hard = predictor(models.build_model(specs, encoder, sharing="hard", seed=0))
    singles = [predictor(models.build_single_task(s, encoder, seed=0)) for s in specs]
    both_singles = lambda: [run() for run in singles]
    t_hard, cpu_hard = median_wall_cpu(hard, repeats)
    t_single, cpu_single = median_wall_cpu(both_singles, repeats)
    sentences = len(tasks["pos"].test)
    return [
        check("serving", "2. serving: hard-shared pass / two single-task passes", t_hard / t_single,
              at_most=0.55, unit="×", note=f"wall time, {sentences} test sentences, median of {repeats}"),
        check("serving", "2c. serving, same ratio in process CPU time", cpu_hard / cpu_single, unit="×",
              note="information: less sensitive to other jobs on the machine"),
        check("serving", "2a. hard-shared pass, seconds", t_hard, unit=" s", note="absolute, information only"),
        check("serving", "2b. two single-task passes, seconds", t_single, unit=" s", note="absolute"),
    ]


# ------------------------------------------------------------------------------------------------ 3
def _dev_curve(result: training.TrainResult, task: data.TaskData, name: str) -> list[float]:
    metric, _ = metrics.main_metric(task.kind, task.labels)
    rows = result.dev[(result.dev.task == name) & (result.dev.metric == metric)].sort_values("epoch")
    return rows.value.tolist()


def _hard_run(tasks, vocab, encoder, specs, config, epochs: int, goals: dict) -> tuple[float, float, int | None, str]:
    """Train one hard-shared model for ``epochs``: (wall s, CPU s, first epoch reaching every goal, best dev)."""
    model = models.build_model(list(specs.values()), encoder, sharing="hard", seed=0)
    start, cpu = time.perf_counter(), time.process_time()
    result = training.train(model, tasks, vocab, dataclasses.replace(config, sampling="all", epochs=epochs))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    curves = {name: _dev_curve(result, task, name) for name, task in tasks.items()}
    reached = next((e + 1 for e in range(epochs) if all(curves[n][e] >= goals[n] for n in tasks)), None)
    return seconds, cpu, reached, ", ".join(f"{n} {max(c):.4f}" for n, c in curves.items())


def training_cost(max_sentences: int | None, epochs: int) -> list[Row]:
    """Benchmark 3: wall time for hard sharing to reach both single-task dev scores vs the two single runs.

    Each single-task model trains ``epochs`` epochs and its goal is its own best dev score; the hard-shared
    model may train up to twice as many epochs to reach both goals. The time to reach a score is the run's
    wall time × (first epoch at which it is reached) / (epochs of that run). The hard-shared model reads
    POS from the first BiLSTM layer and chunks from the top (low-level supervision, Søgaard & Goldberg
    2016, as notebook 03 teaches); the same model with both heads on the top layer is reported beside it.
    """
    tasks, vocab, encoder = load(max_sentences)
    specs = dict(zip(tasks, _specs(tasks, vocab)))
    config = training.TrainConfig(epochs=epochs, learning_rate=LEARNING_RATE, progress=False, seed=0)
    goals, single_cost, single_cpu, notes = {}, 0.0, 0.0, []
    for name, task in tasks.items():
        model = models.build_single_task(specs[name], encoder, seed=0)
        start, cpu = time.perf_counter(), time.process_time()
        result = training.train(model, {name: task}, vocab, config)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        curve = _dev_curve(result, task, name)
        goals[name] = max(curve)
        reached = curve.index(goals[name]) + 1
        single_cost += seconds * reached / epochs
        single_cpu += cpu * reached / epochs
        notes.append(f"{name} best dev {goals[name]:.4f} at epoch {reached} ({seconds:.0f} s for {epochs})")
    hard_epochs = 2 * epochs
    low = {**specs, "pos": dataclasses.replace(specs["pos"], read_layer=1)}
    name = "3. training cost: hard (POS read at layer 1) to reach single dev scores / two singles"
    seconds, cpu, reached, hard_best = _hard_run(tasks, vocab, encoder, low, config, hard_epochs, goals)
    top_seconds, _, top_reached, top_best = _hard_run(tasks, vocab, encoder, specs, config, hard_epochs, goals)
    top_note = (f"reached both at epoch {top_reached} ({top_seconds:.0f} s for {hard_epochs})" if top_reached
                else f"not reached in {hard_epochs} epochs (best dev: {top_best})")
    top_row = check("training_cost", "3d. same, both heads on the top layer",
                    top_seconds * top_reached / hard_epochs / single_cost if top_reached else math.inf, unit="×",
                    note=top_note)
    if reached is None:
        row = check("training_cost", name, math.inf, at_most=0.6, unit="×")
        row.note = f"not reached in {hard_epochs} epochs (hard best dev: {hard_best}); " + "; ".join(notes)
        return [row, top_row]
    hard_cost = seconds * reached / hard_epochs
    return [
        check("training_cost", name, hard_cost / single_cost, at_most=0.6, unit="×",
              note=f"hard reached both at epoch {reached} ({seconds:.0f} s for {hard_epochs}; best dev {hard_best}); "
                   + "; ".join(notes)),
        check("training_cost", "3c. same ratio in process CPU time", cpu * reached / hard_epochs / single_cpu,
              unit="×", note="information: less sensitive to other jobs on the machine"),
        check("training_cost", "3a. hard-shared seconds to reach", hard_cost, unit=" s", note="absolute"),
        check("training_cost", "3b. two single-task seconds to reach", single_cost, unit=" s", note="absolute"),
        top_row,
    ]
