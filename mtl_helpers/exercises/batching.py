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
    """9.3: the global batch size of a synchronous data-parallel step (MirroredStrategy) with ``num_replicas``
    replicas. At least 2: with one replica the per-replica and the global batch coincide, and a student who
    confuses them would pass."""
    if int(per_replica_batch) != per_replica_batch or per_replica_batch < 1:
        raise ValueError(f"per_replica_batch must be an integer >= 1, got {per_replica_batch!r}.")
    if int(num_replicas) != num_replicas or num_replicas < 2:
        raise ValueError(f"num_replicas must be an integer >= 2, got {num_replicas!r}: with one replica the "
                         "per-replica batch is the global batch, so the exercise tests nothing; ask about a "
                         "hypothetical machine, e.g. num_replicas=4.")
    expected = int(per_replica_batch) * int(num_replicas)
    if close(answer, per_replica_batch, rel=0, abs_=0.5):
        hint = f"{per_replica_batch} is what ONE replica processes; one synchronous step combines all of them."
    elif close(answer, per_replica_batch / num_replicas, rel=1e-9, abs_=1e-9):
        hint = ("batch_size is per replica here, not split among the replicas: each replica gets its own "
                f"{per_replica_batch} sentences.")
    else:
        hint = ("every replica processes its own batch and the gradients are summed: global batch = "
                "per-replica batch × strategy.num_replicas_in_sync.")
    return report(close(answer, expected, rel=0, abs_=0.5), exercise="9.3", quiet=quiet, hint=hint)
