"""The pre-execution scan: SERVICE and updates are caught in every spelling,
while the same words as data (strings, IRIs, comments, names) are not."""

from __future__ import annotations

import pytest

from api.sparql.safety import ServiceRefusedError, UpdateRefusedError, analyse

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


@pytest.mark.parametrize("query", SERVICE_QUERIES)
def test_service_is_refused(query: str) -> None:
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
