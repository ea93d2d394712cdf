"""``subject hksc:latestObservation claim`` (graph/derive.py) on the real graph.

The derived "current value" is the same whatever the hash seed or the order the
claims are read in; it never links figures of different series (another unit,
context, pillar), never picks one of several figures that tie for the latest
period, is not given for bare counts or unnamed rankings, and on real series
across the five documents it is the claim whose period is the latest.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from graph.build import GRAPH_DERIVED, Assembled
from graph.derive import derive
from graph.namespaces import GRAPH_RECORDS, GRAPH_TABLES, HKSC, ID
from graph.settings import PROJECT_ROOT
from loaders.dates import parse_date
from loaders.documents import SourceDocument

ACHIEVED = ID["modality/achieved"]
HK = ID["place/hong-kong"]


def _claims(assembled: Assembled) -> Graph:
    """The graph derive() reads in a build: records and tables."""
    return assembled.graphs[GRAPH_RECORDS] + assembled.graphs[GRAPH_TABLES]


def _lines(g: Graph) -> list[str]:
    return sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in g)


def _latest(g: Graph, subject: URIRef | None = None) -> set[URIRef]:
    return {c for c in g.objects(subject, HKSC.latestObservation)
            if isinstance(c, URIRef)}


def _observations(g: Graph, subject: URIRef, measure: URIRef) -> list[URIRef]:
    """Achieved observations with a number about ``subject`` for ``measure``, tables' rows excluded."""
    return [c for c in g.subjects(HKSC.about, subject)
            if isinstance(c, URIRef) and (c, HKSC.measure, measure) in g
            and (c, HKSC.modality, ACHIEVED) in g and (c, HKSC.value, None) in g
            and (c, HKSC.rowLabel, None) not in g]


def _period(g: Graph, c: Node) -> tuple[date, date]:
    start, end = g.value(c, HKSC.refDate), g.value(c, HKSC.periodEnd)
    assert isinstance(start, Literal) and isinstance(end, Literal)
    return start.toPython(), end.toPython()


def _value(g: Graph, c: Node) -> object:
    v = g.value(c, HKSC.value)
    assert isinstance(v, Literal)
    return v.toPython()


def _series(g: Graph, c: Node) -> tuple[object, ...]:
    """What makes two observations one series, read off the claim."""
    return (g.value(c, HKSC.about), g.value(c, HKSC.measure), g.value(c, HKSC.unit),
            frozenset(g.objects(c, HKSC.context)), frozenset(g.objects(c, HKSC.pillar)))


# ---- determinism


_SCRIPT = """
import sys
from pathlib import Path
from graph.build import GRAPH_DERIVED, assemble
from graph.settings import PROJECT_ROOT, Settings
settings = Settings(data_dir=PROJECT_ROOT / "data", store_dir=Path(sys.argv[1]))
derived = assemble(settings, progress=lambda _m: None).graphs[GRAPH_DERIVED]
print("\\n".join(sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in derived)))
"""


def test_derived_graph_is_the_same_under_any_hash_seed(assembled: Assembled, tmp_path: Path) -> None:
    """The reported bug: Hong Kong's 'latest rank' changed with PYTHONHASHSEED (the loaders fill
    sets, so the order derive() meets claims in follows the hash seed). Three interpreters with
    different seeds load the data and derive the graph this session's build derived."""
    expected = _lines(assembled.graphs[GRAPH_DERIVED])
    assert any("latestObservation" in line for line in expected)
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path)], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=300, check=True)
        assert done.stdout.splitlines() == expected, f"PYTHONHASHSEED={seed} derived another graph"


def test_derived_graph_does_not_depend_on_the_order_claims_are_read(assembled: Assembled) -> None:
    triples = list(_claims(assembled))
    expected = _lines(assembled.graphs[GRAPH_DERIVED])
    for seed in range(3):
        random.Random(seed).shuffle(triples)
        shuffled = Graph()
        for t in triples:
            shuffled.add(t)
        assert _lines(derive(shuffled)) == expected


# ---- what a latest observation may be


def test_latest_observations_are_achieved_figures_of_a_named_series(union: Graph) -> None:
    linked = _latest(union)
    assert len(linked) > 20
    for c in linked:
        assert (c, RDF.type, HKSC.Observation) in union
        assert (c, HKSC.modality, ACHIEVED) in union and (c, HKSC.value, None) in union, c
        assert (c, HKSC.rowLabel, None) not in union, c
        measure = union.value(c, HKSC.measure)
        assert measure != ID["measure/count"], f"{c}: a bare count is no series"
        if measure in (ID["measure/rank"], ID["measure/regional-rank"]):
            assert (c, HKSC.context, None) in union, f"{c}: a rank in a ranking the source does not name"
        # Linked from the subject the claim is about, and from no other.
        assert set(union.subjects(HKSC.latestObservation, c)) == {union.value(c, HKSC.about)}


def test_no_series_mixes_contexts_pillars_or_units(union: Graph) -> None:
    """Two latest observations of one subject and measure either belong to different series
    (unit, context or pillar differ) or state the same value for the same period."""
    by_measure: dict[tuple[Node | None, Node | None], list[URIRef]] = defaultdict(list)
    for c in _latest(union):
        by_measure[(union.value(c, HKSC.about), union.value(c, HKSC.measure))].append(c)
    pairs = same_series = 0
    for claims in by_measure.values():
        for i, a in enumerate(claims):
            for b in claims[i + 1:]:
                pairs += 1
                if _series(union, a) == _series(union, b):
                    same_series += 1
                    assert _value(union, a) == _value(union, b), (a, b)
                    assert _period(union, a) == _period(union, b), (a, b)
    assert pairs > 0
    # Two documents stating the same figure for the same period are both latest (iAM
    # Smart's online services, on the records of 2026-12): the asserts above did run.
    assert same_series >= 1


def test_no_later_observation_of_the_same_series_exists(union: Graph) -> None:
    """Checked with SPARQL, apart from derive.py: no achieved figure of the same subject, measure,
    unit, context and pillar refers to a period that starts and ends no earlier and differs."""
    query = """
    PREFIX hksc: <https://w3id.org/hk-smartcity/def/>
    SELECT ?latest ?later WHERE {
      ?s hksc:latestObservation ?latest .
      ?latest hksc:measure ?m ; hksc:unit ?u ; hksc:refDate ?ls ; hksc:periodEnd ?le .
      ?later hksc:about ?s ; hksc:measure ?m ; hksc:unit ?u ; hksc:value ?v ;
             hksc:modality <https://w3id.org/hk-smartcity/id/modality/achieved> ;
             hksc:refDate ?os ; hksc:periodEnd ?oe .
      FILTER NOT EXISTS { ?later hksc:rowLabel ?row }
      FILTER (?os >= ?ls && ?oe >= ?le && (?os > ?ls || ?oe > ?le))
      FILTER NOT EXISTS { ?latest hksc:context ?x FILTER NOT EXISTS { ?later hksc:context ?x } }
      FILTER NOT EXISTS { ?later hksc:context ?x FILTER NOT EXISTS { ?latest hksc:context ?x } }
      FILTER NOT EXISTS { ?latest hksc:pillar ?y FILTER NOT EXISTS { ?later hksc:pillar ?y } }
      FILTER NOT EXISTS { ?later hksc:pillar ?y FILTER NOT EXISTS { ?latest hksc:pillar ?y } }
    }"""
    assert list(union.query(query)) == []


# ---- the cases the review found


def test_ranks_of_one_slide_that_names_no_ranking_give_no_latest_rank(union: Graph) -> None:
    """The January 2026 slide gives Hong Kong several global and Asia-Pacific ranks without naming
    the rankings: no one of them is Hong Kong's 'latest rank'."""
    linked = _latest(union, HK)
    for measure in (ID["measure/rank"], ID["measure/regional-rank"]):
        unnamed = [c for c in _observations(union, HK, measure) if (c, HKSC.context, None) not in union
                   and union.value(c, HKSC.statedIn) == ID["source/2026-01-20-slides"]]
        assert len({_value(union, c) for c in unnamed}) > 1, measure  # the case is still in the data
        assert not linked & set(unnamed)
    ranks = [c for c in linked if union.value(c, HKSC.measure) == ID["measure/rank"]]
    assert ranks, "ranks in named rankings keep a latest observation"
    # Two documents may give the same rank for the same month (both are linked): one value
    # per ranking, not one claim.
    values: dict[object, set[object]] = {}
    for c in ranks:
        values.setdefault(union.value(c, HKSC.context), set()).add(_value(union, c))
    assert all(len(v) == 1 for v in values.values()), "one latest rank per ranking"


@pytest.mark.parametrize("subject", [HK, ID["guideline/hk-genai-guideline"], ID["blueprint/it-blueprint"]],
                         ids=["hong-kong", "hk-genai-guideline", "it-blueprint"])
def test_bare_counts_get_no_latest_observation(union: Graph, subject: URIRef) -> None:
    counts = _observations(union, subject, ID["measure/count"])
    assert len({_value(union, c) for c in counts}) > 1  # counts of different things
    assert not _latest(union, subject) & set(counts)


def test_amounts_in_two_currencies_are_two_series(union: Graph) -> None:
    fps = ID["platform/fps"]
    amounts = _observations(union, fps, ID["measure/transaction-value"])
    units = {union.value(c, HKSC.unit) for c in amounts}
    assert {ID["unit/hkd"], ID["unit/rmb"]} <= units
    linked = _latest(union, fps) & set(amounts)
    assert {union.value(c, HKSC.unit) for c in linked} == units
    for unit in units:
        of_unit = [c for c in amounts if union.value(c, HKSC.unit) == unit]
        latest_end = max(_period(union, c)[1] for c in of_unit)
        assert {c for c in linked if union.value(c, HKSC.unit) == unit} == {
            c for c in of_unit if _period(union, c)[1] == latest_end}


def test_money_granted_and_injected_are_not_one_series(union: Graph) -> None:
    """The IT fund for the elderly: about HK$680 million granted as of April 2024 and HK$1
    billion injected in financial year 2024-25. One measure for both made the injection the
    fund's 'latest amount'; they are two measures, each with its own latest figure."""
    fund = ID["fund/it-fund-elderly"]
    grants = _observations(union, fund, ID["measure/grants-approved"])
    injected = _observations(union, fund, ID["measure/injection"])
    assert grants and injected and not _observations(union, fund, ID["measure/amount"])
    linked = _latest(union, fund)
    assert linked & set(grants) and linked & set(injected)


def test_claims_that_tie_with_one_value_are_all_linked(union: Graph) -> None:
    """The March 2026 slides give iAM Smart's online services twice ('about 1,400' and '1,400'):
    both are evidence of the current value, neither is picked over the other."""
    iam = ID["platform/iam-smart"]
    services = _observations(union, iam, ID["measure/online-services"])
    last = max(_period(union, c) for c in services)
    tied = {c for c in services if _period(union, c) == last}
    assert len(tied) > 1 and len({_value(union, c) for c in tied}) == 1
    assert _latest(union, iam) & set(services) == tied


# ---- real series across documents


@pytest.mark.parametrize("subject, measure", [
    ("platform/iam-smart", "registered-users"),
    ("platform/iam-smart", "daily-usage"),
    ("platform/data-gov-hk", "datasets"),
])
def test_a_series_across_documents_has_its_latest_figure(
    union: Graph, docs: dict[str, SourceDocument], subject: str, measure: str
) -> None:
    """The expected claim is read off the claims: the one whose period ends after every other
    one's, from the most recent document that gives the figure; for a cumulative measure it is
    also the largest figure."""
    s, m = ID[subject], ID[f"measure/{measure}"]
    series = _observations(union, s, m)
    assert len({union.value(c, HKSC.statedIn) for c in series}) >= 3
    by_end = sorted(series, key=lambda c: _period(union, c)[1])
    expected, before = by_end[-1], by_end[:-1]
    assert all(_period(union, c)[1] < _period(union, expected)[1] for c in before)
    newest = max((d for d in docs.values() if d.iri in {union.value(c, HKSC.statedIn) for c in series}),
                 key=lambda d: d.date.start)
    assert union.value(expected, HKSC.statedIn) == newest.iri
    if (m, HKSC.cumulative, Literal(True)) in union:
        assert _value(union, expected) == max(_value(union, c) for c in series)  # type: ignore[type-var]
    assert _latest(union, s) & set(series) == {expected}


# ---- dates of different precision (the real data has no such pair in one series)


def _observation(g: Graph, name: str, when: str, value: int) -> URIRef:
    c, period = ID[f"claim/test/{name}"], parse_date(when)
    for p, o in ((RDF.type, HKSC.Observation), (HKSC.about, ID["platform/test"]),
                 (HKSC.measure, ID["measure/registered-users"]), (HKSC.unit, ID["unit/count"]),
                 (HKSC.modality, ACHIEVED), (HKSC.value, Literal(value)),
                 (HKSC.refDate, Literal(period.start)), (HKSC.periodEnd, Literal(period.end)),
                 (HKSC.datePrecision, period.precision)):
        g.add((c, p, o))
    return c


@pytest.mark.parametrize("figures, expected", [
    # The last day of April is later than "April 2025" (it is its end).
    ([("month", "2025-04", 1), ("day", "2025-04-30", 2)], {"day"}),
    # Mid-April and "April 2025": neither is known to be later.
    ([("month", "2025-04", 1), ("day", "2025-04-15", 2)], set()),
    ([("month", "2025-04", 2), ("day", "2025-04-15", 2)], {"month", "day"}),
    # "2025" and 6 March 2025 are incomparable, a day of 2026 is later than both.
    ([("year", "2025", 1), ("day", "2025-03-06", 2)], set()),
    ([("year", "2025", 1), ("day", "2025-03-06", 2), ("next", "2026-01-01", 3)], {"next"}),
    # A year after a month of the year before.
    ([("month", "2024-07", 1), ("year", "2025", 2)], {"year"}),
    # Two figures for the same day that disagree: no pick.
    ([("a", "2025-04-30", 1), ("b", "2025-04-30", 2)], set()),
])
def test_dates_are_compared_across_precisions(figures: list[tuple[str, str, int]],
                                               expected: set[str]) -> None:
    g = Graph()
    made = {name: _observation(g, name, when, value) for name, when, value in figures}
    assert _latest(derive(g)) == {made[name] for name in expected}


FACTS = {ID["modality/achieved"], ID["modality/ongoing"]}


def test_truthy_triples_are_only_what_is_done_or_under_way(assembled: Assembled) -> None:
    """A derived ``s p o`` rests on a relation or listing claim stated as achieved or ongoing;
    a plan ("OGCIO will set up the CorpID platform", July 2024 paper) stays a claim only."""
    claims = _claims(assembled)
    derived = assembled.graphs[GRAPH_DERIVED]
    backed: set[tuple[Node, Node, Node]] = set()
    planned: set[tuple[Node, Node, Node]] = set()
    for c in claims.subjects(HKSC.claimPredicate, None):
        triple = (claims.value(c, HKSC.about), claims.value(c, HKSC.claimPredicate),
                  claims.value(c, HKSC.claimObject))
        (backed if claims.value(c, HKSC.modality) in FACTS else planned).add(triple)
    for c in claims.subjects(HKSC.listRole, None):
        for m in claims.objects(c, HKSC.member):
            triple = (claims.value(c, HKSC.about), claims.value(c, HKSC.listRole), m)
            (backed if claims.value(c, HKSC.modality) in FACTS else planned).add(triple)
    inverse = {(o, HKSC.hasPart if p == HKSC.partOf else HKSC.partOf, s)
               for s, p, o in backed if p in (HKSC.partOf, HKSC.hasPart)}
    relations = {t for t in derived if t[1] != HKSC.latestObservation}
    assert relations == backed | inverse
    only_planned = planned - backed
    assert (ID["org/ogcio"], HKSC.develops, ID["platform/corpid"]) in only_planned
    assert not relations & only_planned
