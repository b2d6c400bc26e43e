"""The checklist file: size, stages, stable ids, schema errors, lookups."""

from __future__ import annotations

from pathlib import Path

import pytest

from misyn_lab.checklist import STAGE_TITLES, STAGES, load_checklist
from misyn_lab.checklist.loader import LIMITS, RISKS
from misyn_lab.errors import InputError, SchemaError

GOLDEN = Path(__file__).with_name("item_ids.txt")


def test_size_and_stages():
    c = load_checklist()
    assert len(c.items) >= 30
    assert STAGES == ("technical_standards", "problem_formulation", "design", "evaluation", "oversight")
    assert c.stages == STAGES and set(STAGE_TITLES) == set(STAGES)
    for stage in STAGES:
        assert len(c.by_stage(stage)) >= 5, stage
    # items are ordered by stage
    order = [STAGES.index(it.stage) for it in c.items]
    assert order == sorted(order)


def test_ids_unique_and_match_golden_list():
    ids = list(load_checklist().ids)
    assert len(ids) == len(set(ids))
    golden = [ln.strip() for ln in GOLDEN.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert ids == golden, "checklist ids changed: ids are stable; retire instead of renaming"


def test_item_fields_are_complete_and_valid():
    c = load_checklist()
    for it in c.items:
        assert 1 <= len(it.title.split()) <= 4, it.id
        assert it.question.endswith("?"), it.id
        assert it.stakeholder_question.endswith("?"), it.id
        assert set(it.limits) <= set(LIMITS) and it.limits
        assert set(it.risks) <= set(RISKS) and it.risks
        assert it.source in ("paper", "practice")
        assert it.severity in ("high", "medium", "low")
        for text in (it.why, it.evidence, it.remedy, it.good_answer):
            assert text.strip(), it.id
    # the brief marks design items as practice only (the paper names the heading, not the items)
    assert {it.source for it in c.by_stage("design")} == {"practice"}
    assert any(it.source == "paper" for it in c.by_stage("evaluation"))
    assert "2508.09293" in c.citation


def test_metric_keys_present_where_measurable():
    keys = {k for it in load_checklist() for k in it.metric_keys}
    for expected in ("prdc.coverage", "memorisation.copy_rate", "subgroup.coverage_min", "tstr.gap",
                     "audit.unlabelled_synthetic", "provenance.labelled", "mmd.rbf"):
        assert expected in keys


def test_item_lookup_and_suggestion():
    c = load_checklist()
    assert c.item("EV-3").stage == "evaluation"
    assert c.item("EV-3").line_id == "EV-3" and c.item("EV-3").line_summary == c.item("EV-3").title
    with pytest.raises(InputError, match=r"unknown checklist item 'ev3'; did you mean 'EV-3'"):
        c.item("ev3")
    with pytest.raises(InputError, match="unknown stage 'desgn'; did you mean 'design'"):
        c.by_stage("desgn")


def test_content_hash_and_version(checklist_data, write_yaml):
    c = load_checklist()
    assert c.version == checklist_data["version"]
    same = load_checklist(write_yaml(checklist_data))
    assert same.content_hash == c.content_hash
    checklist_data["sections"][0]["lines"][0]["why"] += " More."
    assert load_checklist(write_yaml(checklist_data)).content_hash != c.content_hash


def test_duplicate_id_is_schema_error(checklist_data, write_yaml):
    checklist_data["sections"][3]["lines"][1]["line_id"] = "TS-2"
    path = write_yaml(checklist_data)
    with pytest.raises(SchemaError, match=r"item TS-2: duplicate line_id") as info:
        load_checklist(path)
    assert str(path) in str(info.value)


def test_unknown_stage_is_schema_error(checklist_data, write_yaml):
    checklist_data["sections"][2]["section_id"] = "deployment"
    path = write_yaml(checklist_data)
    with pytest.raises(SchemaError, match=r"section #3 \('deployment'\), field section_id: unknown stage"):
        load_checklist(path)


def test_unknown_field_names_item_and_field(checklist_data, write_yaml):
    checklist_data["sections"][1]["lines"][2]["colour"] = "red"
    with pytest.raises(SchemaError, match=r"item PF-3: unknown field 'colour'"):
        load_checklist(write_yaml(checklist_data))


def test_bad_value_names_item_and_field(checklist_data, write_yaml):
    checklist_data["sections"][4]["lines"][0]["risks"] = ["misinformation", "boredom"]
    with pytest.raises(SchemaError, match=r"item OV-1, field risks.1: 'boredom' is not one of"):
        load_checklist(write_yaml(checklist_data))


def test_missing_field_and_wrong_order(checklist_data, write_yaml):
    del checklist_data["sections"][0]["lines"][0]["remedy"]
    with pytest.raises(SchemaError, match=r"item TS-1: missing field 'remedy'"):
        load_checklist(write_yaml(checklist_data, "a.yaml"))
    checklist_data["sections"][0]["lines"][0]["remedy"] = "x"
    checklist_data["sections"][0], checklist_data["sections"][1] = (checklist_data["sections"][1],
                                                                    checklist_data["sections"][0])
    with pytest.raises(SchemaError, match="sections out of order"):
        load_checklist(write_yaml(checklist_data, "b.yaml"))


def test_malformed_checklist_yaml_names_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("title: x\nsections: [\n  - a: b\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"bad.yaml: malformed YAML in checklist at line \d+"):
        load_checklist(path)


def test_duplicate_yaml_key_is_error(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("title: a\ntitle: b\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"line 2.*duplicate key 'title'"):
        load_checklist(path)


def test_missing_checklist_file(tmp_path):
    with pytest.raises(InputError, match="checklist not found"):
        load_checklist(tmp_path / "nope.yaml")


def test_examples_attribute_no_invented_details_to_reviewed_works():
    """Examples restate the gaps the paper's reviews found, without quoting or attributing details to a work."""
    checklist = load_checklist()
    examples = [(item.id, ex) for item in checklist for ex in item.examples]
    assert examples
    for item_id, ex in examples:
        assert '"' not in ex and "\u201c" not in ex, item_id
        assert not any(w in ex.lower() for w in ("a published", "a reviewed", "reviewed work")), item_id
