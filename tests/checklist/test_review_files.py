"""Review files: exact round-trip, strict loading, orphaned answers, checklist changes."""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from misyn_lab.checklist import Review, load_checklist
from misyn_lab.errors import InputError, SchemaError

IDS = list(load_checklist().ids)
names = st.text(min_size=1, max_size=12).filter(lambda s: s.strip())
texts = st.text(max_size=40)
answers = st.tuples(st.sampled_from(IDS), names,
                    st.sampled_from(["yes", "partly", "no", "not_applicable", "unknown", "unanswered"]),
                    texts.filter(lambda s: s.strip()))
records = st.dictionaries(st.text(min_size=1, max_size=8).filter(lambda k: k != "id"),
                          st.one_of(texts, st.integers(-10**6, 10**6), st.booleans(), st.none(),
                                    st.lists(texts, max_size=3)), max_size=4)


def build(title, ops, recs, evidence_notes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = Review.new(title)
        ev = [r.add_evidence({"key": "prdc.coverage", "value": 0.5}, note=n) for n in evidence_notes]
        for i, (item, rev, status, why) in enumerate(ops):
            r.set_answer(item, rev, status, why, evidence=ev[: i % (len(ev) + 1)])
            if ev:
                r.link_evidence(IDS[-1 - i], ev[i % len(ev)], reviewer=rev)  # linked without an answer
        for i, rec in enumerate(recs):
            r.add_record("claims" if i % 2 else "limitations", {"id": f"R{i}", **rec})
    return r


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=texts, ops=st.lists(answers, max_size=6), recs=st.lists(records, max_size=3),
       notes=st.lists(texts, max_size=2), suffix=st.sampled_from([".yaml", ".json"]))
def test_save_load_roundtrip_is_identity(title, ops, recs, notes, suffix):
    review = build(title, ops, recs, notes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"review{suffix}"
        review.save(path)
        loaded = Review.load(path)
        assert loaded.to_data() == review.to_data()
        assert loaded.revision == 1
        # save again unchanged: content identical apart from revision/updated
        loaded.save()
        again = Review.load(path).to_data()
        first = review.to_data()
        for key in ("revision", "updated"):
            again.pop(key), first.pop(key)
        assert again == first


def test_script_and_unicode_stored_verbatim(tmp_path):
    nasty = "<script>alert('x')</script> & \"quotes\" ünïcødé 🧠 \u202e rtl\n second line\t tab"
    r = Review.new(nasty, reviewer="Zoë <b>")
    r.set_answer("TS-1", "Zoë <b>", "partly", nasty)
    r.add_record("stakeholder_questions", {"id": "Q1", "question": nasty})
    path = r.save(tmp_path / "r.yaml")
    assert "<script>alert('x')</script>" in path.read_text(encoding="utf-8")  # not escaped by us
    back = Review.load(path)
    assert back.title == nasty
    assert back.answer("TS-1", "Zoë <b>").justification == nasty
    assert back.record("stakeholder_questions", "Q1")["question"] == nasty


def test_yaml_file_is_human_readable_with_header(tmp_path):
    r = Review.new("Case 1", reviewer="ana")
    r.set_answer("PF-1", "ana", "no", "motivated by dataset size")
    text = r.save(tmp_path / "r.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert text.startswith("schema_version: 1\nkind: misyn-lab-review\n")
    assert data["answers"]["PF-1"]["ana"]["status"] == "no"
    assert data["revision"] == 1


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("schema_version: 1\nkind: misyn-lab-review\nanswers: {TS-1: [\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"bad.yaml: malformed YAML in review file at line 4"):
        Review.load(path)


def test_malformed_json_names_file_and_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"schema_version": 1,\n "kind": "misyn-lab-review",\n "title": }', encoding="utf-8")
    with pytest.raises(SchemaError, match=r"bad.json: malformed JSON in review file at line 3"):
        Review.load(path)


def test_newer_schema_version(tmp_path):
    path = Review.new("t").save(tmp_path / "r.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["schema_version"] = 2
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(SchemaError, match="written by a newer misyn-lab; upgrade"):
        Review.load(path)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("schema_version: 1\nkind: misyn-lab-review\ntitle: caf\xe9\n".encode("latin-1"))
    with pytest.raises(SchemaError, match=r"latin1.yaml: review file is not UTF-8 text \(invalid byte at line 3"):
        Review.load(path)


@pytest.mark.parametrize("content, message", [
    ("- just\n- a list\n", "top level is not a mapping"),
    ("schema_version: 1\nkind: something-else\n", "kind is 'something-else'"),
    ("schema_version: one\nkind: misyn-lab-review\n", "schema_version must be an integer"),
    ("schema_version: 1\nkind: misyn-lab-review\ntitle: t\nrevision: 1\nanswers:\n  TS-1:\n    ana: {status: maybe}\n",
     r"field answers.TS-1.ana.status: 'maybe' is not one of"),
    ("schema_version: 1\nkind: misyn-lab-review\ntitle: t\nrevision: 1\nanswers: {}\nclaims: [{id: C1}, {id: C1}]\n",
     r"duplicate record id\(s\) \['C1'\]"),
])
def test_invalid_review_content(tmp_path, content, message):
    path = tmp_path / "r.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SchemaError, match=message):
        Review.load(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="review file not found"):
        Review.load(tmp_path / "none.yaml")
    with pytest.raises(InputError, match="is a folder"):
        Review.load(tmp_path)


def test_unknown_top_level_keys_are_kept(tmp_path):
    path = Review.new("t").save(tmp_path / "r.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["x_custom"] = {"kept": ["<i>yes</i>"]}
    data["answers"] = {"TS-1": {"ana": {"status": "no", "justification": "j", "note_from_tool": 3}}}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    r = Review.load(path)
    r.set_answer("TS-2", "ana", "no", "x")
    r.save()
    again = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert again["x_custom"] == {"kept": ["<i>yes</i>"]}
    assert again["answers"]["TS-1"]["ana"]["note_from_tool"] == 3


def test_unknown_item_id_is_kept_as_orphaned(tmp_path):
    path = tmp_path / "r.yaml"
    r = Review.new("t")
    r.set_answer("TS-1", "ana", "no", "x")
    r.save(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["answers"]["XX-9"] = {"ana": {"status": "yes", "justification": "old item"}}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    loaded = Review.load(path)
    assert loaded.orphaned() == ["XX-9"]
    assert loaded.summary().orphaned == ("XX-9",)
    loaded.save()
    assert Review.load(path).answer("XX-9", "ana").justification == "old item"  # never lost


def _changed_checklist(checklist_data, write_yaml):
    """Checklist v2: TS-8 removed, TS-7 renamed to TS-9, new item OV-8."""
    ts = checklist_data["sections"][0]["lines"]
    ts7 = [ln for ln in ts if ln["line_id"] == "TS-7"][0]
    checklist_data["sections"][0]["lines"] = [ln for ln in ts if ln["line_id"] not in ("TS-7", "TS-8")]
    checklist_data["sections"][0]["lines"].append({**ts7, "line_id": "TS-9"})
    ov = checklist_data["sections"][4]["lines"]
    ov.append({**ov[0], "line_id": "OV-8", "line_summary": "New item"})
    checklist_data["version"] = "2.0"
    checklist_data["retired"] = [{"line_id": "TS-7", "replaced_by": "TS-9", "reason": "renamed"},
                                 {"line_id": "TS-8", "replaced_by": None, "reason": "merged"}]
    return load_checklist(write_yaml(checklist_data, "v2.yaml"))


def test_checklist_version_change_keeps_answers(tmp_path, checklist_data, write_yaml):
    path = tmp_path / "r.yaml"
    r = Review.new("t")
    for item in ("TS-1", "TS-7", "TS-8"):
        r.set_answer(item, "ana", "no", f"gap {item}")
    r.save(path)
    v2 = _changed_checklist(checklist_data, write_yaml)
    loaded = Review.load(path, checklist=v2)
    changes = loaded.checklist_changes()
    assert changes.changed and changes.old_version == "1.0" and changes.new_version == "2.0"
    assert changes.removed == ("TS-8",)
    assert changes.renamed == {"TS-7": "TS-9"}
    assert changes.new == ("TS-9", "OV-8")
    assert set(changes.orphaned) == {"TS-7", "TS-8"}
    assert "renamed: TS-7->TS-9" in str(changes)
    for item in ("TS-1", "TS-7", "TS-8"):
        assert loaded.answer(item, "ana").justification == f"gap {item}"
    assert not Review.load(path).checklist_changes().changed  # same checklist: no changes
    loaded.save()
    assert {"TS-7", "TS-8"} <= set(Review.load(path, checklist=v2).answers)


def test_json_review_files(tmp_path):
    r = Review.new("json one", reviewer="ana")
    r.set_answer("OV-4", "ana", "no", "no disclosure")
    path = r.save(tmp_path / "r.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["kind"] == "misyn-lab-review" and data["answers"]["OV-4"]["ana"]["status"] == "no"
    assert Review.load(path) == r


def test_unreadable_file(tmp_path, monkeypatch):
    path = Review.new("t").save(tmp_path / "r.yaml")

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)  # chmod does not stop root, so simulate it
    with pytest.raises(InputError, match="r.yaml: cannot read review file: Permission denied"):
        Review.load(path)
