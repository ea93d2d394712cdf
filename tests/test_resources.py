"""Linked-data resources at /id/...: every representation says the same, on the real graph.

The description of a thing is checked against the store itself (queried directly): every
claim about it is there with its quote and passage, and the links that point at it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV, RDF, SKOS

from api.app import create_app
from api.resources.description import describe_query
from graph.namespaces import HKSC, ID, OA, SH
from graph.settings import Settings
from graph.store import EmbeddedStore

IAM_SMART = ID["platform/iam-smart"]
PATH = "/id/platform/iam-smart"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def client(built_settings: Settings) -> Iterator[TestClient]:
    settings = built_settings.model_copy(update={"query_cache_mb": 0})
    with TestClient(create_app(settings)) as c:
        yield c


def _graph(client: TestClient, path: str, fmt: str) -> Graph:
    names = {"text/turtle": "turtle", "application/ld+json": "json-ld",
             "application/n-triples": "nt", "application/rdf+xml": "xml"}
    response = client.get(path, headers={"Accept": fmt})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == fmt
    return Graph().parse(data=response.text, format=names[fmt])


def test_description_holds_every_claim_with_its_evidence(client: TestClient,
                                                         built_store: EmbeddedStore) -> None:
    g = _graph(client, PATH, "text/turtle")
    assert (IAM_SMART, SKOS.prefLabel, Literal("iAM Smart", lang="en")) in g
    assert (IAM_SMART, SKOS.prefLabel, Literal("智方便", lang="zh-hant")) in g
    expected = {(row[0].value, row[1].value, row[2].value) for row in built_store.query(f"""
        SELECT ?claim ?passage ?quote WHERE {{
          ?claim hksc:about|<http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> <{IAM_SMART}> ;
                 <http://www.w3.org/ns/prov#wasDerivedFrom> ?passage ;
                 hksc:evidence/<http://www.w3.org/ns/oa#hasSelector>/<http://www.w3.org/ns/oa#exact> ?quote .
        }}""", prefixes={"hksc": str(HKSC)})}
    assert len(expected) > 30
    found = set()
    for claim in set(g.subjects(HKSC.about, IAM_SMART)) | set(g.subjects(RDF.subject, IAM_SMART)):
        passage = g.value(claim, PROV.wasDerivedFrom)
        quote = g.value(g.value(g.value(claim, HKSC.evidence), OA.hasSelector), OA.exact)
        found.add((str(claim), str(passage), str(quote)))
    assert found == expected
    # A figure with its value, from the July 2024 paper.
    over_27m = [c for c in g.subjects(HKSC.value, Literal(2700000)) if (c, HKSC.about, IAM_SMART) in g]
    assert over_27m
    # Links to it, with the linking thing's label so a client can show a name.
    dpo = ID["org/dpo"]
    assert (dpo, HKSC.develops, IAM_SMART) in g
    assert g.value(dpo, SKOS.prefLabel) is not None


@pytest.mark.parametrize("fmt", ["application/ld+json", "application/n-triples",
                                 "application/rdf+xml"])
def test_every_format_says_the_same(client: TestClient, fmt: str) -> None:
    assert isomorphic(_graph(client, PATH, "text/turtle"), _graph(client, PATH, fmt))


def test_jsonld_reads_as_plain_json(client: TestClient) -> None:
    """Compacted with ontology/context.jsonld: short keys, IRIs as strings, labels by
    language, typed dates as strings."""
    doc = client.get(PATH, headers={"Accept": "application/ld+json"}).json()
    assert "hksc" not in doc["@context"]  # no prefixes: IRI values stay whole
    (node,) = [n for n in doc["@graph"] if n.get("@id") == str(IAM_SMART)]
    assert node["@type"] == "Platform"
    assert node["prefLabel"] == {"en": "iAM Smart", "zh-hant": "智方便"}
    assert str(ID["platform/yue-sheng-shi"]) in node["integratesWith"]
    figure = next(n for n in doc["@graph"] if n.get("@type") == "Observation"
                  and n.get("value") == 2700000)
    assert figure["about"] == str(IAM_SMART) and figure["refDate"] == "2024-07-01"


def test_context_file_matches_the_ontology(client: TestClient) -> None:
    """ontology/context.jsonld is generated; it must not drift from the ontology."""
    from graph.jsonld_context import project_context, render

    served = client.get("/def/context.jsonld")
    assert served.status_code == 200 and served.headers["content-type"] == "application/ld+json"
    assert served.text == render(project_context()), \
        "regenerate: python -m graph.jsonld_context > ontology/context.jsonld"
    context = served.json()["@context"]
    assert context["develops"] == {"@id": str(HKSC.develops), "@type": "@id", "@container": "@set"}


def test_browser_gets_a_page_with_quotes_and_links(client: TestClient) -> None:
    response = client.get(PATH, headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "<h1>iAM Smart</h1>" in page and "智方便" in page
    assert "Over 2.7 million Hong Kong residents have registered for “iAM Smart”" in page
    assert 'href="/id/source/2024-07-12-legco-paper/p/10"' in page
    assert 'href="/id/org/dpo"' in page
    assert 'rel="alternate" type="text/turtle"' in page
    assert "uncertain reading" in page  # e.g. the ISO listing read from the January 2026 slides
    assert "<h2>Events (" in page and "Full adoption of iAM Smart" in page
    # Claims have no label; links to them say what they state.
    assert ">registered users: Over 4.2 million (2026-03-06-slides)</a>" in page
    # Dates show the precision the source gives: "in 2024" is not "2024-01-01".
    assert "<th>reference date</th><td>2024</td>" in page
    assert "2024-01-01" not in page


def test_headers_for_apps(client: TestClient) -> None:
    response = client.get(PATH + "?format=jsonld", headers={"Accept": "text/turtle"})
    assert response.headers["content-type"] == "application/ld+json"  # format= wins
    assert response.headers["vary"] == "Accept"
    assert response.headers["access-control-allow-origin"] == "*"
    assert f'<{PATH}?format=turtle>; rel="alternate"; type="text/turtle"' in response.headers["link"]
    pre = client.options(PATH, headers={"Origin": "https://app.example",
                                        "Access-Control-Request-Method": "GET",
                                        "Access-Control-Request-Headers": "if-none-match"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    assert "if-none-match" in pre.headers["access-control-allow-headers"]
    missing = client.get("/id/platform/no-such-platform")
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == "*"
    default = client.get(PATH, headers={"Accept": "*/*"})
    assert default.headers["content-type"].startswith("text/turtle")


def test_revalidation_and_head(client: TestClient) -> None:
    first = client.get(PATH, headers={"Accept": "text/turtle"})
    etag = first.headers["etag"]
    again = client.get(PATH, headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get(PATH, headers={"Accept": "application/n-triples", "If-None-Match": etag})
    assert other.status_code == 200  # another representation, another validator
    head = client.head(PATH, headers={"Accept": "text/turtle"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == first.headers["content-type"]
    assert int(head.headers["content-length"]) == len(first.content)


def test_a_passage_links_to_the_claims_derived_from_it(client: TestClient) -> None:
    g = _graph(client, "/id/source/2025-05-12-legco-paper/p/7", "text/turtle")
    claim = ID["claim/2025-05-12-legco-paper/iam-smart-annual-usage-2024"]
    assert (claim, PROV.wasDerivedFrom, ID["source/2025-05-12-legco-paper/p/7"]) in g
    # ... with what they say, so the paragraph's page lists the facts drawn from it.
    assert (claim, HKSC.value, Literal(44000000)) in g
    page = client.get("/id/source/2025-05-12-legco-paper/p/7", headers={"Accept": BROWSER}).text
    assert "<h2>Claims (8)</h2>" in page and "<td>44000000</td>" in page


@pytest.mark.parametrize(("path", "accept", "status", "kind"), [
    ("/id/platform/no-such-platform", "text/turtle", 404, "not-found"),
    ("/id/platform/a%3Eb", "text/turtle", 404, "not-found"),      # '>' cannot be in an IRI
    ("/id/platform/a%20b", "text/turtle", 404, "not-found"),
    ("/id/platform/" + "x" * 2000, "text/turtle", 404, "not-found"),
    (PATH, "image/png", 406, "not-acceptable"),
])
def test_errors_are_problems(client: TestClient, path: str, accept: str, status: int,
                             kind: str) -> None:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith(kind)
    if status == 406:
        assert "text/turtle" in response.json()["offered"]


def test_every_iri_of_the_graph_resolves(client: TestClient, built_store: EmbeddedStore) -> None:
    """No /id/ IRI in the graph is a dead link, and each labelled thing answers with its
    own label (about 1,500 requests; a few seconds)."""
    rows = built_store.query(f"""
        SELECT ?s (SAMPLE(?l) AS ?label) WHERE {{
          {{ ?s ?p ?o }} UNION {{ ?x ?p ?s }}
          FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}"))
          OPTIONAL {{ ?s <{SKOS.prefLabel}> ?l }}
        }} GROUP BY ?s""")
    things = [(row[0].value, row[1]) for row in rows]
    assert len(things) > 1000 and sum(label is not None for _s, label in things) > 400
    for iri, label in things:
        response = client.get("/" + iri.removeprefix("https://w3id.org/hk-smartcity/"),
                              headers={"Accept": "application/n-triples"})
        assert response.status_code == 200, iri
        assert "hkkg-truncated" not in response.headers, iri
        if label is not None:
            assert f"<{iri}> <{SKOS.prefLabel}>" in response.text, iri


def test_a_claim_carries_its_evidence(client: TestClient) -> None:
    claim = ID["claim/2025-05-12-legco-paper/iam-smart-annual-usage-2024"]
    g = _graph(client, "/id/claim/2025-05-12-legco-paper/iam-smart-annual-usage-2024",
               "text/turtle")
    quote = g.value(g.value(g.value(claim, HKSC.evidence), OA.hasSelector), OA.exact)
    assert str(quote).startswith("The annual usage of “iAM Smart” in 2024 was around 44 million")
    page = client.get("/id/claim/2025-05-12-legco-paper/iam-smart-annual-usage-2024",
                      headers={"Accept": BROWSER}).text
    assert "<h2>Evidence</h2>" in page and "around 44 million" in page


def test_index_lists_every_labelled_thing_by_kind(client: TestClient,
                                                  built_store: EmbeddedStore) -> None:
    listing = client.get("/id/", headers={"Accept": "application/json"})
    assert listing.status_code == 200 and listing.headers["content-type"] == "application/json"
    kinds = listing.json()
    listed = {t["iri"] for things in kinds.values() for t in things}
    expected = {row[0].value for row in built_store.query(f"""
        SELECT DISTINCT ?s WHERE {{ ?s <{SKOS.prefLabel}> ?l FILTER(STRSTARTS(STR(?s), "{ID}")) }}""")}
    assert listed == expected
    iam = next(t for t in kinds["platform"] if t["iri"] == str(IAM_SMART))
    assert iam == {"iri": str(IAM_SMART), "href": PATH, "label": "iAM Smart",
                   "types": ["Platform"]}
    # One kind: /id/{kind}/ ...
    platforms = client.get("/id/platform/", headers={"Accept": "application/json"}).json()
    assert list(platforms) == ["platform"] and platforms["platform"] == kinds["platform"]
    page = client.get("/id/platform/", headers={"Accept": BROWSER}).text
    assert f'<a href="{PATH}">iAM Smart</a>' in page
    missing = client.get("/id/no-such-kind/", headers={"Accept": "application/json"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_turtle_writes_the_graph_iris_whole(client: TestClient) -> None:
    """No `id:platform\\/iam-smart`: the graph's own IRIs hold a "/" that a prefixed name
    must escape, so Turtle writes them whole; vocabulary terms keep their prefixes."""
    text = client.get(PATH, headers={"Accept": "text/turtle"}).text
    assert "\\/" not in text
    assert f"<{IAM_SMART}>" in text and "skos:prefLabel" in text


def test_a_description_states_each_triple_once(client: TestClient, built_store: EmbeddedStore) -> None:
    """A description closes blank nodes (here the SHACL results that name the claim); the
    engine writes the link to a blank node once per triple of that node, and those repeats
    must not reach the client (a graph is a set)."""
    path = "/id/claim/2025-05-12-legco-paper/cdeg-dpo"
    engine = list(built_store.query(describe_query(str(ID) + path.removeprefix("/id/"))))
    assert len(engine) > len(set(engine)), "test setup: the engine repeats triples here"
    r = client.get(path, headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    lines = [line for line in r.text.splitlines() if line.strip()]
    repeated = [line for line, n in Counter(lines).items() if n > 1]
    assert repeated == []
    assert len(lines) == len(set(engine))


def test_a_schedule_claim_page_says_when_the_event_recurs(client: TestClient) -> None:
    page = client.get("/id/claim/2025-05-12-legco-paper/innoex-held-every-april",
                      headers={"Accept": "text/html"}).text
    assert "every year, in April" in page
    event = client.get("/id/event/innoex", headers={"Accept": "text/html"}).text
    assert "every year, in April" in event  # among the claims about the event


def test_parameters_a_document_ignores_do_not_make_another_document(client: TestClient) -> None:
    """``?x=1``, ``?x=2`` ... would each render the description again (JSON-LD of the largest
    takes about a second) and push useful entries out of the cache; they change nothing, so
    they share the document's ETag and cached body, and its links do not repeat them."""
    path, accept = "/id/platform/iam-smart", {"Accept": "application/ld+json"}
    plain = client.get(path, headers=accept)
    for junk in ({"x": "1"}, {"x": "2", "y": "3"}):
        r = client.get(path, headers=accept, params=junk)
        assert r.status_code == 200
        assert r.headers["etag"] == plain.headers["etag"]
        assert r.content == plain.content
        assert "x=" not in r.headers["link"] and "y=" not in r.headers["link"]
    # Parameters that change the answer still do: a search for another word is another document.
    one = client.get("/search", params={"q": "smart", "x": "1"}, headers={"Accept": "application/json"})
    same = client.get("/search", params={"q": "smart"}, headers={"Accept": "application/json"})
    other = client.get("/search", params={"q": "iam"}, headers={"Accept": "application/json"})
    assert one.headers["etag"] == same.headers["etag"] != other.headers["etag"]
    assert "q=smart" in one.headers["link"] and "x=" not in one.headers["link"]


def test_a_thing_the_report_names_carries_the_whole_result(client: TestClient) -> None:
    """The validation report names a thing as ``sh:focusNode`` of a blank-node result; the
    description closes that node (severity, message, shape), so no anonymous node points at
    the thing, and the page lists the findings."""
    path = "/id/claim/2025-05-12-legco-paper/cdeg-dpo"  # the DPO acting before it existed
    g = _graph(client, path, "text/turtle")
    results = list(g.subjects(SH.focusNode, URIRef(str(ID) + path.removeprefix("/id/"))))
    assert results
    for result in results:
        assert g.value(result, SH.resultSeverity) == SH.Warning
        assert "act before it existed" in str(g.value(result, SH.resultMessage))
        assert str(g.value(result, SH.sourceShape)).endswith("/ActsBeforeEstablished")
    page = client.get(path, headers={"Accept": "text/html"}).text
    assert "Validation of this build (1)" in page
    assert 'href="/def/shapes/ActsBeforeEstablished"' in page


def test_descriptions_merge_without_copies_of_the_evidence(client: TestClient) -> None:
    """A crawler that fetches a claim on its own and inside its thing's description merges
    both into one graph: the evidence, quote and amount are IRIs of the claim
    (``<claim>#evidence``), not blank nodes, so they do not come out twice."""
    claim_path = "/id/claim/2024-07-12-legco-paper/iam-smart-registered-users-2024"
    claim = _graph(client, claim_path, "text/turtle")
    thing = _graph(client, PATH, "text/turtle")
    merged = claim + thing + _graph(client, claim_path, "text/turtle")
    claim_iri = URIRef(str(ID) + claim_path.removeprefix("/id/"))
    assert list(merged.objects(claim_iri, HKSC.evidence)) == [URIRef(f"{claim_iri}#evidence")]
    (selector,) = merged.objects(URIRef(f"{claim_iri}#evidence"), OA.hasSelector)
    assert len(list(merged.objects(selector, OA.exact))) == 1
    assert not [n for n in merged.all_nodes() if isinstance(n, BNode)
                and (n, RDF.type, OA.TextQuoteSelector) in merged]


@pytest.mark.parametrize(("accept", "fmt"), [("text/turtle", "turtle"), ("application/ld+json", "jsonld"),
                                             ("text/html", "html")])
def test_the_answer_names_the_document_apart_from_the_thing(client: TestClient, accept: str,
                                                            fmt: str) -> None:
    """200 at /id/... with Content-Location naming the format's own document (decision
    0008: the canonical IRI answers 303 at w3id.org); that document is the same answer."""
    r = client.get("/id/org/dpo", headers={"Accept": accept, "Origin": "http://a.example"})
    assert r.status_code == 200
    assert r.headers["content-location"] == f"/id/org/dpo?format={fmt}"
    assert "Content-Location" in r.headers["access-control-expose-headers"]
    assert client.get(r.headers["content-location"]).content == r.content
