"""Format choice: q-values, wildcards, specific beats wildcard, format= wins."""

from __future__ import annotations

import pytest

from api.sparql.formats import GRAPH_FORMATS, RESULT_FORMATS
from api.sparql.negotiation import NotAcceptableError, negotiate, negotiate_query


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "json"),
    ("*/*", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/csv;q=0.5, text/tab-separated-values;q=0.9", "tsv"),
    ("text/*;q=0.9, application/sparql-results+json;q=0.1", "csv"),
    ("*/*;q=0.1, text/csv", "csv"),
    ("application/json", "json"),
    ("application/xml", "xml"),
    ("*/*, application/sparql-results+json;q=0", "xml"),
    # A parameter no offered type carries is ignored, as a charset always was.
    ("application/sparql-results+json; charset=utf-8", "json"),
    ("text/csv;charset=utf-8;q=0.9, text/tab-separated-values;q=0.5", "csv"),
])
def test_results_accept(accept: str | None, expected: str) -> None:
    assert negotiate(RESULT_FORMATS, accept).name == expected


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "turtle"),
    ("*/*", "turtle"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml;q=0.9, application/n-quads", "nquads"),
    ("application/trig, text/turtle;q=0.8", "trig"),
    ("text/plain", "ntriples"),
    ("text/turtle;charset=utf-8", "turtle"),
])
def test_graph_accept(accept: str | None, expected: str) -> None:
    assert negotiate(GRAPH_FORMATS, accept).name == expected


EXPANDED = 'application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"'
COMPACTED = 'application/ld+json;profile="http://www.w3.org/ns/json-ld#compacted"'


@pytest.mark.parametrize(("accept", "expected"), [
    ("application/ld+json", "jsonld"),
    (EXPANDED, "jsonld-expanded"),
    (COMPACTED, "jsonld"),
    # A range with a parameter applies only to types that carry it (RFC 9110, 12.5.1):
    # turning the expanded form down leaves plain JSON-LD acceptable.
    (EXPANDED + ";q=0, application/ld+json;q=0.5", "jsonld"),
    (EXPANDED + ";q=0, */*;q=0.1", "turtle"),
    (EXPANDED + ";q=0, application/ld+json;q=0.5, */*;q=0.1", "jsonld"),
    (EXPANDED + ", application/ld+json;q=0.5", "jsonld-expanded"),
    # A profile no offered type names is ignored (JSON-LD lets a server): still JSON-LD.
    ('application/ld+json;profile="https://www.w3.org/ns/activitystreams"', "jsonld"),
])
def test_json_ld_profiles(accept: str, expected: str) -> None:
    from api.resources.document import JSONLD, JSONLD_EXPANDED, TURTLE

    assert negotiate((TURTLE, JSONLD, JSONLD_EXPANDED), accept).name == expected


def test_a_profile_turned_down_alone_is_not_acceptable() -> None:
    from api.resources.document import JSONLD_EXPANDED

    with pytest.raises(NotAcceptableError):
        negotiate((JSONLD_EXPANDED,), EXPANDED + ";q=0, application/ld+json;q=0.5")


def test_format_parameter_wins_over_accept() -> None:
    assert negotiate(RESULT_FORMATS, "application/sparql-results+json", ["csv"]).name == "csv"
    assert negotiate(RESULT_FORMATS, None, ["text/tab-separated-values"]).name == "tsv"
    assert negotiate(GRAPH_FORMATS, "text/turtle", ["nt"]).name == "ntriples"


@pytest.mark.parametrize(("values", "results", "graph"), [
    # what SPARQLWrapper sends (format=, output=, sometimes twice or empty)
    (["json", "json"], "json", "jsonld"),
    (["xml", "xml"], "xml", "rdfxml"),
    (["tsv", "text/tab-separated-values", "tsv"], "tsv", None),
    (["rdf+xml", "", "rdf+xml"], None, "rdfxml"),
    (["json-ld", "", "json-ld"], None, "jsonld"),
    (["turtle", "turtle"], None, "turtle"),
])
def test_format_values_of_real_clients(values: list[str], results: str | None,
                                       graph: str | None) -> None:
    for formats, expected in ((RESULT_FORMATS, results), (GRAPH_FORMATS, graph)):
        if expected is None:
            with pytest.raises(NotAcceptableError):
                negotiate(formats, "*/*", values)
        else:
            assert negotiate(formats, "*/*", values).name == expected


def test_nothing_fits_lists_the_offer() -> None:
    with pytest.raises(NotAcceptableError) as err:
        negotiate(RESULT_FORMATS, "image/png")
    assert "text/csv" in err.value.offered
    with pytest.raises(NotAcceptableError):
        negotiate(RESULT_FORMATS, None, ["turtle"])  # a graph format for a SELECT


def test_unknown_form_negotiates_both_kinds() -> None:
    results, graph = negotiate_query(None, "text/turtle")
    assert results is None and graph is not None and graph.name == "turtle"
    results, graph = negotiate_query("SELECT", "*/*")
    assert results is not None and results.name == "json" and graph is None
