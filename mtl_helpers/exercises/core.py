"""What every checker shares: the verdict line, tolerant number matching, "not attempted yet",
predict-then-run, and worked solutions shown only on request."""
from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

SOLUTION_DIR = Path(__file__).resolve().parents[2] / "notebooks" / "solutions"


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


def _same_interval(answer: Any, low: float, high: float) -> bool:
    """Is ``answer`` a (low, high) pair equal to the interval (to 0.1%)?"""
    try:
        given_low, given_high = (float(v) for v in answer)
    except (TypeError, ValueError):
        return False
    return close(given_low, low, rel=1e-3, abs_=1e-6) and close(given_high, high, rel=1e-3, abs_=1e-6)


# Notebooks 03 (shared layers), 04 (distributed sharing) and 09 (beyond). Expected values come from the
# arguments (models, sweeps, shapes), so the checkers hold in fast and class mode alike.
def _as_int_tuple(answer: Any) -> tuple[int, ...] | None:
    try:
        return tuple(int(x) for x in answer)
    except (TypeError, ValueError):
        return None


Check = TypeVar("Check", bound=Callable[..., bool])
PREDICTIONS: tuple[str, ...] = ("helps", "hurts", "cannot tell")


def attempted(answer: Any) -> bool:
    """False for the placeholders an exercise cell starts with: None, ..., or an empty dict, list or string."""
    if answer is None or answer is Ellipsis:
        return False
    return not (isinstance(answer, (dict, list, tuple, str, set)) and len(answer) == 0)


def not_attempted(exercise: str, *, quiet: bool = False,
                  todo: str = "Replace the placeholder with your answer and run the cell again.") -> bool:
    """Say "not attempted yet" (and no hint) and return False: for a placeholder answer, or for a function the
    student has not written yet (it still returns None)."""
    if not quiet:
        print(f"… Exercise {exercise}: not attempted yet. {todo}")
    return False


def attempt_first(exercise: str) -> Callable[[Check], Check]:
    """Make a checker print "not attempted yet" (and no hint) while its answer is still a placeholder, so
    that running a notebook top to bottom gives nothing away before the student has tried."""
    def wrap(check: Check) -> Check:
        @functools.wraps(check)
        def run(answer: Any, *args: Any, quiet: bool = False, **kwargs: Any) -> bool:
            if not attempted(answer):
                return not_attempted(exercise, quiet=quiet)
            return check(answer, *args, quiet=quiet, **kwargs)
        return run  # type: ignore[return-value]
    return wrap


def check_prediction(prediction: Any, comparison: Any, *, exercise: str, quiet: bool = False) -> bool:
    """Predict-then-run: the student's recorded prediction ("helps", "hurts" or "cannot tell") against the
    verdict of a paired comparison (mtl_helpers.evidence.Comparison) measured after it was written down.

    True when the prediction matches what the seeds show. Either way it prints the measured interval and
    what it does and does not show, because a wrong prediction is where the lesson is."""
    if not attempted(prediction):
        return not_attempted(exercise, quiet=quiet, todo="Write your prediction BEFORE running the seeds.")
    given = str(prediction).strip().lower()
    given = {"no difference": "cannot tell", "same": "cannot tell", "neither": "cannot tell",
             "help": "helps", "hurt": "hurts"}.get(given, given)
    if given not in PREDICTIONS:
        raise ValueError(f"prediction {prediction!r} is not one of {list(PREDICTIONS)}; write e.g. \"helps\".")
    if not hasattr(comparison, "verdict") or not hasattr(comparison, "sentence"):
        raise ValueError("comparison must be an evidence.Comparison (from evidence.compare, paired or "
                         f"lessons.measure), got {type(comparison).__name__}.")
    measured = comparison.verdict
    ok = given == measured
    if not quiet:
        print(f"Measured: {comparison.sentence()}")
        if ok:
            print(f"✓ Exercise {exercise}: you predicted {given!r}, and the seeds agree.")
        elif measured == "cannot tell":
            print(f"✗ Exercise {exercise}: you predicted {given!r}, but the interval holds zero: these seeds show "
                  "no direction. More seeds, or a regime where the effect is larger, could tell.")
        elif given == "cannot tell":
            print(f"✗ Exercise {exercise}: you expected no visible effect, but the whole interval lies on one side "
                  f"of zero: the treatment {measured} here. Which mechanism explains it?")
        else:
            print(f"✗ Exercise {exercise}: you predicted {given!r}; every plausible value of the difference says "
                  f"it {measured}. What in this setup did your reasoning leave out?")
    return ok
