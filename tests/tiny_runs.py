"""Tiny models and short runs on the toy language, shared by the tests of the trainer's modules (test_training,
test_sampling, test_weighting, test_losses, test_evaluation, test_compiled, test_train_config).

Tiny transformer encoders keep each training run to a few seconds of compute; most of a run's time is graph
tracing (one compiled step per task). The toy tasks and the one short trained run are built once per test
session (cached), since no test changes them.
"""
import dataclasses
import functools
from pathlib import Path

from mtl_helpers import data, models, training
from mtl_helpers.training import TrainConfig

TOY_SIZE = 400
ENCODER = dict(embedding_dim=16, hidden_units=16, num_layers=1, kind="transformer", num_heads=2, dropout=0.1)
REPO = Path(__file__).resolve().parents[1]


def build(tasks, vocab, sharing="hard", seed=0, **kw):
    """A tiny model with one head per entry of ``tasks`` (head name = dict key)."""
    specs = [dataclasses.replace(models.TaskSpec.from_task(t, vocab), name=name) for name, t in tasks.items()]
    return models.build_model(specs, models.EncoderConfig(len(vocab), **ENCODER), sharing=sharing, seed=seed, **kw)



def quick(**kw):
    base = dict(epochs=1, steps_per_epoch=6, batch_size=16, learning_rate=5e-3, progress=False)
    return TrainConfig(**{**base, **kw})



@functools.cache
def toy_tasks() -> tuple[dict, data.Vocabulary]:
    """The toy_topic + toy_ner tasks (same sentences) and their vocabulary."""
    tasks = data.load_tasks(["toy_topic", "toy_ner"], toy_size=TOY_SIZE)
    return tasks, data.Vocabulary.from_tasks(tasks)


@functools.cache
def trained_run() -> tuple[dict, data.Vocabulary, training.TrainResult]:
    """One short static-weight run on toy_tasks, shared by the evaluation tests (none of them changes it)."""
    tasks, vocab = toy_tasks()
    model = build(tasks, vocab)
    result = training.train(model, tasks, vocab, quick(epochs=2, steps_per_epoch=30))
    return tasks, vocab, result
