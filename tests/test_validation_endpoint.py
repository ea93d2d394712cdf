"""/validation: the published build's SHACL report, as auditors read it, on the real graph."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.compare import isomorphic

from api.app import create_app
from graph.settings import Settings
from graph.store import EmbeddedStore

VALIDATION = "https://w3id.org/hk-smartcity/id/graph/validation"
FALL = "/id/claim/2026-01-20-slides/open-data-providers"


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
    assert "Data Providers 110" in page.text


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
