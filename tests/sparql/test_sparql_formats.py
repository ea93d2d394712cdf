"""Our SELECT/ASK writers agree with pyoxigraph's own, and cut answers say so.

``execute`` is the function a worker runs; here it runs in-process on the
fixture store, and every answer is parsed back and compared with the same
query's direct result."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from sparql_compare import direct_graph, direct_rows, ntriples_graph, parse_rows, same_graph

from api.sparql.workers import Job, execute
from graph.namespaces import PREFIXES

SELECTS = [
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
    # unbound values, language tags, typed literals, quotes/commas/newlines/tabs
    "PREFIX dct: <http://purl.org/dc/terms/> "
    "SELECT ?doc ?title ?desc WHERE { ?doc dct:title ?title "
    "OPTIONAL { ?doc dct:description ?desc } } ORDER BY ?doc ?title",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "SELECT ?x WHERE { VALUES ?x { 1 2.5 \"a\\tb\" \"zh\"@zh-Hant true } }",
]

PARSEABLE = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "tsv": ox.QueryResultsFormat.TSV,
}


@pytest.mark.parametrize("query", SELECTS)
@pytest.mark.parametrize("fmt", sorted(PARSEABLE))
def test_select_round_trips(direct: ox.Store, query: str, fmt: str) -> None:
    outcome = execute(direct, Job(query, fmt, None, max_results=100_000))
    assert outcome.status == "ok", outcome.message
    assert parse_rows(outcome.body, PARSEABLE[fmt]) == direct_rows(direct, query)


@pytest.mark.parametrize("query", SELECTS)
def test_csv_is_byte_identical_to_oxigraph(direct: ox.Store, query: str) -> None:
    outcome = execute(direct, Job(query, "csv", None, max_results=100_000))
    expected = direct.query(query, use_default_graph_as_union=True)
    assert isinstance(expected, ox.QuerySolutions)
    assert outcome.body == expected.serialize(format=ox.QueryResultsFormat.CSV)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("query", ["ASK { ?s ?p ?o }", "ASK { ?s <http://nothing/> ?o }"])
def test_ask(direct: ox.Store, query: str, fmt: str) -> None:
    outcome = execute(direct, Job(query, fmt, None, max_results=10))
    expected = bool(direct.query(query, use_default_graph_as_union=True))
    if fmt in ("json", "xml"):
        parsed = ox.parse_query_results(outcome.body, format=PARSEABLE[fmt])
        assert isinstance(parsed, ox.QueryBoolean) and bool(parsed) is expected
    else:
        assert outcome.body == (b"true" if expected else b"false")


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "jsonld", "rdfxml", "trig", "nquads"])
def test_graph_formats(direct: ox.Store, fmt: str) -> None:
    query = ("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } "
             "FILTER(?g != <https://w3id.org/hk-smartcity/id/graph/bulk>) }")
    outcome = execute(direct, Job(query, None, fmt, max_results=100_000), PREFIXES)
    assert outcome.status == "ok" and not outcome.truncated
    rdf_format = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                  "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML,
                  "trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS}[fmt]
    quads = list(ox.parse(outcome.body, format=rdf_format))
    nt = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES) or b""
    assert same_graph(ntriples_graph(nt), direct_graph(direct, query))


def test_select_is_cut_at_max_results(direct: ox.Store) -> None:
    query = "SELECT ?s ?o WHERE { ?s <https://w3id.org/hk-smartcity/def/n> ?o } ORDER BY ?o"
    outcome = execute(direct, Job(query, "json", None, max_results=5))
    assert outcome.truncated
    doc = json.loads(outcome.body)
    assert doc["head"]["truncated"] is True and "HKKG_MAX_RESULTS" in doc["head"]["note"]
    assert parse_rows(outcome.body, ox.QueryResultsFormat.JSON) == direct_rows(direct, query)[:5]
    full = execute(direct, Job(query, "json", None, max_results=len(direct_rows(direct, query))))
    assert not full.truncated and "truncated" not in json.loads(full.body)["head"]


def test_construct_is_cut_at_max_results(direct: ox.Store) -> None:
    query = "CONSTRUCT WHERE { ?s <https://w3id.org/hk-smartcity/def/n> ?o }"
    outcome = execute(direct, Job(query, None, "ntriples", max_results=7))
    assert outcome.truncated
    assert len(ntriples_graph(outcome.body)) == 7


def test_syntax_error_keeps_parser_position(direct: ox.Store) -> None:
    outcome = execute(direct, Job("SELECT * WHERE {\n ?s ?p }", "json", None, 10))
    assert outcome.status == "syntax"
    assert outcome.message.startswith("error at 2:")
