"""/validation: the published build's SHACL report, as auditors read it, on the real graph."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from api.app import create_app
from graph.namespaces import SH
from graph.settings import Settings
from graph.store import EmbeddedStore

VALIDATION = "https://w3id.org/hk-smartcity/id/graph/validation"
FALL = "/id/claim/2026-01-20-slides/open-data-providers"
BASE = "https://w3id.org/hk-smartcity"
SHAPES = BASE + "/def/shapes/"
CDEG = BASE + "/id/claim/2025-05-12-legco-paper/cdeg-dpo"
RDF_VIEWS = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/n-triples": "nt"}


@pytest.fixture(scope="module")
def client(built_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(built_settings)) as c:
        yield c


def _store_counts(store: EmbeddedStore) -> dict[str, int]:
    rows = store.query(f"""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?sev (COUNT(?r) AS ?n) WHERE {{
          GRAPH <{VALIDATION}> {{ ?r a sh:ValidationResult ; sh:resultSeverity ?sev }}
        }} GROUP BY ?sev""")
    return {row[0].value.rsplit("#", 1)[-1]: int(row[1].value) for row in rows}


def test_summary_counts_are_the_published_report(client: TestClient,
                                                 built_store: EmbeddedStore) -> None:
    response = client.get("/validation")  # no Accept: the JSON summary
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    doc = response.json()
    counts = _store_counts(built_store)
    assert {k: v for k, v in doc["counts"].items() if v} == counts
    assert doc["conforms"] is True and doc["counts"]["Violation"] == 0
    assert len(doc["results"]) == sum(counts.values())
    falls = [r for r in doc["results"] if r["href"] == FALL]
    assert falls and falls[0]["severity"] == "Warning"
    assert "below 118" in falls[0]["message"]
    # The other claim of the disagreement is linked too.
    assert falls[0]["see"] == [{
        "iri": "https://w3id.org/hk-smartcity/id/claim/2024-02-20-slides/open-data-providers-2023",
        "href": "/id/claim/2024-02-20-slides/open-data-providers-2023"}]


def test_a_warning_leads_to_the_quote(client: TestClient) -> None:
    """From the report to the claim's page, where the auditor reads the source's words."""
    page = client.get(FALL, headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert re.search(r"Data\s+Providers\s+110", page.text)


def test_severity_narrows_the_results_not_the_counts(client: TestClient) -> None:
    doc = client.get("/validation?severity=Warning").json()
    assert doc["results"] and {r["severity"] for r in doc["results"]} == {"Warning"}
    assert len(doc["results"]) == doc["counts"]["Warning"]
    assert doc["counts"]["Info"] > 0
    bad = client.get("/validation?severity=Error")
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/problem+json"
    assert "Violation, Warning, Info" in bad.json()["detail"]


def test_report_graph_as_rdf(client: TestClient, built_store: EmbeddedStore) -> None:
    response = client.get("/validation", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    served = Graph().parse(data=response.text, format="turtle")
    direct = Graph().parse(data=b"".join(
        f"{t} .\n".encode() for t in built_store.query(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{VALIDATION}> {{ ?s ?p ?o }} }}")),
        format="nt")
    assert len(served) > 100 and isomorphic(served, direct)


def test_page_for_browsers(client: TestClient) -> None:
    response = client.get("/validation?severity=Warning",
                          headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "<h1>Validation report of the published build</h1>" in response.text
    assert f'href="{FALL}"' in response.text


def _results_of(graph: Graph) -> dict[str, set[str]]:
    """Severity -> focus nodes of the results a report graph holds."""
    out: dict[str, set[str]] = {}
    for r in graph.subjects(RDF.type, SH.ValidationResult):
        severity = str(graph.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]
        out.setdefault(severity, set()).add(str(graph.value(r, SH.focusNode)))
    return out


@pytest.mark.parametrize("media_type", list(RDF_VIEWS))
def test_severity_narrows_the_report_graph_in_every_rdf_format(client: TestClient,
                                                               media_type: str) -> None:
    """The RDF views hold only the results asked for (and the report node), each with all
    it says; without a filter, the whole report."""
    doc = client.get("/validation").json()
    everything = Graph().parse(data=client.get("/validation", headers={"Accept": media_type}).text,
                               format=RDF_VIEWS[media_type])
    assert {k: len(v) for k, v in _results_of(everything).items()} == \
        {k: v for k, v in doc["counts"].items() if v}
    for severity in ("Warning", "Info"):
        response = client.get(f"/validation?severity={severity}", headers={"Accept": media_type})
        assert response.status_code == 200 and response.headers["content-type"].startswith(media_type)
        narrowed = Graph().parse(data=response.text, format=RDF_VIEWS[media_type])
        assert _results_of(narrowed) == {severity: _results_of(everything)[severity]}
        assert len(list(narrowed.subjects(RDF.type, SH.ValidationReport))) == 1
        # A kept result keeps every triple it had.
        for r in narrowed.subjects(RDF.type, SH.ValidationResult):
            assert set(narrowed.predicates(r, None)) >= {SH.focusNode, SH.resultSeverity,
                                                       SH.sourceShape, SH.resultMessage}


def test_severity_narrows_the_page(client: TestClient) -> None:
    results = client.get("/validation").json()["results"]
    only_warned = ({r["href"] for r in results if r["severity"] == "Warning"}
                   - {r["href"] for r in results if r["severity"] == "Info"})
    assert "/id/claim/2025-05-12-legco-paper/cdeg-dpo" in only_warned
    page = client.get("/validation?severity=Info", headers={"Accept": "text/html"}).text
    assert '<td class="Info">' in page and '<td class="Warning">' not in page
    assert not [href for href in only_warned if f'href="{href}"' in page]


def test_shape_and_focus_filters(client: TestClient) -> None:
    by_name = client.get("/validation?shape=ActsBeforeEstablished").json()
    by_iri = client.get(f"/validation?shape={SHAPES}ActsBeforeEstablished").json()
    assert by_name["results"] == by_iri["results"]
    assert [r["focusNode"] for r in by_name["results"]] == [CDEG]
    assert by_name["matched"] == 1 and by_name["counts"] == client.get("/validation").json()["counts"]
    focus = client.get("/validation?focus=/id/claim/2025-05-12-legco-paper/cdeg-dpo").json()
    assert {r["focusNode"] for r in focus["results"]} == {CDEG} and focus["matched"] >= 1
    both = client.get("/validation?shape=UncertainReported&focus=/id/claim/2025-05-12-legco-paper/cdeg-dpo")
    assert both.json()["results"] == []  # the filters combine
    turtle = Graph().parse(data=client.get("/validation?shape=ActsBeforeEstablished&format=turtle").text,
                           format="turtle")
    assert _results_of(turtle) == {"Warning": {CDEG}}


@pytest.mark.parametrize(("query", "parameter"), [
    ("sevrity=Warning", "sevrity"),
    ("severity=Warning&limit=3", "limit"),
    ("severity=Error", "severity"),
    ("severity=warning", "severity"),
    ("shape=NoSuchShape", "shape"),
    ("shape=https://example.org/shapes/Claim", "shape"),
    ("focus=claim/x", "focus"),
])
@pytest.mark.parametrize("accept", ["application/json", "text/html", "text/turtle",
                                    "application/ld+json", "application/n-triples"])
def test_bad_parameters_are_a_problem_naming_the_parameter(client: TestClient, query: str,
                                                           parameter: str, accept: str) -> None:
    response = client.get(f"/validation?{query}", headers={"Accept": accept})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["parameter"] == parameter and parameter in problem["detail"]


def test_every_result_names_its_shape(client: TestClient) -> None:
    """Stable shape IRIs (never a blank node), the Infos all from hkss:UncertainReported."""
    results = client.get("/validation").json()["results"]
    assert results
    assert all((r["shape"] or "").startswith(SHAPES) for r in results)
    assert {r["shape"] for r in results if r["severity"] == "Info"} == {SHAPES + "UncertainReported"}
    assert all(r["shapeHref"] == "/def/shapes/" + r["shapeName"] for r in results)


def _claim_source(store: EmbeddedStore, claim: str) -> tuple[str, int, str, str | None]:
    """(passage key, first line, quote, note) of a claim, read from the store."""
    row = next(iter(store.query(f"""
        PREFIX hksc: <{BASE}/def/>
        SELECT ?key ?start ?quote ?note WHERE {{
          <{claim}> <http://www.w3.org/ns/prov#wasDerivedFrom> ?p ;
              hksc:evidence/<http://www.w3.org/ns/oa#hasSelector>/<http://www.w3.org/ns/oa#exact> ?quote .
          ?p hksc:passageKey ?key ; hksc:lineStart ?start .
          OPTIONAL {{ <{claim}> hksc:note ?note }} }}""")))
    return row[0].value, int(row[1].value), row[2].value, None if row[3] is None else row[3].value


def test_a_result_says_where_its_claims_are(client: TestClient, built_store: EmbeddedStore) -> None:
    """The DPO credited with work of the end of 2023 (para 16) against "Established in July
    2024" (para 4): both claims with their passage, lines and quote, in the JSON and on
    the page."""
    (result,) = client.get("/validation?shape=ActsBeforeEstablished").json()["results"]
    key, start, quote, _note = _claim_source(built_store, CDEG)
    assert (key, start) == ("16", 72)
    source = result["source"]
    assert (source["passageKey"], source["lineStart"], source["quote"]) == (key, start, quote)
    assert source["document"] == BASE + "/id/source/2025-05-12-legco-paper"
    assert source["file"] == "data/sources/2025-05-12-legco-itb-panel-paper.txt"
    other_key, other_start, other_quote, _ = _claim_source(built_store, result["value"])
    assert result["valueSource"]["passageKey"] == other_key == "4"
    assert (result["valueSource"]["lineStart"], result["valueSource"]["quote"]) == (other_start, other_quote)
    assert "at the end of 2023" in quote and "Established in July 2024" in other_quote
    assert result["see"][0]["iri"] == result["value"]
    page = client.get("/validation?shape=ActsBeforeEstablished", headers={"Accept": "text/html"}).text
    assert "p/16</a>, line 72" in page and "p/4</a>" in page
    assert "Established in July 2024" in page


def test_infos_give_the_claims_note(client: TestClient, built_store: EmbeddedStore) -> None:
    infos = client.get("/validation?severity=Info").json()["results"]
    assert infos
    for r in infos[:10]:
        _key, start, quote, note = _claim_source(built_store, r["focusNode"])
        assert note and r["source"]["note"] == note and note.replace("\\", "/") in r["message"]
        assert r["source"]["lineStart"] == start and r["source"]["quote"] == quote


def test_filters_keep_the_cache_apart(client: TestClient) -> None:
    """Each filter is its own representation: its own ETag, never another's body."""
    a = client.get("/validation?severity=Warning", headers={"Accept": "text/turtle"})
    b = client.get("/validation?severity=Info", headers={"Accept": "text/turtle"})
    assert a.headers["etag"] != b.headers["etag"] and a.text != b.text
    again = client.get("/validation?severity=Warning", headers={"Accept": "text/turtle"})
    assert again.text == a.text
    assert json.loads(client.get("/validation?severity=Warning").text)["severity"] == ["Warning"]
    focus = set(Graph().parse(data=a.text, format="turtle").objects(None, SH.focusNode))
    assert URIRef(CDEG) in focus
