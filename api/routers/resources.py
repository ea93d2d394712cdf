"""Linked-data resources at /id/{kind}/{slug}: Turtle, JSON-LD, N-Triples, RDF/XML or a page.

The canonical IRI ``<base>id/...`` is answered on this server's own host at the same path
(see ``docs/decisions/0003-identifiers.md``). The description is gathered by one fixed
query (``api.resources.description``) that runs in the SPARQL worker pool: the same hard
time limit, the same per-build result cache, and a rebuilt store is picked up without a
restart.
"""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from rdflib import Graph

from api.problems import Problem
from api.resources.description import build_view, describe_query, iri_is_safe
from api.routers.sparql import CORS_HEADERS, TRUNCATED_HEADER, SparqlService, etag_matches
from api.sparql import formats
from api.sparql.negotiation import NotAcceptableError, negotiate
from api.sparql.workers import Job
from graph.namespaces import PREFIXES
from graph.settings import Settings

router = APIRouter(tags=["resources"])

HTML = formats.Format("html", "text/html", "graph", "html", ("application/xhtml+xml",))
_BY_NAME = {f.name: f for f in formats.GRAPH_FORMATS}
# Server preference: Turtle for a client that states none; browsers ask for HTML.
RESOURCE_FORMATS: tuple[formats.Format, ...] = (
    _BY_NAME["turtle"], HTML, _BY_NAME["jsonld"], _BY_NAME["ntriples"], _BY_NAME["rdfxml"],
)
_OX_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "rdfxml": ox.RdfFormat.RDF_XML}


def _service(request: Request) -> SparqlService:
    service = getattr(request.app.state, "sparql", None)
    if not isinstance(service, SparqlService):
        raise Problem(503, "the query workers are not running", kind="service-unavailable")
    return service


def _alternates(path: str, current: formats.Format) -> str:
    """``Link`` header naming the other representations (RFC 8288)."""
    return ", ".join(f'<{path}?format={f.name}>; rel="alternate"; type="{f.media_type}"'
                     for f in RESOURCE_FORMATS if f is not current)


def _render(fmt: formats.Format, ntriples: bytes, iri: str, base: str,
            service: SparqlService) -> bytes:
    if fmt.name == "ntriples":
        return ntriples
    if fmt.name in _OX_FORMATS:
        triples = [q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
        data = ox.serialize(triples, format=_OX_FORMATS[fmt.name], prefixes=PREFIXES)
        assert data is not None
        return data
    graph = Graph()
    graph.parse(data=ntriples.decode("utf-8"), format="nt")
    if fmt.name == "jsonld":
        # Compacted with the project's prefixes as the context, so apps read short keys.
        text = graph.serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True)
        return text.encode("utf-8")
    view = build_view(graph, iri, base)
    page = service.render_page("resource.html", view=view,
                               formats=[f for f in RESOURCE_FORMATS if f is not HTML])
    return page.encode("utf-8")


@router.api_route("/id/{path:path}", methods=["GET", "HEAD"], response_model=None,
                  summary="A thing of the graph, by content negotiation")
async def resource(path: str, request: Request) -> Response:
    """Everything the graph says about ``<base>id/{path}``: its statements, the links to it,
    the claims about it with their evidence, and the labels of what it links to."""
    settings: Settings = request.app.state.settings
    base = settings.base_iri
    iri = f"{base}id/{path}"
    if not path or not iri_is_safe(iri):
        raise Problem(404, f"no resource at /id/{path}", kind="not-found")
    try:
        fmt = negotiate(RESOURCE_FORMATS, request.headers.get("accept"),
                        request.query_params.getlist("format"))
    except NotAcceptableError as exc:
        raise Problem(406, f"{exc}; offered: {', '.join(exc.offered)}",
                      kind="not-acceptable", offered=exc.offered) from None
    service = _service(request)
    job = Job(describe_query(iri), None, "ntriples", settings.max_results)
    build = service.current_build()
    headers: dict[str, str] = {**CORS_HEADERS, "Vary": "Accept",
                               "Link": _alternates(request.url.path, fmt)}
    if build is not None:
        digest = hashlib.sha256(repr((build, job, fmt.name)).encode()).hexdigest()[:32]
        headers["ETag"] = f'W/"{digest}"'
        headers["Cache-Control"] = "no-cache"
        if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
            return Response(status_code=304, headers=headers)
    outcome, _cached = await service.run_cached(job, settings.query_timeout_s, build)
    if not outcome.body.strip():
        raise Problem(404, f"the graph says nothing about <{iri}>", kind="not-found", iri=iri)
    if outcome.truncated:
        headers[TRUNCATED_HEADER] = "true"
    body = _render(fmt, outcome.body, iri, base, service)
    media_type = "text/html; charset=utf-8" if fmt is HTML else formats.content_type(fmt)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(None, media_type=media_type, headers=headers)
    return Response(body, media_type=media_type, headers=headers)

