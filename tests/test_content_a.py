"""Content of the 2024-02 slides and the 2024-07 and 2025-05 LegCo papers (content helper A).

Built with ``graph.build.assemble`` from the project's data: sample claims carry
a quote found in the passage they cite and the value the source gives; the
three documents are fully covered (`hkkg coverage`); a bad not-a-fact entry
stops the build naming file and line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import DATA_DIR, assert_claim_evidence, data_copy, rows
from rdflib import Graph, Literal
from rdflib.namespace import PROV

from graph.build import Assembled, assemble
from graph.coverage import coverage
from graph.errors import BuildError
from graph.namespaces import HKSC, ID
from graph.settings import Settings
from graph.store import EmbeddedStore
from loaders.documents import SourceDocument

MINE = ("2024-02-20-slides", "2024-07-12-legco-paper", "2025-05-12-legco-paper")

# (document, claim id, passage key, value or None)
SAMPLE = [
    ("2024-02-20-slides", "open-data-datasets-2023", "l194", 5300),
    ("2024-02-20-slides", "it-lab-funding", "l339", 500000000),
    ("2024-02-20-slides", "stem-interns-2027-target", "l351", 5000),
    ("2024-02-20-slides", "gba-mou-signed", "l398", None),
    ("2024-07-12-legco-paper", "fps-transactions", "18", 1706000000),
    ("2024-07-12-legco-paper", "it-fund-grants", "15", 680000000),
    ("2024-07-12-legco-paper", "hk-rank-global", "22", 20),
    ("2024-07-12-legco-paper", "blueprint-2-in-progress", "l156", None),
    ("2025-05-12-legco-paper", "cdeg-exchanges-2025-04", "16", 20000000),
    ("2025-05-12-legco-paper", "iam-smart-annual-usage-target-2025", "7", 17500000),
    ("2025-05-12-legco-paper", "aisc-first-phase-power", "20", 1300),
    ("2025-05-12-legco-paper", "corpid-18-months", "12", 18),
]




@pytest.mark.parametrize(("doc_id", "claim_id", "key", "value"), SAMPLE)
def test_sample_claim_quote_is_in_its_passage(union: Graph, docs: dict[str, SourceDocument],
                                              doc_id: str, claim_id: str, key: str,
                                              value: int | None) -> None:
    assert_claim_evidence(union, docs[doc_id], ID[f"claim/{doc_id}/{claim_id}"], key, value)


def test_garbled_figure_kept_without_value(union: Graph) -> None:
    claim = ID["claim/2024-02-20-slides/it-lab-students-garbled"]
    assert (claim, HKSC.uncertain, Literal(True)) in union
    assert list(union.objects(claim, HKSC.value)) == []
    assert [str(v) for v in union.objects(claim, HKSC.verbatim)] == ["> 300 0000 students"]


def test_target_distinct_from_achieved(union: Graph) -> None:
    target = ID["claim/2025-05-12-legco-paper/iam-smart-annual-usage-target-2025"]
    achieved = ID["claim/2025-05-12-legco-paper/iam-smart-annual-usage-2024"]
    assert (target, HKSC.modality, ID["modality/target"]) in union
    assert (achieved, HKSC.modality, ID["modality/achieved"]) in union


def test_my_documents_are_fully_covered(union: Graph, docs: dict[str, SourceDocument]) -> None:
    for result in coverage({d: docs[d] for d in MINE}, union):
        assert result.uncovered_passages == [], result.doc_id
        assert result.unaccounted_numbers == [], result.doc_id
        assert result.passages_covered == result.passages > 0
        assert result.numbers_accounted == result.numbers > 0


def test_not_a_fact_entries_are_in_the_graph(assembled: Assembled,
                                             docs: dict[str, SourceDocument]) -> None:
    g = assembled.graphs[ID["graph/not-a-fact"]]
    passage = docs["2024-02-20-slides"].passage_iri("l434")
    closing = [n for n in g.subjects(HKSC.verbatim, Literal("Thank you"))
               if (n, PROV.wasDerivedFrom, passage) in g]
    assert len(closing) == 1


def _bad_ignore(tmp_path: Path, body: str) -> BuildError:
    data = data_copy(tmp_path)
    path = data / "records" / "ignore" / "2024-02-20-slides.yaml"
    path.write_text(path.read_text(encoding="utf-8") + body, encoding="utf-8")
    with pytest.raises(BuildError) as info:
        assemble(Settings(data_dir=data, store_dir=tmp_path / "store"), progress=lambda _m: None)
    return info.value


def test_ignore_text_not_in_passage_fails_with_file_and_line(tmp_path: Path) -> None:
    original = (DATA_DIR / "records" / "ignore" / "2024-02-20-slides.yaml").read_text(encoding="utf-8")
    line = original.count("\n") + 1
    err = _bad_ignore(tmp_path, "- passage: l61\n  text: \"4.5 million\"\n  reason: test\n")
    [problem] = err.problems
    assert str(problem.file) == "records/ignore/2024-02-20-slides.yaml"
    assert problem.line == line
    assert "text not found in passage 2024-02-20-slides/p/l61" in problem.message


def test_ignore_unquoted_number_fails(tmp_path: Path) -> None:
    err = _bad_ignore(tmp_path, "- passage: l240\n  text: 2.\n  reason: test\n")
    assert any("quoted string" in p.message for p in err.problems)


def test_provider_split_is_two_narrower_measures_adding_up(union: Graph) -> None:
    """July 2024 gives PSI data providers as 79 B/Ds and 39 other organisations: two parts
    of the 118 providers of the February 2024 slides, not two competing totals (which
    the cumulative-figure check would flag as falling from 118)."""
    rows = union.query("""
        PREFIX hksc: <https://w3id.org/hk-smartcity/def/>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?m ?v WHERE {
          ?c hksc:about <https://w3id.org/hk-smartcity/id/platform/data-gov-hk> ;
             hksc:measure ?m ; hksc:value ?v ;
             hksc:statedIn <https://w3id.org/hk-smartcity/id/source/2024-07-12-legco-paper> .
          ?m skos:broader <https://w3id.org/hk-smartcity/id/measure/data-providers> .
        }""")
    parts = {str(m).rsplit("/", 1)[1]: int(v) for m, v in rows}  # type: ignore[misc]
    assert parts == {"data-providers-bureaux-departments": 79,
                     "data-providers-other-organisations": 39}
    total = union.value(ID["claim/2024-02-20-slides/open-data-providers-2023"], HKSC.value)
    assert sum(parts.values()) == int(total)  # type: ignore[arg-type]


@pytest.mark.parametrize(("claim_id", "ref_date", "period_end"), [
    ("2024-07-12-legco-paper/blueprint-2017-initiatives", "2017-12-01", "2017-12-31"),
    ("2024-07-12-legco-paper/blueprint-2-initiatives", "2020-01-01", "2020-12-31"),
    ("2024-07-12-legco-paper/csdi-spatial-datasets-2024-06", "2024-06-01", "2024-06-30"),
    ("2024-07-12-legco-paper/it-fund-grants", "2024-04-01", "2024-04-30"),
    ("2024-07-12-legco-paper/aisc-computing-power-2026", "2026-01-01", "2026-06-30"),
    ("2024-07-12-legco-paper/it-blueprint-recommendations", "2022-12-01", "2022-12-31"),
    ("2024-07-12-legco-paper/hk-rank-global", "2024-04-01", "2024-04-30"),
    ("2024-02-20-slides/data-policy-statement-action-items", "2023-12-01", "2023-12-31"),
    ("2025-05-12-legco-paper/airdi-budget-2025", "2025-04-01", "2026-03-31"),  # FY2025-26
])
def test_figures_carry_the_date_the_sentence_gives(union: Graph, claim_id: str, ref_date: str,
                                                   period_end: str) -> None:
    """Not the document's own date: "As of April 2024", "published in April this year",
    "in early-2026", "the 2025-26 Budget" ..."""
    claim = ID[f"claim/{claim_id}"]
    assert [str(d) for d in union.objects(claim, HKSC.refDate)] == [ref_date]
    assert [str(d) for d in union.objects(claim, HKSC.periodEnd)] == [period_end]
    assert (claim, HKSC.dateFromDocument, Literal(True)) not in union


def test_imd_ratings_name_their_pillar(union: Graph) -> None:
    pillars = {str(union.value(ID[f"claim/2024-07-12-legco-paper/{c}"], HKSC.pillar))
               for c in ("hk-rating-overall", "hk-rating-technologies", "hk-rating-structures")}
    assert pillars == {"Smart City Rating", "Technologies", "Structures"}


def test_iam_smart_features_when_and_by_which_document(built_store: EmbeddedStore) -> None:
    """Which features does iAM Smart have, and when was each introduced or planned, according
    to which document. The May 2025 paper says the NFC registration of "iAM Smart+", the
    personal code, the "lite" mode and "Digital Document" came "over the past year" (para 8)
    and that "Step-up Authentication" and bill payment "will be rolled out ... this year"
    (para 9); the March 2026 slides show Step-up Authentication among iAM Smart's features."""
    prefixes = """
        PREFIX hksc: <https://w3id.org/hk-smartcity/def/>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX iam: <https://w3id.org/hk-smartcity/id/platform/>
        PREFIX doc: <https://w3id.org/hk-smartcity/id/source/>
        PREFIX mod: <https://w3id.org/hk-smartcity/id/modality/>"""
    features = rows(built_store, prefixes + """
        SELECT ?label ?document ?modality WHERE {
          ?f a hksc:Feature ; hksc:partOf iam:iam-smart ; skos:prefLabel ?label .
          FILTER (lang(?label) = "en")
          ?c hksc:about ?f ; hksc:claimPredicate hksc:partOf ; hksc:claimObject iam:iam-smart ;
             hksc:statedIn ?document ; hksc:modality ?modality .
        }""")
    dated = rows(built_store, prefixes + """
        SELECT ?label ?document ?refDate ?periodEnd ?modality ?qualifier ?verbatim ?issued WHERE {
          ?f a hksc:Feature ; hksc:partOf iam:iam-smart ; skos:prefLabel ?label .
          FILTER (lang(?label) = "en")
          ?event hksc:eventObject ?f .
          ?c a hksc:DateClaim ; hksc:about ?event ; hksc:refDate ?refDate ; hksc:periodEnd ?periodEnd ;
             hksc:modality ?modality ; hksc:verbatim ?verbatim ; hksc:statedIn ?document .
          ?document <http://purl.org/dc/terms/issued> ?issued .
          OPTIONAL { ?c hksc:qualifier ?qualifier }
        }""")
    short = {r["document"].rsplit("/", 1)[-1] for r in features}
    assert short == {"2024-02-20-slides", "2025-05-12-legco-paper", "2026-03-06-slides"}

    def docs_of(label: str) -> dict[str, str]:
        return {r["document"].rsplit("/", 1)[-1]: r["modality"].rsplit("/", 1)[-1]
                for r in features if r["label"] == label}

    # Step-up Authentication: an enhancement on the Feb 2024 slides, still to come in 2025
    # (May 2025 paper), on the iAM Smart slide in March 2026.
    assert docs_of("Step-up Authentication") == {"2024-02-20-slides": "planned",
                                                 "2025-05-12-legco-paper": "planned",
                                                 "2026-03-06-slides": "achieved"}
    when = {(r["label"], r["document"].rsplit("/", 1)[-1]):
            (r["refDate"], r["periodEnd"], r["modality"].rsplit("/", 1)[-1],
             r.get("qualifier", "").rsplit("/", 1)[-1], r["verbatim"]) for r in dated}
    for label in ("Step-up Authentication", "Bill balance and Payment"):  # "this year" (2025)
        assert when[(label, "2025-05-12-legco-paper")] == (
            "2025-01-01", "2025-12-31", "planned", "", "this year")
    # "Over the past year" in a May 2025 paper: achieved, by May 2025.
    introduced = {label for (label, d), (_s, end, mod, qual, verb) in when.items()
                  if d == "2025-05-12-legco-paper" and mod == "achieved"
                  and end == "2025-05-31" and qual == "up-to" and verb == "Over the past year"}
    assert introduced == {"Remote registration of iAM Smart+", "Personal Code", "“lite” mode",
                          "Digital Document"}
    # Nothing is dated achieved after the document that states it.
    assert all(r["refDate"] <= r["issued"][:10] for r in dated
               if r["modality"].endswith("/achieved"))
    # Features the paper introduced or planned are on the March 2026 iAM Smart slide.
    for label in ("Personal Code", "Digital Document", "Bill balance and Payment",
                  "Personal Assistant"):
        assert "2026-03-06-slides" in docs_of(label), label
