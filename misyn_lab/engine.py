"""Run one function over chunks of work: in this process, on a local Dask cluster, or on a Dask scheduler.

The one place where work leaves the current process (DESIGN.md: "past one process, work runs on Dask"). Callers
cut their work into CHUNKS (hundreds of files or images each: per-item tasks cost more in scheduling than they
save) and call :meth:`Engine.map`; results come back in chunk order, so a chunked run returns exactly what the
single-process run returns.

``scheduler``:

* ``None`` — every chunk runs here, one after another (no Dask needed);
* ``"local"`` — a ``dask.distributed.LocalCluster`` on this machine: worker *processes* (one thread each, so
  NumPy/BLAS and the GIL-holding Python parts of a task run side by side), bound to 127.0.0.1 only (its status
  page on a free loopback port), with the settings of :data:`LOCAL_CLUSTER`;
* an address (``"tcp://host:8786"`` or ``"host:8786"``) — a running ``dask scheduler``; its workers must have
  misyn-lab installed.

Data every chunk needs (settings, a small model) reach the workers through ``shared=``: sent to each worker once,
not with every task. What only the calling process should hold (an audit's registry index) stays there: the
workers return what they computed and ``then=`` finishes each chunk in the calling process as it comes back.

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
from contextlib import contextmanager
from typing import Any

from misyn_lab.errors import InputError

#: How to get the optional dependencies (named in every error about them).
SCALE_EXTRA = 'pip install "misyn-lab[scale]"'
#: What ``--scheduler`` accepts, for help texts.
SCHEDULER_HELP = ("run chunked tasks on Dask: 'local' starts a cluster of worker processes on this machine, "
                  "HOST:PORT (or tcp://HOST:PORT) uses a running dask scheduler; default: this process only "
                  f"(needs {SCALE_EXTRA})")

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
        ``None``/``""`` (this process), ``"local"`` or a ``HOST:PORT`` address.
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
    >>> check_scheduler(""), check_scheduler("local"), check_scheduler("10.0.0.5:8786")
    (None, 'local', 'tcp://10.0.0.5:8786')
    >>> check_scheduler("nonsense", where="--scheduler")
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: --scheduler: not a scheduler address: 'nonsense' (fix: ...)
    """
    if scheduler is None or scheduler == "":
        return None
    if not isinstance(scheduler, str):
        raise InputError(f"scheduler must be None, 'local' or an address, got {type(scheduler).__name__}",
                         path=where, remedy="pass 'local' or e.g. 'tcp://10.0.0.5:8786'")
    text = scheduler.strip()
    if text == "local":
        return text
    if not _ADDRESS.match(text):
        raise InputError(f"not a scheduler address: {scheduler!r}", path=where,
                         remedy="pass 'local' for this machine or HOST:PORT of a running dask scheduler, "
                                "e.g. tcp://10.0.0.5:8786")
    return text if "://" in text else f"tcp://{text}"


def require_distributed(where: str = "scheduler", *, instead: str = "run without --scheduler") -> Any:
    """The ``distributed`` module, or a one-line :class:`InputError` naming the ``[scale]`` extra.

    Parameters
    ----------
    where : str, optional
        The option that needs it, named in the error.
    instead : str, optional
        The other way out, named in the error's remedy after the extra.

    Returns
    -------
    module
        ``distributed``.

    Raises
    ------
    InputError
        Dask's ``distributed`` is not installed.

    Examples
    --------
    >>> require_distributed().__name__                  # installed with misyn-lab[scale]
    'distributed'
    """
    try:
        import distributed
    except ImportError as exc:
        raise InputError(f"Dask is not installed ({exc.name or 'distributed'} missing), so work cannot run past "
                         "this process", path=where, remedy=f"{SCALE_EXTRA}, or {instead}") from None
    return distributed


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


def _import_modules(names: list[str]) -> None:
    """Import modules on a worker ahead of its first task."""
    for name in names:
        importlib.import_module(name)


#: Chunks each Dask worker holds at once when this process works too (one running, one waiting).
IN_FLIGHT = 2


class Engine:
    """Where chunked work runs: this process, worker processes of this machine, or a Dask cluster.

    A context manager that owns any cluster it starts (see :mod:`misyn_lab.engine`). Results come back in chunk
    order and are identical whichever way they ran.

    Parameters
    ----------
    scheduler : str, optional
        ``None`` (this process), ``"local"`` or a scheduler address.
    n_workers : int, optional
        Worker processes of a ``"local"`` cluster (default: the number of CPUs). Ignored otherwise.
    work_here : bool, optional
        On Dask, this process works through chunks too, taking the next one whenever it is free, while the
        workers take theirs (each kept busy with :data:`IN_FLIGHT` chunks). Made for a local cluster of one process
        fewer than the CPUs: no CPU waits while the workers start, and this process is one worker that needs no
        start.

    Examples
    --------
    >>> with Engine() as engine:                        # this process: no Dask needed
    ...     engine.map(sum, [[1, 2], [3, 4, 5]])
    [3, 12]
    """

    def __init__(self, scheduler: str | None = None, *, n_workers: int | None = None, work_here: bool = False):
        self.scheduler = check_scheduler(scheduler)
        self.work_here = bool(work_here)
        if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int)
                                      or n_workers < 1):
            raise InputError(f"n_workers must be a positive integer, got {n_workers!r}", path="n_workers")
        self.n_workers = n_workers
        self._client: Any = None
        self._cluster: Any = None
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None
        if self.scheduler is not None:
            require_distributed()

    # ---------------------------------------------------------------- lifecycle
    @property
    def distributed(self) -> bool:
        """True when chunks run on Dask workers (not in this process)."""
        return self.scheduler is not None

    def describe(self) -> str:
        """One line: where the work runs (for reports and benchmark tables)."""
        if self.scheduler is None:
            return "this process"
        if self.scheduler == "local":
            n = self.n_workers or os.cpu_count() or 1
            return f"local Dask cluster ({n} worker processes, 1 thread each)"
        return f"Dask scheduler {self.scheduler}"

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        distributed = require_distributed()

        if self.scheduler == "local":
            n = self.n_workers or os.cpu_count() or 1
            import dask

            try:  # workers log nothing: a failed task's exception is raised by map(), one line, not twice
                with dask.config.set(LOCAL_CLUSTER):
                    self._cluster = distributed.LocalCluster(
                        n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0",
                        silence_logs=logging.CRITICAL, memory_limit=0)
            except RuntimeError as exc:
                raise InputError(f"could not start local Dask worker processes ({exc})", path="scheduler=local",
                                 remedy="in a script, run the work under `if __name__ == '__main__':` (workers "
                                        "are new processes that import the script), or run in this process only "
                                        "(no scheduler, one worker)") from None
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
        """Start in the background: connect (for ``"local"``: start the worker processes) and import the
        ``preload`` modules on every worker, so that the caller's own preparation (scanning a folder) overlaps
        with it.

        :meth:`map` waits for the start; a failure is raised there. An engine already started runs only the
        imports (in the background again). No-op in this process.

        Parameters
        ----------
        preload : sequence of str, optional
            Modules to import on every worker.

        Examples
        --------
        >>> engine = Engine()
        >>> engine.start(preload=["json"])                  # this process: nothing to start
        """
        if not self.distributed:
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
        """Close the client and any cluster this engine started (a remote scheduler keeps running)."""
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
            progress: Callable[[int, Any], None] | None = None) -> list[Any]:
        """``[func(chunk, **shared) for chunk in chunks]``, run where the engine says, in chunk order.

        ``func`` must be a module-level function (workers import it by name). ``shared`` keyword arguments are
        the same for every chunk: on Dask a value is sent to each worker once, not with every task.
        ``progress(i, result)`` is called as each chunk finishes (in completion order on Dask). ``then(i, result)``
        runs in this process as each chunk comes back (before ``progress``) and its value is kept instead of the
        result: the step that needs what only this process holds (the audit's registry index). With ``work_here`` this process runs chunks too (see
        :class:`Engine`). An exception in a task is raised here.
        """
        shared = dict(shared or {})
        results: list[Any] = [None] * len(chunks)

        def finish(i: int, result: Any) -> None:
            results[i] = result if then is None else then(i, result)
            if progress is not None:
                progress(i, results[i])

        if not self.distributed:
            for i, chunk in enumerate(chunks):
                finish(i, func(chunk, **shared))
            return results
        if self.work_here:
            self._map_here_too(func, shared, list(chunks), finish)
            return results
        client = self._ready()
        distributed = require_distributed()
        held = client.scatter(_Shared(func, shared), broadcast=True, hash=False)
        futures = client.map(_apply, list(chunks), pure=False, misyn_shared=held)
        position = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in distributed.as_completed(futures, loop=client.loop):
                finish(position[future.key], future.result())  # raises the task's exception here
            return results
        finally:
            for f in futures:
                f.release()
            held.release()

    def _started(self) -> bool:
        """True once a background start has ended (or none is running): :meth:`_ready` will not wait."""
        return self._starting is None or not self._starting.is_alive()

    def _map_here_too(self, func: Callable[..., Any], shared: dict[str, Any], chunks: list[Any],
                      finish: Callable[[int, Any], None]) -> None:
        """:meth:`map` with ``work_here``: this process takes the next chunk whenever it is free, from the first
        chunk on; once the workers have started (without waiting for them) they get chunks :data:`IN_FLIGHT` at a
        time. ``finish(i, result)`` is called for each chunk as it ends, here or on a worker."""
        distributed = require_distributed()
        waiting = list(range(len(chunks)))[::-1]  # popped from the end: chunk order
        running: dict[str, tuple[int, Any]] = {}
        client = held = done = None

        def submit() -> None:
            i = waiting.pop()
            future = client.submit(_apply, chunks[i], misyn_shared=held, pure=False)
            running[future.key] = (i, future)
            done.add(future)

        def collect(futures: list[Any]) -> None:
            for future in futures:
                i, _f = running.pop(future.key)
                finish(i, future.result())  # raises the task's exception here
                if waiting:
                    submit()

        try:
            while waiting:
                if client is None and self._started():  # the workers are ready: hand them chunks from now on
                    client = self._ready()
                    held = client.scatter(_Shared(func, shared), broadcast=True, hash=False)
                    done = distributed.as_completed([], loop=client.loop)
                    for _ in range(min(IN_FLIGHT * max(1, len(client.scheduler_info()["workers"])), len(waiting))):
                        submit()
                    continue
                i = waiting.pop()
                finish(i, func(chunks[i], **shared))
                if done is not None:
                    collect(done.next_batch(block=False))
            while running:
                collect(done.next_batch(block=True))
            if client is None:
                self._ready()  # all chunks ran here first: a failed start of the workers is still reported
        finally:
            for _i, future in running.values():
                future.cancel()
            if held is not None:
                held.release()


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
def using(scheduler: "str | Engine | None", *, n_workers: int | None = None,
          work_here: bool = False) -> Iterator[Engine]:
    """An :class:`Engine` for ``scheduler`` in a ``with`` block.

    An Engine given is passed through and left open (the caller owns it, e.g. to run several steps on one
    cluster); one made here is closed at the end.

    Parameters
    ----------
    scheduler : str, Engine or None
        Where to run.
    n_workers : int, optional
        Workers of a local cluster.
    work_here : bool, optional
        This process works through chunks too (see :class:`Engine`).

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
    with Engine(scheduler, n_workers=n_workers, work_here=work_here) as engine:
        yield engine
