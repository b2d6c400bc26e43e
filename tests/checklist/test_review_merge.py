"""Merging: concurrent saves (three-way) and reviewer files (order-independent)."""

from __future__ import annotations

import itertools
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from misyn_lab.checklist import Review, load_checklist, merge_reviews
from misyn_lab.errors import ConflictError

IDS = list(load_checklist().ids)


def _two_sessions(tmp_path):
    path = tmp_path / "r.yaml"
    base = Review.new("shared")
    base.set_answer("TS-1", "ana", "no", "base")
    base.save(path)
    return path, Review.load(path), Review.load(path)


def test_stale_save_merges_other_reviewers_changes(tmp_path):
    path, a, b = _two_sessions(tmp_path)
    a.set_answer("TS-2", "ana", "yes", "declared")
    b.set_answer("TS-3", "bo", "no", "no marks")
    b.add_record("claims", {"id": "C1", "text": "x"})
    a.save()
    b.save()  # stale: merges a's change instead of overwriting it
    final = Review.load(path)
    assert final.answer("TS-2", "ana").status == "yes"
    assert final.answer("TS-3", "bo").status == "no"
    assert final.answer("TS-1", "ana").justification == "base"
    assert final.record("claims", "C1")["text"] == "x"
    assert final.revision == 3
    assert {"answer TS-2", "answer TS-3"} <= {h["what"] for h in final.history}
    assert b.to_data() == final.to_data()  # the saving object now holds the merged state


def test_same_reviewer_same_item_is_conflict(tmp_path):
    path, a, b = _two_sessions(tmp_path)
    a.set_answer("TS-1", "ana", "yes", "fixed in v2")
    b.set_answer("TS-1", "ana", "partly", "only some files")
    a.save()
    with pytest.raises(ConflictError, match=r"r.yaml: the same answer was changed .*TS-1/ana"):
        b.save()
    assert Review.load(path).answer("TS-1", "ana").status == "yes"  # nothing written on conflict
    assert b.answer("TS-1", "ana").status == "partly"  # and the unsaved session is intact


def test_keep_both_records_conflict(tmp_path):
    path, a, b = _two_sessions(tmp_path)
    a.set_answer("TS-1", "ana", "yes", "fixed in v2")
    b.set_answer("TS-1", "ana", "partly", "only some files")
    a.save()
    b.save(on_conflict="keep_both")
    final = Review.load(path)
    assert final.conflicted() == [("TS-1", "ana")]
    alts = final.conflicts[0]["alternatives"]
    assert sorted(x["status"] for x in alts) == ["partly", "yes"]
    assert any(h["what"] == "conflict TS-1/ana" for h in final.history)
    assert final.summary().conflicted == (("TS-1", "ana"),)
    final.set_answer("TS-1", "ana", "yes", "agreed after discussion")  # answering again resolves it
    assert final.conflicted() == []


def test_record_field_merge_and_conflict(tmp_path):
    path = tmp_path / "r.yaml"
    r = Review.new("t")
    r.add_record("claims", {"id": "C1", "text": "t", "verdict": "open"})
    r.save(path)
    a, b = Review.load(path), Review.load(path)
    a.update_record("claims", "C1", verdict="supported")
    b.update_record("claims", "C1", test="t-test")
    a.save()
    b.save()
    assert Review.load(path).record("claims", "C1") == {"id": "C1", "text": "t", "verdict": "supported",
                                                        "test": "t-test"}
    c, d = Review.load(path), Review.load(path)
    c.update_record("claims", "C1", verdict="refuted")
    d.update_record("claims", "C1", verdict="unclear")
    c.save()
    with pytest.raises(ConflictError, match="claims C1.verdict"):
        d.save()


def test_new_review_saved_over_existing_file_merges(tmp_path):
    path = tmp_path / "r.yaml"
    first = Review.new("t")
    first.set_answer("EV-1", "ana", "no", "model space only")
    first.save(path)
    other = Review.new("t")
    other.set_answer("EV-2", "bo", "no", "unbacked")
    other.save(path)
    final = Review.load(path)
    assert final.answer("EV-1", "ana") is not None and final.answer("EV-2", "bo") is not None


def _reviewer_file(name, picks, stamp):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = Review.new(f"review by {name}", reviewer=name)
        for item, status, why in picks:
            r.set_answer(item, name, status, why if why.strip() else "reason")
        r.add_record("claims", {"id": "C1", f"note_{name}": why if picks else "", "shared": len(picks)})
        ev = r.add_evidence({"key": "k", "value": len(picks)})
        for item, _, _ in picks[:2]:
            r.link_evidence(item, ev, reviewer=name)
    return r


statuses = st.sampled_from(["yes", "partly", "no", "not_applicable", "unknown"])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ana", "bo", "ana"]),
                          st.lists(st.tuples(st.sampled_from(IDS[:6]), statuses, st.text(max_size=5)), max_size=4)),
                min_size=1, max_size=3))
def test_merge_is_order_independent(spec):
    reviews = [_reviewer_file(name, picks, i) for i, (name, picks) in enumerate(spec)]
    results = [merge_reviews(*perm).to_data() for perm in itertools.permutations(reviews)]
    assert all(r == results[0] for r in results)
    merged = results[0]
    # nothing lost: every answer of every input is current or kept as a conflict alternative
    for rv in reviews:
        for item, per in rv.to_data()["answers"].items():
            for who, ans in per.items():
                current = merged["answers"][item][who]
                alts = [c for c in merged["conflicts"] if c.get("item") == item and c.get("reviewer") == who]
                assert ans == current or any(ans in c["alternatives"] for c in alts)
        for item, ids in rv.to_data()["links"].items():  # links: union, none lost
            assert set(ids) <= set(merged["links"][item])
    assert merged["links"] == {item: sorted({e for rv in reviews for e in rv.links.get(item, [])})
                               for item in sorted({i for rv in reviews for i in rv.links})}


def test_merge_two_reviewers_shows_disagreements():
    a = _reviewer_file("ana", [("PF-1", "no", "tech-driven"), ("PF-2", "yes", "listed")], 0)
    b = _reviewer_file("bo", [("PF-1", "yes", "clinical"), ("PF-2", "yes", "listed")], 1)
    m = merge_reviews(a, b)
    assert m.reviewers == ["ana", "bo"]
    dis = m.disagreements()
    assert list(dis["item"]) == ["PF-1"]
    assert dis.iloc[0]["ana"] == "no" and dis.iloc[0]["bo"] == "yes"
    assert m.conflicted() == []
    assert m.record("claims", "C1")["note_ana"] == "listed" and m.record("claims", "C1")["note_bo"] == "listed"
    assert m.title == "review by ana | review by bo"
    assert merge_reviews(m, a).to_data()["answers"] == m.to_data()["answers"]  # merging again adds nothing


ops = st.lists(st.tuples(st.sampled_from(IDS[:8]), st.sampled_from(["yes", "partly", "no", "unanswered"])),
               max_size=5)


@settings(max_examples=25, deadline=None)
@given(ops_a=ops, ops_b=ops, a_first=st.booleans())
def test_interleaved_saves_never_lose_updates(tmp_path_factory, ops_a, ops_b, a_first):
    path = tmp_path_factory.mktemp("three_way") / "r.yaml"
    base = Review.new("t")
    base.set_answer("OV-1", "a", "no", "base answer")
    base.add_record("limitations", {"id": "L0", "text": "base"})
    base.save(path)
    a, b = Review.load(path), Review.load(path)
    for session, name, picks in ((a, "a", ops_a), (b, "b", ops_b)):
        for i, (item, status) in enumerate(picks):
            session.set_answer(item, name, status, f"{name}{i}")
            session.add_record("limitations", {"id": f"{name}{i}", "text": item})
            session.link_evidence(item, session.add_evidence({"key": "k", "value": i, "by": name}), reviewer=name)
        session.update_record("limitations", "L0", **{f"seen_by_{name}": True})
    first, second = (a, b) if a_first else (b, a)
    first.save()
    second.save()
    final = Review.load(path)
    for session, name in ((a, "a"), (b, "b")):
        for item, per in session.answers.items():
            if name in per:
                assert final.answer(item, name) == per[name]
    ids = {r["id"] for r in final.records("limitations")}
    assert ids == {"L0"} | {f"a{i}" for i in range(len(ops_a))} | {f"b{i}" for i in range(len(ops_b))}
    assert final.record("limitations", "L0") == {"id": "L0", "text": "base", "seen_by_a": True, "seen_by_b": True}
    for session in (a, b):
        for item, ids in session.links.items():
            assert set(ids) <= set(final.evidence_for(item)) and set(ids) <= set(final.evidence)
    assert final.revision == 3 and final.conflicted() == []
