"""Loss weighting and gradient conflict: how the tasks' losses and gradients are combined into one update.

Weights (:class:`_LossWeighting`): static, uncertainty (Kendall et al. 2018), DWA (Liu et al. 2019) and
GradNorm (Chen et al. 2018). Conflict: :func:`gradient_cosine` measures how far the tasks' gradients on the
shared parameters disagree; :func:`pcgrad` (Yu et al. 2020) projects the conflicting parts away.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import tensorflow as tf

from .compiled import _cached, _spec_of
from .losses import _loss_sums

if TYPE_CHECKING:
    from .models import MultiTaskModel

WEIGHTINGS: tuple[str, ...] = ("static", "uncertainty", "dwa", "gradnorm")


# --------------------------------------------------------------------------------------------------
# Loss weighting
# --------------------------------------------------------------------------------------------------
class _LossWeighting(tf.Module):
    """Per-task loss coefficients c_t and regulariser R: objective = Σ c_t·L_t + R + penalty.

    static: c_t = task_weights[t]. uncertainty (Kendall et al. 2018, classification form, s_t = log σ_t²):
    c_t = exp(−s_t), R = Σ s_t/2 (s_t learned by the optimizer). dwa (Liu et al. 2019): c_t set at every
    epoch start from the last two epochs' mean losses. gradnorm (Chen et al. 2018): c_t learned by
    gradient descent on Σ|G_t − Ḡ·r_t^α| and renormalised to sum T.
    """

    def __init__(self, method: str, names: Sequence[str], static: Mapping[str, float] | None):
        super().__init__(name="loss_weighting")
        self.method, self.names = method, list(names)
        start = [float(static[t]) if static else 1.0 for t in self.names]
        self.coef = tf.Variable(start, trainable=False, name="coef", dtype=tf.float32,
                                aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
        self.log_var = tf.Variable(tf.zeros([len(self.names)]), trainable=method == "uncertainty", name="log_var")
        self.initial_loss = tf.Variable(tf.zeros([len(self.names)]), trainable=False, name="initial_loss",
                                        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    @property
    def learned(self) -> list[tf.Variable]:
        """Variables the main optimizer updates (uncertainty's log σ²)."""
        return [self.log_var] if self.method == "uncertainty" else []

    def coefficients(self) -> tf.Tensor:
        return tf.exp(-self.log_var) if self.method == "uncertainty" else tf.convert_to_tensor(self.coef)

    def regularizer(self, mask: tf.Tensor) -> tf.Tensor:
        """R for the tasks trained this step (mask: 1.0 for them)."""
        if self.method == "uncertainty":
            return 0.5 * tf.reduce_sum(self.log_var * mask)
        return tf.constant(0.0)

    def dwa_update(self, history: pd.DataFrame, epoch: int, temperature: float) -> None:
        """DWA weights for ``epoch``: T·softmax(r/temp), r_t = L̄_t(e−1)/L̄_t(e−2); 1 for the first two epochs."""
        if epoch < 3 or history.empty:
            self.coef.assign(tf.ones([len(self.names)]))
            return
        means = history[history.epoch.isin([epoch - 1, epoch - 2])].groupby(["epoch", "task"])["loss"].mean()
        ratio = np.array([means.get((epoch - 1, t), np.nan) / means.get((epoch - 2, t), np.nan)
                          for t in self.names])
        ratio = np.where(np.isfinite(ratio), ratio, 1.0)
        z = np.exp((ratio - ratio.max()) / temperature)
        self.coef.assign((len(self.names) * z / z.sum()).astype(np.float32))

    def gradnorm_update(self, losses: tf.Tensor, norms: tf.Tensor, alpha: float, lr: float) -> None:
        """One GradNorm step (cross-replica): losses, norms = ‖∇_W L_t‖ on the last shared layer, all tasks."""
        first = tf.reduce_all(tf.equal(self.initial_loss, 0.0))
        self.initial_loss.assign(tf.where(first, losses, self.initial_loss))
        ratio = losses / tf.maximum(self.initial_loss, 1e-12)
        relative = ratio / tf.maximum(tf.reduce_mean(ratio), 1e-12)
        coef = tf.convert_to_tensor(self.coef)
        weighted_norms = coef * norms
        target = tf.stop_gradient(tf.reduce_mean(weighted_norms) * relative ** alpha)
        grad = tf.sign(weighted_norms - target) * norms
        new = tf.maximum(coef - lr * grad, 1e-3)
        self.coef.assign(new * len(self.names) / tf.reduce_sum(new))


# --------------------------------------------------------------------------------------------------
# Gradient conflict
# --------------------------------------------------------------------------------------------------
def _dense(grads: Sequence, like: Sequence) -> list[tf.Tensor]:
    """Gradients as dense tensors, zeros where a variable got none."""
    return [tf.zeros(v.shape, v.dtype) if g is None else tf.reshape(tf.convert_to_tensor(g), v.shape)
            for g, v in zip(grads, like)]


def pcgrad(grads_per_task: Sequence[Sequence[tf.Tensor]], *, shared: Sequence[bool] | None = None,
           order: Any = None, seed: int = 0) -> list[tf.Tensor]:
    """PCGrad (Yu et al. 2020): project away the conflicting parts of the tasks' gradients, then sum.

    For every task i, in a random order of the other tasks j: if g_i·g_j < 0, replace
    g_i ← g_i − (g_i·g_j)/‖g_j‖² · g_j (against the ORIGINAL g_j). Returns Σ_i g_i, one tensor per variable.
    ``shared``: one flag per variable, True for the shared parameters θ_sh. Only those are projected (dot
    products and norms over θ_sh alone, as in LibMTL); the others (a head's own weights) get the plain sum,
    so each head keeps its own task's gradient. Default: every variable is shared.
    ``order``: int [T, T], row i a permutation of range(T) (entry i is skipped); default drawn from
    ``np.random.default_rng(seed)``. Gradients given as None count as zeros.
    """
    n_tasks = len(grads_per_task)
    if n_tasks == 0:
        raise ValueError("pcgrad needs the gradients of at least one task; pass [[g_var1, ...], ...].")
    if len({len(g) for g in grads_per_task}) != 1:
        raise ValueError("every task must give one gradient per variable (same list length); use None for none.")
    n_vars = len(grads_per_task[0])
    shared = [True] * n_vars if shared is None else [bool(s) for s in shared]
    if len(shared) != n_vars:
        raise ValueError(f"shared needs one flag per variable ({n_vars}), got {len(shared)}; pass "
                         "[v in shared_variables for v in variables].")
    if not any(shared):
        raise ValueError("shared marks no variable, so PCGrad would change nothing; mark the parameters the tasks "
                         "share (model.shared_variables()) True, or use hard sharing.")
    like = [next((g[k] for g in grads_per_task if g[k] is not None), None) for k in range(n_vars)]
    if any(v is None for v in like):
        raise ValueError("some variable has no gradient in any task; drop it from the lists.")
    like = [tf.convert_to_tensor(v) for v in like]
    dense = [_dense(task, like) for task in grads_per_task]
    projected_vars = [k for k in range(n_vars) if shared[k]]
    flat = tf.stack([tf.concat([tf.reshape(tf.cast(task[k], tf.float32), [-1]) for k in projected_vars], 0)
                     for task in dense])
    if order is None:
        rng = np.random.default_rng(seed)
        order = np.stack([rng.permutation(n_tasks) for _ in range(n_tasks)])
    order = tf.convert_to_tensor(order, tf.int32)
    squared = tf.reduce_sum(flat * flat, axis=1)
    projected = []
    for i in range(n_tasks):
        g = flat[i]
        for k in range(n_tasks):
            j = order[i, k]
            other = tf.gather(flat, j)
            dot = tf.reduce_sum(g * other)
            conflict = tf.logical_and(tf.not_equal(j, i), dot < 0)
            g = g - tf.where(conflict, dot / (tf.gather(squared, j) + 1e-12), 0.0) * other
        projected.append(g)
    total = tf.add_n(projected)
    shapes = [like[k].shape for k in projected_vars]
    parts = dict(zip(projected_vars, (tf.reshape(part, s) for part, s in
                                      zip(tf.split(total, [int(np.prod(s)) for s in shapes]), shapes))))
    return [parts[k] if shared[k] else tf.add_n([tf.cast(task[k], tf.float32) for task in dense])
            for k in range(n_vars)]

def _shared_gradient_fn(model: MultiTaskModel, task: str, spec: Any) -> Callable:
    def make() -> Callable:
        @tf.function(input_signature=[spec], autograph=False)
        def grads(batch):
            variables = model.shared_variables()
            with tf.GradientTape() as tape:
                total, count = _loss_sums(model, task, batch, training=False)
                loss = total / tf.maximum(count, 1.0)
            return _dense(tape.gradient(loss, variables), variables)
        return grads
    return _cached(model, ("shared_grad", task, repr(spec)), make)


def _require_shared(model: MultiTaskModel, what: str) -> list:
    shared = list(model.shared_variables())
    if not shared:
        raise ValueError(f"{what} needs parameters shared by the tasks, but this model "
                         f"(sharing={getattr(model, 'sharing', '?')!r}) has none; use hard sharing "
                         "(build_model(..., sharing='hard')) or compare the towers' gradients yourself.")
    return shared


def gradient_cosine(model: MultiTaskModel, batches: Mapping[str, tuple]) -> pd.DataFrame:
    """Task × task cosine similarity of the tasks' loss gradients on ``model.shared_variables()``.

    ``batches``: one ``(inputs, targets, sample_weight)`` batch per task (from data.make_dataset).
    Negative values mean the tasks pull the shared parameters in conflicting directions.
    """
    _require_shared(model, "gradient_cosine")
    if not batches:
        raise ValueError("no batches given; pass {task: batch} for at least one task.")
    unknown = [t for t in batches if t not in model.task_names]
    if unknown:
        raise ValueError(f"tasks {unknown} are not heads of this model {model.task_names}; use its task names.")
    vectors = []
    for task, batch in batches.items():
        grads = _shared_gradient_fn(model, task, _spec_of(batch))(batch)
        vectors.append(np.concatenate([g.numpy().ravel() for g in grads]))
    matrix = np.stack(vectors)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = matrix / np.maximum(norms, 1e-12)
    names = list(batches)
    return pd.DataFrame(unit @ unit.T, index=pd.Index(names, name="task"), columns=names)


def _mean_offdiagonal(frame: pd.DataFrame) -> float:
    values = frame.to_numpy()
    mask = ~np.eye(len(values), dtype=bool)
    return float(values[mask].mean()) if mask.any() else float("nan")
