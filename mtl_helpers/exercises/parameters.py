"""Counting θ: which parameters are shared, which belong to one task, which are trained (01, 02, 03, 07, 08)."""
from __future__ import annotations

from typing import Any

from mtl_helpers.exercises.core import attempt_first, close, not_attempted, report

# Exercise 1.1: sizes (vocabulary, embedding, units per direction, classes per task) on which the student's
# formula is compared with a real hard-shared model; they differ in every argument so that a formula that
# swaps two of them, or hard-codes one model's count, fails on at least one.
HARD_SHARED_SIZES: tuple[tuple[int, int, int, tuple[int, ...]], ...] = (
    (100, 8, 4, (2, 3)), (5000, 32, 32, (2, 2)), (37, 6, 10, (5,)), (1200, 16, 7, (2, 4, 3)))


def _hard_shared_parts(vocab_size: int, embedding_dim: int, hidden_units: int,
                       num_classes: tuple[int, ...]) -> dict[str, int]:
    """Parameter count of each part of models.build_model(..., sharing="hard") with one BiLSTM layer and a
    classification head per task, read off the built model's variables."""
    import numpy as np

    from mtl_helpers import models

    specs = [models.TaskSpec(f"task{i}", "classification", int(c)) for i, c in enumerate(num_classes)]
    encoder = models.EncoderConfig(vocab_size, embedding_dim=embedding_dim, hidden_units=hidden_units, num_layers=1)
    model = models.build_model(specs, encoder, sharing="hard", seed=0)
    parts = {"embedding": 0, "BiLSTM": 0, "heads": 0}
    for variable in model.weights:
        part = ("embedding" if "embedding" in variable.path else "BiLSTM" if "shared_layer" in variable.path
                else "heads")
        parts[part] += int(np.prod(variable.shape))
    assert sum(parts.values()) == model.count_params()
    return parts


@attempt_first("1.1")
def check_hard_shared_parameters(answer: Any, *, quiet: bool = False) -> bool:
    """Exercise 1.1: ``answer(vocab_size, embedding_dim, hidden_units, num_classes)`` must return the parameter
    count of a hard-shared model with one BiLSTM layer and one dense head per task (``num_classes``: a list of
    class counts), the model of notebook 01's section 2. Compared with the real model on HARD_SHARED_SIZES."""
    if not callable(answer):
        raise ValueError(f"answer must be your function hard_shared_parameters(vocab_size, embedding_dim, "
                         f"hidden_units, num_classes), got {type(answer).__name__}; pass the function itself.")
    for vocab_size, embedding_dim, hidden_units, num_classes in HARD_SHARED_SIZES:
        call = f"hard_shared_parameters({vocab_size}, {embedding_dim}, {hidden_units}, {list(num_classes)})"
        try:
            given = answer(vocab_size, embedding_dim, hidden_units, list(num_classes))
        except Exception as error:  # noqa: BLE001 - the student's code: say what broke, do not crash the notebook
            return report(False, exercise="1.1", quiet=quiet,
                          hint=f"{call} raised {type(error).__name__}: {error}.")
        if given is None:
            return not_attempted("1.1", quiet=quiet, todo="Replace `return None` with your formula and run the cell again.")
        parts = _hard_shared_parts(vocab_size, embedding_dim, hidden_units, num_classes)
        expected = sum(parts.values())
        if close(given, expected, rel=0, abs_=0.5):
            continue
        one_lstm = parts["BiLSTM"] // 2
        reasons = {
            -one_lstm: "it is one direction short: a BiLSTM has a forward AND a backward LSTM",
            -parts["heads"]: "the task heads are missing",
            -parts["embedding"]: "the embedding matrix (one row per vocabulary word) is missing",
            -2 * 4 * hidden_units: "the LSTM biases are missing (4 gates × units, per direction)",
            -hidden_units * sum(num_classes): "each head reads the concatenated 2·units encoder output, not units",
            parts["embedding"] + parts["BiLSTM"]: "the shared part is counted once per task: hard sharing stores "
                                                  "it once",
        }
        try:
            reason = reasons.get(round(float(given) - expected), "")
        except (TypeError, ValueError):
            reason = f"it returned {type(given).__name__}, not a number"
        return report(False, exercise="1.1", quiet=quiet,
                      hint=f"{call} returned {given!r}, the model has {expected:,} parameters (embedding "
                           f"{parts['embedding']:,}, BiLSTM {parts['BiLSTM']:,}, heads {parts['heads']:,})"
                           + (f": {reason}." if reason else ". Count each part separately and compare."))
    return report(True, exercise="1.1", quiet=quiet, hint="")


STACKINGS = ("split", "standard")


def _bilstm_parameters_up_to(layers: int, embedding_dim: int, hidden_units: int, stacking: str = "split") -> int:
    """Parameters of BiLSTM layers 1..``layers``. "split": models.BiLSTMLayer (a direction of layer l > 1 reads
    only its own half of layer l − 1, d = u); "standard": stacked keras.layers.Bidirectional(LSTM) (d = 2u)."""
    from mtl_helpers.theta import bilstm_layer_parameters

    if stacking not in STACKINGS:
        raise ValueError(f"stacking={stacking!r} is unknown; use 'split' (the models of this course, "
                         "models.BiLSTMLayer) or 'standard' (stacked keras.layers.Bidirectional(LSTM)).")
    if stacking == "split":
        return sum(bilstm_layer_parameters(n, embedding_dim, hidden_units) for n in range(1, layers + 1))
    u = hidden_units
    return sum(2 * (4 * u * ((embedding_dim if n == 1 else 2 * u) + u) + 4 * u) for n in range(1, layers + 1))


def _shared_count_mistakes(vocab_size: int, embedding_dim: int, hidden_units: int, shared_layers: int,
                           stacking: str) -> dict[int, str]:
    """The |θ_sh| that the usual slips give, each with what went wrong."""
    embedding, u = vocab_size * embedding_dim, hidden_units
    layers = _bilstm_parameters_up_to(shared_layers, embedding_dim, hidden_units, stacking)
    other = "standard" if stacking == "split" else "split"
    mistakes = {
        embedding + _bilstm_parameters_up_to(shared_layers, embedding_dim, hidden_units, other):
            ("that is the count for the other stacking: " + (
                "a standard stacked keras.layers.Bidirectional(LSTM), whose layer 2 reads BOTH halves of layer 1 "
                "(d = 2u); this model's directions stay separate stacks (d = u above layer 1)."
                if stacking == "split" else
                "the course's split-direction BiLSTM (d = u above layer 1); a standard stacked Bidirectional "
                "layer reads the whole [forward | backward] output of the layer below (d = 2u).")),
        embedding + layers - 2 * 4 * u * shared_layers: "the biases are missing: every direction has a bias of 4u.",
        embedding + layers // 2: "that is one direction only: a BiLSTM layer has a forward AND a backward LSTM (× 2).",
        2 * embedding + layers: "the embedding is counted twice: hard sharing stores one V·E matrix for all tasks.",
        layers: "the embedding (V·E) is missing: it is the largest part of θ_sh.",
    }
    mistakes.pop(embedding + layers, None)
    return mistakes


@attempt_first("2.1")
def check_shared_parameter_count(answer: Any, vocab_size: int, embedding_dim: int, hidden_units: int,
                                 shared_layers: int, *, stacking: str = "split", quiet: bool = False) -> bool:
    """Exercise 2.1: |θ_sh| of a hard-shared BiLSTM model (embedding + the lowest shared_layers layers).

    ``stacking="split"`` is the course's models.BiLSTMLayer (directions kept apart, ELMo style);
    ``"standard"`` a stack of keras.layers.Bidirectional(LSTM). The hint names the slip when it recognises one."""
    expected = vocab_size * embedding_dim + _bilstm_parameters_up_to(shared_layers, embedding_dim, hidden_units,
                                                                     stacking)
    ok = close(answer, expected, rel=0, abs_=0.5)
    hint = ("θ_sh = embedding (V·E) + each shared BiLSTM layer; one LSTM direction has 4u(d+u) + 4u weights "
            "(kernel, recurrent kernel, bias), × 2 directions; layer 1 reads d = E, a higher layer reads "
            + ("d = u (its own half of the layer below)." if stacking == "split" else "d = 2u (both halves)."))
    if not ok:
        for count, slip in _shared_count_mistakes(vocab_size, embedding_dim, hidden_units, shared_layers,
                                                  stacking).items():
            if close(answer, count, rel=0, abs_=0.5):
                hint = f"{slip} {hint}"
                break
    return report(ok, exercise="2.1", quiet=quiet, hint=hint)


def _tiny_two_task_batches(seed: int = 0) -> tuple[Any, dict]:
    """A small hard-shared tagging model (tasks "a", "b") and one fixed padded batch per task."""
    import numpy as np

    from mtl_helpers.models import EncoderConfig, TaskSpec, build_model

    model = build_model([TaskSpec("a", "tagging", 3), TaskSpec("b", "tagging", 4)],
                        EncoderConfig(30, embedding_dim=4, hidden_units=3, num_layers=2, dropout=0.0),
                        sharing="hard", shared_layers=1, seed=seed)
    rng, batches = np.random.default_rng(seed), {}
    for name, tags in (("a", 3), ("b", 4)):
        tokens = rng.integers(4, 30, size=(3, 5)).astype("int32")
        tokens[0, 3:] = 0  # padding
        targets = rng.integers(0, tags, size=(3, 5)).astype("int32")
        batches[name] = ({"tokens": tokens}, targets, (tokens != 0).astype("float32"))
    return model, batches


def _gradient_of_weighted_loss(model: Any, batches: dict, task_weights: dict[str, float]) -> list:
    """∇θ_sh of Σ_t w_t L_t, L_t the cross-entropy averaged over real tokens (the helper's definition)."""
    import keras
    import tensorflow as tf

    with tf.GradientTape() as tape:
        total = 0.0
        for name, (inputs, targets, weights) in batches.items():
            token_losses = keras.losses.sparse_categorical_crossentropy(
                targets, model.task_call(inputs, name), from_logits=True)
            total += task_weights[name] * tf.reduce_sum(token_losses * weights) / tf.reduce_sum(weights)
    return tape.gradient(total, model.shared_variables())


def _dense(gradient: Any) -> Any:
    """A gradient as a float64 array (an embedding's gradient comes as tf.IndexedSlices); TypeError for None."""
    import numpy as np
    import tensorflow as tf

    if gradient is None:
        raise TypeError("no gradient")
    return np.asarray(tf.convert_to_tensor(gradient), dtype="float64")


@attempt_first("2.3")
def check_shared_gradient(answer: Any, *, quiet: bool = False) -> bool:
    """Exercise 2.3 (build): ``answer(model, batches, task_weights)`` returns ∇θ_sh of Σ_t w_t L_t, one tensor
    per variable of ``model.shared_variables()``. Run on a fixed small model and batches against the gradient
    of the weighted loss; the hint says whether the number, the shapes or the values differ, and how."""
    import numpy as np

    if not callable(answer):
        raise ValueError("answer_2_3 must be your function shared_gradient(model, batches, task_weights), "
                         f"not a {type(answer).__name__}: assign the function itself (no call, no quotes).")
    model, batches = _tiny_two_task_batches()
    task_weights = {"a": 1.0, "b": 0.25}
    given = answer(model, batches, task_weights)
    if given is None or given is Ellipsis:
        return attempt_first("2.3")(lambda *_, **__: False)(None, quiet=quiet)
    expected = [_dense(g) for g in _gradient_of_weighted_loss(model, batches, task_weights)]
    shared = model.shared_variables()
    try:
        given = [_dense(g) for g in given]
    except (TypeError, ValueError):
        return report(False, exercise="2.3", quiet=quiet, hint="return a list of gradient tensors (or arrays), one per "
                      "variable of model.shared_variables(); some entry is None or not a number: did a variable get "
                      "no gradient (tape.gradient of a loss that does not use it)?")
    if len(given) != len(expected):
        return report(False, exercise="2.3", quiet=quiet, hint=f"you returned {len(given)} gradients, but θ_sh has "
                      f"{len(expected)} variables: take the gradient with respect to model.shared_variables() only "
                      "(the heads and upper layers are θ_t, not θ_sh).")
    for variable, g, e in zip(shared, given, expected):
        if g.shape != e.shape:
            return report(False, exercise="2.3", quiet=quiet, hint=f"the gradient of {variable.path} has shape "
                          f"{g.shape}, the variable {e.shape}: keep one gradient per variable, in the same order.")
    if all(np.allclose(g, e, rtol=1e-4, atol=1e-6) for g, e in zip(given, expected)):
        return report(True, exercise="2.3", quiet=quiet, hint="")
    unweighted = _gradient_of_weighted_loss(model, batches, {"a": 1.0, "b": 1.0})
    one_task = _gradient_of_weighted_loss(model, batches, {"a": 1.0, "b": 0.0})
    if all(np.allclose(g, _dense(u), rtol=1e-4, atol=1e-6) for g, u in zip(given, unweighted)):
        slip = "your gradient is that of the UNWEIGHTED sum Σ_t L_t: multiply each task's loss (or gradient) by w_t."
    elif all(np.allclose(g, _dense(o), rtol=1e-4, atol=1e-6) for g, o in zip(given, one_task)):
        slip = "your gradient is task a's alone: add w_b·∇L_b, the other task's share of θ_sh's gradient."
    else:
        worst = max(range(len(given)), key=lambda i: float(np.abs(given[i] - expected[i]).max()))
        slip = (f"the values differ most for {shared[worst].path} (max |Δ| = "
                f"{float(np.abs(given[worst] - expected[worst]).max()):.3g}); is L_t the mean over REAL tokens "
                "(sample weight 0 on padding), with from_logits=True?")
    return report(False, exercise="2.3", quiet=quiet, hint=slip + " ∇θ_sh = Σ_t w_t ∇L_t: a GradientTape per task "
                  "(or one around the weighted sum), tape.gradient(loss, model.shared_variables()).")


def trained_parameters(model: Any, tasks: Any) -> int:
    """How many parameters get a gradient when only ``tasks`` are trained: the still-trainable shared
    variables, the coupling α and those tasks' own θ_t. Trainable weights of the other heads get none."""
    import numpy as np

    unknown = [t for t in tasks if t not in model.task_names]
    if isinstance(tasks, str) or unknown or not tasks:
        raise ValueError(f"tasks must be a list of the trained task names of this model {model.task_names}, "
                         f"got {tasks!r}; e.g. tasks=[\"ner_es\"].")
    variables = {id(v): v for v in [*model.shared_variables(), *model.coupling_variables(),
                                    *(v for t in tasks for v in model.task_variables(t))]}
    return int(sum(np.prod(v.shape) for v in variables.values()))


@attempt_first("7.3")
def check_trainable_when_frozen(answer: Any, model: Any, tasks: Any, *, quiet: bool = False) -> bool:
    """Exercise 7.3: how many parameters are trained (get a gradient) when only ``tasks`` train, θ_sh frozen.
    Trainable is not trained: a head of another task stays trainable but receives no gradient."""
    import numpy as np

    expected = trained_parameters(model, tasks)
    trainable = int(sum(np.prod(v.shape) for v in model.trainable_variables))
    hint = ("a parameter is trained when the loss being minimised depends on it: with the encoder frozen and only "
            f"{list(tasks)} trained, that is those tasks' own θ_t (model.task_variables), nothing else.")
    if close(answer, trainable, rel=0, abs_=0.5) and trainable != expected:
        hint = (f"{trainable:,} is every TRAINABLE parameter, but trainable is not trained: the other heads (the "
                f"lm head) get no gradient from the {list(tasks)} loss, so they never change. " + hint)
    elif close(answer, model.count_params(), rel=0, abs_=0.5):
        hint = "that is every parameter of the model: the frozen encoder does not train. " + hint
    return report(close(answer, expected, rel=0, abs_=0.5), exercise="7.3", quiet=quiet, hint=hint)


# Exercise 3.2: the fixed sizes the student's build_hard_shared is built on.
SHARED_TAGGER_SIZES: dict[str, Any] = {"vocab_size": 50, "tags_per_task": {"pos": 7, "chunk": 5},
                                       "embedding_dim": 8, "units": 4}


def _outputs_by_name(model: Any, outputs: Any) -> dict[str, Any] | None:
    """A model's outputs as {name: tensor}: a dict as is, a list or one tensor named by model.output_names."""
    if isinstance(outputs, dict):
        return {str(k): v for k, v in outputs.items()}
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    names = list(getattr(model, "output_names", None) or [])
    return dict(zip(names, outputs)) if len(names) == len(outputs) else None


def _hard_shared_problem(model: Any, sizes: dict[str, Any]) -> str | None:
    """What differs between a student's hard-shared model and build_model's, or None when nothing does."""
    import keras
    import numpy as np

    from mtl_helpers.models import EncoderConfig, TaskSpec, build_model, theta_partition

    vocab, tags, dim, units = sizes["vocab_size"], sizes["tags_per_task"], sizes["embedding_dim"], sizes["units"]
    call = f"build_hard_shared({vocab}, {tags}, embedding_dim={dim}, units={units})"
    if not isinstance(model, keras.Model):
        return f"{call} returned a {type(model).__name__}; return the keras.Model(tokens, {{task: head}})."
    tokens = np.array([[3, 4, 5, 0, 0, 0], [6, 7, 8, 9, 0, 0]], dtype="int32")
    try:
        outputs = _outputs_by_name(model, model(tokens))
    except Exception as error:  # noqa: BLE001 - the student's model: any failure is reported, not raised
        return f"calling your model on int32 token ids of shape {tokens.shape} failed: {error}"
    if outputs is None or set(outputs) != set(tags):
        found = sorted(outputs) if outputs else "unnamed outputs"
        return (f"your model's outputs are {found}; give it one output per task named after the task, "
                f"{sorted(tags)}: keras.Model(tokens, {{name: head(states) for name, ...}}) with Dense(..., name=name).")
    for name, k in tags.items():
        shape = tuple(outputs[name].shape)
        if shape != (*tokens.shape, k):
            extra = (" (one vector per sentence: the encoder needs return_sequences=True to tag every token)"
                     if len(shape) == 2 else "")
            return f"the {name!r} output has shape {shape}, expected {(*tokens.shape, k)} = [batch, tokens, {k} tags]{extra}."
    embeddings = [w for w in model.weights if tuple(w.shape) == (vocab, dim)]
    if len(embeddings) != 1:
        return (f"your model has {len(embeddings)} embedding matrices of shape ({vocab}, {dim}); hard sharing "
                "creates ONE Embedding and ONE Bidirectional(LSTM) object and calls them once, before the heads.")
    helper = build_model([TaskSpec(name, "tagging", k) for name, k in tags.items()],
                         EncoderConfig(vocab_size=vocab, embedding_dim=dim, hidden_units=units, num_layers=1,
                                       dropout=0.0), sharing="hard")
    table = theta_partition(helper).set_index("group")["parameters"]
    expected = int(table.sum())
    if model.count_params() != expected:
        return (f"your model has {model.count_params():,} parameters, build_model's has {expected:,}: θ_sh = "
                f"embedding V·E = {vocab * dim} + BiLSTM 2·(4u(E+u) + 4u) = {8 * units * (dim + units + 1)} "
                f"(= {int(table['shared'])}), and each head 2u·K + K ("
                + ", ".join(f"{name} {int(table[name])}" for name in tags) + "); one BiLSTM layer, one Dense per task.")
    padded = np.pad(tokens, ((0, 0), (0, 3)))
    longer = _outputs_by_name(model, model(padded))
    real = tokens != 0
    for name in tags:
        gap = float(np.max(np.abs(np.asarray(longer[name])[:, :tokens.shape[1]][real] - np.asarray(outputs[name])[real])))
        if gap > 1e-4:
            return (f"the {name!r} outputs at real tokens change by up to {gap:.3g} when 3 more padding ids (0) are "
                    "added: the backward LSTM reads the padding. Mask it: Embedding(..., mask_zero=True).")
    return None


@attempt_first("3.2")
def check_hard_shared_model(answer: Any, *, sizes: dict[str, Any] | None = None, quiet: bool = False) -> bool:
    """3.2: ``answer`` is the student's ``build_hard_shared(vocab_size, tags_per_task, embedding_dim, units)``.
    Built on fixed sizes, it must give one [batch, tokens, tags] output per task, share one embedding and one
    BiLSTM (the parameter count of models.build_model's hard model) and mask padding."""
    import keras

    if not callable(answer) or isinstance(answer, keras.layers.Layer):
        raise ValueError(f"pass the function itself, check_hard_shared_model(build_hard_shared), not a "
                         f"{type(answer).__name__} (the checker builds its own model on fixed sizes).")
    sizes = {**SHARED_TAGGER_SIZES, **(sizes or {})}
    model = answer(sizes["vocab_size"], dict(sizes["tags_per_task"]), embedding_dim=sizes["embedding_dim"],
                   units=sizes["units"])
    if model is None:
        return not_attempted("3.2", quiet=quiet, todo="Write the body of build_hard_shared and run the cell again.")
    problem = _hard_shared_problem(model, sizes)
    return report(problem is None, exercise="3.2", quiet=quiet, hint=problem or "")


@attempt_first("3.3")
def check_read_layers(answer: Any, model: Any, *, low: str = "chunk", high: str = "pos", quiet: bool = False) -> bool:
    """3.3: the student's reversed model (``low`` read at layer 1, ``high`` at the top of a deeper encoder) and
    ``answer`` = {task: layer its head reads}. The expected answer is read from the student's own model, and
    the model itself must be the reversed one (not Søgaard & Goldberg's order, not both heads at the top)."""
    specs, encoder = getattr(model, "specs", None), getattr(model, "encoder_config", None)
    if specs is None or encoder is None:
        raise ValueError(f"model must come from models.build_model([...], encoder_for(token_vocab), sharing='hard'); "
                         f"got {type(model).__name__}.")
    if not {low, high} <= set(specs):
        raise ValueError(f"the model has tasks {sorted(specs)}; build it with both {low!r} and {high!r} heads.")
    top = encoder.num_layers
    reads = {name: spec.read_layer or top for name, spec in specs.items()}
    try:
        given = {str(k): int(v) for k, v in dict(answer).items()}
    except (TypeError, ValueError):
        given = None
    if top < 2:
        problem = f"your encoder has {top} layer, so there is no lower layer to read; use 2 layers (encoder_for(token_vocab))."
    elif reads[low] == reads[high]:
        problem = (f"both heads of your model read layer {reads[low]}; give {low!r} its own lower layer with "
                   f"TaskSpec(..., read_layer=1) and leave {high!r} at the top (read_layer=None).")
    elif reads[low] > reads[high]:
        problem = (f"your model reads {high!r} at layer {reads[high]} and {low!r} at layer {reads[low]}: that is "
                   f"Søgaard & Goldberg's order; the exercise asks for the reverse ({low!r} at 1, {high!r} at the top).")
    elif reads[low] != 1 or reads[high] != top:
        problem = f"read {low!r} at layer 1 and {high!r} at the top layer ({top}); your model reads {reads}."
    elif given != reads:
        problem = (f"your model reads {reads} but your answer says {answer!r}: read_layer=None means the TOP layer "
                   f"(num_layers = {top}); a number is the 1-based layer. Give one entry per task.")
    else:
        problem = None
    return report(problem is None, exercise="3.3", quiet=quiet, hint=problem or "")


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
