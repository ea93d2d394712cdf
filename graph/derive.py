"""Derived ("truthy") triples, computed from claims as Wikidata derives its truthy statements.

- ``subject predicate object`` for every RelationClaim (and ``subject role
  member`` for every listing member), so simple questions need no claim
  pattern; the claims keep the provenance. ``hksc:partOf`` and its inverse
  ``hksc:hasPart`` are derived in both directions, so a question asked with
  either finds every part, whichever way the source (or curator) put it.
- ``subject hksc:latestObservation claim`` for the achieved observation with
  the latest reference date per subject and measure.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rdflib import Graph, URIRef

from graph.namespaces import HKSC, ID

_ACHIEVED = ID["modality/achieved"]


def derive(claims: Graph) -> Graph:
    """Derived triples from a graph holding claims (records and tables)."""
    out = Graph()
    for c in claims.subjects(HKSC.claimPredicate, None):
        s, p, o = (claims.value(c, HKSC.about), claims.value(c, HKSC.claimPredicate),
                   claims.value(c, HKSC.claimObject))
        if s is not None and p is not None and o is not None:
            out.add((s, p, o))
    for c in claims.subjects(HKSC.listRole, None):
        s, p = claims.value(c, HKSC.about), claims.value(c, HKSC.listRole)
        for m in claims.objects(c, HKSC.member):
            if s is not None and p is not None:
                out.add((s, p, m))
    for part, whole in list(out.subject_objects(HKSC.partOf)):
        out.add((whole, HKSC.hasPart, part))
    for whole, part in list(out.subject_objects(HKSC.hasPart)):
        out.add((part, HKSC.partOf, whole))
    latest: dict[tuple[Any, Any], tuple[str, str, URIRef]] = {}
    groups: dict[tuple[Any, Any], list[URIRef]] = defaultdict(list)
    for c in claims.subjects(HKSC.measure, None):
        if claims.value(c, HKSC.modality) != _ACHIEVED or claims.value(c, HKSC.value) is None:
            continue
        if claims.value(c, HKSC.isTotal) is not None or claims.value(c, HKSC.rowLabel) is not None:
            continue
        key = (claims.value(c, HKSC.about), claims.value(c, HKSC.measure))
        groups[key].append(c)  # type: ignore[arg-type]
        stamp = (str(claims.value(c, HKSC.periodEnd)), str(claims.value(c, HKSC.statedIn)), c)
        if key not in latest or stamp[:2] > latest[key][:2]:
            latest[key] = stamp  # type: ignore[assignment]
    for (subject, _measure), (_d, _doc, claim) in latest.items():
        if subject is not None:
            out.add((subject, HKSC.latestObservation, claim))
    return out
