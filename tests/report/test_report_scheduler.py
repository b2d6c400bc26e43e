"""``report --scheduler``: passed to the evaluation notebook only when the notebook declares it; otherwise, and
for bad values, a one-line error before anything runs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

from misyn_lab.cli import main
from misyn_lab.report import assemble
from misyn_lab.report.assemble import build_report


@pytest.fixture
def real_folder(tmp_path):
    folder = tmp_path / "real"
    folder.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "a.png")
    return folder


def test_scheduler_reaches_the_notebook_when_declared(tmp_path, real_folder, monkeypatch):
    pytest.importorskip("distributed", reason='needs pip install "misyn-lab[scale]"')
    seen = {}

    def fake_execute(nb_path, out_path, params, **kwargs):
        seen.update(params)
        nbformat.write(nbformat.v4.new_notebook(), str(out_path))
        return Path(out_path)

    monkeypatch.setattr(assemble, "execute_notebook", fake_execute)
    monkeypatch.setattr(assemble, "notebook_parameters",
                        lambda path: dict.fromkeys(("real_path", "review_path", "seed", "scheduler")))
    build_report(real=real_folder, out=tmp_path / "o", progress=False, log=lambda m: None, scheduler="10.1.2.3:8786")
    assert seen["scheduler"] == "tcp://10.1.2.3:8786"


def test_notebook_without_the_parameter_is_refused(tmp_path, real_folder, monkeypatch, capsys):
    pytest.importorskip("distributed", reason='needs pip install "misyn-lab[scale]"')
    monkeypatch.setattr(assemble, "notebook_parameters", lambda path: dict.fromkeys(("real_path", "review_path",
                                                                                     "seed")))
    assert main(["report", "--real", str(real_folder), "--out", str(tmp_path / "o"), "--scheduler", "local"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "05_evaluation.ipynb declares no 'scheduler' parameter, so the evaluation cannot run on Dask" in err
    assert "add `scheduler = None` to its parameters cell" in err and "\n" not in err
    assert not (tmp_path / "o" / "report.html").exists()


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "local"], "--scheduler: --scheduler applies to the evaluation of your folders"),
    (["--real", "{real}", "--scheduler", "a b"], "--scheduler: not a scheduler address: 'a b'"),
])
def test_bad_scheduler_use_is_one_line(tmp_path, real_folder, capsys, args, message):
    args = [a.format(real=real_folder) for a in args]
    assert main(["report", *args, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"misyn-lab: error: {message}" + err.split(message, 1)[1] and "\n" not in err
