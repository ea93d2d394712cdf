"""/search on the real graph: its hits are checked against the labels of the assembled graph,
read with rdflib (not with the endpoint's query), for fixed and generated texts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from api.app import create_app
from graph.namespaces import BASE, ID
from graph.settings import Settings

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def client(built_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(built_settings)) as c:
        yield c


def expected(union: Graph, q: str, kind: str | None = None) -> set[str]:
    """Things under /id/ (or /id/kind/) with a preferred label and a preferred or
    alternative label holding every word of ``q``, in any letter case."""
    words = q.lower().split()
    prefix = f"{BASE}id/{kind}/" if kind else f"{BASE}id/"
    found = set()
    for s in set(union.subjects(SKOS.prefLabel, None)):
        if not isinstance(s, URIRef) or not str(s).startswith(prefix):
            continue
        labels = [str(o) for p in (SKOS.prefLabel, SKOS.altLabel) for o in union.objects(s, p)
                  if isinstance(o, Literal)]
        if any(all(w in label.lower() for w in words) for label in labels):
            found.add(str(s))
    return found


def hits(client: TestClient, **params: object) -> dict:
    r = client.get("/search", params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    return r.json()


@pytest.mark.parametrize("q", ["iam smart", "CDEG", "InnoEX", "data", "SMART government",
                               "香港", "no such thing anywhere"])
def test_hits_are_exactly_the_things_whose_labels_hold_every_word(
        client: TestClient, union: Graph, q: str) -> None:
    answer = hits(client, q=q)
    want = expected(union, q)
    assert len(want) <= 100  # so that every hit is in the answer
    assert answer["total"] == len(want)
    assert {h["iri"] for h in answer["results"]} == want


def test_best_match_first_and_alternative_names(client: TestClient) -> None:
    first = hits(client, q="iam smart")["results"][0]
    assert first["iri"] == str(ID["platform/iam-smart"]) and first["href"] == "/id/platform/iam-smart"
    cdeg = hits(client, q="cdeg")["results"][0]
    assert cdeg["iri"] == str(ID["platform/cdeg"]) and cdeg["matched"] == "CDEG"
    assert cdeg["label"] == "Consented Data Exchange Gateway"
    innoex = hits(client, q="InnoEX")["results"]
    assert [h["iri"] for h in innoex] == [str(ID["event/innoex"])]


def test_kind_and_limit_narrow_the_answer(client: TestClient, union: Graph) -> None:
    answer = hits(client, q="smart", kind="platform")
    assert {h["iri"] for h in answer["results"]} == expected(union, "smart", "platform")
    assert all(h["kind"] == "platform" for h in answer["results"])
    few = hits(client, q="smart", limit=3)
    assert len(few["results"]) == 3 and few["total"] == len(expected(union, "smart")) > 3
    assert few["results"] == hits(client, q="smart")["results"][:3]


@hyp_settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1,
               max_size=30).filter(lambda t: t.split()))
def test_any_text_is_data_never_sparql(client: TestClient, union: Graph, q: str) -> None:
    """Quotes, backslashes, braces, '#', unicode: always a 200 with the right hits."""
    r = client.get("/search", params={"q": q, "limit": 100})
    if len(set(q.lower().split())) > 8:
        assert r.status_code == 400  # too many words, said so
        return
    assert r.status_code == 200, (q, r.text)
    assert r.json()["total"] == len(expected(union, q))


@pytest.mark.parametrize("params,parameter", [
    ({}, "q"), ({"q": "   "}, "q"), ({"q": "x" * 201}, "q"), ({"q": "a\x00b"}, "q"),
    ({"q": " ".join("abcdefghi")}, "q"),
    ({"q": "smart", "limit": "0"}, "limit"), ({"q": "smart", "limit": "101"}, "limit"),
    ({"q": "smart", "limit": "ten"}, "limit"), ({"q": "smart", "kind": "../etc"}, "kind"),
])
def test_bad_parameters_are_problems_naming_them(client: TestClient, params: dict,
                                                 parameter: str) -> None:
    r = client.get("/search", params=params)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["parameter"] == parameter and parameter in r.json()["detail"]


def test_page_links_to_resources_and_keeps_the_query_in_other_formats(
        client: TestClient) -> None:
    r = client.get("/search", params={"q": "iam smart"}, headers={"Accept": BROWSER})
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert 'href="/id/platform/iam-smart"' in r.text
    assert "/search?q=iam+smart&amp;format=turtle" in r.text
    assert "</search?q=iam+smart&format=json>" in r.headers["link"]
    turtle = client.get("/search", params={"q": "iam smart", "format": "turtle"})
    graph = Graph().parse(data=turtle.text, format="turtle")
    assert (ID["platform/iam-smart"], SKOS.prefLabel, None) in graph


def test_head_etag_and_cors(client: TestClient) -> None:
    r = client.get("/search", params={"q": "cdeg"})
    assert r.headers["access-control-allow-origin"] == "*"
    again = client.get("/search", params={"q": "cdeg"}, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304
    head = client.head("/search", params={"q": "cdeg"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(r.content))
