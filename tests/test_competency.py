"""Competency questions 1-8: each catalogue query, run on the built graph, gives the documented answer.

The expected answers are those of ../shared/competency-questions.md; the
queries are the ones the project ships in graph/queries/.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from helpers import rows
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS
from rdflib.term import Node

from graph.namespaces import HKSC, OA
from graph.queries import load_catalogue
from graph.store import EmbeddedStore
from loaders.documents import SourceDocument
from loaders.text import normalise

ID = "https://w3id.org/hk-smartcity/id/"
CATALOGUE = {q.slug: q for q in load_catalogue()}


def run(store: EmbeddedStore, slug: str) -> list[dict[str, str]]:
    return rows(store, CATALOGUE[slug].query)


def test_catalogue_has_a_query_per_question() -> None:
    slugs = sorted(s for s in CATALOGUE if s.startswith("cq"))
    assert [s.split("-")[0] for s in slugs] == [f"cq{i}" for i in range(1, 9)]
    for q in CATALOGUE.values():
        assert q.title and q.description, q.slug


def test_cq1_iam_smart_users_over_time(built_store: EmbeddedStore) -> None:
    got = [
        (r["value"], r["qualifier"], r["document"].rsplit("/", 1)[-1], r["refDate"])
        for r in run(built_store, "cq1-iam-smart-users")
    ]
    assert got == [
        ("2500000", "over", "2024-02-20-slides", "2024-02-20"),
        ("2700000", "over", "2024-07-12-legco-paper", "2024-07-01"),
        ("3400000", "over", "2025-05-12-legco-paper", "2025-04-01"),
        ("4000000", "over", "2026-01-20-slides", "2026-01-20"),
        ("4200000", "over", "2026-03-06-slides", "2026-03-06"),
    ]
    # Only the May 2025 figure carries its own date ("As of April 2025").
    flags = {r["value"]: r["dateFromDocument"] for r in run(built_store, "cq1-iam-smart-users")}
    assert flags["3400000"] == "false"
    assert flags["2700000"] == "true"


def test_cq2_blueprint_progress_per_area(built_store: EmbeddedStore) -> None:
    got = {
        r["area"]: (int(r["completedOrOngoing"]), int(r["inProgress"]), int(r["total"]))
        for r in run(built_store, "cq2-blueprint-progress")
    }
    assert got == {
        "Smart Mobility": (28, 4, 32),
        "Smart Living": (15, 1, 16),
        "Smart Environment": (20, 0, 20),
        "Smart People": (12, 0, 12),
        "Smart Government": (31, 0, 31),
        "Smart Economy": (20, 0, 20),
        "Total (stated)": (126, 5, 131),
        "Total (sum of rows)": (126, 5, 131),
    }


def test_cq3_amounts_are_typed_money(built_store: EmbeddedStore) -> None:
    got = {
        (r["thing"].removeprefix(ID), Decimal(r["amount"]), r["currency"])
        for r in run(built_store, "cq3-funds-with-amounts")
    }
    expected = {
        ("fund/ai-subsidy-scheme", Decimal(3_000_000_000), "HKD"),
        ("org/airdi", Decimal(1_000_000_000), "HKD"),
        ("fund/frontier-technology-research-support-scheme", Decimal(3_000_000_000), "HKD"),
        # The SIE Fund "would allocate $100 million to implement a ... digital inclusion
        # programme": the amount is the programme's allocation, not the fund's size.
        ("initiative/sie-digital-inclusion-programme", Decimal(100_000_000), "HKD"),
        ("fund/innohk", Decimal(10_000_000_000), "HKD"),
    }
    assert expected <= got
    assert ("fund/sie-fund", Decimal(100_000_000), "HKD") not in got
    # Money moved through a payment system is not a fund's money (July 2024 paper, para 18).
    assert not {t for t, _a, _c in got if t == "platform/fps"}
    measures = {(r["thing"].removeprefix(ID), r["measure"])
                for r in run(built_store, "cq3-funds-with-amounts")}
    assert {("fund/it-fund-elderly", "grants approved"), ("fund/it-fund-elderly", "injection"),
            ("fund/innohk", "amount of money")} <= measures
    typed = rows(
        built_store,
        """
        PREFIX schema: <https://schema.org/>
        SELECT (DATATYPE(?v) AS ?dt) WHERE { ?m a schema:MonetaryAmount ; schema:value ?v }""",
    )
    assert typed and {r["dt"] for r in typed} <= {
        "http://www.w3.org/2001/XMLSchema#integer",
        "http://www.w3.org/2001/XMLSchema#decimal",
    }


def test_cq4_blockchain_bds_not_exhaustive(built_store: EmbeddedStore) -> None:
    got = run(built_store, "cq4-blockchain-bds")
    assert sorted(r["label"] for r in got) == [
        "Correctional Services Department",
        "Fire Services Department",
        "Independent Commission Against Corruption",
    ]
    assert {r["listIsExhaustive"] for r in got} == {"false"}


def test_cq5_all_documents_mention_cdeg(built_store: EmbeddedStore) -> None:
    got = {
        r["document"].removeprefix(ID + "source/") for r in run(built_store, "cq5-documents-mentioning-cdeg")
    }
    assert got == {
        "2024-02-20-slides",
        "2024-07-12-legco-paper",
        "2025-05-12-legco-paper",
        "2026-01-20-slides",
        "2026-03-06-slides",
    }


def test_cq6_gba_standard_contract_dates(built_store: EmbeddedStore) -> None:
    got = run(built_store, "cq6-gba-standard-contract")
    announced = {r["date"] for r in got if r["kind"] == "Announcement"}
    extended = {r["date"] for r in got if r["kind"] == "Extension"}
    assert "2023-12-13" in announced  # the day, from the February 2024 slides
    assert announced <= {"2023-12-13", "2023-12-01"}  # others say "December 2023"
    assert extended == {"2024-11-01"}
    precisions = {(r["date"], r["precision"].rsplit("#", 1)[-1]) for r in got}
    assert ("2023-12-13", "unitDay") in precisions
    assert ("2024-11-01", "unitMonth") in precisions


def test_cq7_rank_17_is_seoul(built_store: EmbeddedStore) -> None:
    got = run(built_store, "cq7-imd-rank-17")
    assert {r["label"] for r in got} == {"Seoul"}
    assert {(r["pillar"], r["rating"]) for r in got} == {("Technologies", "AAA"), ("Structures", "BBB")}


def test_cq8_both_corpid_claims_kept(built_store: EmbeddedStore) -> None:
    got = [
        r for r in run(built_store, "cq8-who-runs-which-platform") if r["platform"] == ID + "platform/corpid"
    ]
    by_doc = {r["document"].removeprefix(ID + "source/"): r for r in got}
    assert by_doc["2024-07-12-legco-paper"]["organisation"] == ID + "org/ogcio"
    assert by_doc["2024-07-12-legco-paper"]["passage"].endswith("/p/11")
    assert by_doc["2025-05-12-legco-paper"]["organisation"] == ID + "org/dpo"
    assert by_doc["2025-05-12-legco-paper"]["passage"].endswith("/p/12")


@pytest.mark.parametrize("slug", sorted(CATALOGUE))
def test_every_example_runs(built_store: EmbeddedStore, slug: str) -> None:
    assert run(built_store, slug), f"{slug} returned no rows"


# ---------------------------------------------------------------- claims behind the rows
# Expectations below are computed from the assembled graph with rdflib (the records'
# claims as loaded), not with the catalogue's SPARQL.

# The ontology's organisation classes (ontology/hksc.ttl, "Organisations"); hksc:Role
# (a post) is not an organisation.
ORG_CLASSES = {HKSC[c] for c in ("Bureau", "Department", "PublicBody", "Government", "MainlandAuthority",
                                 "Company", "ResearchCentre", "Committee", "InternationalBody")}
CQ8_RELATIONS = {HKSC.operates, HKSC.develops, HKSC.launches, HKSC.establishes}

# The columns holding the claims of each catalogue query's rows (the one giving the row's
# quote last). cq5 answers with documents and passage counts from mentions, not claims.
CLAIM_COLUMNS = {
    "cq1-iam-smart-users": ("claim",),
    "cq2-blueprint-progress": ("completedClaim", "inProgressClaim", "totalClaim"),
    "cq3-funds-with-amounts": ("claim",),
    "cq4-blockchain-bds": ("claim",),
    "cq6-gba-standard-contract": ("claim",),
    "cq7-imd-rank-17": ("rankClaim", "ratingClaim"),
    "cq8-who-runs-which-platform": ("claim",),
}


def _is_org(union: Graph, thing: Node | None) -> bool:
    return thing is not None and bool(set(union.objects(thing, RDF.type)) & ORG_CLASSES)


def _is_platform(union: Graph, thing: Node | None) -> bool:
    if thing is None:
        return False
    platform_classes = set(union.transitive_subjects(RDFS.subClassOf, HKSC.Platform))
    return bool(set(union.objects(thing, RDF.type)) & platform_classes)


def _cq8_expected(union: Graph) -> set[tuple[str, str, str, str, str]]:
    """(claim, organisation, relation, platform, kind) for every relation or listing claim
    that an organisation operates/develops/launches/establishes a platform."""
    found: set[tuple[str, str, str, str, str]] = set()
    for claim in union.subjects(RDF.type, HKSC.RelationClaim):
        subject, pred = union.value(claim, HKSC.about), union.value(claim, HKSC.claimPredicate)
        obj = union.value(claim, HKSC.claimObject)
        if pred in CQ8_RELATIONS and _is_org(union, subject) and _is_platform(union, obj):
            found.add((str(claim), str(subject), str(pred).rsplit("/", 1)[-1], str(obj), "relation"))
    for claim in union.subjects(RDF.type, HKSC.ListingClaim):
        subject, role = union.value(claim, HKSC.about), union.value(claim, HKSC.listRole)
        if role not in CQ8_RELATIONS or not _is_org(union, subject):
            continue
        for member in union.objects(claim, HKSC.member):
            if _is_platform(union, member):
                found.add((str(claim), str(subject), str(role).rsplit("/", 1)[-1], str(member), "listing"))
    return found


def test_organisation_classes_are_the_ontologys(union: Graph) -> None:
    for cls in ORG_CLASSES:
        assert (cls, RDF.type, OWL.Class) in union, cls
    # No organisation class of the ontology is missing from the list.
    roots = {URIRef("http://data.europa.eu/m8g/PublicOrganisation"),
             URIRef("http://www.w3.org/ns/org#FormalOrganization"),
             URIRef("http://www.w3.org/ns/org#OrganizationalUnit"),
             URIRef("http://www.w3.org/ns/org#Organization")}
    below = {c for root in roots for c in union.transitive_subjects(RDFS.subClassOf, root)}
    assert below - roots == ORG_CLASSES


def test_cq8_is_every_organisation_platform_claim_relation_or_listing(built_store: EmbeddedStore,
                                                                      union: Graph) -> None:
    got_rows = run(built_store, "cq8-who-runs-which-platform")
    got = {(r["claim"], r["organisation"], r["relation"], r["platform"], r["claimKind"]) for r in got_rows}
    assert len(got) == len(got_rows)  # one row per claim and platform
    expected = _cq8_expected(union)
    assert {e[4] for e in expected} == {"relation", "listing"}
    assert got == expected


def test_cq8_includes_the_platforms_the_dpo_launched(built_store: EmbeddedStore, union: Graph,
                                                     docs: dict[str, SourceDocument]) -> None:
    """May 2025 paper, para 20(c): "the DPO launched central platforms such as Big Data
    Analytics Platform, "Chatbot-as-a-Service" and "AI Computer Vision Hub"" (a listing)."""
    paper = docs["2025-05-12-legco-paper"]
    assert normalise('the DPO launched central platforms such as Big Data Analytics Platform, '
                     '"Chatbot-as-a-Service" and "AI Computer Vision Hub"') in paper.normalised["20"]
    listing = ID + "claim/2025-05-12-legco-paper/dpo-central-platforms"
    members = {str(m) for m in union.objects(URIRef(listing), HKSC.member)}
    assert members == {ID + "platform/big-data-analytics-platform", ID + "platform/chatbot-as-a-service",
                       ID + "platform/ai-computer-vision-hub"}
    got = [r for r in run(built_store, "cq8-who-runs-which-platform") if r["claim"] == listing]
    assert {r["platform"] for r in got} == members
    for r in got:
        assert r["organisation"] == ID + "org/dpo" and r["relation"] == "launches"
        assert r["claimKind"] == "listing" and r["listIsExhaustive"] == "false"  # "such as"
        assert r["document"] == str(paper.iri) and r["passage"] == str(paper.passage_iri("20"))
        assert r["platformLabel"] in r["quote"]


def test_cq8_organisation_column_holds_organisations_only(built_store: EmbeddedStore,
                                                          union: Graph) -> None:
    got = run(built_store, "cq8-who-runs-which-platform")
    assert got
    for r in got:
        assert _is_org(union, URIRef(r["organisation"])), (r["organisation"], r["claim"])
    # Initiatives said to develop platforms (the Smart Lab, Landslide Risk Assessment) are in
    # the graph but are not organisations.
    for initiative in ("initiative/smart-lab", "initiative/landslide-risk-assessment"):
        said = [c for c in union.subjects(HKSC.about, URIRef(ID + initiative))
                if union.value(c, HKSC.claimPredicate) == HKSC.develops]
        assert said, initiative
        assert ID + initiative not in {r["organisation"] for r in got}


def test_cq8_uncertain_readings_are_flagged(built_store: EmbeddedStore) -> None:
    got = run(built_store, "cq8-who-runs-which-platform")
    flags = {(r["organisation"].removeprefix(ID), r["relation"], r["platform"].removeprefix(ID),
              r["document"].removeprefix(ID + "source/")): (r["uncertain"], r["quote"]) for r in got}
    # The 2026-03-06 slide only has the heading "CorpID Platform": no developer is named.
    flag, quote = flags[("org/dpo", "develops", "platform/corpid", "2026-03-06-slides")]
    assert flag == "true" and "DPO" not in quote and "Digital Policy Office" not in quote
    assert flags[("org/dpo", "operates", "platform/cdeg", "2026-01-20-slides")][0] == "true"
    # The May 2025 paper (para 12) says it in words.
    assert flags[("org/dpo", "develops", "platform/corpid", "2025-05-12-legco-paper")][0] == "false"


def test_cq1_uncertain_figure_is_flagged(built_store: EmbeddedStore) -> None:
    flags = {r["value"]: r["uncertain"] for r in run(built_store, "cq1-iam-smart-users")}
    # The 2026-01-20 slide gives "Over 4 million" without naming the platform.
    assert flags == {"2500000": "false", "2700000": "false", "3400000": "false", "4000000": "true",
                     "4200000": "false"}


def test_catalogue_queries_on_claims_are_listed() -> None:
    assert set(CATALOGUE) - set(CLAIM_COLUMNS) == {"cq5-documents-mentioning-cdeg"}, (
        "a new example query that returns claims needs its claim columns in CLAIM_COLUMNS")


@pytest.mark.parametrize("slug", sorted(CLAIM_COLUMNS))
def test_rows_are_traceable_and_flag_uncertain_claims(built_store: EmbeddedStore, union: Graph,
                                                      docs: dict[str, SourceDocument], slug: str) -> None:
    """Each row names its claims, document, passage and verbatim quote (found in the passage's
    text), and says whether any of its claims is marked uncertain, with the curator's notes."""
    got = run(built_store, slug)
    assert got
    for r in got:
        claims = [URIRef(r[col]) for col in CLAIM_COLUMNS[slug] if col in r]
        if not claims:  # cq2's sum of the rows, computed by the query
            assert slug == "cq2-blueprint-progress" and r["area"] == "Total (sum of rows)"
            continue
        assert len(claims) == len(CLAIM_COLUMNS[slug]), r
        document, passage = URIRef(r["document"]), URIRef(r["passage"])
        for c in claims:
            assert (c, HKSC.statedIn, document) in union, (slug, c)
            assert (c, PROV.wasDerivedFrom, passage) in union, (slug, c)
        quotes = {str(q) for t in union.objects(claims[-1], HKSC.evidence)
                  for s in union.objects(t, OA.hasSelector) for q in union.objects(s, OA.exact)}
        assert quotes == {r["quote"]}, (slug, claims[-1])
        doc_id, key = r["passage"].removeprefix(ID + "source/").split("/p/")
        assert normalise(r["quote"]) in docs[doc_id].normalised[key], (slug, r["quote"])
        uncertain = any((c, HKSC.uncertain, Literal(True)) in union for c in claims)
        assert r["uncertain"] == str(uncertain).lower(), (slug, claims)
        notes = {str(n) for c in claims for n in union.objects(c, HKSC.note)}
        if len(claims) > 1:  # the notes of the row's claims, joined
            got_notes = set(r.get("note", "").split(" | ")) - {""}
        else:
            got_notes = {r["note"]} if "note" in r else set()
        assert got_notes == notes, (slug, claims)
    if slug in ("cq1-iam-smart-users", "cq8-who-runs-which-platform"):
        assert {r["uncertain"] for r in got} == {"true", "false"}
