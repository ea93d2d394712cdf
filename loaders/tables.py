"""Tables loader: the tab-separated tables of the July 2024 paper, parsed from the text.

Annex 1 (initiatives per smart area), Annex 2 (application technologies with
initiative counts and the bureaux and departments involved) and Annex 3
(IMD Smart City Index 2024) are read straight from the document, not
retyped. Row labels and names are matched to the records' entities and
concepts by label; a name that matches nothing stops the build.

What the paper says of a table as a whole (achieved or planned, as of when)
stands in a paragraph or heading, not in its cells: ``TABLES`` holds it per
table (``TableSpec``), citing where the paper says it, and every observation
of the table takes its modality, date and note from there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from graph.errors import BuildError, InputProblem
from graph.namespaces import HKSC, ID
from loaders.dates import parse_date
from loaders.documents import SourceDocument
from loaders.passages import Passage
from loaders.records import RecordSet, _date_triples, add_evidence
from loaders.terms import Vocabulary
from loaders.text import fold, normalise

PAPER = "2024-07-12-legco-paper"
_ABOUT = re.compile(r"^(about|around|over|some)\s+([\d ,]+)$", re.I)


@dataclass(frozen=True)
class TableSpec:
    """How to read one table: its parser and what the paper says of all its rows."""

    parse: Callable[[TableContext, TableSpec], None]
    modality: str  # a concept of the modality scheme (achieved, planned, ...)
    ref_date: str | None = None  # a record date (loaders.dates); None: the document's date
    note: str | None = None  # where the paper says so, for every observation of the table


@dataclass
class TableContext:
    doc: SourceDocument
    records: RecordSet
    vocab: Vocabulary
    graph: Graph
    problems: list[InputProblem]

    @functools.cached_property
    def labels(self) -> dict[str, URIRef]:
        """Folded English and Chinese label -> entity (the first entity to give a label)."""
        out: dict[str, URIRef] = {}
        for ent in self.records.entities.values():
            for label in ent.labels_en + ent.labels_zh:
                out.setdefault(fold(label), ent.iri)
        return out

    def fail(self, passage: Passage, line_offset: int, message: str) -> None:
        self.problems.append(
            InputProblem(f"sources/{self.doc.file.name}", passage.line_start + line_offset, message)
        )


def _cells(line: str) -> list[str]:
    return [normalise(c) for c in line.split("\t")]


def _tables(doc: SourceDocument, header_contains: str) -> list[Passage]:
    return [
        p
        for p in doc.passages.values()
        if p.kind == "table" and header_contains.casefold() in fold(p.blocks[0].split("\n")[0])
    ]


def _row_quote(line: str) -> str:
    return " ".join(c for c in _cells(line) if c)


def _observation(
    ctx: TableContext,
    spec: TableSpec,
    passage: Passage,
    iri: URIRef,
    about: URIRef,
    measure: str,
    value: int | None,
    verbatim: str,
    quote: str,
    qualifier: str | None = None,
    text_value: str | None = None,
) -> None:
    g = ctx.graph
    g.add((iri, RDF.type, HKSC.Observation))
    g.add((iri, HKSC.about, about))
    g.add((iri, HKSC.measure, ID[f"measure/{measure}"]))
    if value is not None:
        g.add((iri, HKSC.value, Literal(value, datatype=XSD.integer)))
        g.add((iri, HKSC.unit, ID["unit/count"] if measure != "rank" else ID["unit/rank"]))
    if text_value is not None:
        g.add((iri, HKSC.textValue, Literal(text_value)))
        g.add((iri, HKSC.unit, ID["unit/rating"]))
    g.add((iri, HKSC.verbatim, Literal(verbatim)))
    g.add((iri, HKSC.modality, ID[f"modality/{spec.modality}"]))
    if spec.note:
        g.add((iri, HKSC.note, Literal(spec.note)))
    if qualifier:
        g.add((iri, HKSC.qualifier, ID[f"qualifier/{qualifier}"]))
    when = parse_date(spec.ref_date) if spec.ref_date else ctx.doc.date
    for t in _date_triples(iri, when, from_document=spec.ref_date is None):
        g.add(t)
    add_evidence(g, iri, ctx.doc, passage.key, quote)


def annex1(ctx: TableContext, spec: TableSpec) -> None:
    """Progress of Blueprint 2.0 initiatives per smart area, as of end-June 2024."""
    areas = {
        fold(str(label)): c
        for c, label in (
            (c, lab)
            for c in ctx.vocab.concepts("smart-area").values()
            for lab in ctx.vocab.graph.objects(c, SKOS.prefLabel)
        )
    }
    blueprint = ID["blueprint/smart-city-blueprint-2"]
    # A row that is neither a smart area nor the total (COVID-19) names a thing of its own
    # ("Use of I&T in Combating COVID-19"): the row's figures are framed by it as well.
    named = ctx.labels
    measures = ("initiatives-completed-or-ongoing", "initiatives-in-progress", "initiatives-total")
    for passage in _tables(ctx.doc, "Smart areas"):
        for offset, line in enumerate(passage.blocks[0].split("\n")[1:], start=1):
            cells = _cells(line)
            if len(cells) != 4:
                ctx.fail(passage, offset, f"expected 4 tab-separated cells, found {len(cells)}")
                continue
            label, *numbers = cells
            if not all(n.isdigit() for n in numbers):
                ctx.fail(passage, offset, f"expected three whole numbers, found {numbers}")
                continue
            area = areas.get(fold(label))
            is_total = fold(label) == "total"
            slug = re.sub(r"[^a-z0-9]+", "-", fold(label)).strip("-")
            for measure, number in zip(measures, numbers, strict=True):
                iri = ID[f"claim/{PAPER}/annex1-{slug}-{measure}"]
                _observation(ctx, spec, passage, iri, blueprint, measure, int(number), number,
                             _row_quote(line))
                ctx.graph.add((iri, HKSC.rowLabel, Literal(label)))
                ctx.graph.add((iri, HKSC.context, blueprint))
                if area is not None:
                    ctx.graph.add((iri, HKSC.smartArea, area))
                elif not is_total and fold(label) in named:
                    ctx.graph.add((iri, HKSC.context, named[fold(label)]))
                if is_total:
                    ctx.graph.add((iri, HKSC.isTotal, Literal(True)))


# Annex 2 rows: top-level technology from column 1 when present, then the
# sub-technology from words of the description (the table nests them).
_SUBTECH: list[tuple[str, str]] = [
    ("chatbot", "chatbot"),
    ("predictive analysis", "predictive-analytics"),
    ("video/image", "video-image-analysis"),
    ("speech-to-text", "speech-nlp"),
    ("iam smart", "iam-smart-adoption"),
    ("data dashboard", "data-dashboard"),
    ("internet of things", "iot-bim-rpa"),
]
_TOPTECH = {
    "big data analytics / ai": "big-data-ai",
    "blockchain": "blockchain",
    "geospatial analytics": "geospatial-analytics",
    "others": "other-technologies",
}


def annex2(ctx: TableContext, spec: TableSpec) -> None:
    """Initiatives by application technology, with counts and bureaux/departments involved."""
    techs = ctx.vocab.concepts("technology")
    labels = ctx.labels
    current_top: str | None = None
    for passage in _tables(ctx.doc, "Major Application Technologies"):
        for offset, line in enumerate(passage.blocks[0].split("\n")):
            cells = _cells(line)
            if fold(cells[0]).startswith("major application technologies"):
                continue
            if len(cells) != 4:
                ctx.fail(passage, offset, f"expected 4 tab-separated cells, found {len(cells)}")
                continue
            first, description, count, bds = cells
            top_key = next((k for k in _TOPTECH if fold(first).startswith(k)), None)
            if first and top_key is None:
                ctx.fail(passage, offset, f"unknown application technology {first!r}")
                continue
            if top_key:
                current_top = _TOPTECH[top_key]
            text = fold(first + " " + description)
            sub = next((slug for word, slug in _SUBTECH if word in text), None)
            tech_slug = sub or current_top
            if tech_slug is None:
                ctx.fail(passage, offset, "row has no application technology")
                continue
            m = _ABOUT.match(count)
            if not m:
                ctx.fail(passage, offset, f"expected a count such as 'About 25', found {count!r}")
                continue
            members, unknown, exhaustive = _split_names(bds, labels)
            for n in unknown:
                ctx.fail(
                    passage,
                    offset,
                    f"unknown bureau/department {n!r}: add it to records/entities with this label",
                )
            tech = techs[tech_slug]
            key = f"annex2-l{passage.line_start + offset}"
            obs = ID[f"claim/{PAPER}/{key}-initiatives"]
            _observation(
                ctx,
                spec,
                passage,
                obs,
                tech,
                "initiatives",
                int(m.group(2).replace(" ", "").replace(",", "")),
                count,
                _quote_prefix(line),
                qualifier=m.group(1).lower(),
            )
            ctx.graph.add((obs, HKSC.technology, tech))
            ctx.graph.add((obs, HKSC.rowLabel, Literal(first or description[:80])))
            listing = ID[f"claim/{PAPER}/{key}-bds"]
            g = ctx.graph
            g.add((listing, RDF.type, HKSC.ListingClaim))
            g.add((listing, HKSC.about, tech))
            g.add((listing, HKSC.technology, tech))
            g.add((listing, HKSC.listRole, HKSC.involves))
            g.add((listing, HKSC.exhaustive, Literal(exhaustive)))
            g.add((listing, DCTERMS.description, Literal(description or first, lang="en")))
            g.add((listing, HKSC.modality, ID[f"modality/{spec.modality}"]))
            for member in members:
                g.add((listing, HKSC.member, member))
            add_evidence(g, listing, ctx.doc, passage.key, bds)


def _quote_prefix(line: str) -> str:
    """A quote for a row: the count cell with its B/Ds cell, which are unique per row."""
    cells = _cells(line)
    return f"{cells[2]} {cells[3]}"


def annex3(ctx: TableContext, spec: TableSpec) -> None:
    """Top 20 cities of the IMD Smart City Index 2024 with their pillar ratings."""
    index = ID["index/imd-smart-city-index-2024"]
    labels = ctx.labels
    for passage in _tables(ctx.doc, "Ranking"):
        lines = passage.blocks[0].split("\n")
        header = _cells(lines[0])
        pillars = [h.strip('"') for h in header[2:]]
        for offset, line in enumerate(lines[1:], start=1):
            cells = _cells(line)
            if len(cells) != 4 or not cells[0].isdigit():
                ctx.fail(passage, offset, f"expected rank, city and two ratings, found {cells}")
                continue
            rank, city_text, *ratings = cells
            city_name = city_text.split(",")[0].strip()
            city = labels.get(fold(city_text)) or labels.get(fold(city_name))
            slug = re.sub(r"[^a-z0-9]+", "-", fold(city_name)).strip("-")
            if city is None:
                city = ID[f"place/{slug}"]
                ctx.graph.add((city, RDF.type, HKSC.Place))
                ctx.graph.add((city, RDFS.label, Literal(city_name, lang="en")))
                ctx.graph.add((city, SKOS.prefLabel, Literal(city_name, lang="en")))
                if city_text != city_name:
                    ctx.graph.add((city, SKOS.altLabel, Literal(city_text, lang="en")))
            quote = _row_quote(line)
            obs = ID[f"claim/{PAPER}/annex3-{slug}-rank"]
            _observation(ctx, spec, passage, obs, city, "rank", int(rank), rank, quote)
            ctx.graph.add((obs, HKSC.context, index))
            for pillar, rating in zip(pillars, ratings, strict=True):
                r = ID[f"claim/{PAPER}/annex3-{slug}-{fold(pillar)}"]
                _observation(ctx, spec, passage, r, city, "rating", None, rating, quote, text_value=rating)
                ctx.graph.add((r, HKSC.context, index))
                ctx.graph.add((r, HKSC.pillar, Literal(pillar)))


def _split_names(text: str, labels: dict[str, URIRef]) -> tuple[list[URIRef], list[str], bool]:
    """Split "A, B, C, etc." into known entities; names may contain commas themselves.

    Returns the entities found, the names not found, and whether the list is
    exhaustive (False when it ends in "etc.").
    """
    rest = text.strip()
    found: list[URIRef] = []
    unknown: list[str] = []
    exhaustive = True
    by_length = sorted(labels, key=len, reverse=True)
    while rest:
        folded = fold(rest)
        if folded.rstrip(".") == "etc":
            exhaustive = False
            break
        match = next(
            (
                lab
                for lab in by_length
                if folded.startswith(lab) and folded[len(lab) : len(lab) + 1] in ("", ",")
            ),
            None,
        )
        if match is None:
            head, _, rest = rest.partition(",")
            unknown.append(head.strip())
        else:
            found.append(labels[match])
            rest = rest[len(match) :]
            rest = rest[1:] if rest.startswith(",") else rest
        rest = rest.strip()
    return found, unknown, exhaustive


TABLES: dict[str, TableSpec] = {
    # Annex 1 heading: "(As of end-June 2024)"; counts of initiatives completed, ongoing or in progress.
    "annex1": TableSpec(
        annex1,
        modality="achieved",
        ref_date="2024-06",
        note="Progress as of end-June 2024 (Annex 1 heading: \"(As of end-June 2024)\").",
    ),
    # Paragraph 7: "B/Ds will launch over 110 ... initiatives progressively from 2024 to 2025
    # (see Annex 2)": the rows count initiatives still to be launched.
    "annex2": TableSpec(
        annex2,
        modality="planned",
        ref_date="2025",
        note=(
            "Planned: paragraph 7 says \"B/Ds will launch over 110 digital government and smart city "
            "initiatives progressively from 2024 to 2025 (see Annex 2)\". Dated 2025, the end of that "
            "period, as claim e-government-initiatives-planned."
        ),
    ),
    # Paragraph 22: "the Smart City Index 2024 survey published in April this year".
    "annex3": TableSpec(
        annex3,
        modality="achieved",
        ref_date="2024-04",
        note=(
            "Dated by the index's publication, not by this paper (July 2024): paragraph 22 says the "
            "Smart City Index 2024 was \"published in April this year\" (as claim hk-rank-global)."
        ),
    ),
}


def load_tables(docs: dict[str, SourceDocument], records: RecordSet, vocab: Vocabulary) -> Graph:
    """Parse every known table; raise a BuildError naming source file and line on a bad row."""
    graph = Graph()
    if PAPER not in docs:
        return graph
    ctx = TableContext(docs[PAPER], records, vocab, graph, [])
    modalities = sorted(vocab.concepts("modality"))
    for name, spec in TABLES.items():
        if spec.modality not in modalities:
            message = f"table {name}: unknown modality {spec.modality!r}; expected one of {modalities}"
            ctx.problems.append(InputProblem("loaders/tables.py", None, message))
            continue
        spec.parse(ctx, spec)
    if ctx.problems:
        raise BuildError(ctx.problems)
    return graph
