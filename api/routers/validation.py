"""The published build's SHACL report at /validation, for auditors.

The report the gate made when the build was published (its named graph
``id:graph/validation``): a JSON summary with every result, a page that links each
result's focus node to its resource page, or the report graph itself in Turtle, JSON-LD or
N-Triples. For a claim (the focus node, or the other claim of a disagreement, sh:value)
the summary and the page give its document, passage and lines, quote and note, so an
auditor can check it against the source without another request.

``severity=``, ``shape=`` (a shape's local name or IRI) and ``focus=`` (an IRI or a local
path ``/id/...``) narrow the results in every format; each may repeat (any of its values),
and the filters combine (all of them). The counts are always those of the whole report.
Any other parameter but ``format=``, or a value none of these take, is a 400.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from api.problems import Problem
from api.resources.description import local_path
from api.resources.document import (
    HTML,
    JSON,
    VIEW_FORMATS,
    as_graph,
    chosen_format,
    page_links,
    preflight,
    rdf_body,
    respond,
    served_shapes,
)
from api.routers.sparql import SparqlService
from api.sparql import formats
from graph.gate import SEVERITIES, GateReport, load_shapes, severity_name, source_spot
from graph.namespaces import HKSC, ID, OA, SH
from graph.ontology_docs import SHAPES
from graph.settings import Settings
from loaders.text import readable

router = APIRouter(tags=["validation"])

REPORT_GRAPH = ID["graph/validation"]
PARAMETERS = ("severity", "shape", "focus", "format")
QUERY = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{REPORT_GRAPH}> {{ ?s ?p ?o }} }}"
# The report and, for each claim or passage it names (focus node or value), where it is
# in the sources: the document, the passage and its lines, the quote and the note.
DETAILED_QUERY = f"""PREFIX sh: <http://www.w3.org/ns/shacl#>
PREFIX hksc: <{HKSC}>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX dct: <http://purl.org/dc/terms/>
CONSTRUCT {{
  ?s ?p ?o .
  ?c hksc:statedIn ?doc ; prov:wasDerivedFrom ?passage ; hksc:note ?note ; oa:exact ?quote .
  ?passage dct:isPartOf ?doc ; hksc:passageKey ?key ; hksc:lineStart ?start ; hksc:lineEnd ?end .
  ?doc hksc:sourceFile ?file .
}} WHERE {{
  {{ GRAPH <{REPORT_GRAPH}> {{ ?s ?p ?o }} }}
  UNION
  {{ {{ SELECT DISTINCT ?c WHERE {{ GRAPH <{REPORT_GRAPH}> {{
         ?r sh:focusNode|sh:value ?c FILTER isIRI(?c) }} }} }}
     {{ ?c prov:wasDerivedFrom ?passage ; hksc:statedIn ?doc .
        OPTIONAL {{ ?c hksc:note ?note }}
        OPTIONAL {{ ?c hksc:evidence/oa:hasSelector/oa:exact ?quote }} }}
     UNION
     {{ ?c a hksc:Passage ; dct:isPartOf ?doc . BIND (?c AS ?passage) }}
     ?passage hksc:passageKey ?key ; hksc:lineStart ?start ; hksc:lineEnd ?end .
     OPTIONAL {{ ?doc hksc:sourceFile ?file }}
  }}
}}"""


_IRI = re.compile(r"https?://[^\s()<>\"]+")


@functools.lru_cache(maxsize=4)
def shape_iris(text: str) -> frozenset[str]:
    """The IRI of every named shape (node shapes and property shapes) of the shapes
    ``text``: those the served build was checked against."""
    shapes = load_shapes(text)
    return frozenset(str(s) for kind in (SH.NodeShape, SH.PropertyShape)
                     for s in shapes.subjects(RDF.type, kind) if isinstance(s, URIRef))


@dataclass(frozen=True)
class Filters:
    """What ``severity=``, ``shape=`` and ``focus=`` ask for (empty: no filter)."""

    severities: tuple[str, ...] = ()
    shapes: tuple[str, ...] = ()
    focus: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.severities or self.shapes or self.focus)

    def keep(self, severity: str | None, shape: str | None, focus: str | None) -> bool:
        return ((not self.severities or severity in self.severities)
                and (not self.shapes or shape in self.shapes)
                and (not self.focus or focus in self.focus))


def _invalid(parameter: str, detail: str) -> Problem:
    return Problem(400, detail, kind="invalid-parameter", parameter=parameter)


def filters(request: Request, base: str) -> Filters:
    """The request's filters; a 400 naming the parameter for anything else."""
    params = request.query_params
    unknown = [k for k in dict.fromkeys(params.keys()) if k not in PARAMETERS]
    if unknown:
        raise _invalid(unknown[0], f"unknown parameter {unknown[0][:100]!r}: expected "
                                   f"{', '.join(p + '=' for p in PARAMETERS)}")
    wanted = params.getlist("severity")
    bad = [s for s in wanted if s not in SEVERITIES]
    if bad:
        raise _invalid("severity", f"severity={bad[0][:100]!r}: expected one of {', '.join(SEVERITIES)}")
    shapes = []
    names = params.getlist("shape")
    known = shape_iris(served_shapes(request)) if names else frozenset()
    for name in names:
        iri = name if name.startswith(("http://", "https://")) else SHAPES + name.removeprefix("hkss:")
        if iri not in known:
            raise _invalid("shape", f"shape={name[:200]!r} is not a shape of the gate "
                                    f"(a local name such as 'UncertainReported', or an IRI under {SHAPES})")
        shapes.append(iri)
    focus = []
    for node in params.getlist("focus"):
        if node.startswith("/"):
            focus.append(base + node[1:])
        elif node.startswith(("http://", "https://")):
            focus.append(node)
        else:
            raise _invalid("focus", f"focus={node[:200]!r}: expected an IRI or a local path such as "
                                    "/id/claim/...")
    return Filters(tuple(wanted), tuple(shapes), tuple(focus))


def select(report: Graph, keep: Callable[[Node], bool]) -> Graph:
    """The report with only the results ``keep`` accepts: the report node, those results
    and the blank nodes they use (a path list, a nested result)."""
    out = Graph()
    results = set(report.subjects(RDF.type, SH.ValidationResult))
    queue: list[Node] = [*report.subjects(RDF.type, SH.ValidationReport),
                         *(r for r in results if keep(r))]
    seen = set(queue)
    while queue:
        node = queue.pop()
        for _s, p, o in report.triples((node, None, None)):
            if p == SH.result and o in results and not keep(o):
                continue
            out.add((node, p, o))
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                queue.append(o)
    return out


def _result_filter(report: Graph, wanted: Filters) -> Callable[[Node], bool]:
    def keep(r: Node) -> bool:
        severity, shape, focus = (report.value(r, p) for p in
                                  (SH.resultSeverity, SH.sourceShape, SH.focusNode))
        return wanted.keep(severity_name(severity),
                           None if shape is None else str(shape), None if focus is None else str(focus))
    return keep


def source_of(graph: Graph, iri: str | None, base: str) -> dict[str, Any] | None:
    """Where a claim (or a passage) of the report is in the sources, from the details the
    detailed query adds: document, passage, lines, file, quote and note."""
    if iri is None or not iri.startswith(("http://", "https://")):
        return None
    node = URIRef(iri)
    spot = source_spot(graph, node)
    if spot is None:
        return None
    quote, note = graph.value(node, OA.exact), graph.value(node, HKSC.note)
    doc = None if spot.document is None else str(spot.document)
    return {
        "document": doc,
        "documentHref": local_path(doc, base),
        "passage": str(spot.passage),
        "passageHref": local_path(str(spot.passage), base),
        "passageKey": str(graph.value(spot.passage, HKSC.passageKey) or ""),
        "file": None if spot.file is None else f"data/sources/{spot.file}",
        "lineStart": spot.line_start,
        "lineEnd": spot.line_end,
        "quote": None if quote is None else str(quote),  # oa:exact: the passage's own text
        "quoteText": None if quote is None else readable(str(quote)),  # as a reader sees it
        "note": None if note is None else str(note),
    }


def _with_links(result: dict[str, str | None], graph: Graph, base: str) -> dict[str, Any]:
    """A result with the local paths of its focus node, of its value and of the graph's IRIs
    its message names (the other claim of a disagreement), so an auditor can open both, and
    where the focus node and the value are in the sources."""
    named = [iri for iri in _IRI.findall(result["message"] or "") if iri.startswith(base)]
    value = result["value"]
    if value is not None and value.startswith(base) and value != result["focusNode"]:
        named.insert(0, value)
    shape = result["shape"]
    return dict(result, href=local_path(result["focusNode"], base),
                shapeName=None if shape is None else re.split(r"[/#]", shape)[-1],
                shapeHref=local_path(shape, base),
                see=[{"iri": iri, "href": local_path(iri, base)} for iri in dict.fromkeys(named)],
                source=source_of(graph, result["focusNode"], base),
                valueSource=(source_of(graph, value, base) if value != result["focusNode"] else None))


@router.get("/validation", response_model=None, summary="SHACL report of the published build")
@router.head("/validation", response_model=None, include_in_schema=False)  # same answer, no body
async def validation(request: Request) -> Response:
    """Violations (none in a published build), plausibility warnings and infos."""
    settings: Settings = request.app.state.settings
    wanted = filters(request, settings.base_iri)
    fmt = chosen_format(request, VIEW_FORMATS)

    def render(fmt: formats.Format, ntriples: bytes) -> bytes:
        if fmt not in (JSON, HTML):
            if not wanted:
                return rdf_body(fmt, ntriples)
            graph = as_graph(ntriples)
            narrowed = select(graph, _result_filter(graph, wanted))
            return rdf_body(fmt, narrowed.serialize(format="nt", encoding="utf-8"))
        graph = as_graph(ntriples)
        report = GateReport.from_graph(graph)
        results = [_with_links(r, graph, settings.base_iri) for r in report.results()
                   if wanted.keep(r["severity"], r["shape"], r["focusNode"])]
        if fmt is JSON:
            return json.dumps({"conforms": report.conforms, "counts": report.counts,
                               "severity": list(wanted.severities or SEVERITIES),
                               "shape": list(wanted.shapes), "focus": list(wanted.focus),
                               "matched": len(results), "results": results},
                              indent=2, ensure_ascii=False).encode("utf-8")
        service: SparqlService = request.app.state.sparql
        return service.render_page(
            "validation.html", report=report, results=results, severities=SEVERITIES,
            wanted=wanted.severities, filtered=bool(wanted),
            links=page_links(request, VIEW_FORMATS, PARAMETERS),
        ).encode("utf-8")

    return await respond(request, DETAILED_QUERY if fmt in (JSON, HTML) else QUERY, VIEW_FORMATS,
                         render, Problem(404, "the published build holds no validation report; "
                                              "run `hkkg build`", kind="not-found"), keep=PARAMETERS)


@router.options("/validation", include_in_schema=False)
async def options(request: Request) -> Response:
    return preflight(request)
