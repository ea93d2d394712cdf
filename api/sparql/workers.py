"""Queries run in worker processes that can be killed.

pyoxigraph evaluates a query inside Rust code that does not look at Python
signals, so a thread or a cooperative deadline cannot stop an ``ORDER BY``
over a cross join. Each query therefore runs in a separate process (spawn
context, so no lock or thread state of the server is inherited) holding its own
read-only store; when the time limit passes the process gets SIGKILL and a
fresh one takes its place. The event loop never blocks: it talks to each
worker over a socket pair wrapped in asyncio streams.

A worker checks before each query whether ``current`` points at another
build and reopens the store if so, so a rebuild is picked up without restart.
It holds the reader lock of the build it has open (``graph.store``), so that
build is not pruned under it.

With a remote store (``HKKG_STORE_URL``) the workers send the query to the SPARQL server
instead (``graph.remote``) and serialize its answer with the same code; the time limit
still kills the worker, which drops its connection to the server (the server's own
time limit must stop the work there).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.metadata
import logging
import multiprocessing as mp
import os
import pickle
import resource
import signal
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox

from api.sparql import formats
from graph.errors import StoreNotBuilt
from graph.remote import RemoteConfig, RemoteStore, RemoteStoreError
from graph.store import distinct_triples, open_current_build

log = logging.getLogger(__name__)

Status = Literal["ok", "syntax", "error", "no-store", "not-acceptable", "unavailable"]
# Where the workers find the graph: the embedded store's folder, or a remote store.
StoreSpec = Path | RemoteConfig


@dataclass(frozen=True)
class Job:
    """One query, with the formats negotiated for either kind of answer."""

    query: str
    results_format: str | None
    graph_format: str | None
    max_results: int
    union_default_graph: bool = True
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    # Largest answer body in bytes (None: no cap); a longer one is cut and marked truncated.
    max_bytes: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What a worker answers: a serialized body, or why there is none."""

    status: Status
    body: bytes = b""
    media_type: str = ""
    truncated: bool = False
    message: str = ""
    build: str = ""


class QueryTimeoutError(Exception):
    """The query ran past its limit; its worker was killed."""


class PoolBusyError(Exception):
    """No worker became free within the time limit."""


class WorkerCrashedError(Exception):
    """The worker died while running the query (e.g. out of memory)."""

    def __init__(self, message: str, exitcode: int | None = None):
        super().__init__(message)
        self.exitcode = exitcode

    @property
    def out_of_memory(self) -> bool:
        """Whether it died as an allocation that failed makes it: Rust aborts (SIGABRT);
        so does Python when it cannot even raise MemoryError."""
        return self.exitcode == -signal.SIGABRT


# ---------------------------------------------------------------- in the worker

class EmbeddedBuilds:
    """The published build of the embedded store, reopened when ``current`` moves.

    Holds the reader lock of the build it has open, so that build is not pruned under a
    query; the lock of the previous build is released when a newer one is opened."""

    def __init__(self, store_dir: Path):
        self.root = store_dir
        self._link = store_dir / "current"
        self.build = ""
        self._store: ox.Store | None = None
        self._lock_fd: int | None = None

    def current(self) -> tuple[str, ox.Store]:
        """The published build's name and store; raises StoreNotBuilt or OSError."""
        # readlink, not Path.resolve(): one system call per query instead of several.
        try:
            name = os.path.basename(os.readlink(self._link))
        except OSError:
            name = ""
        if self._store is None or name != self.build:
            self._store = None
            if self._lock_fd is not None:
                os.close(self._lock_fd)  # the old build may now be pruned
                self._lock_fd = None
            path, self._store, self._lock_fd = open_current_build(self.root)
            self.build = path.name
        return self.build, self._store


def execute(store: ox.Store | RemoteStore, job: Job,
            prefixes: dict[str, str] | None = None) -> Outcome:
    """Run ``job`` on ``store`` and serialize the answer (cut at ``max_results``)."""
    kwargs: dict[str, Any] = {}
    if isinstance(store, RemoteStore):
        kwargs["row_limit"] = job.max_results + 1  # the rest is never downloaded
    if job.default_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    if job.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    if job.union_default_graph and job.default_graphs is None and job.named_graphs is None:
        kwargs["use_default_graph_as_union"] = True
    try:
        result = store.query(job.query, **kwargs)
    except SyntaxError as exc:
        return Outcome("syntax", message=str(exc))
    except StoreNotBuilt as exc:
        return Outcome("no-store", message=str(exc))
    except RemoteStoreError as exc:
        return Outcome("unavailable", message=str(exc))
    except (OSError, ValueError, RuntimeError) as exc:
        return Outcome("error", message=str(exc))
    try:
        if isinstance(result, ox.QueryBoolean | ox.QuerySolutions):
            fmt = formats.by_name(job.results_format or "")
            if fmt is None:
                return Outcome("not-acceptable", message="results")
            if isinstance(result, ox.QueryBoolean):
                return Outcome("ok", formats.write_boolean(fmt, bool(result)), fmt.media_type)
            fast_cap = min(formats.FAST_PATH_MAX_BYTES, job.max_bytes or formats.FAST_PATH_MAX_BYTES)
            body = formats.serialize_solutions(result, fmt, job.max_results, max_bytes=fast_cap)
            if body is not None:
                return Outcome("ok", body, fmt.media_type)
            # Maybe longer than max_results: run it again and cut it here.
            if isinstance(store, RemoteStore):
                kwargs["reuse_last"] = True  # read again what the server sent, not re-ask
            result = store.query(job.query, **kwargs)
            assert isinstance(result, ox.QuerySolutions)
            variables = [v.value for v in result.variables]
            rows = [tuple(solution) for solution in islice(result, job.max_results + 1)]
            truncated = len(rows) > job.max_results
            rows = rows[: job.max_results]
            body = formats.write_solutions(fmt, variables, rows, truncated, job.max_results)
            if job.max_bytes is not None and len(body) > job.max_bytes:
                note = (f"results truncated to the rows that fit in {job.max_bytes} bytes "
                        "(setting HKKG_MAX_RESULT_BYTES)")
                body = fit_in_bytes(functools.partial(
                    formats.write_solutions, fmt, variables, truncated=True,
                    max_results=job.max_results, note=note), rows, job.max_bytes)
                truncated = True
            return Outcome("ok", body, fmt.media_type, truncated)
        fmt = formats.by_name(job.graph_format or "")
        if fmt is None:
            return Outcome("not-acceptable", message="graph")
        triples = distinct_triples(result, job.max_results + 1)
        truncated = len(triples) > job.max_results
        triples = triples[: job.max_results]
        body = formats.write_triples(fmt, triples, prefixes)
        if job.max_bytes is not None and len(body) > job.max_bytes:
            body = fit_in_bytes(functools.partial(formats.write_triples, fmt, prefixes=prefixes),
                                triples, job.max_bytes)
            truncated = True
        return Outcome("ok", body, fmt.media_type, truncated)
    except SyntaxError as exc:  # a row of a remote store's answer that cannot be read
        return Outcome("unavailable", message=f"unreadable answer from the store: {exc}")
    except (OSError, ValueError, RuntimeError) as exc:
        return Outcome("error", message=str(exc))


def fit_in_bytes(write: Callable[[list[Any]], bytes], items: list[Any], cap: int) -> bytes:
    """``write`` of the longest head of ``items`` found (halving) whose body is at most
    ``cap`` bytes; of none when even one item is longer. Called once ``write(items)`` is
    known to be longer than ``cap`` (so it is not written again). For answers past
    HKKG_MAX_RESULT_BYTES, rare, so a few writes are cheaper than measuring each item."""
    count = len(items) // 2
    body = write(items[:count])
    while count and len(body) > cap:
        count //= 2
        body = write(items[:count])
    return body


def limit_memory(memory_bytes: int) -> None:
    """Cap this process's heap (RLIMIT_DATA: brk and private mappings, which is where the
    engine's and Python's allocations go; not the store's files, which it maps shared).
    A query whose strings or intermediate results outgrow it fails an allocation and the
    worker dies, instead of taking the machine's memory: twenty nested CONCATs of a
    1,000-character string asked for gigabytes."""
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))


def worker_main(conn: Connection, spec: StoreSpec, prefixes: dict[str, str],
                memory_bytes: int = 0) -> None:
    """Entry point of a worker process: answer jobs until told to stop (None)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when we stop
    limit_memory(memory_bytes)
    source = RemoteStore(spec) if isinstance(spec, RemoteConfig) else EmbeddedBuilds(spec)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            build, store = source.current()
        except RemoteStoreError as exc:
            log.error("SPARQL worker cannot reach the remote store: %s", exc)
            conn.send(Outcome("unavailable", message=str(exc)))
            continue
        except (StoreNotBuilt, OSError) as exc:
            # The message goes to HTTP clients: no file system path in it.
            log.error("SPARQL worker cannot open the published store: %s", exc)
            conn.send(Outcome("no-store", message="no published store could be opened; "
                                                  "run `hkkg build`" + (
                                                      " and `hkkg push`"
                                                      if isinstance(spec, RemoteConfig) else "")))
            continue
        outcome = execute(store, job, prefixes)
        conn.send(Outcome(outcome.status, outcome.body, outcome.media_type, outcome.truncated,
                          outcome.message, build))


# ---------------------------------------------------------------- in the server

_HEADER = struct.Struct("!i")
_LONG_HEADER = struct.Struct("!Q")


class _Worker:
    """A worker process and the server's end of its socket, as asyncio streams.

    The worker speaks ``multiprocessing.Connection`` (length-prefixed pickles);
    the server reads and writes the same framing on asyncio streams, so waiting
    for an answer never blocks the event loop or needs a thread."""

    def __init__(self, process: BaseProcess, sock: socket.socket):
        self.process = process
        self.sock = sock
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(sock=self.sock)

    def send(self, message: Any) -> None:
        assert self.writer is not None
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer.write(_HEADER.pack(len(data)) + data)

    async def receive(self) -> Any:
        assert self.reader is not None
        (size,) = _HEADER.unpack(await self.reader.readexactly(_HEADER.size))
        if size == -1:
            (size,) = _LONG_HEADER.unpack(await self.reader.readexactly(_LONG_HEADER.size))
        return pickle.loads(await self.reader.readexactly(size))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        else:
            self.sock.close()


MIMALLOC = "libmimalloc.so"


def mimalloc_path() -> Path | None:
    """mimalloc as the installed cmeel-mimalloc wheel holds it (``cmeel.prefix/lib``), or
    None where it is not installed (no wheel for the platform). Asked of the installed
    distribution, never searched along ``sys.path``: a library found in the working folder
    would be preloaded as code into every worker."""
    try:
        dist = importlib.metadata.distribution("cmeel-mimalloc")
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(dist.locate_file(f"cmeel.prefix/lib/{MIMALLOC}")))
    return path if path.is_absolute() and path.is_file() else None


# What a worker's start adds to the environment: the allocator, and its arena steps.
# mimalloc reserves 1 GiB of writable address space for its arenas up front, which counts
# towards RLIMIT_DATA (HKKG_WORKER_MEMORY_MB): under a limit of 1 GiB or less the engine's
# cache could not map its memory and every worker aborted at its first query. Reserving in
# steps of 64 MiB keeps the limit what it says.
_PRELOAD_KEYS = ("LD_PRELOAD", "MIMALLOC_ARENA_RESERVE")
_ENV_LOCK = threading.Lock()


def preload_env(allocator: Path | None) -> dict[str, str]:
    """The environment a worker starts with: this process's, with ``allocator`` first in
    LD_PRELOAD. The dynamic loader reads LD_PRELOAD once, when a process starts, so the
    allocator has to be named before the worker exists; the HTTP process keeps its own."""
    env = dict(os.environ)
    if allocator is not None:
        env["LD_PRELOAD"] = " ".join(p for p in (str(allocator), env.get("LD_PRELOAD", "")) if p)
        env.setdefault("MIMALLOC_ARENA_RESERVE", "64MiB")
    return env


@contextlib.contextmanager
def _preloaded(allocator: Path | None) -> Iterator[None]:
    """Within: os.environ names ``allocator`` (multiprocessing's spawn hands os.environ to
    the new interpreter and takes no environment of its own). Only the keys a preload sets
    change, under a lock, and only while a worker starts; nothing changes without one."""
    if allocator is None:
        yield
        return
    wanted = preload_env(allocator)
    with _ENV_LOCK:
        saved = {key: os.environ.get(key) for key in _PRELOAD_KEYS}
        try:
            for key in _PRELOAD_KEYS:
                os.environ[key] = wanted[key]
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


class WorkerPool:
    """``size`` long-lived workers plus up to ``burst`` extra ones started when
    every worker is busy. Create and use it inside one running event loop.

    ``allocator``: a malloc library preloaded into each worker (None: the system's).
    pyoxigraph's evaluator allocates for every term and solution; with mimalloc the
    catalogue cost the workers 12 to 13 % less CPU in the benchmark (``bench/README.md``)."""

    def __init__(self, store: StoreSpec, size: int, burst: int = 0,
                 prefixes: dict[str, str] | None = None, memory_mb: int = 0,
                 allocator: Path | None = None):
        self.store = store
        self.size = size
        self.allocator = allocator
        self.memory_bytes = memory_mb * 1024 * 1024
        self.max_workers = size + burst
        self.prefixes = dict(prefixes or {})
        self._ctx = mp.get_context("spawn")
        self._workers: set[_Worker] = set()
        self._idle: asyncio.Queue[_Worker] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.spawned = 0
        self.killed = 0

    # -- lifecycle

    async def start(self, wait_s: float = 60.0) -> None:
        """Start ``size`` workers and wait (bounded) until they are ready."""
        self._idle = asyncio.Queue()
        for _ in range(self.size):
            self._spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while self._idle.qsize() < self.size and loop.time() < deadline:
            if not self._workers:
                break
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        """Ask every worker to stop; kill those that do not within a second."""
        for w in list(self._workers):
            with contextlib.suppress(OSError, AssertionError):
                w.send(None)
        for w in list(self._workers):
            await asyncio.to_thread(w.process.join, 1.0)
            if w.process.is_alive():
                self._kill(w)
            self._forget(w)
        for task in list(self._tasks):
            task.cancel()

    def pids(self) -> list[int]:
        """Process ids of the live workers (for tests and diagnostics)."""
        return sorted(w.process.pid for w in self._workers if w.process.pid is not None)

    @property
    def idle_count(self) -> int:
        return self._idle.qsize() if self._idle is not None else 0

    # -- running a query

    async def run(self, job: Job, timeout: float) -> Outcome:
        """Run ``job`` with a hard limit of ``timeout`` seconds of execution.

        Waiting for a free worker is bounded by ``timeout`` too (PoolBusyError)."""
        worker = await self._acquire(timeout)
        try:
            worker.send(job)
            # asyncio.timeout, not wait_for: no extra task per query (measurable per request).
            async with asyncio.timeout(timeout):
                outcome = await worker.receive()
        except TimeoutError:
            self._replace(worker)
            raise QueryTimeoutError(f"query ran past {timeout:g} s") from None
        except (asyncio.IncompleteReadError, OSError) as exc:
            # How it died says why (a failed allocation aborts): wait a little for its exit.
            await asyncio.to_thread(worker.process.join, 1.0)
            exitcode = worker.process.exitcode
            self._replace(worker)
            raise WorkerCrashedError(str(exc) or "worker died", exitcode) from exc
        except BaseException:
            # Cancelled (client gone, server stopping): the worker may still be busy.
            self._replace(worker)
            raise
        assert self._idle is not None
        self._idle.put_nowait(worker)
        if not isinstance(outcome, Outcome):
            raise WorkerCrashedError(f"unexpected message from worker: {outcome!r}")
        return outcome

    async def _acquire(self, timeout: float) -> _Worker:
        assert self._idle is not None, "WorkerPool.start() was not awaited"
        if not self._idle.empty():
            return self._idle.get_nowait()
        if len(self._workers) < self.max_workers:
            self._spawn()
        try:
            return await asyncio.wait_for(self._idle.get(), timeout)
        except TimeoutError:
            raise PoolBusyError(f"no query worker became free within {timeout:g} s") from None

    # -- worker management

    def _spawn(self) -> None:
        parent, child_sock = socket.socketpair()
        child = Connection(child_sock.detach())
        process = self._ctx.Process(
            target=worker_main, args=(child, self.store, self.prefixes, self.memory_bytes),
            name="hkkg-sparql-worker", daemon=True,
        )
        with _preloaded(self.allocator):
            process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.add(worker)
        self.spawned += 1
        task = asyncio.get_running_loop().create_task(self._await_ready(worker))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _await_ready(self, worker: _Worker) -> None:
        try:
            await worker.connect()
            message = await worker.receive()
        except (asyncio.IncompleteReadError, OSError):
            log.error("SPARQL worker %s died while starting", worker.process.pid)
            self._kill(worker)
            self._forget(worker)
            return
        if message and message[0] == "ready" and self._idle is not None:
            self._idle.put_nowait(worker)

    def _kill(self, worker: _Worker) -> None:
        if worker.process.pid is not None and worker.process.is_alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.process.pid, signal.SIGKILL)
            self.killed += 1

    def _forget(self, worker: _Worker) -> None:
        self._workers.discard(worker)
        worker.close()

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start a fresh one in its place."""
        self._kill(worker)
        self._forget(worker)
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(worker.process.join, 5))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if len(self._workers) < self.size:
            self._spawn()
