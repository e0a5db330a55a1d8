"""Every committed notebook was executed and stored with its outputs.

nbval compares outputs, but a cell that was never executed has nothing to compare, so a
notebook saved without running it would pass silently.
"""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_was_executed_top_to_bottom(path):
    nb = nbformat.read(path, as_version=4)
    counts = [cell.execution_count for cell in nb.cells if cell.cell_type == "code"]
    assert counts and None not in counts, f"{path.name} has cells that were never executed"
    assert counts == list(range(1, len(counts) + 1)), f"{path.name} was not run top to bottom in one go"
    for cell in nb.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors or "raises-exception" in cell.metadata.get("tags", []), cell.source
