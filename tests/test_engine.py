"""The engine: chunk order kept, shared arguments, ``then`` in the calling process, this process working too
(work_here), in-process, under Dask's multiprocessing scheduler and on a 2-worker local Dask cluster, bad input."""

from __future__ import annotations

import os
import sys
from collections import Counter

import pytest

from misyn_lab import engine as eng
from misyn_lab.engine import Engine, check_scheduler, chunked, map_chunks, require_dask
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
    (None, None), ("", None), ("local", "local"), (" processes", "processes"), ("10.0.0.5:8786", "tcp://10.0.0.5:8786"),
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
    assert Engine().describe() == "this process" and not Engine().other_processes


def test_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # what `import` sees when a package is not installed
    with pytest.raises(InputError) as err:
        Engine("local")
    assert str(err.value) == ("scheduler: Dask is not installed (distributed missing), so work cannot run past this "
                              'process (fix: pip install "misyn-lab[scale]", or run without --scheduler)')
    assert require_dask("processes").__name__ == "dask.multiprocessing"  # the multiprocessing scheduler: dask only
    monkeypatch.setitem(sys.modules, "dask.multiprocessing", None)
    with pytest.raises(InputError) as err:
        require_dask("processes", "workers", instead="use --workers 1")
    assert str(err.value) == ("workers: Dask is not installed (dask.multiprocessing missing), so work cannot run past "
                              'this process (fix: pip install "misyn-lab[scale]", or use --workers 1)')
    assert map_chunks(add_and_tag, [[1]])[0][0] == [1]  # without a scheduler nothing needs Dask


def test_bad_n_workers_and_work_here_off_the_multiprocessing_scheduler():
    with pytest.raises(InputError, match="n_workers must be a positive integer, got 0"):
        Engine(None, n_workers=0)
    with pytest.raises(ValueError, match="work_here needs scheduler='processes', not 'local'"):
        Engine("local", work_here=True)


def test_local_cluster_runs_chunks_in_worker_processes_in_order(dask_engine):
    assert dask_engine.other_processes and dask_engine.describe().startswith("local Dask cluster (2 worker")
    chunks = [[i, i + 1] for i in range(0, 40, 2)]
    done = []
    out = dask_engine.map(add_and_tag, chunks, shared={"add": 1, "batch_size": 3},
                          progress=lambda i, r: done.append(i))
    assert [r[0] for r in out] == [[i + 1, i + 2] for i in range(0, 40, 2)]
    assert os.getpid() not in {r[1] for r in out}
    assert sorted(done) == list(range(20)) and {r[2] for r in out} == {3}


def test_task_errors_reach_the_caller(dask_engine, processes_engine):
    for engine in (dask_engine, processes_engine):
        with pytest.raises(InputError, match=r"bad chunk \[1\]"):
            engine.map(failing, [[1]])


# ------------------------------------------------------------------------------ the multiprocessing scheduler
def echo(chunk):
    """A task that returns its chunk and where it ran."""
    return chunk, os.getpid()


def test_processes_run_chunks_in_worker_processes_in_order(processes_engine):
    assert processes_engine.other_processes
    assert processes_engine.describe() == "Dask multiprocessing scheduler (2 worker processes)"
    chunks = [[i, i + 1] for i in range(0, 40, 2)]
    done = []
    out = processes_engine.map(add_and_tag, chunks, shared={"add": 1, "batch_size": 3},
                               progress=lambda i, r: done.append(i))
    assert [r[0] for r in out] == [[i + 1, i + 2] for i in range(0, 40, 2)]
    assert os.getpid() not in {r[1] for r in out}  # every chunk ran in a worker process
    assert sorted(done) == list(range(20)) and {r[2] for r in out} == {3}


def apply_to_each(chunk, *, step):
    return [step(x) for x in chunk]


@pytest.mark.parametrize("where", ["here", "cluster", "processes", "processes and this process"])
def test_a_closure_travels_as_a_shared_argument_on_every_engine(where, dask_engine, processes_engine, here_engine):
    """``shared`` values reach worker processes through cloudpickle, as on the cluster: a lambda (not importable by
    name) works wherever the chunks run."""
    offset = 10
    engine = {"here": Engine(), "cluster": dask_engine, "processes": processes_engine,
              "processes and this process": here_engine}[where]
    chunks = [[i, i + 1] for i in range(0, 12, 2)]
    out = engine.map(apply_to_each, chunks, shared={"step": lambda x: x + offset})
    assert out == [[i + 10, i + 11] for i in range(0, 12, 2)]


def test_processes_never_read_a_chunk_as_dask_tasks_or_keys(processes_engine):
    """A chunk of tuples is data: Dask would run ``(len, "abc")`` as a task or swap a key for its value."""
    key_like = (f"misyn-chunk-{0:x}", 0)
    chunks = [[(len, "abc")], [key_like], [("a", 1), ("b", 2)]]
    assert [c for c, _pid in processes_engine.map(echo, chunks)] == chunks


def blas_threads_and_modules(chunk):
    """A task: the BLAS threads a worker process runs with (NumPy's BLAS loaded now, after the start), and whether a
    preloaded module is there."""
    import numpy  # noqa: F401 - loads its BLAS library
    from threadpoolctl import threadpool_info

    return ({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"},
            "colorsys" in sys.modules, os.environ.get("OPENBLAS_NUM_THREADS"))


def test_processes_start_with_one_blas_thread_and_the_preloaded_modules():
    pytest.importorskip("dask", reason='needs pip install "misyn-lab[scale]"')
    with Engine("processes", n_workers=1) as engine:
        engine.start(preload=["colorsys"])
        [(threads, preloaded, env)] = engine.map(blas_threads_and_modules, [[1]])
    assert threads == {1} and preloaded and env == "1"


def die(chunk):
    """A task that kills its worker process (as the kernel's OOM killer would)."""
    os._exit(3)


def test_a_dead_worker_process_is_one_input_error_and_the_engine_goes_on():
    pytest.importorskip("dask", reason='needs pip install "misyn-lab[scale]"')
    with Engine("processes", n_workers=1) as engine:
        with pytest.raises(InputError) as err:
            engine.map(die, [[1], [2]])
        assert str(err.value).startswith("workers: local Dask worker processes could not start or died "
                                         "(BrokenProcessPool:")
        assert "__main__" in err.value.remedy
        assert engine.map(add_and_tag, [[1]])[0][0] == [1]  # new worker processes for the next map


def test_unreachable_scheduler_is_an_input_error(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(eng, "_CONNECT_TIMEOUT", "1s")
    with pytest.raises(InputError) as err:
        map_chunks(add_and_tag, [[1]], scheduler="127.0.0.1:9")
    assert str(err.value).startswith("tcp://127.0.0.1:9: cannot reach the Dask scheduler")
    assert "dask scheduler" in err.value.remedy


def test_preload_imports_on_every_worker_and_a_failed_start_reaches_the_caller(dask_engine, monkeypatch):
    dask_engine.start(preload=["json"])
    assert set(dask_engine._ready().run(lambda: "json" in __import__("sys").modules).values()) == {True}
    dask_engine.start(preload=["misyn_lab_no_such_module"])
    with pytest.raises(ModuleNotFoundError, match="misyn_lab_no_such_module"):
        dask_engine.map(add_and_tag, [[1]])
    assert dask_engine.map(add_and_tag, [[1]])[0][0] == [1]  # the engine still works after the failure


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
    """One worker process under Dask's multiprocessing scheduler, this process being the other worker
    (work_here)."""
    pytest.importorskip("dask", reason='needs pip install "misyn-lab[scale]"')
    with Engine("processes", n_workers=1, work_here=True) as engine:
        assert engine.describe() == "Dask multiprocessing scheduler (1 worker process and this process)"
        yield engine


def test_work_here_shares_the_chunks_with_the_workers_in_order(here_engine):
    chunks = [[i] * (i % 4 + 1) for i in range(150)]
    done: list[int] = []
    out = here_engine.map(slow_value, chunks, shared={"value": 7}, progress=lambda i, _r: done.append(i))
    assert [n for _pid, _value, n in out] == [len(c) for c in chunks] and sorted(done) == list(range(150))
    pids = Counter(pid for pid, _value, _n in out)
    assert os.getpid() in pids and len(pids) == 2  # this process and the worker both took chunks
    assert {value for _pid, value, _n in out} == {7}


def _then_in_caller(i, result):
    """A ``then`` step: runs in the calling process, sees each chunk's position and result."""
    return (i, os.getpid(), result)


@pytest.mark.parametrize("where", ["this process", "cluster", "processes", "here and workers"])
def test_then_runs_in_the_calling_process_for_every_chunk_in_order(where, dask_engine, processes_engine,
                                                                   here_engine):
    engine = {"this process": Engine(), "cluster": dask_engine, "processes": processes_engine,
              "here and workers": here_engine}[where]
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


# ------------------------------------------------------------------------------ prepare: then's input, built meanwhile
def timed(chunk):
    """A 50 ms task that says where it ran and when (wall clock, comparable across the processes of this machine)."""
    import time

    start = time.time()
    time.sleep(0.05)
    return os.getpid(), start, time.time()


@pytest.mark.parametrize("where", ["this process", "cluster", "processes", "here and workers"])
def test_prepare_returns_before_any_then_while_other_processes_take_chunks(where, dask_engine, processes_engine,
                                                                          here_engine):
    """``prepare`` (the audit's index) is built while the workers already examine: no ``then``/``progress`` sees a
    chunk before it has returned, results stay in chunk order, and this process takes no chunk meanwhile."""
    import time

    engine = {"this process": Engine(), "cluster": dask_engine, "processes": processes_engine,
              "here and workers": here_engine}[where]
    prepared: dict[str, float] = {}

    def prepare():
        time.sleep(0.6)
        prepared["at"] = time.time()

    def then(i, result):
        assert "at" in prepared, "then ran before prepare returned"
        return i, result

    seen: list[int] = []
    out = engine.map(timed, [[k] for k in range(24)], then=then, prepare=prepare,
                     progress=lambda i, _r: seen.append(i))
    assert [i for i, _r in out] == list(range(24)) and sorted(seen) == list(range(24))
    ended = prepared["at"]
    if where == "this process":
        assert all(start >= ended for _pid, start, _end in (r for _i, r in out))  # prepare simply ran first
        return
    assert any(end < ended for _pid, _start, end in (r for _i, r in out))  # workers took chunks meanwhile
    here = [start for pid, start, _end in (r for _i, r in out) if pid == os.getpid()]
    assert all(start >= ended - 0.01 for start in here)  # this process only once prepare was done
    if where == "here and workers":
        assert here  # ... and then it took some


def _broken_prepare():
    raise InputError("cannot build the index", path="registry.sqlite", remedy="fix it")


@pytest.mark.parametrize("where", ["this process", "cluster", "processes", "here and workers"])
def test_a_failing_prepare_is_raised_and_the_engine_goes_on(where, dask_engine, processes_engine, here_engine):
    engine = {"this process": Engine(), "cluster": dask_engine, "processes": processes_engine,
              "here and workers": here_engine}[where]
    then_calls: list[int] = []
    with pytest.raises(InputError, match="cannot build the index"):
        engine.map(timed, [[k] for k in range(8)], prepare=_broken_prepare, then=lambda i, r: then_calls.append(i))
    assert then_calls == []  # nothing was settled without what prepare should have built
    assert len(engine.map(timed, [[1], [2]])) == 2


def test_an_interrupted_map_does_not_wait_for_prepare():
    """Ctrl-C during a map on worker processes is raised at once, not after ``prepare`` (a registry index can take
    seconds to build); the helper thread is left to finish on its own."""
    import signal
    import threading
    import time

    pytest.importorskip("dask", reason='needs pip install "misyn-lab[scale]"')
    state = {"finished": False}

    def prepare():
        time.sleep(5)
        state["finished"] = True

    with Engine("processes", n_workers=1, work_here=True) as engine:
        engine.map(timed, [[0]])  # the worker process is up
        main = threading.main_thread().ident
        timer = threading.Timer(0.5, lambda: signal.pthread_kill(main, signal.SIGINT))
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                engine.map(timed, [[k] for k in range(200)], prepare=prepare, then=lambda i, r: r)
        finally:
            timer.cancel()
        assert not state["finished"]  # raised while prepare was still running


class _InterruptedPool:
    """A pool whose shutdown is interrupted by a second Ctrl-C while it waits for its processes."""

    def __init__(self, processes):
        self._processes = {p.pid: p for p in processes}

    def shutdown(self, wait=True, cancel_futures=False):
        raise KeyboardInterrupt


def test_a_second_ctrl_c_while_workers_stop_terminates_them():
    """Interrupted while waiting for its worker processes, closing stops them instead of leaving them to wait for
    work (the interpreter would wait for them at exit: `misyn-lab audit --workers 2` hung after Ctrl-C twice)."""
    import multiprocessing
    import time

    process = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(60,), daemon=True)
    process.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            eng._stop_pool(_InterruptedPool([process]))
        process.join(20)
        assert not process.is_alive()
    finally:
        if process.is_alive():
            process.kill()
