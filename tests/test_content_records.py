"""Curated records: stable claim identifiers and the content fixes of the records review.

- Every claim record names its ``id`` (its IRI): no identifier is derived from the content,
  so editing a note never changes a cited IRI; a record without one stops the build with
  ``file:line``.
- Financial years ("2024-25", "2026-27") run 1 April to 31 March.
- "end-<year>" and "the end of <year>" are read one way in every document (the fourth quarter).
- The tables loader takes modality and date from each table's configuration: Annex 2 counts
  are planned (para 7), Annex 3 is dated by the index's publication (para 22).
- Readings from slide layout are marked uncertain like their siblings; an index the slide
  does not name is not given; new claims quote their passage.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import DATA_DIR, assert_claim_evidence, data_copy
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from graph.build import Assembled, assemble
from graph.errors import BuildError
from graph.namespaces import GRAPH_RECORDS, GRAPH_TABLES, HKSC, ID, OA
from graph.settings import Settings
from loaders.documents import SourceDocument
from loaders.tables import TABLES
from loaders.yamlio import LINE, load_yaml

CLAIMS_DIR = DATA_DIR / "records" / "claims"
CLAIM_TYPES = (HKSC.Observation, HKSC.RelationClaim, HKSC.DateClaim, HKSC.ScheduleClaim,
               HKSC.ListingClaim)
QUARTER = URIRef("http://www.w3.org/2006/time#unitQuarter")


def _claim(doc: str, claim_id: str) -> URIRef:
    return ID[f"claim/{doc}/{claim_id}"]


def _texts(g: Graph, claim: URIRef) -> list[str]:
    """The claim's quote and verbatim wording."""
    quotes = [str(q) for t in g.objects(claim, HKSC.evidence)
              for s in g.objects(t, OA.hasSelector) for q in g.objects(s, OA.exact)]
    return quotes + [str(v) for v in g.objects(claim, HKSC.verbatim)]


def _explicitly_dated(g: Graph) -> set[URIRef]:
    return {c for c in g.subjects(HKSC.dateFromDocument, Literal(False)) if isinstance(c, URIRef)}


def _period(g: Graph, claim: Node) -> tuple[str, str]:
    return str(g.value(claim, HKSC.refDate)), str(g.value(claim, HKSC.periodEnd))


# --------------------------------------------------------------------------- identifiers


def _records() -> list[tuple[str, dict[str, object]]]:
    out = []
    for path in sorted(CLAIMS_DIR.glob("*.yaml")):
        data = load_yaml(path, path.name)
        out += [(str(data["document"]), rec) for rec in data["claims"]]
    return out


def test_every_claim_record_names_its_id() -> None:
    missing = [(doc, rec[LINE]) for doc, rec in _records() if not rec.get("id")]
    assert not missing, f"claim records without an id (document, line): {missing}"
    slug = re.compile(r"[a-z0-9][a-z0-9-]*")
    bad = [(doc, rec["id"]) for doc, rec in _records() if not slug.fullmatch(str(rec["id"]))]
    assert not bad


def test_record_claims_in_the_graph_are_exactly_the_named_ids(assembled: Assembled) -> None:
    """No claim of the records graph has an IRI other than document + the record's id (a
    content hash such as .../fad328cb2388 would show up here)."""
    g = assembled.graphs[GRAPH_RECORDS]
    in_graph = {c for t in CLAIM_TYPES for c in g.subjects(RDF.type, t)}
    named = {_claim(doc, str(rec["id"])) for doc, rec in _records()}
    assert in_graph == named
    assert not [c for c in in_graph if re.search(r"/[0-9a-f]{12}$", str(c))]


def test_former_hash_claims_have_descriptive_ids(union: Graph) -> None:
    """The 17 claims that had content-hash IRIs, among them the iAM Smart users series."""
    users = {c for c in union.subjects(HKSC.measure, ID["measure/registered-users"])
             if (c, HKSC.about, ID["platform/iam-smart"]) in union}
    assert {
        _claim("2024-02-20-slides", "iam-smart-registered-users"),
        _claim("2024-07-12-legco-paper", "iam-smart-registered-users-2024"),
        _claim("2025-05-12-legco-paper", "iam-smart-registered-users-2025-04"),
        _claim("2026-01-20-slides", "iam-smart-registered-users"),
        _claim("2026-03-06-slides", "iam-smart-registered-users"),
    } <= users
    for doc, claim_id, value in [("2024-02-20-slides", "innohk-allocation", 10_000_000_000),
                                 ("2026-01-20-slides", "aiss-amount", 3_000_000_000),
                                 ("2026-03-06-slides", "ftrss-amount", 3_000_000_000)]:
        assert [int(str(v)) for v in union.objects(_claim(doc, claim_id), HKSC.value)] == [value]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  - id: iam-smart-registered-users-2024\n    kind: figure\n", "  - kind: figure\n",
     "claim needs an 'id'"),
    ("  - id: iam-smart-registered-users-2024\n", "  - id: iam-smart/registered-users\n",
     "claim id 'iam-smart/registered-users' must be a slug"),
])
def test_claim_without_a_proper_id_is_refused(tmp_path: Path, old: str, new: str, expected: str) -> None:
    data = data_copy(tmp_path)
    path = data / "records/claims/2024-07-12-legco-paper.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, "test setup"
    line = text[: text.index(old)].count("\n") + 1  # the record's first line
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(BuildError) as info:
        assemble(Settings(data_dir=data, store_dir=tmp_path / "store"), progress=lambda _m: None)
    assert f"claims/2024-07-12-legco-paper.yaml:{line}: {expected}" in str(info.value)


def test_table_claim_ids_come_from_row_keys(assembled: Assembled) -> None:
    """Table observations are named by table, row label (Annex 1 and 3) or source line
    (Annex 2) and measure, never by a hash of their content."""
    g = assembled.graphs[GRAPH_TABLES]
    claims = {str(c).rsplit("/", 1)[1] for t in CLAIM_TYPES for c in g.subjects(RDF.type, t)}
    assert len(claims) > 100
    pattern = re.compile(r"annex1-[a-z0-9-]+-initiatives-[a-z-]+|annex2-l\d+-(initiatives|bds)"
                         r"|annex3-[a-z0-9-]+-(rank|technologies|structures)")
    assert [c for c in claims if not pattern.fullmatch(c)] == []
    assert "annex3-hong-kong-rank" in claims and "annex1-smart-mobility-initiatives-total" in claims


# --------------------------------------------------------------------------- dates

FY_CLAIMS = {
    _claim("2024-07-12-legco-paper", "it-fund-injection"): "2024-25",
    _claim("2025-05-12-legco-paper", "airdi-budget-2025"): "2025-26",
    _claim("2025-05-12-legco-paper", "airdi-2026-27"): "2026-27",
}
_FY = re.compile(r"\b(20\d\d)-(\d\d)\b")


def test_financial_year_claims_are_known(union: Graph) -> None:
    """Every explicitly dated claim whose quote or verbatim names a financial year
    ("2024-25": the second year follows the first) is in FY_CLAIMS, so the next test sees it."""
    found = {}
    for c in _explicitly_dated(union):
        for text in _texts(union, c):
            for m in _FY.finditer(text):
                if int(m[2]) == (int(m[1]) + 1) % 100:
                    found[c] = m[0]
    assert found == FY_CLAIMS


@pytest.mark.parametrize("claim", sorted(FY_CLAIMS))
def test_financial_years_run_april_to_march(union: Graph, claim: URIRef) -> None:
    first = int(FY_CLAIMS[claim][:4])
    assert _period(union, claim) == (f"{first}-04-01", f"{first + 1}-03-31")
    assert union.value(claim, HKSC.datePrecision) == HKSC.unitFinancialYear


_END_OF_YEAR = re.compile(r"\bend-20\d\d\b|\bthe end of (20\d\d|last year)\b", re.I)


def test_end_of_year_is_the_fourth_quarter_everywhere(union: Graph) -> None:
    """'end-2026', 'by end-2025', 'at the end of 2023', 'at the end of last year': one
    convention (the fourth quarter, 1 October to 31 December) in every document."""
    dated = [c for c in _explicitly_dated(union) if any(_END_OF_YEAR.search(t) for t in _texts(union, c))]
    assert len(dated) >= 10
    for c in dated:
        start, end = _period(union, c)
        assert union.value(c, HKSC.datePrecision) == QUARTER, c
        assert start[5:] == "10-01" and end[5:] == "12-31", (c, start, end)


def test_corpid_end_2026_agrees_across_documents(union: Graph) -> None:
    """The 2025-05 paper ('from end-2026') and both 2026 decks ('end-2026', 'by end-2026')
    give the CorpID launch the same period: no disagreement the sources do not have."""
    periods = {_period(union, c) for c in (_claim("2025-05-12-legco-paper", "corpid-rollout"),
                                           _claim("2026-01-20-slides", "corpid-launch"),
                                           _claim("2026-03-06-slides", "corpid-ready"))}
    assert periods == {("2026-10-01", "2026-12-31")}


# --------------------------------------------------------------------------- tables


def _annex2(g: Graph) -> list[URIRef]:
    return sorted(c for c in g.subjects(RDF.type, HKSC.Observation)
                  if isinstance(c, URIRef) and re.search(r"/annex2-l\d+-initiatives$", str(c)))


def test_annex2_counts_are_planned(assembled: Assembled) -> None:
    """Para 7: "B/Ds will launch over 110 ... initiatives progressively from 2024 to 2025 (see
    Annex 2)": the nine row counts are planned, like the listings of the same rows, and dated
    like the paragraph's own claim."""
    g = assembled.graphs[GRAPH_TABLES]
    rows = _annex2(g)
    assert len(rows) == 9
    sibling = _claim("2024-07-12-legco-paper", "e-government-initiatives-planned")
    union = assembled.union()
    for obs in rows:
        assert list(g.objects(obs, HKSC.modality)) == [ID["modality/planned"]], obs
        listing = URIRef(str(obs).replace("-initiatives", "-bds"))
        assert list(g.objects(listing, HKSC.modality)) == [ID["modality/planned"]]
        assert _period(g, obs) == _period(union, sibling)
        assert "paragraph 7" in str(g.value(obs, HKSC.note))
    assert (_claim("2024-07-12-legco-paper", "annex2-l165-initiatives"), HKSC.value, Literal(25)) in g


def test_table_modality_comes_from_the_configuration(assembled: Assembled) -> None:
    g = assembled.graphs[GRAPH_TABLES]
    assert {name: spec.modality for name, spec in TABLES.items()} == {
        "annex1": "achieved", "annex2": "planned", "annex3": "achieved"}
    for name, spec in TABLES.items():
        obs = [c for c in g.subjects(RDF.type, HKSC.Observation) if f"/{name}-" in str(c)]
        assert obs
        assert {m for c in obs for m in g.objects(c, HKSC.modality)} == {ID[f"modality/{spec.modality}"]}


def test_annex3_is_dated_by_the_index_publication(assembled: Assembled) -> None:
    """Para 22: the Smart City Index 2024 was "published in April this year"; Annex 3's ranks
    and ratings take that date (not the paper's July 2024), as claim hk-rank-global does."""
    g = assembled.graphs[GRAPH_TABLES]
    union = assembled.union()
    obs = [c for c in g.subjects(RDF.type, HKSC.Observation) if "/annex3-" in str(c)]
    assert len(obs) == 60
    for c in obs:
        assert _period(g, c) == ("2024-04-01", "2024-04-30"), c
        assert (c, HKSC.dateFromDocument, Literal(False)) in g
        assert "paragraph 22" in str(g.value(c, HKSC.note))
    table = _claim("2024-07-12-legco-paper", "annex3-hong-kong-rank")
    text = _claim("2024-07-12-legco-paper", "hk-rank-global")
    for p in (HKSC.refDate, HKSC.periodEnd, HKSC.datePrecision, HKSC.value, HKSC.context):
        assert union.value(table, p) == union.value(text, p), p


# --------------------------------------------------------------------------- uncertainty, measures


def test_three_10bn_scheme_amounts_flagged_like_their_siblings(union: Graph) -> None:
    doc = "2026-03-06-slides"
    for claim_id in ("three-10bn-count", "nias-itif-named", "nias-amount", "itif-amount"):
        assert (_claim(doc, claim_id), HKSC.uncertain, Literal(True)) in union, claim_id
    for claim_id in ("nias-amount", "itif-amount"):
        note = str(union.value(_claim(doc, claim_id), HKSC.note))
        assert "layout" in note and "Other reading" in note


def test_unnamed_ranking_has_no_index(union: Graph) -> None:
    """The 2026-01-20 slide names no index: the 4th-globally ranking and its factor ranks keep
    no context, and their notes say so."""
    doc = "2026-01-20-slides"
    claims = [_claim(doc, f"rank-4th-{c}") for c in (
        "global", "global-ap", "technological-framework", "adaptive-attitudes", "top5-technology",
        "top5-knowledge", "top5-talent", "top5-training-education", "top10-future-readiness")]
    for c in claims:
        assert (c, RDF.type, HKSC.Observation) in union
        assert list(union.objects(c, HKSC.context)) == [], c
        assert "not name" in str(union.value(c, HKSC.note)), c


def test_schools_applied_is_not_students_benefited(union: Graph) -> None:
    schools = union.value(_claim("2024-02-20-slides", "it-lab-schools"), HKSC.measure)
    students = union.value(_claim("2024-02-20-slides", "it-lab-students-garbled"), HKSC.measure)
    assert schools is not None and students == ID["measure/beneficiaries"]
    assert schools != students


# --------------------------------------------------------------------------- new claims


@pytest.mark.parametrize(("doc", "claim_id", "key", "obj"), [
    ("2024-02-20-slides", "iam-smart-gd-services", "l74", "service/guangdong-government-services"),
    ("2026-03-06-slides", "court-voice-to-text", "l239", "initiative/ai-flagship-projects"),
    ("2026-03-06-slides", "trade-documents-ai", "l245", "initiative/ai-flagship-projects"),
])
def test_new_relation_claims_quote_their_passage(union: Graph, docs: dict[str, SourceDocument],
                                                 doc: str, claim_id: str, key: str, obj: str) -> None:
    claim = _claim(doc, claim_id)
    assert_claim_evidence(union, docs[doc], claim, key, None)
    assert (claim, HKSC.claimObject, ID[obj]) in union


def test_iam_smart_counters_in_guangzhou_and_shenzhen(union: Graph, docs: dict[str, SourceDocument]) -> None:
    claim = _claim("2024-02-20-slides", "iam-smart-counters-gd")
    assert_claim_evidence(union, docs["2024-02-20-slides"], claim, "l74", None)
    assert set(union.objects(claim, HKSC.member)) == {ID["place/guangzhou"], ID["place/shenzhen"]}
    counters = ID["facility/iam-smart-registration-counters-gd"]
    assert (counters, HKSC.locatedIn, ID["place/shenzhen"]) in union
    assert (claim, HKSC.uncertain, Literal(True)) in union


def test_a_financial_year_must_be_two_consecutive_years() -> None:
    from loaders.dates import parse_date

    with pytest.raises(ValueError, match="FY2026-"):
        parse_date("FY2026-28")
    assert (parse_date("FY1999-00").start.isoformat(), parse_date("FY1999-00").end.isoformat()) == (
        "1999-04-01", "2000-03-31")


def test_the_covid_row_of_annex_1_is_framed_by_its_chapter(union: Graph) -> None:
    """Annex 1's last row ("Use of I&T in Combating COVID-19", 13/0/13) is neither a smart
    area nor part of the total: its figures point to the chapter it names."""
    chapter = ID["initiative/covid-chapter"]
    rows = {c for c in union.subjects(HKSC.rowLabel, Literal("Use of I&T in Combating COVID-19"))}
    assert len(rows) == 3
    for c in rows:
        assert (c, HKSC.context, chapter) in union
        assert (c, HKSC.smartArea, None) not in union
    framed = set(union.subjects(HKSC.context, chapter))
    assert framed == rows


# --------------------------------------------------------------------------- schedules


SCHEMA_NS = "https://schema.org/"


def test_innoex_recurs_every_april(union: Graph, docs: dict[str, SourceDocument]) -> None:
    """Para 22 of the May 2025 paper: InnoEX is "held in April in Hong Kong annually". A
    schedule, not a date: the paper names no edition."""
    claim = _claim("2025-05-12-legco-paper", "innoex-held-every-april")
    assert (claim, RDF.type, HKSC.ScheduleClaim) in union
    assert union.value(claim, HKSC.about) == ID["event/innoex"]
    assert union.value(claim, HKSC.refDate) is None
    (schedule,) = union.objects(claim, URIRef(SCHEMA_NS + "eventSchedule"))
    assert (schedule, RDF.type, URIRef(SCHEMA_NS + "Schedule")) in union
    frequency = union.value(schedule, URIRef(SCHEMA_NS + "repeatFrequency"))
    assert isinstance(frequency, Literal) and str(frequency) == "P1Y"
    assert str(frequency.datatype).endswith("#duration")
    assert [int(m) for m in union.objects(schedule, URIRef(SCHEMA_NS + "byMonth"))] == [4]
    assert_claim_evidence(union, docs["2025-05-12-legco-paper"], claim, "22", None)


@pytest.mark.parametrize(("change", "expected"), [
    (("every: year, ", ""), "schedule claim needs 'every', one of ['day', 'month', 'week', 'year']"),
    (("every: year, ", "every: annually, "), "got 'annually'"),
    (("month: 4, ", "month: 13, "), "'month' must be a month number, 1 to 12; got 13"),
    (("month: 4, ", "month: 4, date: 2025-04, "), "schedule claim takes no 'date'"),
    (("every: year, ", "every: year, value: 1, "), "unknown key(s) ['value'] for a schedule claim"),
])
def test_a_bad_schedule_claim_is_refused(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    data = data_copy(tmp_path)
    path = data / "records/claims/2025-05-12-legco-paper.yaml"
    text = path.read_text(encoding="utf-8")
    record = "  - {id: innoex-held-every-april, kind: schedule,"
    assert text.count(record) == 1, "test setup"
    line = text[: text.index(record)].count("\n") + 1
    start = text.index(record)
    end = text.index("\n", start)
    old, new = change
    assert text[start:end].count(old) == 1, "test setup"
    path.write_text(text[:start] + text[start:end].replace(old, new) + text[end:], encoding="utf-8")
    with pytest.raises(BuildError) as info:
        assemble(Settings(data_dir=data, store_dir=tmp_path / "store"), progress=lambda _m: None)
    assert f"claims/2025-05-12-legco-paper.yaml:{line}: " in str(info.value)
    assert expected in str(info.value)
