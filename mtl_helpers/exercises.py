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
