"""The store: one interface, an embedded Oxigraph implementation on disk.

Layout of ``store_dir``::

    builds/<stamp>/   one Oxigraph database per build
    current           symlink to the published build

A build writes a new ``builds/<stamp>`` and, only when the SHACL gate passes,
repoints ``current`` with an atomic rename. Readers resolve ``current`` when
they open the store, so an interrupted or failed build never disturbs them.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox

from graph.errors import StoreNotBuilt


class GraphStore(Protocol):
    """What the API and CLI need from a store, embedded or remote."""

    def query(self, sparql: str) -> Any:
        """Run a SPARQL query; the default graph is the union of all named graphs."""
        ...

    def named_graphs(self) -> Iterable[str]:
        """IRIs of the named graphs in the store."""
        ...


def current_link(store_dir: Path) -> Path:
    return store_dir / "current"


def current_store_path(store_dir: Path) -> Path:
    """The folder of the published build; raises StoreNotBuilt when there is none."""
    link = current_link(store_dir)
    if not link.exists():
        raise StoreNotBuilt(f"no published store in {store_dir}; run `hkkg build` first")
    return link.resolve()


class EmbeddedStore:
    """A read-only view of the published Oxigraph build."""

    def __init__(self, path: Path):
        self.path = path
        self._store = ox.Store.read_only(str(path))

    @classmethod
    def open_current(cls, store_dir: Path) -> EmbeddedStore:
        return cls(current_store_path(store_dir))

    @property
    def raw(self) -> ox.Store:
        return self._store

    def query(self, sparql: str) -> Any:
        return self._store.query(sparql, use_default_graph_as_union=True)

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
    """Remove an unpublished build."""
    shutil.rmtree(build_path, ignore_errors=True)


def _prune(store_dir: Path, keep: int, protect: Path) -> None:
    builds = sorted((store_dir / "builds").iterdir(), key=lambda p: p.stat().st_mtime)
    old = [b for b in builds if b.resolve() != protect.resolve()]
    for b in old[: max(0, len(old) - (keep - 1))]:
        shutil.rmtree(b, ignore_errors=True)
