"""Tests of the joint trainer: its history and dev frames, joint batches with sampling="all", resume after a
crash, language-model pretraining and transfer, a MirroredStrategy, and the names it re-exports.

The trainer's parts have their own test files: test_sampling, test_weighting (loss weights, PCGrad),
test_losses, test_evaluation, test_compiled, test_train_config; tiny_runs holds their shared toy runs.
"""
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from tiny_runs import ENCODER, REPO, build, quick

from mtl_helpers import data, evaluation, losses, models, sampling, train_config, training, weighting


# ------------------------------------------------------------------------------------------ train
def test_history_and_dev_frames(trained):
    tasks, _, result = trained
    h = result.history
    assert list(h.columns) == ["step", "epoch", "task", "loss", "weight", "penalty", "lr", "conflict"]
    assert h.step.tolist() == list(range(1, 61)) and set(h.task) == set(tasks)
    assert (h.weight == 1.0).all() and (h.penalty == 0.0).all() and (h.lr == 5e-3).all()
    first, last = h[h.epoch == 1].loss.mean(), h[h.epoch == 2].loss.mean()
    assert last < first
    assert list(result.weights.columns) == ["step", "epoch", "toy_topic", "toy_ner"] and len(result.weights) == 60
    assert set(result.dev.epoch) == {1, 2} and set(result.dev.split) == {"dev"}
    assert result.steps_per_second > 0 and result.best_epoch in (1, 2)


def test_bad_task_sets_are_value_errors(trained):
    tasks, vocab, result = trained
    with pytest.raises(ValueError, match="no tasks"):
        training.train(result.model, {}, vocab, quick())
    with pytest.raises(ValueError, match="not heads of this model"):
        training.train(result.model, {"pos": tasks["toy_topic"]}, vocab, quick())
    with pytest.raises(ValueError, match="fraction"):  # fractions are chosen when loading a task
        data.load_task("toy_topic", fraction=0.0)


def test_sampling_all_trains_every_task_on_one_joint_batch_per_step(toy):
    tasks, vocab = toy
    model = build(tasks, vocab)
    result = training.train(model, tasks, vocab, quick(sampling="all", steps_per_epoch=None, batch_size=32))
    steps = -(-len(tasks["toy_topic"].train) // 32)  # one epoch: every joint batch once
    assert result.history.step.max() == steps
    assert (result.history.groupby("step").task.nunique() == 2).all()
    first, last = (result.history[result.history.step.isin(s)].loss.mean() for s in ([1, 2], [steps - 1, steps]))
    assert last < first


def test_on_epoch_is_called_once_per_epoch_and_changes_no_number(toy):
    tasks, vocab = toy
    cfg = quick(epochs=3, steps_per_epoch=4, seed=3)
    calls: list[tuple[int, pd.DataFrame]] = []
    hooked = training.train(build(tasks, vocab, seed=3), tasks, vocab, cfg,
                            on_epoch=lambda epoch, dev: calls.append((epoch, dev)))
    plain = training.train(build(tasks, vocab, seed=3), tasks, vocab, cfg)
    assert [epoch for epoch, _ in calls] == [1, 2, 3]
    for epoch, dev in calls:  # the dev scores so far, as TrainResult.dev has them
        pd.testing.assert_frame_equal(dev, hooked.dev[hooked.dev.epoch <= epoch].reset_index(drop=True))
    pd.testing.assert_frame_equal(hooked.history, plain.history)
    pd.testing.assert_frame_equal(hooked.dev, plain.dev)
    for a, b in zip(hooked.model.get_weights(), plain.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="on_epoch must be a function"):
        training.train(build(tasks, vocab), tasks, vocab, cfg, on_epoch="print")


def test_training_re_exports_the_names_callers_use():
    """Notebooks, exercises and tests know these as training.X; they live in the module named after their idea."""
    homes = {sampling: ["SAMPLINGS", "task_sampling_probabilities", "TaskSampler", "_joint_groups"],
             weighting: ["WEIGHTINGS", "pcgrad", "gradient_cosine", "_dense"],
             losses: ["lm_targets", "_loss_sums", "_joint_loss_sums"],
             evaluation: ["evaluate", "predict"], train_config: ["TrainConfig", "OPTIMIZERS"]}
    for module, names in homes.items():
        for name in names:
            assert getattr(training, name) is getattr(module, name), name
    for name in training.__all__:
        assert hasattr(training, name), name


# ------------------------------------------------------------------------------------------ resume
class _Crash(RuntimeError):
    pass


@pytest.mark.slow
def test_resume_after_a_crash_equals_an_uninterrupted_run(toy, tmp_path, monkeypatch):
    tasks, vocab = toy
    cfg = dict(epochs=2, steps_per_epoch=8, checkpoint_every=3)
    straight = training.train(build(tasks, vocab), tasks, vocab, quick(**cfg))

    original_draw = training.TaskSampler.draw

    def crashing_draw(self, step, epoch=1):
        if step == 7:  # mid-epoch; the last checkpoint is at step 6
            raise _Crash("power cut")
        return original_draw(self, step, epoch)

    monkeypatch.setattr(training.TaskSampler, "draw", crashing_draw)
    with pytest.raises(_Crash):
        training.train(build(tasks, vocab), tasks, vocab, quick(**cfg, checkpoint_dir=str(tmp_path)))
    monkeypatch.setattr(training.TaskSampler, "draw", original_draw)
    resumed = training.train(build(tasks, vocab), tasks, vocab, quick(**cfg, checkpoint_dir=str(tmp_path)))

    for a, b in zip(straight.model.get_weights(), resumed.model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    pd.testing.assert_frame_equal(straight.history, resumed.history, atol=1e-5)
    pd.testing.assert_frame_equal(straight.dev, resumed.dev, atol=1e-5)
    with pytest.raises(ValueError, match="another configuration"):
        training.train(build(tasks, vocab), tasks, vocab,
                       quick(**cfg, checkpoint_dir=str(tmp_path), learning_rate=0.1))


# ------------------------------------------------------------------------------------------ pretraining
@pytest.mark.slow
def test_pretrain_language_model_then_transfer_frozen_or_fine_tuned(toy, tmp_path):
    tasks, vocab = toy
    lm = training.lm_task_from(tasks)
    assert len(lm.train) == len({tuple(s) for t in tasks.values() for s in t.train.tokens})
    source = models.build_model([models.TaskSpec("lm", "lm", len(vocab))], models.EncoderConfig(len(vocab), **ENCODER))
    path = tmp_path / "encoder.npz"
    result = training.pretrain_language_model(source, tasks, vocab, quick(steps_per_epoch=10), save_path=path)
    assert set(result.dev.metric) == {"nll", "perplexity"}
    losses = result.history.loss.to_numpy()
    assert losses[-3:].mean() < losses[:3].mean()

    topic = {"toy_topic": tasks["toy_topic"]}
    frozen = build(topic, vocab)
    assert training.transfer_encoder(path, frozen, freeze=True) == len(source.shared_variables())
    before = [v.numpy() for v in frozen.embedding_blocks[0].weights]
    np.testing.assert_array_equal(before[0], source.shared_variables()[0].numpy())
    training.train(frozen, topic, vocab, quick(steps_per_epoch=3))
    for a, b in zip(before, [v.numpy() for v in frozen.embedding_blocks[0].weights]):
        np.testing.assert_array_equal(a, b)

    tuned = build(topic, vocab)
    training.transfer_encoder(source, tuned, freeze=False)
    training.train(tuned, topic, vocab, quick(steps_per_epoch=3))
    assert not np.array_equal(tuned.shared_variables()[0].numpy(), source.shared_variables()[0].numpy())
    with pytest.raises(ValueError, match="language-model head"):
        training.pretrain_language_model(tuned, topic, vocab, quick())


# ------------------------------------------------------------------------------------------ distribution
MIRRORED_SCRIPT = textwrap.dedent("""
    import os, sys
    os.environ["MTL_FAST"] = "1"
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from mtl_helpers import data, models, training
    tasks = data.load_tasks(["toy_topic", "toy_ner"], toy_size=300)
    vocab = data.Vocabulary.from_tasks(tasks)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        model = models.build_model([models.TaskSpec.from_task(t, vocab) for t in tasks.values()],
                                   models.EncoderConfig(len(vocab), embedding_dim=16, hidden_units=16, num_layers=1,
                                                        kind="transformer", num_heads=2, dropout=0.0))
    cfg = training.TrainConfig(epochs=2, steps_per_epoch=15, batch_size=16, learning_rate=5e-3, progress=False)
    result = training.train(model, tasks, vocab, cfg, strategy=strategy)
    h = result.history
    first, last = h[h.epoch == 1].loss.mean(), h[h.epoch == 2].loss.mean()
    scores = training.evaluate(model, tasks, vocab, "test").set_index(["task", "metric"]).value
    print("LOSS", first, last, "ACC", scores["toy_topic", "accuracy"])
    assert last < first, (first, last)
    assert scores["toy_topic", "accuracy"] > 0.375
""")


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpus():
    out = subprocess.run([sys.executable, "-c", MIRRORED_SCRIPT], cwd=REPO, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-4000:]
    assert "LOSS" in out.stdout

