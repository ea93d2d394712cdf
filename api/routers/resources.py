"""Linked-data resources at /id/{kind}/{slug}: Turtle, JSON-LD, N-Triples, RDF/XML or a page.

The canonical IRI ``<base>id/...`` is answered on this server's own host at the same path
(``docs/decisions/0003-identifiers.md``); what the answer holds and why it is computed in
the SPARQL workers is in ``docs/decisions/0005-resource-descriptions.md``.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from api.problems import Problem, shown
from api.resources.description import (
    build_index,
    build_view,
    describe_query,
    index_query,
    iri_is_safe,
)
from api.resources.document import (
    HTML,
    JSON,
    JSONLD,
    JSONLD_EXPANDED,
    NTRIPLES,
    RDFXML,
    TURTLE,
    as_graph,
    known_kinds,
    preflight,
    rdf_body,
    respond,
)
from api.routers.sparql import CORS_HEADERS, SparqlService
from api.sparql import formats
from graph.settings import Settings

router = APIRouter(tags=["resources"])

# No IRI of the graph comes near this; a longer path would only cost a query for a 404.
MAX_PATH = 1000

# Server preference: Turtle for a client that states none; browsers ask for HTML.
RESOURCE_FORMATS: tuple[formats.Format, ...] = (TURTLE, HTML, JSONLD, NTRIPLES, RDFXML, JSONLD_EXPANDED)


@router.get("/id/{path:path}", response_model=None, summary="A thing of the graph, by content negotiation")
@router.head("/id/{path:path}", response_model=None, include_in_schema=False)  # same answer, no body
async def resource(path: str, request: Request) -> Response:
    """Everything the graph says about ``<base>id/{path}``: its statements, the links to it,
    the claims about it with their evidence, and the labels of what it links to."""
    settings: Settings = request.app.state.settings
    base = settings.base_iri
    iri = f"{base}id/{path}"
    if len(path) > MAX_PATH or not iri_is_safe(iri):
        raise Problem(404, f"no resource at /id/{shown(path)}", kind="not-found")
    if not path or path.endswith("/"):
        return await _index(request, path, iri, base)

    def render(fmt: formats.Format, ntriples: bytes) -> bytes:
        if fmt is not HTML:
            return rdf_body(fmt, ntriples)
        service: SparqlService = request.app.state.sparql
        view = build_view(as_graph(ntriples), iri, base)
        return service.render_page("resource.html", view=view, formats=[
            f for f in RESOURCE_FORMATS if f is not HTML]).encode("utf-8")

    try:
        return await respond(request, describe_query(iri), RESOURCE_FORMATS, render,
                             Problem(404, f"the graph says nothing about <{iri}>", kind="not-found",
                                     iri=iri))
    except Problem as exc:
        # /id/platform is no thing (unlike /id/smart-area, a concept scheme); the listing of
        # platforms is /id/platform/.
        if exc.status == 404 and "/" not in path and path in await known_kinds(request, base):
            # 302, not 301: a later build may describe this IRI after all.
            return RedirectResponse(f"/id/{path}/", status_code=302,
                                    headers={**CORS_HEADERS, "Cache-Control": "no-cache"})
        raise


@router.options("/id/{path:path}", include_in_schema=False)
async def options(request: Request) -> Response:
    return preflight(request)


# Listings are read by programs as often as by people: JSON is offered besides RDF.
INDEX_FORMATS: tuple[formats.Format, ...] = (TURTLE, HTML, JSON, JSONLD, NTRIPLES, JSONLD_EXPANDED)


async def _index(request: Request, path: str, prefix: str, base: str) -> Response:
    """``/id/`` lists every labelled thing by kind; ``/id/{kind}/`` the things of one kind."""

    def render(fmt: formats.Format, ntriples: bytes) -> bytes:
        if fmt not in (HTML, JSON):
            return rdf_body(fmt, ntriples)
        kinds = build_index(as_graph(ntriples), base)
        if fmt is JSON:
            return json.dumps({k: [asdict(x) for x in v] for k, v in kinds.items()},
                              indent=2, ensure_ascii=False).encode("utf-8")
        service: SparqlService = request.app.state.sparql
        return service.render_page("index.html", kinds=kinds, path=path, formats=[
            f for f in INDEX_FORMATS if f is not HTML]).encode("utf-8")

    return await respond(request, index_query(prefix), INDEX_FORMATS, render,
                         Problem(404, f"nothing with a label under /id/{path}",
                                 kind="not-found"))
