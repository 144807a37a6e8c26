"""Batching (notebook 09): padding masks and the global batch of a distributed run."""
from __future__ import annotations

from typing import Any

from mtl_helpers.exercises.core import attempt_first, close, report


@attempt_first("9.2")
def check_padding_mask(answer: Any, tokens: Any, *, quiet: bool = False) -> bool:
    """9.2: the boolean mask of real tokens for a padded batch of ids (0 = padding)."""
    import numpy as np

    expected = np.asarray(tokens) != 0
    try:
        given = np.asarray(answer)
        ok = given.shape == expected.shape and given.dtype == bool and bool((given == expected).all())
    except (TypeError, ValueError):
        ok = False
    return report(ok, exercise="9.2", quiet=quiet,
                  hint="padding has id 0 (Vocabulary.PAD): the mask is True where tokens != 0, a bool array "
                       "of the same shape as the batch.")


@attempt_first("9.3")
def check_global_batch(answer: Any, per_replica_batch: int, num_replicas: int, *, quiet: bool = False) -> bool:
    """9.3: the global batch size of a synchronous data-parallel step (MirroredStrategy)."""
    return report(close(answer, int(per_replica_batch) * int(num_replicas), rel=0, abs_=0.5), exercise="9.3",
                  quiet=quiet,
                  hint="every replica processes its own batch and the gradients are summed: global batch = "
                       "per-replica batch × strategy.num_replicas_in_sync.")
