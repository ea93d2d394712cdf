"""The embedded store: Oxigraph on disk (``graph.remote`` holds the remote one).

Layout of ``store_dir``::

    builds/<stamp>/   one Oxigraph database per build
    current           symlink to the published build
    locks/<stamp>     reader locks, one file per build

A build writes a new ``builds/<stamp>`` and, only when the SHACL gate passes,
repoints ``current`` with an atomic rename. Readers resolve ``current`` when
they open the store, so an interrupted or failed build never disturbs them.

Old builds are pruned after a publish, but never one that a process still
has open: a reader holds a shared ``flock`` on ``locks/<stamp>`` for as long
as it keeps that build open, and pruning skips a build whose lock it cannot
take exclusively (it goes at a later publish). Without this, two publishes
close together (two builds finishing at once) could delete the files under
a query that is still running.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from graph.errors import StoreNotBuilt


def current_link(store_dir: Path) -> Path:
    return store_dir / "current"


def current_store_path(store_dir: Path) -> Path:
    """The folder of the published build; raises StoreNotBuilt when there is none."""
    link = current_link(store_dir)
    if not link.exists():
        raise StoreNotBuilt(f"no published store in {store_dir}; run `hkkg build` first")
    return link.resolve()


def _lock_path(store_dir: Path, build_name: str) -> Path:
    return store_dir / "locks" / build_name


def kept_dir(store_dir: Path, build_name: str) -> Path:
    """The folder of the files a build keeps beside its store (``kept/<build>``), such as
    the shapes it was checked against; pruned with the build. Beside, not inside: the
    build's folder is the engine's own."""
    return store_dir / "kept" / build_name


def kept_file(store_dir: Path, build_name: str, name: str) -> Path:
    return kept_dir(store_dir, build_name) / name


def open_current_build(store_dir: Path, attempts: int = 3) -> tuple[Path, ox.Store, int]:
    """Open the published build read-only, holding its reader lock.

    Returns the build's folder, the store and the lock's file descriptor: close
    it (``os.close``) when the store is dropped. Raises StoreNotBuilt when
    nothing is published. The lock is taken before the build is opened and the
    build checked afterwards, so a build being pruned at that moment is never
    opened; the published one is looked up again instead."""
    for _ in range(attempts):
        path = current_store_path(store_dir)
        lock = _lock_path(store_dir, path.name)
        lock.parent.mkdir(exist_ok=True)
        fd = os.open(lock, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while a pruner deletes this build
            if path.is_dir():
                return path, ox.Store.read_only(str(path)), fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    raise StoreNotBuilt(f"the published build in {store_dir} kept disappearing while opening it")


class EmbeddedStore:
    """A read-only view of the published Oxigraph build (holding its reader lock)."""

    def __init__(self, path: Path, store: ox.Store, lock_fd: int):
        self.path = path
        self._store = store
        self._lock_fd: int | None = lock_fd

    @classmethod
    def open_current(cls, store_dir: Path) -> EmbeddedStore:
        return cls(*open_current_build(store_dir))

    def close(self) -> None:
        """Release the reader lock (the build may then be pruned)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @property
    def raw(self) -> ox.Store:
        return self._store

    def query(self, sparql: str, prefixes: dict[str, str] | None = None) -> Any:
        """Run ``sparql`` over the union of the named graphs; ``prefixes`` are predeclared
        (a PREFIX line of the query wins over one of the same name)."""
        return self._store.query(sparql, use_default_graph_as_union=True, prefixes=prefixes)

    def named_graphs(self) -> Iterator[str]:
        for g in self._store.named_graphs():
            yield g.value

    def dump(self, fmt: ox.RdfFormat, prefixes: dict[str, str] | None = None) -> bytes:
        """The whole dataset in ``fmt`` (``prefixes`` shorten TriG)."""
        data = self._store.dump(format=fmt, prefixes=prefixes)
        assert data is not None
        return data


def new_build_dir(store_dir: Path) -> Path:
    """A fresh, empty folder for the next build (never the published one)."""
    builds = store_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    path = builds / stamp
    path.mkdir()
    return path


def publish(store_dir: Path, build_path: Path, keep: int = 2) -> None:
    """Atomically point ``current`` at ``build_path`` and prune old builds."""
    link = current_link(store_dir)
    tmp = store_dir / f".current-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(build_path.relative_to(store_dir))
    os.replace(tmp, link)
    _prune(store_dir, keep=keep, protect=build_path)


def discard(build_path: Path) -> None:
    """Remove an unpublished build and the files it keeps."""
    shutil.rmtree(build_path, ignore_errors=True)
    shutil.rmtree(kept_dir(build_path.parent.parent, build_path.name), ignore_errors=True)


def _prune(store_dir: Path, keep: int, protect: Path) -> None:
    builds = sorted((store_dir / "builds").iterdir(), key=lambda p: p.stat().st_mtime)
    old = [b for b in builds if b.resolve() != protect.resolve()]
    for b in old[: max(0, len(old) - (keep - 1))]:
        _remove_unless_open(store_dir, b)


def _remove_unless_open(store_dir: Path, build: Path) -> bool:
    """Delete ``build`` unless a reader holds its lock; True when deleted."""
    lock = _lock_path(store_dir, build.name)
    lock.parent.mkdir(exist_ok=True)
    fd = os.open(lock, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # still open somewhere: pruned at a later publish
        shutil.rmtree(build, ignore_errors=True)
        shutil.rmtree(kept_dir(store_dir, build.name), ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
        return True
    finally:
        os.close(fd)


def distinct_triples(result: Iterable[Any], limit: int | None = None) -> list[Any]:
    """The first ``limit`` (None: all) distinct triples of a CONSTRUCT or DESCRIBE answer,
    in order.

    The answer is a graph, a set of triples, but the engine writes a template's triples once
    per solution: a description that closes blank nodes repeated each link to a blank node
    once per triple of that node. Repeats would bloat every format and count towards
    ``max_results``; they are dropped here (blank nodes from the store keep their identity
    across solutions, so this drops only true repeats)."""
    seen: dict[Any, None] = {}
    for triple in result:
        seen[triple] = None
        if limit is not None and len(seen) >= limit:
            break
    return list(seen)
