"""mtl_helpers.stacked: runs trained side by side compute what each would compute alone with training.train,
the compiled step is traced once and reused, and bad input names the fix."""
from __future__ import annotations

import dataclasses

import pytest

from mtl_helpers import data, models, stacked, training

TASKS = ("toy_sentiment", "toy_topic")


def _tasks(seed: int, fraction: float = 0.1) -> dict:
    return {name: data.load_task(name, seed=seed, toy_size=240, fraction=fraction if i == 0 else 1.0)
            for i, name in enumerate(TASKS)}


def _model(tasks: dict, vocab: data.Vocabulary, sharing: str, seed: int) -> models.MultiTaskModel:
    encoder = models.EncoderConfig(vocab_size=len(vocab), embedding_dim=8, hidden_units=4, num_layers=1, dropout=0.0)
    return models.build_model([models.TaskSpec.from_task(t, vocab) for t in tasks.values()], encoder,
                              sharing=sharing, coupling_weight=0.01 if sharing == "soft" else 0.0, seed=seed)


def _config(seed: int, sampling: str = "uniform") -> training.TrainConfig:
    return training.TrainConfig(epochs=2, steps_per_epoch=4, learning_rate=5e-3, sampling=sampling,
                                task_weights={"toy_sentiment": 1.0, "toy_topic": 0.5}, seed=seed, progress=False)


def _final(dev, metric: str = "accuracy") -> dict:
    last = dev[(dev.epoch == dev.epoch.max()) & (dev.metric == metric)]
    return dict(zip(last.task, last.value))


@pytest.mark.slow
@pytest.mark.parametrize("sampling", ["uniform", "all"])
def test_side_by_side_equals_training_each_alone_and_reuses_the_trace(sampling):
    runs = [(0, "none"), (0, "hard"), (1, "soft")]
    tasks = {seed: _tasks(seed) for seed in (0, 1)}
    vocabs = {seed: data.Vocabulary.from_tasks(t) for seed, t in tasks.items()}
    alone = [_final(training.train(_model(tasks[s], vocabs[s], sh, s), tasks[s], vocabs[s], _config(s, sampling)).dev)
             for s, sh in runs]
    built = [_model(tasks[s], vocabs[s], sh, s) for s, sh in runs]
    initial = [m.get_weights() for m in built]
    trainer = stacked.StackedTrainer(built, learning_rate=5e-3, joint=sampling == "all")
    copies = [stacked.Copy(m, tasks[s], _config(s, sampling), vocabs[s]) for m, (s, _) in zip(built, runs)]
    seen: list = []
    for _ in range(2):  # the second run starts again from the initial weights: the same numbers
        dev = trainer.run(copies, initial, eval_every=2, on_eval=lambda step, frame: seen.append(step))
        for k, expected in enumerate(alone):
            got = dev[dev.run == k]
            assert _final(got) == pytest.approx(expected, abs=1e-9)
    assert trainer.traces == 1  # one trace, reused by the second run
    assert seen == [2, 4, 6, 8] * 2 and sorted(set(dev.epoch)) == [0.5, 1.0, 1.5, 2.0]


def test_bad_input_names_the_fix():
    with pytest.raises(ValueError, match="at least one model"):
        stacked.StackedTrainer([])
    tasks = _tasks(0)
    vocab = data.Vocabulary.from_tasks(tasks)
    model = _model(tasks, vocab, "hard", 0)
    trainer = stacked.StackedTrainer([model])
    copy = stacked.Copy(model, tasks, _config(0), vocab)
    with pytest.raises(ValueError, match="1 copies"):
        trainer.run([copy, copy], [model.get_weights()])
    with pytest.raises(ValueError, match="static loss weights"):
        trainer.run([dataclasses.replace(copy, config=dataclasses.replace(_config(0), weighting="dwa"))],
                    [model.get_weights()])
    with pytest.raises(ValueError, match="must divide"):
        trainer.run([copy], [model.get_weights()], eval_every=3)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        trainer.run([dataclasses.replace(copy, config=dataclasses.replace(_config(0), steps_per_epoch=None))],
                    [model.get_weights()])
    with pytest.raises(ValueError, match="same task heads"):
        stacked.StackedTrainer([model, _model({"toy_topic": tasks["toy_topic"]}, vocab, "none", 0)])
