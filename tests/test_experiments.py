"""experiments: tidy table shape, summaries, Δ_MTL, CLI and input checks, on tiny toy runs.

One real tiny run through the CLI (2 toy tasks × none/hard × 1 seed, one short epoch) is shared by the
tests of the table's shape; summaries and Δ_MTL are also checked on a made-up table with known values.
Speed targets live in benchmarks/, never here.
"""
import contextlib
import io
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mtl_helpers import experiments

TASKS = ["toy_topic", "toy_sentiment"]
CLASSIFICATION_METRICS = 7  # accuracy + macro/micro precision, recall, f1


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """A real tiny run through the CLI (2 toy tasks × none/hard × 1 seed, one short epoch):
    the CSV it wrote and what it printed."""
    out = tmp_path_factory.mktemp("exp") / "results.csv"
    argv = ["--tasks", ",".join(TASKS), "--sharing", "none,hard", "--seeds", "1", "--out", str(out),
            "--toy-size", "120", "--epochs", "1", "--quiet"]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert experiments.main(argv) == 0
    return pd.read_csv(out), printed.getvalue()


def synthetic_table(seeds: int = 3) -> pd.DataFrame:
    """A results table shaped like run_experiment's, with made-up scores (no training)."""
    rng = np.random.default_rng(0)
    rows = [("full", task, sharing, seed, 1.0, "test", metric, 0.6 + 0.1 * rng.random(), 1.0)
            for task in TASKS for sharing in ("none", "hard", "soft") for seed in range(seeds)
            for metric in ("accuracy", "f1_macro")]
    return pd.DataFrame(rows, columns=list(experiments.COLUMNS))


def test_cli_writes_tidy_csv(cli_run):
    df, printed = cli_run
    for column in ("task", "sharing", "seed", "metric", "value", "split", "fraction"):
        assert column in df.columns
    assert set(df.task) == set(TASKS) and set(df.sharing) == {"none", "hard"} and set(df.seed) == {0}
    assert (df.split == "test").all() and (df.fraction == 1.0).all()
    assert "Δ_MTL" in printed and "toy_topic" in printed and "wrote" in printed


def test_one_row_per_task_sharing_seed_metric(cli_run):
    df, _ = cli_run
    assert (df.groupby("task").metric.nunique() == CLASSIFICATION_METRICS).all()
    assert len(df) == len(TASKS) * 2 * 1 * CLASSIFICATION_METRICS
    assert not df.duplicated(["task", "sharing", "seed", "metric"]).any()
    assert df.value.between(0, 1).all() and (df.train_seconds > 0).all()


def test_delta_of_real_run_baseline_is_zero(cli_run):
    df, _ = cli_run
    deltas = experiments.delta_mtl_table(df).set_index("sharing")
    assert deltas.loc["none", "delta_mtl"] == pytest.approx(0.0)
    assert np.isfinite(deltas.loc["hard", "delta_mtl"])


def test_summary_interval_contains_mean():
    df = synthetic_table()
    summary = experiments.summarize(df)
    assert len(summary) == len(TASKS) * 3 * 2
    assert (summary.n == 3).all()
    assert (summary.ci_low < summary["mean"]).all() and (summary["mean"] < summary.ci_high).all()
    row = summary[(summary.task == "toy_topic") & (summary.sharing == "hard") & (summary.metric == "accuracy")]
    values = df[(df.task == "toy_topic") & (df.sharing == "hard") & (df.metric == "accuracy")].value
    assert row["mean"].item() == pytest.approx(values.mean())
    assert row["std"].item() == pytest.approx(values.std(ddof=1))


def test_delta_mtl_of_baseline_against_itself_is_zero():
    df = synthetic_table()
    deltas = experiments.delta_mtl_table(df).set_index("sharing")
    assert deltas.loc["none", "delta_mtl"] == pytest.approx(0.0)
    assert deltas.loc["none", "std"] == pytest.approx(0.0)
    assert deltas.loc["hard", "n"] == 3


def test_delta_mtl_uses_the_main_metric_per_seed():
    df = synthetic_table(seeds=1)
    main = df.metric == "accuracy"
    df.loc[main & (df.sharing == "none"), "value"] = 0.5
    df.loc[main & (df.sharing == "hard"), "value"] = 0.55  # +10% on both tasks' accuracy
    deltas = experiments.delta_mtl_table(df).set_index("sharing")
    assert deltas.loc["hard", "delta_mtl"] == pytest.approx(10.0)


def test_delta_mtl_needs_the_baseline():
    df = synthetic_table()
    with pytest.raises(ValueError, match="no 'none' runs"):
        experiments.delta_mtl_table(df[df.sharing == "hard"])


@pytest.mark.parametrize("kwargs, message", [
    ({"tasks": ["toy_topic", "nope"]}, "unknown or repeated"),
    ({"tasks": TASKS, "sharings": ["hard", "medium"]}, "unknown sharing"),
    ({"tasks": TASKS, "seeds": 0}, "at least one seed"),
    ({"tasks": TASKS, "seeds": [1, 1]}, "repeat a seed"),
    ({"tasks": TASKS, "fractions": {"toy_ner": 0.5}}, "not among the tasks"),
    ({"tasks": TASKS, "fractions": {"toy_topic": 1.5}}, r"outside \(0, 1\]"),
    ({"tasks": TASKS, "fractions": {"toy_topic": 0.0}}, r"outside \(0, 1\]"),
    ({"tasks": ["toy_topic"], "sharings": ["hard"]}, "at least two tasks"),
    ({"tasks": TASKS, "learning_rte": 1e-3}, "unknown option 'learning_rte'"),
    ({"tasks": TASKS, "read_layers": {"toy_ner": 1}}, "read_layers names"),
    ({"tasks": TASKS, "lm_pretraining": -1}, "epochs >= 0"),
    ({"tasks": TASKS, "crf": ["toy_ner"]}, "crf names"),
    ({"tasks": TASKS, "pooling": "attention"}, "unknown pooling"),
    ({"tasks": TASKS, "lm_pretraining": 1, "sharings": ["none", "hard"]}, "needs sharings=\\['hard'\\]"),
    ({"tasks": TASKS, "lm_sources": ["brown"]}, "but lm_pretraining=0"),
    ({"tasks": TASKS, "lm_bidirectional": True}, "but lm_pretraining=0"),
    ({"tasks": TASKS, "lm_pretraining": 1, "sharings": ["hard"], "lm_outputs": 3}, "integer >= 5"),
    ({"tasks": TASKS, "lm_pretraining": 1, "sharings": ["hard"], "lm_sources": "brown"}, "non-empty list"),
    ({"tasks": TASKS, "pretrain_on": "toy_topic"}, "not among the tasks"),
    ({"tasks": TASKS, "pretrain_on": "lm"}, "classification or tagging task"),
    ({"tasks": TASKS, "pretrain_on": "toy_ner", "sharings": ["none", "soft"]}, "sharings among"),
    ({"tasks": TASKS, "pretrain_on": "toy_ner", "sharings": ["hard"], "lm_pretraining": 1}, "pass one of them"),
    ({"tasks": TASKS, "pretrain_on": "toy_ner", "pretrain_epochs": 0}, "integer >= 1"),
    ({"tasks": TASKS, "split": "valid"}, "split must name"),
    ({"tasks": TASKS, "split": ["dev", "dev"]}, "split must name"),
    ({"tasks": TASKS, "split": []}, "split must name"),
])
def test_bad_input_is_a_clear_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        experiments.run_experiment(**kwargs)


@pytest.mark.parametrize("argv, message", [
    (["--tasks", "toy_topic,nope"], "unknown or repeated"),
    (["--tasks", "toy_topic,toy_sentiment", "--sharing", "none,medium"], "unknown sharing"),
    (["--tasks", "toy_topic,toy_sentiment", "--seeds", "0"], "integer >= 1"),
    (["--tasks", "toy_topic,toy_sentiment", "--fraction", "toy_ner=0.5"], "not among the tasks"),
    (["--tasks", "toy_topic,toy_sentiment", "--fraction", "toy_topic=2"], r"outside \(0, 1\]"),
    (["--tasks", "toy_topic,toy_sentiment", "--fraction", "toy_topic"], "TASK=FRACTION"),
])
def test_cli_bad_input_is_an_argparse_error(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        experiments.main(argv)
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_several_splits_score_each_trained_model():
    """split=("dev", "test"): one model per sharing and seed, scored on both, so a setting can be chosen on dev."""
    table = experiments.run_experiment(TASKS, ["none", "hard"], seeds=1, epochs=1, toy_size=80,
                                       split=("dev", "test"))
    assert set(table.split) == {"dev", "test"}
    dev, test = (table[table.split == part].reset_index(drop=True) for part in ("dev", "test"))
    assert len(dev) == len(test) and (dev.train_seconds == test.train_seconds).all()  # the same models
    assert not dev.value.equals(test.value)
    summary = experiments.summarize(table)
    assert "split" in summary.columns and len(summary) == len(table)  # one seed: one summary row per run row
    assert "split" not in experiments.summarize(test).columns
    with pytest.raises(ValueError, match="several splits"):
        experiments.delta_mtl_table(table)
    assert np.isfinite(experiments.delta_mtl_table(test).set_index("sharing").loc["hard", "delta_mtl"])


def test_fraction_settings_are_crossed():
    settings = experiments._check_fractions({"toy_topic": [0.1, 0.5], "toy_sentiment": 0.2}, TASKS)
    assert settings == [{"toy_topic": 0.1, "toy_sentiment": 0.2}, {"toy_topic": 0.5, "toy_sentiment": 0.2}]
    assert experiments._setting_label(settings[0]) == "toy_topic=0.1,toy_sentiment=0.2"
    assert experiments._check_fractions({}, TASKS) == [{}]


def test_benchmarks_cli_help_works():
    result = subprocess.run([sys.executable, "-m", "benchmarks", "--help"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--quick" in result.stdout and "--budget" in result.stdout


def test_features_crf_read_layers_and_lm_pretraining_reach_the_models(monkeypatch):
    """chars / crf / read_layers / lm_pretraining / pooling: one tiny hard-shared run, with the built model inspected."""
    from mtl_helpers import models, training

    built, pretrained = [], []
    build = models.build_model
    monkeypatch.setattr(models, "build_model", lambda *a, **k: built.append(build(*a, **k)) or built[-1])
    pretrain = training.pretrain_language_model
    monkeypatch.setattr(training, "pretrain_language_model",
                        lambda *a, **k: pretrained.append((a[1], k.get("char_vocab"))) or pretrain(*a, **k))
    table = experiments.run_experiment(["toy_ner", "toy_topic"], ["hard"], seeds=1, epochs=1, toy_size=80, chars=True,
                                       crf=["toy_ner"], read_layers={"toy_ner": 1}, lm_pretraining=1,
                                       lm_sources=["movie_reviews"], lm_outputs=20, lm_bidirectional=True,
                                       pooling="max", embedding_dim=8, hidden_units=8, num_layers=2,
                                       steps_per_epoch=3)
    model = built[0]
    assert model.encoder_config.char_vocab_size > 0 and pretrained and pretrained[0][1] is not None
    (text,) = pretrained[0][0].values()  # the LM read movie_reviews, through a bidirectional top-20 head
    assert text.corpus == "movie_reviews" and model.specs["lm"].bidirectional and model.specs["lm"].num_outputs == 20
    assert model.specs["toy_ner"].crf and model.specs["toy_ner"].read_layer == 1
    assert not model.specs["toy_topic"].crf and "lm" in model.specs
    assert model.specs["toy_topic"].pooling == "max" and model.specs["toy_ner"].pooling == "mean"
    assert set(table.task) == {"toy_ner", "toy_topic"} and set(table.sharing) == {"hard"}


def test_pretrain_on_trains_the_encoder_on_that_task_alone_first(monkeypatch):
    """Sequential transfer: the single-task model gets the pretraining task's head on its encoder, trains on that
    task alone (early stopping, patience 1), then on its own task; only its own task is scored."""
    from mtl_helpers import training

    calls = []
    train = training.train
    monkeypatch.setattr(training, "train", lambda model, tasks, *a, **k: calls.append(
        (list(model.task_names), list(tasks), a[1])) or train(model, tasks, *a, **k))
    table = experiments.run_experiment(["toy_topic"], ["none"], seeds=1, epochs=1, toy_size=80,
                                       pretrain_on="toy_sentiment", pretrain_epochs=2, embedding_dim=8,
                                       hidden_units=8)
    (heads, first, config), (heads_again, second, _) = calls
    assert heads == heads_again == ["toy_topic", "toy_sentiment"]
    assert first == ["toy_sentiment"] and config.epochs == 2 and config.early_stopping_patience == 1
    assert second == ["toy_topic"] and set(table.task) == {"toy_topic"} and set(table.sharing) == {"none"}
