"""The ontology at /def, its term IRIs, the JSON-LD context and the SHACL shapes, on the
real graph: every term IRI lands on an anchor of the page, unknown names are 404 problems,
every format is the published build's ontology graph, the HTTP headers apps rely on (HEAD,
CORS preflight, ETag and 304, Vary, Link) are there, and every sh:sourceShape of the
validation report resolves."""

from __future__ import annotations

import html
import logging
import os
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from helpers import DATA_DIR
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS

from api.app import create_app
from graph import ontology_docs, store
from graph.namespaces import GRAPH_ONTOLOGY, HKSC, SH
from graph.settings import Settings
from graph.store import EmbeddedStore

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
RDF_FORMATS = {"text/turtle": "turtle", "application/ld+json": "json-ld",
               "application/n-triples": "nt", "application/rdf+xml": "xml"}
SHAPES_DOC = "https://w3id.org/hk-smartcity/def/shapes"
SHAPES_NS = SHAPES_DOC + "/"
ONTOLOGY_QUERY = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{ ?s ?p ?o }} }}"


@pytest.fixture(scope="module")
def client(built_settings: Settings) -> Iterator[TestClient]:
    settings = built_settings.model_copy(update={"query_cache_mb": 0})
    with TestClient(create_app(settings)) as c:
        yield c


class _Page(HTMLParser):
    """The ids of a page's elements and its links to fragments of itself."""

    def __init__(self, text: str):
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.fragments: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids[values["id"] or ""] += 1
        href = values.get("href") or ""
        if href.startswith("#"):
            self.fragments.add(href[1:])


def _store_graph(built_store: EmbeddedStore, query: str = ONTOLOGY_QUERY) -> Graph:
    data = ox.serialize(built_store.query(query), format=ox.RdfFormat.N_TRIPLES)
    assert data is not None
    return Graph().parse(data=data.decode("utf-8"), format="nt")


def _terms(graph: Graph) -> dict[str, str]:
    """Local name -> IRI of every IRI under hksc: the graph describes."""
    return {str(s)[len(str(HKSC)):]: str(s) for s in set(graph.subjects())
            if isinstance(s, URIRef) and str(s).startswith(str(HKSC))}


def _shapes_graph() -> Graph:
    return Graph().parse(data=(resources.files("shapes") / "shapes.ttl").read_text("utf-8"),
                         format="turtle")


# -- term IRIs land on their anchors -----------------------------------------------------


def test_every_term_lands_on_its_anchor(client: TestClient, built_store: EmbeddedStore) -> None:
    """pyLODE names anchors after labels (PublicBody -> #Publicbody, Role -> #Post); each
    term of the published ontology must redirect to an anchor the page has, once."""
    terms = _terms(_store_graph(built_store))
    assert len(terms) > 100 and {"PublicBody", "Role", "relatedTo", "note", "unitHalfYear"} <= set(terms)
    page = client.get("/def", headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    parsed = _Page(page.text)
    for name in sorted(terms):
        r = client.get(f"/def/{name}", headers={"Accept": BROWSER}, follow_redirects=False)
        assert r.status_code == 303, (name, r.status_code)
        location = r.headers["location"]
        assert location == f"/def#{name}"
        assert parsed.ids[name] == 1, f"{name}: {parsed.ids[name]} elements with id {name!r}"
    assert [i for i, n in parsed.ids.items() if n > 1] == [], "ids used twice"
    assert parsed.fragments - set(parsed.ids) == set(), "links to anchors the page lacks"
    # The anchor is the term's own section, which names its IRI.
    section = page.text[page.text.index('id="PublicBody"'):][:600]
    assert terms["PublicBody"] in section


@pytest.mark.parametrize("path", ["/def/NoSuchTerm", "/def/publicbody", "/def/Publicbody",
                                  "/def/iam-smart", "/def/%3Cx%3E", "/def/" + "a" * 5000,
                                  "/def/shapes/NoSuchShape", "/def/shapes/Platform"])
def test_unknown_names_are_404_problems(client: TestClient, path: str) -> None:
    for method in ("GET", "HEAD"):
        r = client.request(method, path, headers={"Accept": BROWSER}, follow_redirects=False)
        assert r.status_code == 404, (method, path, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["access-control-allow-origin"] == "*"
    body = client.get(path).json()
    assert body["status"] == 404 and body["type"].endswith("/not-found")
    assert len(body["detail"]) < 500


# -- the formats of /def are the published build's ontology graph ------------------------


@pytest.mark.parametrize(("media_type", "name"), [
    ("text/turtle", "turtle"), ("application/ld+json", "jsonld"),
    ("application/n-triples", "ntriples"), ("application/rdf+xml", "rdfxml")])
def test_rdf_formats_are_the_published_ontology_graph(client: TestClient, built_store: EmbeddedStore,
                                                      media_type: str, name: str) -> None:
    expected = _store_graph(built_store)
    assert (HKSC.Platform, RDF.type, OWL.Class) in expected
    for r in (client.get("/def", headers={"Accept": media_type}), client.get(f"/def?format={name}")):
        assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media_type
        assert isomorphic(Graph().parse(data=r.text, format=RDF_FORMATS[media_type]), expected)


def test_turtle_reads_by_subject(client: TestClient) -> None:
    text = client.get("/def", headers={"Accept": "text/turtle"}).text
    assert "<https://w3id.org/hk-smartcity/def> a owl:Ontology ;" in text
    assert "hksc:Platform a owl:Class ;" in text


KEPT_SHAPES = """# The shapes of a build made before the working tree's shapes changed.
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/hk-smartcity/def/shapes/OnlyInTheBuildShape> a sh:NodeShape ;
    rdfs:label "A shape only this build was checked against" ;
    sh:targetClass <https://w3id.org/hk-smartcity/def/Claim> .
"""


@pytest.fixture(scope="module")
def drifted(built_settings: Settings, built_store: EmbeddedStore,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app over a published build whose ontology graph differs from ontology/*.ttl (a
    term only the build has, a term only the working tree has), with the page of the
    session's build left beside it (stale)."""
    store_dir = tmp_path_factory.mktemp("drifted-store")
    path = store.new_build_dir(store_dir)
    graph = _store_graph(built_store)
    graph.remove((HKSC.PublicBody, None, None))
    graph.add((HKSC.OnlyInTheBuild, RDF.type, OWL.Class))
    graph.add((HKSC.OnlyInTheBuild, RDFS.label, Literal("Something else entirely", lang="en")))
    oxstore = ox.Store(str(path))
    oxstore.bulk_load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES,
                      to_graph=ox.NamedNode(str(GRAPH_ONTOLOGY)))
    oxstore.flush()
    del oxstore
    # The shapes this build was "checked against": one shape only the build has.
    kept = store.kept_file(store_dir, path.name, "shapes.ttl")
    kept.parent.mkdir(parents=True)
    kept.write_text(KEPT_SHAPES, encoding="utf-8")
    store.publish(store_dir, path)
    page = built_settings.resolved_store_dir / ontology_docs.DOC_NAME
    (store_dir / page.name).write_bytes(page.read_bytes())
    settings = Settings(data_dir=DATA_DIR, store_dir=store_dir, query_cache_mb=0)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize("media_type", [*RDF_FORMATS, BROWSER])
def test_def_serves_the_published_build_not_the_working_tree(drifted: TestClient,
                                                             media_type: str) -> None:
    r = drifted.get("/def", headers={"Accept": media_type})
    assert r.status_code == 200
    if media_type == BROWSER:
        page = _Page(r.text)
        assert page.ids["OnlyInTheBuild"] == 1 and "Something else entirely" in r.text
        assert page.ids["PublicBody"] == 0
        assert page.fragments - set(page.ids) == set()
        return
    served = Graph().parse(data=r.text, format=RDF_FORMATS[media_type])
    assert (HKSC.OnlyInTheBuild, RDF.type, OWL.Class) in served
    assert (HKSC.PublicBody, None, None) not in served


def test_terms_are_the_published_builds(drifted: TestClient) -> None:
    r = drifted.get("/def/OnlyInTheBuild", headers={"Accept": BROWSER}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/def#OnlyInTheBuild"
    assert drifted.get("/def/PublicBody", follow_redirects=False).status_code == 404
    assert drifted.get("/def/Platform", follow_redirects=False).status_code == 303


def test_the_shapes_are_those_the_served_build_was_checked_against(drifted: TestClient) -> None:
    """The build keeps the shapes that made its report (``kept/<build>/shapes.ttl``):
    /def/shapes, a shape's IRI and /validation's shape= read those, not the working
    tree's file, which may have changed since (an edit or a pull, then a build elsewhere)."""
    turtle = drifted.get("/def/shapes", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and turtle.text == KEPT_SHAPES
    page = drifted.get("/def/shapes", headers={"Accept": BROWSER})
    assert "A shape only this build was checked against" in page.text
    only = drifted.get("/def/shapes/OnlyInTheBuildShape", headers={"Accept": BROWSER},
                       follow_redirects=False)
    assert only.status_code == 303 and only.headers["location"] == "/def/shapes#OnlyInTheBuildShape"
    assert drifted.get("/def/shapes/Claim", follow_redirects=False).status_code == 404
    refused = drifted.get("/validation", params={"shape": "Claim"})
    assert refused.status_code == 400 and "not a shape of the gate" in refused.json()["detail"]
    # Accepted as a filter: this build holds no report at all, so the answer is that 404.
    accepted = drifted.get("/validation", params={"shape": "OnlyInTheBuildShape"})
    assert accepted.status_code == 404 and accepted.json()["type"].endswith("/not-found")
    assert refused.json()["type"].endswith("/invalid-parameter")


def test_a_build_keeps_the_shapes_of_its_report(built_settings: Settings) -> None:
    """``hkkg build`` writes the very text its gate read beside the store; a build without
    a copy (a remote store's, an older one) is served the package's shapes."""
    from graph.gate import shapes_of_build, shapes_text

    build = store.current_store_path(built_settings.resolved_store_dir).name
    kept = store.kept_file(built_settings.resolved_store_dir, build, "shapes.ttl")
    assert kept.read_text("utf-8") == shapes_text()
    assert shapes_of_build(built_settings.resolved_store_dir, "no-such-build") == shapes_text()
    assert shapes_of_build(built_settings.resolved_store_dir, None) == shapes_text()


def test_the_builds_page_is_served_only_for_its_graph(tmp_path: Path, built_store: EmbeddedStore) -> None:
    graph = _store_graph(built_store)
    prebuilt = tmp_path / ontology_docs.DOC_NAME
    prebuilt.write_text(ontology_docs.ontology_html(graph).replace("<h1>", "<h1>PREBUILT "),
                        encoding="utf-8")
    assert "PREBUILT" in ontology_docs.page_for(graph, prebuilt)  # made from this very graph: reused
    other = Graph()
    other += graph
    other.add((HKSC.Extra, RDF.type, OWL.Class))
    page = ontology_docs.page_for(other, prebuilt)
    assert "PREBUILT" not in page and _Page(page).ids["Extra"] == 1
    assert "PREBUILT" not in ontology_docs.page_for(graph, tmp_path / "missing.html")


def test_a_term_named_like_a_part_of_the_page_keeps_its_anchor(built_store: EmbeddedStore) -> None:
    """pyLODE's own ids (sections, namespace prefixes, the table of contents) give way to a
    term of the same name, and the links to them follow."""
    graph = _store_graph(built_store)
    clashes = ("legend", "classes", "namespaces", "toc", "hksc", "otherterms", "content")
    for name in clashes:
        graph.add((HKSC[name], RDF.type, OWL.Class))
        graph.add((HKSC[name], RDFS.label, Literal(f"Clash {name}", lang="en")))
    page = ontology_docs.ontology_html(graph)
    parsed = _Page(page)
    assert [i for i, n in parsed.ids.items() if n > 1] == []
    assert parsed.fragments - set(parsed.ids) == set()
    for name in clashes:
        assert parsed.ids[name] == 1
        assert str(HKSC[name]) in page[page.index(f'id="{name}"'):][:600], name
    # pyLODE's legend, renamed, is still what its entry of the table of contents links to.
    assert parsed.ids["legend-section"] == 1 and '<a href="#legend-section">Legend</a>' in page


def test_rendering_leaves_the_root_logger_alone(built_store: EmbeddedStore,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """Importing pyLODE configures the root logger at DEBUG and pyLODE logs on it; a
    server's log must neither change nor fill with pyLODE's messages."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    with caplog.at_level(logging.INFO):
        graph = _store_graph(built_store)
        graph.add((HKSC.Another, RDF.type, OWL.Class))  # not rendered before: pyLODE runs
        ontology_docs.ontology_html(graph)
        assert root.level == logging.INFO and list(root.handlers) == handlers
    assert not [r for r in caplog.records if r.name == "root"], "pyLODE's messages logged"


def test_rendering_adds_no_handler_and_keeps_the_level(built_store: EmbeddedStore) -> None:
    """Without pytest's handlers on the root logger, pyLODE's ``logging.info`` calls would
    add one (``basicConfig``); the root's level and handlers are as they were after."""
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    for handler in saved_handlers:
        root.removeHandler(handler)
    try:
        root.setLevel(logging.WARNING)
        graph = _store_graph(built_store)
        graph.add((HKSC.YetAnother, RDF.type, OWL.Class))  # not rendered before: pyLODE runs
        ontology_docs.ontology_html(graph)
        assert root.level == logging.WARNING
        assert root.handlers == []
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)



def test_while_pylode_runs_other_records_are_still_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Only pyLODE's records are dropped: the level is not raised for the whole process, so
    a server's other threads keep their INFO records while a page is rendered."""
    with caplog.at_level(logging.INFO), ontology_docs._pylode():
        logging.getLogger("hkkg.other").info("another thread's record")
        logging.info("a record of the root logger from elsewhere")
        pylode_record = logging.LogRecord("root", logging.INFO, os.path.join("x", "pylode", "utils.py"), 1,
                                          "pyLODE's progress", None, None)
        logging.getLogger().handle(pylode_record)
    messages = [r.getMessage() for r in caplog.records]
    assert "another thread's record" in messages
    assert "a record of the root logger from elsewhere" in messages
    assert "pyLODE's progress" not in messages

# -- HTTP: HEAD, preflight, ETag, CORS, Vary, Link ---------------------------------------


@pytest.mark.parametrize("accept", [BROWSER, *RDF_FORMATS])
def test_def_headers(client: TestClient, accept: str) -> None:
    headers = {"Accept": accept, "Origin": "http://a.example"}
    r = client.get("/def", headers=headers)
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["vary"] == "Accept"
    assert 'rel="alternate"' in r.headers["link"] and "/def?format=" in r.headers["link"]
    etag = r.headers["etag"]
    again = client.get("/def", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert again.headers["access-control-allow-origin"] == "*"
    head = client.head("/def", headers=headers)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == etag and head.headers["content-type"] == r.headers["content-type"]
    assert int(head.headers["content-length"]) == len(r.content)
    other = client.get("/def", headers={**headers, "If-None-Match": 'W/"not-this-one"'})
    assert other.status_code == 200
    # Another format is another representation, with another tag.
    another = "/def?format=rdfxml" if accept != "application/rdf+xml" else "/def?format=turtle"
    assert client.get(another, headers={"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize("path", ["/def", "/def/context.jsonld", "/def/Platform", "/def/shapes",
                                  "/def/shapes/EventHasDate"])
def test_preflight(client: TestClient, path: str) -> None:
    r = client.options(path, headers={"Origin": "http://a.example", "Access-Control-Request-Method": "GET",
                                      "Access-Control-Request-Headers": "If-None-Match"})
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert {"GET", "HEAD"} <= {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    assert "if-none-match" in r.headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize(("path", "accept", "location"), [
    ("/def/Platform", "text/turtle", "/def?format=turtle"),
    ("/def/Platform", BROWSER, "/def#Platform"),
    ("/def/Platform", "application/ld+json", "/def?format=jsonld"),
    ("/def/shapes/EventHasDate", "text/turtle", "/def/shapes?format=turtle"),
    ("/def/shapes/EventHasDate", BROWSER, "/def/shapes#EventHasDate"),
    # The namespace IRI, the dataset's void:vocabulary (Starlette's 307 had no CORS).
    ("/def/", BROWSER, "/def"),
    ("/def/", "text/turtle", "/def?format=turtle"),
])
def test_redirects_carry_cors_and_vary(client: TestClient, path: str, accept: str, location: str) -> None:
    for method in ("GET", "HEAD"):
        r = client.request(method, path, headers={"Accept": accept, "Origin": "http://a.example"},
                           follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == location
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["vary"] == "Accept"
    followed = client.get(path, headers={"Accept": accept})
    assert followed.status_code == 200


def test_redirect_refuses_what_it_cannot_serve(client: TestClient) -> None:
    r = client.get("/def/Platform", headers={"Accept": "image/png"}, follow_redirects=False)
    assert r.status_code == 406 and r.headers["content-type"] == "application/problem+json"


def test_context_jsonld(client: TestClient) -> None:
    r = client.get("/def/context.jsonld", headers={"Origin": "http://a.example"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/ld+json"
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.json()["@context"]["develops"]["@id"] == str(HKSC.develops)
    assert r.text == (resources.files("ontology") / "context.jsonld").read_text("utf-8")
    etag = r.headers["etag"]
    assert client.get("/def/context.jsonld", headers={"If-None-Match": etag}).status_code == 304
    head = client.head("/def/context.jsonld")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    assert int(head.headers["content-length"]) == len(r.content)


# -- SHACL shapes --------------------------------------------------------------------------


def test_every_source_shape_of_the_report_resolves(client: TestClient, built_store: EmbeddedStore) -> None:
    """A node shape ``<base>def/shapes/{Name}`` is a 303 to its place on /def/shapes (or to
    the data); a part of the shapes document ``<base>def/shapes#{part}`` is an anchor of
    that page. Every shape the report names, and every one the shapes file has, resolves."""
    report = {row["shape"].value for row in built_store.query(
        "SELECT DISTINCT ?shape WHERE { GRAPH <https://w3id.org/hk-smartcity/id/graph/validation> "
        "{ ?r <http://www.w3.org/ns/shacl#sourceShape> ?shape FILTER isIRI(?shape) } }")}
    assert report, "the report names no shape"
    shapes = _shapes_graph()
    named = {str(s) for s in set(shapes.subjects())
             if isinstance(s, URIRef) and str(s).startswith((SHAPES_NS, SHAPES_DOC + "#"))}
    assert any(iri.startswith(SHAPES_NS) for iri in named)
    response = client.get("/def/shapes", headers={"Accept": BROWSER})
    assert response.status_code == 200
    page = _Page(response.text)
    assert [i for i, n in page.ids.items() if n > 1] == []
    data = Graph().parse(data=client.get("/def/shapes", headers={"Accept": "text/turtle"}).text,
                         format="turtle")
    for iri in sorted(report | named):
        assert (URIRef(iri), RDF.type, None) in data, iri
        if iri.startswith(SHAPES_DOC + "#"):  # a fragment of /def/shapes
            assert page.ids[iri.partition("#")[2]] == 1, iri
            continue
        assert iri.startswith(SHAPES_NS), iri
        name = iri[len(SHAPES_NS):]
        path = iri.removeprefix("https://w3id.org/hk-smartcity")
        r = client.get(path, headers={"Accept": BROWSER}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/def/shapes#{name}", iri
        assert page.ids[name] == 1, iri
        as_data = client.get(path, headers={"Accept": "text/turtle"}, follow_redirects=False)
        assert as_data.headers["location"] == "/def/shapes?format=turtle"


def test_shapes_page_shows_each_message(client: TestClient) -> None:
    text = client.get("/def/shapes", headers={"Accept": BROWSER}).text
    shapes = _shapes_graph()
    messages = {str(m) for m in shapes.objects(None, SH.message)}
    assert len(messages) > 10
    for message in messages:
        assert html.escape(message) in text, message
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        label = shapes.value(shape, RDFS.label)
        if isinstance(shape, URIRef) and label is not None:
            assert html.escape(str(label)) in text, shape
    assert 'href="/def#Event"' in text
    assert _Page(text).fragments - set(_Page(text).ids) == set()


@pytest.mark.parametrize("media_type", list(RDF_FORMATS))
def test_shapes_formats(client: TestClient, media_type: str) -> None:
    r = client.get("/def/shapes", headers={"Accept": media_type, "Origin": "http://a.example"})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media_type
    assert isomorphic(Graph().parse(data=r.text, format=RDF_FORMATS[media_type]), _shapes_graph())
    assert r.headers["access-control-allow-origin"] == "*" and r.headers["vary"] == "Accept"
    assert "/def/shapes?format=" in r.headers["link"]
    etag = r.headers["etag"]
    assert client.get("/def/shapes", headers={"Accept": media_type, "If-None-Match": etag}).status_code == 304
    head = client.head("/def/shapes", headers={"Accept": media_type})
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
