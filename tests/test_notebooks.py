"""Every notebook runs top to bottom in fast mode; solutions satisfy their checkers; no stored outputs."""
import json

import pytest

from mtl_helpers.notebook_runner import NOTEBOOK_DIR, SOLUTION_DIR, execute_notebook, notebook_paths

NOTEBOOKS = notebook_paths(NOTEBOOK_DIR) + notebook_paths(NOTEBOOK_DIR / "apps")  # the series, then the apps
SOLUTIONS = notebook_paths(SOLUTION_DIR)


def test_the_series_is_there():
    assert len(NOTEBOOKS) >= 1, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS + SOLUTIONS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    with_outputs = [i for i, c in enumerate(nb["cells"])
                    if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not with_outputs, (f"{path.name} is stored with outputs in cells {with_outputs}; clear them "
                              "(jupyter nbconvert --clear-output --inplace) before committing.")


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_in_fast_mode(path):
    """Top to bottom without an error; and with every exercise still unattempted, no checker gives a hint away."""
    nb, _ = execute_notebook(path, fast=True)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "stream")
    hints = [line for line in printed.splitlines() if "Hint:" in line or line.startswith("✗ Exercise")]
    assert not hints, f"{path.name} prints a hint before any attempt: {hints[:3]}"


@pytest.mark.notebooks
@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solutions_pass_their_checkers(path):
    """Solution notebooks assert that each check_… accepts the worked answer and rejects a wrong one."""
    execute_notebook(path, fast=True)
