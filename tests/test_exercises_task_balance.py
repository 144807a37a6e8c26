"""Checkers of notebook 05's exercises (task sampling, loss weighting, gradient surgery) accept the right
answers and reject the usual wrong ones."""
import numpy as np
import pandas as pd
import pytest

from mtl_helpers import evidence, exercises, training


def test_temperature_sampling():
    sizes = {"a": 100, "b": 900}
    right = {"a": 10 / 40, "b": 30 / 40}  # square roots 10 and 30
    assert exercises.check_temperature_sampling(right, sizes, 2.0, quiet=True)
    assert not exercises.check_temperature_sampling({"a": 0.1, "b": 0.9}, sizes, 2.0, quiet=True)
    assert not exercises.check_temperature_sampling("nonsense", sizes, 2.0, quiet=True)
    with pytest.raises(ValueError):
        exercises.check_temperature_sampling(right, sizes, 0.0)


def test_pcgrad_projection_only_on_conflict():
    assert exercises.pcgrad_pair([1.0, 0.0], [0.0, 1.0]) == [1.0, 0.0]  # orthogonal: unchanged
    projected = np.array(exercises.pcgrad_pair([1.0, -1.0], [0.0, 1.0]))
    assert np.allclose(projected, [1.0, 0.0])
    assert exercises.check_pcgrad_projection([1.0, 0.0], [1.0, -1.0], [0.0, 1.0], quiet=True)
    assert not exercises.check_pcgrad_projection([1.0, -1.0], [1.0, -1.0], [0.0, 1.0], quiet=True)


def test_dwa_weights_sum_to_the_number_of_tasks():
    last, earlier = {"a": 1.0, "b": 0.5}, {"a": 1.0, "b": 1.0}
    z = np.exp(np.array([1.0, 0.5]) / 2.0)
    right = dict(zip(["a", "b"], 2 * z / z.sum()))
    assert sum(right.values()) == pytest.approx(2.0)
    assert exercises.check_dwa_weights(right, last, earlier, quiet=True)
    assert not exercises.check_dwa_weights({"a": 1.0, "b": 1.0}, last, earlier, quiet=True)


def test_most_conflicting_pair_ignores_the_diagonal():
    names = ["a", "b", "c"]
    cosine = pd.DataFrame([[1, 0.2, -0.5], [0.2, 1, 0.1], [-0.5, 0.1, 1]], index=names, columns=names)
    assert exercises.check_most_conflicting_pair(("c", "a"), cosine, quiet=True)
    assert not exercises.check_most_conflicting_pair(("a", "b"), cosine, quiet=True)
    assert not exercises.check_most_conflicting_pair(3, cosine, quiet=True)


def _pcgrad_combine(grads_a, grads_b, shared):
    """A right answer to exercise 5.6, written independently of training.pcgrad."""
    idx = [k for k, s in enumerate(shared) if s]
    a = np.concatenate([grads_a[k].ravel() for k in idx])
    b = np.concatenate([grads_b[k].ravel() for k in idx])
    dot = a @ b
    total = (a - dot / (b @ b) * b) + (b - dot / (a @ a) * a) if dot < 0 else a + b
    combined = [g + h for g, h in zip(grads_a, grads_b)]
    start = 0
    for k in idx:
        combined[k] = total[start:start + grads_a[k].size].reshape(grads_a[k].shape)
        start += grads_a[k].size
    return combined


def _flat_pcgrad(grads_a, grads_b, shared):
    """Wrong: every variable, heads included, in the dot products (the library's old behaviour)."""
    return _pcgrad_combine(grads_a, grads_b, [True] * len(shared))


def _per_variable(grads_a, grads_b, shared):
    """Wrong: each shared variable projected on its own."""
    out = []
    for g, h, s in zip(grads_a, grads_b, shared):
        out.append(_pcgrad_combine([g], [h], [True])[0] if s else g + h)
    return out


def _always_project(grads_a, grads_b, shared):
    """Wrong: projects even when the tasks agree."""
    idx = [k for k, s in enumerate(shared) if s]
    a = np.concatenate([grads_a[k].ravel() for k in idx])
    b = np.concatenate([grads_b[k].ravel() for k in idx])
    total = a - (a @ b) / (b @ b) * b + b - (a @ b) / (a @ a) * a
    out = [g + h for g, h in zip(grads_a, grads_b)]
    out[0], out[1] = total[:6].reshape(3, 2), total[6:]
    return out


def _sequential(grads_a, grads_b, shared):
    """Wrong: g_b projected against the already projected g_a."""
    a = np.concatenate([grads_a[0].ravel(), grads_a[1]])
    b = np.concatenate([grads_b[0].ravel(), grads_b[1]])
    if a @ b < 0:
        a = a - (a @ b) / (b @ b) * b
        b = b - (b @ a) / (a @ a) * a if b @ a < 0 else b
    total = a + b
    return [total[:6].reshape(3, 2), total[6:], grads_a[2] + grads_b[2], grads_a[3] + grads_b[3]]


@pytest.mark.parametrize("wrong,says", [
    (lambda a, b, s: [x + y for x, y in zip(a, b)], "plain sum"),
    (_flat_pcgrad, "heads were projected"),
    (_per_variable, "each shared variable on its own"),
    (_always_project, "do not conflict"),
    (_sequential, "already projected"),
    (lambda a, b, s: [x + y for x, y in zip(a, b)][:3], "returned 3 arrays"),
    (lambda a, b, s: [np.ravel(x) for x in _pcgrad_combine(a, b, s)], "shape"),
    (lambda a, b, s: _pcgrad_combine(a, b, s)[:2] + [a[2] * 2, b[3]], "head a changed"),
    (lambda a, b, s: 1 / 0, "ZeroDivisionError"),
])
def test_pcgrad_shared_rejects_the_usual_slips_and_says_which(wrong, says, capsys):
    assert not exercises.check_pcgrad_shared(wrong)
    assert says in capsys.readouterr().out


def test_pcgrad_shared_accepts_a_right_answer_equal_to_the_library():
    assert exercises.check_pcgrad_shared(_pcgrad_combine, quiet=True)
    grads_a, grads_b = exercises.pcgrad_case("conflict")
    library = training.pcgrad([grads_a, grads_b], shared=exercises.PCGRAD_SHARED)
    for mine, theirs in zip(_pcgrad_combine(grads_a, grads_b, exercises.PCGRAD_SHARED), library):
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-6)


def test_pcgrad_shared_unattempted_prints_no_hint(capsys):
    assert not exercises.check_pcgrad_shared(None)
    assert not exercises.check_pcgrad_shared(lambda a, b, s: None)
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 2 and "Hint" not in out
    with pytest.raises(ValueError, match="assign the function itself"):
        exercises.check_pcgrad_shared("pcgrad_combine")
    with pytest.raises(ValueError, match="unknown case"):
        exercises.pcgrad_case("mixed")


def test_sampling_prediction_is_checked_against_the_measured_interval(capsys):
    """Exercise 5.5 uses core.check_prediction on the notebook's 05-sampling comparison."""
    helps = evidence.paired({0: 0.5, 1: 0.52, 2: 0.49, 3: 0.51}, {0: 0.6, 1: 0.63, 2: 0.6, 3: 0.62},
                            baseline="proportional", treatment="uniform", metric="accuracy")
    assert helps.verdict == "helps"
    assert exercises.check_prediction("helps", helps, exercise="5.5", quiet=True)
    assert not exercises.check_prediction("hurts", helps, exercise="5.5", quiet=True)
    assert not exercises.check_prediction("cannot tell", helps, exercise="5.5", quiet=True)
    assert not exercises.check_prediction(None, helps, exercise="5.5")
    assert "not attempted yet" in capsys.readouterr().out


def test_proportional_share():
    sizes = {"sentiment": 300, "subjectivity": 100}
    assert exercises.check_proportional_share(0.75, sizes, "sentiment", quiet=True)
    assert not exercises.check_proportional_share(0.5, sizes, "sentiment", quiet=True)
    with pytest.raises(ValueError, match="pos"):
        exercises.check_proportional_share(0.5, sizes, "pos", quiet=True)
