"""Run-wide settings: fast mode and seeding, read in one place.

Fast mode (``MTL_FAST=1``) shrinks data sizes and epochs everywhere (tests, CI, notebooks) so that the
whole collection runs in minutes on a laptop CPU. Every other module asks this one. ``MTL_THREADS=N`` caps
the threads TensorFlow uses in each notebook kernel (read by :func:`notebook_setup`): a server that gives
every student a kernel keeps N kernels from fighting over the same cores.
"""
from __future__ import annotations

import os
import random
from typing import TypeVar

import numpy as np

T = TypeVar("T")

FAST: bool = os.environ.get("MTL_FAST", "0").strip().lower() in {"1", "true", "yes", "on"}


def fast_or(full: T, fast: T) -> T:
    """Return ``fast`` in fast mode (``MTL_FAST=1``), else ``full``."""
    return fast if FAST else full


def is_integer(value: object) -> bool:
    """True for an int (NumPy's too), never for a bool: what an integer setting (epochs, seed, ...) accepts."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value: object) -> bool:
    """True for an int or float (NumPy's too), never for a bool or a string such as "0.01": what a real
    setting (learning_rate, dropout, ...) accepts. NaN is a number here; the range checks reject it."""
    return is_integer(value) or isinstance(value, (float, np.floating))


def mode_banner() -> str:
    """One line that tells a reader which mode this run is in."""
    if FAST:
        return "FAST MODE (MTL_FAST=1): data and epochs are shrunk; numbers are for checking, not for judging."
    return "Class mode: full settings of this notebook (set MTL_FAST=1 for a quick check run)."


def thread_cap() -> int | None:
    """The per-kernel thread cap of ``MTL_THREADS`` (None when unset); a ValueError names a bad value."""
    text = os.environ.get("MTL_THREADS", "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"MTL_THREADS={text!r} must be a whole number >= 1 (threads per kernel), e.g. MTL_THREADS=1.")
    return int(text)


def cap_threads(threads: int) -> None:
    """Limit TensorFlow to ``threads`` threads within an op and between ops. Works only before TensorFlow
    runs its first op, which is why notebook_setup (every notebook's first cell) calls it."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and Keras/TensorFlow so that a seed gives the same numbers on one machine."""
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}; pass e.g. seed=0.")
    import keras

    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(int(seed))


def notebook_setup(seed: int = 0, tasks: tuple[str, ...] | list[str] = (),
                   text_corpora: tuple[str, ...] | list[str] = ()) -> None:
    """The first cell of every notebook: versions, mode, seeds, and the corpora the notebook needs.

    Prints Python / TensorFlow / Keras versions and the mode banner, applies ``MTL_THREADS``, fixes the
    seeds, and loads each
    task in ``tasks`` once (cached for the notebook) and looks up each unlabelled ``text_corpora``
    (data.TEXT_CORPORA), so a missing corpus is reported here, at the top, with the one command that
    fetches it, instead of halfway down the notebook.
    """
    import platform

    import keras
    import tensorflow as tf

    print(f"Python {platform.python_version()} | TensorFlow {tf.__version__} | Keras {keras.__version__}")
    print(mode_banner())
    threads = thread_cap()
    if threads is not None:
        cap_threads(threads)
        print(f"TensorFlow capped at {threads} thread(s) per op pool (MTL_THREADS={threads})")
    set_seed(seed)
    print(f"Seeds fixed: {seed}")
    if tasks or text_corpora:
        from mtl_helpers import data  # here, not at the top: data reads this module's FAST

        missing = data.missing_corpora(tasks, text_corpora, seed=seed)
        if missing:
            raise RuntimeError("Some corpora are missing:\n" + "\n".join(missing))
        print(f"Data present for: {', '.join([*tasks, *text_corpora])}")
