"""Language-model pretraining and its transfer to a low-resource target (notebook 07, ledger claims 07-lm-*).

One setting (:class:`Transfer`) fixes everything a comparison needs: the target task and the share of its
training labels kept (5% by default), the unlabelled text (the target's WHOLE training text with its labels
never read, plus optional NLTK corpora), one vocabulary built on that text (lower-cased, as every
Vocabulary is), the encoder, and the training budgets. Four setups then train the same architecture (a
bidirectional LM head and an MLP tagging head on one shared BiLSTM) from the same seed:

* ``"scratch"``: the target alone, from random weights;
* ``"LM auxiliary"``: target and LM jointly, one batch of each per step;
* ``"pretrained, fine-tuned"``: the LM first (until its dev perplexity stops falling), then the target
  updates everything;
* ``"pretrained, frozen"``: the LM first, then only the target's MLP head trains (a probe of the features).

Pretraining is the slow part, so :func:`pretrain` keeps the pretrained weights of each (setting, seed) in
``build/lm_pretrained/`` (git-ignored): the ledger run (``python -m benchmarks --only lessons --claims
07-lm-low-resource-pretraining``) or ``python -m mtl_helpers.language_models --seeds 0-2`` fills it, and a
notebook that finds a file there loads it instead of training (``Pretrained.source`` says which).
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import config, data, metrics, models, training

SETUPS: tuple[str, ...] = ("scratch", "LM auxiliary", "pretrained, fine-tuned", "pretrained, frozen")
#: the ledger's short names of the setups (lessons.Setup options {"lm_transfer": ...})
SETUP_NAMES: dict[str, str] = {"scratch": "scratch", "auxiliary": "LM auxiliary", "fine-tuned": "pretrained, fine-tuned",
                               "frozen": "pretrained, frozen"}
CACHE_DIR = Path(__file__).resolve().parents[1] / "build" / "lm_pretrained"


@dataclass(frozen=True)
class Transfer:
    """A low-resource transfer setting: what the LM reads, what the target keeps, sizes and budgets."""

    target: str = "ner_es"
    fraction: float = 0.05  # share of the target's training sentences whose labels are used
    text: tuple[str, ...] = ()  # extra unlabelled corpora (data.TEXT_CORPORA) besides the target's own text
    max_sentences: int | None = None  # caps every split of the target (fast mode)
    vocab_size: int = 8000  # the most frequent words of the unlabelled text; the rest read as <unk>
    lm_outputs: int = 2000  # the LM predicts the most frequent ids; rarer next words count as <unk>
    embedding_dim: int = 64
    hidden_units: int = 64  # BiLSTM units per direction
    probe_units: int = 64  # the tagging head's ReLU layer (an MLP head in every setup)
    dev_sentences: int = 500  # caps the target's and the LM's dev splits (scored after every epoch)
    pretrain_epochs: int = 12  # at most; stops after an epoch without a lower dev perplexity
    pretrain_learning_rate: float = 1e-2
    epochs: int = 30  # the target's training: at most, early stopping on its dev score
    steps_per_epoch: int | None = 20
    early_stopping_patience: int | None = 5
    learning_rate: float = 3e-3

    def __post_init__(self) -> None:
        if self.target not in data.TASK_NAMES or data.load_task(self.target, max_sentences=2).kind != "tagging":
            raise ValueError(f"target {self.target!r} must be a tagging task of data.TASK_NAMES; pass e.g. "
                             "target='ner_es' or target='chunk'.")
        if not 0.0 < self.fraction <= 1.0:
            raise ValueError(f"fraction must be in (0, 1], got {self.fraction!r}; pass e.g. fraction=0.05.")
        if unknown := [c for c in self.text if c not in data.TEXT_CORPORA]:
            raise ValueError(f"text {unknown} is not among the unlabelled corpora {data.TEXT_CORPORA}; pass e.g. "
                             "text=('brown',) or text=().")

    def key(self, seed: int) -> str:
        """A file name for the pretrained weights: changes with everything pretraining depends on."""
        fields = {k: v for k, v in dataclasses.asdict(self).items()
                  if k not in ("fraction", "probe_units", "epochs", "steps_per_epoch", "early_stopping_patience",
                               "learning_rate")}
        digest = hashlib.sha1(json.dumps({**fields, "seed": seed}, sort_keys=True).encode()).hexdigest()[:10]
        return f"{self.target}_seed{seed}_{digest}"


@dataclass
class Materials:
    """What every setup of one (setting, seed) reads: the labelled target, the unlabelled text, the vocabulary."""

    target: data.TaskData
    text: data.TaskData
    vocab: data.Vocabulary


def materials(setting: Transfer, seed: int) -> Materials:
    """The target with ``fraction`` of its labels, the LM text (the target's whole training text, labels
    unread, plus ``setting.text``; dev capped) and the vocabulary of that text."""
    target = data.load_task(setting.target, seed=seed, fraction=setting.fraction, max_sentences=setting.max_sentences)
    target = dataclasses.replace(target, dev=data.Split(target.dev.tokens[:setting.dev_sentences],
                                                        target.dev.labels[:setting.dev_sentences]))
    whole = data.load_task(setting.target, seed=seed, max_sentences=setting.max_sentences)
    text = training.lm_task_from({setting.target: whole}, "lm")
    train, dev = list(text.train.tokens), list(text.dev.tokens)
    if setting.text:
        extra = data.load_task("lm", seed=seed, lm_sources=setting.text, max_sentences=setting.max_sentences)
        train += extra.train.tokens
    cap = setting.dev_sentences
    text = data.TaskData("lm", "lm", text.corpus + "".join(f"+{c}" for c in setting.text), [], data.Split(train),
                         data.Split(dev[:cap]), data.Split(list(text.test.tokens[:cap])),
                         f"next-word prediction on the text of {setting.target}{''.join(', ' + c for c in setting.text)}")
    return Materials(target, text, data.Vocabulary.build(train, max_size=setting.vocab_size))


def build(setting: Transfer, stuff: Materials, seed: int) -> models.MultiTaskModel:
    """The model every setup starts from: bidirectional LM head + MLP tagging head on one shared BiLSTM."""
    encoder = models.EncoderConfig(vocab_size=len(stuff.vocab), embedding_dim=setting.embedding_dim,
                                   hidden_units=setting.hidden_units, num_layers=1)
    tagger = dataclasses.replace(models.TaskSpec.from_task(stuff.target, stuff.vocab), hidden=setting.probe_units)
    lm = models.TaskSpec("lm", "lm", min(setting.lm_outputs, len(stuff.vocab)), bidirectional=True)
    return models.build_model([lm, tagger], encoder, sharing="hard", seed=seed)


@dataclass
class Pretrained:
    """A pretrained model, its LM dev scores by epoch (saved with it) and where it came from."""

    model: models.MultiTaskModel
    dev: pd.DataFrame
    source: str  # "trained here" or "loaded from <path>"


def pretrain(setting: Transfer, stuff: Materials, seed: int, cache_dir: Path | str | None = CACHE_DIR) -> Pretrained:
    """Pretrain the LM (both directions) on the unlabelled text until its dev perplexity stops falling,
    keeping the best epoch; loaded from ``cache_dir`` when a run with the same setting and seed saved it."""
    model = build(setting, stuff, seed)
    path = Path(cache_dir) / f"{setting.key(seed)}.npz" if cache_dir is not None else None
    if path is not None and path.exists():
        with np.load(path) as saved:
            model.set_weights([saved[f"w{i}"] for i in range(len(saved.files) - 1)])
            dev = pd.DataFrame(json.loads(str(saved["dev"])))
        return Pretrained(model, dev, f"loaded from {path}")
    result = training.pretrain_language_model(model, {"text": stuff.text}, stuff.vocab, training.TrainConfig(
        epochs=setting.pretrain_epochs, batch_size=64, learning_rate=setting.pretrain_learning_rate,
        early_stopping_patience=1, progress=False, seed=seed))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **{f"w{i}": w for i, w in enumerate(model.get_weights())},
                 dev=json.dumps(result.dev.to_dict("records")))
    return Pretrained(model, result.dev, "trained here")


def _config(setting: Transfer, seed: int, **extra: Any) -> training.TrainConfig:
    return training.TrainConfig(epochs=setting.epochs, steps_per_epoch=setting.steps_per_epoch,
                                early_stopping_patience=setting.early_stopping_patience, monitor=(setting.target,),
                                learning_rate=setting.learning_rate, progress=False, seed=seed, **extra)


def train_setup(setting: Transfer, setup: str, seed: int, stuff: Materials,
                pretrained: Pretrained | None = None) -> tuple[models.MultiTaskModel, training.TrainResult]:
    """Train one of SETUPS from the seed's initial weights (the pretrained ones where the setup says so)."""
    if setup not in SETUPS:
        raise ValueError(f"unknown setup {setup!r}; use one of {SETUPS}.")
    model, tasks = build(setting, stuff, seed), {setting.target: stuff.target}
    config = _config(setting, seed)
    if setup == "LM auxiliary":  # the LM's dev perplexity is only logged (early stopping watches the target):
        lm = dataclasses.replace(stuff.text, dev=data.Split(stuff.text.dev.tokens[:64]))  # a small dev is enough
        tasks, config = {**tasks, "lm": lm}, _config(setting, seed, sampling="all")
    elif setup.startswith("pretrained"):
        if pretrained is None:
            raise ValueError(f"setup {setup!r} needs the pretrained model; pass pretrained=pretrain(...).")
        training.transfer_encoder(pretrained.model, model, freeze=setup.endswith("frozen"))
    return model, training.train(model, tasks, stuff.vocab, config)


def scores(model: models.MultiTaskModel, setting: Transfer, stuff: Materials) -> dict[str, float]:
    """Test scores of the target from one decoding pass (as training.evaluate computes them: token accuracy,
    span precision, recall and F1) and the share of test tokens it tags as entities (0 = degenerate)."""
    gold = stuff.target.test.labels
    predicted = training.predict(model, stuff.target, stuff.target.test.tokens, stuff.vocab)
    spans = metrics.span_scores(gold, predicted)
    return {"accuracy": metrics.token_accuracy(gold, predicted), **{k: spans[k] for k in ("precision", "recall", "f1")},
            "non-O predictions": float(np.mean([tag != "O" for tags in predicted for tag in tags]))}


_PRETRAINED: dict[tuple[Transfer, int], Pretrained] = {}


def run_and_score(target: str, seed: int, setup: str, **options: Any) -> float:
    """The ledger's entry point: the target's test main metric (span F1) of one setup for one seed.
    ``setup`` is a key of SETUP_NAMES; options are Transfer fields (lessons passes the claim's)."""
    if setup not in SETUP_NAMES:
        raise ValueError(f"unknown setup {setup!r}; use one of {list(SETUP_NAMES)}.")
    setting = Transfer(target=target, **{k: tuple(v) if k == "text" else v for k, v in options.items()})
    stuff = materials(setting, seed)
    pretrained = None
    if SETUP_NAMES[setup].startswith("pretrained"):
        if (setting, seed) not in _PRETRAINED:
            _PRETRAINED[(setting, seed)] = pretrain(setting, stuff, seed, None if config.FAST else CACHE_DIR)
        pretrained = _PRETRAINED[(setting, seed)]
    model, _ = train_setup(setting, SETUP_NAMES[setup], seed, stuff, pretrained)
    return float(scores(model, setting, stuff)["f1"])


def main(argv: list[str] | None = None) -> None:
    """CLI: pretrain the default setting's LM for some seeds into build/lm_pretrained/ (for notebook 07)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0-2", help="e.g. 0-2 or 0,3")
    seeds_text = parser.parse_args(argv).seeds
    low, _, high = seeds_text.partition("-")
    seeds = list(range(int(low), int(high) + 1)) if high else [int(s) for s in seeds_text.split(",")]
    setting = Transfer()
    for seed in seeds:
        stuff = materials(setting, seed)
        done = pretrain(setting, stuff, seed)
        last = done.dev[done.dev.metric == "perplexity"].value
        print(f"seed {seed}: {done.source}; dev perplexity by epoch {[round(v, 1) for v in last]}", flush=True)


if __name__ == "__main__":
    main()
