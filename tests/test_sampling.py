"""Tests of task sampling: the sampling formulas, step-indexed draws, and the groups of tasks on the same
sentences that share joint batches."""
import numpy as np
import pandas as pd
import pytest
from tiny_runs import TOY_SIZE, build

from mtl_helpers import data, sampling

SIZES = {"small": 100, "medium": 400, "large": 1600}


def test_sampling_probabilities_follow_their_formulas():
    n = np.array(list(SIZES.values()), dtype=float)
    expect = {
        ("proportional", 0.0): n / n.sum(),
        ("uniform", 0.0): np.full(3, 1 / 3),
        ("all", 0.0): np.full(3, 1 / 3),
        ("temperature", 0.0): np.sqrt(n) / np.sqrt(n).sum(),        # T = 2
        ("annealed", 0.0): n / n.sum(),                              # α = 1 at the start
        ("annealed", 1.0): n ** 0.2 / (n ** 0.2).sum(),              # α = 0.2 at the end
        ("annealed", 0.5): n ** 0.6 / (n ** 0.6).sum(),
    }
    for (strategy, progress), p in expect.items():
        got = sampling.task_sampling_probabilities(SIZES, strategy, temperature=2.0, progress=progress)
        assert list(got) == list(SIZES)
        np.testing.assert_allclose(list(got.values()), p, rtol=1e-12, err_msg=f"{strategy} {progress}")
    high_t = sampling.task_sampling_probabilities(SIZES, "temperature", temperature=1e6)
    np.testing.assert_allclose(list(high_t.values()), 1 / 3, atol=1e-4)


@pytest.mark.parametrize("strategy,epoch", [("proportional", 1), ("uniform", 1), ("temperature", 1),
                                            ("annealed", 1), ("annealed", 3)])
def test_sampler_draws_match_the_formula(strategy, epoch):
    sampler = sampling.TaskSampler(SIZES, strategy, temperature=3.0, seed=7, epochs=3)
    steps = 6000
    counts = pd.Series([sampler.draw(s, epoch)[0] for s in range(steps)]).value_counts()
    expected = np.array(list(sampler.probabilities(epoch).values())) * steps
    observed = np.array([counts.get(t, 0) for t in SIZES])
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert chi2 < 13.8, (strategy, observed, expected)  # χ²(2 dof), p = 0.001


def test_sampler_is_step_indexed_and_all_draws_every_task():
    a = sampling.TaskSampler(SIZES, "proportional", seed=3)
    b = sampling.TaskSampler(SIZES, "proportional", seed=3)
    assert [a.draw(s) for s in range(50)] == [b.draw(s) for s in range(50)]
    assert [a.draw(s) for s in range(50, 60)] == [b.draw(s) for s in range(50, 60)]
    assert sampling.TaskSampler(SIZES, "all").draw(0) == list(SIZES)


@pytest.mark.parametrize("kwargs,match", [({"sizes": {}, "strategy": "uniform"}, "no task sizes"),
                                          ({"sizes": {"a": 0}, "strategy": "uniform"}, "> 0"),
                                          ({"sizes": SIZES, "strategy": "random"}, "unknown sampling"),
                                          ({"sizes": SIZES, "strategy": "annealed", "progress": 2.0}, "progress")])
def test_sampling_probabilities_reject_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sampling.task_sampling_probabilities(**kwargs)


def test_tasks_on_the_same_sentences_share_joint_batches(toy):
    """pos + chunk and the toy tasks label the same sentences: one batch feeds every head, and the
    joint batch carries exactly what the per-task batches carry."""
    tasks, vocab = toy
    other = data.load_task("toy_topic", toy_size=TOY_SIZE, seed=1)  # other sentences
    assert sampling._joint_groups({**tasks, "other": other}) == [("toy_topic", "toy_ner"), ("other",)]
    joint = next(iter(data.make_dataset(list(tasks.values()), vocab, batch_size=8, seed=3)))
    for position, task in enumerate(tasks.values()):
        inputs, targets, weights = next(iter(data.make_dataset(task, vocab, batch_size=8, seed=3)))
        np.testing.assert_array_equal(joint[0]["tokens"], inputs["tokens"])
        np.testing.assert_array_equal(joint[1][position], targets)
        np.testing.assert_array_equal(joint[2][position], weights)
    with pytest.raises(ValueError, match="same train sentences"):
        data.make_dataset([tasks["toy_topic"], other], vocab)
    model = build(tasks, vocab)
    several = model.tasks_call(joint[0], list(tasks))
    for name, logits in zip(tasks, several):
        np.testing.assert_allclose(logits.numpy(), model.task_call(joint[0], name).numpy(), atol=1e-6)
