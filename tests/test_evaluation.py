"""Tests of evaluation and prediction: tidy scores above chance, string predictions, joint evaluation,
greedy seq2seq decoding."""
import pandas as pd
import pytest
from tiny_runs import ENCODER

from mtl_helpers import data, evaluation, models


def test_evaluate_returns_tidy_scores_above_chance(trained):
    tasks, vocab, result = trained
    scores = evaluation.evaluate(result.model, tasks, vocab, split="test")
    assert list(scores.columns) == ["task", "split", "metric", "value"]
    got = scores.set_index(["task", "metric"]).value
    assert {"accuracy", "precision_macro", "recall_macro", "f1_macro", "precision_micro", "recall_micro",
            "f1_micro"} <= set(got["toy_topic"].index)
    assert {"accuracy", "precision", "recall", "f1"} == set(got["toy_ner"].index)
    assert got["toy_topic", "accuracy"] > 1.5 / len(tasks["toy_topic"].labels)
    gold = [t for tags in tasks["toy_ner"].test.labels for t in tags]
    majority = pd.Series(gold).value_counts(normalize=True).iloc[0]
    assert got["toy_ner", "accuracy"] > majority
    assert got["toy_ner", "f1"] > 0.2
    again = evaluation.evaluate(result.model, tasks, vocab, split="test")
    pd.testing.assert_frame_equal(scores, again)


def test_predict_returns_strings(trained):
    tasks, vocab, result = trained
    sentences = tasks["toy_ner"].test.tokens[:3]
    topics = evaluation.predict(result.model, tasks["toy_topic"], sentences, vocab)
    assert len(topics) == 3 and set(topics) <= set(tasks["toy_topic"].labels)
    tags = evaluation.predict(result.model, tasks["toy_ner"], [" ".join(s) for s in sentences], vocab)
    assert [len(t) for t in tags] == [len(s) for s in sentences]
    assert {t for row in tags for t in row} <= set(tasks["toy_ner"].labels)


def test_joint_evaluation_equals_task_by_task(trained):
    """evaluate runs tasks on the same sentences in one pass; the scores equal separate evaluations."""
    tasks, vocab, result = trained
    together = evaluation.evaluate(result.model, tasks, vocab, "dev")
    apart = pd.concat([evaluation.evaluate(result.model, {name: task}, vocab, "dev") for name, task in tasks.items()],
                      ignore_index=True)
    pd.testing.assert_frame_equal(together, apart)


def test_seq2seq_evaluation_decodes_greedily():
    task = data.load_task("toy_translate", toy_size=60)
    vocab, target = data.Vocabulary.from_tasks([task]), data.Vocabulary.build(task.train.labels)
    model = models.build_model([models.TaskSpec.from_task(task, vocab, target)],
                               models.EncoderConfig(len(vocab), **ENCODER))
    scores = evaluation.evaluate(model, {task.name: task}, vocab, "dev", target_vocab=target)
    assert set(scores.metric) == {"bleu", "exact_match"} and scores.value.between(0, 1).all()
    out = evaluation.predict(model, task, task.dev.tokens[:2], vocab, target_vocab=target)
    assert len(out) == 2 and all(isinstance(w, str) for row in out for w in row)
    with pytest.raises(ValueError, match="target_vocab"):
        evaluation.evaluate(model, {task.name: task}, vocab, "dev")
