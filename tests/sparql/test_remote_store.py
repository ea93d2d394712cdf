"""The remote store: the real build pushed into an Oxigraph server (``hkkg push``, Graph Store
Protocol) and served from there. Every answer is compared with the same request to an app
over the embedded store, or with the query run directly on that store. The remote app gets
an empty local folder, so nothing it answers can come from the local build."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from fastapi.testclient import TestClient
from pydantic import SecretStr
from servers import free_port, wait_until_serving
from sparql_compare import direct_rows, parse_rows, rows_of, same_graph

from api.app import create_app
from graph.cli import main as hkkg
from graph.namespaces import GRAPH_METADATA, GRAPH_ONTOLOGY, ID
from graph.push import push
from graph.queries import load_catalogue
from graph.remote import RemoteConfig, RemoteStore, RemoteStoreError
from graph.settings import Settings
from graph.store import EmbeddedStore

OXIGRAPH = Path(sys.executable).parent / "oxigraph"
JSON = {"Accept": "application/sparql-results+json"}
TURTLE = {"Accept": "text/turtle"}
SLOW = ("SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g")


@contextmanager
def oxigraph_server(location: Path, union: bool = False) -> Iterator[str]:
    """``oxigraph serve`` (the test extra ``oxigraph``) on 127.0.0.1; yields its base URL."""
    assert OXIGRAPH.exists(), "the oxigraph command is missing: pip install -e '.[test]'"
    port = free_port()
    proc = subprocess.Popen([str(OXIGRAPH), "serve", "--location", str(location),
                             "--bind", f"127.0.0.1:{port}",
                             *(["--union-default-graph"] if union else [])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_serving(url + "/", proc):
            raise RuntimeError("oxigraph serve did not start")
        yield url
    finally:
        proc.kill()
        proc.wait()


def remote_settings(built: Settings, url: str, local: Path, **update: object) -> Settings:
    """Settings of an API over the Oxigraph server at ``url``, with an empty local folder."""
    return built.model_copy(update={
        "store_url": f"{url}/query", "store_graph_store_url": f"{url}/store",
        "store_dir": local, "store_poll_s": 0.2, **update})


def pushed(built: Settings, settings: Settings) -> None:
    config = settings.remote_config()
    assert config is not None
    local = EmbeddedStore.open_current(built.resolved_store_dir)
    try:
        push(local, RemoteStore(config))
    finally:
        local.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as url:
        yield url


@pytest.fixture(scope="module")
def settings(built_settings: Settings, server: str,
             tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = remote_settings(built_settings, server, tmp_path_factory.mktemp("no-local"))
    pushed(built_settings, settings)
    return settings


@pytest.fixture(scope="module")
def remote_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def local_client(built_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(built_settings)) as client:
        yield client


@pytest.fixture(scope="module")
def local(built_settings: Settings) -> Iterator[EmbeddedStore]:
    store = EmbeddedStore.open_current(built_settings.resolved_store_dir)
    yield store
    store.close()


def remote_store(settings: Settings) -> RemoteStore:
    config = settings.remote_config()
    assert config is not None
    return RemoteStore(config)


def graph_counts(store: RemoteStore | EmbeddedStore) -> dict[str, int]:
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    return {row["g"].value: int(row["n"].value) for row in store.query(query)}


# ---------------------------------------------------------------- push

def test_push_copies_every_graph_and_names_the_build(settings: Settings,
                                                     local: EmbeddedStore) -> None:
    remote = remote_store(settings)
    assert graph_counts(remote) == graph_counts(local)
    info = remote.info(max_age=0)
    assert info.build == local.path.name
    assert set(info.graphs) == set(local.named_graphs())


def test_push_again_deletes_only_stale_graphs_of_this_project(
        built_settings: Settings, settings: Settings, local: EmbeddedStore) -> None:
    remote = remote_store(settings)
    stale = str(ID["graph/rdf/removed.ttl"])
    foreign = "http://example.org/another-application"
    triple = b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n"
    remote.put_graph(stale, triple)
    remote.put_graph(foreign, triple)
    report = push(local, remote)
    assert report.deleted == (stale,)
    after = graph_counts(remote)
    assert after.pop(foreign) == 1  # not this project's: left alone
    assert after == graph_counts(local) == report.graphs
    remote.delete_graph(foreign)


def test_push_needs_the_urls_and_names_an_unreachable_store(
        built_settings: Settings, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HKKG_DATA_DIR", str(built_settings.data_dir))
    monkeypatch.setenv("HKKG_STORE_DIR", str(built_settings.resolved_store_dir))
    monkeypatch.delenv("HKKG_STORE_URL", raising=False)
    monkeypatch.delenv("HKKG_STORE_GRAPH_STORE_URL", raising=False)
    assert hkkg(["push"]) == 2
    assert "HKKG_STORE_GRAPH_STORE_URL" in capsys.readouterr().err
    closed = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("HKKG_STORE_URL", closed + "/query")
    monkeypatch.setenv("HKKG_STORE_GRAPH_STORE_URL", closed + "/store")
    assert hkkg(["push"]) == 2
    err = capsys.readouterr().err
    assert f"push failed: cannot query the store at {closed}/query" in err


def test_hkkg_query_reads_the_remote_store(settings: Settings, local: EmbeddedStore,
                                           capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HKKG_STORE_URL", str(settings.store_url))
    monkeypatch.setenv("HKKG_STORE_DIR", str(settings.store_dir))  # empty: nothing local
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a hksc:Platform }"  # hksc: predeclared
    assert hkkg(["query", query, "--format", "csv"]) == 0
    expected = next(iter(local.query(query.replace("SELECT", "PREFIX hksc: "
                                                   "<https://w3id.org/hk-smartcity/def/> SELECT"))))
    assert capsys.readouterr().out.splitlines()[1] == expected["n"].value


# ---------------------------------------------------------------- the same answers

@pytest.mark.parametrize("example", load_catalogue(), ids=lambda e: e.slug)
def test_catalogue_answers_equal_the_embedded_store(example, remote_client: TestClient,
                                                    local: EmbeddedStore) -> None:
    r = remote_client.post("/sparql", data={"query": example.query}, headers=JSON)
    assert r.status_code == 200, r.text
    got = parse_rows(r.content, ox.QueryResultsFormat.JSON)
    want = direct_rows(local.raw, example.query)
    assert got and Counter(got) == Counter(want)


@pytest.mark.parametrize("path", [
    "/id/platform/iam-smart",
    "/id/source/2025-05-12-legco-paper",
    "/id/source/2024-07-12-legco-paper/p/7",
    "/id/platform/",
    "/validation",
])
def test_resources_listings_and_report_equal_the_embedded_store(
        path: str, remote_client: TestClient, local_client: TestClient) -> None:
    got, want = (c.get(path, headers=TURTLE) for c in (remote_client, local_client))
    assert got.status_code == want.status_code == 200
    a = rdflib.Graph().parse(data=got.text, format="turtle")
    b = rdflib.Graph().parse(data=want.text, format="turtle")
    assert len(a) > 0 and same_graph(a, b)


def test_dataset_restrictions_are_passed_on(remote_client: TestClient,
                                            local: EmbeddedStore) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    want = direct_rows(local.raw, count, default_graph=[ox.NamedNode(str(GRAPH_ONTOLOGY))],
                       use_default_graph_as_union=False)
    r = remote_client.post("/sparql", data={"query": count,
                                            "default-graph-uri": str(GRAPH_ONTOLOGY)},
                           headers=JSON)
    assert parse_rows(r.content, ox.QueryResultsFormat.JSON) == want
    from_clause = count.replace("WHERE", f"FROM <{GRAPH_ONTOLOGY}> WHERE")
    r = remote_client.post("/sparql", data={"query": from_clause}, headers=JSON)
    assert parse_rows(r.content, ox.QueryResultsFormat.JSON) == want
    whole = direct_rows(local.raw, count)
    assert want != whole  # the restriction did restrict


def test_malformed_query_has_the_same_position_as_embedded(
        remote_client: TestClient, local_client: TestClient) -> None:
    query = "SELECT ?s WHERE {\n  ?s ?p \n}"
    got, want = (c.get("/sparql", params={"query": query}) for c in (remote_client,
                                                                      local_client))
    assert got.status_code == want.status_code == 400
    assert got.json()["position"] == want.json()["position"]
    assert got.json()["position"]["line"] == 3


def test_long_answers_are_cut_at_max_results(settings: Settings) -> None:
    capped = settings.model_copy(update={"max_results": 3, "query_cache_mb": 0})
    with TestClient(create_app(capped)) as client:
        r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=JSON)
        assert r.headers["HKKG-Truncated"] == "true"
        assert len(r.json()["results"]["bindings"]) == 3
        r = client.get("/sparql", params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                       headers={"Accept": "application/n-triples"})
        assert r.headers["HKKG-Truncated"] == "true"
        assert len(r.text.strip().splitlines()) == 3


# ---------------------------------------------------------------- a new build on the server

def test_a_new_build_on_the_server_is_followed(built_settings: Settings, settings: Settings,
                                               remote_client: TestClient,
                                               local: EmbeddedStore) -> None:
    """The cache and ETags are per build: once the server holds another build, the API
    answers from it (within HKKG_STORE_POLL_S) instead of its cached answers."""
    query = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
    first = remote_client.get("/sparql", params=query, headers=JSON)
    again = remote_client.get("/sparql", params=query, headers=JSON)
    assert again.headers["HKKG-Cache"] == "hit" and again.content == first.content
    remote = remote_store(settings)
    metadata = local.raw.dump(format=ox.RdfFormat.N_TRIPLES,
                              from_graph=ox.NamedNode(str(GRAPH_METADATA)))
    assert metadata is not None
    build = local.path.name
    remote.put_graph(str(GRAPH_METADATA),
                     metadata.replace(f'"{build}"'.encode(), b'"another-build"')
                     + b"<http://example.org/s> <http://example.org/p> \"new\" .\n")
    try:
        deadline = time.monotonic() + 10
        while remote_client.get("/healthz").json()["build"] != "another-build":
            assert time.monotonic() < deadline
        time.sleep(settings.store_poll_s * 3)  # the endpoint's own watcher
        after = remote_client.get("/sparql", params=query, headers=JSON)
        assert after.headers["HKKG-Cache"] == "miss"
        assert after.headers["ETag"] != first.headers["ETag"]
        n = lambda r: int(r.json()["results"]["bindings"][0]["n"]["value"])  # noqa: E731
        assert n(after) == n(first) + 1
    finally:
        pushed(built_settings, settings)


# ---------------------------------------------------------------- failures

def test_store_down_is_a_problem_not_a_hang(settings: Settings) -> None:
    down = settings.model_copy(update={"store_url": f"http://127.0.0.1:{free_port()}/query"})
    with TestClient(create_app(down)) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.headers["content-type"] == "application/problem+json"
        assert health.json()["type"].endswith("/store-unavailable")
        for path in ("/sparql?query=ASK%20%7B%7D", "/id/platform/iam-smart"):
            r = client.get(path)
            assert r.status_code in (502, 503), (path, r.status_code)
            assert r.headers["content-type"] == "application/problem+json"


def test_empty_server_is_not_built(built_settings: Settings, tmp_path: Path) -> None:
    with oxigraph_server(tmp_path / "ox") as url:
        empty = remote_settings(built_settings, url, tmp_path / "local")
        with pytest.raises(Exception, match="holds no build"):
            remote_store(empty).info()
        with TestClient(create_app(empty)) as client:
            r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
            assert r.status_code == 503 and r.json()["type"].endswith("/store-not-built")
            assert client.get("/healthz").status_code == 503


def test_a_server_whose_default_graph_is_the_union_gets_queries_as_they_are(
        built_settings: Settings, settings: Settings, local: EmbeddedStore,
        tmp_path: Path) -> None:
    """Oxigraph's --union-default-graph (Fuseki's unionDefaultGraph) is detected, and the
    build's graphs are then not sent with each query: same answers, one server option."""
    assert not remote_store(settings).info().union_default  # the module's server
    with oxigraph_server(tmp_path / "ox", union=True) as url:
        union = remote_settings(built_settings, url, tmp_path / "local")
        pushed(built_settings, union)
        store = remote_store(union)
        assert store.info().union_default
        for example in load_catalogue():
            got = store.query(example.query, use_default_graph_as_union=True)
            assert isinstance(got, ox.QuerySolutions)
            assert Counter(rows_of(got)) == Counter(direct_rows(local.raw, example.query))


def test_time_limit_still_holds_over_a_remote_store(built_settings: Settings,
                                                    tmp_path: Path) -> None:
    """The worker waiting on the server is killed at the limit and the API answers; the
    server itself goes on with the query until its own limit (its own server here)."""
    with oxigraph_server(tmp_path / "ox") as url:
        slow = remote_settings(built_settings, url, tmp_path / "local", query_timeout_s=1.0,
                               query_cache_mb=0)
        pushed(built_settings, slow)
        with TestClient(create_app(slow)) as client:
            t0 = time.monotonic()
            r = client.get("/sparql", params={"query": SLOW})
            assert r.status_code == 503 and r.json()["type"].endswith("/query-timeout")
            assert time.monotonic() - t0 < 5
            ok = client.get("/sparql", params={"query": "ASK { ?s a ?t }"}, headers=JSON)
            assert ok.status_code == 200 and ok.json()["boolean"] is True


def test_remote_config_refuses_what_is_not_a_url() -> None:
    with pytest.raises(ValueError, match="not an http"):
        Settings(store_url="file:///etc/passwd")
    with pytest.raises(RemoteStoreError, match="HKKG_STORE_GRAPH_STORE_URL"):
        RemoteStore(RemoteConfig("http://127.0.0.1:9/query")).put_graph("http://g", b"")


def test_settings_page_hides_the_store_credentials(settings: Settings) -> None:
    secret = settings.model_copy(update={
        "store_url": "http://reader:s3cret@127.0.0.1:9/query",
        "store_password": SecretStr("an0ther"), "store_user": "reader"})
    with TestClient(create_app(secret)) as client:
        body = client.get("/settings").text
    assert "s3cret" not in body and "an0ther" not in body
    assert "http://reader:***@127.0.0.1:9/query" in body


class _CutAnswer(http.server.BaseHTTPRequestHandler):
    """A SPARQL server that says which build it holds, then gives up on every other query
    half-way through a "200 OK" answer, as an Oxigraph server past its --timeout-s does."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        if "identifier" in form["query"][0]:
            body = (f"?g\t?build\n<{ID['graph/records']}>\t\n\t\"some-build\"\n").encode()
        else:
            body = b"?s\n<http://example.org/a>\nThe SPARQL operation has been cancelled"
        self.send_response(200)
        self.send_header("Content-Type", "text/tab-separated-values")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_an_answer_cut_by_the_server_is_a_502_not_data(settings: Settings,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CutAnswer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/query"
        cut = settings.model_copy(update={"store_url": url, "query_cache_mb": 0})
        with TestClient(create_app(cut)) as client:
            r = client.get("/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o }"},
                           headers=JSON)
        assert r.status_code == 502, r.text
        assert r.json()["type"].endswith("/store-unavailable")
        assert "unreadable answer from the store" in caplog.text  # not the info query
    finally:
        server.shutdown()


def test_dump_from_the_remote_store_is_the_build(remote_client: TestClient,
                                                 local: EmbeddedStore) -> None:
    r = remote_client.get("/dump.nq")
    assert r.status_code == 200
    assert local.path.name in r.headers["content-disposition"]
    dumped = ox.Store()
    dumped.load(r.content, format=ox.RdfFormat.N_QUADS)
    counts = {row["g"].value: int(row["n"].value) for row in dumped.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    assert counts == graph_counts(local)
