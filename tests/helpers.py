"""Helpers shared by the tests (imported as ``helpers``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from graph.settings import PROJECT_ROOT
from graph.store import EmbeddedStore

DATA_DIR = PROJECT_ROOT / "data"


def rows(store: EmbeddedStore, query: str) -> list[dict[str, str]]:
    """SELECT results as dicts of plain strings (unbound variables left out)."""
    result = store.query(query)
    names = [v.value for v in result.variables]
    return [{n: sol[n].value for n in names if sol[n] is not None} for sol in result]


def data_copy(tmp: Path) -> Path:
    """A writable copy of the project's data folder (sources and records, no store)."""
    target = tmp / "data"
    shutil.copytree(DATA_DIR, target, ignore=shutil.ignore_patterns("store"))
    return target
