"""The pre-execution scan: SERVICE and updates are caught in every spelling,
while the same words as data (strings, IRIs, comments, names) are not."""

from __future__ import annotations

import time

import pytest

from api.sparql.safety import (
    MAX_NESTING,
    MalformedQueryError,
    QueryRefusedError,
    ServiceRefusedError,
    UpdateRefusedError,
    analyse,
)

SERVICE_QUERIES = [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "select * where { service <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { SeRvIcE SILENT <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?x ?y ?z . }SERVICE<http://example.org/>{?s ?p ?o}",
    "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } VALUES ?endpoint { <http://e/> } }",
    "SELECT * WHERE {\n  # comment\n  SERVICE\n<http://e/> {}}",
    "SELECT * WHERE { \\u0053ERVICE <http://e/> { ?s ?p ?o } }",
    "SELECT * WHERE { OPTIONAL { { SERVICE <http://e/> { ?s ?p ?o } } } }",
    "PREFIX s: <http://e/> SELECT * WHERE { ?a s:b ?c . SERVICE s:endpoint { ?s ?p ?o } }",
]

ESCAPE_SMUGGLED = [
    # \u inside a string: Oxigraph reads one string and then a SERVICE it would run.
    'SELECT * WHERE { BIND("a\\u0022" AS ?x) SERVICE <http://e/> { ?s ?p ?o } BIND("b" AS ?y) }',
    "SELECT * WHERE { BIND('a\\u0027' AS ?x) SERVICE <http://e/> { ?s ?p ?o } BIND('b' AS ?y) }",
    'SELECT * WHERE { BIND("\\u000a# " AS ?x) SERVICE <http://e/> { ?s ?p ?o } }',
    # (\u spelling the keyword itself is in SERVICE_QUERIES.)
    # One string read as sent; read with escapes decoded, two strings around a SERVICE.
    'SELECT * WHERE { BIND("\\u0022) SERVICE <http://e/> { ?s ?p ?o } BIND(\\u0022" AS ?x) }',
]

HARMLESS_QUERIES = [
    'SELECT * WHERE { ?s ?p "SERVICE" }',
    "SELECT * WHERE { ?s ?p '''a\nSERVICE <http://e/> {}''' }",
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://e/> {}",
    "SELECT * WHERE { <http://e/SERVICE> ?p ?o }",
    "PREFIX schema: <https://schema.org/> SELECT ?service WHERE { ?service a schema:Service }",
    "PREFIX service: <http://e/> SELECT * WHERE { ?s service:x ?o }",
    "SELECT $service WHERE { ?s ?p $service }",
    "SELECT * WHERE { _:service ?p ?o }",
    'SELECT * WHERE { ?s ?p "LOAD <http://e/> INSERT DATA {}" }',
    "PREFIX ex: <http://e/> SELECT * WHERE { ?s ex:delete ?o ; ex:insert ?x }",
]

UPDATES = [
    "INSERT DATA { <http://a> <http://b> <http://c> }",
    "PREFIX ex: <http://e/> DELETE WHERE { ?s ex:p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "LOAD <file:///etc/passwd> INTO GRAPH <http://g>",
    "CLEAR ALL",
    "DROP GRAPH <http://g>",
    "CREATE GRAPH <http://g>",
    "ADD DEFAULT TO <http://g>",
    "MOVE <http://a> TO <http://b>",
    "COPY <http://a> TO <http://b>",
    "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "clear default",
]


@pytest.mark.parametrize("query", SERVICE_QUERIES + ESCAPE_SMUGGLED)
def test_service_is_refused(query: str) -> None:
    """In every spelling, and whichever way an engine reads \\u escapes (ESCAPE_SMUGGLED)."""
    with pytest.raises(ServiceRefusedError) as err:
        analyse(query)
    assert err.value.status == 400


@pytest.mark.parametrize("query", HARMLESS_QUERIES)
def test_words_in_data_are_not_keywords(query: str) -> None:
    assert analyse(query).form == "SELECT"


@pytest.mark.parametrize("query", UPDATES)
def test_updates_are_refused(query: str) -> None:
    with pytest.raises(UpdateRefusedError) as err:
        analyse(query)
    assert err.value.status == 403
    assert "read-only" in str(err.value)


@pytest.mark.parametrize(("query", "form", "dataset"), [
    ("PREFIX a: <http://a/> SELECT * WHERE { ?s ?p ?o }", "SELECT", False),
    ("BASE <http://b/> ASK { ?s ?p ?o }", "ASK", False),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT", False),
    ("describe <http://x>", "DESCRIBE", False),
    ("SELECT * FROM <http://g> WHERE { ?s ?p ?o }", "SELECT", True),
    ("SELECT * FROM NAMED <http://g> WHERE { GRAPH ?g { ?s ?p ?o } }", "SELECT", True),
    ("SELECT * WHERE { ?s <http://e/from> ?o }", "SELECT", False),
    ("nonsense", None, False),
])
def test_form_and_dataset_clause(query: str, form: str | None, dataset: bool) -> None:
    info = analyse(query)
    assert info.form == form
    assert info.has_dataset_clause is dataset


# --------------------------------------------------------------------------- escapes, hostile input



def test_an_escape_cannot_hide_an_update_or_a_volatile_function() -> None:
    with pytest.raises(UpdateRefusedError):
        analyse('SELECT * WHERE { BIND("\\u0022" AS ?x) } INSERT DATA { <a> <b> <c> }')
    assert not analyse('SELECT * WHERE { BIND("\\u0022" AS ?x) BIND(RAND() AS ?r) BIND("" AS ?y) }'
                       ).deterministic


def test_an_escape_of_no_character_is_left_to_the_parser() -> None:
    assert analyse('SELECT * WHERE { ?s ?p "\\U00110000" }').form == "SELECT"
    assert analyse('SELECT * WHERE { ?s ?p "\\uD800" }').form == "SELECT"


@pytest.mark.parametrize("query", [
    'SELECT * WHERE { ?s ?p "never closed }',
    "SELECT * WHERE { ?s ?p 'never closed }",
    'SELECT * WHERE { ?s ?p """never closed }',
    "SELECT * WHERE { FILTER(" + "(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1) + ") }",
    "SELECT * WHERE " + "{" * 3000 + "}" * 3000,
])
def test_what_no_engine_can_run_is_refused_before_it_runs(query: str) -> None:
    """A string that never closes; nesting deep enough to overflow the engine's parser
    (3,000 levels crashed a worker: a 500)."""
    with pytest.raises(MalformedQueryError) as err:
        analyse(query)
    assert err.value.status == 400 and err.value.kind == "malformed-query"
    assert "character" in str(err.value)


def test_nesting_up_to_the_limit_is_fine() -> None:
    depth = MAX_NESTING - 2
    assert analyse("SELECT * WHERE { FILTER(" + "(" * depth + "1" + ")" * depth + ") }").form == "SELECT"


@pytest.mark.parametrize("query", [
    "._" * 10_000, '"\\' * 10_000, "'\\" * 10_000, "<" * 20_000, "a." * 10_000, "a:" * 10_000,
    "?" * 20_000, "<a" * 10_000, "\\u0022" * 3_000, "_" * 20_000 + ".",
])
def test_the_scan_is_linear(query: str) -> None:
    """The scan runs on the event loop: 20 KB of ``._`` took 1.75 s when the token
    patterns backtracked (every other request waited). Now a few milliseconds."""
    started = time.process_time()
    try:
        analyse(query)
    except QueryRefusedError:
        pass
    assert time.process_time() - started < 0.1
