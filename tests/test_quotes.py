"""Quotes as Web Annotation selectors: oa:exact is the exact text of the passage.

A curator types a quote as a reader sees it; the build checks it against the passage
after normalising (loaders/text.py) and stores as oa:exact the span of the passage's
hksc:text (the source lines, markup included) that reads as the quote, so a client
finds it in that text (with oa:prefix and oa:suffix where the words occur twice).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import DATA_DIR, data_copy
from rdflib import Graph, URIRef

from graph.build import assemble
from graph.errors import BuildError
from graph.namespaces import HKSC, ID, OA
from graph.settings import Settings
from loaders.documents import SourceDocument, read_manifest
from loaders.records import add_evidence
from loaders.text import locate, normalise, normalise_map
from loaders.yamlio import LINE, load_yaml


def _selectors(union: Graph) -> list[tuple[URIRef, URIRef, URIRef]]:
    """(claim, passage, selector) of every claim's evidence."""
    out = []
    for claim, target in union.subject_objects(HKSC.evidence):
        passage = union.value(target, OA.hasSource)
        for selector in union.objects(target, OA.hasSelector):
            out.append((claim, passage, selector))
    return out  # type: ignore[return-value]


def test_every_exact_is_in_its_passage_text(union: Graph) -> None:
    selectors = _selectors(union)
    assert len(selectors) > 550  # records and tables
    bad = []
    for claim, passage, selector in selectors:
        text = str(union.value(passage, HKSC.text))
        exact = str(union.value(selector, OA.exact))
        prefix = union.value(selector, OA.prefix)
        suffix = union.value(selector, OA.suffix)
        if text.count(exact) == 1:
            if prefix is not None or suffix is not None:
                bad.append(f"{claim}: prefix or suffix for a quote found once")
            continue
        # The same words twice in the passage: prefix and suffix, the characters right
        # before and after the quote (absent only at the start or end), tell which.
        anchored = f"{prefix or ''}{exact}{suffix or ''}"
        at = text.find(anchored)
        if at < 0 or (prefix is None and at != 0) or (suffix is None and at + len(anchored) != len(text)):
            bad.append(f"{claim}: {exact[:80]!r} not anchored by {prefix!r} and {suffix!r}")
    assert bad == []


def _record_claims() -> list[tuple[str, int, URIRef, str]]:
    """(file, line, claim IRI, quote as typed) of every claim record."""
    out = []
    for path in sorted((DATA_DIR / "records" / "claims").glob("*.yaml")):
        data = load_yaml(path)
        for rec in data["claims"]:
            out.append((path.name, rec[LINE], ID[f"claim/{data['document']}/{rec['id']}"], str(rec["quote"])))
    return out


def test_exact_reads_as_the_curators_quote(union: Graph) -> None:
    records = _record_claims()
    assert len(records) > 450
    bad = []
    differs = 0
    for file, line, claim, quote in records:
        exacts = [str(union.value(s, OA.exact)) for t in union.objects(claim, HKSC.evidence)
                  for s in union.objects(t, OA.hasSelector)]
        if len(exacts) != 1 or normalise(exacts[0]) != normalise(quote):
            bad.append(f"{file}:{line}: {quote[:60]!r} -> {exacts}")
        elif exacts[0] != quote:
            differs += 1
    assert bad == []
    assert differs > 100  # whitespace, markup, curly quotes and backslashes the curators left out


def test_curly_quotes_come_from_the_source(union: Graph, docs: dict[str, SourceDocument]) -> None:
    """The curator typed straight quotes; the slides print curly ones (line 381)."""
    claim = ID["claim/2024-02-20-slides/iam-smart-gd-uiap"]
    [exact] = [str(union.value(s, OA.exact)) for t in union.objects(claim, HKSC.evidence)
               for s in union.objects(t, OA.hasSelector)]
    name = "“Unified Identity Authentication Platform of Guangdong Province”"
    assert exact.startswith("through iAM Smart") and exact.endswith(name)
    source = docs["2024-02-20-slides"].file.read_text(encoding="utf-8")
    assert name in source.split("\n")[380] and exact in source


def test_normalise_map_agrees_with_normalise(docs: dict[str, SourceDocument]) -> None:
    for doc in docs.values():
        for key, passage in doc.passages.items():
            norm, spans = normalise_map(passage.text)
            assert norm == doc.normalised[key]
            assert len(spans) == len(norm)
            assert all(a < b <= c for (a, b), (c, _) in zip(spans, spans[1:], strict=False))


@pytest.mark.parametrize(("text", "quote", "exact"), [
    ("- Over **2.5 million** users\n- next", "Over 2.5 million users", "Over **2.5 million** users"),
    ("a **bold** word", "bold word", "**bold** word"),
    ("the “iAM   Smart”\nplatform", 'the "iAM Smart" platform', "the “iAM   Smart”\nplatform"),
    ("Set aside HK\\$1 billion.", "HK$1 billion", "HK\\$1 billion"),
    ("see [the portal](https://x.gov.hk/a) now", "see the portal now",
     "see [the portal](https://x.gov.hk/a) now"),
    ("see [the portal](https://x.gov.hk/a) now", "the por", "the por"),
    ("users<sup>3</sup>. More", "users. More", "users<sup>3</sup>. More"),
    ("# Heading\n\nText", "Heading Text", "Heading\n\nText"),
])
def test_locate_maps_the_normalised_match_back(text: str, quote: str, exact: str) -> None:
    span = locate(text, quote)
    assert span is not None
    assert text[span[0]:span[1]] == exact
    assert normalise(exact) == normalise(quote)


def test_words_found_twice_get_a_prefix_and_a_suffix(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "records").mkdir()
    (tmp_path / "sources" / "tiny.txt").write_text(
        "# Users\n\nWe have **2 users** now. They are 2 users, no more.\n", encoding="utf-8")
    (tmp_path / "records" / "documents.yaml").write_text(
        "documents:\n  - {id: tiny, file: tiny.txt, title: Tiny, date: 2024-01-01, kind: slides}\n",
        encoding="utf-8")
    doc = read_manifest(tmp_path / "records", tmp_path / "sources")["tiny"]
    g = Graph()
    once, twice = ID["claim/tiny/once"], ID["claim/tiny/twice"]
    add_evidence(g, once, doc, "l1", "We have 2 users now")
    add_evidence(g, twice, doc, "l1", "2 users")
    selector = g.value(g.value(once, HKSC.evidence), OA.hasSelector)
    assert str(g.value(selector, OA.exact)) == "We have **2 users** now"
    assert g.value(selector, OA.prefix) is None and g.value(selector, OA.suffix) is None
    selector = g.value(g.value(twice, HKSC.evidence), OA.hasSelector)
    assert str(g.value(selector, OA.exact)) == "2 users"
    assert str(g.value(selector, OA.prefix)) == "# Users\n\nWe have **"
    assert str(g.value(selector, OA.suffix)) == "** now. They are 2 users, no mor"


def test_locate_misses() -> None:
    assert locate("some text", "other") is None
    assert locate("some text", "**") is None  # nothing left to anchor


def test_an_unmappable_quote_stops_the_build_with_file_and_line(tmp_path: Path) -> None:
    """A quote that is only markup is "in" every passage after normalising but reads as
    nothing: the build names the record's file and line instead of storing it."""
    data = data_copy(tmp_path)
    path = data / "records" / "claims" / "2024-02-20-slides.yaml"
    text = path.read_text(encoding="utf-8")
    first = text.index("\n  - ") + 1
    extra = ("  - {id: test-markup-only, kind: event, event: event/dpo-establishment, passage: l5, "
             "quote: \"**\", date: 2024-01}\n")
    path.write_text(text[:first] + extra + text[first:], encoding="utf-8")
    line = text[:first].count("\n") + 1
    with pytest.raises(BuildError) as info:
        assemble(Settings(data_dir=data, store_dir=tmp_path / "store"), progress=lambda _m: None)
    [problem] = info.value.problems
    assert (str(problem.file), problem.line) == ("records/claims/2024-02-20-slides.yaml", line)
    assert "quote cannot be mapped" in problem.message and "2024-02-20-slides/p/l5" in problem.message
