"""Evidence linked to checklist items directly (answered or not): API, file format, old files, merges."""

from __future__ import annotations

import itertools
import json

import pytest
import yaml

from misyn_lab.checklist import Review, merge_reviews
from misyn_lab.checklist.merge import three_way_links
from misyn_lab.errors import InputError, SchemaError
from misyn_lab.metrics.result import MetricResult


def _evidence(review: Review, value: float, key: str = "provenance.labelled") -> str:
    return review.add_evidence(MetricResult(key, value, {"synthetic_found": 4}), source="test")


def test_link_without_answer_is_logged_and_idempotent():
    r = Review.new("t")
    ev = _evidence(r, 0.5)
    assert r.link_evidence("TS-3", ev, reviewer="ana") == ev
    assert r.links == {"TS-3": [ev]}
    assert r.answer("TS-3", "ana") is None and r.evidence_for("TS-3") == [ev]
    log = [h for h in r.history if h["what"].startswith("link evidence")]
    assert log == [{"time": log[0]["time"], "reviewer": "ana", "what": f"link evidence {ev} to TS-3",
                    "old": None, "new": {"item": "TS-3", "evidence": ev}}]
    r.link_evidence("TS-3", ev)  # again: nothing new
    assert r.links == {"TS-3": [ev]} and len([h for h in r.history if h["what"].startswith("link")]) == 1
    assert r.reviewers == []  # a link is not an answer: nobody becomes a reviewer by linking
    assert r.evidence_for("TS-1") == []


def test_link_errors_name_the_problem_and_suggest():
    r = Review.new("t")
    ev = _evidence(r, 0.5)
    with pytest.raises(InputError, match=r"unknown checklist item 'TS-99'; did you mean 'TS-8'"):
        r.link_evidence("TS-99", ev)
    with pytest.raises(InputError, match=r"item TS-3: unknown evidence id 'ev-nope'.*add_evidence"):
        r.link_evidence("TS-3", "ev-nope")
    typo = ev[:-1] + ("0" if ev[-1] != "0" else "1")
    with pytest.raises(InputError, match=f"did you mean '{ev}'"):
        r.link_evidence("TS-3", typo)
    with pytest.raises(InputError, match="unknown evidence id None"):
        r.link_evidence("TS-3", None)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown checklist item 'TS-99'"):
        r.evidence_for("TS-99")
    assert r.links == {} and not [h for h in r.history if h["what"].startswith("link")]


def test_evidence_for_is_union_of_links_and_cited_answers():
    r = Review.new("t")
    e1, e2, e3 = (_evidence(r, v) for v in (0.1, 0.2, 0.3))
    r.link_evidence("TS-3", e2)
    r.set_answer("TS-3", "bo", "no", "marks missing", evidence=[e3, e2])
    r.set_answer("TS-3", "ana", "partly", "half marked", evidence=[e1])
    assert r.evidence_for("TS-3") == [e2, e1, e3]  # links first, then answers by reviewer name
    assert r.links == {"TS-3": [e2]}  # citing in an answer does not create a link


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_links_saved_losslessly(tmp_path, suffix):
    r = Review.new("t")
    e1, e2 = _evidence(r, 0.1), _evidence(r, 0.9, "audit.unlabelled_synthetic")
    r.link_evidence("TS-8", e2)
    r.link_evidence("TS-3", e2)
    r.link_evidence("TS-3", e1)
    path = r.save(tmp_path / f"r{suffix}")
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    assert data["links"] == {"TS-3": [e2, e1], "TS-8": [e2]}  # checklist order of items, link order kept
    assert data["schema_version"] == 1
    back = Review.load(path)
    assert back.links == r.links and back.evidence_for("TS-3") == [e2, e1]
    assert back.to_data() == r.to_data()


def test_old_file_without_links_loads_and_gains_them(tmp_path):
    r = Review.new("t")
    ev = _evidence(r, 0.5)
    r.set_answer("TS-3", "ana", "no", "x", evidence=[ev])
    path = r.save(tmp_path / "old.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["links"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    old = Review.load(path)
    assert old.links == {} and old.evidence_for("TS-3") == [ev]
    old.link_evidence("TS-5", ev, reviewer="ana")
    old.save()
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["links"] == {"TS-5": [ev]}


def test_links_of_items_no_longer_in_checklist_are_kept(tmp_path):
    r = Review.new("t")
    ev = _evidence(r, 0.5)
    path = r.save(tmp_path / "r.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["links"] = {"XX-9": [ev]}
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    loaded = Review.load(path)
    assert loaded.evidence_for("XX-9") == [ev]
    loaded.save()
    assert Review.load(path).links == {"XX-9": [ev]}


@pytest.mark.parametrize("links, message", [
    ("[TS-1]", r"field links: .* must be of type object"),
    ("{TS-1: ev-1}", r"field links.TS-1: 'ev-1' must be of type array"),
    ("{TS-1: [3]}", r"field links.TS-1.0: 3 must be of type string"),
])
def test_bad_links_field_is_a_schema_error(tmp_path, links, message):
    path = tmp_path / "r.yaml"
    path.write_text(f"schema_version: 1\nkind: misyn-lab-review\ntitle: t\nrevision: 1\nanswers: {{}}\n"
                    f"links: {links}\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=message):
        Review.load(path)


def test_merge_reviews_unites_links_in_any_order():
    reviews = []
    for name, picks in (("ana", [("TS-3", 0.1), ("TS-8", 0.2)]), ("bo", [("TS-3", 0.2)]), ("cy", [("TS-3", 0.1)])):
        r = Review.new(f"by {name}", reviewer=name)
        for item, value in picks:
            r.link_evidence(item, _evidence(r, value), reviewer=name)
        reviews.append(r)
    merged = [merge_reviews(*p).to_data() for p in itertools.permutations(reviews)]
    assert all(m == merged[0] for m in merged)
    e1, e2 = _evidence(Review.new(), 0.1), _evidence(Review.new(), 0.2)
    assert merged[0]["links"] == {"TS-3": sorted([e1, e2]), "TS-8": [e2]}
    assert set(merged[0]["evidence"]) == {e1, e2}


def test_concurrent_saves_keep_both_sessions_links(tmp_path):
    path = tmp_path / "r.yaml"
    base = Review.new("t")
    e0 = _evidence(base, 0.0)
    base.link_evidence("TS-3", e0)
    base.save(path)
    a, b = Review.load(path), Review.load(path)
    ea, eb = _evidence(a, 0.1), _evidence(b, 0.2)
    a.link_evidence("TS-3", ea, reviewer="ana")
    b.link_evidence("TS-3", eb, reviewer="bo")
    b.link_evidence("TS-8", eb, reviewer="bo")
    a.save()
    b.save()  # stale: three-way merge, no conflict for links
    final = Review.load(path)
    assert final.links == {"TS-3": [e0, ea, eb], "TS-8": [eb]}
    assert {f"link evidence {ea} to TS-3", f"link evidence {eb} to TS-8"} <= {h["what"] for h in final.history}
    assert final.conflicts == []


def test_three_way_links_respects_removal():
    base = {"TS-3": ["e0", "e1"]}
    ours = {"TS-3": ["e0"]}  # ours removed e1
    theirs = {"TS-3": ["e0", "e1", "e2"], "TS-8": ["e2"]}  # theirs added e2
    assert three_way_links(base, ours, theirs) == {"TS-3": ["e0", "e2"], "TS-8": ["e2"]}
    assert three_way_links(base, theirs, ours) == {"TS-3": ["e0", "e2"], "TS-8": ["e2"]}
    assert three_way_links({}, {"TS-1": ["x"]}, {}) == {"TS-1": ["x"]}
    assert three_way_links({"TS-1": ["x"]}, {}, {}) == {}
