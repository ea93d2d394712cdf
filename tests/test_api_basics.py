"""Health, ontology, settings and the error shape of the service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph
from rdflib.compare import isomorphic

from api.app import create_app
from graph.settings import Settings


def test_healthz_ok(built_settings: Settings) -> None:
    with TestClient(create_app(built_settings)) as client:
        r = client.get("/healthz")
        assert r.status_code == 200 and r.json()["status"] == "ok"


def test_healthz_without_store_is_problem(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store_dir=tmp_path / "store")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        r = client.get("/healthz")
        assert r.status_code == 503
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["status"] == 503 and "hkkg build" in r.json()["detail"]


def test_unknown_path_is_problem_json(built_settings: Settings) -> None:
    with TestClient(create_app(built_settings)) as client:
        r = client.get("/no/such/thing")
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert set(body) >= {"type", "title", "status", "detail"}


def test_ontology_turtle_and_html(built_settings: Settings) -> None:
    with TestClient(create_app(built_settings)) as client:
        ttl = client.get("/def", headers={"Accept": "text/turtle"})
        assert ttl.status_code == 200 and "hksc:Observation a owl:Class" in ttl.text
        html = client.get("/def", headers={"Accept": "text/html"})
        assert html.status_code == 200 and "Observation" in html.text
        term = client.get("/def/Observation", follow_redirects=False)
        assert term.status_code == 303 and term.headers["location"] == "/def#Observation"
        as_ttl = client.get("/def/Observation", headers={"Accept": "text/turtle"},
                            follow_redirects=False)
        assert as_ttl.headers["location"] == "/def?format=turtle"
        jsonld = client.get("/def", headers={"Accept": "application/ld+json"})
        assert jsonld.status_code == 200 and jsonld.headers["content-type"] == "application/ld+json"
        assert isomorphic(Graph().parse(data=jsonld.text, format="json-ld"),
                          Graph().parse(data=ttl.text, format="turtle"))
        refused = client.get("/def", headers={"Accept": "image/png"})
        assert refused.status_code == 406
        assert refused.headers["content-type"] == "application/problem+json"


def test_every_setting_is_documented(built_settings: Settings) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    with TestClient(create_app(built_settings)) as client:
        live = client.get("/settings").json()
    assert set(live) == set(Settings.model_fields)
    for name, info in live.items():
        assert info["description"], f"setting {name} has no description"
        assert info["env"] in readme, f"{info['env']} missing from README"
    # No folder of the server is shown: the store's and the data's are absolute here.
    shown = json.dumps(live)
    for folder in (built_settings.resolved_store_dir, built_settings.data_dir.resolve(), Path.cwd()):
        assert str(folder) not in shown, folder
    assert live["store_dir"]["value"] == "(a folder on the server: not shown)"


def test_another_base_iri_is_refused_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """The build mints IRIs under one base; a server told another would 404 on every
    /id/ request, so the setting is refused where the cause is clear."""
    monkeypatch.setenv("HKKG_BASE_IRI", "https://example.org/kg/")
    with pytest.raises(ValueError, match=r"HKKG_BASE_IRI.*minted under 'https://w3id.org/hk-smartcity/'"):
        Settings()
