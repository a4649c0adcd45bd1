"""Every notebook executes headless (nbclient), with the stall workaround installed and a finite timeout."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from calc import jupyter_patch

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def execute(name: str) -> nbformat.NotebookNode:
    jupyter_patch.apply()
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def outputs(nb) -> list:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def text_of(nb) -> str:
    parts = []
    for o in outputs(nb):
        if o.output_type == "stream":
            parts.append(o.text)
        for mime in ("text/plain", "text/html"):
            if mime in o.get("data", {}):
                parts.append(o["data"][mime])
    return "\n".join(parts)


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


NAMES = ["index.ipynb", "enterprise.ipynb", "consortium.ipynb", "budget.ipynb", "analyst.ipynb"]


@pytest.mark.parametrize("name", ["index.ipynb", "enterprise.ipynb", "consortium.ipynb", "budget.ipynb"])
def test_dashboard_executes_and_shows_widgets(name):
    nb = execute(name)
    assert not [o for o in outputs(nb) if o.output_type == "error"]
    last = nb.cells[-1].outputs
    assert last and WIDGET_VIEW in last[-1]["data"]  # the page is one widget tree


def test_analyst_notebook_executes():
    nb = execute("analyst.ipynb")
    assert not [o for o in outputs(nb) if o.output_type == "error"]
    text = text_of(nb)
    assert "278 enterprises, 51 consortia" in text
    assert "rejected rows: 0" in text
    # the explained row: R&D １,２３４.５６万 on 1,000万 → 6 steps = 600,000 yuan
    assert "600000" in text
    plotly = [o for o in outputs(nb) if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(plotly) == 2
