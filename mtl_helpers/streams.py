"""The trainer's data streams: endless, seeded, resumable batches of one task (or of a group of tasks on the
same sentences), as NumPy batches or, under a tf.distribute strategy, as a distributed tf.data dataset.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from . import data


class _TaskStream:
    """Endless batches of one task's train split (or joint batches of tasks on the same sentences); epoch e
    is shuffled with a seed derived from (seed, task index, e), and the position is saved, so a resumed
    stream continues identically."""

    def __init__(self, task: data.TaskData | list[data.TaskData], vocab: data.Vocabulary, *, batch_size: int,
                 seed: int, index: int,
                 strategy: tf.distribute.Strategy | None, extra: Mapping[str, Any]):
        self.task, self.vocab, self.batch_size = task, vocab, batch_size
        self.seed, self.index, self.strategy, self.extra = seed, index, strategy, dict(extra)
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name=f"stream_epoch_{index}")
        self.position = tf.Variable(0, dtype=tf.int64, trainable=False, name=f"stream_position_{index}")
        self._epoch, self._position, self._iterator, self._batches = 0, 0, None, None

    def _numpy_batches(self) -> data.Batches:
        """The train split encoded once, for the step's signature and for every epoch."""
        if self._batches is None:
            self._batches = data.Batches(self.task, self.vocab, "train", batch_size=self.batch_size, **self.extra)
        return self._batches

    def _open(self) -> Any:
        seed = int(np.random.SeedSequence([self.seed, self.index, self._epoch]).generate_state(1)[0] % 2**31)
        if self.strategy is None:  # plain numpy batches: no tf.data generator overhead per batch
            return itertools.islice(self._numpy_batches().epoch(seed, 0, shuffle=True), self._position, None)
        ds = data.make_dataset(self.task, self.vocab, "train", batch_size=self.batch_size, shuffle=True,
                               seed=seed, **self.extra)
        if self._position:
            ds = ds.skip(self._position)
        return iter(self.strategy.experimental_distribute_dataset(ds))

    @property
    def element_spec(self) -> Any:
        """Structure of one batch (per-replica values under a strategy), for the step's input_signature."""
        if self.strategy is None:
            return self._numpy_batches().signature()
        ds = data.make_dataset(self.task, self.vocab, "train", batch_size=self.batch_size, **self.extra)
        return self.strategy.experimental_distribute_dataset(ds).element_spec

    def next(self) -> Any:
        if self._iterator is None:
            self._iterator = self._open()
        try:
            batch = next(self._iterator)
        except (StopIteration, tf.errors.OutOfRangeError):
            self._epoch, self._position = self._epoch + 1, 0
            self._iterator = self._open()
            batch = next(self._iterator)
        self._position += 1
        return batch

    def save_state(self) -> None:
        self.epoch.assign(self._epoch)
        self.position.assign(self._position)

    def load_state(self) -> None:
        self._epoch, self._position, self._iterator = int(self.epoch.numpy()), int(self.position.numpy()), None
