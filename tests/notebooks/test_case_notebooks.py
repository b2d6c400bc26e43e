"""The case notebooks run headless and show the very document the report embeds: each displayed part is the part of
the case study computed in-process with the same parameters (the notebook and the report never disagree); their
outputs hold no truncated text."""

from __future__ import annotations

import re

import nbformat
import pytest

from misyn_lab import notebooks, render
from misyn_lab.cases.studies import study_case1, study_case2

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

CASES = {"case1_segmentation": ({"n_seeds": 3, "k": 2, "n_synthetic": 4}, study_case1),
         "case2_text_to_image": ({"n_per_prompt": 8, "prompts": ["axial MR brain", "coronal MR of the head"]},
                                 study_case2)}


def _html_outputs(nb: nbformat.NotebookNode) -> list[str]:
    return [str(o.get("data", {}).get("text/html", "")) for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if "text/html" in o.get("data", {})]


@pytest.mark.parametrize("name", list(CASES))
def test_case_notebook_shows_the_report_document(name, tmp_path):
    import papermill as pm

    params, study_of = CASES[name]
    (src,), _ = notebooks.export(tmp_path, [name])
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(src), str(out), parameters={**params, "out_dir": str(tmp_path / "nb")},
                        kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    shown = "\n".join(_html_outputs(nb))
    study = study_of(seed=0, out_dir=tmp_path / "here", **params)
    for part in ("bottom-line", "claims", "gaps", "practice", "reformulation"):
        assert study.part(part)._repr_html_() in shown, part  # the same document, part by part
    assert (tmp_path / "nb" / f"{name.split('_')[0]}_review.yaml").is_file()
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", shown)
    assert "..." not in render.plain(re.sub(r"<[^>]+>", " ", text))
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert not any("_html" in c or "display(HTML" in c for c in code)  # no display glue in the notebook
