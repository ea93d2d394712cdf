"""Mentions loader: link each passage to the entities it names.

An entity is found by any of its labels and abbreviations, in English or
Traditional Chinese. Abbreviations ("DPO", "CDEG") match case-sensitively
as whole words, other English labels case-insensitively as whole words,
Chinese labels as substrings. Entities marked ``mentionable: false`` (labels
too generic to find by text) are skipped.

The longest match wins: a match that lies inside the match of a longer label of
another entity does not count, so "Office of the Government Chief Information
Officer" names the office (org/ogcio), not the officer (role/gcio), and "Smart
City Blueprint for Hong Kong 2.0" names Blueprint 2.0, not the 2017 blueprint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import Graph, URIRef

from graph.namespaces import HKSC
from loaders.documents import SourceDocument
from loaders.records import RecordSet
from loaders.text import normalise


def _pattern(label: str) -> re.Pattern[str]:
    text = normalise(label)
    is_abbreviation = " " not in text and any(c.isupper() for c in text[1:]) and len(text) <= 12
    body = re.escape(text)
    if any("\u4e00" <= c <= "\u9fff" for c in text):
        return re.compile(body)
    flags = 0 if is_abbreviation else re.IGNORECASE
    # Whole words: no letter, digit or hyphen either side ("e-Government" does not
    # name "Government").
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", flags)


Match = tuple[int, int, URIRef]  # start and end in the normalised passage text, entity


def label_matches(text: str, patterns: Iterable[tuple[URIRef, re.Pattern[str]]]) -> list[Match]:
    """Every match of every label in ``text`` (normalised): ``(start, end, entity)``."""
    return [(m.start(), m.end(), iri) for iri, pat in patterns for m in pat.finditer(text)]


def longest_matches(matches: list[Match]) -> list[Match]:
    """The matches that do not lie inside a longer match of another entity."""
    return [
        (s, e, iri) for s, e, iri in matches
        if not any(s2 <= s and e <= e2 and e2 - s2 > e - s and iri2 != iri for s2, e2, iri2 in matches)
    ]


def load_mentions(docs: dict[str, SourceDocument], records: RecordSet) -> Graph:
    """A graph of ``passage hksc:mentions entity`` triples."""
    graph = Graph()
    patterns = [
        (ent.iri, pat)
        for ent in records.entities.values()
        if ent.mentionable
        for pat in (_pattern(label) for label in ent.labels_en + ent.labels_zh)
    ]
    for doc in docs.values():
        for key, text in doc.normalised.items():
            p = doc.passage_iri(key)
            for _, _, iri in longest_matches(label_matches(text, patterns)):
                graph.add((p, HKSC.mentions, iri))
    return graph
