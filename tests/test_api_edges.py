"""Edges of the HTTP API an app runs into: parameters that look valid and are not, media
types in another letter case, conditional requests on things that do not exist, headers a
browser app must be able to read, and the dataset's own graphs as linked data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID

from api.app import create_app
from graph.namespaces import ID
from graph.settings import Settings
from graph.store import EmbeddedStore


@pytest.fixture(scope="module")
def client(built_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(built_settings)) as c:
        yield c


def _problem(resp, status: int, parameter: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    if parameter is not None:
        assert problem["parameter"] == parameter
    return problem


@pytest.mark.parametrize("limit", ["²", "٣", "-1", "abc", "0", "101", "1e2", " 5", "00000005"])
def test_search_limit_must_be_ascii_digits_in_range(client: TestClient, limit: str) -> None:
    _problem(client.get("/search", params={"q": "smart", "limit": limit}), 400, "limit")


def test_search_limit_in_range_is_honoured(client: TestClient) -> None:
    resp = client.get("/search", params={"q": "smart", "limit": "3"})
    assert resp.status_code == 200
    assert len(resp.json()["results"]) == 3 < resp.json()["total"]


def test_search_refuses_an_unknown_kind_and_lists_the_known_ones(client: TestClient) -> None:
    problem = _problem(client.get("/search", params={"q": "smart", "kind": "zzz"}), 400, "kind")
    assert "platform" in problem["kinds"] and "org" in problem["kinds"]
    assert "zzz" not in problem["kinds"]
    long_kind = _problem(client.get("/search", params={"q": "x", "kind": "a" * 5000}), 400, "kind")
    assert len(long_kind["detail"]) < 2000
    assert client.get("/search", params={"q": "smart", "kind": "platform"}).status_code == 200


def test_source_documents_are_listed_and_found_by_title(client: TestClient,
                                                        built_store: EmbeddedStore) -> None:
    titles = {r[0].value: r[1].value for r in built_store.query(
        "SELECT ?d ?t WHERE { ?d a <https://w3id.org/hk-smartcity/def/SourceDocument> ; "
        "<http://purl.org/dc/terms/title> ?t }")}
    assert len(titles) == 5
    listing = client.get("/id/source/", headers={"Accept": "application/json"})
    assert listing.status_code == 200
    listed = {x["iri"] for kind in listing.json().values() for x in kind}
    assert set(titles) <= listed
    for iri, title in titles.items():
        hits = client.get("/search", params={"q": " ".join(title.split()[:6])}).json()["results"]
        assert iri in [h["iri"] for h in hits], title


@pytest.mark.parametrize("accept", ["Text/Turtle", "APPLICATION/LD+JSON", "application/N-Triples"])
def test_media_types_match_in_any_letter_case(client: TestClient, accept: str) -> None:
    resp = client.get("/id/org/dpo", headers={"Accept": accept})
    assert resp.status_code == 200
    assert resp.headers["content-type"].split(";")[0] == accept.lower()


def test_if_none_match_star_needs_the_thing_to_exist(client: TestClient) -> None:
    _problem(client.get("/id/nope/x", headers={"If-None-Match": "*"}), 404)
    assert client.get("/id/org/dpo", headers={"If-None-Match": "*"}).status_code == 304


def test_a_browser_app_can_read_the_links_and_the_dump_name(client: TestClient) -> None:
    resp = client.get("/id/org/dpo", headers={"Origin": "http://app.example"})
    exposed = {h.strip().lower() for h in resp.headers["access-control-expose-headers"].split(",")}
    assert {"link", "content-disposition", "etag"} <= exposed
    assert resp.headers["link"]


def test_a_long_path_is_not_echoed_back(client: TestClient) -> None:
    problem = _problem(client.get("/id/" + "a" * 5000), 404)
    assert "instance" not in problem and len(problem["detail"]) < 500


def test_every_graph_of_the_dataset_resolves_and_the_counts_add_up(
        client: TestClient, built_store: EmbeddedStore) -> None:
    """The dump's named graphs (the SHACL report and the metadata included) are described
    by the dataset, and their triple counts are what the store holds."""
    void = Graph().parse(data=client.get("/id/dataset", headers={"Accept": "text/turtle"}).text,
                         format="turtle")
    dataset = ID["dataset"]
    held = {r[0].value: int(r[1].value) for r in built_store.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    subsets = {str(s) for s in void.objects(dataset, VOID.subset)}
    assert subsets == set(held)
    assert {str(ID["graph/metadata"]), str(ID["graph/validation"])} <= subsets
    total = 0
    for name in subsets:
        resp = client.get(name.replace(str(ID), "/id/"), headers={"Accept": "text/turtle"})
        assert resp.status_code == 200, name
        described = Graph().parse(data=resp.text, format="turtle")
        assert (URIRef(name), RDF.type, VOID.Dataset) in described
        title = described.value(URIRef(name), DCTERMS.title)
        assert title is not None, name  # pages name it
        # Only graphs read from extra RDF files are named after their file.
        assert str(title).startswith("RDF file") == ("/graph/rdf/" in name), (name, title)
        count = described.value(URIRef(name), VOID.triples)
        assert isinstance(count, Literal) and int(count) == held[name], name
        total += held[name]
    assert int(void.value(dataset, VOID.triples)) == total  # type: ignore[arg-type]


def test_pages_show_quotes_as_read_with_the_sources_quote_marks(
        client: TestClient, built_store: EmbeddedStore) -> None:
    """oa:exact keeps the passage's markdown (``**4.2 million**``); the page shows the words."""
    import html

    rows = list(built_store.query(
        "SELECT ?c ?e WHERE { ?c <https://w3id.org/hk-smartcity/def/evidence>/"
        "<http://www.w3.org/ns/oa#hasSelector>/<http://www.w3.org/ns/oa#exact> ?e "
        "FILTER(CONTAINS(?e, '**') && CONTAINS(?e, '“')) } LIMIT 3"))
    assert rows
    for claim, exact in ((r[0].value, r[1].value) for r in rows):
        page = html.unescape(client.get(claim.replace(str(ID), "/id/"),
                                        headers={"Accept": "text/html"}).text)
        shown = " ".join(exact.replace("**", "").split())
        assert shown in page, claim


def test_a_kind_without_its_slash_leads_to_its_listing(client: TestClient) -> None:
    resp = client.get("/id/platform", follow_redirects=False)
    assert resp.status_code == 302 and resp.headers["location"] == "/id/platform/"
    assert resp.headers["access-control-allow-origin"] == "*"
    _problem(client.get("/id/no-such-kind"), 404)


@pytest.mark.parametrize("path", ["/id/org/dpo", "/sparql?query=ASK%7B%7D", "/def", "/search?q=dpo"])
def test_not_acceptable_says_it_varies_by_accept(client: TestClient, path: str) -> None:
    resp = client.get(path, headers={"Accept": "image/png"})
    _problem(resp, 406)
    assert "accept" in resp.headers["vary"].lower()


def test_a_kind_that_is_also_a_thing_is_the_thing(client: TestClient) -> None:
    """/id/smart-area is a concept scheme (and smart areas are listed at /id/smart-area/)."""
    resp = client.get("/id/smart-area", headers={"Accept": "application/n-triples"},
                      follow_redirects=False)
    assert resp.status_code == 200 and "ConceptScheme" in resp.text


@pytest.mark.parametrize("path", ["nope/x", "nope/%E4%B8%AD"])
def test_a_computed_etag_gets_no_304_for_a_thing_that_is_not_there(
        client: TestClient, built_settings: Settings, path: str) -> None:
    """The ETag of a document is computable by anyone (build, query and format are public):
    sent for a thing the graph does not hold, it must not answer 304 (nor fail on a
    non-ASCII path when writing the Link header)."""
    import hashlib
    from urllib.parse import unquote

    from api.resources.description import describe_query
    from api.sparql.workers import Job

    build = client.get("/healthz").json()["build"]
    iri = f"{built_settings.base_iri}id/{unquote(path)}"
    key = ("rendered", build, Job(describe_query(iri), None, "ntriples", built_settings.max_results),
           "turtle", ())
    etag = f'W/"{hashlib.sha256(repr(key).encode()).hexdigest()[:32]}"'
    _problem(client.get(f"/id/{path}", headers={"If-None-Match": etag}), 404)
    # The same computation for a thing that exists does give its ETag (the test is not vacuous).
    dpo = f"{built_settings.base_iri}id/org/dpo"
    key = ("rendered", build, Job(describe_query(dpo), None, "ntriples", built_settings.max_results),
           "turtle", ())
    assert client.get("/id/org/dpo").headers["etag"] == (
        f'W/"{hashlib.sha256(repr(key).encode()).hexdigest()[:32]}"')


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("POST", "/id/org/dpo", {"GET", "HEAD", "OPTIONS"}),
    ("PUT", "/def/PublicBody", {"GET", "HEAD", "OPTIONS"}),
    ("DELETE", "/def", {"GET", "HEAD", "OPTIONS"}),
    ("DELETE", "/dump.trig", {"GET", "HEAD", "OPTIONS"}),
    ("PUT", "/search", {"GET", "HEAD", "OPTIONS"}),
    ("DELETE", "/validation", {"GET", "HEAD", "OPTIONS"}),
    ("PUT", "/sparql", {"GET", "HEAD", "POST", "OPTIONS"}),
])
def test_a_405_lists_every_method_the_path_serves(client: TestClient, method: str, path: str,
                                                  allowed: set[str]) -> None:
    """RFC 9110 15.5.6: a 405 names the methods the target supports. GET, HEAD and
    OPTIONS are separate routes; Starlette named only the first one's (``Allow: HEAD``)."""
    r = client.request(method, path)
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/problem+json"
    assert {m.strip() for m in r.headers["allow"].split(",")} == allowed
