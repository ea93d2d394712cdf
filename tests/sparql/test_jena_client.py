"""Apache Jena's ``rsparql`` (Debian's ``libapache-jena-java``) against the running
endpoint over the real graph: every query form, GET and POST (Jena offers
``Upgrade: h2c`` with its POSTs, see ``api/http_protocol.py``), the example catalogue,
and the refusals a researcher meets (``SERVICE``, updates). Answers are compared with
the same query run directly on the store. Only the real graph, not the fixture graph
too: each call starts a JVM (about a second). Skips when Java or Debian's Jena is not
installed (``.ci/run`` installs it)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
import rdflib
from conftest import Live, live_server
from jena_client import classpath, java, missing, rsparql
from sparql_compare import direct_bool, direct_graph, direct_rows, parse_rows, rows_of, same_graph
from test_sparql_clients import ASKS, GRAPHS, SELECTS

from graph.queries import load_catalogue
from graph.settings import Settings

pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))


@pytest.fixture(scope="module")
def live(built_settings: Settings) -> Iterator[Live]:
    with live_server(built_settings.model_copy(update={"query_timeout_s": 10.0})) as live_:
        yield live_


@pytest.fixture(scope="module")
def jena(tmp_path_factory: pytest.TempPathFactory) -> str:
    return classpath(tmp_path_factory.mktemp("jena"))


def _ok(done: subprocess.CompletedProcess[str]) -> bytes:
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.encode()


@pytest.mark.parametrize("post", [False, True], ids=["GET", "POST"])
@pytest.mark.parametrize("name", sorted(SELECTS))
def test_select(live: Live, jena: str, name: str, post: bool) -> None:
    expected = direct_rows(live.store, SELECTS[name])
    assert expected
    out = _ok(rsparql(jena, live.endpoint, SELECTS[name], "json", post=post))
    assert parse_rows(out, ox.QueryResultsFormat.JSON) == expected


@pytest.mark.parametrize("name", sorted(ASKS))
def test_ask(live: Live, jena: str, name: str) -> None:
    out = _ok(rsparql(jena, live.endpoint, ASKS[name], "json"))
    parsed = ox.parse_query_results(out, format=ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QueryBoolean)
    assert bool(parsed) is direct_bool(live.store, ASKS[name])


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_graph(live: Live, jena: str, name: str) -> None:
    expected = direct_graph(live.store, GRAPHS[name])
    assert len(expected) > 0
    out = _ok(rsparql(jena, live.endpoint, GRAPHS[name], "NT", post=True))
    assert same_graph(rdflib.Graph().parse(data=out.decode(), format="nt"), expected)


def test_example_catalogue(live: Live, jena: str) -> None:
    """Every example query answers through Jena as on the store (as multisets:
    GROUP BY output order is not stable between processes)."""
    for example in load_catalogue():
        result = live.store.query(example.query, use_default_graph_as_union=True)
        # The catalogue holds SELECT queries only; another form needs its own comparison here.
        assert isinstance(result, ox.QuerySolutions), example.slug
        out = _ok(rsparql(jena, live.endpoint, example.query, "json"))
        got = parse_rows(out, ox.QueryResultsFormat.JSON)
        assert sorted(got) == sorted(rows_of(result)), example.slug


def test_service_refused(live: Live, jena: str) -> None:
    done = rsparql(jena, live.endpoint,
                   "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "json")
    assert done.returncode != 0
    assert "400" in done.stderr


def test_update_refused(live: Live, jena: str) -> None:
    """Jena's update client gets the endpoint's 403: it is read-only."""
    done = subprocess.run([*java(jena), "arq.rupdate", "--service", live.endpoint,
                           "CLEAR ALL"], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "403" in done.stderr
