"""Run one function over chunks of work: in this process, in worker processes of this machine, or on a Dask cluster.

The one place where work leaves the current process (DESIGN.md: "past one process, work runs on Dask"). Callers
cut their work into CHUNKS (hundreds of files or images each: per-item tasks cost more in scheduling than they
save) and call :meth:`Engine.map`; results come back in chunk order, so a chunked run returns exactly what the
single-process run returns.

``scheduler``:

* ``None`` — every chunk runs here, one after another (no Dask needed);
* ``"processes"`` — Dask's multiprocessing scheduler (:func:`dask.local.get_async` over a pool of *spawned*
  worker processes with one BLAS thread each, fed through pipes: no cluster, no network port, no status page);
  with ``work_here`` this process takes chunks too. What ``--workers N`` alone uses: in 3 alternated rounds of a
  parallel audit of 20,000 files on 2 cores it took 21-25 s of CPU against 24-26 s on a one-worker local cluster
  (whose scheduler, nanny and worker event loops make the difference), wall times equal within the noise
  (``benchmarks/results/scale.md`` has the ratios to one process);
* ``"local"`` — a ``dask.distributed.LocalCluster`` on this machine: worker *processes* (one thread each, so
  NumPy/BLAS and the GIL-holding Python parts of a task run side by side), bound to 127.0.0.1 only (its status
  page on a free loopback port), with the settings of :data:`LOCAL_CLUSTER`;
* an address (``"tcp://host:8786"`` or ``"host:8786"``) — a running ``dask scheduler``; its workers must have
  misyn-lab installed.

Data every chunk needs (settings, a small model) reach the workers through ``shared=``: on a cluster sent to each
worker once, not with every task; with ``"processes"`` pickled with every task (keep it small). What only the
calling process should hold (an audit's registry index) stays there: the workers return what they computed and
``then=`` finishes each chunk in the calling process as it comes back; ``prepare=`` builds what ``then`` needs in
the calling process while the workers take the first chunks.

Dask is an optional dependency: ``pip install "misyn-lab[scale]"``. Asking for a scheduler without it raises a
one-line :class:`~misyn_lab.errors.InputError` naming the extra. This module imports nothing from the rest of
the package except the errors (it is a leaf every station may use).
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import partial
from typing import Any

from threadpoolctl import threadpool_limits

from misyn_lab.errors import InputError

#: How to get the optional dependencies (named in every error about them).
SCALE_EXTRA = 'pip install "misyn-lab[scale]"'
#: What ``--scheduler`` accepts, for help texts.
SCHEDULER_HELP = ("run chunked tasks on Dask: 'processes' runs worker processes of this machine under Dask's "
                  "multiprocessing scheduler, 'local' starts a Dask cluster on this machine (with a status page), "
                  "HOST:PORT (or tcp://HOST:PORT) uses a running dask scheduler; default: this process only "
                  f"(needs {SCALE_EXTRA})")
#: The ``scheduler`` value of Dask's multiprocessing scheduler (no cluster).
PROCESSES = "processes"

#: Dask settings of a local cluster, measured on 2 cores with a parallel audit of 20,000 files (alternated pairs):
#:
#: * no sampling profiler in the workers, the event loops' latency and system monitors looked at less often (each
#:   wake-up takes the GIL from a chunk's work): 2-11 % faster in each of 4 pairs; the status page still works,
#:   without its profiles;
#: * worker processes start with one BLAS/OpenMP thread, as Dask's default, but without Dask's
#:   ``MALLOC_TRIM_THRESHOLD_=65536``: per file the audit allocates and frees arrays of 64 KiB and more, which that
#:   setting hands back to the system and page-faults back in: the worker's CPU per file fell from 0.76-0.81 ms to
#:   0.69-0.70 ms in 2 of 2 pairs.
LOCAL_CLUSTER = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
}
#: How long to wait for a scheduler given by address.
_CONNECT_TIMEOUT = "20s"
_ADDRESS = re.compile(r"^(?:(tcp|tls|inproc|ucx|ws|wss)://)?[^\s/:]+(?::\d{1,5})$|^inproc://\S+$")


def check_scheduler(scheduler: object, *, where: str = "scheduler") -> str | None:
    """Validate a scheduler argument.

    Parameters
    ----------
    scheduler : object
        ``None``/``""`` (this process), ``"processes"``, ``"local"`` or a ``HOST:PORT`` address.
    where : str, optional
        The option or parameter, named in the error.

    Returns
    -------
    str or None
        The normalised value (``None`` for this process).

    Raises
    ------
    InputError
        Anything else (naming ``where``).

    Examples
    --------
    >>> check_scheduler(""), check_scheduler("processes"), check_scheduler("local"), check_scheduler("10.0.0.5:8786")
    (None, 'processes', 'local', 'tcp://10.0.0.5:8786')
    >>> check_scheduler("nonsense", where="--scheduler")
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: --scheduler: not a scheduler address: 'nonsense' (fix: ...)
    """
    if scheduler is None or scheduler == "":
        return None
    if not isinstance(scheduler, str):
        raise InputError(f"scheduler must be None, 'processes', 'local' or an address, got {type(scheduler).__name__}",
                         path=where, remedy="pass 'processes', 'local' or e.g. 'tcp://10.0.0.5:8786'")
    text = scheduler.strip()
    if text in ("local", PROCESSES):
        return text
    if not _ADDRESS.match(text):
        raise InputError(f"not a scheduler address: {scheduler!r}", path=where,
                         remedy="pass 'processes' or 'local' for this machine or HOST:PORT of a running dask "
                                "scheduler, e.g. tcp://10.0.0.5:8786")
    return text if "://" in text else f"tcp://{text}"


def require_dask(scheduler: str | None = "local", where: str = "scheduler", *,
                 instead: str = "run without --scheduler") -> Any:
    """The Dask module ``scheduler`` runs on, or a one-line :class:`InputError` naming the ``[scale]`` extra.

    Parameters
    ----------
    scheduler : str, optional
        ``"processes"`` needs ``dask`` (its multiprocessing scheduler); ``"local"`` and an address need
        ``distributed``.
    where : str, optional
        The option that needs it, named in the error.
    instead : str, optional
        The other way out, named in the error's remedy after the extra.

    Returns
    -------
    module
        ``dask.multiprocessing`` or ``distributed``.

    Raises
    ------
    InputError
        The module is not installed.

    Examples
    --------
    >>> require_dask("processes").__name__, require_dask("local").__name__   # installed with misyn-lab[scale]
    ('dask.multiprocessing', 'distributed')
    """
    name = "dask.multiprocessing" if scheduler == PROCESSES else "distributed"
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise InputError(f"Dask is not installed ({exc.name or name} missing), so work cannot run past "
                         "this process", path=where, remedy=f"{SCALE_EXTRA}, or {instead}") from None


def chunked(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """``items`` cut into consecutive slices of at most ``size`` (the last one may be shorter).

    Parameters
    ----------
    items : sequence
        The items.
    size : int
        Largest slice (>= 1).

    Returns
    -------
    list of sequence
        The slices, in order.

    Examples
    --------
    >>> chunked([1, 2, 3, 4, 5], 2)
    [[1, 2], [3, 4], [5]]
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InputError(f"chunk size must be a positive integer, got {size!r}", path="chunk_size",
                         remedy="pass e.g. 256")
    return [items[i:i + size] for i in range(0, len(items), size)]


class _Shared:
    """The function of a map and its shared keyword arguments, sent to every worker once (one object, so its
    keyword names can never collide with ``Client.map``'s own)."""

    def __init__(self, func: Callable[..., Any], kwargs: dict[str, Any]):
        self.func, self.kwargs = func, kwargs


def _apply(chunk: Any, misyn_shared: _Shared) -> Any:
    return misyn_shared.func(chunk, **misyn_shared.kwargs)


class _Opaque:
    """A chunk inside a Dask graph, which Dask must not read as tasks or keys (a chunk of tuples would be)."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


def _apply_opaque(chunk: _Opaque, shared: _Shared) -> Any:
    return _apply(chunk.value, shared)


def _import_modules(names: list[str]) -> None:
    """Import modules on a worker ahead of its first task."""
    for name in names:
        importlib.import_module(name)


def _start_process(names: list[str]) -> None:
    """First thing in a spawned worker process: one BLAS/OpenMP thread (as Dask's nanny gives its workers: the
    worker processes already fill the CPUs), then the ``names`` imported ahead of the first task."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"  # libraries loaded from here on
    threadpool_limits(1)  # libraries loaded already (NumPy's BLAS)
    _import_modules(names)


def _pid() -> int:
    return os.getpid()


#: Chunks each worker process holds at once (one running, one waiting), so that it never waits for this process
#: to hand it the next.
IN_FLIGHT = 2
#: Seconds between looks at whether :meth:`Engine.map`'s ``prepare`` has finished, while this process waits for a
#: free worker slot instead of running a chunk itself.
_POLL = 0.02


class _PoolHereToo:
    """The ``submit`` Dask's local scheduler feeds: a process pool kept at :data:`IN_FLIGHT` chunks per process,
    and with ``here`` this process, which runs a task itself (inside ``submit``) whenever the pool is full."""

    def __init__(self, pool: Any, processes: int, here: bool, ready: threading.Event):
        self.pool, self.here = pool, here
        self.slots = processes * IN_FLIGHT
        self._free = threading.Semaphore(self.slots)
        #: Set once this process may take chunks (it is preparing something else until then: :meth:`Engine.map`).
        self.ready = ready

    @property
    def workers(self) -> int:
        """How many tasks the scheduler may have running at once."""
        return self.slots + (1 if self.here else 0)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        if not self.here:
            return self.pool.submit(fn, *args)
        while not self.ready.is_set():  # busy preparing: wait for a free slot
            if self._free.acquire(timeout=_POLL):
                return self._to_pool(fn, *args)
        if self._free.acquire(blocking=False):
            return self._to_pool(fn, *args)
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - the scheduler raises it from the future
            future.set_exception(exc)
        return future

    def _to_pool(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Submit to the pool, the slot (already taken) freed when the task ends."""
        future = self.pool.submit(fn, *args)
        future.add_done_callback(lambda _f: self._free.release())  # before the scheduler hears of it
        return future


class Engine:
    """Where chunked work runs: this process, worker processes of this machine, or a Dask cluster.

    A context manager that owns any worker processes or cluster it starts (see :mod:`misyn_lab.engine`). Results
    come back in chunk order and are identical whichever way they ran.

    Parameters
    ----------
    scheduler : str, optional
        ``None`` (this process), ``"processes"``, ``"local"`` or a scheduler address.
    n_workers : int, optional
        Worker processes of ``"processes"`` or of a ``"local"`` cluster (default: the number of CPUs). Ignored
        otherwise.
    work_here : bool, optional
        With ``"processes"``: this process works through chunks too, taking one whenever the workers hold
        :data:`IN_FLIGHT` chunks each. Made for one worker process fewer than the CPUs: no CPU waits while the
        workers start, and this process is one worker that needs no start.

    Examples
    --------
    >>> with Engine() as engine:                        # this process: no Dask needed
    ...     engine.map(sum, [[1, 2], [3, 4, 5]])
    [3, 12]
    >>> with Engine("processes", n_workers=1, work_here=True) as engine:
    ...     engine.map(sum, [[1, 2], [3, 4, 5]])
    [3, 12]
    """

    def __init__(self, scheduler: str | None = None, *, n_workers: int | None = None, work_here: bool = False):
        self.scheduler = check_scheduler(scheduler)
        if work_here and self.scheduler != PROCESSES:
            raise ValueError(f"work_here needs scheduler='processes', not {self.scheduler!r}")
        self.work_here = bool(work_here)
        if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int)
                                      or n_workers < 1):
            raise InputError(f"n_workers must be a positive integer, got {n_workers!r}", path="n_workers")
        self.n_workers = n_workers
        self._client: Any = None
        self._cluster: Any = None
        self._pool: Any = None
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None
        if self.scheduler is not None:
            require_dask(self.scheduler)

    @classmethod
    def here_and_processes(cls, workers: int) -> "Engine":
        """``workers`` processes of this machine: this one and ``workers - 1`` Dask worker processes (the
        multiprocessing scheduler, ``work_here``), what ``--workers N`` alone means; this process only for 1.

        Examples
        --------
        >>> Engine.here_and_processes(3).describe(), Engine.here_and_processes(1).describe()
        ('Dask multiprocessing scheduler (2 worker processes and this process)', 'this process')
        """
        return cls(PROCESSES, n_workers=workers - 1, work_here=True) if workers > 1 else cls()

    # ---------------------------------------------------------------- lifecycle
    @property
    def other_processes(self) -> bool:
        """True when chunks run in other processes (on Dask), not only in this one."""
        return self.scheduler is not None

    @property
    def size(self) -> int:
        """Worker processes of ``"processes"`` or of a ``"local"`` cluster: ``n_workers``, else one per CPU."""
        return self.n_workers or os.cpu_count() or 1

    def describe(self) -> str:
        """One line: where the work runs (for reports and benchmark tables)."""
        n = self.size
        if self.scheduler is None:
            return "this process"
        if self.scheduler == PROCESSES:
            return (f"Dask multiprocessing scheduler ({n} worker process{'es' if n > 1 else ''}"
                    + (" and this process)" if self.work_here else ")"))
        if self.scheduler == "local":
            return f"local Dask cluster ({n} worker processes, 1 thread each)"
        return f"Dask scheduler {self.scheduler}"

    def _processes(self, preload: Sequence[str] = ()) -> Any:
        """The pool of worker processes of ``"processes"``, made (and its processes spawned) on first use."""
        if self._pool is None:
            n = self.size
            context = require_dask(PROCESSES).get_context()  # Dask's: "spawn" unless its config says otherwise
            self._pool = ProcessPoolExecutor(n, mp_context=context, initializer=partial(_start_process, list(preload)))
            for _ in range(n):  # a pool spawns a process per task it cannot place: all of them, now
                self._pool.submit(_pid)
        return self._pool

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        distributed = require_dask(self.scheduler)

        if self.scheduler == "local":
            n = self.size
            import dask

            try:  # workers log nothing: a failed task's exception is raised by map(), one line, not twice
                with dask.config.set(LOCAL_CLUSTER):
                    self._cluster = distributed.LocalCluster(
                        n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0",
                        silence_logs=logging.CRITICAL, memory_limit=0)
            except RuntimeError as exc:
                raise _cannot_start(exc, "scheduler=local") from None
            self._client = distributed.Client(self._cluster, set_as_default=False)
        else:
            try:
                self._client = distributed.Client(self.scheduler, timeout=_CONNECT_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot reach the Dask scheduler ({type(exc).__name__}: {exc})",
                                 path=self.scheduler,
                                 remedy="start one with `dask scheduler` and workers with `dask worker ADDRESS`, "
                                        "or pass --scheduler local") from None
        return self._client

    def start(self, preload: Sequence[str] = ()) -> None:
        """Start in the background: spawn the worker processes or connect (for ``"local"``: start the cluster), and
        import the ``preload`` modules on every worker, so that the caller's own preparation (scanning a folder)
        overlaps with it.

        :meth:`map` waits for the start; a failure is raised there. An engine already started runs only the
        imports (in the background again; with ``"processes"`` the workers import ``preload`` only as they start,
        so a later call imports nothing). No-op in this process.

        Parameters
        ----------
        preload : sequence of str, optional
            Modules to import on every worker.

        Examples
        --------
        >>> engine = Engine()
        >>> engine.start(preload=["json"])                  # this process: nothing to start
        """
        if self.scheduler is None:
            return
        if self.scheduler == PROCESSES:
            self._processes(preload)  # spawning returns at once; the workers import while this process goes on
            return
        if self._client is not None and not preload:
            return
        previous = self._starting

        def run() -> None:
            if previous is not None:
                previous.join()
                if self._start_error is not None:
                    return
            try:
                client = self._connect()
                if preload:
                    client.run(_import_modules, list(preload))
            except BaseException as exc:  # noqa: BLE001 - handed to the thread that calls map()
                self._start_error = exc

        self._starting = threading.Thread(target=run, name="misyn-lab-engine-start", daemon=True)
        self._starting.start()

    def _ready(self) -> Any:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
            if self._start_error is not None:
                error, self._start_error = self._start_error, None
                raise error
        return self._connect()

    def close(self) -> None:
        """Stop the worker processes, close the client and any cluster this engine started (a remote scheduler
        keeps running)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            _stop_pool(pool)
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- work
    def map(self, func: Callable[..., Any], chunks: Sequence[Any], *, shared: dict[str, Any] | None = None,
            then: Callable[[int, Any], Any] | None = None,
            progress: Callable[[int, Any], None] | None = None,
            prepare: Callable[[], Any] | None = None) -> list[Any]:
        """``[func(chunk, **shared) for chunk in chunks]``, run where the engine says, in chunk order.

        ``func`` must be a module-level function (workers import it by name). ``shared`` keyword arguments are
        the same for every chunk (on a cluster sent to each worker once, not with every task).
        ``progress(i, result)`` is called as each chunk finishes (in completion order on Dask). ``then(i, result)``
        runs in this process as each chunk comes back (before ``progress``) and its value is kept instead of the
        result: the step that needs what only this process holds (the audit's registry index). With
        ``work_here`` this process runs chunks too (see :class:`Engine`). An exception in a task is raised here.

        ``prepare()`` builds what ``then`` needs while the first chunks run in other processes: it runs in this
        process (on the multiprocessing scheduler in a helper thread, this process taking no chunk itself until
        it returns), and no ``then`` or ``progress`` call starts before it has returned; chunks that come back
        sooner wait for it. In this process alone it simply runs first. Its exception is raised here.

        Examples
        --------
        >>> built = {}
        >>> with Engine() as engine:
        ...     engine.map(sum, [[1, 2], [3]], prepare=lambda: built.update(offset=10),
        ...                then=lambda i, total: total + built["offset"])
        [13, 13]
        """
        shared = dict(shared or {})
        results: list[Any] = [None] * len(chunks)

        def finish(i: int, result: Any) -> None:
            results[i] = result if then is None else then(i, result)
            if progress is not None:
                progress(i, results[i])

        if self.scheduler is None:
            if prepare is not None:
                prepare()
            for i, chunk in enumerate(chunks):
                finish(i, func(chunk, **shared))
        elif self.scheduler == PROCESSES:
            self._map_processes(_Shared(func, shared), list(chunks), finish, prepare)
        else:
            self._map_cluster(_Shared(func, shared), list(chunks), finish, prepare)
        return results

    def _map_processes(self, shared: _Shared, chunks: list[Any], finish: Callable[[int, Any], None],
                       prepare: Callable[[], Any] | None = None) -> None:
        """:meth:`map` on Dask's multiprocessing scheduler: one task per chunk, ``finish`` called in this process
        as each one's result arrives (the result then leaves the scheduler's memory); ``prepare`` in a helper
        thread meanwhile (see :class:`_Preparing`)."""
        import cloudpickle  # optional, as Dask (which requires it) is
        from dask.local import get_async

        multiprocessing = require_dask(PROCESSES)
        name = f"misyn-chunk-{id(shared):x}"
        graph = {(name, i): (_apply_opaque, _Opaque(chunk), shared) for i, chunk in enumerate(chunks)}
        preparing = _Preparing(prepare, finish)
        feed = _PoolHereToo(self._processes(), self.size, self.work_here, preparing.done)

        def done(key: Any, result: Any, _dsk: Any, state: dict[str, Any], _worker: Any) -> None:
            state["cache"][key] = None
            preparing.finish(key[1], result)

        try:
            preparing.start()
            get_async(feed.submit, feed.workers, graph, list(graph), get_id=_pid, dumps=cloudpickle.dumps,
                      loads=cloudpickle.loads, pack_exception=multiprocessing.pack_exception,
                      raise_exception=multiprocessing.reraise, chunksize=1, callbacks=[(None, None, None, done, None)])
        except BrokenProcessPool as exc:
            preparing.wait(raise_error=False)
            self.close()
            raise _cannot_start(exc, "workers") from None
        except Exception:
            preparing.wait(raise_error=False)  # a failed map leaves no thread behind
            raise
        # KeyboardInterrupt, SystemExit: raised at once, the helper thread left to finish (a daemon)
        preparing.wait()

    def _map_cluster(self, shared: _Shared, chunks: list[Any], finish: Callable[[int, Any], None],
                     prepare: Callable[[], Any] | None = None) -> None:
        """:meth:`map` on a Dask cluster: ``shared`` scattered to every worker once, a task per chunk; ``prepare``
        runs here once the tasks are submitted."""
        client = self._ready()
        distributed = require_dask(self.scheduler)
        held = client.scatter(shared, broadcast=True, hash=False)
        futures = client.map(_apply, chunks, pure=False, misyn_shared=held)
        position = {f.key: i for i, f in enumerate(futures)}
        try:
            if prepare is not None:
                prepare()
            for future in distributed.as_completed(futures, loop=client.loop):
                finish(position[future.key], future.result())  # raises the task's exception here
        finally:
            for f in futures:
                f.release()
            held.release()


class _Preparing:
    """:meth:`Engine.map`'s ``prepare`` running in a helper thread, and the chunks that came back before it ended.

    ``finish`` (called by the scheduler's loop in the calling thread) hands a result on at once when ``prepare``
    is done, else keeps it, and hands on the kept ones, in arrival order, at the first call after it is done or
    at :meth:`wait`. ``done`` is set when ``prepare`` returns or raises (with no ``prepare``: at once). An
    interrupted map does not wait for the thread: what ``prepare`` uses must stay usable until it ends (a
    :class:`~misyn_lab.provenance.registry.Registry` closed meanwhile closes its connection when the index build
    ends).
    """

    def __init__(self, prepare: Callable[[], Any] | None, finish: Callable[[int, Any], None]):
        self._finish = finish
        self._kept: list[tuple[int, Any]] = []
        self._error: BaseException | None = None
        self._prepare = prepare
        self.done = threading.Event()
        self._thread: threading.Thread | None = None
        if prepare is None:
            self.done.set()

    def start(self) -> None:
        """Start ``prepare`` in its thread (nothing to start without one)."""
        prepare = self._prepare
        if prepare is None or self._thread is not None:
            return

        def run() -> None:
            try:
                prepare()
            except BaseException as exc:  # noqa: BLE001 - raised in the calling thread
                self._error = exc
            finally:
                self.done.set()

        self._thread = threading.Thread(target=run, name="misyn-lab-prepare", daemon=True)
        self._thread.start()

    def finish(self, i: int, result: Any) -> None:
        if not self.done.is_set():
            self._kept.append((i, result))
            return
        self._hand_on()
        self._finish(i, result)

    def _hand_on(self) -> None:
        if self._error is not None:
            raise self._error
        while self._kept:
            self._finish(*self._kept.pop(0))

    def wait(self, raise_error: bool = True) -> None:
        """Wait for ``prepare``; then raise its exception (``raise_error``) or hand on the kept results."""
        if self._thread is not None:
            self._thread.join()
        if raise_error:
            self._hand_on()


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Shut ``pool`` down, waiting for the chunks its processes are running. Interrupted while it waits (a second
    Ctrl-C), the processes are terminated before the interrupt goes on: left alone they would wait for work that
    never comes, and the interpreter waits for them at exit (the command would hang instead of stopping)."""
    try:
        pool.shutdown(wait=True, cancel_futures=True)
    except BaseException:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        raise


def _cannot_start(exc: BaseException, where: str) -> InputError:
    """The error of local worker processes that could not start or died (``where``: the option that asked)."""
    return InputError(f"local Dask worker processes could not start or died ({type(exc).__name__}: {exc})",
                      path=where, remedy="in a script, run the work under `if __name__ == '__main__':` "
                                             "(workers are new processes that import the script), or run in this "
                                             "process only (no scheduler, one worker)")


def map_chunks(func: Callable[..., Any], chunks: Sequence[Any], *, scheduler: str | None = None,
               n_workers: int | None = None, shared: dict[str, Any] | None = None,
               progress: Callable[[int, Any], None] | None = None) -> list[Any]:
    """One-shot :meth:`Engine.map` (starts and stops a cluster for ``"local"``).

    Parameters
    ----------
    func : callable
        Applied to each chunk (with ``shared`` as keyword arguments).
    chunks : sequence
        The chunks.
    scheduler : str, optional
        Where to run (see :class:`Engine`).
    n_workers : int, optional
        Workers of a local cluster.
    shared : dict, optional
        Data every call receives (sent to each worker once).
    progress : callable, optional
        Called with ``(index, result)`` as chunks finish.

    Returns
    -------
    list
        One result per chunk, in chunk order.

    Examples
    --------
    >>> map_chunks(sum, [[1, 2], [3]])
    [3, 3]
    """
    with Engine(scheduler, n_workers=n_workers) as engine:
        return engine.map(func, chunks, shared=shared, progress=progress)


@contextmanager
def using(scheduler: "str | Engine | None", *, n_workers: int | None = None) -> Iterator[Engine]:
    """An :class:`Engine` for ``scheduler`` in a ``with`` block.

    An Engine given is passed through and left open (the caller owns it, e.g. to run several steps on one
    cluster); one made here is closed at the end.

    Parameters
    ----------
    scheduler : str, Engine or None
        Where to run.
    n_workers : int, optional
        Worker processes of ``"processes"`` or of a ``"local"`` cluster.

    Yields
    ------
    Engine
        The engine.

    Examples
    --------
    >>> with using(None) as engine:
    ...     engine.map(len, ["ab", "c"])
    [2, 1]
    """
    if isinstance(scheduler, Engine):
        yield scheduler
        return
    with Engine(scheduler, n_workers=n_workers) as engine:
        yield engine
