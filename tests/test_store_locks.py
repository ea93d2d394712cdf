"""A build that a process still has open is never pruned.

``graph.store.publish`` keeps ``keep`` builds and deletes older ones, but a
reader (a query worker, the CLI) holds a shared lock on the build it has
open, and pruning skips a build whose lock is held: here two publishes in a
row, which would otherwise delete the build under a running query.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph import store as gstore
from graph.errors import StoreNotBuilt

TRIPLE = '<http://example.org/s> <http://example.org/p> "{n}" <http://example.org/g> .\n'


def new_build(store_dir: Path, n: int) -> Path:
    path = gstore.new_build_dir(store_dir)
    db = ox.Store(str(path))
    db.load(TRIPLE.format(n=n).encode(), format=ox.RdfFormat.N_QUADS)
    db.flush()
    del db
    gc.collect()
    return path


def value(store: ox.Store) -> str:
    return next(iter(store.quads_for_pattern(None, None, None))).object.value


def test_an_open_build_survives_two_publishes_and_goes_once_closed(tmp_path: Path) -> None:
    first = new_build(tmp_path, 1)
    gstore.publish(tmp_path, first, keep=1)
    opened = gstore.EmbeddedStore.open_current(tmp_path)
    assert opened.path == first and value(opened.raw) == "1"

    for n in (2, 3):
        gstore.publish(tmp_path, new_build(tmp_path, n), keep=1)
    assert first.is_dir(), "pruned while open"
    assert value(opened.raw) == "1"  # still readable

    opened.close()
    kept = gstore.kept_file(tmp_path, first.name, "shapes.ttl")
    kept.parent.mkdir(parents=True)
    kept.write_text("# the shapes of the first build\n")
    latest = new_build(tmp_path, 4)
    gstore.publish(tmp_path, latest, keep=1)
    assert not first.exists()
    assert sorted(p.name for p in (tmp_path / "builds").iterdir()) == [latest.name]
    assert not (tmp_path / "locks" / first.name).exists()
    assert not kept.parent.exists(), "the files a build keeps go with it"


def _hold_lock(store_dir: str, ready: mp.Event, done: mp.Event) -> None:  # type: ignore[type-arg]
    opened = gstore.EmbeddedStore.open_current(Path(store_dir))
    ready.set()
    done.wait(30)
    opened.close()


def test_a_lock_held_by_another_process_protects_its_build(tmp_path: Path) -> None:
    first = new_build(tmp_path, 1)
    gstore.publish(tmp_path, first, keep=1)
    ctx = mp.get_context("spawn")
    ready, done = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(tmp_path), ready, done))
    holder.start()
    try:
        assert ready.wait(30)
        gstore.publish(tmp_path, new_build(tmp_path, 2), keep=1)
        assert first.is_dir()
    finally:
        done.set()
        holder.join(30)
    gstore.publish(tmp_path, new_build(tmp_path, 3), keep=1)
    assert not first.exists()


def test_opening_without_a_published_build_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreNotBuilt, match="hkkg build"):
        gstore.open_current_build(tmp_path)


def test_opening_retries_when_the_published_build_vanishes(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A build deleted between reading ``current`` and locking it is not opened."""
    gone, kept = new_build(tmp_path, 1), new_build(tmp_path, 2)
    gstore.publish(tmp_path, gone, keep=2)
    real_flock = gstore.fcntl.flock
    calls: list[int] = []

    def flock_then_repoint(fd: int, op: int) -> None:
        real_flock(fd, op)
        if not calls:  # the first open loses the race with a publish + prune
            os.replace(tmp_path / "current", tmp_path / "old-current")
            (tmp_path / "current").symlink_to(kept.relative_to(tmp_path))
            gstore.shutil.rmtree(gone)
        calls.append(op)

    monkeypatch.setattr(gstore.fcntl, "flock", flock_then_repoint)
    path, db, fd = gstore.open_current_build(tmp_path)
    os.close(fd)
    assert path == kept and value(db) == "2" and len(calls) == 2
