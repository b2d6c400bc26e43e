"""The engine: chunk order kept, shared arguments, in-process and on a 2-worker local Dask cluster, bad input."""

from __future__ import annotations

import builtins
import os

import pytest

from misyn_lab import engine as eng
from misyn_lab.engine import Engine, check_scheduler, chunked, map_chunks, require_distributed
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
