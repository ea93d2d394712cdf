"""``/sparql``: the SPARQL 1.1 Protocol (query operation only) and its query page.

Request handling order, cheapest refusal first: read the parameters (body
capped at ``max_body_bytes``), refuse updates (403), check the query length,
scan the query (SERVICE -> 400), negotiate the format (406), and only then
hand it to a worker process with a hard time limit (503 past it). Every
response, errors included, carries ``Access-Control-Allow-Origin: *`` (no
credentials), so a page on any origin can query the graph.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.problems import Problem, instance_of
from api.sparql import formats, service_description
from api.sparql.cache import ResultCache
from api.sparql.negotiation import NotAcceptableError, negotiate, negotiate_query
from api.sparql.safety import QueryRefusedError, analyse
from api.sparql.workers import (
    Job,
    Outcome,
    PoolBusyError,
    QueryTimeoutError,
    WorkerCrashedError,
    WorkerPool,
    mimalloc_path,
)
from graph.errors import StoreNotBuilt
from graph.namespaces import WRITE_PREFIXES, sparql_prologue
from graph.remote import RemoteStore, RemoteStoreError
from graph.settings import Settings

log = logging.getLogger(__name__)

API_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = API_DIR / "templates"
STATIC_DIR = API_DIR / "static"

TRUNCATED_HEADER = "HKKG-Truncated"
CACHE_HEADER = "HKKG-Cache"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    # Link names a document's other formats; Content-Disposition a dump's build file name.
    "Access-Control-Expose-Headers": (f"{TRUNCATED_HEADER}, {CACHE_HEADER}, Content-Type, ETag, Link, "
                                      "Content-Disposition, Content-Location"),
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Max-Age": "86400",
}
FORM_TYPES = ("application/x-www-form-urlencoded",)
_SECONDS = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?|\.[0-9]{1,9}")
# The shortest time limit a request may ask for. A query past its limit costs a worker
# (killed and started again, a few hundred ms of CPU): timeout=0.000001 on every request
# would have made each one, however cheap its query, cost a worker start.
MIN_TIMEOUT_S = 0.1
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"

SD_FORMATS: dict[str, ox.RdfFormat | None] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "text/html": None,
}
SD_NAMES = {"turtle": "text/turtle", "ttl": "text/turtle", "jsonld": "application/ld+json",
            "json-ld": "application/ld+json", "json": "application/ld+json", "html": "text/html"}


class SparqlFastPath:
    """Pure ASGI middleware that serves ``/sparql`` before FastAPI's router.

    Every query passes through the HTTP process on its way to a worker, so
    the path is kept short: routing and dependency resolution are skipped.
    The FastAPI routes below call the same :meth:`SparqlService.handle`; they
    document the operation in ``/openapi.json`` and answer only in an app
    whose lifespan has not run (no ``state.sparql``)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/sparql":
            service = getattr(scope["app"].state, "sparql", None)
            if isinstance(service, SparqlService):
                response = await service.handle(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


@dataclass
class _ClientSlot:
    """The places of one client (address) to run queries, and how many of its requests
    hold or wait for one (the entry goes when none does)."""

    running: asyncio.Semaphore
    users: int = 0


def worker_allocator(settings: Settings) -> Path | None:
    """The malloc library the query workers preload (setting HKKG_WORKER_ALLOCATOR)."""
    if settings.worker_allocator == "system":
        return None
    path = mimalloc_path()
    if path is None:
        log.warning("HKKG_WORKER_ALLOCATOR=mimalloc, but the cmeel-mimalloc package is not "
                    "installed: the query workers use the system's malloc")
    return path


def client_of(request: Request) -> str | None:
    """The client's address (behind a trusted proxy, the one it forwards)."""
    return request.client.host if request.client else None


class Params:
    """The protocol parameters of one request, from the URL and/or the body."""

    def __init__(self, pairs: list[tuple[str, str]], body_query: str | None = None):
        self.pairs = pairs
        self.body_query = body_query

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]

    def formats(self) -> list[str]:
        """Values of ``format=`` and ``output=`` (the name other endpoints use)."""
        return self.all("format") + self.all("output")

    def one(self, name: str) -> str | None:
        values = self.all(name)
        if len(values) > 1:
            raise Problem(400, f"parameter {name}= given {len(values)} times; give it once",
                          kind="invalid-parameter")
        return values[0] if values else None


class SparqlService:
    """State of the endpoint: settings, worker pool, page template and caches."""

    def __init__(self, settings: Settings):
        self.settings = settings
        remote = settings.remote_config()
        self.remote = RemoteStore(remote) if remote is not None else None
        self._remote_build: str | None = None
        self.pool = WorkerPool(remote or settings.resolved_store_dir, settings.query_workers,
                               settings.query_workers_burst, WRITE_PREFIXES,
                               memory_mb=settings.worker_memory_mb,
                               allocator=worker_allocator(settings))
        self._env = Environment(loader=FileSystemLoader(TEMPLATES_DIR),
                                autoescape=select_autoescape(["html"]))
        self._graphs: tuple[str, list[service_description.GraphInfo]] | None = None
        cache_bytes = settings.query_cache_mb * 1024 * 1024
        self.cache = ResultCache(cache_bytes) if cache_bytes else None
        self._link = settings.resolved_store_dir / "current"
        self._client_slots: dict[str, _ClientSlot] = {}

    def render_page(self, name: str, **context: Any) -> str:
        """Render one of ``api/templates`` (autoescaped)."""
        return self._env.get_template(name).render(**context)

    def current_build(self) -> str | None:
        """Name of the published build (one readlink; no store access). With a remote
        store, the build it held when last asked (at most HKKG_STORE_POLL_S ago)."""
        if self.remote is not None:
            return self._remote_build
        try:
            return os.path.basename(os.readlink(self._link))
        except OSError:
            return None

    async def watch_remote(self) -> None:
        """Keep ``current_build()`` up to date with the remote store (runs until cancelled)."""
        assert self.remote is not None
        remote, failing = self.remote, False
        while True:
            try:
                info = await asyncio.to_thread(remote.info, 0.0)
            except (StoreNotBuilt, RemoteStoreError) as exc:
                self._remote_build = None
                if not failing:
                    log.warning("remote store: %s", exc)
                failing = True
            else:
                if info.build != self._remote_build:
                    log.info("remote store holds build %s", info.build)
                self._remote_build, failing = info.build, False
            await asyncio.sleep(self.settings.store_poll_s)

    async def handle(self, request: Request) -> Response:
        """Answer one request to ``/sparql`` (any method), problems and CORS included."""
        if request.method == "OPTIONS":
            return self.preflight(request)
        try:
            if request.method not in ("GET", "HEAD", "POST"):
                raise Problem(405, f"method {request.method} is not allowed on /sparql",
                              kind="method-not-allowed",
                              headers={"Allow": "GET, HEAD, POST, OPTIONS"})
            params = await self.read_params(request)
            if request.method != "POST" and params.all("update"):
                raise self._read_only("the update= parameter (SPARQL Update)")
            if request.method != "POST" and params.one("query") is None:
                response = await self.describe(request, params)
            else:
                response = await self.query(request, params)
        except Problem as exc:
            response = exc.response(instance=instance_of(request))
        response.headers.update(CORS_HEADERS)
        return response

    @staticmethod
    def preflight(request: Request) -> Response:
        headers = dict(PREFLIGHT_HEADERS)
        headers["Access-Control-Allow-Headers"] = requested_headers(request, "Accept, Content-Type")
        return Response(status_code=204, headers=headers)

    # -- reading the request

    async def read_body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise self._too_large(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise self._too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _too_large(limit: int) -> Problem:
        return Problem(413, f"request body larger than {limit} bytes "
                            "(setting HKKG_MAX_BODY_BYTES)", kind="body-too-large",
                       setting="HKKG_MAX_BODY_BYTES", limit=limit)

    async def read_params(self, request: Request) -> Params:
        # The raw query string, not request.url.query: building a URL object per query is
        # measurable on this path (bench/README.md).
        try:
            raw = request.scope.get("query_string", b"").decode("utf-8")
        except UnicodeDecodeError:
            raise Problem(400, "the URL's query string is not UTF-8",
                          kind="invalid-parameter") from None
        url_pairs = parse_qsl(raw, keep_blank_values=True)
        if request.method != "POST":
            return Params(url_pairs)
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type == UPDATE_TYPE:
            raise self._read_only("a SPARQL Update request body (application/sparql-update)")
        body = await self.read_body(request)
        if media_type in FORM_TYPES:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                raise Problem(400, "form body is not UTF-8", kind="invalid-parameter") from None
            return Params(url_pairs + parse_qsl(text, keep_blank_values=True))
        if media_type == QUERY_TYPE:
            try:
                return Params(url_pairs, body.decode("utf-8"))
            except UnicodeDecodeError:
                raise Problem(400, "query body is not UTF-8", kind="invalid-parameter") from None
        raise Problem(415, "POST a query as application/x-www-form-urlencoded (query=...) "
                           f"or as {QUERY_TYPE}", kind="unsupported-media-type",
                      offered=[*FORM_TYPES, QUERY_TYPE])

    @staticmethod
    def _read_only(what: str) -> Problem:
        return Problem(403, f"this endpoint is read-only: {what} is not accepted; "
                            "only SPARQL queries (SELECT, ASK, CONSTRUCT, DESCRIBE) run here",
                       kind="read-only")

    def timeout_for(self, params: Params) -> float:
        limit = self.settings.query_timeout_s
        raw = params.one("timeout")
        if raw is None or raw == "":
            return limit
        # A plain decimal number: float() also reads "1_0", " 5 ", "inf" and "1e309".
        asked = float(raw) if _SECONDS.fullmatch(raw) else math.nan
        if not math.isfinite(asked) or asked <= 0:
            raise Problem(400, f"timeout={raw!r} is not a positive number of seconds",
                          kind="invalid-parameter")
        if asked < MIN_TIMEOUT_S:
            raise Problem(400, f"timeout={raw!r} is shorter than the shortest time limit a "
                               f"request may ask for ({MIN_TIMEOUT_S:g} s)",
                          kind="invalid-parameter")
        return min(asked, limit)

    # -- the query operation

    async def query(self, request: Request, params: Params) -> Response:
        if params.all("update"):
            raise self._read_only("the update= parameter (SPARQL Update)")
        query = params.body_query if params.body_query is not None else params.one("query")
        if query is None:
            raise Problem(400, "no query: give query= (GET or form POST) or POST "
                               f"{QUERY_TYPE}", kind="missing-query")
        limit = self.settings.max_query_length
        if len(query) > limit:
            status = 414 if request.method == "GET" else 400
            raise Problem(status, f"query is {len(query)} characters long; the limit is {limit} "
                                  "(setting HKKG_MAX_QUERY_LENGTH)", kind="query-too-long",
                          setting="HKKG_MAX_QUERY_LENGTH", limit=limit)
        try:
            info = analyse(query)
        except QueryRefusedError as exc:
            raise Problem(exc.status, str(exc), kind=exc.kind) from None
        try:
            results_fmt, graph_fmt = negotiate_query(info.form, request.headers.get("accept"),
                                                     params.formats())
        except NotAcceptableError as exc:
            raise Problem(406, f"{exc}; offered: {', '.join(exc.offered)}",
                          kind="not-acceptable", offered=exc.offered) from None
        timeout = self.timeout_for(params)
        default_graphs = params.all("default-graph-uri")
        named_graphs = params.all("named-graph-uri")
        job = Job(
            query=query,
            results_format=results_fmt.name if results_fmt else None,
            graph_format=graph_fmt.name if graph_fmt else None,
            max_results=self.settings.max_results,
            union_default_graph=not info.has_dataset_clause,
            default_graphs=tuple(default_graphs) if default_graphs or named_graphs else None,
            named_graphs=tuple(named_graphs) if default_graphs or named_graphs else None,
            max_bytes=self.settings.max_result_bytes,
        )
        _check_iris(default_graphs + named_graphs)
        build = self.current_build() if info.deterministic else None
        headers = {"Vary": "Accept"}
        if_none_match = request.headers.get("if-none-match")
        if build is not None:
            # Same build, same request, same answer: clients may revalidate for free. Not
            # for "*" before the query ran: a malformed or failing query has no answer.
            headers["Cache-Control"] = "no-cache"
            headers["ETag"] = answer_etag(build, job)
            if etag_matches(if_none_match, headers["ETag"], star=False):
                return Response(status_code=304, headers=headers)
        outcome, cached = await self.run_cached(job, timeout, build, client_of(request))
        if not cached and build is not None and outcome.build and outcome.build != build:
            headers["ETag"] = answer_etag(outcome.build, job)  # the build it ran on
        if "ETag" in headers and etag_matches(if_none_match, headers["ETag"]):
            return Response(status_code=304, headers=headers)  # it has an answer, unchanged
        fmt = formats.by_name(outcome.media_type)
        assert fmt is not None
        headers[CACHE_HEADER] = "hit" if cached else "miss"
        if outcome.truncated:
            headers[TRUNCATED_HEADER] = "true"
        return Response(outcome.body, media_type=formats.content_type(fmt), headers=headers)

    async def run_cached(self, job: Job, timeout: float, build: str | None,
                         client: str | None = None) -> tuple[Outcome, bool]:
        """The answer to ``job`` and whether it came from the cache: answers are cached
        per build, so ``build`` is None for a query whose answer may change (RAND, NOW).
        ``client`` (an address) runs at most HKKG_CLIENT_QUERIES queries at once."""
        if build is not None and self.cache is not None:
            outcome = self.cache.get((build, job))
            if outcome is not None:
                return outcome, True
        place = await self._take_place(client, timeout)
        try:
            outcome = await self.run(job, timeout)
        finally:
            self._give_place(client, place)
        if build is not None and outcome.build and self.cache is not None:
            self.cache.put((outcome.build, job), outcome)
        return outcome, False

    async def _take_place(self, client: str | None, timeout: float) -> _ClientSlot | None:
        """One of ``client``'s HKKG_CLIENT_QUERIES places to run a query (None: no limit);
        waits (at most ``timeout``) while all its places are taken, then 429. Give it back
        with :meth:`_give_place`.

        The pool is small (workers plus burst), so without this one client sending a few
        slow queries at once held every worker and everybody else got 503; now its further
        queries wait for its own to finish, and the other workers stay free for others.
        Every uncached query passes here: a free place is taken without a timer."""
        cap = self.settings.client_queries
        if not cap or client is None:
            return None
        slot = self._client_slots.get(client)
        if slot is None:
            slot = self._client_slots[client] = _ClientSlot(asyncio.Semaphore(cap))
        slot.users += 1
        if not slot.running.locked():
            await slot.running.acquire()  # a free place: no wait
            return slot
        try:
            async with asyncio.timeout(timeout):
                await slot.running.acquire()
        except TimeoutError:
            self._leave(client, slot)
            raise Problem(
                429, f"this client already runs {cap} queries at once (setting "
                     "HKKG_CLIENT_QUERIES) and none ended within the time limit; wait for "
                     "an answer before sending more", kind="too-many-queries",
                setting="HKKG_CLIENT_QUERIES", limit=cap,
                headers={"Retry-After": str(math.ceil(timeout))}) from None
        except BaseException:
            self._leave(client, slot)
            raise
        return slot

    def _give_place(self, client: str | None, slot: _ClientSlot | None) -> None:
        if slot is not None and client is not None:
            slot.running.release()
            self._leave(client, slot)

    def _leave(self, client: str, slot: _ClientSlot) -> None:
        slot.users -= 1
        if slot.users == 0:
            del self._client_slots[client]

    async def run(self, job: Job, timeout: float) -> Outcome:
        """Run ``job`` on the pool and turn every failure into a problem."""
        try:
            outcome = await self.pool.run(job, timeout)
        except QueryTimeoutError:
            raise Problem(
                503, f"query stopped after {timeout:g} s: the limit is "
                     f"{self.settings.query_timeout_s:g} s (setting HKKG_QUERY_TIMEOUT_S; "
                     "a request may lower it with timeout=)",
                kind="query-timeout", setting="HKKG_QUERY_TIMEOUT_S", timeout_s=timeout,
            ) from None
        except PoolBusyError as exc:
            raise Problem(503, f"{exc}; every query worker is busy (setting "
                               "HKKG_QUERY_WORKERS)", kind="endpoint-busy",
                          setting="HKKG_QUERY_WORKERS", headers={"Retry-After": "1"}) from None
        except WorkerCrashedError as exc:
            if exc.out_of_memory and self.settings.worker_memory_mb:
                log.warning("SPARQL worker stopped at its memory limit: %s", exc)
                raise Problem(
                    503, "query stopped: it needed more memory than a query worker may use "
                         f"({self.settings.worker_memory_mb} MiB, setting HKKG_WORKER_MEMORY_MB)",
                    kind="query-memory", setting="HKKG_WORKER_MEMORY_MB",
                    limit_mb=self.settings.worker_memory_mb) from None
            log.error("SPARQL worker crashed: %s", exc)
            raise Problem(500, "the query worker died while running this query",
                          kind="worker-crashed") from None
        if outcome.status == "ok":
            return outcome
        if outcome.status == "syntax":
            raise Problem(400, f"malformed query: {outcome.message}", kind="malformed-query",
                          parser_message=outcome.message, position=_position(outcome.message))
        if outcome.status == "no-store":
            raise Problem(503, outcome.message, kind="store-not-built")
        if outcome.status == "unavailable":
            log.error("remote store: %s", outcome.message)
            raise Problem(502, "the remote store did not answer (setting HKKG_STORE_URL); "
                               "see the server log", kind="store-unavailable",
                          setting="HKKG_STORE_URL")
        if outcome.status == "not-acceptable":
            offered = [f.media_type for f in (formats.RESULT_FORMATS
                                              if outcome.message == "results"
                                              else formats.GRAPH_FORMATS)]
            raise Problem(406, f"no acceptable format for this answer; offered: "
                               f"{', '.join(offered)}", kind="not-acceptable", offered=offered)
        raise Problem(400, f"query failed: {outcome.message}", kind="query-failed")

    # -- without a query: service description or query page

    async def describe(self, request: Request, params: Params) -> Response:
        offered = list(SD_FORMATS)
        wanted = [SD_NAMES.get(v, v) for v in params.formats() if v.strip()]
        try:
            media_type = _negotiate_simple(offered, request.headers.get("accept"), wanted)
        except NotAcceptableError as exc:
            raise Problem(406, f"{exc}; offered: {', '.join(offered)}",
                          kind="not-acceptable", offered=offered) from None
        headers = {"Vary": "Accept"}
        if media_type == "text/html":
            return HTMLResponse(self.page(request), headers=headers)
        endpoint = str(request.url.replace(query=None, fragment=None))
        rdf_format = SD_FORMATS[media_type]
        assert rdf_format is not None
        graphs = await self.graph_sizes()
        body = service_description.render(endpoint, graphs, rdf_format)
        content_type = "text/turtle; charset=utf-8" if media_type == "text/turtle" else media_type
        return Response(body, media_type=content_type, headers=headers)

    async def graph_sizes(self) -> list[service_description.GraphInfo] | None:
        """Named graphs of the current build and their sizes (cached per build)."""
        build = self.current_build()
        if build is None:
            return None
        if self._graphs is not None and self._graphs[0] == build:
            return self._graphs[1]
        job = Job(service_description.GRAPH_SIZES_QUERY, "json", None,
                  max_results=1_000_000)
        try:
            outcome = await self.run(job, self.settings.query_timeout_s)
        except Problem:
            return None
        data = json.loads(outcome.body)
        graphs = [service_description.GraphInfo(b["g"]["value"], int(b["n"]["value"]))
                  for b in data["results"]["bindings"]]
        graphs.sort(key=lambda g: g.name)
        self._graphs = (outcome.build or build, graphs)
        return graphs

    def page(self, request: Request) -> str:
        template = self._env.get_template("sparql.html")
        return template.render(
            endpoint=str(request.url.path),
            static=str(request.url_for("sparql_static", name="x").path)[:-1],
            prologue=sparql_prologue(),
            base=self.settings.base_iri,
            examples=[asdict(e) for e in load_examples()],
            result_formats=[{"name": f.name, "media_type": f.media_type,
                             "extension": f.extension} for f in formats.RESULT_FORMATS],
            graph_formats=[{"name": f.name, "media_type": f.media_type,
                            "extension": f.extension} for f in formats.GRAPH_FORMATS],
            timeout=self.settings.query_timeout_s,
            max_results=self.settings.max_results,
        )


def load_examples() -> list[Any]:
    """The example-query catalogue, or nothing if it cannot be read."""
    try:
        from graph.queries import load_catalogue
        return list(load_catalogue())
    except (ImportError, OSError, ValueError) as exc:
        log.warning("example catalogue unavailable: %s", exc)
        return []


def _negotiate_simple(offered: list[str], accept: str | None, wanted: list[str]) -> str:
    """Pick one of ``offered`` media types (first preferred) for Accept / format=."""
    fmts = tuple(formats.Format(m, m, "graph", "") for m in offered)
    return negotiate(fmts, accept, wanted).media_type


# A list of header names (RFC 9110 tokens), as a preflight's Access-Control-Request-Headers.
_HEADER_NAMES = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*")


def requested_headers(request: Request, default: str) -> str:
    """What a CORS preflight allows: the header names it asks for, else ``default``. Any
    header may be sent, but the answer repeats only a short, well-formed list of names,
    never an arbitrary value of any size."""
    asked = (request.headers.get("access-control-request-headers") or "").strip()
    return asked if len(asked) <= 1_000 and _HEADER_NAMES.fullmatch(asked) else default


def answer_etag(build: str, job: Job) -> str:
    """A weak validator of the answer to ``job`` on ``build``.

    Weak, because two workers may order unordered rows differently: the
    answers are equivalent, not byte-identical."""
    digest = hashlib.sha256(repr((build, job)).encode()).hexdigest()[:32]
    return f'W/"{digest}"'


def etag_matches(if_none_match: str | None, etag: str, star: bool = True) -> bool:
    """RFC 9110 weak comparison of ``If-None-Match`` against ``etag``. ``star``: whether
    ``*`` (any current representation) counts; not before a query has shown that there is
    one, since an ETag is computable by anyone and "*" matches a thing that is not there."""
    if not if_none_match:
        return False
    opaque = etag.removeprefix("W/")
    return any((star and tag.strip() == "*") or tag.strip().removeprefix("W/") == opaque
               for tag in if_none_match.split(","))


def _check_iris(iris: list[str]) -> None:
    for iri in iris:
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise Problem(400, f"{iri!r} is not an absolute IRI (default-graph-uri / "
                               "named-graph-uri)", kind="invalid-parameter") from None


def _position(message: str) -> dict[str, int] | None:
    """``{"line": l, "column": c}`` from pyoxigraph's ``error at l:c: ...``."""
    head = message.split(":", 3)
    if len(head) >= 3 and head[0].startswith("error at "):
        try:
            return {"line": int(head[0].removeprefix("error at ")), "column": int(head[1])}
        except ValueError:
            return None
    return None


def build_router(settings: Settings) -> APIRouter:
    """The /sparql router; its lifespan starts and stops the worker pool."""
    service = SparqlService(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.pool.start()
        app.state.sparql = service
        watcher = asyncio.create_task(service.watch_remote()) if service.remote else None
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
            await service.pool.close()

    router = APIRouter(tags=["sparql"], lifespan=lifespan)

    @router.get("/sparql", summary="SPARQL query (GET), service description or query page")
    async def sparql_get(request: Request) -> Response:
        return await service.handle(request)

    @router.post("/sparql", summary="SPARQL query (POST form or application/sparql-query)")
    async def sparql_post(request: Request) -> Response:
        return await service.handle(request)

    @router.options("/sparql", include_in_schema=False)
    async def sparql_preflight(request: Request) -> Response:
        return service.preflight(request)

    @router.get("/static/{name}", name="sparql_static", include_in_schema=False)
    async def sparql_static(name: str) -> Response:
        path = STATIC_DIR / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise Problem(404, f"no static file {name!r}", kind="not-found")
        return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})

    return router
