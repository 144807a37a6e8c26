"""The "Your turn" exercises: checkers that say right or wrong with a hint, and solutions on request.

Each ``check_…`` function takes the student's answer, prints a ✓ or a ✗ with a hint that points at
the concept (not only "wrong"), and returns ``True``/``False`` so that tests can use it too. Worked
solutions live in ``notebooks/solutions/`` and are shown only when a student calls
``show_solution``. Checkers are grouped by notebook below.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

SOLUTION_DIR = Path(__file__).resolve().parents[1] / "notebooks" / "solutions"


def report(ok: bool, *, exercise: str, hint: str, quiet: bool = False) -> bool:
    """Print the verdict for one exercise (unless ``quiet``) and return it."""
    if not quiet:
        if ok:
            print(f"✓ Exercise {exercise}: correct.")
        else:
            print(f"✗ Exercise {exercise}: not yet. Hint: {hint}")
    return ok


def close(answer: Any, expected: float, *, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
    """True when ``answer`` is a number within tolerance of ``expected`` (False for non-numbers)."""
    try:
        return math.isclose(float(answer), float(expected), rel_tol=rel, abs_tol=abs_)
    except (TypeError, ValueError):
        return False


def solution_cells(notebook: str, exercise: str) -> list[tuple[str, str]]:
    """The (cell type, source) pairs under the ``## Exercise <id>`` heading of a solution notebook."""
    matches = sorted(SOLUTION_DIR.glob(f"{notebook}*.ipynb"))
    if not matches:
        available = sorted(p.stem for p in SOLUTION_DIR.glob("*.ipynb"))
        raise ValueError(f"No solutions for notebook {notebook!r}; use one of {available}.")
    cells = json.loads(matches[0].read_text(encoding="utf-8"))["cells"]
    found: list[tuple[str, str]] = []
    inside = False
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and source.lstrip().startswith("## "):
            inside = source.lstrip()[3:].startswith(f"Exercise {exercise}")
        elif inside:
            found.append((cell["cell_type"], source))
    if not found:
        raise ValueError(f"Notebook {notebook!r} has no solution for exercise {exercise!r}; "
                         "check the exercise number printed above the exercise.")
    return found


def show_solution(notebook: str, exercise: str) -> None:
    """Show the worked solution of one exercise (only when asked: try first!)."""
    from IPython.display import Markdown, display

    parts = [source if kind == "markdown" else f"```python\n{source}\n```"
             for kind, source in solution_cells(notebook, exercise)]
    display(Markdown("\n\n".join(parts)))


# --- 00-02 ---
# Notebook 01 (background) and 02 (the θ formulation). Every expected value is computed from the
# arguments, so the checkers hold in fast mode and in class mode alike.
MTL_REASONS: tuple[str, ...] = ("implicit data augmentation", "attention focusing", "eavesdropping",
                                "representation bias", "regularisation")
# Scenarios of Exercise 1.4 and the reason (Ruder 2017, section 3) each one illustrates best.
MTL_REASON_SCENARIOS: dict[str, tuple[str, str]] = {
    "A": ("Named entities are rare in the sentiment data, but the NER task sees thousands; the shared "
          "encoder learns what a name looks like from the NER labels and sentiment reuses it.", "eavesdropping"),
    "B": ("Each task has only 300 noisy labelled sentences; the shared encoder is trained on all tasks' "
          "sentences, so its noise averages out.", "implicit data augmentation"),
    "C": ("The model must work for every one of the training tasks, which prefers features that will also "
          "suit a new, related task later.", "representation bias"),
    "D": ("With many irrelevant input features and little data, the other tasks' evidence tells the model "
          "which features matter.", "attention focusing"),
    "E": ("A model that must also fit a second task cannot memorise the quirks of the first task's "
          "training set as easily, so its train-test gap shrinks.", "regularisation"),
}


def check_hard_sharing_saving(answer: Any, single_parameters: list[int], hard_parameters: int, *,
                              quiet: bool = False) -> bool:
    """Exercise 1.1: parameters saved by one hard-shared model instead of the single-task models."""
    expected = int(sum(single_parameters)) - int(hard_parameters)
    return report(close(answer, expected, rel=0, abs_=0.5), exercise="1.1", quiet=quiet,
                  hint="add up the parameters of all single-task models, then subtract the hard-shared "
                       "model's; the saving is the shared part θ_sh that is stored once instead of T times.")


def check_proportional_share(answer: Any, sizes: dict[str, int], task: str, *, quiet: bool = False) -> bool:
    """Exercise 1.2: share of training steps that go to ``task`` under proportional sampling."""
    if task not in sizes:
        raise ValueError(f"task {task!r} is not in sizes {sorted(sizes)}; pass one of those names.")
    expected = sizes[task] / sum(sizes.values())
    return report(close(answer, expected, rel=1e-3), exercise="1.2", quiet=quiet,
                  hint="proportional sampling draws a task with probability n_t / Σ n (its share of all "
                       "training sentences); the rest of the shared encoder's updates come from the other "
                       "task: that is the implicit data augmentation.")


def check_delta_mtl_pair(answer: Any, mtl: dict[str, float], single: dict[str, float], *,
                         quiet: bool = False) -> bool:
    """Exercise 1.3: Δ_MTL in percent (mean relative gain of the multi-task model over single-task)."""
    from mtl_helpers.metrics import delta_mtl

    expected = delta_mtl(mtl, single)
    return report(close(answer, expected, rel=1e-3, abs_=1e-6), exercise="1.3", quiet=quiet,
                  hint="for each task compute (M_mtl − M_single) / M_single · 100 (higher-is-better "
                       "metrics), then average over the tasks; the result is in percent, not a fraction.")


def check_mtl_reasons(answer: Any, *, quiet: bool = False) -> bool:
    """Exercise 1.4: the reason behind each scenario of MTL_REASON_SCENARIOS (a dict letter → reason)."""
    expected = {letter: reason for letter, (_, reason) in MTL_REASON_SCENARIOS.items()}
    given = ({str(k).strip().upper(): str(v).strip().lower().replace("regularization", "regularisation")
              for k, v in answer.items()} if isinstance(answer, dict) else {})
    wrong = sorted(letter for letter in expected if given.get(letter) != expected[letter])
    return report(not wrong, exercise="1.4", quiet=quiet,
                  hint=f"scenario(s) {', '.join(wrong)} are not matched yet; use the names in "
                       f"exercises.MTL_REASONS. Ask of each: is it about more data (augmentation), about "
                       f"which features matter (attention), about a feature easier for another task "
                       f"(eavesdropping), or about future tasks (representation bias)?")


def _bilstm_parameters_up_to(layers: int, embedding_dim: int, hidden_units: int) -> int:
    from mtl_helpers.widgets import bilstm_layer_parameters

    return sum(bilstm_layer_parameters(n, embedding_dim, hidden_units) for n in range(1, layers + 1))


def check_shared_parameter_count(answer: Any, vocab_size: int, embedding_dim: int, hidden_units: int,
                                 shared_layers: int, *, quiet: bool = False) -> bool:
    """Exercise 2.1: |θ_sh| of a hard-shared BiLSTM model (embedding + the lowest shared_layers layers)."""
    expected = vocab_size * embedding_dim + _bilstm_parameters_up_to(shared_layers, embedding_dim, hidden_units)
    return report(close(answer, expected, rel=0, abs_=0.5), exercise="2.1", quiet=quiet,
                  hint="θ_sh = embedding (V·E) + each shared BiLSTM layer; one LSTM direction has "
                       "4u(d+u) + 4u weights (kernel, recurrent kernel, bias); layer 1 reads d = E, "
                       "a higher layer's direction reads d = u (its own half of the layer below); ×2 directions.")


def check_l2_penalty(answer: Any, tower_weights: list[list], coupling_weight: float, *,
                     quiet: bool = False) -> bool:
    """Exercise 2.2: λ·Σ_{i<j} Σ_k ‖W_k^(i) − W_k^(j)‖² for the towers' weight lists (same shapes)."""
    import itertools

    import numpy as np

    expected = coupling_weight * sum(
        float(np.sum((np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) ** 2))
        for tower_i, tower_j in itertools.combinations(tower_weights, 2) for a, b in zip(tower_i, tower_j))
    return report(close(answer, expected, rel=1e-4, abs_=1e-9), exercise="2.2", quiet=quiet,
                  hint="take every PAIR of towers (i < j, not i = j, not both orders), sum the squared "
                       "differences of matching weights (a squared Frobenius norm, no square root), and "
                       "multiply by λ at the end.")


LAMBDA_ZERO_CHOICES: dict[str, str] = {
    "a": "hard sharing: all tasks use the same weights",
    "b": "T independent single-task models trained side by side",
    "c": "one model whose towers are forced to be equal",
    "d": "cross-stitch units with α = 1/T everywhere",
}


def check_lambda_zero(answer: Any, *, quiet: bool = False) -> bool:
    """Exercise 2.3: what soft sharing with λ = 0 is (a letter of LAMBDA_ZERO_CHOICES)."""
    return report(str(answer).strip().lower() == "b", exercise="2.3", quiet=quiet,
                  hint="with λ = 0 the objective is Σ_t w_t·L_t(θ_t): nothing ties θ_i to θ_j, so each "
                       "tower's gradient comes from its own task only. Large λ is the other extreme.")


def check_cross_stitch(answer: Any, alpha: Any, outputs: list, task_index: int, *, quiet: bool = False) -> bool:
    """Exercise 2.4: the cross-stitch output x̃_i = Σ_j α_ij x_j of task ``task_index``."""
    import numpy as np

    alpha = np.asarray(alpha, dtype=np.float64)
    expected = sum(alpha[task_index, j] * np.asarray(x, dtype=np.float64) for j, x in enumerate(outputs))
    try:
        ok = np.shape(answer) == np.shape(expected) and np.allclose(np.asarray(answer, dtype=np.float64),
                                                                    expected, rtol=1e-4, atol=1e-6)
    except (TypeError, ValueError):
        ok = False
    return report(bool(ok), exercise="2.4", quiet=quiet,
                  hint="row i of α says how much of every task's activations task i takes: "
                       "x̃_i = α_i1·x_1 + α_i2·x_2 (use the row, not the column, and keep the shapes of x).")


# --- 05-07 ---
# Notebooks 05 (training), 06 (evaluation) and 07 (language models). Each checker computes the expected
# value from its arguments (or from deterministic functions), so it holds in fast and class mode alike.
def _as_mapping(answer: Any) -> dict | None:
    try:
        return {str(k): float(v) for k, v in dict(answer).items()}
    except (TypeError, ValueError):
        return None


def _same_numbers(answer: Any, expected: dict[str, float], rel: float = 1e-3) -> bool:
    given = _as_mapping(answer)
    return given is not None and set(given) == set(expected) and all(
        close(given[k], v, rel=rel, abs_=1e-6) for k, v in expected.items())


def _temperature_probabilities(sizes: dict[str, int], temperature: float) -> dict[str, float]:
    """The trainer's own p_t ∝ n_t^(1/T) (exercises 5.1 and 8.4 check against it)."""
    from mtl_helpers.training import task_sampling_probabilities

    return task_sampling_probabilities(sizes, "temperature", temperature=temperature)


def check_temperature_sampling(answer: Any, sizes: dict[str, int], temperature: float, *,
                               quiet: bool = False) -> bool:
    """Exercise 5.1: {task: p_t} under temperature sampling, p_t ∝ n_t^(1/T)."""
    expected = _temperature_probabilities(sizes, temperature)
    return report(_same_numbers(answer, expected), exercise="5.1", quiet=quiet,
                  hint="raise every size to the power 1/T, then divide by the sum so the p_t add up to 1; "
                       "T = 1 is proportional sampling and a large T approaches uniform.")


def pcgrad_pair(g_task: Any, g_other: Any) -> list[float]:
    """PCGrad for one vector: g_task minus its projection on g_other when they conflict (dot < 0)."""
    import numpy as np

    g, h = np.asarray(g_task, float), np.asarray(g_other, float)
    dot = float(g @ h)
    return (g - dot / float(h @ h) * h).tolist() if dot < 0 else g.tolist()


def check_pcgrad_projection(answer: Any, g_task: Any, g_other: Any, *, quiet: bool = False) -> bool:
    """Exercise 5.2: the PCGrad-projected gradient of one task against another (2-D vectors)."""
    import numpy as np

    expected = np.asarray(pcgrad_pair(g_task, g_other))
    try:
        given = np.asarray(answer, dtype=float).reshape(-1)
        ok = given.shape == expected.shape and bool(np.allclose(given, expected, rtol=1e-3, atol=1e-6))
    except (TypeError, ValueError):
        ok = False
    return report(ok, exercise="5.2", quiet=quiet,
                  hint="only when g_i · g_j < 0: subtract (g_i · g_j) / ‖g_j‖² · g_j from g_i; the result is "
                       "orthogonal to g_j (check: its dot product with g_j is 0). No conflict: keep g_i.")


def check_dwa_weights(answer: Any, last_losses: dict[str, float], earlier_losses: dict[str, float],
                      temperature: float = 2.0, *, quiet: bool = False) -> bool:
    """Exercise 5.3: Dynamic Weight Average, λ_t = T·softmax(r_t / temp) with r_t = L_t(e−1) / L_t(e−2)."""
    import numpy as np

    if set(last_losses) != set(earlier_losses) or not last_losses:
        raise ValueError("last_losses and earlier_losses must have the same (non-empty) task keys.")
    names = list(last_losses)
    ratio = np.array([last_losses[t] / earlier_losses[t] for t in names])
    z = np.exp(ratio / temperature)
    expected = dict(zip(names, (len(names) * z / z.sum()).tolist()))
    return report(_same_numbers(answer, expected), exercise="5.3", quiet=quiet,
                  hint="r_t = (loss one epoch ago) / (loss two epochs ago): a task whose loss falls slowly has a "
                       "ratio near 1 and gets MORE weight. Then softmax(r / temperature) times the number of tasks.")


def check_most_conflicting_pair(answer: Any, cosine: Any, *, quiet: bool = False) -> bool:
    """Exercise 5.4: the pair of different tasks whose gradients have the lowest cosine (a set or tuple of names)."""
    names = list(cosine.columns)
    pairs = [(cosine.loc[a, b], {a, b}) for i, a in enumerate(names) for b in names[i + 1:]]
    if not pairs:
        raise ValueError("the cosine table needs at least two tasks.")
    expected = min(pairs, key=lambda p: p[0])[1]
    try:
        ok = {str(a) for a in answer} == expected
    except TypeError:
        ok = False
    return report(ok, exercise="5.4", quiet=quiet,
                  hint="ignore the diagonal (a task with itself is always 1); the most conflicting pair has the "
                       "SMALLEST (most negative) off-diagonal cosine.")


def check_span_f1(answer: Any, gold: list[list[str]], predicted: list[list[str]], *, quiet: bool = False) -> bool:
    """Exercise 6.1: span-level F1 (exact type and boundaries) of ``predicted`` against ``gold``."""
    from mtl_helpers.metrics import span_scores

    expected = span_scores(gold, predicted)["f1"]
    return report(close(answer, expected, rel=1e-3, abs_=1e-6), exercise="6.1", quiet=quiet,
                  hint="list the spans (type, start, end) of gold and prediction; a span is correct only if type "
                       "AND both boundaries match. P = correct / predicted, R = correct / gold, F1 = 2PR / (P + R).")


def _same_interval(answer: Any, low: float, high: float) -> bool:
    """Is ``answer`` a (low, high) pair equal to the interval (to 0.1%)?"""
    try:
        given_low, given_high = (float(v) for v in answer)
    except (TypeError, ValueError):
        return False
    return close(given_low, low, rel=1e-3, abs_=1e-6) and close(given_high, high, rel=1e-3, abs_=1e-6)


def check_confidence_interval(answer: Any, values: list[float], confidence: float = 0.95, *,
                              quiet: bool = False) -> bool:
    """Exercise 6.2: (low, high) of the Student-t confidence interval of the mean of ``values``."""
    from mtl_helpers.metrics import mean_ci

    _, _, low, high = mean_ci(values, confidence)
    ok = _same_interval(answer, low, high)
    return report(ok, exercise="6.2", quiet=quiet,
                  hint="mean ± t · s / √n with the SAMPLE standard deviation s (ddof=1) and t the "
                       f"{(1 + confidence) / 2:.3f} quantile of Student's t with n − 1 degrees of freedom "
                       "(scipy.stats.t.ppf), not the normal 1.96.")


def check_delta_mtl_with_directions(answer: Any, mtl: dict[str, float], single: dict[str, float],
                                    higher_is_better: dict[str, bool], *, quiet: bool = False) -> bool:
    """Exercise 6.3: Δ_MTL (percent) when some metrics are lower-is-better."""
    from mtl_helpers.metrics import delta_mtl

    expected = delta_mtl(mtl, single, higher_is_better)
    return report(close(answer, expected, rel=1e-3, abs_=1e-6), exercise="6.3", quiet=quiet,
                  hint="for a lower-is-better metric (perplexity) flip the sign: a DROP is a gain. Average "
                       "(−1)^l (M_mtl − M_single) / M_single · 100 over the metrics.")


def check_best_tag_sequence(answer: Any, emissions: Any, transitions: Any, labels: list[str], *,
                            quiet: bool = False) -> bool:
    """Exercise 6.4: the tag sequence with the highest score Σ_t E[t, y_t] + Σ_t T[y_{t-1}, y_t]."""
    import numpy as np

    from mtl_helpers import crf

    emissions, transitions = np.asarray(emissions, float), np.asarray(transitions, float)
    if emissions.ndim != 2 or emissions.shape[1] != len(labels) or transitions.shape != (len(labels),) * 2:
        raise ValueError(f"emissions must be words × {len(labels)} tags and transitions {len(labels)} × "
                         f"{len(labels)}, got {emissions.shape} and {transitions.shape}.")
    best = [labels[i] for i in crf.viterbi(emissions[None], [len(emissions)], transitions)[0]]
    ok = isinstance(answer, (list, tuple)) and [str(a) for a in answer] == best
    return report(ok, exercise="6.4", quiet=quiet,
                  hint="score whole sequences, not single words: the per-word best tags can be a poor sequence "
                       "once the transition scores are added. Try all len(labels) ** len(words) sequences "
                       "(itertools.product) and keep the highest total.")


def check_selection_optimism(answer: Any, candidates: int, test_items: int, accuracy: float, *,
                             quiet: bool = False) -> bool:
    """Exercise 6.5: by how many points, on average, the best test score of ``candidates`` equally good models
    (true ``accuracy``, each scored on ``test_items`` items) beats their true accuracy: 100 · c_K · √(p(1−p)/n),
    with c_K the expected maximum of K standard normal draws (here by numerical integration)."""
    import numpy as np
    from scipy import integrate, stats

    if int(candidates) != candidates or candidates < 1 or int(test_items) != test_items or test_items < 1:
        raise ValueError(f"candidates and test_items must be integers >= 1, got {candidates!r} and {test_items!r}.")
    if not 0.0 < accuracy < 1.0:
        raise ValueError(f"accuracy must lie strictly between 0 and 1, got {accuracy!r}.")
    c_k = integrate.quad(lambda x: x * candidates * stats.norm.pdf(x) * stats.norm.cdf(x) ** (candidates - 1),
                         -np.inf, np.inf)[0]
    expected = 100 * c_k * math.sqrt(accuracy * (1 - accuracy) / test_items)
    return report(close(answer, expected, rel=0.03), exercise="6.5", quiet=quiet,  # 3%: a simulated c_K will do
                  hint="the best of K scores beats the truth by c_K standard errors on average. The standard error "
                       "of an accuracy on n items is √(p(1−p)/n); c_K is the mean of the maximum of K standard "
                       "normal draws (simulate it: rng.standard_normal((100_000, K)).max(axis=1).mean()). "
                       "Give points: × 100.")


def check_perplexity(answer: Any, total_nll: float, tokens: float, *, quiet: bool = False) -> bool:
    """Exercise 7.1: perplexity from a summed negative log-likelihood (nats) and a token count."""
    if tokens <= 0:
        raise ValueError("tokens must be > 0; pass the number of predicted tokens.")
    expected = math.exp(total_nll / tokens)
    return report(close(answer, expected, rel=1e-3), exercise="7.1", quiet=quiet,
                  hint="perplexity = exp(mean negative log-likelihood per token): divide the summed nll by the "
                       "number of tokens first, then take exp (in nats, so math.exp, not 2 **).")


def check_uniform_perplexity(answer: Any, vocab_size: int, *, quiet: bool = False) -> bool:
    """Exercise 7.2: the perplexity of a model that gives every one of ``vocab_size`` words the same probability."""
    return report(close(answer, vocab_size, rel=1e-3), exercise="7.2", quiet=quiet,
                  hint="each token has probability 1/V, so the mean nll is log V and perplexity = exp(log V): "
                       "a perplexity of k means 'as unsure as a fair choice among k words'.")


def check_trainable_when_frozen(answer: Any, model: Any, *, quiet: bool = False) -> bool:
    """Exercise 7.3: the number of parameters still trained when the shared encoder θ_sh is frozen."""
    from mtl_helpers.models import theta_partition

    table = theta_partition(model)
    expected = int(table.loc[table["group"] != "shared", "parameters"].sum())
    return report(close(answer, expected, rel=0, abs_=0.5), exercise="7.3", quiet=quiet,
                  hint="freezing removes θ_sh from training: count every parameter outside the 'shared' group "
                       "of models.theta_partition (all task heads and towers, including the lm head).")


# --- 03, 04, 09 ---
# Notebooks 03 (shared layers), 04 (distributed sharing) and 09 (beyond). Expected values come from the
# arguments (models, sweeps, shapes), so the checkers hold in fast and class mode alike.
def _as_int_tuple(answer: Any) -> tuple[int, ...] | None:
    try:
        return tuple(int(x) for x in answer)
    except (TypeError, ValueError):
        return None


def check_broken_output_shape(answer: Any, batch_size: int, num_tasks: int, *, quiet: bool = False) -> bool:
    """3.1: the output shape of Dense(num_tasks, softmax) over a pooled shared encoder, for one batch."""
    return report(_as_int_tuple(answer) == (int(batch_size), int(num_tasks)), exercise="3.1", quiet=quiet,
                  hint="the broken model gives ONE probability vector per sentence, with one entry per TASK "
                       "(batch_size, num_tasks): it says which task a sentence belongs to, not its labels.")


def check_shared_fraction(answer: Any, model: Any, *, quiet: bool = False) -> bool:
    """3.2: the fraction of the model's parameters that every task shares (θ_sh / θ)."""
    from mtl_helpers.models import theta_partition

    table = theta_partition(model)
    expected = float(table.loc[table["group"] == "shared", "parameters"].sum() / table["parameters"].sum())
    return report(close(answer, expected, rel=1e-3, abs_=1e-6), exercise="3.2", quiet=quiet,
                  hint="use models.theta_partition(model): the 'shared' row's parameters divided by all "
                       "parameters (a fraction between 0 and 1, not a percentage).")


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


def check_soft_penalty(answer: Any, model: Any, *, quiet: bool = False) -> bool:
    """4.1: λ·Σ_units ‖W_a − W_b‖² of a two-task soft model (l2 coupling), from the tower distances."""
    if getattr(model, "sharing", None) != "soft" or getattr(model, "coupling", None) != "l2":
        raise ValueError("check_soft_penalty needs a model built with sharing='soft', coupling='l2'.")
    expected = float(model.penalty())
    return report(close(answer, expected, rel=1e-3, abs_=1e-7), exercise="4.1", quiet=quiet,
                  hint="square the per-layer distances of models.tower_distance (leave out the 'total' row, or "
                       "square only the total), add them up, multiply by λ = model.coupling_weight.")


def check_independent_alpha(answer: Any, num_tasks: int, *, quiet: bool = False) -> bool:
    """4.2: the cross-stitch matrix α that makes every tower ignore the others."""
    import numpy as np

    try:
        given = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        given = np.zeros(0)
    ok = given.shape == (num_tasks, num_tasks) and bool(np.allclose(given, np.eye(num_tasks)))
    return report(ok, exercise="4.2", quiet=quiet,
                  hint="out_i = Σ_j α_ij x_j: task i must keep all of its own x_i (α_ii = 1) and take nothing "
                       "from the others (α_ij = 0): a T×T identity matrix.")


def check_best_lambda(answer: Any, sweep: Any, task: str, *, quiet: bool = False) -> bool:
    """4.3: the λ of the sweep at which ``task`` scores best (any of them on a tie)."""
    rows = sweep[sweep["task"] == task]
    if rows.empty:
        raise ValueError(f"task {task!r} is not in the sweep; use one of {sorted(sweep['task'].unique())}.")
    best = rows["value"].max()
    winners = rows.loc[rows["value"] == best, "coupling_weight"].tolist()
    ok = any(close(answer, lam, rel=1e-9, abs_=1e-12) for lam in winners)
    return report(ok, exercise="4.3", quiet=quiet,
                  hint=f"filter the sweep to task == {task!r} and take the coupling_weight of the row with the "
                       "highest value (idxmax).")


def check_task_parameters(answer: Any, model: Any, task: str, *, quiet: bool = False) -> bool:
    """9.1: how many parameters one task adds to a hard-shared model (its θ_t: tower + head)."""
    import numpy as np

    expected = int(sum(np.prod(v.shape) for v in model.task_variables(task)))
    return report(close(answer, expected, rel=0, abs_=0.5), exercise="9.1", quiet=quiet,
                  hint="count the weights in model.task_variables(task) (sum of np.prod(v.shape)); the shared "
                       "encoder is paid once, whatever the number of tasks.")


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


def check_global_batch(answer: Any, per_replica_batch: int, num_replicas: int, *, quiet: bool = False) -> bool:
    """9.3: the global batch size of a synchronous data-parallel step (MirroredStrategy)."""
    return report(close(answer, int(per_replica_batch) * int(num_replicas), rel=0, abs_=0.5), exercise="9.3",
                  quiet=quiet,
                  hint="every replica processes its own batch and the gradients are summed: global batch = "
                       "per-replica batch × strategy.num_replicas_in_sync.")


# --- 08 playground ---
# Notebook 08 (the playground). Expected values come from the arguments (the student's own sweep, the
# task sizes), never from typed-in numbers, so the checkers hold in fast and in class mode.
COUPLING_WEIGHT_NAMES: frozenset[str] = frozenset({"coupling_weight", "λ", "lambda", "lam"})


def check_inert_setting(answer: Any, *, quiet: bool = False) -> bool:
    """8.1: the PlaygroundSettings field that changes nothing when sharing='hard' (λ of the soft penalty)."""
    given = str(answer).strip().lower() if isinstance(answer, str) else ""
    return report(given in {n.lower() for n in COUPLING_WEIGHT_NAMES}, exercise="8.1", quiet=quiet,
                  hint="under hard sharing the tasks use the SAME encoder weights, so there is no distance "
                       "between towers to penalise: which setting scales the penalty λ·Ω of soft sharing? "
                       "Answer with its PlaygroundSettings field name.")


def check_embedding_only_sharing(answer: Any, *, quiet: bool = False) -> bool:
    """8.2: PlaygroundSettings of a hard-shared model whose tasks share only the word embedding."""
    ok = getattr(answer, "sharing", None) == "hard" and getattr(answer, "shared_layers", None) == 0
    if ok and hasattr(answer, "validate"):
        answer.validate()
    return report(ok, exercise="8.2", quiet=quiet,
                  hint="hard sharing shares the embedding plus the lowest `shared_layers` encoder layers; "
                       "the fewer layers shared, the more each task keeps to itself. Use "
                       "dataclasses.replace(PlaygroundSettings(), sharing=..., shared_layers=...).")


def check_sharing_gain(answer: Any, sweep: Any, *, sharing: str = "hard", quiet: bool = False) -> bool:
    """8.3: per relatedness, mean dev score with ``sharing`` minus mean dev score with 'none' (a Series)."""
    import pandas as pd

    table = sweep.pivot_table(index="relatedness", columns="sharing", values="value", aggfunc="mean")
    if sharing not in table.columns or "none" not in table.columns:
        raise ValueError(f"the sweep needs the sharing modes 'none' and {sharing!r}; it has "
                         f"{list(table.columns)}. Run playground_sweep with both.")
    expected = (table[sharing] - table["none"]).astype(float)
    ok = False
    if isinstance(answer, pd.Series) and len(answer) == len(expected):
        given = answer.astype(float)
        same_index = sorted(float(i) for i in given.index) == sorted(float(i) for i in expected.index)
        ok = same_index and all(close(given.loc[i], expected.loc[i], rel=1e-6, abs_=1e-9) for i in expected.index)
    return report(ok, exercise="8.3", quiet=quiet,
                  hint=f"the gain of sharing is score({sharing}) − score(none) at the SAME relatedness "
                       "(mean over the tasks): pivot the sweep to relatedness × sharing, then subtract the "
                       "'none' column; a positive gain means the tasks helped each other.")


def check_temperature_share(answer: Any, sizes: dict[str, int], task: str, temperature: float = 2.0, *,
                            quiet: bool = False) -> bool:
    """8.4: probability of drawing ``task`` under temperature sampling, p_t ∝ n_t^(1/T)."""
    if task not in sizes:
        raise ValueError(f"task {task!r} is not in sizes {sorted(sizes)}; pass one of those names.")
    expected = _temperature_probabilities(sizes, temperature)[task]
    return report(close(answer, expected, rel=1e-3), exercise="8.4", quiet=quiet,
                  hint="temperature sampling draws task t with probability n_t^(1/T) / Σ_s n_s^(1/T): T=1 is "
                       "proportional sampling, T→∞ is uniform, so T=2 (square roots) lifts the small task "
                       "without letting it dominate.")


def check_paired_interval(answer: Any, baseline_scores: Any, treatment_scores: Any, confidence: float = 0.95, *,
                          quiet: bool = False) -> bool:
    """Exercise 6.6: (low, high) of the paired Student-t interval of the mean difference treatment − baseline,
    seed by seed (both given in the same seed order): mean(d) ± t_{(1+c)/2, n−1} · sd(d, ddof=1) / √n."""
    from mtl_helpers.metrics import mean_ci

    a, b = [float(v) for v in baseline_scores], [float(v) for v in treatment_scores]
    if len(a) != len(b) or len(a) < 2:
        raise ValueError(f"a paired interval needs the two setups' scores on the same 2+ seeds, got {len(a)} and "
                         f"{len(b)} scores; pass them in the same seed order.")
    _, _, low, high = mean_ci([y - x for x, y in zip(a, b)], confidence)
    ok = _same_interval(answer, low, high)
    return report(ok, exercise="6.6", quiet=quiet,
                  hint="pair the runs: d = treatment − baseline seed by seed, then d.mean() ± t · d.std(ddof=1) / √n "
                       f"with t = scipy.stats.t.ppf({(1 + confidence) / 2:.3f}, n − 1). Not the two setups' own "
                       "spreads (that is the unpaired interval, wider: it keeps the noise the seeds share), not "
                       "ddof=0, not the normal 1.96.")
