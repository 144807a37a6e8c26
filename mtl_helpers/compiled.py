"""Compiled (``tf.function``) passes, one per model: the cache that keeps them, and the input signatures that
let batches of new sizes reuse them without retracing.

Every model gets its own compiled step and evaluation functions by design (their variables differ), so
TensorFlow's "triggered tf.function retracing" warning, which a notebook that builds several models would
print as if something were wrong, is filtered out here.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import tensorflow as tf

if TYPE_CHECKING:
    from .models import MultiTaskModel


class _SameFunctionNewModel(logging.Filter):
    """Drop TensorFlow's "N out of the last M calls ... triggered tf.function retracing" warning: every model
    gets its own compiled step and evaluation functions by design (their variables differ), so a notebook
    that builds several models would otherwise print it as if something were wrong."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_SameFunctionNewModel())


def _cached(model: MultiTaskModel, key: tuple, make: Callable[[], Callable]) -> Callable:
    """One compiled function per (model, key), so repeated evaluation does not retrace.

    The cache lives on the model itself (outside Keras' attribute tracking): the functions close over
    the model, so a module-level cache keyed by the model would keep every model alive forever.
    """
    per_model = model.__dict__.setdefault("_mtl_compiled_functions", {})
    if key not in per_model:
        per_model[key] = make()
    return per_model[key]


def _spec_of(batch: Any) -> Any:
    """TensorSpecs of a batch with every dimension unknown but the last of chars (one trace per task)."""
    return tf.nest.map_structure(lambda t: tf.TensorSpec([None] * (len(t.shape) - 1) + [t.shape[-1]]
                                                         if len(t.shape) == 3 else [None] * len(t.shape), t.dtype),
                                 batch)
