"""The published build's SHACL report at /validation, for auditors.

The report the gate made when the build was published (its named graph
``id:graph/validation``): a JSON summary with every result, a page that links each
result's focus node to its resource page (where the claim's quote and passage are), or the
report graph itself in Turtle, JSON-LD or N-Triples. ``severity=`` narrows the results of
the summary and the page; the counts are always those of the whole report.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Request, Response

from api.problems import Problem
from api.resources.description import local_path
from api.resources.document import (
    HTML,
    JSON,
    VIEW_FORMATS,
    as_graph,
    page_links,
    preflight,
    rdf_body,
    respond,
)
from api.routers.sparql import SparqlService
from api.sparql import formats
from graph.gate import SEVERITIES, GateReport
from graph.namespaces import ID
from graph.settings import Settings

router = APIRouter(tags=["validation"])

REPORT_GRAPH = ID["graph/validation"]
QUERY = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{REPORT_GRAPH}> {{ ?s ?p ?o }} }}"


_IRI = re.compile(r"https?://[^\s()<>\"]+")


def _with_links(result: dict[str, str | None], base: str) -> dict[str, Any]:
    """A result with the local paths of its focus node and of the graph's IRIs its message
    names (the other claim of a contradiction), so an auditor can open both."""
    named = [iri for iri in _IRI.findall(result["message"] or "") if iri.startswith(base)]
    return dict(result, href=local_path(result["focusNode"], base),
                see=[{"iri": iri, "href": local_path(iri, base)} for iri in dict.fromkeys(named)])


@router.get("/validation", response_model=None, summary="SHACL report of the published build")
@router.head("/validation", response_model=None, include_in_schema=False)  # same answer, no body
async def validation(request: Request) -> Response:
    """Violations (none in a published build), plausibility warnings and infos."""
    settings: Settings = request.app.state.settings
    wanted = request.query_params.getlist("severity")
    unknown = [s for s in wanted if s not in SEVERITIES]
    if unknown:
        raise Problem(400, f"severity={unknown[0]!r}: expected one of {', '.join(SEVERITIES)}",
                      kind="invalid-parameter", parameter="severity")

    def render(fmt: formats.Format, ntriples: bytes) -> bytes:
        if fmt not in (JSON, HTML):
            return rdf_body(fmt, ntriples)
        report = GateReport.from_graph(as_graph(ntriples))
        results = [_with_links(r, settings.base_iri)
                   for r in report.results() if not wanted or r["severity"] in wanted]
        if fmt is JSON:
            return json.dumps({"conforms": report.conforms, "counts": report.counts,
                               "severity": wanted or list(SEVERITIES), "results": results},
                              indent=2, ensure_ascii=False).encode("utf-8")
        service: SparqlService = request.app.state.sparql
        return service.render_page(
            "validation.html", report=report, results=results, severities=SEVERITIES,
            wanted=wanted, links=page_links(request, VIEW_FORMATS),
        ).encode("utf-8")

    return await respond(request, QUERY, VIEW_FORMATS, render,
                         Problem(404, "the published build holds no validation report; "
                                      "run `hkkg build`", kind="not-found"))


@router.options("/validation", include_in_schema=False)
async def options(request: Request) -> Response:
    return preflight(request)
