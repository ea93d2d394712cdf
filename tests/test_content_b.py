"""Content of the two 2026 DPO slide decks (content helper B).

Built with ``graph.build.assemble`` from the project's data: sample claims cite
the passage they come from, carry a quote found in that passage's normalised
text and the value and qualifier the slide gives; amounts are typed money;
targets and plans stay apart from achieved figures; platforms the slides name
in Chinese carry that label; both decks are fully covered (`hkkg coverage`).
"""

from __future__ import annotations

from datetime import date

import pytest
from helpers import assert_claim_evidence, rows
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS
from rdflib.term import Node

from graph.coverage import coverage
from graph.namespaces import HKSC, ID, SCHEMA
from graph.store import EmbeddedStore
from loaders.documents import SourceDocument

JAN, MAR = "2026-01-20-slides", "2026-03-06-slides"
MINE = (JAN, MAR)

# (document, claim id, passage key, value or None, qualifier or None)
SAMPLE = [
    (JAN, "rank-4th-global", "l17", 4, None),
    (JAN, "rank-4th-global-ap", "l17", 2, None),
    (JAN, "rank-4th-top5-talent", "l17", 5, "up-to"),
    (JAN, "rank-19th-global", "l26", 19, None),
    (JAN, "dpo-initiatives", "l72", 100, "over"),
    (JAN, "iam-smart-services", "l76", 1300, "over"),
    (JAN, "open-data-datasets", "l198", 5700, "over"),
    (JAN, "open-data-providers", "l204", 110, None),
    (JAN, "open-data-apis", "l211", 2500, "over"),
    (JAN, "airdi-amount", "l361", 1000000000, None),
    (JAN, "ai-catalogue-areas", "l119", 7, None),
    (JAN, "hkgai-v1-launch", "l331", None, None),
    (JAN, "gba-mou-signing", "l244", None, None),
    (MAR, "imd-wdcr-rank", "l116", 4, None),
    (MAR, "gii-cluster-rank", "l116", 1, None),
    (MAR, "universities-qs-asia-top10", "l116", 5, None),
    (MAR, "hkchat-users", "l268", 700000, "over"),
    (MAR, "iam-smart-daily-usage", "l636", 180000, "over"),
    (MAR, "iam-smart-services", "l636", 1400, "about"),
    (MAR, "cdeg-transactions", "l599", 2000000, "about"),
    (MAR, "open-data-downloads", "l536", 85000000000, "over"),
    (MAR, "open-data-providers", "l550", 110, "over"),
    (MAR, "sandy-ridge-term", "l370", 50, None),
    (MAR, "raise-plus-amount", "l468", 10000000000, None),
    (MAR, "genai-guideline-tiers", "l444", 4, None),
    (MAR, "corpid-ready", "l774", None, None),
]




def _claim(doc_id: str, claim_id: str) -> URIRef:
    return ID[f"claim/{doc_id}/{claim_id}"]


def _members(g: Graph, claim: URIRef) -> set[Node]:
    return set(g.objects(claim, HKSC.member))


@pytest.mark.parametrize(("doc_id", "claim_id", "key", "value", "qualifier"), SAMPLE)
def test_sample_claim(union: Graph, docs: dict[str, SourceDocument], doc_id: str,
                      claim_id: str, key: str, value: int | None, qualifier: str | None) -> None:
    claim = _claim(doc_id, claim_id)
    doc = docs[doc_id]
    assert (claim, HKSC.statedIn, doc.iri) in union
    assert_claim_evidence(union, doc, claim, key, value)
    expected_q = {ID[f"qualifier/{qualifier}"]} if qualifier else set()
    assert set(union.objects(claim, HKSC.qualifier)) == expected_q


def test_amounts_are_typed_hkd(union: Graph) -> None:
    for doc_id, claim_id, amount in [(JAN, "airdi-amount", 1_000_000_000),
                                     (MAR, "nias-amount", 10_000_000_000),
                                     (MAR, "itif-amount", 10_000_000_000)]:
        claim = _claim(doc_id, claim_id)
        assert (claim, HKSC.unit, ID["unit/hkd"]) in union
        [money] = list(union.objects(claim, HKSC.amount))
        assert (money, RDF.type, SCHEMA.MonetaryAmount) in union
        assert (money, SCHEMA.currency, Literal("HKD")) in union
        assert [int(str(v)) for v in union.objects(money, SCHEMA.value)] == [amount]


def test_figure_without_date_takes_the_document_date(union: Graph) -> None:
    claim = _claim(MAR, "hkchat-users")
    assert list(union.objects(claim, HKSC.refDate)) == [Literal(date(2026, 3, 6))]
    assert (claim, HKSC.dateFromDocument, Literal(True)) in union
    dated = _claim(MAR, "open-data-downloads")
    assert list(union.objects(dated, HKSC.refDate)) == [Literal(date(2025, 1, 1))]
    assert (dated, HKSC.dateFromDocument, Literal(False)) in union


def test_targets_and_plans_stay_apart_from_achievements(union: Graph) -> None:
    assert (_claim(JAN, "airdi-establishment"), HKSC.modality, ID["modality/target"]) in union
    assert (_claim(MAR, "airdi-establishment"), HKSC.modality, ID["modality/planned"]) in union
    assert (_claim(MAR, "corpid-ready"), HKSC.modality, ID["modality/planned"]) in union
    assert (_claim(JAN, "corpid-sandbox-launch"), HKSC.modality, ID["modality/achieved"]) in union
    assert (_claim(MAR, "ai-tool-box"), HKSC.modality, ID["modality/target"]) in union


def test_ambiguous_chart_values_kept_verbatim_without_value(union: Graph) -> None:
    for claim_id, verbatim in [("open-data-downloads-80", "80+ billion"),
                               ("open-data-downloads-5", "~5 billion")]:
        claim = _claim(JAN, claim_id)
        assert (claim, HKSC.uncertain, Literal(True)) in union
        assert list(union.objects(claim, HKSC.value)) == []
        assert [str(v) for v in union.objects(claim, HKSC.verbatim)] == [verbatim]
        assert list(union.objects(claim, HKSC.note))


def test_index_named_only_where_the_slide_names_it(union: Graph) -> None:
    assert (_claim(MAR, "imd-wdcr-rank"), HKSC.context, ID["index/imd-wdcr-2025"]) in union
    assert list(union.objects(_claim(JAN, "rank-4th-global"), HKSC.context)) == []


def test_chinese_labels_of_platforms_and_bodies(union: Graph) -> None:
    expected = {
        "platform/hkchat": "港話通", "platform/hkpilot": "港文通", "platform/hkmeeting": "港會通",
        "platform/iam-smart": "智方便", "platform/csdi": "空間數據共享平台",
        "org/dpo": "數字政策辦公室",
        "org/hongkong-post": "香港郵政", "org/ha": "醫院管理局",
        "org/hkgai": "香港生成式人工智能研發中心", "platform/yue-sheng-shi": "粵省事",
    }
    for ent, zh in expected.items():
        assert Literal(zh, lang="zh-Hant") in set(union.objects(ID[ent], SKOS.prefLabel)), ent
    # Shanghai's app is named in Simplified Chinese in the 2026-03-06 slides.
    assert set(union.objects(ID["platform/suishenban"], SKOS.prefLabel)) >= {
        Literal("随申办", lang="zh-Hans")}
    assert not any(label.language == "zh-Hant"
                   for label in union.objects(ID["platform/suishenban"], RDFS.label)
                   if isinstance(label, Literal))


def test_catalogue_covers_seven_application_areas(union: Graph) -> None:
    areas = set(union.objects(ID["platform/ai-solution-catalogue"], HKSC.applicationArea))
    scheme = ID["ai-application-area"]
    assert len(areas) == 7
    assert areas == set(union.subjects(SKOS.inScheme, scheme))
    for doc_id in MINE:
        assert _members(union, _claim(doc_id, "ai-catalogue-area-list")) == areas


def test_cdeg_exchanges_data_with_named_parties(union: Graph) -> None:
    partners = set()
    for c in union.subjects(HKSC.about, ID["platform/cdeg"]):
        if (c, HKSC.statedIn, ID[f"source/{MAR}"]) in union and \
                (c, HKSC.claimPredicate, HKSC.exchangesDataWith) in union:
            partners |= set(union.objects(c, HKSC.claimObject))
    assert {ID["org/land-registry"], ID["org/cr"], ID["org/hongkong-post"], ID["org/wsd"],
            ID["platform/cdi"]} <= partners


def test_ai_subsidy_scheme_serves_four_groups(union: Graph) -> None:
    assert _members(union, _claim(JAN, "aiss-serves")) == {
        ID["group/local-institutions"], ID["group/rd-centres"], ID["group/enterprises"],
        ID["group/government-bds"]}


def test_both_decks_fully_covered(union: Graph, docs: dict[str, SourceDocument]) -> None:
    for result in coverage({d: docs[d] for d in MINE}, union):
        assert result.uncovered_passages == [], result.doc_id
        assert result.unaccounted_numbers == [], result.doc_id
        assert result.passages_covered == result.passages > 0
        assert result.numbers_accounted == result.numbers > 0


@pytest.mark.parametrize(("claim", "value"), [
    ("2026-01-20-slides/aieet-tasks", 3), ("2026-01-20-slides/smart-mobility-categories", 4),
    ("2026-03-06-slides/aieet-tasks", 3), ("2026-03-06-slides/flagship-factors", 4),
])
def test_counts_the_source_does_not_print_say_so(union: Graph, claim: str, value: int) -> None:
    iri = ID[f"claim/{claim}"]
    assert [int(v) for v in union.objects(iri, HKSC.value)] == [value]  # type: ignore[call-overload]
    assert (iri, HKSC.countedFromList, Literal(True)) in union


def test_stated_counts_are_not_marked_counted(union: Graph) -> None:
    """"5 Major Functions" prints its number: a stated figure, not a curator's count."""
    iri = ID["claim/2026-03-06-slides/airdi-functions"]
    assert (iri, HKSC.countedFromList, None) not in union


@pytest.mark.parametrize("claim", [
    "2026-01-20-slides/dpo-initiatives", "2024-02-20-slides/traffic-data-analytics-csdi",
    "2024-02-20-slides/water-intelligence-network-csdi", "2026-01-20-slides/dpo-full-digitalisation",
    "2024-02-20-slides/gd-uiap-yue-sheng-shi", "2024-02-20-slides/gd-uiap-administrative-website",
])
def test_readings_that_rest_on_layout_are_marked_uncertain(union: Graph, claim: str) -> None:
    iri = ID[f"claim/{claim}"]
    assert (iri, HKSC.uncertain, Literal(True)) in union
    assert union.value(iri, HKSC.note) is not None


def test_benefits_to_service_providers_serve_providers(union: Graph) -> None:
    claim = ID["claim/2026-03-06-slides/iam-smart-benefits"]
    assert set(union.objects(claim, HKSC.claimObject)) == {ID["group/service-providers"]}


def test_parts_point_at_their_whole(union: Graph) -> None:
    """A listing of parts (``role: hasPart``) derives ``part partOf whole`` and its inverse;
    no pair of things is ever part of each other (a listing read backwards would do that)."""
    blueprint, direction = ID["blueprint/it-blueprint"], ID["strategy/it-blueprint-direction-1"]
    assert (direction, HKSC.partOf, blueprint) in union
    assert (blueprint, HKSC.hasPart, direction) in union
    assert (blueprint, HKSC.partOf, direction) not in union
    both_ways = {(a, b) for a, b in union.subject_objects(HKSC.partOf)
                 if (b, HKSC.partOf, a) in union}
    assert not both_ways
    for whole, part in union.subject_objects(HKSC.hasPart):
        assert (part, HKSC.partOf, whole) in union


def test_audit_additions_answer_on_the_published_store(built_store: EmbeddedStore) -> None:
    """Entities added after the LegCo-paper audit, queried on the built store: the IMD's
    city is the very node Annex 3 ranks 7th (the tables loader reuses the records entity,
    it does not mint a second Lausanne); the Smart Hong Kong Pavilion is derived as part
    of InnoEX, held in Hong Kong; HKGAI V1 going public is a 2025 plan, never achieved."""
    prefixes = ("PREFIX hksc: <https://w3id.org/hk-smartcity/def/>\n"
                "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n")
    imd, rank, index = ID["org/imd"], ID["measure/rank"], ID["index/imd-smart-city-index-2024"]
    imd_city = rows(built_store, prefixes + f"""
        SELECT ?city ?label WHERE {{
          <{imd}> hksc:locatedIn ?city .
          ?rank hksc:about ?city ; hksc:measure <{rank}> ; hksc:value 7 ; hksc:context <{index}> .
          ?city skos:prefLabel ?label }}""")
    assert imd_city == [{"city": str(ID["place/lausanne"]), "label": "Lausanne"}]
    lausannes = rows(built_store, prefixes + """
        SELECT ?x WHERE { ?x a hksc:Place ; skos:prefLabel "Lausanne"@en }""")
    assert lausannes == [{"x": str(ID["place/lausanne"])}]
    pavilion, innoex = ID["facility/smart-hong-kong-pavilion"], ID["event/innoex"]
    assert bool(built_store.query(prefixes + f"""
        ASK {{ <{pavilion}> hksc:partOf <{innoex}> .
              <{innoex}> hksc:hasPart <{pavilion}> ;
                  hksc:locatedIn <{ID["place/hong-kong"]}> ;
                  hksc:eventKind <{ID["event-kind/exhibition"]}> }}"""))
    public = rows(built_store, prefixes + f"""
        SELECT ?modality ?date WHERE {{
          ?c a hksc:DateClaim ; hksc:about <{ID["event/hkgai-v1-public-release"]}> ;
             hksc:modality ?modality ; hksc:refDate ?date }}""")
    assert public == [{"modality": str(ID["modality/planned"]), "date": "2025-01-01"}]
