"""Fault injection: a save killed mid-write, and several processes saving the same review at once."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from misyn_lab.checklist import Review
from misyn_lab.errors import ConflictError

FORK = multiprocessing.get_context("fork")  # children inherit the imported package: fast start


def _kill_child(path: str, marker: str) -> None:
    r = Review.load(path)
    for i in range(500):
        r.add_record("reader_answers", {"id": f"A{i}", "text": "x" * 1000})

    def slow_fsync(fd):  # the temp file is written; stall before it is renamed over the review
        Path(marker).touch()
        time.sleep(60)

    os.fsync = slow_fsync
    r.save()


def _save_child(path, item, reviewer, status, ready, go, out) -> None:
    r = Review.load(path)
    r.set_answer(item, reviewer, status, f"{reviewer} says {status}")
    Path(ready).touch()
    deadline = time.time() + 30
    while not os.path.exists(go) and time.time() < deadline:
        time.sleep(0.002)
    try:
        r.save()
    except ConflictError as exc:
        Path(out).write_text(str(exc), encoding="utf-8")
        os._exit(3)
    os._exit(0)


def _wait_for(paths, timeout=30.0):
    deadline = time.time() + timeout
    while not all(Path(p).exists() for p in paths):
        if time.time() > deadline:
            raise AssertionError(f"children did not get ready: {paths}")
        time.sleep(0.01)


def test_kill_during_save_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "review.yaml"
    r = Review.new("before the crash", reviewer="ana")
    r.set_answer("TS-1", "ana", "no", "unlabelled files")
    r.save(path)
    before = path.read_bytes()
    marker = tmp_path / "writing"
    child = FORK.Process(target=_kill_child, args=(str(path), str(marker)))
    child.start()
    try:
        _wait_for([marker])
        assert child.is_alive()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.join(timeout=30)
    assert child.exitcode == -signal.SIGKILL
    assert path.read_bytes() == before
    loaded = Review.load(path)
    assert loaded.answer("TS-1", "ana").justification == "unlabelled files"
    assert loaded.records("reader_answers") == [] and loaded.revision == 1
    visible = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert visible == ["review.yaml", "review.yaml.lock", "writing"]  # no stray file named like a review
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert all(n.endswith(".tmp") for n in leftovers)  # a torn temp file is never taken for the review
    loaded.set_answer("TS-2", "ana", "no", "after the crash")  # the lock died with the process
    loaded.save(timeout=5)
    assert Review.load(path).revision == 2


def _run_savers(tmp_path, path, jobs):
    go = tmp_path / "go"
    procs, ready, outs = [], [], []
    for i, (item, reviewer, status) in enumerate(jobs):
        ready.append(tmp_path / f"ready{i}")
        outs.append(tmp_path / f"out{i}")
        procs.append(FORK.Process(target=_save_child, args=(str(path), item, reviewer, status, str(ready[-1]),
                                                            str(go), str(outs[-1]))))
        procs[-1].start()
    try:
        _wait_for(ready)
        go.touch()
        for p in procs:
            p.join(timeout=60)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
    return [p.exitcode for p in procs], [o.read_text(encoding="utf-8") if o.exists() else "" for o in outs]


def test_concurrent_saves_lose_no_update(tmp_path):
    path = tmp_path / "review.yaml"
    Review.new("shared").save(path)
    jobs = [("EV-1", "ana", "no"), ("EV-2", "bo", "yes"), ("EV-3", "cy", "partly"), ("EV-1", "dee", "unanswered")]
    codes, _ = _run_savers(tmp_path, path, jobs)
    assert codes == [0, 0, 0, 0]
    final = Review.load(path)
    for item, reviewer, status in jobs:
        assert final.answer(item, reviewer).status == status
    assert final.revision == 1 + len(jobs)
    assert sorted(final.reviewers) == ["ana", "bo", "cy", "dee"]


def test_concurrent_same_answer_reports_conflict(tmp_path):
    path = tmp_path / "review.yaml"
    Review.new("shared").save(path)
    codes, outs = _run_savers(tmp_path, path, [("OV-2", "ana", "yes"), ("OV-2", "ana", "no")])
    assert sorted(codes) == [0, 3]
    loser = codes.index(3)
    assert "OV-2/ana" in outs[loser] and "keep_both" in outs[loser]
    winner_status = ["yes", "no"][1 - loser]
    final = Review.load(path)
    assert final.answer("OV-2", "ana").status == winner_status
    assert final.revision == 2


@pytest.mark.parametrize("bad", ["sideways", None])
def test_bad_save_arguments(tmp_path, bad):
    r = Review.new("t")
    if bad is None:
        with pytest.raises(Exception, match="no file to save to"):
            r.save()
    else:
        with pytest.raises(Exception, match="on_conflict must be 'raise' or 'keep_both'"):
            r.save(tmp_path / "r.yaml", on_conflict=bad)
