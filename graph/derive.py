"""Derived ("truthy") triples, computed from claims as Wikidata derives its truthy statements.

- ``subject predicate object`` for every RelationClaim (and ``subject role
  member`` for every listing member) that a document states as done or under
  way (modality achieved or ongoing), so simple questions need no claim
  pattern; the claims keep the provenance. A planned or targeted relation ("the
  OGCIO will set up CorpID") is no fact yet: it stays a claim only, as Wikidata's
  truthy statements keep only the best-ranked ones. ``hksc:partOf`` and its inverse
  ``hksc:hasPart`` are derived in both directions, so a question asked with
  either finds every part, whichever way the source (or curator) put it.
- ``subject hksc:latestObservation claim``: the "current value" of a series of
  figures, by the rules below.

Latest observation
------------------
*Candidates* are achieved observations with a number (``hksc:value``) that are
not rows of a parsed table (``hksc:rowLabel``, ``hksc:isTotal``: a row is a
breakdown of a table, not a statement about its subject as a whole). Figures
marked ``hksc:uncertain`` stay candidates (the flag is on the linked claim). A
claim with two values, units or dates is no candidate (no pick between them).

*Series*: candidates form one series when they share subject, measure, unit
(the currency is a unit: HK$ and RMB amounts are two series) and every
dimension that says *which* figure it is: ``hksc:context`` (the index,
blueprint or budget that frames it), ``hksc:pillar``, ``hksc:smartArea`` and
``hksc:technology`` (each compared as the set of its values, absent = empty).
The qualifier ("over", "about") and the document are not dimensions: "over
2.5 million" and "2.7 million" registered users are one series.

*Measures without a series*: ``measure/count`` ("a count of things the
verbatim wording names") never gets a latest observation: the measure does
not say what is counted, so two counts about one subject (directions and
objectives of a blueprint, universities and indicators of Hong Kong) are not
one figure over time, and a context does not change that. ``measure/rank``
and ``measure/regional-rank`` get one only with a ``hksc:context``: the
context names the ranking; ranks in rankings a source does not name are
positions in different, unknown lists, not a series.

*Order in time*: each observation refers to a period, ``hksc:refDate`` (its
first day) to ``hksc:periodEnd`` (its last day): one day for a day, a whole
month for "April 2025", a year for "2025" (``hksc:datePrecision`` says which;
comparing the bounds as ``xsd:date`` values makes precisions comparable).
Observation A is *later* than B when A's period neither starts nor ends
before B's and the two periods differ. So 2025-04-30 is later than "April
2025" (same last day, and it is the end of it), May 2025 is later than
2025-04-30, but "2025" and 2025-03-06 are incomparable (neither is known to
come after the other), and so are "2024-H2" and "September 2024".

*The latest*: the candidates of a series that no other candidate is later
than. If they all state the same value (compared as numbers, so 1400 and
1400.0 agree), each of them is linked: several claims that state the current
value (two documents, or two passages of one) are all evidence of it, and
linking all of them picks none arbitrarily. If they state different values
(two figures for one day, or an amount "in 2024" and another "as of April
2024", which are incomparable), the current value is ambiguous and
*nothing* is derived for that series: a pick would be arbitrary (formerly it
depended on set iteration order, hence on ``PYTHONHASHSEED``), and falling
back to an older figure would present a stale value as current. The claims
themselves remain, so a query over the claim pattern still sees every figure.
The result depends only on the set of triples, never on the order in which
they are read.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from graph.namespaces import HKSC, ID

_ACHIEVED = ID["modality/achieved"]
# Properties that say which figure an observation is; a series shares all of them.
_DIMENSIONS = (HKSC.context, HKSC.pillar, HKSC.smartArea, HKSC.technology)
# Measures whose observations are no series at all, and those that are one only within a context.
_NO_SERIES = frozenset({ID["measure/count"]})
_NEEDS_CONTEXT = frozenset({ID["measure/rank"], ID["measure/regional-rank"]})


def derive(claims: Graph) -> Graph:
    """Derived triples from a graph holding claims (records and tables)."""
    out = Graph()
    for c in claims.subjects(HKSC.claimPredicate, None):
        s, p, o = (claims.value(c, HKSC.about), claims.value(c, HKSC.claimPredicate),
                   claims.value(c, HKSC.claimObject))
        if s is not None and p is not None and o is not None and _is_fact(claims, c):
            out.add((s, p, o))
    for c in claims.subjects(HKSC.listRole, None):
        if not _is_fact(claims, c):
            continue
        s, p = claims.value(c, HKSC.about), claims.value(c, HKSC.listRole)
        for m in claims.objects(c, HKSC.member):
            if s is not None and p is not None:
                out.add((s, p, m))
    for part, whole in list(out.subject_objects(HKSC.partOf)):
        out.add((whole, HKSC.hasPart, part))
    for whole, part in list(out.subject_objects(HKSC.hasPart)):
        out.add((part, HKSC.partOf, whole))
    for subject, claim in latest_observations(claims):
        out.add((subject, HKSC.latestObservation, claim))
    return out


_FACT_MODALITIES = frozenset({ID["modality/achieved"], ID["modality/ongoing"]})


def _is_fact(claims: Graph, c: Node) -> bool:
    """The claim states something done or under way (not planned, targeted or expected)."""
    modality = claims.value(c, HKSC.modality)
    return modality is None or modality in _FACT_MODALITIES


def _dimensions(claims: Graph, c: Node) -> tuple[frozenset[Node], ...]:
    return tuple(frozenset(claims.objects(c, p)) for p in _DIMENSIONS)


def _later(a: tuple[date, date], b: tuple[date, date]) -> bool:
    """Period ``a`` (first day, last day) is later than ``b``: no bound earlier, not equal."""
    return a != b and a[0] >= b[0] and a[1] >= b[1]


def _one(claims: Graph, c: Node, p: URIRef) -> Node | None:
    """The object of ``c p``, or None when there is none or more than one (no arbitrary pick)."""
    found = set(claims.objects(c, p))
    return found.pop() if len(found) == 1 else None


def latest_observations(claims: Graph) -> set[tuple[URIRef, URIRef]]:
    """``(subject, claim)`` pairs: the latest observations of each series (see the module doc)."""
    series: dict[tuple[object, ...], list[tuple[tuple[date, date], object, URIRef]]] = defaultdict(list)
    for c in set(claims.subjects(HKSC.measure, None)):
        subject, measure = _one(claims, c, HKSC.about), _one(claims, c, HKSC.measure)
        value, units = _one(claims, c, HKSC.value), set(claims.objects(c, HKSC.unit))
        if len(units) > 1:
            continue  # two units: no pick (the gate refuses such a claim anyway)
        unit = units.pop() if units else None
        start, end = _one(claims, c, HKSC.refDate), _one(claims, c, HKSC.periodEnd)
        if not (isinstance(c, URIRef) and isinstance(subject, URIRef) and isinstance(value, Literal)):
            continue
        if measure is None or (c, HKSC.modality, _ACHIEVED) not in claims:
            continue
        if (c, HKSC.isTotal, None) in claims or (c, HKSC.rowLabel, None) in claims:
            continue
        if measure in _NO_SERIES or (measure in _NEEDS_CONTEXT and (c, HKSC.context, None) not in claims):
            continue
        if not (isinstance(start, Literal) and isinstance(end, Literal)):
            continue
        period = (start.toPython(), end.toPython())
        if not (isinstance(period[0], date) and isinstance(period[1], date)):
            continue
        # toPython() compares numbers as numbers: 1400 (xsd:integer) equals 1400.0 (xsd:decimal).
        series[(subject, measure, unit, *_dimensions(claims, c))].append((period, value.toPython(), c))
    found: set[tuple[URIRef, URIRef]] = set()
    for key, members in series.items():
        about = key[0]
        assert isinstance(about, URIRef)
        latest = [m for m in members if not any(_later(o[0], m[0]) for o in members)]
        if len({value for _period, value, _c in latest}) == 1:
            found.update((about, c) for _period, _value, c in latest)
    return found
