"""A remote store: the graph lives in an existing SPARQL 1.1 server.

When one machine is not enough, the published graph is pushed into a SPARQL server
(Oxigraph server, Fuseki, GraphDB ...) and any number of API processes or replicas query
it. Two standard protocols, nothing server-specific:

- **queries** go over the SPARQL 1.1 Protocol on a kept-alive ``http.client`` connection
  (SPARQLWrapper opens a connection per query and cost about 0.5 ms more CPU per query,
  measured 2026-12-02). Answers come back in line-based formats (TSV for SELECT,
  N-Triples for CONSTRUCT/DESCRIBE), so a worker reads at most the rows it may return and
  drops the connection, whatever the server would send; they are parsed back into
  pyoxigraph's result objects, so the endpoint serializes, caps and negotiates them with
  the same code as the embedded store's.
- **loads** (``hkkg push``) use the SPARQL 1.1 Graph Store Protocol: one ``PUT`` per
  named graph of the published build, then ``DELETE`` of this project's graphs the build
  no longer has. The dataset metadata graph, which names the build, goes last, so the
  build a reader sees changes only once every other graph is in.

Which build the server holds is read from that metadata graph (``dcterms:identifier`` of
the dataset) and cached for ``HKKG_STORE_POLL_S`` seconds. The default graph of a query
is the union of the named graphs. When the server's default graph already is (Oxigraph's
``--union-default-graph``, Fuseki's ``unionDefaultGraph``: the metadata graph's content is
then visible without ``GRAPH``), queries go as they are; otherwise the build's graphs are
passed as ``default-graph-uri`` and ``named-graph-uri``, which works on any server but
made Oxigraph 0.5.13 about three times slower on the example queries (2026-12-02).

A query is parsed first by pyoxigraph over an empty in-memory store, so a malformed
query gets the same 400 message and position as with the embedded store, and the form of
the query (hence the format to ask for) is known before anything is sent.
"""

from __future__ import annotations

import base64
import http.client
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from graph.errors import StoreNotBuilt
from graph.namespaces import GRAPH_METADATA, ID

GRAPH_PREFIX = str(ID["graph/"])
DATASET_IRI = str(ID["dataset"])
DCTERMS_IDENTIFIER = "http://purl.org/dc/terms/identifier"

TSV = "text/tab-separated-values"
RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"

# The build's graphs, its identifier, and whether the server's default graph already shows
# the metadata graph's content (its default graph is the union of the named graphs).
INFO_QUERY = f"""SELECT ?g ?build ?inDefault WHERE {{
  {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{GRAPH_PREFIX}")) }}
  UNION
  {{ GRAPH <{GRAPH_METADATA}> {{ <{DATASET_IRI}> <{DCTERMS_IDENTIFIER}> ?build }} }}
  UNION
  {{ <{DATASET_IRI}> <{DCTERMS_IDENTIFIER}> ?inDefault }}
}}"""

_PREFIX_DECL = re.compile(r"\bPREFIX\s+([^\s:]*):", re.IGNORECASE)
_BLOCK = 64 * 1024


class RemoteStoreError(OSError):
    """The remote store could not be reached or refused a request; the message names the
    URL, the HTTP status and what the server said."""


@dataclass(frozen=True)
class RemoteConfig:
    """Where the remote store is and how to talk to it (picklable: workers get a copy)."""

    query_url: str
    graph_store_url: str | None = None
    user: str | None = None
    password: str | None = None
    timeout_s: float = 30.0
    max_response_bytes: int = 256 * 1024 * 1024
    poll_s: float = 2.0


@dataclass(frozen=True)
class BuildInfo:
    """The build a remote store holds, its named graphs, and whether the server's default
    graph is already their union (then no dataset needs to be sent with a query)."""

    build: str
    graphs: tuple[str, ...]
    union_default: bool = False


def query_form(sparql: str, prefixes: dict[str, str] | None = None) -> str:
    """``SELECT``, ``ASK`` or ``CONSTRUCT`` (for DESCRIBE too) as pyoxigraph parses the
    query; raises SyntaxError with pyoxigraph's message for a malformed one (its line and
    column are those of ``sparql``, predeclared ``prefixes`` or not).

    The query is evaluated lazily over an empty in-memory store: nothing is read and, but
    for ASK (answered at once, over no data), nothing is computed."""
    result = ox.Store().query(sparql, prefixes=prefixes)
    if isinstance(result, ox.QueryBoolean):
        return "ASK"
    if isinstance(result, ox.QuerySolutions):
        return "SELECT"
    return "CONSTRUCT"


def with_prefixes(sparql: str, prefixes: dict[str, str] | None) -> str:
    """``sparql`` with PREFIX lines for the given prefixes it does not declare itself
    (the query's own declarations win, as with pyoxigraph's ``prefixes=``)."""
    if not prefixes:
        return sparql
    declared = set(_PREFIX_DECL.findall(sparql))
    lines = [f"PREFIX {name}: <{iri}>" for name, iri in prefixes.items() if name not in declared]
    return "\n".join([*lines, sparql]) if lines else sparql


def _build_and_graphs(tsv: bytes) -> tuple[set[str], set[str], set[str]]:
    """The values of ?build, ?g and ?inDefault in an answer to INFO_QUERY. Plain strings
    only: a pyoxigraph result object must not outlive this thread (it may not be dropped
    on another one, as an exception's traceback would do)."""
    builds: set[str] = set()
    graphs: set[str] = set()
    in_default: set[str] = set()
    solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        if row["build"] is not None:
            builds.add(row["build"].value)
        if row["g"] is not None:
            graphs.add(row["g"].value)
        if row["inDefault"] is not None:
            in_default.add(row["inDefault"].value)
    return builds, graphs, in_default


class RemoteStore:
    """Queries a remote SPARQL server and answers with pyoxigraph's result objects.

    Used by the SPARQL workers in place of the embedded store, and by ``hkkg query`` and
    ``hkkg push``. Not thread-safe (each worker process has its own)."""

    def __init__(self, config: RemoteConfig):
        self.config = config
        self._info: tuple[float, BuildInfo] | None = None
        self._last: tuple[tuple[Any, ...], bytes] | None = None
        self._conn: http.client.HTTPConnection | None = None
        parts = urllib.parse.urlsplit(config.query_url)
        self._path = parts.path or "/"
        if parts.query:
            self._path += "?" + parts.query
        self._auth: dict[str, str] = {}
        if config.user is not None:
            token = f"{config.user}:{config.password or ''}".encode()
            self._auth["Authorization"] = "Basic " + base64.b64encode(token).decode()

    # -- which build the server holds

    def info(self, max_age: float | None = None) -> BuildInfo:
        """The build on the server, at most ``max_age`` (default ``poll_s``) seconds old.

        Raises StoreNotBuilt when the server holds no build of this project, and
        RemoteStoreError when it cannot be asked."""
        max_age = self.config.poll_s if max_age is None else max_age
        now = time.monotonic()
        if self._info is not None and now - self._info[0] <= max_age:
            return self._info[1]
        data = self._fetch(INFO_QUERY, [], "SELECT", None)
        builds, graphs, in_default = _build_and_graphs(data)
        if len(builds) != 1 or not graphs:
            raise StoreNotBuilt(
                f"the store at {self.config.query_url} holds no build of this graph "
                f"({len(builds)} build identifiers, {len(graphs)} graphs); "
                "run `hkkg build` and `hkkg push`")
        info = BuildInfo(next(iter(builds)), tuple(sorted(graphs)), in_default == builds)
        self._info = (now, info)
        return info

    def current(self) -> tuple[str, RemoteStore]:
        """The build to answer from and the store to ask (as a worker wants them)."""
        return self.info().build, self

    # -- queries

    def query(self, sparql: str, *, default_graph: Sequence[ox.NamedNode] | None = None,
              named_graphs: Sequence[ox.NamedNode] | None = None,
              use_default_graph_as_union: bool = False,
              prefixes: dict[str, str] | None = None,
              row_limit: int | None = None, reuse_last: bool = False) -> Any:
        """Run ``sparql`` on the server, like ``pyoxigraph.Store.query``.

        ``row_limit`` bounds the rows (SELECT) or triples read; the rest of the answer is
        never downloaded. With ``reuse_last``, the same query as the previous call is
        answered from the previous answer instead of asking the server twice (a worker
        reads an answer twice when it may be longer than ``max_results``)."""
        form = query_form(sparql, prefixes)
        sparql = with_prefixes(sparql, prefixes)
        params: list[tuple[str, str]] = []
        if (use_default_graph_as_union and default_graph is None and named_graphs is None
                and not (info := self.info()).union_default):
            graphs = info.graphs
            params += [("default-graph-uri", g) for g in graphs]
            params += [("named-graph-uri", g) for g in graphs]
        params += [("default-graph-uri", g.value) for g in default_graph or ()]
        params += [("named-graph-uri", g.value) for g in named_graphs or ()]
        key = (sparql, tuple(params), row_limit)
        if reuse_last and self._last is not None and self._last[0] == key:
            data = self._last[1]
        else:
            data = self._fetch(sparql, params, form, row_limit)
            self._last = (key, data)
        # Rows are parsed as they are read: a bad row raises SyntaxError there, which the
        # worker reports as a store failure (an Oxigraph server that gives up on a query
        # may already have sent "200 OK" and some rows).
        try:
            if form == "ASK":
                return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
            if form == "SELECT":
                return ox.parse_query_results(data, format=ox.QueryResultsFormat.TSV)
        except SyntaxError as exc:
            raise RemoteStoreError(f"the answer of {self.config.query_url} could not be "
                                   f"read: {exc}") from exc
        return (quad.triple for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES))

    def _fetch(self, sparql: str, params: list[tuple[str, str]], form: str,
               row_limit: int | None) -> bytes:
        """POST the query and read the answer, at most ``row_limit`` rows of it.

        The connection is kept alive between queries; one that the server closed while
        idle is opened again once (a query has no side effect to repeat)."""
        accept = {"ASK": RESULTS_JSON, "SELECT": TSV}.get(form, NTRIPLES)
        body = urllib.parse.urlencode([("query", sparql), *params]).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept,
                   "User-Agent": "hk-smartcity-kg", **self._auth}
        for attempt in (1, 2):
            reused = self._conn is not None
            conn = self._conn or self._connect()
            self._conn = None  # given back below only when the answer was read to its end
            try:
                conn.request("POST", self._path, body, headers)
                response = conn.getresponse()
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError) as exc:
                conn.close()
                if reused and attempt == 1:
                    continue
                raise RemoteStoreError(f"cannot query the store at {self.config.query_url}: "
                                       f"{exc}") from exc
            except OSError as exc:
                conn.close()
                raise RemoteStoreError(f"cannot query the store at {self.config.query_url}: "
                                       f"{exc}") from exc
            try:
                if response.status != 200:
                    detail = response.read(2000).decode("utf-8", "replace").strip()
                    raise RemoteStoreError(f"the store at {self.config.query_url} answered "
                                           f"HTTP {response.status} {response.reason}: "
                                           f"{detail}")
                data, whole = self._read(response, form, row_limit)
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                if isinstance(exc, RemoteStoreError):
                    raise
                raise RemoteStoreError(f"reading the answer of {self.config.query_url} "
                                       f"failed: {exc}") from exc
            if whole and not response.will_close:
                self._conn = conn
            else:
                conn.close()  # rows left unread: this connection cannot be reused
            return data
        raise AssertionError("unreachable")

    def _connect(self) -> http.client.HTTPConnection:
        parts = urllib.parse.urlsplit(self.config.query_url)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        return cls(parts.hostname or "", parts.port, timeout=self.config.timeout_s + 1)

    def _read(self, response: http.client.HTTPResponse, form: str,
              row_limit: int | None) -> tuple[bytes, bool]:
        """The answer, cut after ``row_limit`` rows (lines; TSV has a header line more),
        and whether it was read to its end. Reads in blocks and counts newlines: a line
        at a time in Python costs more than the rest of the worker's work."""
        cap = self.config.max_response_bytes
        wanted = None
        if form != "ASK" and row_limit is not None:
            wanted = row_limit + (1 if form == "SELECT" else 0)
        chunks: list[bytes] = []
        size = lines = 0
        while True:
            chunk = response.read(_BLOCK)
            if not chunk:
                return b"".join(chunks), True
            newlines = chunk.count(b"\n")
            if wanted is not None and lines + newlines >= wanted:
                cut = -1
                for _ in range(wanted - lines):
                    cut = chunk.index(b"\n", cut + 1)
                chunks.append(chunk[: cut + 1])
                return b"".join(chunks), False
            size += len(chunk)
            if size > cap:
                raise RemoteStoreError(f"the answer of {self.config.query_url} is larger than "
                                       "HKKG_STORE_MAX_RESPONSE_MB")
            lines += newlines
            chunks.append(chunk)

    # -- loads (Graph Store Protocol)

    def put_graph(self, graph: str, ntriples: bytes) -> None:
        """Replace ``graph`` on the server with ``ntriples``."""
        self._graph_store("PUT", graph, ntriples)

    def delete_graph(self, graph: str) -> None:
        """Drop ``graph`` from the server (nothing happens when it is not there)."""
        self._graph_store("DELETE", graph, None, missing_ok=True)

    def _graph_store(self, method: str, graph: str, body: bytes | None,
                     missing_ok: bool = False) -> None:
        base = self.config.graph_store_url
        if not base:
            raise RemoteStoreError("no Graph Store Protocol URL: set HKKG_STORE_GRAPH_STORE_URL "
                                   "(Oxigraph server: .../store; Fuseki: .../<dataset>/data)")
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}{urllib.parse.urlencode({'graph': graph})}"
        request = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            request.add_header("Content-Type", NTRIPLES)
        for name, value in self._auth.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if missing_ok and exc.code == 404:
                return
            detail = exc.read(2000).decode("utf-8", "replace").strip()
            raise RemoteStoreError(f"{method} of graph <{graph}> at {base} failed: HTTP "
                                   f"{exc.code} {exc.reason}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise RemoteStoreError(f"cannot reach the graph store at {base}: "
                                   f"{getattr(exc, 'reason', exc)}") from exc
