"""Documents loader: each source file becomes a document and its passages.

The manifest ``records/documents.yaml`` names each file with its title,
date, issuers and kind; the text itself is read unchanged from ``sources/``
and cut into passages by ``loaders.passages``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from graph.errors import BuildError, InputProblem
from graph.namespaces import HKSC, ID
from loaders.dates import PreciseDate, parse_date
from loaders.passages import SEGMENTERS, Passage
from loaders.text import normalise
from loaders.yamlio import LINE, load_yaml

MANIFEST = "documents.yaml"


@dataclass
class SourceDocument:
    """A source document with its passages, ready for quote checks."""

    doc_id: str
    file: Path
    title: str
    date: PreciseDate
    kind: str
    issuers: list[str]
    sha256: str
    passages: dict[str, Passage] = field(default_factory=dict)
    normalised: dict[str, str] = field(default_factory=dict)

    @property
    def iri(self) -> URIRef:
        return ID[f"source/{self.doc_id}"]

    def passage_iri(self, key: str) -> URIRef:
        return ID[f"source/{self.doc_id}/p/{key}"]


def read_manifest(records_dir: Path, sources_dir: Path) -> dict[str, SourceDocument]:
    """Read and check the manifest; every problem is reported with file and line."""
    path = records_dir / MANIFEST
    if not path.exists():
        raise BuildError(InputProblem(path, None, "document manifest missing"))
    data = load_yaml(path)
    problems: list[InputProblem] = []
    docs: dict[str, SourceDocument] = {}
    entries = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise BuildError(InputProblem(path, 1, "expected a mapping with a 'documents' list"))
    for entry in entries:
        line = entry.get(LINE) if isinstance(entry, dict) else None
        try:
            doc = _document(entry, sources_dir)
        except (KeyError, ValueError, OSError) as exc:
            problems.append(InputProblem(path, line, str(exc).strip("'\"")))
            continue
        if doc.doc_id in docs:
            problems.append(InputProblem(path, line, f"duplicate document id {doc.doc_id!r}"))
            continue
        docs[doc.doc_id] = doc
    if problems:
        raise BuildError(problems)
    return docs


def _document(entry: Any, sources_dir: Path) -> SourceDocument:
    if not isinstance(entry, dict):
        raise ValueError("expected a mapping for each document")
    for key in ("id", "file", "title", "date", "kind"):
        if key not in entry:
            raise ValueError(f"document is missing required key {key!r}")
    kind = entry["kind"]
    if kind not in SEGMENTERS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {sorted(SEGMENTERS)}")
    file = sources_dir / entry["file"]
    if not file.exists():
        raise ValueError(f"source file not found: {entry['file']} (in sources/)")
    raw = file.read_bytes()
    text = raw.decode("utf-8")
    doc = SourceDocument(
        doc_id=str(entry["id"]),
        file=file,
        title=str(entry["title"]),
        date=parse_date(str(entry["date"])),
        kind=kind,
        issuers=[str(i) for i in entry.get("issuers", [])],
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    for passage in SEGMENTERS[kind](text):
        doc.passages[passage.key] = passage
        doc.normalised[passage.key] = normalise(passage.text)
    return doc


def document_triples(docs: dict[str, SourceDocument], graph: Graph) -> None:
    """Add documents and passages to ``graph``."""
    for doc in docs.values():
        d = doc.iri
        graph.add((d, RDF.type, HKSC.SourceDocument))
        graph.add((d, DCTERMS.title, Literal(doc.title, lang="en")))
        graph.add((d, RDFS.label, Literal(doc.title, lang="en")))
        # Like every named thing, so that /id/ lists it and /search finds it by its title.
        graph.add((d, SKOS.prefLabel, Literal(doc.title, lang="en")))
        graph.add((d, DCTERMS.issued, Literal(doc.date.start, datatype=XSD.date)))
        graph.add((d, HKSC.datePrecision, doc.date.precision))
        graph.add((d, HKSC.documentKind, Literal(doc.kind)))
        graph.add((d, HKSC.sourceFile, Literal(doc.file.name)))
        graph.add((d, HKSC.sha256, Literal(doc.sha256)))
        graph.add((d, DCTERMS.identifier, Literal(doc.doc_id)))
        for issuer in doc.issuers:
            graph.add((d, DCTERMS.publisher, ID[issuer]))
        for seq, passage in enumerate(doc.passages.values(), start=1):
            p = doc.passage_iri(passage.key)
            graph.add((p, RDF.type, HKSC.Passage))
            graph.add((p, DCTERMS.isPartOf, d))
            graph.add((p, RDFS.label, Literal(f"{doc.doc_id}, {passage.label}", lang="en")))
            graph.add((p, HKSC.passageKey, Literal(passage.key)))
            graph.add((p, HKSC.passageKind, Literal(passage.kind)))
            graph.add((p, HKSC.text, Literal(passage.text)))
            graph.add((p, HKSC.lineStart, Literal(passage.line_start)))
            graph.add((p, HKSC.lineEnd, Literal(passage.line_end)))
            graph.add((p, HKSC.sequence, Literal(seq)))
            if passage.heading:
                graph.add((p, HKSC.heading, Literal(passage.heading)))
            graph.add((p, PROV.wasDerivedFrom, d))
