"""Coverage logic (graph.coverage) on a tiny synthetic document and hand-made graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import PROV, RDF

from graph.coverage import coverage, numbers_in
from graph.namespaces import HKSC, ID
from loaders.documents import SourceDocument, read_manifest
from loaders.records import add_evidence

SOURCE = """# Slide one

- Over **2.5 million** users
- 3 250 datasets in Oct 2018

ISO/IEC 27001:2022 see www.example.gov.hk/a1b2 and 5G


# Thank you
"""


@pytest.fixture()
def doc(tmp_path: Path) -> SourceDocument:
    (tmp_path / "sources").mkdir()
    (tmp_path / "records").mkdir()
    (tmp_path / "sources" / "tiny.txt").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "records" / "documents.yaml").write_text(
        "documents:\n  - {id: tiny, file: tiny.txt, title: Tiny, date: 2024-01-01, kind: slides}\n",
        encoding="utf-8")
    return read_manifest(tmp_path / "records", tmp_path / "sources")["tiny"]


def test_numbers_in_counts_figures_and_skips_identifiers() -> None:
    assert numbers_in("Over **2.5 million** users") == ["2.5"]
    assert numbers_in("3 250 datasets, 1 706 million and HK\\$15,000 billion") == ["3 250", "1 706", "15,000"]
    assert numbers_in("ISO/IEC 27001:2022 see www.example.gov.hk/a1b2 and 5G") == []
    assert numbers_in("ranked 20<sup>th</sup>, > \\$500M, 2023.10.25") == ["20th", "500M", "2023.10.25"]
    assert numbers_in("> 300 0000 students") == ["300", "0000"]


def test_uncovered_passages_and_unaccounted_numbers(doc: SourceDocument) -> None:
    result = coverage({"tiny": doc}, Graph())[0]
    assert (result.passages, result.passages_covered) == (2, 0)
    assert [n.number for n in result.unaccounted_numbers] == ["2.5", "3 250", "2018"]
    assert [n.line for n in result.unaccounted_numbers] == [3, 4, 4]


def test_claims_and_ignore_entries_account_for_numbers(doc: SourceDocument) -> None:
    g = Graph()
    claim = ID["claim/tiny/users"]
    g.add((claim, RDF.type, HKSC.Observation))
    g.add((claim, HKSC.value, Literal(2500000)))
    add_evidence(g, claim, doc, "l1", "Over 2.5 million users")
    datasets = ID["claim/tiny/datasets"]
    g.add((datasets, RDF.type, HKSC.Observation))
    g.add((datasets, HKSC.value, Literal(3250)))
    g.add((datasets, HKSC.verbatim, Literal("datasets")))  # the value alone accounts for "3 250"
    g.add((datasets, PROV.wasDerivedFrom, doc.passage_iri("l1")))
    result = coverage({"tiny": doc}, g)[0]
    assert [n.number for n in result.unaccounted_numbers] == ["2018"]
    assert result.passages_covered == 1
    ignore = ID["not-a-fact/tiny/1"]
    g.add((ignore, RDF.type, HKSC.NotAFact))
    g.add((ignore, PROV.wasDerivedFrom, doc.passage_iri("l1")))
    g.add((ignore, HKSC.verbatim, Literal("Oct 2018")))
    closing = ID["not-a-fact/tiny/2"]
    g.add((closing, RDF.type, HKSC.NotAFact))
    g.add((closing, PROV.wasDerivedFrom, doc.passage_iri(next(k for k in doc.passages if k != "l1"))))
    g.add((closing, HKSC.verbatim, Literal("Thank you")))
    result = coverage({"tiny": doc}, g)[0]
    assert result.unaccounted_numbers == []
    assert (result.passages_covered, result.numbers_accounted, result.numbers) == (2, 3, 3)


def test_a_number_inside_a_longer_number_is_not_accounted(doc: SourceDocument) -> None:
    g = Graph()
    claim = ID["claim/tiny/x"]
    g.add((claim, RDF.type, HKSC.Observation))
    add_evidence(g, claim, doc, "l1", "3 250 datasets in Oct 2018")  # has 3 250 and 2018, not 2.5
    g.add((claim, HKSC.verbatim, Literal("12.5")))  # "2.5" inside "12.5" does not count
    result = coverage({"tiny": doc}, g)[0]
    assert [n.number for n in result.unaccounted_numbers] == ["2.5"]
