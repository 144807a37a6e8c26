"""The playground's settings: every knob of one run as a frozen value, checked, and its URL query form.

A settings string (:meth:`PlaygroundSettings.to_query`) restores the exact state of the playground when
pasted back or passed to the Voilà app as URL query parameters; :meth:`PlaygroundSettings.code` prints a
snippet that reproduces the run.
"""
from __future__ import annotations

import dataclasses
import urllib.parse
from typing import Any

from mtl_helpers import config

SHARING_MODES: tuple[str, ...] = ("none", "hard", "soft", "cross_stitch")
PLAYGROUND_SAMPLINGS: tuple[str, ...] = ("proportional", "uniform", "temperature", "annealed", "all")
BASELINE = "none"  # the single-task baseline: one model per task, trained in the same loop, same budget
# PlaygroundSettings' numeric fields besides task_weights: (name, integer only, an example for the message).
_PLAYGROUND_NUMBERS: tuple[tuple[str, bool, str], ...] = (
    ("coupling_weight", False, "0.01"), ("shared_layers", True, "1"), ("fraction", False, "0.02"),
    ("relatedness", False, "0.75"), ("num_layers", True, "1"), ("units", True, "8"), ("embedding_dim", True, "32"),
    ("toy_size", True, "2500"), ("epochs", True, "6"), ("steps_per_epoch", True, "20"), ("learning_rate", False, "5e-3"),
    ("seed", True, "0"), ("seeds", True, "3"))


@dataclasses.dataclass(frozen=True)
class PlaygroundSettings:
    """Everything one playground run depends on (a frozen value, so equal settings give equal runs).

    tasks: the first task is the MAIN task; ``fraction`` shrinks only its training split (0.02 of the
    default 2,000 training sentences: 40 labels, the ledger's low-resource target). task_weights: one static
    loss weight per task, in the order of ``tasks``. shared_layers: hard sharing only (0 = only the
    embedding is shared). coupling_weight: λ of the soft-sharing penalty λ·Ω (soft only). seed: the first
    seed; seeds: how many seeds (seed, seed + 1, …) each run trains, for a seed band and a paired interval.
    """

    sharing: str = "hard"
    coupling_weight: float = 0.01
    shared_layers: int = 1
    task_weights: tuple[float, ...] = (1.0, 1.0)
    sampling: str = "uniform"
    fraction: float = 0.02
    relatedness: float = 1.0
    tasks: tuple[str, ...] = ("toy_sentiment", "toy_topic")
    encoder: str = "bilstm"
    num_layers: int = 1
    units: int = 8
    embedding_dim: int = 32
    toy_size: int = 2500
    epochs: int = dataclasses.field(default_factory=lambda: config.fast_or(6, 2))
    steps_per_epoch: int = dataclasses.field(default_factory=lambda: config.fast_or(20, 10))
    learning_rate: float = 5e-3
    seed: int = 0
    seeds: int = 3

    def __post_init__(self) -> None:
        self.check_types()

    def check_types(self) -> None:
        """Raise ValueError naming the field and the fix for a numeric setting of the wrong type (a string such
        as "0.5", a bool, a float where a count goes). Runs on construction; :meth:`validate` checks the ranges."""
        for name, integer, example in _PLAYGROUND_NUMBERS:
            value = getattr(self, name)
            if not (config.is_integer(value) if integer else config.is_number(value)):
                raise ValueError(f"PlaygroundSettings.{name} must be {'an integer' if integer else 'a number'}, "
                                 f"got {value!r} ({type(value).__name__}); pass e.g. {name}={example}.")
        if isinstance(self.task_weights, str) or not all(config.is_number(w) for w in self.task_weights):
            raise ValueError(f"PlaygroundSettings.task_weights must be a tuple of numbers, one per task, got "
                             f"{self.task_weights!r}; pass e.g. task_weights=(1.0, 0.5).")

    def validate(self) -> None:
        """Raise ValueError naming the bad setting and how to fix it."""
        self.check_types()
        for name in ("num_layers", "units", "embedding_dim", "toy_size", "epochs", "steps_per_epoch", "seeds"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)!r} must be >= 1.")
        if self.seed < 0:
            raise ValueError(f"seed={self.seed!r} must be >= 0; pass e.g. seed=0.")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate={self.learning_rate!r} must be > 0; pass e.g. learning_rate=5e-3.")
        if self.sharing not in SHARING_MODES:
            raise ValueError(f"sharing={self.sharing!r} is unknown; use one of {SHARING_MODES}.")
        if self.sampling not in PLAYGROUND_SAMPLINGS:
            raise ValueError(f"sampling={self.sampling!r} is unknown; use one of {PLAYGROUND_SAMPLINGS}.")
        if len(self.tasks) < 2 or len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f"tasks={self.tasks!r}: give at least two different task names, "
                             "e.g. ('toy_sentiment', 'toy_topic').")
        if len(self.task_weights) != len(self.tasks) or any(w < 0 for w in self.task_weights):
            raise ValueError(f"task_weights={self.task_weights!r}: give one weight >= 0 per task "
                             f"({len(self.tasks)} tasks: {self.tasks}).")
        if not 0 < sum(self.task_weights):
            raise ValueError("task_weights are all 0, so nothing would be trained; give some task a weight > 0.")
        if not 0.0 <= self.relatedness <= 1.0:
            raise ValueError(f"relatedness={self.relatedness!r} must be in [0, 1] (0 unrelated, 1 related).")
        if not 0.0 < self.fraction <= 1.0:
            raise ValueError(f"fraction={self.fraction!r} must be in (0, 1]; e.g. 0.02 keeps 2% of "
                             "the main task's training sentences.")
        if not 0 <= self.shared_layers <= self.num_layers:
            raise ValueError(f"shared_layers={self.shared_layers!r} must be in 0..num_layers={self.num_layers}; "
                             "lower it or raise num_layers.")
        if not self.coupling_weight >= 0:
            raise ValueError(f"coupling_weight λ={self.coupling_weight!r} must be >= 0 (0 = no coupling).")

    @property
    def seed_list(self) -> list[int]:
        """The seeds a run trains: seed, seed + 1, …, seed + seeds − 1."""
        return list(range(self.seed, self.seed + self.seeds))

    def describe(self) -> str:
        """One line naming the settings that matter for this sharing mode (λ only for soft, …)."""
        parts = [f"sharing={self.sharing}"]
        if self.sharing == "soft":
            parts.append(f"λ={self.coupling_weight:g}")
        if self.sharing == "hard":
            parts.append(f"shared layers={self.shared_layers}/{self.num_layers}")
        weights = ",".join(f"{w:g}" for w in self.task_weights)
        parts += [f"weights=({weights})", f"sampling={self.sampling}", f"fraction={self.fraction:g}",
                  f"relatedness={self.relatedness:g}"]
        return " ".join(parts)

    def to_query(self) -> str:
        """The whole state as a URL query string (every field, tuples comma-separated, floats exact): paste it
        back into :meth:`from_query`, or append it to the Voilà address (``…/08_playground.ipynb?sharing=hard&…``)."""
        def text(value: Any) -> str:
            if isinstance(value, tuple):
                return ",".join(text(v) for v in value)
            return repr(value) if isinstance(value, float) else str(value)

        return urllib.parse.urlencode({f.name: text(getattr(self, f.name)) for f in dataclasses.fields(self)},
                                      safe=",")

    def code(self) -> str:
        """A runnable snippet that reproduces this run (the setting and its baseline on the same seeds)."""
        return ("from mtl_helpers.playground import PlaygroundSettings, playground_compare\n\n"
                f"settings = PlaygroundSettings.from_query({self.to_query()!r})\n"
                "result = playground_compare(settings)  # the setting and sharing='none', on the same seeds\n"
                "print(result.gain_line())\n")

    def keras_code(self) -> str:
        """The same model and training in plain Keras (as notebook 03 builds it), for one seed: hard sharing
        (one embedding and BiLSTM, a head per task) or none (a whole model per task). Its numbers differ from
        the run's (another initialisation and batch order); soft and cross-stitch sharing are built by hand
        in notebook 04, so they get a pointer there instead."""
        if self.sharing not in ("hard", "none") or self.encoder != "bilstm" or self.num_layers != 1:
            return (f"# sharing={self.sharing!r} ({self.num_layers} {self.encoder} layer(s)) in plain Keras: "
                    "see notebook 04 (soft sharing and cross-stitch by hand) and notebook 03 (deeper encoders).\n")
        shared = self.sharing == "hard"
        return f"""import keras
import numpy as np
import tensorflow as tf

from mtl_helpers import data
from mtl_helpers.playground import PlaygroundSettings, playground_tasks

settings = PlaygroundSettings.from_query({self.to_query()!r})
keras.utils.set_random_seed(settings.seed)
tasks = playground_tasks(settings)  # the same toy data as the run: {self.tasks[0]} keeps {self.fraction:g} of its train
vocab = data.Vocabulary.from_tasks(tasks)
tokens = keras.Input(shape=(None,), dtype="int32")


def encoder():  # embedding + BiLSTM + mean over the real words: theta_sh when shared
    return keras.Sequential([keras.layers.Embedding(len(vocab), settings.embedding_dim, mask_zero=True),
                             keras.layers.Bidirectional(keras.layers.LSTM(settings.units, return_sequences=True)),
                             keras.layers.GlobalAveragePooling1D()])


shared = encoder()
models = {{name: keras.Model(tokens, keras.layers.Dense(len(task.labels))({"shared" if shared else "encoder()"}(tokens)))
          for name, task in tasks.items()}}  # {"hard sharing: one encoder, one head per task" if shared else "none: one whole model per task"}
variables = list({{id(v): v for m in models.values() for v in m.trainable_variables}}.values())  # each once
optimizer = keras.optimizers.Adam(settings.learning_rate, global_clipnorm=5.0)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
weights = dict(zip(settings.tasks, settings.task_weights))


def batches(task):  # endless shuffled train batches of one task: (inputs, label ids, weights)
    encoded = data.Batches(task, vocab, "train")
    for epoch in range(10**6):
        yield from encoded.epoch(settings.seed, epoch)


streams = {{name: batches(task) for name, task in tasks.items()}}


@tf.function(reduce_retracing=True)  # traced once per task's model; batches of any length
def train_step(model, tokens, targets, weight):
    with tf.GradientTape() as tape:
        loss = weight * loss_fn(targets, model(tokens, training=True))
    grads = tape.gradient(loss, variables)  # None for the other task's head: a zero step, as in the trainer
    optimizer.apply_gradients([(tf.zeros_like(v) if g is None else g, v) for g, v in zip(grads, variables)])


rng = np.random.default_rng(settings.seed)
for step in range(settings.epochs * settings.steps_per_epoch):  # uniform sampling: one task per step
    name = settings.tasks[rng.integers(len(settings.tasks))]
    inputs, targets, _ = next(streams[name])
    train_step(models[name], inputs["tokens"], targets, weights[name])
for name, task in tasks.items():
    inputs, targets, _ = next(data.Batches(task, vocab, "dev", batch_size=len(task.dev)).epoch(shuffle=False))
    accuracy = np.mean(np.argmax(models[name](inputs["tokens"]), axis=-1) == targets)
    print(f"{{name}}: dev accuracy {{accuracy:.3f}}")
"""

    @classmethod
    def from_query(cls, query: str) -> PlaygroundSettings:
        """Settings from :meth:`to_query`'s string (a leading ``?`` or a whole URL is fine). Fields it does not
        name keep their defaults; an unknown field or a bad value is a ValueError naming it."""
        if not isinstance(query, str):
            raise ValueError(f"query must be a string such as 'sharing=hard&relatedness=0', got {type(query).__name__}.")
        query = query.split("?", 1)[1] if "?" in query else query
        fields = {f.name: f for f in dataclasses.fields(cls)}
        defaults = cls()
        values: dict[str, Any] = {}
        for name, text in urllib.parse.parse_qsl(query, keep_blank_values=True):
            if name not in fields:
                raise ValueError(f"unknown playground setting {name!r} in the query; use only {', '.join(fields)}.")
            default = getattr(defaults, name)
            listed = isinstance(default, tuple)
            kind = type(default[0]) if listed else type(default)  # int, float or str
            try:
                values[name] = tuple(kind(part) for part in text.split(",") if part) if listed else kind(text)
            except ValueError:
                what = f"a comma-separated list of {kind.__name__}" if listed else f"an {kind.__name__}" \
                    if kind is int else f"a {kind.__name__}"
                example = ",".join(map(str, default)) if listed else default
                raise ValueError(f"setting {name}={text!r} in the query is not {what}; pass e.g. {name}={example}."
                                 ) from None
        settings = dataclasses.replace(defaults, **values)
        settings.validate()
        return settings
