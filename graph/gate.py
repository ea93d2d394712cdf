"""The SHACL gate: validate the assembled graph and summarise by severity."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from graph.errors import BuildError, InputProblem
from graph.namespaces import SH

SEVERITIES = ("Violation", "Warning", "Info")


def load_shapes() -> Graph:
    g = Graph()
    g.parse(data=(resources.files("shapes") / "shapes.ttl").read_text("utf-8"), format="turtle")
    return g


@dataclass
class GateReport:
    """A SHACL report with counts; the build publishes only when ``violations == 0``."""

    graph: Graph
    text: str
    counts: dict[str, int]

    @classmethod
    def from_graph(cls, graph: Graph, text: str = "") -> GateReport:
        """A report read from its graph (as ``run_gate`` makes it or the build publishes it)."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for sev in graph.objects(None, SH.resultSeverity):
            counts[str(sev).rsplit("#", 1)[-1]] += 1
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
            severity = val(SH.resultSeverity)
            out.append({
                "severity": severity.rsplit("#", 1)[-1] if severity else None,
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


def run_gate(data: Graph) -> GateReport:
    """Validate ``data`` (which includes the ontology, for subclass targets)."""
    _conforms, report_graph, text = validate(
        data,
        shacl_graph=load_shapes(),
        ont_graph=None,
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        meta_shacl=False,
        advanced=True,
        js=False,
        debug=False,
    )
    if not isinstance(report_graph, Graph):
        # pyshacl returns a ValidationFailure (not a report) when a shape itself is
        # invalid, e.g. a SPARQL constraint using VALUES: that is a bug in the shapes file.
        raise BuildError(InputProblem("shapes/shapes.ttl", None,
                                      f"the shapes cannot be applied: {text}"))
    return GateReport.from_graph(report_graph, str(text))
