"""The SPARQL 1.1 Protocol over HTTP (in-process client, real worker processes):
operations, formats, negotiation, dataset parameters, refusals and limits.
Answers are compared with the same query run directly on the store."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
import rdflib
from fastapi.testclient import TestClient
from sparql_compare import direct_graph, direct_rows, ntriples_graph, parse_rows, same_graph
from sparql_data import G_BULK, G_RECORDS, G_SOURCES

SELECT = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
          "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label")
CONSTRUCT = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
             "CONSTRUCT { ?s rdfs:label ?label } WHERE { ?s rdfs:label ?label }")
DESCRIBE = "DESCRIBE <https://w3id.org/hk-smartcity/id/org/dpo>"
JSON = "application/sparql-results+json"


def _problem(resp: object, status: int) -> dict:
    assert resp.status_code == status, resp.text  # type: ignore[attr-defined]
    assert resp.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body = resp.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    return body


# ---------------------------------------------------------------- operations

def _send(client: TestClient, how: str, query: str, accept: str = JSON,
          extra: dict[str, str] | None = None):  # noqa: ANN202
    params = {"query": query, **(extra or {})}
    if how == "get":
        return client.get("/sparql", params=params, headers={"Accept": accept})
    if how == "form":
        return client.post("/sparql", data=params, headers={"Accept": accept})
    return client.post("/sparql", params=extra or {}, content=query.encode(),
                       headers={"Accept": accept, "Content-Type": "application/sparql-query"})


@pytest.mark.parametrize("how", ["get", "form", "direct"])
def test_select_by_every_operation(client: TestClient, direct: ox.Store, how: str) -> None:
    resp = _send(client, how, SELECT)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == JSON
    rows = parse_rows(resp.content, ox.QueryResultsFormat.JSON)
    assert rows == direct_rows(direct, SELECT) and len(rows) > 5


@pytest.mark.parametrize("how", ["get", "form", "direct"])
def test_construct_by_every_operation(client: TestClient, direct: ox.Store, how: str) -> None:
    resp = _send(client, how, CONSTRUCT, accept="application/n-triples")
    assert resp.status_code == 200, resp.text
    assert same_graph(ntriples_graph(resp.content), direct_graph(direct, CONSTRUCT))


def test_construct_states_each_triple_once(client: TestClient, direct: ox.Store) -> None:
    """A CONSTRUCT answer is a graph, a set: the engine writes a template triple that holds
    a blank node once per solution, so the link to a blank node repeats once per triple of
    that node (as in the resource descriptions) without this."""
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o . FILTER(isBlank(?o)) ?x a ?t }"
    engine = direct.query(query, use_default_graph_as_union=True)
    assert isinstance(engine, ox.QueryTriples)
    written = list(engine)
    assert len(written) > len(set(written)), "test setup: the engine repeats triples here"
    resp = client.post("/sparql", data={"query": query}, headers={"Accept": "application/n-triples"})
    lines = [line for line in resp.text.splitlines() if line.strip()]
    assert len(lines) == len(set(lines)) == len(set(written))


@pytest.mark.parametrize(("accept", "content_type"), [
    (JSON, JSON),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv; charset=utf-8"),
    ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8"),
    ("text/csv;q=0.2, application/sparql-results+xml;q=0.8", "application/sparql-results+xml"),
])
def test_select_formats_by_accept(client: TestClient, accept: str, content_type: str) -> None:
    resp = _send(client, "get", SELECT, accept=accept)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == content_type
    assert "Accept" in resp.headers["vary"]


@pytest.mark.parametrize(("fmt", "rdf_format", "content_type"), [
    ("turtle", ox.RdfFormat.TURTLE, "text/turtle; charset=utf-8"),
    ("ntriples", ox.RdfFormat.N_TRIPLES, "application/n-triples; charset=utf-8"),
    ("jsonld", ox.RdfFormat.JSON_LD, "application/ld+json"),
    ("rdfxml", ox.RdfFormat.RDF_XML, "application/rdf+xml"),
    ("trig", ox.RdfFormat.TRIG, "application/trig; charset=utf-8"),
    ("nquads", ox.RdfFormat.N_QUADS, "application/n-quads; charset=utf-8"),
])
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE])
def test_graph_formats(client: TestClient, direct: ox.Store, query: str, fmt: str,
                       rdf_format: ox.RdfFormat, content_type: str) -> None:
    resp = _send(client, "get", query, accept=rdf_format.media_type)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == content_type
    by_param = _send(client, "form", query, accept="image/png", extra={"format": fmt})
    assert by_param.status_code == 200 and by_param.content == resp.content
    triples = [q.triple for q in ox.parse(resp.content, format=rdf_format)]
    got = ntriples_graph(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")
    assert same_graph(got, direct_graph(direct, query))


def test_ask(client: TestClient) -> None:
    yes = _send(client, "get", "ASK { ?s ?p ?o }")
    no = _send(client, "get", "ASK { ?s <http://nothing/> ?o }")
    assert yes.json() == {"head": {}, "boolean": True}
    assert no.json() == {"head": {}, "boolean": False}


def test_not_acceptable_lists_offer(client: TestClient) -> None:
    body = _problem(_send(client, "get", SELECT, accept="image/png"), 406)
    assert set(body["offered"]) == {JSON, "application/sparql-results+xml", "text/csv",
                                    "text/tab-separated-values"}
    body = _problem(_send(client, "get", CONSTRUCT, accept="text/csv"), 406)
    assert "text/turtle" in body["offered"] and "text/turtle" in body["detail"]
    _problem(_send(client, "get", SELECT, extra={"format": "turtle"}), 406)


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize("how", ["get-update", "form-update", "sparql-update", "query-insert",
                                 "query-load", "query-clear"])
def test_updates_are_refused_read_only(client: TestClient, direct: ox.Store, how: str) -> None:
    before = direct_rows(direct, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    update = "INSERT DATA { GRAPH <http://g> { <http://a> <http://b> <http://c> } }"
    if how == "get-update":
        resp = client.get("/sparql", params={"update": update})
    elif how == "form-update":
        resp = client.post("/sparql", data={"update": update})
    elif how == "sparql-update":
        resp = client.post("/sparql", content=update,
                           headers={"Content-Type": "application/sparql-update"})
    else:
        query = {"query-insert": update, "query-load": "LOAD <http://127.0.0.1:9/x.ttl>",
                 "query-clear": "CLEAR ALL"}[how]
        resp = client.post("/sparql", data={"query": query})
    body = _problem(resp, 403)
    assert "read-only" in body["detail"]
    assert resp.headers["access-control-allow-origin"] == "*"
    assert direct_rows(direct, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == before


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Counter.hits.append(self.path)
        body = b"<http://fetched/s> <http://fetched/p> <http://fetched/o> .\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/n-triples")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def bait() -> Iterator[str]:
    """A local HTTP server that records every request it gets."""
    _Counter.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_bait_server_counts(bait: str) -> None:
    import httpx
    httpx.get(bait + "/probe")
    assert _Counter.hits == ["/probe"]


@pytest.mark.parametrize("template", [
    "SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}",
    "ASK {{ service <{url}/sparql> {{ ?s ?p ?o }} }}",
    # A \u escape inside a string: one string to Oxigraph, which then ran the SERVICE
    # (the scan used to decode escapes first and saw the SERVICE inside a string).
    'SELECT * WHERE {{ BIND("a\\u0022" AS ?x) SERVICE <{url}/sparql> {{ ?s ?p ?o }} BIND("b" AS ?y) }}',
    "SELECT * WHERE {{ BIND('a\\u0027' AS ?x) SERVICE <{url}/sparql> {{ ?s ?p ?o }} BIND('b' AS ?y) }}",
    'SELECT * WHERE {{ BIND("\\u000a# " AS ?x) SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}',
])
def test_service_refused_before_execution(client: TestClient, bait: str, template: str) -> None:
    body = _problem(client.post("/sparql", data={"query": template.format(url=bait)}), 400)
    assert "SERVICE" in body["detail"]
    assert _Counter.hits == []


def test_from_never_fetches_or_reads_files(client: TestClient, bait: str,
                                           tmp_path: Path) -> None:
    local = tmp_path / "data.nt"
    local.write_text("<http://file/s> <http://file/p> <http://file/o> .\n")
    for source in (f"{bait}/data.nt", local.as_uri()):
        for clause in ("FROM", "FROM NAMED"):
            query = (f"SELECT * {clause} <{source}> WHERE {{ "
                     "{ ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
            resp = client.get("/sparql", params={"query": query}, headers={"Accept": JSON})
            assert resp.status_code == 200, resp.text
            assert resp.json()["results"]["bindings"] == []
        resp = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }",
                                             "default-graph-uri": source})
        assert resp.json()["results"]["bindings"] == []
    assert _Counter.hits == []


def test_from_restricts_to_stored_graph(client: TestClient, direct: ox.Store) -> None:
    query = f"SELECT ?s ?p ?o FROM <{G_SOURCES}> WHERE {{ ?s ?p ?o }} ORDER BY ?s ?p ?o"
    rows = parse_rows(_send(client, "get", query).content, ox.QueryResultsFormat.JSON)
    expected = direct_rows(direct, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
                           use_default_graph_as_union=False,
                           default_graph=[ox.NamedNode(G_SOURCES)])
    assert rows == expected and 0 < len(rows) < 30


def test_dataset_parameters(client: TestClient, direct: ox.Store) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o"
    resp = _send(client, "form", query, extra={"default-graph-uri": G_RECORDS})
    expected = direct_rows(direct, query, use_default_graph_as_union=False,
                           default_graph=[ox.NamedNode(G_RECORDS)])
    assert parse_rows(resp.content, ox.QueryResultsFormat.JSON) == expected
    # Two default graphs merge; the protocol's dataset overrides the query's FROM.
    resp = client.get("/sparql", params=[
        ("query", f"SELECT (COUNT(*) AS ?n) FROM <{G_BULK}> WHERE {{ ?s ?p ?o }}"),
        ("default-graph-uri", G_RECORDS), ("default-graph-uri", G_SOURCES)])
    n = int(resp.json()["results"]["bindings"][0]["n"]["value"])
    expected_n = direct_rows(direct, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                             use_default_graph_as_union=False,
                             default_graph=[ox.NamedNode(G_RECORDS), ox.NamedNode(G_SOURCES)])
    assert f'"{n}"' in expected_n[0][0][1]
    # named-graph-uri limits GRAPH ?g; the default graph is then empty.
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    resp = _send(client, "direct", query, extra={"named-graph-uri": G_SOURCES})
    assert [b["g"]["value"] for b in resp.json()["results"]["bindings"]] == [G_SOURCES]
    resp = _send(client, "get", "ASK { ?s ?p ?o }", extra={"named-graph-uri": G_SOURCES})
    assert resp.json()["boolean"] is False
    _problem(_send(client, "get", query, extra={"default-graph-uri": "not an iri"}), 400)


def test_malformed_query_gives_parser_position(client: TestClient) -> None:
    body = _problem(_send(client, "get", "SELECT * WHERE {\n  ?s ?p \n}"), 400)
    assert body["kind"] if "kind" in body else True
    assert body["type"].endswith("malformed-query")
    assert body["position"]["line"] in (2, 3)
    assert body["parser_message"].startswith("error at ")


def test_query_length_cap(client: TestClient, sparql_settings: object) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 25_000
    for resp, status in ((client.get("/sparql", params={"query": query}), 414),
                         (client.post("/sparql", data={"query": query}), 400)):
        body = _problem(resp, status)
        assert "HKKG_MAX_QUERY_LENGTH" in body["detail"]


def test_body_size_cap(client: TestClient) -> None:
    body = _problem(client.post("/sparql", content=b"#" * 1_100_000,
                                headers={"Content-Type": "application/sparql-query"}), 413)
    assert "HKKG_MAX_BODY_BYTES" in body["detail"]


@pytest.mark.parametrize(("method", "kwargs", "status"), [
    ("POST", {"content": b"SELECT * {}", "headers": {"Content-Type": "text/plain"}}, 415),
    ("POST", {"data": {"format": "json"}}, 400),
    ("GET", {"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400),
    ("POST", {"data": {"query": "ASK {}", "timeout": "soon"}}, 400),
    ("POST", {"data": {"query": "ASK {}", "timeout": "-1"}}, 400),
    ("POST", {"data": {"query": "ASK {}", "timeout": "1_0"}}, 400),
    ("POST", {"data": {"query": "ASK {}", "timeout": "1e1"}}, 400),
    ("POST", {"data": {"query": "ASK {}", "timeout": "inf"}}, 400),
    ("POST", {"data": {"query": "ASK {}", "timeout": "0.0"}}, 400),
    # Shorter than MIN_TIMEOUT_S: it would cost a worker's restart however cheap the query.
    ("POST", {"data": {"query": "ASK {}", "timeout": "0.000001"}}, 400),
    # Refused before it runs: a string that never closes, nesting past the limit.
    ("POST", {"data": {"query": 'ASK { ?s ?p "open }'}}, 400),
    ("POST", {"data": {"query": "ASK " + "{" * 3000 + "}" * 3000}}, 400),
])
def test_bad_requests(client: TestClient, method: str, kwargs: dict, status: int) -> None:
    _problem(client.request(method, "/sparql", **kwargs), status)


def test_the_shortest_time_limit_a_request_may_ask_for(client: TestClient) -> None:
    from api.routers.sparql import MIN_TIMEOUT_S

    ok = client.post("/sparql", data={"query": "ASK {}", "timeout": f"{MIN_TIMEOUT_S:g}"},
                     headers={"Accept": "application/sparql-results+json"})
    assert ok.status_code == 200 and ok.json()["boolean"] is True
    shorter = _problem(client.post("/sparql", data={"query": "ASK {}", "timeout": "0.01"}), 400)
    assert f"{MIN_TIMEOUT_S:g} s" in shorter["detail"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_not_allowed(client: TestClient, method: str) -> None:
    resp = client.request(method, "/sparql", content=b"ASK {}")
    _problem(resp, 405)
    assert set(resp.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST",
                                                                       "OPTIONS"}
    assert resp.headers["access-control-allow-origin"] == "*"


def test_if_none_match_star_is_no_answer_to_a_query_that_has_none(client: TestClient) -> None:
    """``*`` matches any current answer: a malformed query has none (400), a good one gets
    its 304 only once it has run."""
    for star in ("*", '*, W/"other"'):  # "*" in a list as well as alone
        bad = client.get("/sparql", params={"query": "ASK { ?s ?p"}, headers={"If-None-Match": star})
        assert bad.status_code == 400, star
    good = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"If-None-Match": "*"})
    assert good.status_code == 304 and good.headers["etag"]


def test_head_answers_like_get_without_body(client: TestClient) -> None:
    get = client.get("/sparql", params={"query": "ASK {}"})
    head = client.head("/sparql", params={"query": "ASK {}"})
    assert head.status_code == get.status_code == 200
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"] != "0"


def test_openapi_documents_the_operation(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/sparql"])


# ---------------------------------------------------------------- CORS

def test_cors(client: TestClient) -> None:
    resp = _send(client, "get", "ASK {}", extra={})
    assert resp.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in resp.headers
    assert "HKKG-Truncated" in resp.headers["access-control-expose-headers"]
    pre = client.options("/sparql", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert "content-type" in pre.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in pre.headers
    err = client.get("/sparql", params={"query": "SELECT"}, headers={"Origin": "https://x.org"})
    assert err.status_code == 400 and err.headers["access-control-allow-origin"] == "*"


# ---------------------------------------------------------------- service description

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")


@pytest.mark.parametrize(("accept", "rdflib_format"), [
    (None, "turtle"), ("text/turtle", "turtle"), ("application/ld+json", "json-ld")])
def test_service_description(client: TestClient, direct: ox.Store, accept: str | None,
                             rdflib_format: str) -> None:
    resp = client.get("/sparql", headers={"Accept": accept} if accept else {})
    assert resp.status_code == 200
    g = rdflib.Graph().parse(data=resp.text, format=rdflib_format)
    service = rdflib.URIRef("http://testserver/sparql")
    assert (service, rdflib.RDF.type, SD.Service) in g
    assert (service, SD.endpoint, service) in g
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert (service, SD.feature, SD.UnionDefaultGraph) in g
    assert (service, SD.resultFormat,
            rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_CSV")) in g
    sizes = {str(g.value(ng, SD.name)): int(str(g.value(g.value(ng, SD.graph), VOID.triples)))
             for ng in g.subjects(rdflib.RDF.type, SD.NamedGraph)}
    expected = {str(r[0][1])[1:-1]: int(str(r[1][1]).split('"')[1]) for r in direct_rows(
        direct, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    assert sizes == expected and len(sizes) == 4


def test_query_page(client: TestClient) -> None:
    from graph.queries import load_catalogue
    resp = client.get("/sparql", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    page = resp.text
    assert 'id="query"' in page and "codemirror.js" in page
    config = json.loads(page.split('id="sparql-config">')[1].split("</script>")[0])
    assert "PREFIX hksc: <https://w3id.org/hk-smartcity/def/>" in config["prologue"]
    assert [e["slug"] for e in config["examples"]] == [e.slug for e in load_catalogue()]
    for example in load_catalogue():
        assert f'data-slug="{example.slug}"' in page
    # Every script and stylesheet comes from this service (works offline).
    import re
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert len(assets) >= 4
    for asset in assets:
        assert not asset.startswith(("http:", "https:", "//"))
        got = client.get(asset)
        assert got.status_code == 200 and len(got.content) > 100
    assert client.get("/static/..%2Fapp.py").status_code == 404


def test_no_published_store(tmp_path: Path) -> None:
    from conftest import app_client, settings_for
    with app_client(settings_for(tmp_path / "empty", query_workers=1,
                                 query_workers_burst=0)) as empty:
        body = _problem(empty.get("/sparql", params={"query": "ASK {}"}), 503)
        assert "hkkg build" in body["detail"]
        sd = empty.get("/sparql", headers={"Accept": "text/turtle"})
        assert sd.status_code == 200 and "sd:Service" in sd.text
        assert "sd:namedGraph" not in sd.text


def test_truncation_is_announced(sparql_store: Path, direct: ox.Store) -> None:
    from conftest import app_client, settings_for
    query = "SELECT ?s ?o WHERE { ?s <https://w3id.org/hk-smartcity/def/n> ?o } ORDER BY ?o"
    with app_client(settings_for(sparql_store, max_results=5, query_workers=1,
                                 query_workers_burst=0)) as small:
        resp = small.post("/sparql", data={"query": query})
        assert resp.headers["hkkg-truncated"] == "true"
        assert resp.json()["head"]["truncated"] is True
        assert parse_rows(resp.content, ox.QueryResultsFormat.JSON) == \
            direct_rows(direct, query)[:5]
        csv = small.post("/sparql", data={"query": query, "format": "csv"})
        assert csv.headers["hkkg-truncated"] == "true"
        assert len(csv.text.strip().splitlines()) == 6  # header + 5 rows
        graph = small.post("/sparql", data={"query": CONSTRUCT, "format": "ntriples"})
        assert graph.headers["hkkg-truncated"] == "true"
        assert len(ntriples_graph(graph.content)) == 5
        whole = small.post("/sparql", data={"query": "ASK { ?s ?p ?o }"})
        assert "hkkg-truncated" not in whole.headers


# ---------------------------------------------------------------- revalidation

def test_answers_carry_a_weak_etag_and_revalidate(client: TestClient) -> None:
    first = _send(client, "get", SELECT)
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and first.headers["cache-control"] == "no-cache"
    again = client.get("/sparql", params={"query": SELECT},
                       headers={"Accept": JSON, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    # Strong form of the same tag and lists match too (weak comparison).
    for header in (etag.removeprefix("W/"), f'"other", {etag}'):
        assert client.get("/sparql", params={"query": SELECT},
                          headers={"Accept": JSON, "If-None-Match": header}).status_code == 304
    other_format = _send(client, "get", SELECT, accept="text/csv")
    assert other_format.headers["etag"] != etag
    assert client.get("/sparql", params={"query": SELECT}, headers={
        "Accept": JSON, "If-None-Match": '"something-else"'}).status_code == 200


def test_volatile_queries_have_no_etag(client: TestClient) -> None:
    query = "SELECT (RAND() AS ?r) WHERE {}"
    resp = client.get("/sparql", params={"query": query}, headers={"If-None-Match": "*"})
    assert resp.status_code == 200 and "etag" not in resp.headers


def test_a_new_build_changes_the_etag(tmp_path: Path) -> None:
    from conftest import app_client, make_build, settings_for
    from sparql_data import TRIG

    store_dir = tmp_path / "store"
    make_build(store_dir, TRIG, name="a")
    with app_client(settings_for(store_dir, query_workers=1, query_workers_burst=0)) as c:
        old = c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).headers["etag"]
        make_build(store_dir, TRIG, name="b")
        resp = c.get("/sparql", params={"query": "ASK { ?s ?p ?o }"},
                     headers={"If-None-Match": old})
        assert resp.status_code == 200 and resp.headers["etag"] != old


def test_a_query_string_that_is_not_utf8_gets_a_problem_400(client: TestClient) -> None:
    """Raw bytes that are not UTF-8 in the query string. httptools refuses them before the
    app sees them; another ASGI server may pass them on, so the app is called directly."""
    messages: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        messages.append(message)

    async def call() -> None:
        await client.app(scope, receive, send)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": "/sparql", "raw_path": b"/sparql",
             "query_string": b"query=ASK%7B%7D&x=\xff", "headers": [(b"host", b"testserver")],
             "server": ("testserver", 80), "client": ("127.0.0.1", 1)}
    asyncio.run(call())
    start, body = messages[0], b"".join(m.get("body", b"") for m in messages[1:])
    assert start["status"] == 400
    assert (b"content-type", b"application/problem+json") in start["headers"]
    assert "query string is not UTF-8" in json.loads(body)["detail"]


@pytest.mark.parametrize("path", ["/sparql", "/id/org/dpo"])
def test_a_preflight_repeats_only_a_short_list_of_header_names(client: TestClient, path: str) -> None:
    asked = "Accept, Content-Type, X-Requested-With"
    preflight = {"Origin": "http://a.example", "Access-Control-Request-Method": "GET"}
    ok = client.options(path, headers={**preflight, "Access-Control-Request-Headers": asked})
    assert ok.status_code == 204 and ok.headers["access-control-allow-headers"] == asked
    for junk in ("x" * 5_000, "Accept Set-Cookie: a=b", "Accept, <script>"):
        r = client.options(path, headers={**preflight, "Access-Control-Request-Headers": junk})
        assert r.status_code == 204
        # Not repeated: the answer falls back to the route's own short list.
        assert r.headers["access-control-allow-headers"] in ("Accept, Content-Type", "Accept, If-None-Match")


def test_a_406_does_not_echo_a_long_accept_header(client: TestClient) -> None:
    accept = "text/x-nothing, " * 20_000
    resp = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": accept})
    body = _problem(resp, 406)
    assert len(body["detail"]) < 2_000 and "characters" in body["detail"]
