"""The SHACL gate: validate the assembled graph and summarise by severity.

A violation's message ends with where to fix it: the record's ``file:line`` when the
records loader's locations are given, and the source line its quote comes from. pySHACL
parses each SPARQL constraint once per focus node; the gate hands it a graph that parses
each query text once (most of the gate's time otherwise).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from graph.errors import BuildError, InputProblem
from graph.namespaces import HKSC, SH
from graph.store import kept_file

SEVERITIES = ("Violation", "Warning", "Info")


def severity_name(severity: object) -> str | None:
    """``sh:Warning`` (the IRI, or its text) as ``"Warning"``; None for no severity."""
    return None if severity is None else str(severity).rsplit("#", 1)[-1]


SHAPES_FILE = "shapes.ttl"


def shapes_text() -> str:
    """The shapes of this code (``shapes/shapes.ttl`` of the package)."""
    return (resources.files("shapes") / SHAPES_FILE).read_text("utf-8")


def load_shapes(text: str | None = None) -> Graph:
    """The shapes graph of ``text`` (default: the package's file)."""
    g = Graph()
    g.parse(data=shapes_text() if text is None else text, format="turtle")
    return g


def shapes_of_build(store_dir: Path, build: str | None) -> str:
    """The shapes ``build`` was checked against: the copy the build keeps beside the store
    (``graph.store.kept_file``). A server keeps serving a build after the shapes file
    changes (an edit, a pull, then ``hkkg build`` elsewhere), so the file of the working
    tree may not be the one that made the build's report. The package's file for a build
    without a copy (a remote store's, or one made before builds kept it). A read error
    other than a missing file is raised, not answered with other shapes, and not cached."""
    if build is not None:
        try:
            return _kept_shapes(store_dir, build)
        except FileNotFoundError:
            pass
    return _package_shapes()


@functools.lru_cache(maxsize=8)
def _kept_shapes(store_dir: Path, build: str) -> str:
    return kept_file(store_dir, build, SHAPES_FILE).read_text("utf-8")  # never changes


@functools.cache
def _package_shapes() -> str:
    """The package's shapes for a server, read once per process (a build reads the file
    anew: ``shapes_text``)."""
    return shapes_text()


@dataclass
class GateReport:
    """A SHACL report with counts; the build publishes only when ``violations == 0``."""

    graph: Graph
    text: str
    counts: dict[str, int]
    # The shapes file's text the report was made with (empty for a report read back).
    shapes: str = ""

    @classmethod
    def from_graph(cls, graph: Graph, text: str = "") -> GateReport:
        """A report read from its graph (as ``run_gate`` makes it or the build publishes it)."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for sev in graph.objects(None, SH.resultSeverity):
            counts[severity_name(sev) or "Info"] += 1
        return cls(graph, text, counts)

    @property
    def conforms(self) -> bool:
        return self.counts["Violation"] == 0

    def results(self) -> list[dict[str, str | None]]:
        out = []
        for r in self.graph.subjects(RDF.type, SH.ValidationResult):
            def val(p: URIRef, r: Node = r) -> str | None:
                v = self.graph.value(r, p)
                return None if v is None else str(v)
            out.append({
                "severity": severity_name(self.graph.value(r, SH.resultSeverity)),
                "focusNode": val(SH.focusNode),
                "path": val(SH.resultPath),
                "value": val(SH.value),
                "message": val(SH.resultMessage),
                "shape": val(SH.sourceShape),
            })
        return sorted(out, key=lambda r: (SEVERITIES.index(r["severity"] or "Info"),
                                          r["focusNode"] or "", r["message"] or ""))

    def to_json(self) -> str:
        return json.dumps({"conforms": self.conforms, "counts": self.counts,
                           "results": self.results()}, indent=2, ensure_ascii=False)


@functools.lru_cache(maxsize=128)
def _prepared(text: str) -> Query:
    return prepareQuery(text)


class _PreparedQueries(Graph):
    """A graph whose SPARQL texts are parsed once: pySHACL runs each SPARQL constraint's
    same text for every focus node, and parsing costs more than answering."""

    def query(self, query_object: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query_object, str):
            query_object = _prepared(query_object)
        return super().query(query_object, *args, **kwargs)


def run_gate(data: Graph, locations: Mapping[str, str] | None = None) -> GateReport:
    """Validate ``data`` (which includes the ontology, for subclass targets).

    ``locations`` (IRI -> record ``file:line``, as the records loader found them): each
    violation names the record of its focus node."""
    graph = _PreparedQueries()
    graph += data
    shapes = shapes_text()  # read once: the build keeps the very text that made its report
    _conforms, report_graph, text = validate(
        graph,
        shacl_graph=load_shapes(shapes),
        ont_graph=None,
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        meta_shacl=False,
        advanced=True,
        inplace=True,  # ``graph`` is the gate's own copy
        js=False,
        debug=False,
    )
    if not isinstance(report_graph, Graph):
        # pyshacl returns a ValidationFailure (not a report) when a shape itself is
        # invalid, e.g. a SPARQL constraint using VALUES: that is a bug in the shapes file.
        raise BuildError(InputProblem("shapes/shapes.ttl", None,
                                      f"the shapes cannot be applied: {text}"))
    _locate_violations(report_graph, data, locations or {})
    report = GateReport.from_graph(report_graph, str(text))
    report.shapes = shapes
    return report


# --------------------------------------------------------------------------- locations


@dataclass(frozen=True)
class SourceSpot:
    """Where a claim (or a passage) is in the sources: its passage, document, the source
    file's name (under ``sources/``) and the passage's first and last line."""

    passage: Node
    document: Node | None
    file: str | None
    line_start: int | None
    line_end: int | None


def source_spot(data: Graph, node: Node) -> SourceSpot | None:
    """The passage ``node`` is derived from (a passage is its own), or None."""
    passage = data.value(node, PROV.wasDerivedFrom)
    if passage is None and (node, HKSC.lineStart, None) in data:
        passage = node
    if passage is None:
        return None
    # The passage's document first: the file and the lines must come from one document.
    doc = data.value(passage, DCTERMS.isPartOf) or data.value(node, HKSC.statedIn)
    file = data.value(doc, HKSC.sourceFile) if doc is not None else None
    start, end = data.value(passage, HKSC.lineStart), data.value(passage, HKSC.lineEnd)
    return SourceSpot(passage, doc, None if file is None else str(file),
                      None if start is None else int(str(start)),
                      None if end is None else int(str(end)))


def source_location(data: Graph, node: Node) -> str | None:
    """``sources/<file>:<line>`` of the passage a claim (or a passage) comes from."""
    spot = source_spot(data, node)
    if spot is None or spot.file is None or spot.line_start is None:
        return None
    return f"sources/{spot.file}:{spot.line_start}"


def _locate_violations(report: Graph, data: Graph, records: Mapping[str, str]) -> None:
    """Append where to look to each violation's message: the record, the source line."""
    for r in report.subjects(SH.resultSeverity, SH.Violation):
        focus = report.value(r, SH.focusNode)
        if focus is None:
            continue
        parts = [f"at {records[str(focus)]}"] if str(focus) in records else []
        source = source_location(data, focus)
        if source is not None:
            parts.append(f"quote from {source}")
        if not parts:
            continue
        suffix = f" ({'; '.join(parts)})"
        for message in list(report.objects(r, SH.resultMessage)):
            report.remove((r, SH.resultMessage, message))
            report.add((r, SH.resultMessage, Literal(f"{message}{suffix}")))
