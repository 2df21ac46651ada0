"""docs/python-guide.ipynb runs from top to bottom (quick mode: a generated log, two epochs),
so the guide cannot rot. A plain runner: each code cell is executed in one namespace, in order."""
import json
import os

import pytest

from conftest import ROOT

pytest.importorskip("pandas")


def test_the_notebook_guide_runs(tmp_path, binary, monkeypatch):
    monkeypatch.setenv("GUIDE_QUICK", "1")
    monkeypatch.setenv("GUIDE_WORK", str(tmp_path))
    monkeypatch.setenv("TRAJECTORY_BIN", binary)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(os.path.join(ROOT, "docs"))
    with open(os.path.join(ROOT, "docs", "python-guide.ipynb"), encoding="utf-8") as handle:
        notebook = json.load(handle)
    namespace = {"__name__": "__guide__"}
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            exec(compile(source, f"python-guide.ipynb cell {index}", "exec"), namespace)
    assert set(namespace["test"]) >= {"NDCG@10", "HR@10"}
    assert len(namespace["answer"]["items"]) == 5
    assert namespace["curves"]["epoch"].tolist() == [1, 2]
