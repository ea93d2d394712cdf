"""Every problem document's ``type`` IRI resolves to documentation of that problem
(RFC 9457, 3.1.1), and the documentation covers every kind the code answers with."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.problem_types import PROBLEM_TYPES
from api.problems import PROBLEM_TYPE_BASE
from graph.settings import Settings

API = Path(__file__).resolve().parent.parent / "api"
# kind="..." in a Problem, kind = "..." on a refusal class, or a kind handed to the HTTP
# protocol's own problem writer.
_KIND = re.compile(r'\bkind\s*(?::\s*str\s*)?=\s*"([a-z-]+)"|_send_problem\(\s*self,\s*\d+,\s*"([a-z-]+)"')


def kinds_in_code() -> set[str]:
    found = set()
    for path in API.rglob("*.py"):
        for m in _KIND.finditer(path.read_text("utf-8")):
            found.add(m[1] or m[2])
    return found


@pytest.fixture(scope="module")
def client(built_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(built_settings)) as c:
        yield c


# Problem(<status>, ..., kind="...") in one call (arguments may hold one level of calls).
_STATUS_AND_KIND = re.compile(
    r'Problem\(\s*(\d{3})\b((?:[^()]|\((?:[^()]|\([^()]*\))*\))*?)kind="([a-z-]+)"', re.S)


def test_each_documented_status_is_the_one_the_code_answers_with() -> None:
    pairs = {(m[3], int(m[1])) for path in API.rglob("*.py")
             for m in _STATUS_AND_KIND.finditer(path.read_text("utf-8"))}
    assert len(pairs) > 10  # the scan works
    wrong = {(kind, status) for kind, status in pairs if status not in PROBLEM_TYPES[kind].statuses}
    assert not wrong


def test_every_kind_the_code_answers_with_is_documented() -> None:
    kinds = kinds_in_code()
    assert {"not-found", "read-only", "federation-refused", "uri-too-long"} <= kinds  # the scan works
    assert kinds <= set(PROBLEM_TYPES), kinds - set(PROBLEM_TYPES)


@pytest.mark.parametrize("kind", sorted(PROBLEM_TYPES))
def test_each_type_resolves(client: TestClient, kind: str) -> None:
    data = client.get(f"/problems/{kind}", headers={"Accept": "application/json"}).json()
    assert data["type"] == PROBLEM_TYPE_BASE + kind
    assert data["statuses"] == list(PROBLEM_TYPES[kind].statuses)
    page = client.get(f"/problems/{kind}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and PROBLEM_TYPES[kind].title in page.text


@pytest.mark.parametrize(("path", "method", "kwargs", "expected", "status"), [
    ("/id/nothing/here", "GET", {}, "not-found", 404),
    ("/sparql", "POST", {"content": "CLEAR ALL",
                         "headers": {"Content-Type": "application/sparql-update"}}, "read-only", 403),
    ("/sparql", "GET", {"params": {"query": "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"}},
     "federation-refused", 400),
    ("/search", "GET", {"params": {"q": "x", "limit": "0"}}, "invalid-parameter", 400),
    ("/sparql", "GET", {"params": {"query": "ASK {}" + " " * 30_000}}, "query-too-long", 414),
    ("/sparql", "POST", {"content": "ASK {}" + " " * 30_000,
                         "headers": {"Content-Type": "application/sparql-query"}}, "query-too-long", 400),
])
def test_a_real_problem_leads_to_its_documentation(client: TestClient, path: str, method: str,
                                                   kwargs: dict,  # type: ignore[type-arg]
                                                   expected: str, status: int) -> None:
    response = client.request(method, path, **kwargs)
    problem = response.json()
    kind = problem["type"].removeprefix(PROBLEM_TYPE_BASE)
    assert (kind, problem["status"], response.status_code) == (expected, status, status)
    doc = client.get(f"/problems/{kind}", headers={"Accept": "application/json"}).json()
    assert problem["status"] in doc["statuses"]


def test_unknown_type_and_the_list(client: TestClient) -> None:
    resp = client.get("/problems/no-such-thing")
    assert resp.status_code == 404 and resp.headers["content-type"] == "application/problem+json"
    listing = client.get("/problems/", headers={"Accept": "application/json"}).json()
    assert set(listing) == {PROBLEM_TYPE_BASE + k for k in PROBLEM_TYPES}


@pytest.mark.parametrize(("method", "path", "kind"), [
    ("GET", "/no/such/route", "not-found"),
    ("DELETE", "/id/org/dpo", "method-not-allowed"),
])
def test_the_frameworks_own_errors_have_documented_types(client: TestClient, method: str, path: str,
                                                        kind: str) -> None:
    problem = client.request(method, path).json()
    assert problem["type"] == PROBLEM_TYPE_BASE + kind
    assert problem["status"] in PROBLEM_TYPES[kind].statuses
