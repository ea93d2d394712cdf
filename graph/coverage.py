"""``hkkg coverage``: how much of each source document the records account for.

Computed from the assembled graphs (``graph.build.assemble``), not from the
published store, so it always reflects the records on disk and needs no
build first. Two figures per document and overall:

Passages
    A passage is covered when some claim is derived from it
    (``prov:wasDerivedFrom``: records, tables), when it mentions an entity
    (``hksc:mentions``), or when a not-a-fact entry names the whole passage.

Numbers
    A number is a run of digits in the normalised text of a line
    (``loaders.text.normalise``), with thousands groups ("3 250", "15,000"),
    decimals ("14.7", "2023.10.25"), an ordinal suffix ("20th", "2nd") or a
    magnitude suffix ("$500M"). Not numbers: digits glued to letters ("5G",
    "HKGAI V1"), digits in web addresses (``www...``, ``http...``,
    ``...gov.hk``) and in ISO/IEC standard identifiers ("ISO/IEC
    27001:2022"); footnote markers are removed by normalisation. Years count
    as numbers. The number that opens a LegCo paragraph ("10.") is the
    paragraph's key, not a figure, and is skipped.

    A number is accounted for when a claim derived from the same passage has
    it in its quote or ``verbatim`` (as a whole number: "20" is not in
    "2020"), when its digits equal a claim's ``value``, when it is the year of
    a claim's explicit date, or when a not-a-fact entry on that passage
    contains it (or names the whole passage).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import PROV, RDF

from graph.errors import BuildError
from graph.namespaces import HKSC, OA
from graph.settings import Settings
from loaders.documents import SourceDocument
from loaders.text import normalise

_EXCLUDED = [
    re.compile(r"https?://\S+"),
    re.compile(r"\bwww\.\S+"),
    re.compile(r"\b[\w.-]+\.gov\.hk\S*"),
    re.compile(r"\bISO(?:/IEC)?\s+\d+(?::\d+)?"),
]
_NUMBER = re.compile(
    r"(?<!\w)(?:\d{1,3}(?:[ ,]\d{3}(?!\d))+|\d+)(?:\.\d+)*(?:st|nd|rd|th|bn|[KMB])?(?!\w)"
)
_PARA_NUMBER = re.compile(r"^\W*\d{1,3}\.(?=\s)")
_SUFFIX = re.compile(r"(st|nd|rd|th|bn|[KMB])$")


def numbers_in(text: str) -> list[str]:
    """The numbers of a line or passage, as written (normalised), in order."""
    t = normalise(text)
    for rx in _EXCLUDED:
        t = rx.sub(lambda m: " " * len(m.group(0)), t)
    return [m.group(0) for m in _NUMBER.finditer(t)]


def _bare(number: str) -> str:
    """The number without an ordinal or magnitude suffix: '20th' -> '20'."""
    return _SUFFIX.sub("", number)


def _digits(number: str) -> str:
    return re.sub(r"[^\d.]", "", _bare(number))


def _contains(text: str, number: str) -> bool:
    bare = re.escape(_bare(number))
    return re.search(rf"(?<![\d.,]){bare}(?![\d]|[.,]\d)", text) is not None


@dataclass
class _Evidence:
    """What the graphs say about one passage."""

    claims: int = 0
    mentions: int = 0
    texts: list[str] = field(default_factory=list)  # quotes and verbatims
    values: set[str] = field(default_factory=set)
    years: set[str] = field(default_factory=set)
    ignored: list[str] = field(default_factory=list)  # not-a-fact texts, normalised


@dataclass
class NumberGap:
    passage: str
    line: int
    number: str
    context: str


@dataclass
class DocumentCoverage:
    doc_id: str
    passages: int = 0
    passages_covered: int = 0
    numbers: int = 0
    numbers_accounted: int = 0
    uncovered_passages: list[dict[str, Any]] = field(default_factory=list)
    unaccounted_numbers: list[NumberGap] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "document": self.doc_id,
            "passages": self.passages,
            "passages_covered": self.passages_covered,
            "passage_coverage": _pct(self.passages_covered, self.passages),
            "numbers": self.numbers,
            "numbers_accounted": self.numbers_accounted,
            "number_coverage": _pct(self.numbers_accounted, self.numbers),
            "uncovered_passages": self.uncovered_passages,
            "unaccounted_numbers": [n.__dict__ for n in self.unaccounted_numbers],
        }


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0


def _evidence(graph: Graph) -> dict[URIRef, _Evidence]:
    out: dict[URIRef, _Evidence] = {}

    def ev(p: Any) -> _Evidence:
        return out.setdefault(p, _Evidence())

    for passage, _ in graph.subject_objects(HKSC.mentions):
        ev(passage).mentions += 1
    for node, passage in graph.subject_objects(PROV.wasDerivedFrom):
        e = ev(passage)
        if (node, RDF.type, HKSC.NotAFact) in graph:
            e.ignored.extend(normalise(str(t)) for t in graph.objects(node, HKSC.verbatim))
            continue
        e.claims += 1
        for v in graph.objects(node, HKSC.verbatim):
            e.texts.append(normalise(str(v)))
        for target in graph.objects(node, HKSC.evidence):
            for sel in graph.objects(target, OA.hasSelector):
                for exact in graph.objects(sel, OA.exact):
                    e.texts.append(normalise(str(exact)))
        for v in graph.objects(node, HKSC.value):
            e.values.add(str(v))
        if all(str(x) == "false" for x in graph.objects(node, HKSC.dateFromDocument)):
            for d in graph.objects(node, HKSC.refDate):
                e.years.add(str(d)[:4])
    return out


def _block_lines(doc: SourceDocument, key: str) -> Iterable[tuple[int, str]]:
    """(line number, raw line) of a passage's own blocks, skipping interleaved footnotes."""
    passage = doc.passages[key]
    raw = doc.file.read_text(encoding="utf-8").split("\n")
    cursor = passage.line_start - 1
    for block in passage.blocks:
        lines = block.split("\n")
        for i in range(cursor, passage.line_end):
            if raw[i:i + len(lines)] == lines:
                for j, text in enumerate(lines):
                    yield i + j + 1, text
                cursor = i + len(lines)
                break


def _accounted(number: str, e: _Evidence) -> bool:
    if any(_contains(t, number) for t in e.texts + e.ignored):
        return True
    digits = _digits(number)
    if digits and any(digits == v for v in e.values):
        return True
    return len(digits) == 4 and digits in e.years


def document_coverage(doc: SourceDocument, graph: Graph,
                      evidence: dict[URIRef, _Evidence] | None = None) -> DocumentCoverage:
    """Coverage of one document against the assembled graph."""
    evidence = _evidence(graph) if evidence is None else evidence
    cov = DocumentCoverage(doc.doc_id)
    for key, passage in doc.passages.items():
        e = evidence.get(doc.passage_iri(key), _Evidence())
        whole = doc.normalised[key] in e.ignored
        cov.passages += 1
        if e.claims or e.mentions or whole:
            cov.passages_covered += 1
        else:
            cov.uncovered_passages.append({
                "passage": key, "lines": f"{passage.line_start}-{passage.line_end}",
                "text": doc.normalised[key][:100]})
        for line_no, line in _block_lines(doc, key):
            if passage.kind == "paragraph" and line_no == passage.line_start:
                line = _PARA_NUMBER.sub("", line, count=1)
            for number in numbers_in(line):
                cov.numbers += 1
                if whole or _accounted(number, e):
                    cov.numbers_accounted += 1
                else:
                    cov.unaccounted_numbers.append(
                        NumberGap(key, line_no, number, normalise(line)[:100]))
    return cov


def coverage(docs: dict[str, SourceDocument], graph: Graph,
             only: str | None = None) -> list[DocumentCoverage]:
    evidence = _evidence(graph)
    return [document_coverage(d, graph, evidence) for d in docs.values()
            if only is None or d.doc_id == only]


def _overall(results: list[DocumentCoverage]) -> DocumentCoverage:
    total = DocumentCoverage("overall")
    for r in results:
        total.passages += r.passages
        total.passages_covered += r.passages_covered
        total.numbers += r.numbers
        total.numbers_accounted += r.numbers_accounted
    return total


def format_text(results: list[DocumentCoverage]) -> str:
    out: list[str] = []
    for r in [*results, _overall(results)]:
        out.append(f"{r.doc_id}: passages {r.passages_covered}/{r.passages} covered "
                   f"({_pct(r.passages_covered, r.passages)}%), numbers "
                   f"{r.numbers_accounted}/{r.numbers} accounted for "
                   f"({_pct(r.numbers_accounted, r.numbers)}%)")
        for p in r.uncovered_passages:
            out.append(f"  passage {p['passage']} (lines {p['lines']}) has no claim or mention: "
                       f"{p['text']}")
        for n in r.unaccounted_numbers:
            out.append(f"  number {n.number!r} in passage {n.passage}, line {n.line}: {n.context}")
    return "\n".join(out)


def run_coverage(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point of ``hkkg coverage``; 0 on success, 2 on bad input or usage."""
    from graph.build import assemble

    try:
        assembled = assemble(settings, progress=lambda _m: None)
    except BuildError as exc:
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        return 2
    from loaders.documents import read_manifest

    docs = read_manifest(settings.records_dir, settings.sources_dir)
    only = getattr(args, "document", None)
    if only and only not in docs:
        print(f"unknown document {only!r}; expected one of {sorted(docs)}", file=sys.stderr)
        return 2
    results = coverage(docs, assembled.union(), only)
    if getattr(args, "format", "text") == "json":
        data = {"documents": [r.as_dict() for r in results],
                "overall": _overall(results).as_dict()}
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(format_text(results))
    return 0
