"""Every notebook ships its exercises unsolved, and every exercise can be solved in place.

The stored notebooks run under nbval with their exercises unsolved.  Here each notebook runs once
more with every exercise cell replaced by its reference solution (and the cell's own check line),
and every exercise must then be marked correct in the notebook's own context.
"""

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from backproplab.exercises import EXERCISES

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
COURSE = sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb") if re.match(r"\d\d[a-z]?_", p.name))
SOLVED_TEST = "test_every_exercise_is_marked_correct_with_its_reference_solution"
CHECK = re.compile(r'^bp\.exercises\.check\("([^"]+)",\s*(\w+)\)\s*$', re.M)


def notebook_id(path: Path) -> str:
    return path.name.split("_")[0]


def exercise_cells(nb):
    """``(cell, exercise id, name checked)`` for each exercise cell of a notebook."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            for match in CHECK.finditer(cell.source):
                yield cell, match.group(1), match.group(2)


def stdout_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_each_notebook_has_exercises_and_one_asks_for_code(path):
    exercises = [e for e in EXERCISES.values() if e.notebook == notebook_id(path)]
    assert len(exercises) >= 2, f"{path.name} needs at least two exercises"
    assert any(e.kind == "code" for e in exercises), f"{path.name} needs an exercise that asks for code"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_exercises_are_stored_unsolved_and_match_the_catalogue(path):
    nb = nbformat.read(path, as_version=4)
    found = []
    for cell, exercise_id, name in exercise_cells(nb):
        exercise = EXERCISES.get(exercise_id)
        assert exercise is not None, f"{path.name} checks unknown exercise {exercise_id}"
        assert exercise.notebook == notebook_id(path), f"{exercise_id} sits in {path.name}"
        assert name == exercise.name, f"{exercise_id}: the cell checks {name}, the catalogue {exercise.name}"
        assert f"Exercise {exercise_id}: not solved yet. Hint: " in stdout_of(cell), \
            f"{exercise_id} is stored solved (or not run); ship it unsolved"
        found.append(exercise_id)
    expected = [e.id for e in EXERCISES.values() if e.notebook == notebook_id(path)]
    assert sorted(found) == sorted(expected), "each exercise of the notebook is checked in exactly one cell"


def solved(path: Path):
    """The notebook with every exercise cell replaced by its reference solution."""
    nb = nbformat.read(path, as_version=4)
    for cell, exercise_id, name in list(exercise_cells(nb)):
        cell.source = f'{EXERCISES[exercise_id].solution}\nbp.exercises.check("{exercise_id}", {name})'
    return nb


def run_solved(path: Path):
    nb = solved(path)
    # one BLAS thread per kernel: two notebooks run side by side on two cores
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "agg"}
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    client.execute(env=env)  # the kernel process gets these variables
    return {exercise_id: stdout_of(cell) for cell, exercise_id, _ in exercise_cells(nb)}


@pytest.fixture(scope="module")
def solved_runs(request):
    """Runs the selected notebooks, two at a time (each kernel is a process of its own)."""
    selected = [item.callspec.params["path"] for item in request.session.items  # nbval's cells too
                if getattr(item, "originalname", None) == SOLVED_TEST]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(selected, pool.map(_run_or_error, selected)))


def _run_or_error(path):
    try:
        return run_solved(path)
    except Exception as error:  # reported by the test of that notebook
        return error


@pytest.mark.slow
@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_every_exercise_is_marked_correct_with_its_reference_solution(path, solved_runs):
    outputs = solved_runs[path]
    if isinstance(outputs, Exception):
        pytest.fail(f"{path.name} with its solutions filled in failed: {outputs}", pytrace=False)
    wrong = {k: v for k, v in outputs.items() if v != f"Exercise {k}: correct!\n"}
    assert not wrong, f"{path.name}: solutions not marked correct: {wrong}"
