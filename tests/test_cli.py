"""The hkkg command as a user runs it: exit codes, formats, messages."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import data_copy
from rdflib import Graph
from servers import free_port, stop, wait_until_serving

from graph.settings import Settings
from graph.store import EmbeddedStore

HKKG = [sys.executable, "-m", "graph.cli"]


def run(args: list[str], settings: Settings, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ, HKKG_DATA_DIR=str(settings.data_dir), HKKG_STORE_DIR=str(settings.resolved_store_dir)
    )
    return subprocess.run(
        HKKG + args, input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_help_lists_every_verb(built_settings: Settings) -> None:
    out = run(["--help"], built_settings)
    assert out.returncode == 0
    for verb in ("build", "validate", "query", "export", "serve", "passages", "coverage"):
        assert verb in out.stdout


def test_query_table_json_csv(built_settings: Settings) -> None:
    q = "SELECT ?doc WHERE { ?doc a hksc:SourceDocument } ORDER BY ?doc"
    table = run(["query", q], built_settings)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].strip() == "doc"
    assert "5 row(s)" in table.stderr
    js = json.loads(run(["query", q, "--format", "json"], built_settings).stdout)
    assert len(js) == 5 and js[0]["doc"].endswith("/source/2024-02-20-slides")
    rows = list(csv.reader(io.StringIO(run(["query", q, "--format", "csv"], built_settings).stdout)))
    assert rows[0] == ["doc"] and len(rows) == 6


def test_query_from_stdin_and_ask(built_settings: Settings) -> None:
    out = run(["query", "-"], built_settings, stdin="ASK { ?s a hksc:Passage }")
    assert out.returncode == 0 and out.stdout.strip() == "true"


def test_query_construct_writes_each_triple_once(built_settings: Settings,
                                                 built_store: EmbeddedStore) -> None:
    """The SHACL results are blank nodes: the engine writes ``?r sh:focusNode ?f`` once per
    triple of the result, and the command must write it once."""
    query = ("PREFIX sh: <http://www.w3.org/ns/shacl#> "
             "CONSTRUCT { ?r sh:focusNode ?f . ?r ?p ?o } WHERE { ?r sh:focusNode ?f ; ?p ?o }")
    engine = list(built_store.query(query))
    assert len(engine) > len(set(engine)), "test setup: the engine repeats triples here"
    results = len({t.subject for t in engine})
    out = run(["query", query], built_settings)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("sh:focusNode") == results
    assert len(Graph().parse(data=out.stdout, format="turtle")) == len(set(engine))


def test_query_declaring_one_prefix_keeps_the_others(built_settings: Settings) -> None:
    """The project's prefixes stay predeclared when the query declares its own (the
    word PREFIX inside a literal, too, used to switch them all off)."""
    q = ('PREFIX src: <https://w3id.org/hk-smartcity/id/source/> '
         'ASK { src:2024-02-20-slides a hksc:SourceDocument FILTER ("PREFIX" != "") }')
    out = run(["query", q], built_settings)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "true"
    # A declared prefix wins over the predeclared one of the same name.
    shadowed = "PREFIX hksc: <http://example.org/> ASK { ?d a hksc:SourceDocument }"
    assert run(["query", shadowed], built_settings).stdout.strip() == "false"


def test_malformed_query_exits_2(built_settings: Settings) -> None:
    out = run(["query", "SELECT WHERE {"], built_settings)
    assert out.returncode == 2
    assert "malformed query" in out.stderr


def test_query_without_store_exits_2(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, store_dir=tmp_path / "none")
    out = run(["query", "ASK {}"], settings)
    assert out.returncode == 2 and "hkkg build" in out.stderr


@pytest.mark.parametrize(
    ("fmt", "marker"), [("trig", "GRAPH"), ("nq", " ."), ("ttl", ""), ("jsonld", "@graph")]
)
def test_export_formats(built_settings: Settings, fmt: str, marker: str) -> None:
    out = run(["export", "--format", fmt], built_settings)
    assert out.returncode == 0, out.stderr
    if fmt in ("trig", "ttl"):
        assert "@prefix hksc: <https://w3id.org/hk-smartcity/def/> ." in out.stdout
    if fmt == "trig":
        from rdflib import Dataset

        graphs = {str(g.identifier) for g in Dataset().parse(data=out.stdout, format="trig").graphs()}
        assert "https://w3id.org/hk-smartcity/id/graph/records" in graphs
    elif fmt == "jsonld":
        doc = json.loads(out.stdout)
        assert any("/id/graph/" in g.get("@id", "") for g in doc)
    elif fmt == "ttl":
        from rdflib import Graph

        assert len(Graph().parse(data=out.stdout, format="turtle")) > 1000
    else:
        assert marker in out.stdout


def test_validate_formats_and_exit_codes(built_settings: Settings, tmp_path: Path) -> None:
    ok = run(["validate", "--format", "json"], built_settings)
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)
    assert report["conforms"] is True and report["counts"]["Violation"] == 0
    text = run(["validate"], built_settings)
    assert text.returncode == 0 and "Conforms (no violations): True" in text.stdout
    ttl = run(["validate", "--format", "turtle"], built_settings)
    assert "sh:ValidationReport" in ttl.stdout
    # does not conform: a claim without source passage or quote
    data = data_copy(tmp_path)
    (data / "rdf").mkdir(exist_ok=True)
    (data / "rdf" / "bad.ttl").write_text(
        "<https://w3id.org/hk-smartcity/id/claim/x> a <https://w3id.org/hk-smartcity/def/RelationClaim> .\n",
        encoding="utf-8",
    )
    broken = Settings(data_dir=data, store_dir=tmp_path / "store")
    bad = run(["validate"], broken)
    assert bad.returncode == 1
    assert "[Violation] https://w3id.org/hk-smartcity/id/claim/x" in bad.stdout
    # error: malformed input
    (data / "rdf" / "bad.ttl").write_text("this is not turtle", encoding="utf-8")
    err = run(["validate"], broken)
    assert err.returncode == 2 and "rdf/bad.ttl" in err.stderr


def test_passages_lists_keys(built_settings: Settings) -> None:
    out = run(["passages", "2024-07-12-legco-paper"], built_settings)
    assert out.returncode == 0
    line = next(x for x in out.stdout.splitlines() if x.strip().startswith("10 "))
    assert "paragraph" in line and "More than 380 online services" in line
    assert run(["passages", "nope"], built_settings).returncode == 2


def test_bad_setting_is_named(built_settings: Settings) -> None:
    env = dict(os.environ, HKKG_QUERY_TIMEOUT_S="soon")
    out = subprocess.run(
        HKKG + ["query", "ASK {}"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert out.returncode == 2 and "query_timeout_s" in out.stderr


def test_an_input_newer_than_the_build_is_found(tmp_path: Path) -> None:
    """`hkkg serve` rebuilds when an input changed after the published build (a pull or
    an edit), instead of serving the old graph without a word."""
    from graph.build import build, newer_input

    settings = Settings(data_dir=data_copy(tmp_path), store_dir=tmp_path / "store")
    assert newer_input(settings) is None  # no build yet: nothing to compare
    build(settings, progress=lambda _m: None)
    assert newer_input(settings) is None
    record = settings.records_dir / "claims" / "2024-07-12-legco-paper.yaml"
    later = os.stat(settings.resolved_store_dir / "current", follow_symlinks=False).st_mtime + 5
    os.utime(record, (later, later))
    assert newer_input(settings) == record
    out = run(["serve", "--help"], settings)
    assert "--no-build" in out.stdout


def test_the_code_that_makes_the_graph_is_an_input(tmp_path: Path) -> None:
    """A pull that changes a loader or the derivations changes the graph as surely as one
    that changes a record, so their code counts as input of the build too."""
    import graph.derive
    import loaders.records
    from graph.build import input_files

    settings = Settings(data_dir=data_copy(tmp_path), store_dir=tmp_path / "store")
    inputs = set(input_files(settings))
    for module in (loaders.records, graph.derive):
        assert Path(module.__file__ or "").resolve() in {f.resolve() for f in inputs}
    assert not any("__pycache__" in f.parts for f in inputs)


def test_serve_with_several_processes_answers_alike(built_settings: Settings) -> None:
    """`hkkg serve --processes 2`: two HTTP processes on one port over the same store, each
    with its own query workers, giving the same answers."""
    import socket
    from http.client import HTTPResponse

    import httpx

    port = free_port()
    env = dict(os.environ, HKKG_DATA_DIR=str(built_settings.data_dir),
               HKKG_STORE_DIR=str(built_settings.resolved_store_dir))
    proc = subprocess.Popen(HKKG + ["serve", "--processes", "2", "--port", str(port),
                                    "--no-build"], env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until_serving(url + "/healthz", proc, 60), "server did not start"
        assert httpx.get(url + "/healthz").status_code == 200
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        spawned = [c for c in children  # not multiprocessing's resource tracker
                   if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        assert len(spawned) == 2  # uvicorn's two HTTP processes (their workers below them)
        query = {"query": "SELECT (COUNT(*) AS ?n) WHERE "
                          "{ ?s a <https://w3id.org/hk-smartcity/def/Platform> }"}
        # A new connection each time, so the kernel spreads them over both processes
        # (which one answered is not visible from here; every answer must be the same).
        replies = [httpx.get(url + "/sparql", params=query, headers={"Accept": "text/csv"})
                   for _ in range(20)]
        assert all(r.status_code == 200 for r in replies), replies[0].text
        assert {r.text for r in replies} == {replies[0].text}
        assert int(replies[0].text.split()[1]) > 10  # n, then the count of platforms
        assert httpx.get(url + "/search?q=cdeg").status_code == 200
        # Java clients offer `Upgrade: h2c` with their POSTs: the body must still arrive.
        body = query["query"].encode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings"
                         b"\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\nAccept: text/csv"
                         b"\r\nContent-Type: application/sparql-query\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)
            answer = HTTPResponse(sock)
            answer.begin()
            assert answer.status == 200 and answer.read().decode() == replies[0].text
    finally:
        stop(proc, 20)
    assert run(["serve", "--processes", "0", "--no-build"], built_settings).returncode == 2
