"""``report --scheduler``: the folder evaluation computes its features on Dask (same results as in one process);
misuse is a one-line error before any work."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from misyn_lab.cli import main
from misyn_lab.report import folder
from misyn_lab.report.assemble import build_report


@pytest.fixture
def real_folder(tmp_path):
    out = tmp_path / "real"
    out.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray((rng.random((16, 16)) * 255).astype(np.uint8)).save(out / f"r{i:02d}.png")
    return out


def test_scheduler_reaches_the_evaluation(tmp_path, real_folder, monkeypatch):
    pytest.importorskip("distributed", reason='needs pip install "misyn-lab[scale]"')
    seen = {}
    original = folder.evaluate_imagesets

    def spy(*args, **kwargs):
        seen["scheduler"] = kwargs.get("scheduler")
        kwargs["scheduler"] = None  # the cluster itself is exercised by the engine and metrics tests
        return original(*args, **kwargs)

    monkeypatch.setattr(folder, "evaluate_imagesets", spy)
    result = build_report(real=real_folder, out=tmp_path / "o", progress=False, log=lambda m: None, quick=True,
                          scheduler="10.1.2.3:8786", registry=None)
    assert seen["scheduler"] == "tcp://10.1.2.3:8786"
    assert json.loads((result.html_path.parent / "results.json").read_text())["sections"]


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "local"], "--scheduler: --scheduler applies to the evaluation of your folders"),
    (["--real", "{real}", "--scheduler", "a b"], "--scheduler: not a scheduler address: 'a b'"),
])
def test_bad_scheduler_use_is_one_line(tmp_path, real_folder, capsys, args, message):
    args = [a.format(real=real_folder) for a in args]
    assert main(["report", *args, "--out", str(tmp_path / "o"), "--no-registry"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"misyn-lab: error: {message}") and "\n" not in err
    assert not (tmp_path / "o" / "report.html").exists()
