"""Real clients against a real server: SPARQLWrapper and rdflib's SPARQLStore
talk to uvicorn on 127.0.0.1, for every query form and result format, and
every answer must equal the same query run directly on the store. Runs over
the fixture graph and, when tests/conftest.py can build it, the real graph
(plus its example-query catalogue)."""

from __future__ import annotations

from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from conftest import Live
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from sparql_compare import (
    direct_bool,
    direct_graph,
    direct_rows,
    parse_rows,
    rdflib_term,
    rows_of,
    same_graph,
)
from SPARQLWrapper import CSV, JSON, JSONLD, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from graph.queries import load_catalogue

P = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
SELECTS = {
    "typed": "SELECT ?s ?type WHERE { ?s a ?type } ORDER BY ?s ?type LIMIT 200",
    "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "optional": P + "SELECT ?s ?label WHERE { ?s a ?t OPTIONAL { ?s rdfs:label ?label } } "
                    "ORDER BY ?s ?label LIMIT 100",
}
ASKS = {"yes": "ASK { ?s ?p ?o }", "no": "ASK { ?s <http://nothing.example/p> ?o }"}
GRAPHS = {
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(isLiteral(?o)) } "
                 "ORDER BY ?s ?p ?o LIMIT 300",
    "describe": "DESCRIBE ?s WHERE { ?s a ?t } ORDER BY ?s LIMIT 3",
}


def _wrapper(live: Live, query: str, fmt: str, method: str) -> Any:
    sw = SPARQLWrapper(live.endpoint)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    return sw.queryAndConvert()


def _json_term(t: dict[str, str] | None) -> str:
    if t is None:
        return ""
    if t["type"] == "uri":
        return str(ox.NamedNode(t["value"]))
    if t["type"] == "bnode":
        return "_:b"
    if "xml:lang" in t:
        return str(ox.Literal(t["value"], language=t["xml:lang"]))
    return str(ox.Literal(t["value"], datatype=ox.NamedNode(
        t.get("datatype", "http://www.w3.org/2001/XMLSchema#string"))))


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", sorted(SELECTS))
def test_wrapper_select(live: Live, name: str, method: str) -> None:
    query = SELECTS[name]
    expected = direct_rows(live.store, query)
    assert expected
    doc = _wrapper(live, query, JSON, method)
    variables = doc["head"]["vars"]
    rows = [tuple((v, _json_term(b.get(v))) for v in variables)
            for b in doc["results"]["bindings"]]
    assert rows == expected
    xml = _wrapper(live, query, XML, method)
    assert parse_rows(xml.toxml().encode(), ox.QueryResultsFormat.XML) == expected
    tsv = _wrapper(live, query, TSV, method)
    assert parse_rows(tsv, ox.QueryResultsFormat.TSV) == expected
    csv = _wrapper(live, query, CSV, method)
    direct_csv = live.store.query(query, use_default_graph_as_union=True)
    assert isinstance(direct_csv, ox.QuerySolutions)
    assert csv == direct_csv.serialize(format=ox.QueryResultsFormat.CSV)


@pytest.mark.parametrize("name", sorted(ASKS))
def test_wrapper_ask(live: Live, name: str) -> None:
    expected = direct_bool(live.store, ASKS[name])
    assert _wrapper(live, ASKS[name], JSON, "GET")["boolean"] is expected
    xml = _wrapper(live, ASKS[name], XML, "POST")
    parsed = ox.parse_query_results(xml.toxml().encode(), format=ox.QueryResultsFormat.XML)
    assert isinstance(parsed, ox.QueryBoolean) and bool(parsed) is expected


@pytest.mark.parametrize("fmt", [TURTLE, RDFXML, JSONLD, XML])
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_wrapper_graph(live: Live, name: str, fmt: str) -> None:
    query = GRAPHS[name]
    expected = direct_graph(live.store, query)
    assert len(expected) > 0
    result = _wrapper(live, query, fmt, "POST")
    if isinstance(result, bytes):
        result = rdflib.Graph().parse(data=result.decode(), format="turtle")
    assert isinstance(result, rdflib.Graph)
    assert same_graph(result, expected)


@pytest.mark.parametrize(("media_type", "rdf_format"), [
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/trig", ox.RdfFormat.TRIG),
    ("application/n-quads", ox.RdfFormat.N_QUADS),
])
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_raw_graph_formats(live: Live, name: str, media_type: str,
                           rdf_format: ox.RdfFormat) -> None:
    query = GRAPHS[name]
    resp = httpx.post(live.endpoint, data={"query": query}, headers={"Accept": media_type})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith(media_type)
    triples = [q.triple for q in ox.parse(resp.content, format=rdf_format)]
    got = rdflib.Graph().parse(
        data=(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"").decode(), format="nt")
    assert same_graph(got, direct_graph(live.store, query))


@pytest.fixture
def rdflib_graph(live: Live, request: pytest.FixtureRequest) -> rdflib.Graph:
    method = getattr(request, "param", "GET")
    store = SPARQLStore(live.endpoint, method=method, returnFormat="xml")
    # default_union: rdflib then sends no default-graph-uri, so the endpoint's
    # default graph (the union of the named graphs) is queried.
    return rdflib.Dataset(store=store, default_union=True)


@pytest.mark.parametrize("rdflib_graph", ["GET", "POST"], indirect=True)
@pytest.mark.parametrize("name", sorted(SELECTS))
def test_rdflib_select(live: Live, rdflib_graph: rdflib.Graph, name: str) -> None:
    query = SELECTS[name]
    result = rdflib_graph.query(query)
    variables = [str(v) for v in result.vars or []]
    rows = [tuple((v, rdflib_term(row[v])) for v in variables)  # type: ignore[index,call-overload]
            for row in result]
    assert rows == direct_rows(live.store, query)


@pytest.mark.parametrize("name", sorted(ASKS))
def test_rdflib_ask(live: Live, rdflib_graph: rdflib.Graph, name: str) -> None:
    assert rdflib_graph.query(ASKS[name]).askAnswer is direct_bool(live.store, ASKS[name])


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_rdflib_graph(live: Live, rdflib_graph: rdflib.Graph, name: str) -> None:
    result = rdflib_graph.query(GRAPHS[name]).graph
    assert result is not None
    assert same_graph(result, direct_graph(live.store, GRAPHS[name]))


def test_example_catalogue(live: Live) -> None:
    """Every example query answers over the endpoint exactly as on the store
    (on the fixture graph most answer nothing, which must match too)."""
    examples = load_catalogue()
    assert examples
    for example in examples:
        resp = httpx.post(live.endpoint, data={"query": example.query}, timeout=30,
                          headers={"Accept": "application/sparql-results+json, "
                                             "application/n-triples;q=0.9"})
        assert resp.status_code == 200, (example.slug, resp.text)
        result = live.store.query(example.query, use_default_graph_as_union=True)
        if isinstance(result, ox.QuerySolutions):
            # As multisets: ties in ORDER BY and hash-ordered GROUP BY may come
            # out in another order in another process.
            got = parse_rows(resp.content, ox.QueryResultsFormat.JSON)
            assert sorted(got) == sorted(rows_of(result)), example.slug
        elif isinstance(result, ox.QueryBoolean):
            assert resp.json()["boolean"] is bool(result)
        else:
            assert same_graph(rdflib.Graph().parse(data=resp.text, format="nt"),
                              direct_graph(live.store, example.query))
