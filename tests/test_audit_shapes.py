"""The consistency checks auditors read: a cumulative figure that falls between dates,
figures and event dates that contradict each other, an organisation said to act before it
was established, events with no date, uncertain claims; and how the gate names its shapes
and says where a violation is.

Synthetic cases pin what each shape compares; cases injected into a copy of the real graph
check that a shape fires there on a constructed disagreement; the published report of the
real build checks what each shape reports (or does not) on the real records."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from helpers import DATA_DIR
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, SKOS, XSD
from rdflib.term import Node

from graph import gate
from graph.build import Assembled
from graph.gate import run_gate
from graph.namespaces import GRAPH_RECORDS, HKSC, ID, OA, SH
from graph.store import EmbeddedStore
from loaders.terms import load_ontology

SHAPES = "https://w3id.org/hk-smartcity/def/shapes/"
SHAPE = SHAPES + "CumulativeNeverFalls"
SAME = SHAPES + "SameDateSameValue"
EVENTS = SHAPES + "EventDatesAgree"
ACTS = SHAPES + "ActsBeforeEstablished"
UNDATED = SHAPES + "EventHasDate"
UNCERTAIN = SHAPES + "UncertainReported"
EX = "http://example.org/"
SCHEMA_EVENT_SCHEDULE = URIRef("https://schema.org/eventSchedule")


READINGS = {ID[f"qualifier/{g}"]: g for g in ("lower-bound", "upper-bound", "estimate")}


@functools.cache
def _marks() -> tuple[tuple[Node, Node, Node], ...]:
    """The ontology's marks the shapes read: each qualifier's reading (lower bound, upper
    bound, estimate: its skos:broader concept) and the properties that say which figure an
    observation is. The gate runs on a graph that holds the ontology; a synthetic graph
    gets these triples only."""
    ontology = load_ontology()
    marks = [t for group in READINGS for t in ontology.triples((None, SKOS.broader, group))]
    marks += ontology.triples((None, HKSC.figureDimension, None))
    return tuple(marks)


def _vocabulary() -> Graph:
    """A new synthetic data graph holding the ontology's marks (``_marks``)."""
    g = Graph()
    for triple in _marks():
        g.add(triple)
    return g


def test_the_marks_the_shapes_read_are_in_the_ontology() -> None:
    """Ten qualifiers in three readings, and six figure dimensions: the dimensions
    ``graph.derive`` compares a series by, plus the unit (a series' own key there) and
    the table row (rows are never series candidates there, but the shapes compare them)."""
    from graph import derive

    marks = _marks()
    readings: dict[str, set[str]] = {}
    for s, p, o in marks:
        if p == SKOS.broader:
            readings.setdefault(READINGS[o], set()).add(str(s).rsplit("/", 1)[-1])
    assert readings == {
        "lower-bound": {"over", "more-than", "at-least"},
        "upper-bound": {"up-to", "less-than", "nearly"},
        "estimate": {"about", "around", "approximately", "some"},
    }
    dimensions = {s for s, p, o in marks if p == HKSC.figureDimension and o == Literal(True)}
    assert dimensions == set(derive._DIMENSIONS) | {HKSC.unit, HKSC.rowLabel}
    named = set(re.findall(r"qualifier:([a-z-]+)", gate.shapes_text()))
    assert named == {"exactly", *READINGS.values()}, "a shape lists qualifiers instead of reading them"


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
    g = _vocabulary()
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
    monkeypatch.setattr(gate, "load_shapes", lambda _text=None: broken)
    with pytest.raises(BuildError, match=r"shapes/shapes\.ttl: the shapes cannot be applied.*VALUES"):
        gate.run_gate(Graph())


# --------------------------------------------------------------------------- helpers


def _only(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Run the gate with the real shapes file but only the named node shapes targeting
    anything (a shape on the whole real graph takes a second, the gate ten)."""
    shapes = gate.load_shapes()
    for shape in set(shapes.subjects(RDF.type, SH.NodeShape)):
        if str(shape).removeprefix(SHAPES) not in names:
            for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetNode):
                shapes.remove((shape, p, None))
    monkeypatch.setattr(gate, "load_shapes", lambda _text=None: shapes)


def _results(report: gate.GateReport, shape: str) -> list[dict[str, str | None]]:
    return [r for r in report.results() if r["shape"] == shape]


def _published(store: EmbeddedStore, shape: str) -> set[tuple[str, str | None]]:
    """(focus node, value) of the published report's results of ``shape``; the shape is
    one of the gate's, with a target, so an empty answer is not a renamed shape's."""
    shapes = gate.load_shapes()
    assert (URIRef(shape), RDF.type, SH.NodeShape) in shapes, shape
    assert any(shapes.objects(URIRef(shape), p) for p in (SH.targetClass, SH.targetSubjectsOf)), shape
    rows = store.query(f"""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?focus ?value WHERE {{ GRAPH <{ID['graph/validation']}> {{
          ?r sh:sourceShape <{shape}> ; sh:focusNode ?focus . OPTIONAL {{ ?r sh:value ?value }} }} }}""")
    return {(row[0].value, None if row[1] is None else row[1].value) for row in rows}


def _figure(g: Graph, name: str, value: int, start: str, end: str, *, doc: str = "a",
            qualifier: str | None = None, context: str | None = None, pillar: str | None = None,
            unit: str = "count", modality: str = "achieved", from_document: bool = False) -> URIRef:
    node = URIRef(EX + name)
    g.add((node, RDF.type, HKSC.Observation))
    g.add((node, HKSC.about, URIRef(EX + "platform")))
    g.add((node, HKSC.measure, URIRef(EX + "users")))
    g.add((node, HKSC.unit, ID[f"unit/{unit}"]))
    g.add((node, HKSC.modality, ID[f"modality/{modality}"]))
    g.add((node, HKSC.refDate, Literal(start, datatype=XSD.date)))
    g.add((node, HKSC.periodEnd, Literal(end, datatype=XSD.date)))
    g.add((node, HKSC.dateFromDocument, Literal(from_document)))
    g.add((node, HKSC.value, Literal(value)))
    g.add((node, HKSC.statedIn, URIRef(EX + "doc-" + doc)))
    if qualifier is not None:
        g.add((node, HKSC.qualifier, ID[f"qualifier/{qualifier}"]))
    if context is not None:
        g.add((node, HKSC.context, URIRef(EX + context)))
    if pillar is not None:
        g.add((node, HKSC.pillar, Literal(pillar)))
    return node


# --------------------------------------------------------------------------- figures that contradict

MONTH = ("2025-04-01", "2025-04-30")
DAY = ("2025-04-30", "2025-04-30")


@pytest.mark.parametrize(("a", "b", "flagged"), [
    # "over 3.4 million" (April 2025) and "about 3.5 million" (30 April 2025): a lower bound
    # is not contradicted by a larger value, whatever the precision of the dates.
    ({"value": 3_400_000, "qualifier": "over"}, {"value": 3_500_000, "qualifier": "about"}, False),
    ({"value": 3_400_000, "qualifier": "over"}, {"value": 3_000_000}, True),
    ({"value": 3_400_000}, {"value": 2_000_000}, True),   # April vs 30 April: compared
    ({"value": 3_400_000}, {"value": 3_400_000}, False),
    ({"value": 100, "qualifier": "up-to"}, {"value": 90}, False),
    ({"value": 100, "qualifier": "up-to"}, {"value": 150}, True),
    ({"value": 100, "qualifier": "nearly"}, {"value": 150, "qualifier": "over"}, True),
    ({"value": 100, "qualifier": "about"}, {"value": 108}, False),   # an estimate is a range
    ({"value": 100, "qualifier": "about"}, {"value": 125}, True),
    ({"value": 100, "qualifier": "over"}, {"value": 150, "qualifier": "more-than"}, False),
    # Not the same thing: another context, pillar, unit or modality is never compared.
    ({"value": 100, "context": "index-a"}, {"value": 150, "context": "index-b"}, False),
    ({"value": 100, "context": "index-a"}, {"value": 150}, False),
    ({"value": 100, "pillar": "Talent"}, {"value": 150, "pillar": "Knowledge"}, False),
    ({"value": 100, "unit": "hkd"}, {"value": 150, "unit": "rmb"}, False),
    ({"value": 100, "modality": "planned"}, {"value": 150}, False),
    ({"value": 100, "context": "index-a", "pillar": "Talent"},
     {"value": 150, "context": "index-a", "pillar": "Talent"}, True),
])
def test_figures_contradict_only_when_their_ranges_do_not_meet(
        a: dict[str, object], b: dict[str, object], flagged: bool) -> None:
    g = _vocabulary()
    first = _figure(g, "a-month", start=MONTH[0], end=MONTH[1], doc="a", **a)  # type: ignore[arg-type]
    second = _figure(g, "b-day", start=DAY[0], end=DAY[1], doc="b", **b)  # type: ignore[arg-type]
    found = _results(run_gate(g), SAME)
    if not flagged:
        assert found == []
        return
    # One result per pair, on the claim whose IRI sorts first, naming the other as its value.
    assert [(r["focusNode"], r["value"]) for r in found] == [(str(first), str(second))]
    message = found[0]["message"] or ""
    assert f"{a['value']} (" in message and f"{b['value']} (" in message
    assert "doc-a" in message and "doc-b" in message and "2025-04-01/2025-04-30" in message


@pytest.mark.parametrize(("b_dates", "same_doc", "flagged"), [
    (("2025-05-01", "2025-05-31"), False, False),   # the next month: no overlap
    (("2025-01-01", "2025-12-31"), False, True),    # the year holds April
    (DAY, True, False),                             # one document is not a disagreement
])
def test_figures_are_compared_over_overlapping_periods_of_two_documents(
        b_dates: tuple[str, str], same_doc: bool, flagged: bool) -> None:
    g = _vocabulary()
    _figure(g, "a", 100, *MONTH, doc="a")
    _figure(g, "b", 150, *b_dates, doc="a" if same_doc else "b")
    assert bool(_results(run_gate(g), SAME)) is flagged


def test_figures_dated_by_their_document_are_compared() -> None:
    g = _vocabulary()
    _figure(g, "a", 100, "2025-05-12", "2025-05-12", doc="a", from_document=True)
    _figure(g, "b", 150, "2025-05-01", "2025-05-31", doc="b", from_document=True)
    found = _results(run_gate(g), SAME)
    assert len(found) == 1 and "the document's date" in (found[0]["message"] or "")


def _real_figure(union: Graph, about: str, measure: str, doc: str) -> URIRef:
    found = [c for c in union.subjects(HKSC.about, ID[about])
             if isinstance(c, URIRef) and (c, RDF.type, HKSC.Observation) in union
             and (c, HKSC.measure, ID[measure]) in union and (c, HKSC.statedIn, ID["source/" + doc]) in union]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("value", "qualifier", "flagged"), [
    (3_500_000, "about", False),   # "about 3.5 million" does not contradict "over 3.4 million"
    (3_000_000, None, True),       # 3.0 million on 30 April 2025 does
])
def test_a_figure_injected_next_to_a_real_one(union: Graph, monkeypatch: pytest.MonkeyPatch,
                                              value: int, qualifier: str | None, flagged: bool) -> None:
    """The real "over 3.4 million" iAM Smart users of April 2025 (May 2025 paper) against a
    figure of another document dated 30 April 2025."""
    _only(monkeypatch, "SameDateSameValue")
    real = _real_figure(union, "platform/iam-smart", "measure/registered-users", "2025-05-12-legco-paper")
    g = Graph()
    g += union
    injected = URIRef(str(ID["claim/2026-01-20-slides/injected"]))
    for p in (HKSC.about, HKSC.measure, HKSC.unit, HKSC.modality):
        g.add((injected, p, union.value(real, p, any=False) or Literal("missing")))
    g.add((injected, RDF.type, HKSC.Observation))
    g.add((injected, HKSC.refDate, Literal("2025-04-30", datatype=XSD.date)))
    g.add((injected, HKSC.periodEnd, Literal("2025-04-30", datatype=XSD.date)))
    g.add((injected, HKSC.value, Literal(value)))
    g.add((injected, HKSC.statedIn, ID["source/2026-01-20-slides"]))
    if qualifier:
        g.add((injected, HKSC.qualifier, ID[f"qualifier/{qualifier}"]))
    pairs = {frozenset((r["focusNode"], r["value"])) for r in _results(run_gate(g), SAME)}
    assert pairs == ({frozenset((str(real), str(injected)))} if flagged else set())


def test_real_report_has_no_contradicting_figures(built_store: EmbeddedStore) -> None:
    """No two documents of the real records give figures whose ranges do not meet."""
    assert _published(built_store, SAME) == set()


# --------------------------------------------------------------------------- event dates


def _event_date(g: Graph, name: str, event: str, start: str, end: str, *, doc: str,
                modality: str = "achieved", qualifier: str | None = None) -> URIRef:
    node = URIRef(EX + name)
    g.add((node, RDF.type, HKSC.DateClaim))
    g.add((node, HKSC.about, URIRef(EX + event)))
    g.add((node, HKSC.modality, ID[f"modality/{modality}"]))
    g.add((node, HKSC.refDate, Literal(start, datatype=XSD.date)))
    g.add((node, HKSC.periodEnd, Literal(end, datatype=XSD.date)))
    g.add((node, HKSC.statedIn, URIRef(EX + "doc-" + doc)))
    if qualifier is not None:
        g.add((node, HKSC.qualifier, ID[f"qualifier/{qualifier}"]))
    return node


@pytest.mark.parametrize(("b", "flagged"), [
    ({"start": "2019-01-01", "end": "2019-01-31"}, True),
    ({"start": "2024-07-15", "end": "2024-07-15"}, False),          # a day of that month
    ({"start": "2024-01-01", "end": "2024-12-31"}, False),          # the year of it
    ({"start": "2019-01-01", "end": "2019-01-31", "modality": "planned"}, False),
    ({"start": "2024-12-01", "end": "2024-12-31", "qualifier": "up-to"}, False),  # "by end-2024"
    ({"start": "2019-01-01", "end": "2019-12-31", "qualifier": "up-to"}, True),   # "by 2019"
    ({"start": "2023-01-01", "end": "2023-12-31", "qualifier": "over"}, False),   # "after 2023"
    ({"start": "2025-01-01", "end": "2025-12-31", "qualifier": "over"}, True),    # "after 2025"
])
def test_event_dates_contradict_only_when_their_periods_do_not_overlap(
        b: dict[str, str], flagged: bool) -> None:
    g = _vocabulary()
    first = _event_date(g, "a", "establishment", "2024-07-01", "2024-07-31", doc="a")
    second = _event_date(g, "b", "establishment", doc="b", **b)
    found = _results(run_gate(g), EVENTS)
    if not flagged:
        assert found == []
        return
    assert [(r["focusNode"], r["value"]) for r in found] == [(str(first), str(second))]
    assert "doc-a" in (found[0]["message"] or "") and "doc-b" in (found[0]["message"] or "")


def test_an_event_date_injected_next_to_a_real_one(union: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    """"DPO established 2019-01" from another document, next to the July 2024 of the May
    2025 paper: a warning against each real date claim of the establishment."""
    _only(monkeypatch, "EventDatesAgree")
    event = ID["event/dpo-establishment"]
    real = {str(c) for c in union.subjects(HKSC.about, event)
            if (c, HKSC.modality, ID["modality/achieved"]) in union}
    assert real
    g = _vocabulary()
    g += union
    injected = ID["claim/2024-02-20-slides/injected-dpo-2019"]
    g.add((injected, RDF.type, HKSC.DateClaim))
    g.add((injected, HKSC.about, event))
    g.add((injected, HKSC.modality, ID["modality/achieved"]))
    g.add((injected, HKSC.refDate, Literal("2019-01-01", datatype=XSD.date)))
    g.add((injected, HKSC.periodEnd, Literal("2019-01-31", datatype=XSD.date)))
    g.add((injected, HKSC.statedIn, ID["source/2024-02-20-slides"]))
    pairs = {frozenset((r["focusNode"], r["value"])) for r in _results(run_gate(g), EVENTS)}
    assert pairs == {frozenset((str(injected), c)) for c in real}


def test_real_report_has_no_contradicting_event_dates(built_store: EmbeddedStore) -> None:
    assert _published(built_store, EVENTS) == set()


# --------------------------------------------------------------------------- acts before it exists


def _establishment(g: Graph, start: str, end: str, modality: str = "achieved", name: str = "est") -> None:
    event = URIRef(EX + "org-established")
    g.add((event, RDF.type, HKSC.Event))
    g.add((event, HKSC.eventKind, ID["event-kind/establishment"]))
    g.add((event, HKSC.eventObject, URIRef(EX + "org")))
    _event_date(g, name, "org-established", start, end, doc="a", modality=modality)


def _act(g: Graph, start: str, end: str, modality: str = "achieved") -> URIRef:
    node = URIRef(EX + "act")
    g.add((node, RDF.type, HKSC.RelationClaim))
    g.add((node, HKSC.about, URIRef(EX + "org")))
    g.add((node, HKSC.modality, ID[f"modality/{modality}"]))
    g.add((node, HKSC.refDate, Literal(start, datatype=XSD.date)))
    g.add((node, HKSC.periodEnd, Literal(end, datatype=XSD.date)))
    return node


@pytest.mark.parametrize(("act", "flagged"), [
    (("2023-12-01", "2023-12-31", "achieved"), True),
    (("2023-12-01", "2023-12-31", "planned"), False),   # a plan made before is no act
    (("2024-07-01", "2024-07-31", "achieved"), False),  # the month it was set up
    (("2024-01-01", "2024-12-31", "achieved"), False),  # a year that holds it
])
def test_an_organisation_acting_before_its_establishment(act: tuple[str, str, str], flagged: bool) -> None:
    g = _vocabulary()
    _establishment(g, "2024-07-01", "2024-07-31")
    node = _act(g, *act)
    found = _results(run_gate(g), ACTS)
    assert [(r["focusNode"], r["value"]) for r in found] == ([(str(node), EX + "est")] if flagged else [])


def test_no_act_before_an_establishment_only_planned_or_also_dated_earlier() -> None:
    planned = _vocabulary()
    _establishment(planned, "2024-07-01", "2024-07-31", modality="planned")
    _act(planned, "2023-12-01", "2023-12-31")
    assert _results(run_gate(planned), ACTS) == []
    earlier = _vocabulary()
    _establishment(earlier, "2024-07-01", "2024-07-31")
    _event_date(earlier, "est-earlier", "org-established", "2023-01-01", "2023-12-31", doc="b")
    _act(earlier, "2023-12-01", "2023-12-31")
    assert _results(run_gate(earlier), ACTS) == []


def test_real_report_finds_the_dpo_credited_with_work_before_it_existed(built_store: EmbeddedStore) -> None:
    """Para 16 of the May 2025 paper: "the DPO implemented the Consented Data Exchange
    Gateway ... at the end of 2023"; para 4: "Established in July 2024". The records keep
    both as the paper says them; the report names the disagreement, and nothing else."""
    found = _published(built_store, ACTS)
    assert {focus for focus, _ in found} == {str(ID["claim/2025-05-12-legco-paper/cdeg-dpo"])}
    (_, value), = found
    establishment = {row[0].value for row in built_store.query(
        f"SELECT ?c WHERE {{ ?c <{HKSC.about}> <{ID['event/dpo-establishment']}> }}")}
    assert value in establishment


# --------------------------------------------------------------------------- events with no date


def test_an_event_with_a_schedule_or_a_date_is_dated() -> None:
    g = _vocabulary()
    for name in ("undated", "scheduled", "claimed-schedule", "dated"):
        g.add((URIRef(EX + name), RDF.type, HKSC.Event))
    schedule = BNode()
    g.add((URIRef(EX + "scheduled"), SCHEMA_EVENT_SCHEDULE, schedule))
    g.add((URIRef(EX + "recurs"), HKSC.about, URIRef(EX + "claimed-schedule")))
    g.add((URIRef(EX + "recurs"), SCHEMA_EVENT_SCHEDULE, schedule))
    _event_date(g, "date", "dated", "2024-07-01", "2024-07-31", doc="a")
    found = _results(run_gate(g), UNDATED)
    assert [r["focusNode"] for r in found] == [EX + "undated"]
    # The message says what the graph lacks, not that no source dates it.
    assert "no source dates it" not in (found[0]["message"] or "")
    assert "schema:eventSchedule" in (found[0]["message"] or "")


def test_real_report_flags_only_events_no_claim_dates(built_store: EmbeddedStore, union: Graph) -> None:
    flagged = {focus for focus, _ in _published(built_store, UNDATED)}
    assert flagged  # the Sandy Ridge site award, on the records of 2026-12
    # InnoEX recurs ("held in April in Hong Kong annually"): a schedule claim dates it.
    assert str(ID["event/innoex"]) not in flagged
    for event in flagged:
        assert not [c for c in union.subjects(HKSC.about, URIRef(event))
                    if (c, RDF.type, HKSC.DateClaim) in union], event
        assert (URIRef(event), SCHEMA_EVENT_SCHEDULE, None) not in union


# --------------------------------------------------------------------------- uncertain claims


def test_uncertain_claims_are_reported_with_their_note(built_store: EmbeddedStore, union: Graph) -> None:
    """Each Info names the shape hkss:UncertainReported (not a blank node), gives the
    claim's note in its message and the wording read as its value."""
    uncertain = {str(c) for c in union.subjects(HKSC.uncertain, Literal(True))}
    rows = built_store.query(f"""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?focus ?shape ?message ?value WHERE {{ GRAPH <{ID['graph/validation']}> {{
          ?r sh:resultSeverity sh:Info ; sh:focusNode ?focus ; sh:sourceShape ?shape ;
             sh:resultMessage ?message ; sh:value ?value }} }}""")
    infos = {row[0].value: (row[1].value, row[2].value, row[3].value) for row in rows}
    assert set(infos) == uncertain
    for claim, (shape, message, value) in infos.items():
        assert shape == UNCERTAIN
        note = union.value(URIRef(claim), HKSC.note)
        assert note is not None and str(note).replace("\\", "/") in message, claim
        quotes = {str(q) for t in union.objects(URIRef(claim), HKSC.evidence)
                  for s in union.objects(t, OA.hasSelector) for q in union.objects(s, OA.exact)}
        assert value in quotes | {str(v) for v in union.objects(URIRef(claim), HKSC.verbatim)}


def test_a_backslash_in_a_note_does_not_break_the_message() -> None:
    """pySHACL puts the note into the message with re.sub, where a backslash is an escape."""
    g = _vocabulary()
    claim = URIRef(EX + "claim")
    g.add((claim, HKSC.uncertain, Literal(True)))
    g.add((claim, HKSC.note, Literal(r"read as 1\2 \d (other reading \1)")))
    found = _results(run_gate(g), UNCERTAIN)
    assert len(found) == 1 and "read as 1/2 /d (other reading /1)" in (found[0]["message"] or "")


# --------------------------------------------------------------------------- names and messages


def test_every_shape_that_reports_has_an_iri() -> None:
    """Property shapes and SPARQL constraints are named (hksp:...), node shapes too, so a
    report's sh:sourceShape and sh:sourceConstraint never name a blank node."""
    shapes = gate.load_shapes()
    for p in (SH.property, SH.sparql):
        blank = [(s, o) for s, o in shapes.subject_objects(p) if not isinstance(o, URIRef)]
        assert blank == [], p
    for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetNode):
        assert all(isinstance(s, URIRef) for s in shapes.subjects(p, None))


def test_published_report_names_shapes_and_constraints(built_store: EmbeddedStore) -> None:
    rows = built_store.query(f"""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?shape ?constraint WHERE {{ GRAPH <{ID['graph/validation']}> {{
          ?r a sh:ValidationResult ; sh:sourceShape ?shape . OPTIONAL {{ ?r sh:sourceConstraint ?constraint }}
        }} }}""")
    seen = [(row[0], row[1]) for row in rows]
    assert seen
    for shape, constraint in seen:
        assert shape.value.startswith(SHAPES), shape
        assert constraint is None or constraint.value.startswith(SHAPES.rstrip("/") + "#"), constraint


def _claim_line(records: Path, doc: str, claim_id: str) -> int:
    lines = (records / "claims" / f"{doc}.yaml").read_text("utf-8").splitlines()
    found = [n for n, line in enumerate(lines, start=1) if re.search(rf"\bid: {re.escape(claim_id)}\b", line)]
    assert len(found) == 1
    return found[0]


def test_a_violation_says_what_is_wrong_and_where(assembled: Assembled, union: Graph,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A claim that lost its document: the message is the shape's own (not pySHACL's
    "Less than 1 values on ..."), with the record's file:line and the source line."""
    _only(monkeypatch, "Claim")
    records = DATA_DIR / "records"
    claim = ID["claim/2025-05-12-legco-paper/cdeg-dpo"]
    g = Graph()
    g += union
    g.remove((claim, HKSC.statedIn, None))
    report = run_gate(g, locations=assembled.locations)
    found = [r for r in report.results() if r["severity"] == "Violation"]
    assert [r["focusNode"] for r in found] == [str(claim)]
    passage = union.value(claim, PROV.wasDerivedFrom)
    line = union.value(passage, HKSC.lineStart)
    assert found[0]["message"] == (
        "every claim is stated in exactly one source document (at records/claims/2025-05-12-legco-paper"
        f".yaml:{_claim_line(records, '2025-05-12-legco-paper', 'cdeg-dpo')}; quote from "
        f"sources/2025-05-12-legco-itb-panel-paper.txt:{line})")


def test_no_violation_message_is_pyshacls_default() -> None:
    """Every constraint a claim, a document, a passage or an event can break says what
    is wrong in words of the records."""
    g = Graph()
    for cls in (HKSC.Observation, HKSC.RelationClaim, HKSC.DateClaim, HKSC.ScheduleClaim,
                HKSC.ListingClaim, HKSC.SourceDocument, HKSC.Passage, HKSC.Event, HKSC.Platform):
        node = URIRef(EX + cls.rsplit("/", 1)[-1])
        g.add((node, RDF.type, cls))
        g.add((node, HKSC.about, Literal("not an IRI")))
        g.add((node, SKOS.prefLabel, Literal("no language")))
        g.add((node, HKSC.refDate, Literal("2024-07")))
        g.add((node, HKSC.lineStart, Literal(0)))
    schedule = BNode()  # untyped, with a month that is no month
    g.add((URIRef(EX + "ScheduleClaim"), SCHEMA_EVENT_SCHEDULE, schedule))
    g.add((schedule, URIRef("https://schema.org/byMonth"), Literal(13)))
    report = run_gate(g)
    messages = [r["message"] or "" for r in report.results() if r["severity"] == "Violation"]
    assert len(messages) > 20
    generic = [m for m in messages if re.match(r"(Less|More) than|Value |Node |.* does not conform", m)]
    assert generic == []


def test_every_record_of_the_real_graph_is_located(assembled: Assembled) -> None:
    """The records loader says where it read every claim and entity, for the gate's
    violation messages."""
    located = assembled.locations
    records = assembled.graphs[GRAPH_RECORDS]
    claims = {str(c) for cls in (HKSC.Observation, HKSC.RelationClaim, HKSC.DateClaim, HKSC.ScheduleClaim,
                                 HKSC.ListingClaim)
              for c in records.subjects(RDF.type, cls)}
    entities = {str(e) for e in records.subjects(SKOS.prefLabel, None)}
    assert len(claims) > 500 and len(entities) > 300
    assert sorted((claims | entities) - set(located)) == []
    assert located[str(ID["event/innoex"])].startswith("records/entities/")
