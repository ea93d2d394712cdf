"""Mentions (loaders/mentions.py) on the real graph: the longest name wins.

A name inside a longer name of another entity is not a mention of the shorter one:
"Office of the Government Chief Information Officer" names the office, not the
officer; "Smart City Blueprint for Hong Kong 2.0" names Blueprint 2.0, not the 2017
blueprint; "automated parking system at the Hong Kong-Zhuhai-Macao Bridge Hong Kong
Port Island" names that initiative, not the "Automated Parking System" of the January
2026 Smart Mobility list.
"""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from graph.build import Assembled
from graph.namespaces import GRAPH_MENTIONS, HKSC, ID
from loaders.documents import SourceDocument
from loaders.text import normalise

JUL24 = "2024-07-12-legco-paper"
FEB24 = "2024-02-20-slides"
JAN26 = "2026-01-20-slides"


@pytest.fixture(scope="module")
def mentions(assembled: Assembled) -> Graph:
    return assembled.graphs[GRAPH_MENTIONS]


def _passage(doc: str, key: str) -> URIRef:
    return ID[f"source/{doc}/p/{key}"]


def _mentioned_by(mentions: Graph, entity: str) -> set[str]:
    return {str(p).split("/source/", 1)[1] for p in mentions.subjects(HKSC.mentions, ID[entity])}


@pytest.mark.parametrize(("doc", "key"), [(JUL24, "11"), (JUL24, "l132"), (FEB24, "l5"), (FEB24, "l240")])
def test_the_office_of_the_gcio_is_not_the_gcio(mentions: Graph, docs: dict[str, SourceDocument],
                                                doc: str, key: str) -> None:
    assert "Office of the Government Chief Information Officer" in docs[doc].normalised[key]
    assert (_passage(doc, key), HKSC.mentions, ID["org/ogcio"]) in mentions
    assert (_passage(doc, key), HKSC.mentions, ID["role/gcio"]) not in mentions


def test_the_gcio_is_still_mentioned_where_named(mentions: Graph, docs: dict[str, SourceDocument]) -> None:
    found = _mentioned_by(mentions, "role/gcio")
    assert found, "the officer is named on its own somewhere"
    for where in found:
        doc, key = where.split("/p/")
        text = docs[doc].normalised[key].replace("Office of the Government Chief Information Officer", "")
        assert "Government Chief Information Officer" in text, where


@pytest.mark.parametrize("key", ["l138", "l143"])
def test_blueprint_2_is_not_the_2017_blueprint(mentions: Graph, docs: dict[str, SourceDocument],
                                               key: str) -> None:
    assert "Smart City Blueprint for Hong Kong 2.0" in docs[JUL24].normalised[key]
    assert (_passage(JUL24, key), HKSC.mentions, ID["blueprint/smart-city-blueprint-2"]) in mentions
    assert (_passage(JUL24, key), HKSC.mentions, ID["blueprint/smart-city-blueprint"]) not in mentions


def test_the_2017_blueprint_is_still_mentioned_where_named(mentions: Graph,
                                                            docs: dict[str, SourceDocument]) -> None:
    found = _mentioned_by(mentions, "blueprint/smart-city-blueprint")
    assert f"{JUL24}/p/l14" in found or f"{JUL24}/p/2" in found
    for where in found:
        doc, key = where.split("/p/")
        named = re.search(r"Smart City Blueprint for Hong Kong(?! 2\.0)", docs[doc].normalised[key], re.I)
        assert named, where


def test_the_hzmb_parking_system_is_not_the_listed_automated_parking_system(
        mentions: Graph, docs: dict[str, SourceDocument]) -> None:
    hzmb = _passage(JUL24, "l156")
    assert "automated parking system at the Hong Kong-Zhuhai-Macao Bridge" in docs[JUL24].normalised["l156"]
    assert (hzmb, HKSC.mentions, ID["initiative/automated-parking-system"]) not in mentions
    assert (hzmb, HKSC.mentions, ID["initiative/hzmb-automated-parking"]) in mentions
    # The Smart Mobility list of January 2026 (line 405) still names the listed item.
    [listed] = [k for k, p in docs[JAN26].passages.items() if p.line_start <= 405 <= p.line_end]
    assert (_passage(JAN26, listed), HKSC.mentions, ID["initiative/automated-parking-system"]) in mentions


def _occurrences(text: str, label: str) -> list[tuple[int, int]]:
    """Where ``label`` occurs in ``text`` as whole words (the rules of docs/records.md)."""
    label = normalise(label)
    if any("\u4e00" <= c <= "\u9fff" for c in label):
        hay, needle = text, label
    elif " " not in label and any(c.isupper() for c in label[1:]) and len(label) <= 12:
        hay, needle = text, label  # an abbreviation: letter case counts
    else:
        hay, needle = text.casefold(), label.casefold()
    out, i = [], hay.find(needle)
    while i >= 0:
        j = i + len(needle)
        cjk = any("\u4e00" <= c <= "\u9fff" for c in needle)
        before_ok = cjk or i == 0 or not (hay[i - 1].isalnum() or hay[i - 1] in "_-")
        after_ok = cjk or j == len(hay) or not (hay[j].isalnum() or hay[j] in "_-")
        if before_ok and after_ok:
            out.append((i, j))
        i = hay.find(needle, i + 1)
    return out


def test_no_mention_lies_only_inside_a_longer_name(mentions: Graph, union: Graph,
                                                   docs: dict[str, SourceDocument]) -> None:
    """Every mention has an occurrence of one of the entity's labels, as whole words, that
    is not inside a longer occurrence of a label of another entity the passage mentions
    (a longer match always survives as a mention, so looking at those suffices)."""
    labels: dict[Node, list[str]] = {}
    for prop in (SKOS.prefLabel, SKOS.altLabel):
        for entity, label in union.subject_objects(prop):
            labels.setdefault(entity, []).append(str(label))
    keys = {doc.passage_iri(key): (doc, key) for doc in docs.values() for key in doc.passages}
    bad: list[str] = []
    checked = 0
    for passage in set(mentions.subjects(HKSC.mentions, None)):
        doc, key = keys[passage]  # type: ignore[index]
        text = doc.normalised[key]
        found = {e: [o for lab in labels.get(e, []) for o in _occurrences(text, lab)]
                 for e in mentions.objects(passage, HKSC.mentions)}
        for entity, spans in found.items():
            checked += 1
            longer = [(s2, e2) for other, others in found.items() if other != entity for s2, e2 in others]
            free = [(s, e) for s, e in spans
                    if not any(s2 <= s and e <= e2 and e2 - s2 > e - s for s2, e2 in longer)]
            if not free:
                bad.append(f"{doc.doc_id}/p/{key} {entity}: {[text[s:e] for s, e in spans]}")
    assert checked > 400
    assert bad == []
