"""/dump on the real graph: the download holds exactly the published build's named graphs."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.namespace import VOID

from api.app import create_app
from graph.namespaces import BASE, ID
from graph.settings import Settings
from graph.store import EmbeddedStore


@pytest.fixture(scope="module")
def client(built_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(built_settings)) as c:
        yield c


def quads(data: bytes, fmt: ox.RdfFormat) -> Counter[tuple[str, str, str, str]]:
    """The quads as comparable strings: a blank node is written as its own statements
    (nested blank nodes as "_"), since labels differ between two serializations. rdflib's
    isomorphism test would be exact but takes minutes on the SHACL report's blank nodes."""
    parsed = list(ox.parse(data, format=fmt))
    described: dict[str, list[str]] = defaultdict(list)
    for q in parsed:
        if isinstance(q.subject, ox.BlankNode):
            obj = "_" if isinstance(q.object, ox.BlankNode) else str(q.object)
            described[q.subject.value].append(f"{q.predicate} {obj}")

    def term(t: object) -> str:
        if isinstance(t, ox.BlankNode):
            return "[" + "; ".join(sorted(described[t.value])) + "]"
        return str(t)

    return Counter((term(q.subject), str(q.predicate), term(q.object), str(q.graph_name))
                   for q in parsed)


def test_trig_dump_is_the_published_dataset(client: TestClient,
                                            built_store: EmbeddedStore) -> None:
    r = client.get("/dump", headers={"Accept": "application/trig"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/trig; charset=utf-8"
    assert r.headers["content-disposition"] == (
        f'attachment; filename="hk-smartcity-kg-{built_store.path.name}.trig"')
    got = quads(r.content, ox.RdfFormat.TRIG)
    assert got == quads(built_store.dump(ox.RdfFormat.N_QUADS), ox.RdfFormat.N_QUADS)
    assert {q[3] for q in got} == {f"<{g}>" for g in built_store.named_graphs()}


def test_nquads_dump_holds_the_same_quads(client: TestClient,
                                          built_store: EmbeddedStore) -> None:
    trig = client.get("/dump.trig")
    nquads = client.get("/dump.nq")
    assert nquads.headers["content-type"] == "application/n-quads; charset=utf-8"
    assert client.get("/dump", params={"format": "nquads"}).content == nquads.content
    a, b = ox.Store(), ox.Store()
    a.load(trig.content, format=ox.RdfFormat.TRIG)
    b.load(nquads.content, format=ox.RdfFormat.N_QUADS)
    assert len(a) == len(b) == len(built_store.raw)


def test_dump_revalidates_and_refuses_other_types(client: TestClient) -> None:
    first = client.get("/dump.nq")
    assert first.headers["access-control-allow-origin"] == "*"
    again = client.get("/dump.nq", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    head = client.head("/dump.nq")
    assert head.content == b"" and head.headers["content-length"] == str(len(first.content))
    named = client.get("/dump.trig", headers={"Accept": "text/html"})  # the name decides
    assert named.status_code == 200
    assert named.headers["content-type"] == "application/trig; charset=utf-8"
    refused = client.get("/dump", headers={"Accept": "text/turtle"})
    assert refused.status_code == 406
    assert refused.headers["content-type"] == "application/problem+json"
    assert "application/trig" in refused.json()["detail"]


def test_void_description_points_at_dumps_and_endpoint_that_answer(client: TestClient) -> None:
    """/.well-known/void leads to the dataset's description, whose void:dataDump and
    void:sparqlEndpoint are served here (under the base IRI, at the same paths)."""
    r = client.get("/.well-known/void", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/id/dataset"
    graph = Graph().parse(data=client.get("/id/dataset", headers={"Accept": "text/turtle"}).text,
                          format="turtle")
    dataset = URIRef(ID["dataset"])
    dumps = set(graph.objects(dataset, VOID.dataDump))
    assert dumps == {URIRef(BASE + "dump.trig"), URIRef(BASE + "dump.nq")}
    (endpoint,) = graph.objects(dataset, VOID.sparqlEndpoint)
    for iri in [*dumps, endpoint]:
        path = "/" + str(iri).removeprefix(BASE)
        assert client.head(path).status_code == 200, path
