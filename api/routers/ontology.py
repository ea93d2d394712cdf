"""The ontology at /def, its JSON-LD context and the SHACL shapes of the gate.

- ``/def``: the published build's named graph ``id:graph/ontology`` (the ontology and its
  SKOS schemes), read with one CONSTRUCT in the SPARQL workers through ``respond()``, like
  ``/id/...``: a page for browsers and clients that state no preference (pyLODE's, made by
  the build, or here from the same graph), Turtle, JSON-LD, N-Triples or RDF/XML; every
  format says what the dump's ``id:graph/ontology`` says, with a per-build ETag (304),
  HEAD, CORS, ``Vary: Accept`` and a ``Link`` to the other formats.
- ``/def/{term}``: a term of the ontology (an IRI under ``<base>def/`` that graph
  describes) is a 303 to its anchor on the page (``/def#PublicBody``) or, asking for data,
  to ``/def?format=...``; any other name is a 404 problem.
- ``/def/context.jsonld``: the JSON-LD context the API's JSON-LD answers are compacted
  with (``ontology/context.jsonld``, generated from the ontology): served as the package
  holds it, since that file is what every JSON-LD answer inlines.
- ``/def/shapes``: the SHACL shapes the gate checked the served build against (the copy
  of ``shapes/shapes.ttl`` the build keeps, ``graph.gate.shapes_of_build``), whose IRIs
  the validation report names as ``sh:sourceShape``; ``/def/shapes/{name}`` is a 303 to
  the shape on the page or to the data, a 404 for any other name.

Every path answers HEAD and the CORS preflight (OPTIONS).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from api.problems import Problem, shown
from api.resources.document import (
    HTML,
    JSONLD,
    JSONLD_EXPANDED,
    NTRIPLES,
    RDFXML,
    TURTLE,
    as_graph,
    chosen_format,
    context_text,
    document_headers,
    document_response,
    negotiated,
    preflight,
    rdf_body,
    respond,
    served_shapes,
    sparql_service,
)
from api.routers.sparql import CORS_HEADERS, etag_matches
from api.sparql import formats
from api.sparql.workers import Job
from graph.namespaces import GRAPH_ONTOLOGY, WRITE_PREFIXES
from graph.ontology_docs import DOC_NAME, SHAPES, TERM_NAME, page_for, shape_names, shapes_html
from graph.settings import Settings

router = APIRouter(tags=["ontology"])

# Browsers and clients that state no preference get the documentation.
ONTOLOGY_FORMATS: tuple[formats.Format, ...] = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML,
                                                JSONLD_EXPANDED)
SHAPES_FORMATS = ONTOLOGY_FORMATS
CONTEXT = formats.Format("jsonld", "application/ld+json", "graph", "jsonld")
ONTOLOGY_QUERY = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{GRAPH_ONTOLOGY}> {{ ?s ?p ?o }} }}"
NO_LIMIT = 1 << 40  # the whole graph: its size is bounded by the build, not by a setting
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_OWL_ONTOLOGY = ox.NamedNode("http://www.w3.org/2002/07/owl#Ontology")


def readable_turtle(ntriples: bytes) -> bytes:
    """Turtle grouped by subject (the ontology's header first, each subject's type first),
    so a person can read it; ``rdf_body`` keeps the answer's order."""
    triples = [q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
    headers = {t.subject for t in triples if t.predicate == _RDF_TYPE and t.object == _OWL_ONTOLOGY}
    triples.sort(key=lambda t: (t.subject not in headers, str(t.subject), t.predicate != _RDF_TYPE,
                                str(t.predicate), str(t.object)))
    data = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=WRITE_PREFIXES)
    assert data is not None
    return data


# -- /def ------------------------------------------------------------------------------


@router.get("/def", response_model=None, summary="The ontology and its SKOS schemes")
@router.head("/def", response_model=None, include_in_schema=False)  # same answer, no body
async def ontology(request: Request) -> Response:
    """The ontology and its SKOS schemes, as the published build holds them: documentation
    for people; Turtle, JSON-LD (compacted with the project's context), N-Triples or RDF/XML
    for machines."""
    settings: Settings = request.app.state.settings
    prebuilt = settings.resolved_store_dir / DOC_NAME

    def render(fmt: formats.Format, ntriples: bytes) -> bytes:
        if fmt is HTML:
            # The build's page when it documents this very graph; else made here (a remote
            # store, a page not yet rewritten after a new build).
            return page_for(as_graph(ntriples), prebuilt).encode("utf-8")
        if fmt is TURTLE:
            return readable_turtle(ntriples)
        return rdf_body(fmt, ntriples)

    job = Job(ONTOLOGY_QUERY, None, "ntriples", NO_LIMIT)
    return await respond(request, job, ONTOLOGY_FORMATS, render,
                         Problem(404, "the published build holds no ontology graph "
                                      f"<{GRAPH_ONTOLOGY}>; run `hkkg build`", kind="not-found"))


@router.options("/def", include_in_schema=False)
@router.options("/def/", include_in_schema=False)
@router.options("/def/context.jsonld", include_in_schema=False)
@router.options("/def/shapes", include_in_schema=False)
@router.options("/def/shapes/{name}", include_in_schema=False)
@router.options("/def/{term}", include_in_schema=False)
async def options(request: Request) -> Response:
    return preflight(request)


# -- files of the package: the JSON-LD context and the shapes ---------------------------


@dataclass(frozen=True)
class _Package:
    """A file of the package and its version (a hash of its text)."""

    text: str
    version: str


@functools.lru_cache(maxsize=4)
def _versioned(text: str) -> _Package:
    return _Package(text, hashlib.sha256(text.encode("utf-8")).hexdigest())


async def _file_response(request: Request, offered: tuple[formats.Format, ...], version: str,
                         body: Callable[[formats.Format], bytes]) -> Response:
    """A document made from a file of the package, answered like ``respond()`` answers:
    negotiated, ETag (the file's version and the format) with 304, HEAD, CORS, ``Link``."""
    fmt = chosen_format(request, offered)
    headers = {**document_headers(request, fmt, offered), "Cache-Control": "no-cache"}
    digest = hashlib.sha256(f"{version} {fmt.name}".encode()).hexdigest()[:32]
    headers["ETag"] = f'W/"{digest}"'
    if etag_matches(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return document_response(request, fmt, await asyncio.to_thread(body, fmt), headers)


@router.get("/def/context.jsonld", response_model=None, summary="The JSON-LD context")
@router.head("/def/context.jsonld", response_model=None, include_in_schema=False)
async def jsonld_context(request: Request) -> Response:
    """The JSON-LD context of the graph's JSON-LD answers (generated from the ontology)."""
    context = _versioned(context_text())
    return await _file_response(request, (CONTEXT,), context.version,
                                lambda _fmt: context.text.encode("utf-8"))


@dataclass(frozen=True)
class _Shapes:
    turtle: str
    ntriples: bytes
    names: frozenset[str]


@functools.lru_cache(maxsize=2)
def _shapes(text: str) -> _Shapes:
    graph = ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    ntriples = ox.serialize(graph, format=ox.RdfFormat.N_TRIPLES)
    assert ntriples is not None
    return _Shapes(text, ntriples, frozenset(shape_names(as_graph(ntriples)).values()))


@functools.lru_cache(maxsize=8)
def _shapes_body(text: str, fmt: formats.Format, links: tuple[tuple[str, str], ...]) -> bytes:
    shapes = _shapes(text)
    if fmt is HTML:
        return shapes_html(as_graph(shapes.ntriples), links).encode("utf-8")
    if fmt is TURTLE:  # the file itself, with its comments
        return shapes.turtle.encode("utf-8")
    return rdf_body(fmt, shapes.ntriples)


@router.get("/def/shapes", response_model=None, summary="The SHACL shapes of the gate")
@router.head("/def/shapes", response_model=None, include_in_schema=False)
async def shapes(request: Request) -> Response:
    """The shapes every build is checked against: a page listing each with its checks and
    messages, or the shapes graph in Turtle, JSON-LD, N-Triples or RDF/XML."""
    served = _versioned(served_shapes(request))
    links = tuple((f.media_type, f"/def/shapes?format={f.name}") for f in SHAPES_FORMATS if f is not HTML)
    return await _file_response(request, SHAPES_FORMATS, served.version,
                                lambda fmt: _shapes_body(served.text, fmt, links))


# -- term IRIs -------------------------------------------------------------------------


MAX_NAME = 200  # no term or shape name comes near; a longer one is not looked up


def _see_other(request: Request, page: str, offered: tuple[formats.Format, ...],
               anchor: str = "") -> Response:
    """A 303 to ``page`` (at ``#anchor``) for a browser, or to ``page?format=...`` in the
    format asked for: readable from any origin, and cached by ``Accept``."""
    fmt = negotiated(request, offered)
    location = (page + (f"#{anchor}" if anchor else "")) if fmt is HTML else f"{page}?format={fmt.name}"
    return Response(status_code=303, headers={**CORS_HEADERS, "Vary": "Accept",
                                              "Location": location})


@router.get("/def/shapes/{name}", response_model=None, summary="A shape of the gate")
@router.head("/def/shapes/{name}", response_model=None, include_in_schema=False)
async def shape(name: str, request: Request) -> Response:
    """A shape's IRI (``sh:sourceShape`` of a validation result) resolves to its place on
    the shapes' page, or to the shapes graph in the format asked for."""
    if name not in _shapes(served_shapes(request)).names:
        raise Problem(404, f"<{shown(SHAPES + name, MAX_NAME + 100)}> is not a shape of the gate",
                      kind="not-found")
    return _see_other(request, "/def/shapes", SHAPES_FORMATS, name)


async def _described(request: Request, iri: str) -> bool:
    """Whether the published build's ontology graph says anything about ``iri``."""
    settings: Settings = request.app.state.settings
    service = sparql_service(request)
    job = Job(f"ASK {{ GRAPH <{GRAPH_ONTOLOGY}> {{ <{iri}> ?p ?o }} }}", "json", None, 1)
    outcome, _cached = await service.run_cached(job, settings.query_timeout_s,
                                                service.current_build())
    return bool(json.loads(outcome.body)["boolean"])


@router.get("/def/", response_model=None, include_in_schema=False)
@router.head("/def/", response_model=None, include_in_schema=False)
async def namespace(request: Request) -> Response:
    """The namespace IRI (``.../def/``, the dataset's ``void:vocabulary``) names the
    vocabulary: a 303 to its document in the format asked for, readable from any origin.
    Starlette's own slash redirect was a 307 without CORS, which a browser app's fetch
    cannot follow."""
    return _see_other(request, "/def", ONTOLOGY_FORMATS)


@router.get("/def/{term}", response_model=None, summary="A term of the ontology")
@router.head("/def/{term}", response_model=None, include_in_schema=False)
async def term(term: str, request: Request) -> Response:
    """A term IRI resolves to its anchor on the documentation page (which is the term's
    local name), or to the ontology in the format asked for."""
    settings: Settings = request.app.state.settings
    iri = f"{settings.base_iri}def/{term}"
    if not TERM_NAME.fullmatch(term) or len(term) > MAX_NAME or not await _described(request, iri):
        raise Problem(404, f"<{shown(iri, MAX_NAME + 100)}> is not a term of the ontology", kind="not-found")
    return _see_other(request, "/def", ONTOLOGY_FORMATS, term)
