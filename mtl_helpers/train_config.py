"""TrainConfig: everything that decides a training run, each field checked with a ValueError that names the
fix. Which fields may change when an interrupted run resumes, and the fingerprint that checks the rest.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from . import config as _config
from .sampling import SAMPLINGS
from .weighting import WEIGHTINGS

OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
# Config fields that may change between an interrupted run and its resumption.
_RESUMABLE_CHANGES = ("epochs", "progress", "early_stopping_patience", "checkpoint_dir", "checkpoint_every")
# TrainConfig's numeric fields: (name, integer only, None allowed, an example for the message).
_NUMERIC_FIELDS: tuple[tuple[str, bool, bool, str], ...] = (
    ("epochs", True, False, "3"), ("steps_per_epoch", True, True, "100"), ("batch_size", True, False, "32"),
    ("learning_rate", False, False, "1e-3"), ("clip_norm", False, True, "5.0"), ("temperature", False, False, "2.0"),
    ("early_stopping_patience", True, True, "3"), ("seed", True, False, "0"), ("momentum", False, False, "0.9"),
    ("dwa_temperature", False, False, "2.0"), ("gradnorm_alpha", False, False, "1.5"),
    ("gradnorm_lr", False, False, "0.025"), ("conflict_every", True, False, "20"),
    ("checkpoint_every", True, True, "100"))


@dataclass
class TrainConfig:
    """Everything that decides a training run; :meth:`validate` checks it against the tasks trained."""

    epochs: int = 3                  # an "epoch" = steps_per_epoch steps
    steps_per_epoch: int | None = None  # default: sum over tasks of train batches (max for sampling="all")
    batch_size: int = 32
    optimizer: str = "adam"          # "adam" | "sgd"
    learning_rate: float = 1e-3
    clip_norm: float | None = 5.0    # clip the global gradient norm (None: no clipping)
    sampling: str = "proportional"   # "proportional" | "uniform" | "temperature" | "annealed" | "all" (joint batches)
    temperature: float = 2.0         # sampling="temperature": p_t ∝ n_t^(1/temperature)
    weighting: str = "static"        # "static" | "uncertainty" | "dwa" | "gradnorm"
    task_weights: dict[str, float] | None = None  # static weights, one per task (default 1.0 each)
    pcgrad: bool = False             # PCGrad (needs sampling="all")
    track_conflict: bool = False     # log the mean gradient cosine between tasks every conflict_every steps
    early_stopping_patience: int | None = None   # epochs without dev improvement before stopping
    monitor: tuple[str, ...] | None = None       # tasks whose mean main dev metric picks the best epoch (None: all)
    checkpoint_dir: str | None = None            # resume if a checkpoint is there
    seed: int = 0
    progress: bool = True
    momentum: float = 0.0            # SGD momentum (0.9 is the usual choice); ignored by Adam
    dwa_temperature: float = 2.0     # DWA softmax temperature (Liu et al. 2019 use 2)
    gradnorm_alpha: float = 1.5      # GradNorm asymmetry α (Chen et al. 2018)
    gradnorm_lr: float = 0.025       # gradient-descent step size of the GradNorm task weights
    conflict_every: int = 20         # steps between two gradient-conflict measurements
    checkpoint_every: int | None = None  # steps between checkpoints (None: at the end of every epoch)

    def __post_init__(self) -> None:
        self.check_types()

    def check_types(self) -> None:
        """Raise ValueError naming the field and the fix for a numeric field of the wrong type: a string such as
        "0.01", a bool, a float where a count goes. NumPy numbers become Python ones (they would not serialize
        to JSON). Runs on construction; :meth:`validate` runs it again and checks the ranges."""
        for name, integer, optional, example in _NUMERIC_FIELDS:
            value = getattr(self, name)
            if value is None and optional:
                continue
            if _config.is_integer(value) if integer else _config.is_number(value):
                if isinstance(value, np.generic):
                    setattr(self, name, value.item())
            else:
                what = ("an integer" if integer else "a number") + (" or None" if optional else "")
                raise ValueError(f"TrainConfig.{name} must be {what}, got {value!r} ({type(value).__name__}); "
                                 f"pass e.g. {name}={example}.")
        if self.task_weights is not None:
            bad = (self.task_weights if not isinstance(self.task_weights, Mapping) else
                   {t: w for t, w in self.task_weights.items() if not _config.is_number(w)})
            if bad:
                raise ValueError(f"TrainConfig.task_weights must map each task to a number, got {bad}; "
                                 "pass e.g. task_weights={'pos': 1.0, 'chunk': 0.5}.")

    def validate(self, task_names: Sequence[str]) -> None:
        """Raise ValueError naming the problem and the fix for any inconsistent setting."""
        def need(ok: bool, message: str) -> None:
            if not ok:
                raise ValueError(message)

        self.check_types()  # the fields may have been changed since construction
        need(isinstance(self.epochs, int) and self.epochs >= 1,
             f"epochs must be an integer >= 1, got {self.epochs!r}; pass e.g. epochs=3.")
        need(self.steps_per_epoch is None or (isinstance(self.steps_per_epoch, int) and self.steps_per_epoch >= 1),
             f"steps_per_epoch must be None or an integer >= 1, got {self.steps_per_epoch!r}.")
        need(isinstance(self.batch_size, int) and self.batch_size >= 1,
             f"batch_size must be an integer >= 1, got {self.batch_size!r}; pass e.g. batch_size=32.")
        need(self.optimizer in OPTIMIZERS,
             f"unknown optimizer {self.optimizer!r}; use one of {', '.join(OPTIMIZERS)}.")
        need(self.learning_rate > 0, f"learning_rate must be > 0, got {self.learning_rate!r}; pass e.g. 1e-3.")
        need(self.clip_norm is None or self.clip_norm > 0,
             f"clip_norm must be None or > 0, got {self.clip_norm!r}; pass e.g. clip_norm=5.0.")
        need(self.sampling in SAMPLINGS, f"unknown sampling {self.sampling!r}; use one of {', '.join(SAMPLINGS)}.")
        need(self.temperature > 0, f"temperature must be > 0, got {self.temperature!r}; pass e.g. 2.0.")
        need(self.weighting in WEIGHTINGS,
             f"unknown weighting {self.weighting!r}; use one of {', '.join(WEIGHTINGS)}.")
        need(not self.pcgrad or self.sampling == "all",
             "pcgrad=True projects the gradients of tasks trained in the same step, so it needs sampling='all'; "
             "set sampling='all' or pcgrad=False.")
        need(self.weighting != "gradnorm" or self.sampling == "all",
             "weighting='gradnorm' balances the tasks' gradient norms within one step, so it needs "
             "sampling='all'; set sampling='all' or pick another weighting.")
        need(0 <= self.momentum < 1, f"momentum must be in [0, 1), got {self.momentum!r}; pass e.g. 0.9.")
        need(self.dwa_temperature > 0, f"dwa_temperature must be > 0, got {self.dwa_temperature!r}.")
        need(self.gradnorm_alpha >= 0, f"gradnorm_alpha must be >= 0, got {self.gradnorm_alpha!r}.")
        need(self.gradnorm_lr > 0, f"gradnorm_lr must be > 0, got {self.gradnorm_lr!r}.")
        need(isinstance(self.conflict_every, int) and self.conflict_every >= 1,
             f"conflict_every must be an integer >= 1, got {self.conflict_every!r}.")
        need(self.checkpoint_every is None or (isinstance(self.checkpoint_every, int) and self.checkpoint_every >= 1),
             f"checkpoint_every must be None or an integer >= 1, got {self.checkpoint_every!r}.")
        need(self.monitor is None or (not isinstance(self.monitor, str) and len(self.monitor) > 0
                                      and set(self.monitor) <= set(task_names)),
             f"monitor must be None or a non-empty list of the trained tasks {list(task_names)}, got "
             f"{self.monitor!r}; pass e.g. monitor=('{next(iter(task_names), 'task')}',).")
        need(self.early_stopping_patience is None or self.early_stopping_patience >= 1,
             f"early_stopping_patience must be None or >= 1, got {self.early_stopping_patience!r}.")
        need(isinstance(self.seed, (int, np.integer)) and self.seed >= 0,
             f"seed must be a non-negative integer, got {self.seed!r}.")
        need(len(task_names) > 0, "no tasks to train; pass at least one task, e.g. {'toy_topic': task}.")
        if self.task_weights is not None:
            need(self.weighting == "static",
                 f"task_weights are the static weights; weighting={self.weighting!r} sets its own. "
                 "Drop task_weights or use weighting='static'.")
            missing, extra = set(task_names) - set(self.task_weights), set(self.task_weights) - set(task_names)
            need(not missing and not extra,
                 f"task_weights keys must be exactly the tasks {sorted(task_names)}; missing {sorted(missing)}, "
                 f"unknown {sorted(extra)}. Give one weight per trained task.")
            need(all(w >= 0 for w in self.task_weights.values()),
                 f"task_weights must be >= 0, got {self.task_weights}.")


def _config_fingerprint(config: TrainConfig, tasks: Sequence[str]) -> dict:
    d = {k: v for k, v in dataclasses.asdict(config).items() if k not in _RESUMABLE_CHANGES}
    return json.loads(json.dumps({**d, "tasks": list(tasks)}, default=str))
