"""The ontology at /def: HTML documentation (pyLODE, made by the build) or Turtle."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.problems import Problem
from graph.ontology_docs import DOC_NAME
from graph.settings import Settings

router = APIRouter(tags=["ontology"])

TURTLE = "text/turtle"


def _wants_turtle(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    fmt = request.query_params.get("format")
    return fmt in ("ttl", "turtle") or (TURTLE in accept and "text/html" not in accept)


@router.get("/def", response_model=None)
def ontology(request: Request) -> Response:
    """The ontology and its SKOS schemes: Turtle for machines, documentation for people."""
    if _wants_turtle(request):
        pkg = resources.files("ontology")
        body = "\n".join((pkg / n).read_text("utf-8") for n in ("hksc.ttl", "schemes.ttl"))
        return Response(body, media_type=TURTLE + "; charset=utf-8", headers={"Vary": "Accept"})
    settings: Settings = request.app.state.settings
    html = settings.resolved_store_dir / DOC_NAME
    if not html.exists():
        raise Problem(503, "ontology documentation not generated yet; run `hkkg build`",
                      kind="store-not-built")
    return FileResponse(html, media_type="text/html; charset=utf-8", headers={"Vary": "Accept"})


@router.get("/def/context.jsonld", response_model=None)
def jsonld_context() -> Response:
    """The JSON-LD context of the graph's JSON-LD answers (generated from the ontology)."""
    body = (resources.files("ontology") / "context.jsonld").read_text("utf-8")
    return Response(body, media_type="application/ld+json",
                    headers={"Access-Control-Allow-Origin": "*"})


@router.get("/def/{term}", response_model=None)
def term(term: str, request: Request) -> Response:
    """A term IRI resolves to its anchor in the documentation (or the Turtle)."""
    suffix = "?format=ttl" if _wants_turtle(request) else f"#{term}"
    return RedirectResponse(f"/def{suffix}", status_code=303)
