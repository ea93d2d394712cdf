"""The ontology at /def: HTML documentation (pyLODE, made by the build, or on first request
when this server never built), Turtle, JSON-LD or
N-Triples, by content negotiation."""

from __future__ import annotations

import functools
from importlib import resources

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.resources.document import HTML, JSONLD, NTRIPLES, TURTLE, negotiated, rdf_body
from api.sparql import formats
from graph.ontology_docs import DOC_NAME, write_ontology_html
from graph.settings import Settings
from loaders.terms import load_ontology

router = APIRouter(tags=["ontology"])

# Browsers and clients that state no preference get the documentation.
ONTOLOGY_FORMATS = (HTML, TURTLE, JSONLD, NTRIPLES)


def _turtle_text() -> str:
    pkg = resources.files("ontology")
    return "\n".join((pkg / n).read_text("utf-8") for n in ("hksc.ttl", "schemes.ttl"))


@functools.cache
def _ntriples() -> bytes:
    data = ox.serialize(ox.parse(_turtle_text().encode("utf-8"), format=ox.RdfFormat.TURTLE),
                        format=ox.RdfFormat.N_QUADS)
    assert data is not None
    return data


@router.get("/def", response_model=None)
def ontology(request: Request) -> Response:
    """The ontology and its SKOS schemes: documentation for people; Turtle, JSON-LD
    (compacted with the project's context) or N-Triples for machines."""
    fmt = negotiated(request, ONTOLOGY_FORMATS)
    headers = {"Vary": "Accept", "Access-Control-Allow-Origin": "*"}
    if fmt is TURTLE:
        return Response(_turtle_text(), media_type="text/turtle; charset=utf-8", headers=headers)
    if fmt is not HTML:
        return Response(rdf_body(fmt, _ntriples()), media_type=formats.content_type(fmt),
                        headers=headers)
    settings: Settings = request.app.state.settings
    html = settings.resolved_store_dir / DOC_NAME
    if not html.exists():
        # The build writes it; an API over a remote store may never have built here.
        html.parent.mkdir(parents=True, exist_ok=True)
        write_ontology_html(load_ontology(), html.parent)
    return FileResponse(html, media_type="text/html; charset=utf-8", headers=headers)


@router.get("/def/context.jsonld", response_model=None)
def jsonld_context() -> Response:
    """The JSON-LD context of the graph's JSON-LD answers (generated from the ontology)."""
    body = (resources.files("ontology") / "context.jsonld").read_text("utf-8")
    return Response(body, media_type="application/ld+json",
                    headers={"Access-Control-Allow-Origin": "*"})


@router.get("/def/{term}", response_model=None)
def term(term: str, request: Request) -> Response:
    """A term IRI resolves to its anchor in the documentation (or the Turtle)."""
    fmt = negotiated(request, ONTOLOGY_FORMATS)
    suffix = f"#{term}" if fmt is HTML else f"?format={fmt.name}"
    return RedirectResponse(f"/def{suffix}", status_code=303)
