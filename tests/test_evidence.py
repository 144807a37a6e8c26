"""The paired comparison: interval, verdict and sentence; trivial baselines; the lesson ledger's bookkeeping."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mtl_helpers import baselines, data, evidence, lessons


def test_paired_interval_is_the_t_interval_of_the_differences():
    a = {0: 0.70, 1: 0.60, 2: 0.80, 3: 0.65, 4: 0.75}
    b = {s: v + d for (s, v), d in zip(a.items(), [0.03, 0.05, 0.02, 0.04, 0.06])}
    cmp = evidence.paired(a, b, baseline="single", treatment="hard", metric="accuracy")
    diffs = np.array([0.03, 0.05, 0.02, 0.04, 0.06])
    half = stats.t.ppf(0.975, 4) * diffs.std(ddof=1) / math.sqrt(5)
    mean, low, high = cmp.interval
    assert mean == pytest.approx(diffs.mean()) and low == pytest.approx(diffs.mean() - half)
    assert high == pytest.approx(diffs.mean() + half)
    assert cmp.verdict == "helps"


def test_overlapping_intervals_can_hide_a_clear_paired_difference():
    """The lesson of notebook 06: each setup's own interval carries the noise the pair shares."""
    a = {0: 0.50, 1: 0.70, 2: 0.60, 3: 0.80, 4: 0.55}
    b = {s: v + 0.02 for s, v in a.items()}
    b[4] += 0.01
    own = [stats.t.interval(0.95, 4, np.mean(list(x.values())), stats.sem(list(x.values()))) for x in (a, b)]
    assert own[0][1] > own[1][0]  # the two intervals overlap
    assert evidence.paired(a, b).verdict == "helps"


def test_hurts_cannot_tell_and_lower_is_better():
    a = {0: 1.0, 1: 2.0, 2: 3.0}
    assert evidence.paired(a, {s: v - 0.5 + 0.01 * s for s, v in a.items()}).verdict == "hurts"
    noisy = evidence.paired(a, {0: 1.2, 1: 1.8, 2: 3.1})
    assert noisy.verdict == "cannot tell" and noisy.verdict_words == "cannot tell with 3 seeds"
    perplexity = evidence.paired(a, {s: v - 0.5 + 0.01 * s for s, v in a.items()}, higher_is_better=False)
    assert perplexity.verdict == "helps"


def test_identical_differences_give_a_zero_width_interval():
    same = evidence.paired({0: 1.0, 1: 1.0}, {0: 1.0, 1: 1.0})
    assert same.interval == (0.0, 0.0, 0.0) and same.verdict == "cannot tell"
    assert evidence.paired({0: 0.5, 1: 0.6}, {0: 0.6, 1: 0.7}).verdict == "helps"


def test_sentence_states_means_difference_interval_and_verdict():
    cmp = evidence.paired({0: 0.5, 1: 0.6, 2: 0.55}, {0: 0.7, 1: 0.75, 2: 0.8}, baseline="single-task",
                          treatment="hard sharing", metric="accuracy")
    line = cmp.sentence()
    assert line.startswith("hard sharing vs single-task, accuracy: 0.750 vs 0.550")
    assert "+0.200 [" in line and "3 seeds" in line and line.endswith("helps.")
    assert list(cmp.table().columns) == ["seed", "single-task", "hard sharing", "difference"]


@pytest.mark.parametrize("a, b, match", [
    ({0: 0.5, 1: 0.6}, {0: 0.5, 2: 0.6}, "different seeds"),
    ({0: 0.5}, {0: 0.6}, "at least 2 seeds"),
    ([0.5, 0.6], {0: 0.5, 1: 0.6}, "map seed"),
    ({0: 0.5, 1: float("nan")}, {0: 0.5, 1: 0.6}, "no number"),
])
def test_paired_rejects_unpaired_input(a, b, match):
    with pytest.raises(ValueError, match=match):
        evidence.paired(a, b)


def test_compare_runs_both_setups_on_the_same_seeds():
    seen = []

    def run(offset):
        def score(seed):
            seen.append((offset, seed))
            return seed * 0.1 + offset
        return score

    cmp = evidence.compare(run(0.0), run(0.05), seeds=[3, 4, 7])
    assert sorted(seen) == [(0.0, 3), (0.0, 4), (0.0, 7), (0.05, 3), (0.05, 4), (0.05, 7)]
    assert cmp.seeds == (3, 4, 7) and cmp.verdict == "helps"
    with pytest.raises(ValueError, match="seeds"):
        evidence.compare(run(0), run(1), seeds=1)
    with pytest.raises(ValueError, match="function"):
        evidence.compare(0.5, run(1), seeds=2)


def test_from_table_pairs_a_run_experiment_table():
    rows = [("", "chunk", sharing, seed, 1.0, "test", "f1", value, 1.0)
            for seed in range(3) for sharing, value in (("none", 0.7 + seed / 100), ("hard", 0.75 + seed / 100))]
    df = pd.DataFrame(rows, columns=["setting", "task", "sharing", "seed", "fraction", "split", "metric", "value",
                                     "train_seconds"])
    cmp = evidence.from_table(df, "none", "hard", task="chunk")
    assert cmp.metric == "f1" and cmp.diff == pytest.approx(0.05) and cmp.verdict == "helps"
    with pytest.raises(ValueError, match="no rows"):
        evidence.from_table(df, "none", "soft", task="chunk")


def _toy(seed=0):
    return data.load_task("toy_sentiment", seed=seed, toy_size=400)


def test_majority_and_most_frequent_tag_baselines():
    task = _toy()
    name, value = baselines.score(task)
    majority = max(task.train.labels.count(x) for x in set(task.train.labels))
    label = next(x for x in set(task.train.labels) if task.train.labels.count(x) == majority)
    assert name == "majority" and value == pytest.approx(task.test.labels.count(label) / len(task.test.labels))
    tagging = data.TaskData("t", "tagging", "toy", ["A", "B"], train=data.Split([["x", "y", "x"]], [["A", "B", "A"]]),
                            dev=data.Split([["x"]], [["A"]]), test=data.Split([["x", "y", "z"]], [["A", "B", "B"]]))
    assert baselines.most_frequent_tag(tagging) == [["A", "B", "A"]]  # z is unseen: the overall majority tag
    assert baselines.score(tagging) == ("most_frequent_tag", pytest.approx(2 / 3))
    with pytest.raises(ValueError, match="tagging task"):
        baselines.majority_class(tagging)


def test_the_ledger_is_well_formed():
    assert len(lessons.LEDGER) >= 14 and len(lessons.CLAIMS) == len(lessons.LEDGER)
    assert {c.notebook for c in lessons.LEDGER} >= {"01", "03", "04", "05", "06", "07", "09"}
    for entry in lessons.LEDGER:
        assert entry.expected in lessons.EXPECTED and entry.target in entry.tasks, entry.id
        assert entry.id.startswith(entry.notebook + "-"), entry.id
        for setup in (entry.baseline, entry.treatment):
            assert setup.trivial or setup.sharing in ("none", "hard", "soft", "cross_stitch"), entry.id
    with pytest.raises(ValueError, match="unknown claim"):
        lessons.claim("no-such-claim")


def test_full_scale_pairs_the_committed_quality_runs_by_seed(tmp_path):
    rows = [{"task": "sentiment", "sharing": sharing, "seed": seed, "split": split, "metric": "accuracy",
             "value": value + (0.5 if split == "dev" else 0.0)}
            for sharing, values in {"none": (0.70, 0.72, 0.74), "hard": (0.72, 0.741, 0.759)}.items()
            for seed, value in enumerate(values) for split in ("dev", "test")]
    path = tmp_path / "quality_runs.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    comparison = lessons.full_scale("sentiment", "hard", path=path)
    assert comparison.baseline == "single-task" and comparison.treatment == "hard sharing"
    assert comparison.diffs == pytest.approx((0.02, 0.021, 0.019))  # test split only, paired by seed
    assert comparison.metric == "sentiment accuracy, full corpus" and comparison.verdict == "helps"
    with pytest.raises(ValueError, match="unknown variant"):
        lessons.full_scale("sentiment", "shared", path=path)
    with pytest.raises(ValueError, match="no task 'chunk'"):
        lessons.full_scale("chunk", "hard", path=path)
    with pytest.raises(ValueError, match="--only quality"):
        lessons.full_scale("sentiment", "hard", path=tmp_path / "none.csv")
    with pytest.raises(ValueError, match="no rows with sharing='soft sharing'"):
        lessons.full_scale("sentiment", "soft", path=path)
    committed = lessons.full_scale("sentiment", "hard")  # benchmarks/quality_runs.csv, as the notebooks read it
    assert len(committed.seeds) == 3


def test_ledger_verdict_of_each_outcome():
    helps = lessons.claim("01-related-helps")
    no_effect = lessons.claim("05-dwa-vs-tuned")
    up = evidence.paired({0: 0.5, 1: 0.6}, {0: 0.6, 1: 0.71})
    down = evidence.paired({0: 0.6, 1: 0.71}, {0: 0.5, 1: 0.6})
    flat = evidence.paired({0: 0.5, 1: 0.6}, {0: 0.6, 1: 0.5})
    assert [lessons.ledger_verdict(helps, c) for c in (up, down, flat)] == ["holds", "contradicted", "cannot tell"]
    assert [lessons.ledger_verdict(no_effect, c) for c in (up, down, flat)] == ["contradicted", "contradicted", "holds"]
    assert "the claim holds" in lessons.report("01-related-helps", up)
    assert set(lessons.LEDGER_VERDICTS) == {"holds", "contradicted", "cannot tell"}


def test_a_negligible_claim_needs_the_whole_interval_inside_its_margin():
    entry = lessons.claim("06-gain-at-ten-times-data")
    assert entry.expected == lessons.NEGLIGIBLE and entry.margin == 0.01
    tiny = evidence.paired({0: 0.990, 1: 0.995, 2: 0.992}, {0: 0.992, 1: 0.996, 2: 0.995})  # +0.002 [+0.000, +0.005]
    noisy = evidence.paired({0: 0.9, 1: 0.8, 2: 0.7}, {0: 0.95, 1: 0.78, 2: 0.7})          # holds zero, but wide
    real = evidence.paired({0: 0.90, 1: 0.80, 2: 0.70}, {0: 0.95, 1: 0.86, 2: 0.74})      # +0.05, clear of 0.01
    assert tiny.within(0.01) and not noisy.within(0.01) and not real.within(0.01)
    assert [lessons.ledger_verdict(entry, c) for c in (tiny, noisy, real)] == ["holds", "cannot tell", "contradicted"]
    with pytest.raises(ValueError, match="margin"):
        tiny.within(0)
    with pytest.raises(ValueError, match="margin"):
        lessons.Claim("x-y", "01", "s", ("toy_sentiment",), "toy_sentiment", lessons.SINGLE, lessons.HARD,
                      lessons.NEGLIGIBLE)


def test_claims_that_need_more_seeds_continue_upward():
    ten = lessons.claim("01-unrelated-hurts")
    assert ten.seeds == 10
    assert lessons.seeds_for(ten, range(5)) == list(range(10))
    assert lessons.seeds_for(ten, [10, 11, 12, 13, 14]) == list(range(10, 20))
    assert lessons.seeds_for(lessons.claim("01-related-helps"), [10, 11, 12, 13, 14]) == [10, 11, 12, 13, 14]


def test_measure_a_cheap_claim_in_fast_mode():
    cmp = lessons.measure("01-beats-majority", seeds=2, fast=True)
    assert cmp.seeds == (0, 1) and cmp.baseline == "majority class" and cmp.metric == "toy_sentiment accuracy"
    assert all(0 <= x <= 1 for x in cmp.baseline_scores + cmp.treatment_scores)


def test_a_side_shared_by_two_claims_trains_once(monkeypatch):
    calls = []
    monkeypatch.setattr(lessons, "_SCORES", {})
    monkeypatch.setattr(lessons, "_train_and_score", lambda entry, setup, seed, options: calls.append(setup.name) or 0.5)
    lessons.score(lessons.claim("01-related-helps"), lessons.claim("01-related-helps").treatment, 0, fast=True)
    lessons.score(lessons.claim("01-augmentation-2x"), lessons.claim("01-augmentation-2x").treatment, 0, fast=True)
    lessons.score(lessons.claim("01-augmentation-2x"), lessons.claim("01-augmentation-2x").baseline, 0, fast=True)
    assert calls == ["hard sharing", "single-task, 80 labels"]
