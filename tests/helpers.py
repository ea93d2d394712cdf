"""Helpers shared by the tests (imported as ``helpers``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import PROV

from graph.namespaces import HKSC, OA
from graph.settings import PROJECT_ROOT
from graph.store import EmbeddedStore
from loaders.documents import SourceDocument
from loaders.text import normalise

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


def assert_claim_evidence(union: Graph, doc: SourceDocument, claim: URIRef, key: str,
                          value: int | None) -> None:
    """``claim`` derives from passage ``key`` of ``doc``, has one quote found there, and
    (when given) the value ``value``."""
    assert (claim, PROV.wasDerivedFrom, doc.passage_iri(key)) in union
    quotes = [str(q) for t in union.objects(claim, HKSC.evidence)
              for s in union.objects(t, OA.hasSelector) for q in union.objects(s, OA.exact)]
    assert len(quotes) == 1
    assert normalise(quotes[0]) in doc.normalised[key]
    if value is not None:
        assert [int(str(v)) for v in union.objects(claim, HKSC.value)] == [value]
