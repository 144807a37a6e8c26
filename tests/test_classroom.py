"""The classroom edition: nbgrader sources built from the series, and the release → autograde round trip."""
import ast

import nbformat
import numpy as np
import pytest

from mtl_helpers import classroom, exercises
from mtl_helpers.notebook_runner import NOTEBOOK_DIR

THETA = NOTEBOOK_DIR / "02_theta_formulation.ipynb"
TEXT_TO_TEXT = NOTEBOOK_DIR / "10_text_to_text.ipynb"   # the cheapest other notebook with exercises, fast mode


def test_every_exercise_of_the_series_has_a_solution_region():
    found = {path.name[:2]: [e.exercise for e in classroom.exercises_of(path)]
             for path in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))}
    assert found["02"] == ["2.1", "2.2", "2.3", "2.4"]
    assert "1.5" not in found["01"], "predictions (check_prediction) are not autograded"
    for path in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")):
        for exercise in classroom.exercises_of(path):
            ast.parse(exercise.solution)   # the region is valid Python on its own


def test_wrong_answers_are_the_ones_the_solutions_reject():
    by_id = {e.exercise: e for e in classroom.exercises_of(THETA)}
    assert by_id["2.2"].wrong.endswith("answer_2_2 = 0.1 * np.sqrt(omega)")
    assert by_id["2.3"].wrong is None          # a function: the wrong student gets the solution there
    # the wrong 2.4 really fails the checker the test cell runs, and the solution passes it
    alpha, x_a, x_b = [[0.9, 0.1], [0.3, 0.7]], [[1.0, -2.0, 0.5]], [[0.0, 4.0, 1.0]]
    space = {"alpha_2_4": np.array(alpha), "x_A_2_4": np.array(x_a), "x_B_2_4": np.array(x_b)}
    exec(by_id["2.4"].solution, space)
    assert exercises.check_cross_stitch(space["answer_2_4"], space["alpha_2_4"], [space["x_A_2_4"], space["x_B_2_4"]],
                                        task_index=1, quiet=True)
    exec(by_id["2.4"].wrong, space)
    assert not exercises.check_cross_stitch(space["answer_2_4"], space["alpha_2_4"],
                                            [space["x_A_2_4"], space["x_B_2_4"]], task_index=1, quiet=True)


def test_source_notebook_marks_cells_the_nbgrader_way():
    nb = classroom.source_notebook(THETA)
    meta = [cell.metadata.get("nbgrader") for cell in nb.cells]
    answers = [c for c, m in zip(nb.cells, meta) if m and m["solution"]]
    tests = [c for c, m in zip(nb.cells, meta) if m and m["grade"]]
    assert len(answers) == len(tests) == 4
    assert all("### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source for c in answers)
    assert all(c.metadata.nbgrader["points"] == 1 and c.metadata.nbgrader["locked"] for c in tests)
    assert all("### BEGIN HIDDEN TESTS" in c.source and "quiet=True" in c.source for c in tests)
    assert "exercises.check_l2_penalty(answer_2_2, towers_2_2, coupling_weight=0.1, quiet=True)" in tests[1].source
    others = [m for m in meta if m and not m["solution"] and not m["grade"]]
    assert others and all(m["locked"] for m in others)
    assert "fast mode" in nb.cells[0].source and str(classroom.EXECUTE_TIMEOUT_S) in nb.cells[0].source


def test_bad_arguments_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="release"):
        classroom.selftest(tmp_path)
    with pytest.raises(ValueError, match="two-digit"):
        classroom.release(tmp_path, only=["99"])
    with pytest.raises(ValueError, match="student"):
        classroom.submission(nbformat.v4.new_notebook(), "02", "lazy")


def test_wrong_student_gets_the_first_exercise_right_where_every_one_has_a_wrong_answer():
    found = classroom.exercises_of(TEXT_TO_TEXT)
    assert len(found) >= 2 and all(e.wrong for e in found)   # else the wrong student would score zero
    released = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        classroom.STUB, metadata={"nbgrader": {"grade_id": e.grade_id + "_answer"}}) for e in found])
    wrong = classroom.submission(released, "10", "wrong")
    assert [cell.source for cell in wrong.cells] == [found[0].solution] + [e.wrong for e in found[1:]]


@pytest.mark.slow
def test_round_trip_full_zero_and_partial_points(tmp_path):
    """release → three submissions → nbgrader autograde and feedback, on notebook 02 (about 2 min, fast mode)."""
    assert classroom.release(tmp_path, only=["02"]) == ["02_theta_formulation"]
    student = nbformat.read(tmp_path / "release" / "02_theta_formulation" / "02_theta_formulation.ipynb", 4)
    text = "\n".join(cell.source for cell in student.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "0.1 * omega" not in text
    assert classroom.STUB in text
    scores = classroom.selftest(tmp_path)["02_theta_formulation"]
    assert scores == {"solved": 4, "untouched": 0, "wrong": 2, "max": 4}
    assert not classroom.feedback_has_hidden_tests(tmp_path)


@pytest.mark.slow
def test_round_trip_second_notebook(tmp_path):
    """The same round trip on notebook 10 (about 2 min, fast mode): full, zero and partial points."""
    assert classroom.release(tmp_path, only=["10"]) == ["10_text_to_text"]
    full = len(classroom.exercises_of(TEXT_TO_TEXT))
    scores = classroom.selftest(tmp_path)["10_text_to_text"]
    assert scores["solved"] == full == scores["max"] and scores["untouched"] == 0, scores
    assert 0 < scores["wrong"] < full, scores
    assert not classroom.feedback_has_hidden_tests(tmp_path)


def test_a_function_answer_is_bound_after_its_solution():
    """5.6's cell binds ``answer_5_6 = pcgrad_combine`` before the solution region defines the real function:
    the region binds it again, or the autograder grades the stub."""
    from mtl_helpers.notebook_runner import NOTEBOOK_DIR

    found = {e.grade_id: e for e in classroom.exercises_of(NOTEBOOK_DIR / "05_training.ipynb")}
    solution = found["ex_5_6"].solution
    assert solution.index("def pcgrad_combine") < solution.rindex("answer_5_6 = pcgrad_combine")
