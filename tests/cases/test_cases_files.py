"""Case files: schema, checklist coverage, links, Review building, scaffold and CLI."""

from __future__ import annotations

import re

import pytest
import yaml

from misyn_lab.cases.case import BUNDLED, load_case, scaffold_case
from misyn_lab.checklist import load_checklist
from misyn_lab.cli import main
from misyn_lab.errors import InputError, SchemaError
from misyn_lab.metrics.result import MetricResult


@pytest.mark.parametrize("name", ["case1", "case2"])
def test_bundled_cases_answer_every_item_with_evidence(name):
    case = load_case(BUNDLED[name])
    ids = list(load_checklist().ids)
    assert [a["item"] for a in case.answers] == ids  # checklist order, every item once
    assert all((a["evidence"] or a.get("context")) and a["justification"].strip() for a in case.answers)
    # the practice description is ours: context, never evidence
    assert not [a["item"] for a in case.answers if any(e.startswith("practice:") for e in a["evidence"])]
    assert case.reviewer == "case-study"
    assert all(a["status"] != "unanswered" for a in case.answers)


@pytest.mark.parametrize("name", ["case1", "case2"])
def test_bundled_gaps_limitations_reformulation(name):
    case = load_case(BUNDLED[name])
    ids = set(load_checklist().ids)
    assert len(case.gaps) >= 8
    for g in case.gaps:
        assert g["item"] in ids and g["limit"] in ("L1", "L2", "L3") and g["risk"]
    lims = case.data["limitations"]
    assert lims["scope"] and lims["assumptions"]
    assert {x["limit"] for x in lims["intrinsic"]} == {"L1", "L2", "L3"}
    ladder = case.data["reformulation"]["ladder"]
    assert sorted(x["rung"] for x in ladder) == [1, 2, 3, 4, 5]
    topic = {"case1": "wound", "case2": "surgical simulation"}[name]
    assert topic in case.data["reformulation"]["clinical_problem"].lower()


def test_case_files_name_no_reviewed_work():
    # generic descriptions only: no DOIs, URLs or "et al." citations of the reviewed works
    for path in BUNDLED.values():
        text = path.read_text(encoding="utf-8")
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
        assert "doi" not in body.lower() and "http" not in body and "et al" not in body


@pytest.mark.parametrize("name", ["case1", "case2"])
def test_practice_reads_as_illustration_not_quotation(name):
    """No quotation marks in what the practice is said to have written or claimed; the practice section and its
    report caption say the description is generic and illustrative."""
    from misyn_lab import render
    from misyn_lab.cases.document import practice_section

    case = load_case(BUNDLED[name])
    for field, text in case.practice.items():
        assert '"' not in text and "\u201c" not in text and "'" not in text.replace("'s ", ""), field
    for a in case.answers:
        assert '"' not in a["justification"] and "'" not in a["justification"].replace("'s ", ""), a["item"]
    assert "illustrative description of this type of practice" in case.practice["summary"]
    assert "not named and not quoted" in render.to_html(practice_section(case))


#: Words that state a measured direction or size. A case file must not say them about its results (those sentences
#: are generated from the numbers); it may use them when naming what a claim says or what a test decides.
DIRECTION_WORDS = re.compile(r"\b(uneven|improv\w*|gain\w*|harm\w*|hurt\w*|worse|better|help\w*|drop\w*|"
                             r"increas\w*|decreas\w*|reduc\w*|lower|higher|almost every|much less|differs?)\b", re.I)
ABOUT_A_CLAIM = re.compile(r"\b(claim\w*|called|whether)\b", re.I)


def _prose(data: dict) -> list[tuple[str, str]]:
    out = [(f"answers {a['item']}", a["justification"]) for a in data["answers"]]
    out += [(f"gap {g['id']}", f"{g['title']}. {g.get('detail', '')}") for g in data["gaps"]]
    out += [(f"limitations {k}", t) for k in ("scope", "assumptions") for t in data["limitations"][k]]
    out += [("intrinsic", t["text"]) for t in data["limitations"]["intrinsic"]]
    out += [(f"claim {c['id']} note", c.get("note", "")) for c in data["claims"]]
    return out


@pytest.mark.parametrize("name", ["case1", "case2"])
def test_case_files_state_no_measured_direction_or_size(name):
    """Sentences that state a direction or a size of a result are generated from the measurements (bottom lines,
    subgroup sentences, interpretations); the case files themselves stay neutral (e.g. no 'the gain is uneven'
    where the measurement shows harm)."""
    data = load_case(BUNDLED[name]).data
    offending = []
    for where, text in _prose(data):
        for sentence in re.split(r"(?<=[.;])\s+", text):
            if DIRECTION_WORDS.search(sentence) and not ABOUT_A_CLAIM.search(sentence):
                offending.append((where, sentence))
    assert offending == []


@pytest.mark.parametrize("name", ["case1", "case2"])
def test_case_files_attribute_to_the_paper_only_what_its_outline_holds(name):
    text = BUNDLED[name].read_text(encoding="utf-8")
    assert "as the paper's reviews found" not in text and "paper's reviews found" not in text
    body = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in body if re.search(r"\bthe paper\b", line)]  # the reviewed work is "the reviewed work"
    assert "Attributed to the paper: only what its outline holds" in text
    assert "Our illustration of this practice type" in load_case(BUNDLED[name]).practice["data"]


def test_practice_link_as_evidence_is_refused(write_case):
    def cite_practice(d):
        d["answers"][3]["evidence"] = ["practice:disclosed"]

    with pytest.raises(SchemaError, match=r"field answers\[3\]\.evidence: 'practice:disclosed' points at the case's "
                                         r"own description of the practice, which is context, not evidence"):
        load_case(write_case(cite_practice))


def test_case_rungs_consistent_with_gap_titles():
    """A case whose claims cite rung-2 evidence must not call its evaluation 'only in model space'."""
    for path in BUNDLED.values():
        case = load_case(path)
        top = max(int(c.get("evidence_rung", 1) or 1) for c in case.claims)
        titles = " ".join(g["title"].lower() for g in case.gaps)
        assert (top >= 2) == ("only in model space" not in titles), case.id
    case1 = load_case(BUNDLED["case1"])
    ev1 = next(a for a in case1.answers if a["item"] == "EV-1")
    assert "does not count as a rung-2 reader study" in ev1["justification"]


def test_missing_field_names_file_and_field(write_case):
    path = write_case(lambda d: d["practice"].pop("generator"))
    with pytest.raises(SchemaError, match=r"case\.yaml: field practice: missing field 'generator'"):
        load_case(path)


def test_bad_status_names_the_answer(write_case):
    def bad(d):
        d["answers"][3]["status"] = "maybe"
    with pytest.raises(SchemaError, match=r"field answers\[3\]\.status"):
        load_case(write_case(bad))


def test_unquoted_no_is_caught(write_case):
    text = yaml.safe_dump(yaml.safe_load(BUNDLED["case1"].read_text()), sort_keys=False).replace("status: 'no'", "status: no")
    with pytest.raises(SchemaError, match=r"status: False is not one of"):
        load_case(write_case(text=text))


def test_malformed_yaml_gives_line(write_case):
    with pytest.raises(SchemaError, match=r"malformed YAML in case file at line 2"):
        load_case(write_case(text="id: x\n  - : [\n"))


def test_duplicate_key_is_schema_error(write_case):
    """A key written twice is refused (plain yaml.safe_load would silently keep the last one)."""
    text = BUNDLED["case1"].read_text(encoding="utf-8").replace(
        "reviewer: case-study\n", "reviewer: case-study\nreviewer: someone-else\n", 1)
    with pytest.raises(SchemaError, match=r"case\.yaml.*duplicate key 'reviewer'"):
        load_case(write_case(text=text))


def test_missing_answers_listed(write_case):
    with pytest.raises(SchemaError, match=r"checklist items without an answer: \['OV-7'\]"):
        load_case(write_case(lambda d: d["answers"].pop()))


def test_unknown_item_and_dangling_link(write_case):
    def unknown(d):
        d["gaps"][0]["item"] = "XX-1"
    with pytest.raises(SchemaError, match=r"gaps\[0\]\.item: unknown checklist item 'XX-1'"):
        load_case(write_case(unknown))

    def dangling(d):
        d["answers"][0]["evidence"] = ["gap:G99"]
    with pytest.raises(SchemaError, match=r"link 'gap:G99' points at nothing"):
        load_case(write_case(dangling))


def test_missing_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="case file not found"):
        load_case(tmp_path / "nope.yaml")


def test_to_review_links_measured_evidence():
    case = load_case(BUNDLED["case1"])
    result = MetricResult("paired.mean_difference", -0.01, {"pairs": 10}, ci=(-0.02, 0.0), ci_level=0.95)
    review = case.to_review({"seg.dice_paired": result})
    assert len(review.answers) == len(load_checklist())
    ev3 = review.answer("EV-3", "case-study")
    assert ev3.status == "no" and len(ev3.evidence) == 1
    assert review.evidence[ev3.evidence[0]]["key"] == "paired.mean_difference"
    claims = {c["id"]: c for c in review.records("claims")}
    assert claims["C1"]["verdict"]["status"] == "untested"  # 'significant' without a test
    assert claims["C3"]["verdict"]["status"] == "not_supported"
    aspects = {r["aspect"] for r in review.records("limitations")}
    assert aspects == {"scope", "assumptions", "intrinsic"}
    assert len(review.records("stakeholder_questions")) == len(case.data["stakeholder_questions"])


def test_to_review_rejects_undeclared_measurement():
    case = load_case(BUNDLED["case2"])
    with pytest.raises(InputError, match="not declared under measurements"):
        case.to_review({"seg.dice_paired": MetricResult("x", 1.0, {})})


def test_scaffold_lists_every_item_and_validates(tmp_path):
    text = scaffold_case("my_case")
    ids = list(load_checklist().ids)
    assert all(f"item: {i}," in text for i in ids)
    path = tmp_path / "my_case.yaml"
    path.write_text(text)
    case = load_case(path)
    assert case.open_items_without_gap() == ids
    with pytest.raises(InputError, match="case name"):
        scaffold_case("bad name!")


def test_cli_case_new_and_check(tmp_path, capsys):
    out = tmp_path / "mine.yaml"
    assert main(["case", "new", "mine", "-o", str(out)]) == 0
    assert out.is_file()
    assert main(["case", "new", "mine", "-o", str(out)]) == 2
    assert "not overwriting" in capsys.readouterr().err
    assert main(["case", "check", str(out)]) == 0
    assert f"Open items without a declared gap ({len(load_checklist())})" in capsys.readouterr().out
    assert main(["case", "check", str(BUNDLED["case1"])]) == 0
    printed = capsys.readouterr().out
    assert "G2  EV-3   L3  misinformation" in printed


def test_cli_case_check_invalid_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\n")
    assert main(["case", "check", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.yaml" in err and "schema_version" in err
