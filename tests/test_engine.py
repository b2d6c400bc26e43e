"""The engine: chunk order kept, shared arguments, per-worker values (PerWorker), in-process and on a 2-worker local
Dask cluster, bad input."""

from __future__ import annotations

import builtins
import functools
import os
import threading
import uuid
from collections import Counter

import pytest

from misyn_lab import engine as eng
from misyn_lab.engine import Engine, PerWorker, check_scheduler, chunked, map_chunks, require_distributed
from misyn_lab.errors import InputError


def add_and_tag(chunk, *, add=0, batch_size=None):
    """A task: a module-level function (workers import it); returns the worker's pid to show where it ran."""
    return [x + add for x in chunk], os.getpid(), batch_size


def failing(chunk):
    raise InputError(f"bad chunk {chunk}", path="chunk", remedy="fix it")


def test_chunked_cuts_in_order():
    assert chunked(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert chunked([], 3) == []
    with pytest.raises(InputError, match="chunk size must be a positive integer, got 0"):
        chunked([1], 0)


@pytest.mark.parametrize("given, expected", [
    (None, None), ("", None), ("local", "local"), ("10.0.0.5:8786", "tcp://10.0.0.5:8786"),
    ("tcp://sched:8786", "tcp://sched:8786"), ("inproc://host/1/2", "inproc://host/1/2"),
])
def test_scheduler_values(given, expected):
    assert check_scheduler(given) == expected


@pytest.mark.parametrize("bad", ["bad addr", "http:/x", "localhost", 8786])
def test_bad_scheduler_is_one_line_input_error(bad):
    with pytest.raises(InputError) as err:
        check_scheduler(bad, where="--scheduler")
    assert str(err.value).startswith("--scheduler: ") and "\n" not in str(err.value)


def test_in_process_map_keeps_order_and_shared_arguments():
    seen = []
    out = map_chunks(add_and_tag, [[1, 2], [3], [4, 5, 6]], shared={"add": 10, "batch_size": 7},
                     progress=lambda i, r: seen.append(i))
    assert [r[0] for r in out] == [[11, 12], [13], [14, 15, 16]]
    assert {r[1] for r in out} == {os.getpid()} and {r[2] for r in out} == {7}
    assert seen == [0, 1, 2]
    assert Engine().describe() == "this process" and not Engine().distributed


def test_missing_dask_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'", name="distributed")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(InputError) as err:
        Engine("local")
    assert str(err.value) == ("scheduler: Dask is not installed (distributed missing), so work cannot run past this "
                              'process (fix: pip install "misyn-lab[scale]", or run without --scheduler)')
    with pytest.raises(InputError, match="misyn-lab\\[scale\\]"):
        require_distributed()
    assert map_chunks(add_and_tag, [[1]])[0][0] == [1]  # without a scheduler nothing needs Dask


def test_bad_n_workers():
    with pytest.raises(InputError, match="n_workers must be a positive integer, got 0"):
        Engine(None, n_workers=0)


def test_local_cluster_runs_chunks_in_worker_processes_in_order(dask_engine):
    assert dask_engine.distributed and dask_engine.describe().startswith("local Dask cluster (2 worker")
    chunks = [[i, i + 1] for i in range(0, 40, 2)]
    done = []
    out = dask_engine.map(add_and_tag, chunks, shared={"add": 1, "batch_size": 3},
                          progress=lambda i, r: done.append(i))
    assert [r[0] for r in out] == [[i + 1, i + 2] for i in range(0, 40, 2)]
    assert os.getpid() not in {r[1] for r in out}
    assert sorted(done) == list(range(20)) and {r[2] for r in out} == {3}


def test_task_errors_reach_the_caller(dask_engine):
    with pytest.raises(InputError, match=r"bad chunk \[1\]"):
        dask_engine.map(failing, [[1]])


def test_unreachable_scheduler_is_an_input_error(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(eng, "_CONNECT_TIMEOUT", "1s")
    with pytest.raises(InputError) as err:
        map_chunks(add_and_tag, [[1]], scheduler="127.0.0.1:9")
    assert str(err.value).startswith("tcp://127.0.0.1:9: cannot reach the Dask scheduler")
    assert "dask scheduler" in err.value.remedy


# ------------------------------------------------------------------------------------------------ PerWorker
#: Builds per tag in THIS process (each worker process has its own copy of this module, hence its own counts).
_BUILDS: Counter = Counter()


def build_tagged(tag):
    """A PerWorker build function: counts its builds per tag in the process that runs it."""
    _BUILDS[tag] += 1
    return os.getpid(), _BUILDS[tag], tag


def seen_value(chunk, *, value):
    """A task returning the pid it ran in and the built value it received."""
    return os.getpid(), value, len(chunk)


def kept_values():
    """What this worker process keeps: ``{build name: token}``."""
    return {name: token for name, (token, _value) in eng._BUILT.items()}


def test_per_worker_builds_once_per_worker_process_however_many_chunks(dask_engine):
    tag = uuid.uuid4().hex
    recipe = PerWorker(build_tagged, tag)
    chunks = [[i] * (i % 3 + 1) for i in range(60)]
    out = dask_engine.map(seen_value, chunks, shared={"value": recipe})
    assert [n for _pid, _value, n in out] == [len(c) for c in chunks]
    assert all(value == (pid, 1, tag) for pid, value, _n in out)  # built in the worker itself, once there
    assert os.getpid() not in {pid for pid, _v, _n in out} and _BUILDS[tag] == 0  # never built here
    again = dask_engine.map(seen_value, chunks[:10], shared={"value": recipe})  # kept for the next map
    assert all(value == (pid, 1, tag) for pid, value, _n in again)


def test_per_worker_keeps_only_the_latest_value_per_build_function(dask_engine):
    first, second = PerWorker(build_tagged, uuid.uuid4().hex), PerWorker(build_tagged, uuid.uuid4().hex)
    dask_engine.map(seen_value, [[1]] * 8, shared={"value": first})
    out = dask_engine.map(seen_value, [[1]] * 8, shared={"value": second})
    assert {value[2] for _pid, value, _n in out} == {second.args[0]}
    kept = dask_engine._ready().run(kept_values)
    assert len(kept) == 2 and all(k[second.name] == second.token for k in kept.values())
    assert first.token != second.token


def test_warm_builds_on_every_worker_before_the_first_task(dask_engine):
    tag = uuid.uuid4().hex
    recipe = PerWorker(build_tagged, tag)
    dask_engine.start(preload=["json"], warm=[recipe])
    kept = dask_engine._ready().run(kept_values)  # _ready waits for the start, warm included
    assert len(kept) == 2 and all(k[recipe.name] == recipe.token for k in kept.values())
    out = dask_engine.map(seen_value, [[1]] * 20, shared={"value": recipe})
    assert {value[1] for _pid, value, _n in out} == {1}  # no task built it again


def test_a_failing_build_reaches_the_caller(dask_engine):
    with pytest.raises(InputError, match=r"bad chunk \['boom'\]"):
        dask_engine.map(seen_value, [[1], [2]], shared={"value": PerWorker(failing, ["boom"])})
    dask_engine.start(warm=[PerWorker(failing, ["warm"])])
    with pytest.raises(InputError, match=r"bad chunk \['warm'\]"):
        dask_engine.map(seen_value, [[1]])
    assert dask_engine.map(add_and_tag, [[1]])[0][0] == [1]  # the engine still works after the failure


def test_per_worker_in_this_process_builds_once_per_map_call():
    tag = uuid.uuid4().hex
    recipe = PerWorker(build_tagged, tag)
    with Engine() as engine:
        out = engine.map(seen_value, [[1], [2, 3], [4]], shared={"value": recipe})
        assert [value for _pid, value, _n in out] == [(os.getpid(), 1, tag)] * 3
        out = engine.map(seen_value, [[1], [2]], shared={"value": recipe})
        assert [value for _pid, value, _n in out] == [(os.getpid(), 2, tag)] * 2  # not kept between calls
    assert _BUILDS[tag] == 2 and tag not in str(eng._BUILT)


def _inner():
    def inner():
        return 1
    return inner


@pytest.mark.parametrize("build, name", [(lambda: 1, "<lambda>"), (_inner(), "_inner.<locals>.inner"),
                                         (Engine.describe, "Engine.describe"),
                                         (functools.partial(build_tagged, "x"), "a partial object")])
def test_per_worker_refuses_a_function_workers_cannot_import(build, name):
    with pytest.raises(InputError) as err:
        PerWorker(build)
    assert str(err.value) == (f"build: PerWorker needs a module-level function (workers import it by name), got "
                              f"{name} (fix: define the build function at the top level of a module)")


def test_per_worker_refuses_arguments_that_cannot_be_pickled():
    with pytest.raises(InputError) as err:
        PerWorker(build_tagged, threading.Lock())
    assert str(err.value) == ("args: the arguments of tests.test_engine.build_tagged cannot be sent to workers (cannot "
                              "pickle '_thread.lock' object) (fix: pass plain values (paths, numbers, tuples), not "
                              "open objects)")


def test_warm_takes_only_recipes(dask_engine):
    with pytest.raises(InputError, match="warm takes PerWorker recipes, got function"):
        dask_engine.start(warm=[build_tagged])


# ------------------------------------------------------------------------------------------------ work_here
def slow_value(chunk, *, value):
    """A task long enough (20 ms) for the worker to get chunks while this process works through its own."""
    import time

    time.sleep(0.02)
    if chunk == ["fail"]:
        raise InputError("bad chunk ['fail']", path="chunk")
    return os.getpid(), value, len(chunk)


@pytest.fixture(scope="module")
def here_engine():
    """A local cluster of one worker process, this process being the other worker (work_here)."""
    pytest.importorskip("distributed", reason='needs pip install "misyn-lab[scale]"')
    with Engine("local", n_workers=1, work_here=True) as engine:
        yield engine


def test_work_here_shares_the_chunks_with_the_workers_in_order(here_engine):
    tag = uuid.uuid4().hex
    recipe = PerWorker(build_tagged, tag)
    here_engine.start(warm=[recipe])
    chunks = [[i] * (i % 4 + 1) for i in range(150)]
    done: list[int] = []
    out = here_engine.map(slow_value, chunks, shared={"value": recipe}, progress=lambda i, _r: done.append(i))
    assert [n for _pid, _value, n in out] == [len(c) for c in chunks] and sorted(done) == list(range(150))
    pids = Counter(pid for pid, _value, _n in out)
    assert os.getpid() in pids and len(pids) == 2  # this process and the worker both took chunks
    assert all(value == (pid, 1, tag) for pid, value, _n in out)  # each built its own value, once
    assert _BUILDS[tag] == 1  # here: once for the engine
    again = here_engine.map(slow_value, chunks[:30], shared={"value": recipe})
    assert all(value[1] == 1 for _pid, value, _n in again) and _BUILDS[tag] == 1  # kept while the engine is open


def _then_in_caller(i, result):
    """A ``then`` step: runs in the calling process, sees each chunk's position and result."""
    return (i, os.getpid(), result)


@pytest.mark.parametrize("where", ["this process", "workers", "here and workers"])
def test_then_runs_in_the_calling_process_for_every_chunk_in_order(where, dask_engine, here_engine):
    engine = {"this process": Engine(), "workers": dask_engine, "here and workers": here_engine}[where]
    chunks = [[k] for k in range(40)]
    done: list[tuple] = []
    out = engine.map(slow_value, chunks, shared={"value": 5}, then=_then_in_caller,
                     progress=lambda i, r: done.append((i, r)))
    assert [i for i, _pid, _r in out] == list(range(40))
    assert {pid for _i, pid, _r in out} == {os.getpid()}  # then: always here
    assert [r[2] for _i, _pid, r in out] == [1] * 40 and all(r[1] == 5 for _i, _pid, r in out)
    assert sorted(done) == sorted((r[0], r) for r in out)  # progress sees what then returned
    if where != "this process":
        assert any(r[0] != os.getpid() for _i, _pid, r in out)  # some chunks ran on a worker


def test_work_here_raises_a_failing_chunk_wherever_it_ran(here_engine):
    for where in (0, 60):  # the first chunk runs here; a late one may run on the worker
        chunks = [[i] for i in range(80)]
        chunks[where] = ["fail"]
        with pytest.raises(InputError, match=r"bad chunk \['fail'\]"):
            here_engine.map(slow_value, chunks, shared={"value": 1})
    assert [n for _p, _v, n in here_engine.map(slow_value, [[1], [2, 2]], shared={"value": 1})] == [1, 2]


def test_work_here_values_are_released_when_the_engine_closes():
    pytest.importorskip("distributed", reason='needs pip install "misyn-lab[scale]"')
    tag = uuid.uuid4().hex
    engine = Engine("local", n_workers=1, work_here=True)
    with engine:
        engine.map(slow_value, [[1]] * 3, shared={"value": PerWorker(build_tagged, tag)})
        assert tag in str(engine._here)
    assert engine._here == {}
