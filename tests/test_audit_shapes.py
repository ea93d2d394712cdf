"""The consistency checks auditors read: a cumulative figure that falls between dates.

The synthetic cases pin what the shape compares (bounds as bounds); the last test
checks what it reports on the real graph's published validation report."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from graph.gate import run_gate
from graph.namespaces import HKSC, ID
from graph.store import EmbeddedStore

SHAPE = "https://w3id.org/hk-smartcity/def/shapes/CumulativeNeverFalls"
EX = "http://example.org/"


def _observation(g: Graph, name: str, value: int, ref: str, end: str,
                 qualifier: str | None) -> URIRef:
    node = URIRef(EX + name)
    g.add((node, RDF.type, HKSC.Observation))
    g.add((node, HKSC.about, URIRef(EX + "portal")))
    g.add((node, HKSC.measure, URIRef(EX + "providers")))
    g.add((node, HKSC.modality, ID["modality/achieved"]))
    g.add((node, HKSC.refDate, Literal(ref, datatype=XSD.date)))
    g.add((node, HKSC.periodEnd, Literal(end, datatype=XSD.date)))
    g.add((node, HKSC.value, Literal(value)))
    if qualifier is not None:
        g.add((node, HKSC.qualifier, ID[f"qualifier/{qualifier}"]))
    return node


def _falls(earlier_q: str | None, later_q: str | None, earlier: int = 118,
           later: int = 110) -> set[str]:
    g = Graph()
    g.add((URIRef(EX + "providers"), HKSC.cumulative, Literal(True)))
    _observation(g, "earlier", earlier, "2023-12-01", "2023-12-31", earlier_q)
    _observation(g, "later", later, "2025-05-01", "2025-05-31", later_q)
    report = run_gate(g)
    return {r["focusNode"] or "" for r in report.results()
            if r["shape"] == SHAPE}


@pytest.mark.parametrize(("earlier_q", "later_q", "flagged"), [
    (None, None, True),             # 118 then 110: a fall
    ("over", None, True),           # over 118 then exactly 110: still a fall
    (None, "about", True),          # an estimate is compared as its value
    (None, "over", False),          # over 110 may well be 118 or more
    (None, "more-than", False),
    (None, "at-least", False),
    ("up-to", None, False),         # up to 118 may well be 110 or less
    ("nearly", None, False),
    ("less-than", None, False),
])
def test_bounds_are_compared_as_bounds(earlier_q: str | None, later_q: str | None,
                                       flagged: bool) -> None:
    assert _falls(earlier_q, later_q) == ({EX + "later"} if flagged else set())


def test_a_rise_is_never_flagged() -> None:
    assert _falls(None, None, earlier=110, later=118) == set()


def test_real_report_flags_only_the_exact_fall(built_store: EmbeddedStore) -> None:
    """118 data providers (Dec 2023) against "110" (Jan 2026 slides, exact) is a real
    disagreement and stays a warning; "over 110" and "110+" are lower bounds and do not."""
    rows = built_store.query(f"""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT DISTINCT ?focus WHERE {{
          GRAPH <{ID['graph/validation']}> {{
            ?r sh:sourceShape <{SHAPE}> ; sh:focusNode ?focus ; sh:resultSeverity sh:Warning .
          }}
        }}""")
    focus = {row[0].value for row in rows}
    assert focus == {str(ID["claim/2026-01-20-slides/open-data-providers"])}


def test_a_broken_shape_is_a_clear_build_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyshacl refuses some shapes (VALUES in a SPARQL constraint) without a report;
    the gate must say so, naming the shapes file, instead of failing an assertion."""
    from graph import gate
    from graph.errors import BuildError

    broken = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <http://example.org/S> a sh:NodeShape ; sh:targetNode <http://example.org/x> ;
            sh:sparql [ sh:select "SELECT $this WHERE { VALUES ?v { 1 } }" ] .
        """, format="turtle")
    monkeypatch.setattr(gate, "load_shapes", lambda: broken)
    with pytest.raises(BuildError, match=r"shapes/shapes\.ttl: the shapes cannot be applied.*VALUES"):
        gate.run_gate(Graph())
