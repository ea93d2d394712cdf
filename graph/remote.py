"""A remote store: the graph lives in an existing SPARQL 1.1 server.

When one machine is not enough, the published graph is pushed into a SPARQL server
(Oxigraph server, Fuseki, GraphDB ...) and any number of API processes or replicas query
it. Two standard protocols, nothing server-specific:

- **queries** go through SPARQLWrapper (the SPARQL 1.1 Protocol). Answers come back in
  line-based formats (TSV for SELECT, N-Triples for CONSTRUCT/DESCRIBE), so a worker
  reads at most the rows it may return and drops the connection, whatever the server
  would send; they are parsed back into pyoxigraph's result objects, so the endpoint
  serializes, caps and negotiates them with the same code as the embedded store's.
- **loads** (``hkkg push``) use the SPARQL 1.1 Graph Store Protocol: one ``PUT`` per
  named graph of the published build, then ``DELETE`` of this project's graphs the build
  no longer has. The dataset metadata graph, which names the build, goes last, so the
  build a reader sees changes only once every other graph is in.

Which build the server holds is read from that metadata graph (``dcterms:identifier`` of
the dataset) and cached for ``HKKG_STORE_POLL_S`` seconds. The default graph of a query
is the merge of the build's named graphs, passed as ``default-graph-uri`` and
``named-graph-uri``: it does not depend on a server option such as Oxigraph's
``--union-default-graph``, and graphs of other applications on the same server stay out.

A query is parsed first by pyoxigraph over an empty in-memory store, so a malformed
query gets the same 400 message and position as with the embedded store, and the form of
the query (hence the format to ask for) is known before anything is sent.
"""

from __future__ import annotations

import base64
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from SPARQLWrapper import POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from graph.errors import StoreNotBuilt
from graph.namespaces import GRAPH_METADATA, ID

GRAPH_PREFIX = str(ID["graph/"])
DATASET_IRI = str(ID["dataset"])
DCTERMS_IDENTIFIER = "http://purl.org/dc/terms/identifier"

TSV = "text/tab-separated-values"
RESULTS_JSON = "application/sparql-results+json"
NTRIPLES = "application/n-triples"

INFO_QUERY = f"""SELECT ?g ?build WHERE {{
  {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{GRAPH_PREFIX}")) }}
  UNION
  {{ GRAPH <{GRAPH_METADATA}> {{ <{DATASET_IRI}> <{DCTERMS_IDENTIFIER}> ?build }} }}
}}"""

_PREFIX_DECL = re.compile(r"\bPREFIX\s+([^\s:]*):", re.IGNORECASE)
_LINE_LIMIT = 16 * 1024 * 1024  # one row or triple; a longer line is refused, not cut


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
    """The build a remote store holds and its named graphs."""

    build: str
    graphs: tuple[str, ...]


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


def _build_and_graphs(tsv: bytes) -> tuple[set[str], set[str]]:
    """The values of ?build and ?g in an answer to INFO_QUERY. Plain strings only: a
    pyoxigraph result object must not outlive this thread (it may not be dropped on
    another one, as an exception's traceback would do)."""
    builds: set[str] = set()
    graphs: set[str] = set()
    solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    assert isinstance(solutions, ox.QuerySolutions)
    for row in solutions:
        if row["build"] is not None:
            builds.add(row["build"].value)
        if row["g"] is not None:
            graphs.add(row["g"].value)
    return builds, graphs


class RemoteStore:
    """Queries a remote SPARQL server and answers with pyoxigraph's result objects.

    Used by the SPARQL workers in place of the embedded store, and by ``hkkg query`` and
    ``hkkg push``. Not thread-safe (each worker process has its own)."""

    def __init__(self, config: RemoteConfig, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self._clock = clock
        self._info: tuple[float, BuildInfo] | None = None
        self._last: tuple[tuple[Any, ...], str, bytes] | None = None

    # -- which build the server holds

    def info(self, max_age: float | None = None) -> BuildInfo:
        """The build on the server, at most ``max_age`` (default ``poll_s``) seconds old.

        Raises StoreNotBuilt when the server holds no build of this project, and
        RemoteStoreError when it cannot be asked."""
        max_age = self.config.poll_s if max_age is None else max_age
        now = self._clock()
        if self._info is not None and now - self._info[0] <= max_age:
            return self._info[1]
        _form, data = self._fetch(INFO_QUERY, [], "SELECT", None)
        builds, graphs = _build_and_graphs(data)
        if len(builds) != 1 or not graphs:
            raise StoreNotBuilt(
                f"the store at {self.config.query_url} holds no build of this graph "
                f"({len(builds)} build identifiers, {len(graphs)} graphs); "
                "run `hkkg build` and `hkkg push`")
        info = BuildInfo(builds.pop(), tuple(sorted(graphs)))
        self._info = (now, info)
        return info

    def current(self) -> tuple[str, RemoteStore]:
        """The build to answer from and the store to ask (as a worker wants them)."""
        return self.info().build, self

    def named_graphs(self) -> Iterator[str]:
        yield from self.info().graphs

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
        if use_default_graph_as_union and default_graph is None and named_graphs is None:
            graphs = self.info().graphs
            params += [("default-graph-uri", g) for g in graphs]
            params += [("named-graph-uri", g) for g in graphs]
        params += [("default-graph-uri", g.value) for g in default_graph or ()]
        params += [("named-graph-uri", g.value) for g in named_graphs or ()]
        key = (sparql, tuple(params), row_limit)
        if reuse_last and self._last is not None and self._last[0] == key:
            data = self._last[2]
        else:
            form, data = self._fetch(sparql, params, form, row_limit)
            self._last = (key, form, data)
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
               row_limit: int | None) -> tuple[str, bytes]:
        """POST the query and read the answer, at most ``row_limit`` rows of it."""
        accept = {"ASK": RESULTS_JSON, "SELECT": TSV}.get(form, NTRIPLES)
        client = SPARQLWrapper(self.config.query_url)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setOnlyConneg(True)
        client.setTimeout(int(self.config.timeout_s) + 1)
        client.setQuery(sparql)
        client.addCustomHttpHeader("Accept", accept)
        for name, value in params:
            client.addParameter(name, value)
        if self.config.user is not None:
            client.setCredentials(self.config.user, self.config.password or "")
        try:
            response = client.query().response
        except SPARQLWrapperException as exc:
            raise RemoteStoreError(f"the store at {self.config.query_url} refused the "
                                   f"query: {exc}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise RemoteStoreError(f"cannot query the store at {self.config.query_url}: "
                                   f"{getattr(exc, 'reason', exc)}") from exc
        try:
            return form, self._read(response, form, row_limit)
        finally:
            response.close()

    def _read(self, response: Any, form: str, row_limit: int | None) -> bytes:
        if form == "ASK":
            data: bytes = response.read(self.config.max_response_bytes + 1)
            if len(data) > self.config.max_response_bytes:
                raise RemoteStoreError(f"the answer of {self.config.query_url} is larger "
                                       "than HKKG_STORE_MAX_RESPONSE_MB")
            return data
        lines: list[bytes] = []
        size = 0
        wanted = None if row_limit is None else row_limit + (1 if form == "SELECT" else 0)
        while wanted is None or len(lines) < wanted:
            line = response.readline(_LINE_LIMIT + 1)
            if not line:
                break
            if len(line) > _LINE_LIMIT or size + len(line) > self.config.max_response_bytes:
                raise RemoteStoreError(f"the answer of {self.config.query_url} has a row "
                                       "or a size beyond this API's limits "
                                       "(HKKG_STORE_MAX_RESPONSE_MB)")
            size += len(line)
            if line.strip() or form == "SELECT":
                lines.append(line)
        return b"".join(lines)

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
        if self.config.user is not None:
            token = f"{self.config.user}:{self.config.password or ''}".encode()
            request.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
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
