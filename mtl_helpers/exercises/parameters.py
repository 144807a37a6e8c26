"""Counting θ: which parameters are shared, which belong to one task, which are trained (01, 02, 03, 07, 08)."""
from __future__ import annotations

from typing import Any

from mtl_helpers.exercises.core import _as_int_tuple, attempt_first, close, report


@attempt_first("1.1")
def check_hard_sharing_saving(answer: Any, single_parameters: list[int], hard_parameters: int, *,
                              quiet: bool = False) -> bool:
    """Exercise 1.1: parameters saved by one hard-shared model instead of the single-task models."""
    expected = int(sum(single_parameters)) - int(hard_parameters)
    return report(close(answer, expected, rel=0, abs_=0.5), exercise="1.1", quiet=quiet,
                  hint="add up the parameters of all single-task models, then subtract the hard-shared "
                       "model's; the saving is the shared part θ_sh that is stored once instead of T times.")


def _bilstm_parameters_up_to(layers: int, embedding_dim: int, hidden_units: int) -> int:
    from mtl_helpers.widgets import bilstm_layer_parameters

    return sum(bilstm_layer_parameters(n, embedding_dim, hidden_units) for n in range(1, layers + 1))


@attempt_first("2.1")
def check_shared_parameter_count(answer: Any, vocab_size: int, embedding_dim: int, hidden_units: int,
                                 shared_layers: int, *, quiet: bool = False) -> bool:
    """Exercise 2.1: |θ_sh| of a hard-shared BiLSTM model (embedding + the lowest shared_layers layers)."""
    expected = vocab_size * embedding_dim + _bilstm_parameters_up_to(shared_layers, embedding_dim, hidden_units)
    return report(close(answer, expected, rel=0, abs_=0.5), exercise="2.1", quiet=quiet,
                  hint="θ_sh = embedding (V·E) + each shared BiLSTM layer; one LSTM direction has "
                       "4u(d+u) + 4u weights (kernel, recurrent kernel, bias); layer 1 reads d = E, "
                       "a higher layer's direction reads d = u (its own half of the layer below); ×2 directions.")


@attempt_first("7.3")
def check_trainable_when_frozen(answer: Any, model: Any, *, quiet: bool = False) -> bool:
    """Exercise 7.3: the number of parameters still trained when the shared encoder θ_sh is frozen."""
    from mtl_helpers.models import theta_partition

    table = theta_partition(model)
    expected = int(table.loc[table["group"] != "shared", "parameters"].sum())
    return report(close(answer, expected, rel=0, abs_=0.5), exercise="7.3", quiet=quiet,
                  hint="freezing removes θ_sh from training: count every parameter outside the 'shared' group "
                       "of models.theta_partition (all task heads and towers, including the lm head).")


@attempt_first("3.1")
def check_broken_output_shape(answer: Any, batch_size: int, num_tasks: int, *, quiet: bool = False) -> bool:
    """3.1: the output shape of Dense(num_tasks, softmax) over a pooled shared encoder, for one batch."""
    return report(_as_int_tuple(answer) == (int(batch_size), int(num_tasks)), exercise="3.1", quiet=quiet,
                  hint="the broken model gives ONE probability vector per sentence, with one entry per TASK "
                       "(batch_size, num_tasks): it says which task a sentence belongs to, not its labels.")


@attempt_first("3.2")
def check_shared_fraction(answer: Any, model: Any, *, quiet: bool = False) -> bool:
    """3.2: the fraction of the model's parameters that every task shares (θ_sh / θ)."""
    from mtl_helpers.models import theta_partition

    table = theta_partition(model)
    expected = float(table.loc[table["group"] == "shared", "parameters"].sum() / table["parameters"].sum())
    return report(close(answer, expected, rel=1e-3, abs_=1e-6), exercise="3.2", quiet=quiet,
                  hint="use models.theta_partition(model): the 'shared' row's parameters divided by all "
                       "parameters (a fraction between 0 and 1, not a percentage).")


@attempt_first("3.3")
def check_read_layers(answer: Any, model: Any, *, quiet: bool = False) -> bool:
    """3.3: {task: encoder layer (1-based) its head reads} for a model built with TaskSpec.read_layer."""
    expected = {name: spec.read_layer or model.encoder_config.num_layers for name, spec in model.specs.items()}
    try:
        given = {str(k): int(v) for k, v in dict(answer).items()}
    except (TypeError, ValueError):
        given = None
    return report(given == expected, exercise="3.3", quiet=quiet,
                  hint="read_layer=None means the TOP layer (num_layers); a number is the 1-based layer the head "
                       "reads. Give one entry per task in model.specs.")


@attempt_first("9.1")
def check_task_parameters(answer: Any, model: Any, task: str, *, quiet: bool = False) -> bool:
    """9.1: how many parameters one task adds to a hard-shared model (its θ_t: tower + head)."""
    import numpy as np

    expected = int(sum(np.prod(v.shape) for v in model.task_variables(task)))
    return report(close(answer, expected, rel=0, abs_=0.5), exercise="9.1", quiet=quiet,
                  hint="count the weights in model.task_variables(task) (sum of np.prod(v.shape)); the shared "
                       "encoder is paid once, whatever the number of tasks.")


@attempt_first("8.2")
def check_embedding_only_sharing(answer: Any, *, quiet: bool = False) -> bool:
    """8.2: PlaygroundSettings of a hard-shared model whose tasks share only the word embedding."""
    ok = getattr(answer, "sharing", None) == "hard" and getattr(answer, "shared_layers", None) == 0
    if ok and hasattr(answer, "validate"):
        answer.validate()
    return report(ok, exercise="8.2", quiet=quiet,
                  hint="hard sharing shares the embedding plus the lowest `shared_layers` encoder layers; "
                       "the fewer layers shared, the more each task keeps to itself. Use "
                       "dataclasses.replace(PlaygroundSettings(), sharing=..., shared_layers=...).")
