"""A case study as one document: bottom line, practice (stand-in data said plainly), gaps in words, measured
evidence, the review's parts, reformulation, provenance; the same document the notebooks show part by part and the
report embeds. Golden HTML and Markdown of a case measured elsewhere (figures masked: their pixels depend on
fonts), and a small measured run checked for figures with alt text."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from misyn_lab import render  # noqa: E402
from misyn_lab.cases.case import load_case  # noqa: E402
from misyn_lab.cases.document import gaps_table, practice_section, reformulation_section  # noqa: E402
from misyn_lab.cases.studies import review_study, study_case2  # noqa: E402

PROVENANCE = {"data": [{"group": "mni152", "source_package": "nilearn", "licence": "see PROVENANCE.md",
                        "images": 24}],
              "generators": [{"name": "label-conditioned", "version": "1", "description": "elastic warps",
                              "fitted_on": "k=3 pairs"}], "notes": "Stand-in."}


def test_case_document_matches_golden(golden):
    study = review_study(load_case("case1"), provenance=PROVENANCE, notes=["Nothing was measured in this test."])
    golden("case1_unmeasured.html", render.to_html(study.document), mask_images=True)
    golden("case1_unmeasured.md", render.to_markdown(study.document), mask_images=True)
    assert study.part("practice").id == "case1-segmentation-practice"
    with pytest.raises(KeyError, match="no section 'case1-segmentation-nope'; there are"):
        study.part("nope")


def test_parts_in_words():
    case = load_case("case1")
    table = gaps_table(case)
    g1 = table.rows[0]
    assert g1[:3] == ["G1", "TS-3", "Synthetic images not labelled as synthetic"]
    assert render.plain(g1[3]) == "L1 No grounding" and g1[4] == "erosion of trust" and g1[5].target == "high"
    practice = practice_section(case)
    assert practice.blocks[-1].role == "warning" and render.plain(practice.blocks[-1].text).startswith(
        "Stand-in data: No wound or skin images")
    assert [render.plain(k) for k, _ in practice.blocks[1].items][:2] == ["Summary", "Motivation"]
    ladder = reformulation_section(case).blocks[-1]
    assert [row[0] for row in ladder.rows] == ["1. Model space (metrics on held-out data)", "2. Expert readers",
                                              "3. Downstream clinical task", "4. Clinical workflow with users",
                                              "5. Follow-up after deployment"]


@pytest.mark.slow
def test_measured_case_has_its_evidence_and_figures_with_alt_text(tmp_path):
    seen: list[tuple] = []
    study = study_case2(prompts=["axial MR brain", "histology patch of colon", "coronal MR of the head"],
                        n_per_prompt=8, out_dir=tmp_path, progress=lambda *a: seen.append(a))
    assert study.review_path == tmp_path / "case2_review.yaml" and (tmp_path / "case2_provenance.json").is_file()
    assert ("generating and measuring", 3, 3, "prompts") in seen
    figures = [b for s in study.part("evidence").blocks for b in s.blocks if isinstance(b, render.Figure)]
    assert len(figures) >= 2 and all(len(f.alt) > 40 for f in figures)
    assert study.part("bottom-line").blocks[0].text == study.bottom_line == study.result.bottom_line()
    html = study._repr_html_()
    assert "..." not in render.plain(html) and html == render.to_html(study.document)
