"""Mentions loader: link each passage to the entities it names.

An entity is found by any of its labels and abbreviations, in English or
Traditional Chinese. Abbreviations ("DPO", "CDEG") match case-sensitively
as whole words, other English labels case-insensitively as whole words,
Chinese labels as substrings. Entities marked ``mentionable: false`` (labels
too generic to find by text) are skipped.
"""

from __future__ import annotations

import re

from rdflib import Graph

from graph.namespaces import HKSC
from loaders.documents import SourceDocument
from loaders.records import RecordSet


def _pattern(label: str) -> re.Pattern[str]:
    from loaders.text import normalise

    text = normalise(label)
    is_abbreviation = " " not in text and any(c.isupper() for c in text[1:]) and len(text) <= 12
    body = re.escape(text)
    if any("\u4e00" <= c <= "\u9fff" for c in text):
        return re.compile(body)
    flags = 0 if is_abbreviation else re.IGNORECASE
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", flags)


def load_mentions(docs: dict[str, SourceDocument], records: RecordSet) -> Graph:
    """A graph of ``passage hksc:mentions entity`` triples."""
    graph = Graph()
    patterns = [
        (ent.iri, [_pattern(label) for label in ent.labels_en + ent.labels_zh])
        for ent in records.entities.values()
        if ent.mentionable
    ]
    for doc in docs.values():
        for key, text in doc.normalised.items():
            p = doc.passage_iri(key)
            for iri, pats in patterns:
                if any(pat.search(text) for pat in pats):
                    graph.add((p, HKSC.mentions, iri))
    return graph
