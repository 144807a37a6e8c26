"""The classroom edition: the series as an nbgrader course, and a round trip that grades three made-up students.

``release COURSE_DIR`` writes ``nbgrader_config.py`` and ``source/<notebook>/<notebook>.ipynb`` (one assignment
per notebook): each "Your turn" cell becomes an nbgrader answer cell whose solution region comes from
``notebooks/solutions/``, followed by a locked test cell worth one point whose hidden test asserts the very
``exercises.check_…`` call of the exercise (run quietly, not a second copy of its logic); every other cell is
read-only. It then runs ``nbgrader generate_assignment``, so ``release/`` holds the student versions.
Predict-then-run exercises (``check_prediction``) stay editable and ungraded: they grade reasoning, and the
measured verdict moves with the seeds. ``selftest COURSE_DIR`` submits for three students (solved, untouched,
typical wrong answers: those the solution notebooks assert their checker rejects), runs ``nbgrader autograde``
and ``generate_feedback``, and prints each student's points.
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from mtl_helpers.exercises.core import solution_cells
from mtl_helpers.notebook_runner import NOTEBOOK_DIR

EXECUTE_TIMEOUT_S = 600   # per cell; the longest class-mode cell of the series takes a few minutes on 2 cores
STUB = "# YOUR CODE HERE"
STUDENTS = ("solved", "untouched", "wrong")
_EXERCISE_ID = re.compile(r"show_solution\(\s*\"(\d\d)\"\s*,\s*\"([\d.]+)\"\s*\)")
_PLACEHOLDERS = ("None", "{}", "[]", "...", "''", '""')

CONFIG = f'''"""nbgrader settings of the mtl-nlp classroom edition (written by python -m mtl_helpers.classroom release)."""
import os

# Autograding runs the notebooks in fast mode unless told otherwise: MTL_FAST=0 nbgrader autograde ...
os.environ.setdefault("MTL_FAST", "1")

c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.course_id = "mtl-nlp"
# Seconds per cell before nbgrader stops the kernel; raise it for class mode on a slow machine.
c.Execute.timeout = {EXECUTE_TIMEOUT_S}
# The student's release keeps the exercise's placeholder; the solution region becomes this line only.
c.ClearSolutions.code_stub = {{"python": "{STUB}"}}
# Feedback shows the autograded notebook: strip the hidden tests from it too (their source, and the tracebacks
# that quote it), so they stay hidden.
c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades",
                                    "nbgrader.preprocessors.ClearHiddenTests",
                                    "mtl_helpers.classroom.HideTestTracebacks",
                                    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
'''

NOTE = ("**Classroom edition.** This notebook is an nbgrader assignment: write your answers in the exercise "
        "cells of \"Your turn\" (where it says `{stub}`); the cell under each exercise is its autograded test, "
        "worth 1 point, running the same checker you see. The autograder runs the notebook top to bottom in "
        "**fast mode** (`MTL_FAST=1`, shrunk data and epochs; the set-up cell prints the mode), with a limit "
        "of {timeout} s per cell. Other cells are read-only; predictions are not graded.")


@dataclasses.dataclass(frozen=True)
class Exercise:
    """One autograded "Your turn" exercise: where it is, how it is checked, and its solution and wrong answer."""
    notebook: str           # "02"
    exercise: str           # "2.2"
    cell: int               # index of the exercise cell in the series notebook
    checker: str            # source of the exercises.check_…(...) call of the cell
    solution: str           # code that solves it, from notebooks/solutions/
    wrong: str | None       # code giving a typical wrong answer, or None when the solutions show none

    @property
    def grade_id(self) -> str:
        return "ex_" + self.exercise.replace(".", "_")


def _checker_call(tree: ast.Module) -> ast.Call | None:
    """The first top-level ``exercises.check_…(...)`` call of a cell."""
    for node in tree.body:
        call = node.value if isinstance(node, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name) and call.func.value.id == "exercises"
                and call.func.attr.startswith("check_")):
            return call
    return None


def _bound_names(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds (assignment targets, defined functions and classes)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _placeholders(tree: ast.Module, source: str) -> set[str]:
    """Names the exercise cell leaves for the student: ``x = None`` (or {}, [], ...) and ``return None`` functions."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.get_source_segment(source, node.value) in _PLACEHOLDERS:
            names |= _bound_names(node)
        elif isinstance(node, ast.FunctionDef):
            last = node.body[-1]
            if isinstance(last, ast.Return) and isinstance(last.value, ast.Constant) and last.value.value is None:
                names.add(node.name)
    return names


def _is_noise(node: ast.stmt) -> bool:
    """Statements of a worked solution that a student's answer does not need: asserts, prints, checker calls."""
    if isinstance(node, ast.Assert):
        return True
    call = node.value if isinstance(node, ast.Expr) else None
    return isinstance(call, ast.Call) and ast.unparse(call.func).split(".")[0] in {"print", "exercises", "display"}


def _asserted_answer(node: ast.stmt, checker: str, answer: str, *, rejected: bool) -> str | None:
    """``answer = <expr>`` from ``assert [not] exercises.<checker>(<expr>, ...)`` in a worked solution: the answer
    it accepts, or (``rejected``) a typical wrong answer it rejects."""
    test = node.test if isinstance(node, ast.Assert) else None
    if rejected:
        if not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)):
            return None
        test = test.operand
    if not isinstance(test, ast.Call) or ast.unparse(test.func) != f"exercises.{checker}" or not test.args:
        return None
    return f"{answer} = {ast.unparse(test.args[0])}"


def _answer_code(code: str, statements: list[ast.stmt], checker: str, answer: str, *, rejected: bool) -> str | None:
    """The solution's statements before its first (rejecting) assert of the checker, then the answer it asserts."""
    for node in ast.parse(code).body:
        line = _asserted_answer(node, checker, answer, rejected=rejected)
        if line:
            before = [ast.get_source_segment(code, s) for s in statements if s.lineno < node.lineno]
            return "\n".join(before + ([] if line == f"{answer} = {answer}" else [line]))
    return None


def parse_exercise(notebook: str, index: int, source: str, defined: set[str] = frozenset()) -> Exercise | None:
    """The autograded exercise in one cell, or None for other cells and for predictions (not graded).

    ``defined``: names the notebook binds before this cell; the worked solution's own versions of them (and of
    the cell's givens) are left out, so the answer is computed from the notebook's data."""
    found = _EXERCISE_ID.search(source)
    if not found or found.group(1) != notebook:
        return None
    tree = ast.parse(source)
    call = _checker_call(tree)
    if call is None or call.func.attr == "check_prediction" or not call.args:
        return None
    placeholders = _placeholders(tree, source)
    answer = call.args[0].id if isinstance(call.args[0], ast.Name) else None
    if not placeholders:
        return None
    given = (set(defined) | {name for node in tree.body for name in _bound_names(node)}) - placeholders
    code = "\n\n".join(text for kind, text in solution_cells(notebook, found.group(2)) if kind == "code")
    statements = [node for node in ast.parse(code).body
                  if not _is_noise(node) and not (_bound_names(node) and _bound_names(node) <= given)]
    binding = [i for i, node in enumerate(statements) if _bound_names(node) & placeholders]
    is_value = answer in placeholders and not any(isinstance(node, ast.FunctionDef) and node.name == answer
                                                  for node in tree.body)
    if binding:
        solution = "\n".join(ast.get_source_segment(code, s) for s in statements[:binding[-1] + 1])
        # ``answer = fn`` in the cell ran before the solution's new ``def fn``: bind the answer again after it
        solution += "".join(f"\n{ast.get_source_segment(source, node)}" for node in tree.body
                            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
                            and node.value.id in placeholders and answer in {ast.unparse(t) for t in node.targets})
    else:
        solution = _answer_code(code, statements, call.func.attr, answer, rejected=False) if is_value else None
    if solution is None:
        raise ValueError(f"The solution of exercise {found.group(2)} neither assigns {sorted(placeholders)} nor "
                         f"asserts its checker on an answer; add one to notebooks/solutions/{notebook}_*.")
    wrong = _answer_code(code, statements, call.func.attr, answer, rejected=True) if is_value else None
    checker = ast.get_source_segment(source, call)
    return Exercise(notebook, found.group(2), index, checker, solution, wrong)


def exercises_of(path: Path) -> list[Exercise]:
    """The autograded exercises of one series notebook, in order."""
    found, defined = [], set()
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "code":
            continue
        exercise = parse_exercise(path.name[:2], i, cell.source, defined)
        if exercise is not None:
            found.append(exercise)
        try:
            defined |= {name for node in ast.parse(cell.source).body for name in _bound_names(node)}
        except SyntaxError:   # a cell with IPython magics binds nothing we need
            pass
    return found


def _meta(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = True,
          points: int | None = None) -> dict:
    meta = {"grade": grade, "solution": solution, "locked": locked, "task": False, "grade_id": grade_id,
            "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return meta


def _quiet(checker: str) -> str:
    head = checker[:-1].rstrip()
    return head + (" quiet=True)" if head.endswith(",") else ", quiet=True)")


def _answer_source(source: str, checker: str, solution: str) -> str:
    """The exercise cell with a solution region just above its checker call (the placeholders stay)."""
    at = source.index(checker)
    start = source.rfind("\n", 0, at) + 1
    region = f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION\n"
    return source[:start] + region + source[start:]


def source_notebook(path: Path) -> nbformat.NotebookNode:
    """The nbgrader source version of one series notebook: answer, test and read-only cells."""
    nb = nbformat.read(path, as_version=4)
    by_cell = {exercise.cell: exercise for exercise in exercises_of(path)}
    cells = [nbformat.v4.new_markdown_cell(NOTE.format(stub=STUB, timeout=EXECUTE_TIMEOUT_S),
                                           metadata={"nbgrader": _meta("classroom_note")})]
    for i, cell in enumerate(nb.cells):
        exercise = by_cell.get(i)
        if exercise is None:
            if not _EXERCISE_ID.search(cell.source) or cell.cell_type != "code":   # predictions stay editable
                cell.metadata["nbgrader"] = _meta(f"cell_{i}")
            cells.append(cell)
            continue
        cell.source = _answer_source(cell.source, exercise.checker, exercise.solution)
        cell.metadata["nbgrader"] = _meta(exercise.grade_id + "_answer", solution=True, locked=False)
        test = (f"# Exercise {exercise.exercise}, autograded (1 point): the checker of the cell above, run quietly.\n"
                f"### BEGIN HIDDEN TESTS\nassert exercises.{_quiet(exercise.checker)[len('exercises.'):]}, "
                f"\"Exercise {exercise.exercise} is not right yet\"\n"
                "### END HIDDEN TESTS")
        cells += [cell, nbformat.v4.new_code_cell(test, metadata={"nbgrader": _meta(
            exercise.grade_id + "_test", grade=True, points=1)})]
    nb.cells = cells
    return nb


class HideTestTracebacks(Preprocessor):
    """Feedback step: an error in a test cell shows only its last line, not the traceback quoting the hidden test."""
    enabled = Bool(True).tag(config=True)   # nbconvert's preprocessors start disabled; nbgrader's list means "on"

    def preprocess_cell(self, cell, resources, index):  # type: ignore[no-untyped-def]
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            for output in cell.outputs:
                if output.get("output_type") == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


def _nbgrader(course: Path, *args: str) -> None:
    command = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={course}"]
    done = subprocess.run(command, check=False, cwd=course, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:])} failed:\n{done.stdout}\n{done.stderr}")


def _series(only: list[str] | None) -> list[Path]:
    paths = [p for p in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) if exercises_of(p)]
    if only:
        paths = [p for p in paths if p.name[:2] in only or p.stem in only]
        if not paths:
            raise ValueError(f"--only {only} matches no notebook with exercises; use two-digit numbers like 02.")
    return paths


def release(course: Path, only: list[str] | None = None) -> list[str]:
    """Write the course directory (config and sources) and generate the student release; the assignments."""
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG, encoding="utf-8")
    names = []
    for path in _series(only):
        target = course / "source" / path.stem / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(source_notebook(path), target)
        _nbgrader(course, "generate_assignment", path.stem, "--force")
        names.append(path.stem)
    return names


def submission(released: nbformat.NotebookNode, notebook: str, student: str) -> nbformat.NotebookNode:
    """A student's copy of a released notebook: solved, untouched, or with the solutions' typical wrong answers."""
    if student not in STUDENTS:
        raise ValueError(f"student {student!r} is not one of {list(STUDENTS)}.")
    answers = {}
    found = exercises_of(next(NOTEBOOK_DIR.glob(f"{notebook}_*.ipynb")))
    # Where every exercise has a typical wrong answer (10, 09), the wrong student still gets the first one right,
    # so the round trip shows partial points, not zero.
    right_first = all(exercise.wrong for exercise in found)
    for i, exercise in enumerate(found):
        wrong = None if right_first and i == 0 else exercise.wrong
        answers[exercise.grade_id + "_answer"] = (wrong or exercise.solution) if student == "wrong" \
            else exercise.solution
    for cell in released.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if student != "untouched" and grade_id in answers:
            cell.source = cell.source.replace(STUB, answers[grade_id], 1)
    return released


def selftest(course: Path, only: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Submit the three students, autograde and generate feedback; points per assignment and student, and the
    assignment's maximum under "max"."""
    if not (course / "release").is_dir():
        raise ValueError(f"{course} has no release/; run python -m mtl_helpers.classroom release {course} first.")
    from nbgrader.api import Gradebook

    scores: dict[str, dict[str, float]] = {}
    for assignment in sorted(p.name for p in (course / "release").iterdir() if p.is_dir()):
        if only and assignment[:2] not in only and assignment not in only:
            continue
        for student in STUDENTS:
            released = nbformat.read(course / "release" / assignment / f"{assignment}.ipynb", as_version=4)
            target = course / "submitted" / student / assignment / f"{assignment}.ipynb"
            if target.parent.exists():
                shutil.rmtree(target.parent)
            target.parent.mkdir(parents=True)
            nbformat.write(submission(released, assignment[:2], student), target)
        _nbgrader(course, "autograde", assignment, "--force")
        _nbgrader(course, "generate_feedback", assignment, "--force")
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="mtl-nlp") as gradebook:
            scores[assignment] = {s: gradebook.find_submission(assignment, s).score for s in STUDENTS}
            total = gradebook.find_assignment(assignment).max_score
            scores[assignment]["max"] = total
        print(f"{assignment}: " + ", ".join(f"{s} {scores[assignment][s]:g}/{total:g}" for s in STUDENTS))
    return scores


def feedback_has_hidden_tests(course: Path) -> bool:
    """Does any generated feedback page show a hidden test (its delimiter, or its quiet checker call)?"""
    return any("HIDDEN TESTS" in text or "quiet=True" in text
               for text in (page.read_text(encoding="utf-8") for page in (course / "feedback").rglob("*.html")))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mtl_helpers.classroom", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["release", "selftest"])
    parser.add_argument("course_dir", type=Path)
    parser.add_argument("--only", nargs="+", help="notebooks by number, e.g. --only 01 02 (default: all)")
    args = parser.parse_args(argv)
    course = args.course_dir.resolve()
    if args.command == "release":
        for name in release(course, args.only):
            print(f"released {name} -> {course / 'release' / name}")
        return
    scores = selftest(course, args.only)
    bad = [a for a, s in scores.items() if not s["max"] == s["solved"] > s["wrong"] > s["untouched"] == 0]
    print("feedback shows hidden tests!" if feedback_has_hidden_tests(course) else "feedback: hidden tests stripped")
    if bad:
        sys.exit(f"expected full points solved, partial wrong, zero untouched; not so for {bad}")


if __name__ == "__main__":
    main()
